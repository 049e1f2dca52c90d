#include "synth/cpu_renderer.h"

#include <algorithm>

namespace auralis::synth {

namespace {

// One note's frames [from, to) of the tile starting at n0, with the voice fixed at compile
// time; per frame the arithmetic is exactly dsp::noteSample's.
template <int V>
void addNote(const dsp::Note& note, std::int64_t from, std::int64_t to, std::int64_t n0,
             dsp::Mix6* tile, const float* tables) {
    const float* sine = tables + dsp::kSineTable * dsp::kTableStride;
    for (std::int64_t n = from; n < to; ++n) {
        const float env = dsp::envelope(note, static_cast<std::int32_t>(n - note.start), sine);
        dsp::addContribution(tile[n - n0], note, dsp::voiceSample<V>(note, n, env, tables));
    }
}

} // namespace

CpuRenderer::CpuRenderer()
    : m_tile(kTileFrames), m_difL(kTileFrames), m_difR(kTileFrames), m_revL(dsp::kReverbBlock),
      m_revR(dsp::kReverbBlock), m_tap(dsp::kReverbBlock + 1),
      m_lines(static_cast<std::size_t>(dsp::kReverbLines) * dsp::kReverbBlock) {
    for (std::vector<float>& v : m_stageIn) {
        v.resize(dsp::kDiffuseHistory + kTileFrames);
    }
}

void CpuRenderer::diffuse(std::int32_t count, const dsp::ReverbConfig& c) {
    // dsp::diffuseSample for the tile's frames, stage by stage and tap by tap so the
    // arithmetic vectorises: per frame the same additions in the same order, hence the same
    // bits. Each stage writes the next one's input (the last writes the diffused input).
    const auto len = static_cast<std::size_t>(count);
    for (int s = 0; s < dsp::kDiffuseStages; ++s) {
        for (int ch = 0; ch < 2; ++ch) {
            const float* in = m_stageIn[s * 2 + ch].data() + dsp::kDiffuseHistory;
            float* out = s + 1 < dsp::kDiffuseStages
                             ? m_stageIn[(s + 1) * 2 + ch].data() + dsp::kDiffuseHistory
                             : (ch == 0 ? m_difL : m_difR).data();
            std::fill_n(out, len, 0.0f);
            for (int t = 0; t < dsp::kDiffuseTaps; ++t) {
                const float g = c.diffuseGain[s][ch][t];
                const float* x = in - c.diffuseOffset[s][ch][t];
                for (std::size_t k = 0; k < len; ++k) {
                    out[k] += g * x[k];
                }
            }
        }
    }
}

void CpuRenderer::reverbBlock(float* ring, std::int64_t n0, std::int32_t count, const float* inL,
                              const float* inR, const dsp::ReverbConfig& c) {
    // dsp::reverbSample for `count` frames, line by line so the arithmetic vectorises: the
    // same operations in the same order per frame, hence the same bits. Valid because every
    // delay exceeds the block: all reads precede all writes (see dsp::kReverbBlock).
    const auto len = static_cast<std::size_t>(count);
    float* tap = m_tap.data();
    float* y[dsp::kReverbLines];
    for (int i = 0; i < dsp::kReverbLines; ++i) {
        y[i] = m_lines.data() + static_cast<std::size_t>(i) * dsp::kReverbBlock;
        const float* line = ring + i * dsp::kRingSize;
        // tap[k] = line[n0 + k - delay - 1], so frame k reads tap[k + 1] and tap[k].
        const auto p = static_cast<std::size_t>((n0 - c.delay[i] - 1) & dsp::kRingMask);
        const std::size_t first = std::min(len + 1, dsp::kRingSize - p);
        std::copy_n(line + p, first, tap);
        std::copy_n(line, len + 1 - first, tap + first);
        float* yi = y[i];
        for (std::size_t k = 0; k < len; ++k) {
            yi[k] = c.damp0 * tap[k + 1] + c.damp1 * tap[k];
        }
    }
    for (std::size_t k = 0; k < len; ++k) {
        m_revL[k] = (y[0][k] - y[2][k] + y[4][k] - y[6][k]) * c.outGain + c.earlyGain * inL[k];
        m_revR[k] = (y[1][k] - y[3][k] + y[5][k] - y[7][k]) * c.outGain + c.earlyGain * inR[k];
    }
    for (int h = 1; h < dsp::kReverbLines; h <<= 1) {
        for (int i = 0; i < dsp::kReverbLines; i += h << 1) {
            for (int j = i; j < i + h; ++j) {
                float* ya = y[j];
                float* yb = y[j + h];
                for (std::size_t k = 0; k < len; ++k) {
                    const float a = ya[k];
                    const float b = yb[k];
                    ya[k] = a + b;
                    yb[k] = a - b;
                }
            }
        }
    }
    const auto w = static_cast<std::size_t>(n0 & dsp::kRingMask);
    const std::size_t first = std::min(len, dsp::kRingSize - w);
    for (int i = 0; i < dsp::kReverbLines; ++i) {
        const float* in = (i & 1) ? inR : inL;
        const float gain = (i & 2) ? -c.inGain : c.inGain;
        const float fb = c.feedback[i];
        float* yi = y[i];
        for (std::size_t k = 0; k < len; ++k) {
            yi[k] = in[k] * gain + fb * (0.35355339f * yi[k]);
        }
        float* line = ring + i * dsp::kRingSize;
        std::copy_n(yi, first, line + w);
        std::copy_n(yi + first, len - first, line);
    }
}

RenderStatus CpuRenderer::render(const RenderJob& job, RenderState& state, float* outL,
                                 float* outR) {
    const float* tables = wavetables();
    float y1L = state.filter[0];
    float y2L = state.filter[1];
    float y1R = state.filter[2];
    float y2R = state.filter[3];
    float* ring = state.reverbRing.data();
    constexpr std::size_t kHistory = dsp::kDiffuseHistory;
    for (std::size_t i = 0; i < std::size(m_stageIn); ++i) {
        std::copy_n(state.reverbInput.data() + i * kHistory, kHistory, m_stageIn[i].data());
    }
    float* inputL = m_stageIn[0].data() + kHistory;
    float* inputR = m_stageIn[1].data() + kHistory;
    float lowL = state.lowCut[0];
    float lowR = state.lowCut[1];

    for (std::int32_t t0 = 0; t0 < job.frames; t0 += kTileFrames) {
        const std::int32_t count = std::min(kTileFrames, job.frames - t0);
        const std::int64_t n0 = job.start + t0;
        dsp::Mix6* tile = m_tile.data();
        std::fill_n(tile, count, dsp::Mix6{});

        // Voices, note by note: per frame the notes add in list order, as on the GPU.
        for (std::int32_t i = 0; i < job.noteCount; ++i) {
            const dsp::Note& note = job.notes[i];
            const std::int64_t from = std::max(note.start, n0);
            const std::int64_t to = std::min(dsp::noteEnd(note), n0 + count);
            switch (note.voice) {
            case dsp::kPad:
                addNote<dsp::kPad>(note, from, to, n0, tile, tables);
                break;
            case dsp::kLead:
                addNote<dsp::kLead>(note, from, to, n0, tile, tables);
                break;
            case dsp::kBass:
                addNote<dsp::kBass>(note, from, to, n0, tile, tables);
                break;
            case dsp::kKick:
                addNote<dsp::kKick>(note, from, to, n0, tile, tables);
                break;
            case dsp::kSwell:
                addNote<dsp::kSwell>(note, from, to, n0, tile, tables);
                break;
            case dsp::kBell:
                addNote<dsp::kBell>(note, from, to, n0, tile, tables);
                break;
            default:
                break;
            }
        }

        // Pad low-pass (two one-pole stages), filtered pad back into the tile; the reverb's
        // input (sends + pad send) minus its own low-pass.
        for (std::int32_t i = 0; i < count; ++i) {
            dsp::Mix6& m = tile[i];
            const float a = job.filterCoef[(t0 + i) >> dsp::kControlBits];
            y1L = dsp::onePole(y1L, m.padL, a);
            y2L = dsp::onePole(y2L, y1L, a);
            y1R = dsp::onePole(y1R, m.padR, a);
            y2R = dsp::onePole(y2R, y1R, a);
            m.padL = y2L;
            m.padR = y2R;
            const float xL = m.sendL + job.mix.padSend * y2L;
            const float xR = m.sendR + job.mix.padSend * y2R;
            lowL = dsp::onePole(lowL, xL, job.reverb.lowCut);
            lowR = dsp::onePole(lowR, xR, job.reverb.lowCut);
            inputL[i] = xL - lowL;
            inputR[i] = xR - lowR;
        }
        diffuse(count, job.reverb);
        for (std::int32_t b0 = 0; b0 < count; b0 += dsp::kReverbBlock) {
            const std::int32_t len = std::min(dsp::kReverbBlock, count - b0);
            reverbBlock(ring, n0 + b0, len, m_difL.data() + b0, m_difR.data() + b0, job.reverb);
            for (std::int32_t k = 0; k < len; ++k) {
                const dsp::Mix6& m = tile[b0 + k];
                const std::int32_t at = t0 + b0 + k;
                outL[at] =
                    dsp::masterSample(m.dryL, m.padL, m_revL[static_cast<std::size_t>(k)], job.mix);
                outR[at] =
                    dsp::masterSample(m.dryR, m.padR, m_revR[static_cast<std::size_t>(k)], job.mix);
            }
        }
        // Each stage's last kDiffuseHistory frames of input become the next tile's history.
        for (std::vector<float>& v : m_stageIn) {
            std::copy_n(v.data() + count, kHistory, v.data());
        }
    }
    for (std::size_t i = 0; i < std::size(m_stageIn); ++i) {
        std::copy_n(m_stageIn[i].data(), kHistory, state.reverbInput.data() + i * kHistory);
    }
    state.filter[0] = y1L;
    state.filter[1] = y2L;
    state.filter[2] = y1R;
    state.filter[3] = y2R;
    state.lowCut[0] = lowL;
    state.lowCut[1] = lowR;
    return {};
}

} // namespace auralis::synth
