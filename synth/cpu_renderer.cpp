#include "synth/cpu_renderer.h"

#include <algorithm>

#if AURALIS_CPU_CLONES
#include "synth/cpu_avx2.h"
#endif

namespace auralis::synth {

namespace {

// The tile's six buses as planes (dsp::Mix6's fields, one array each), so that a loop over a
// note's frames stores contiguously and vectorises.
enum Plane : int { kPadL, kPadR, kDryL, kDryR, kSendL, kSendR, kPlanes };

// Frames [k0, k1) after note-on of one note whose voice and envelope phase are fixed at
// compile time, added into the planes x0..x3 (each indexed from note-on): padL, padR for the
// pad; dryL, dryR, sendL, sendR for the others. Per frame the arithmetic is exactly
// dsp::noteSample's and dsp::addContribution's, so the bits are the same. Parameters are
// restrict-qualified (nothing here aliases) so that GCC vectorises with gathers.
template <int V, bool Attack, bool Release>
[[gnu::always_inline]] inline void addPhase(const dsp::Note& shared, std::int32_t k0,
                                            std::int32_t k1, float* __restrict x0,
                                            float* __restrict x1, float* __restrict x2,
                                            float* __restrict x3, const float* __restrict tables) {
    const dsp::Note note = shared; // a local copy: the stores below cannot alias its fields
    const float* sine = tables + dsp::kSineTable * dsp::kTableStride;
    if constexpr (V == dsp::kSwell) {
        // dsp::voiceSample<kSwell>'s [1 2 1]/4 smoother over hashNoise(n), (n - 1), (n - 2),
        // with each frame's two hashes computed once instead of three times: the same values
        // in the same float operations.
        const std::uint64_t seedL = dsp::swellSeed(note, 0);
        const std::uint64_t seedR = dsp::swellSeed(note, 1);
        const std::int64_t n0 = note.start + k0;
        float l2 = dsp::hashNoise(seedL, n0 - 2);
        float l1 = dsp::hashNoise(seedL, n0 - 1);
        float r2 = dsp::hashNoise(seedR, n0 - 2);
        float r1 = dsp::hashNoise(seedR, n0 - 1);
        for (std::int32_t k = k0; k < k1; ++k) {
            const float env = dsp::envelopePhase<Attack, Release>(note, k, sine);
            const std::int64_t n = note.start + k;
            const float l0 = dsp::hashNoise(seedL, n);
            const float r0 = dsp::hashNoise(seedR, n);
            const float nl = dsp::smoothNoise(l0, l1, l2);
            const float nr = dsp::smoothNoise(r0, r1, r2);
            const float sl = env * nl * note.gainL[0];
            const float sr = env * nr * note.gainR[0];
            x0[k] += sl;
            x1[k] += sr;
            x2[k] += sl * note.send;
            x3[k] += sr * note.send;
            l2 = l1;
            l1 = l0;
            r2 = r1;
            r1 = r0;
        }
        return;
    }
    for (std::int32_t k = k0; k < k1; ++k) {
        const float env = dsp::envelopePhase<Attack, Release>(note, k, sine);
        const dsp::Stereo s = dsp::voiceSample<V>(note, note.start + k, env, tables);
        x0[k] += s.l;
        x1[k] += s.r;
        if constexpr (V != dsp::kPad) {
            x2[k] += s.l * note.send;
            x3[k] += s.r * note.send;
        }
    }
}

// addPhase compiled for each instruction set. Kept out of line: inlined into the tile loop,
// GCC loses the restrict qualification and leaves the loop scalar.
template <int V, bool Attack, bool Release>
[[gnu::noinline]] void addPhaseBaseline(const dsp::Note& note, std::int32_t k0, std::int32_t k1,
                                        float* __restrict x0, float* __restrict x1,
                                        float* __restrict x2, float* __restrict x3,
                                        const float* __restrict tables) {
    addPhase<V, Attack, Release>(note, k0, k1, x0, x1, x2, x3, tables);
}

#if AURALIS_CPU_CLONES
using namespace avx2;

// The whole groups of eight frames of [k0, k1) of a pad, lead, bass or bell note; returns the
// first frame not done (the rest go through addPhase).
template <int V, bool Attack, bool Release>
[[gnu::target("avx2")]] std::int32_t
addPhase8(const dsp::Note& note, std::int32_t k0, std::int32_t k1, float* __restrict x0,
          float* __restrict x1, float* __restrict x2, float* __restrict x3,
          const float* __restrict tables) {
    const float* sine = tables + dsp::kSineTable * dsp::kTableStride;
    const float* warm = tables + dsp::kWarmTable * dsp::kTableStride;
    const float* soft = tables + dsp::kSoftTable * dsp::kTableStride;
    const I8 lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const V8 perSecond = _mm256_set1_ps(1.0f / static_cast<float>(kSampleRate));
    std::int32_t k = k0;
    for (; k + 8 <= k1; k += 8) {
        const I8 kv = _mm256_add_epi32(_mm256_set1_epi32(k), lane);
        const V8 env = envelope8<Attack, Release>(note, kv, sine);
        V8 l;
        V8 r;
        if constexpr (V == dsp::kPad || V == dsp::kBell) {
            V8 d[3];
            if constexpr (V == dsp::kBell) {
                const V8 t = _mm256_mul_ps(_mm256_cvtepi32_ps(kv), perSecond);
                d[0] = decay8(_mm256_mul_ps(_mm256_set1_ps(note.decay), t));
                d[1] = _mm256_mul_ps(d[0], d[0]);
                d[2] = _mm256_mul_ps(d[1], d[0]);
            }
            l = _mm256_setzero_ps();
            r = _mm256_setzero_ps();
            for (int o = 0; o < 3; ++o) {
                V8 s = lookup8(V == dsp::kPad ? warm : sine, phase8(note, o, kv));
                if constexpr (V == dsp::kBell) {
                    s = _mm256_mul_ps(d[o], s);
                }
                l = _mm256_add_ps(l, _mm256_mul_ps(_mm256_set1_ps(note.gainL[o]), s));
                r = _mm256_add_ps(r, _mm256_mul_ps(_mm256_set1_ps(note.gainR[o]), s));
            }
            l = _mm256_mul_ps(env, l);
            r = _mm256_mul_ps(env, r);
        } else { // kLead and kBass: one formula, as in dsp::voiceSample
            const V8 s = _mm256_add_ps(
                lookup8(soft, phase8(note, 0, kv)),
                _mm256_mul_ps(_mm256_set1_ps(note.osc2), lookup8(sine, phase8(note, 1, kv))));
            const V8 t = _mm256_mul_ps(_mm256_cvtepi32_ps(kv), perSecond);
            const V8 v = _mm256_mul_ps(_mm256_mul_ps(env, s),
                                       decay8(_mm256_mul_ps(_mm256_set1_ps(note.decay), t)));
            l = _mm256_mul_ps(v, _mm256_set1_ps(note.gainL[0]));
            r = _mm256_mul_ps(v, _mm256_set1_ps(note.gainR[0]));
        }
        _mm256_storeu_ps(x0 + k, _mm256_add_ps(_mm256_loadu_ps(x0 + k), l));
        _mm256_storeu_ps(x1 + k, _mm256_add_ps(_mm256_loadu_ps(x1 + k), r));
        if constexpr (V != dsp::kPad) {
            const V8 send = _mm256_set1_ps(note.send);
            _mm256_storeu_ps(x2 + k,
                             _mm256_add_ps(_mm256_loadu_ps(x2 + k), _mm256_mul_ps(l, send)));
            _mm256_storeu_ps(x3 + k,
                             _mm256_add_ps(_mm256_loadu_ps(x3 + k), _mm256_mul_ps(r, send)));
        }
    }
    return k;
}

template <int V, bool Attack, bool Release>
[[gnu::noinline, gnu::target("avx2")]] void
addPhaseAvx2(const dsp::Note& note, std::int32_t k0, std::int32_t k1, float* __restrict x0,
             float* __restrict x1, float* __restrict x2, float* __restrict x3,
             const float* __restrict tables) {
    if constexpr (V != dsp::kKick && V != dsp::kSwell) {
        k0 = addPhase8<V, Attack, Release>(note, k0, k1, x0, x1, x2, x3, tables);
    }
    addPhase<V, Attack, Release>(note, k0, k1, x0, x1, x2, x3, tables);
}
#endif

template <bool Avx2, int V, bool Attack, bool Release>
void addPhaseFor(const dsp::Note& note, std::int32_t k0, std::int32_t k1, float* x0, float* x1,
                 float* x2, float* x3, const float* tables) {
#if AURALIS_CPU_CLONES
    if constexpr (Avx2) {
        addPhaseAvx2<V, Attack, Release>(note, k0, k1, x0, x1, x2, x3, tables);
        return;
    }
#endif
    addPhaseBaseline<V, Attack, Release>(note, k0, k1, x0, x1, x2, x3, tables);
}

// Frames [k0, k1) after note-on, split where the attack ends and the release begins; bus[p]
// points at plane p's entry for note-on.
template <bool Avx2, int V>
void addNote(const dsp::Note& note, std::int32_t k0, std::int32_t k1, float* const* bus,
             const float* tables) {
    std::int32_t cut[4] = {k0, std::clamp(note.attack, k0, k1), std::clamp(note.hold, k0, k1), k1};
    if (cut[1] > cut[2]) {
        std::swap(cut[1], cut[2]);
    }
    float* const* x = V == dsp::kPad ? bus + kPadL : bus + kDryL;
    float* const x2 = V == dsp::kPad ? nullptr : bus[kSendL];
    float* const x3 = V == dsp::kPad ? nullptr : bus[kSendR];
    for (int p = 0; p < 3; ++p) {
        const std::int32_t from = cut[p];
        const std::int32_t to = cut[p + 1];
        if (from >= to) {
            continue;
        }
        const bool attack = from < note.attack;
        const bool release = from >= note.hold;
        if (attack && release) {
            addPhaseFor<Avx2, V, true, true>(note, from, to, x[0], x[1], x2, x3, tables);
        } else if (attack) {
            addPhaseFor<Avx2, V, true, false>(note, from, to, x[0], x[1], x2, x3, tables);
        } else if (release) {
            addPhaseFor<Avx2, V, false, true>(note, from, to, x[0], x[1], x2, x3, tables);
        } else {
            addPhaseFor<Avx2, V, false, false>(note, from, to, x[0], x[1], x2, x3, tables);
        }
    }
}

bool haveAvx2() {
#if AURALIS_CPU_CLONES
    return __builtin_cpu_supports("avx2");
#else
    return false;
#endif
}

} // namespace

CpuRenderer::CpuRenderer(Simd simd)
    : m_simd(simd != Simd::Baseline && haveAvx2() ? Simd::Avx2 : Simd::Baseline),
      m_bus(static_cast<std::size_t>(kPlanes) * kTileFrames), m_difL(kTileFrames),
      m_difR(kTileFrames), m_revL(dsp::kReverbBlock), m_revR(dsp::kReverbBlock),
      m_tap(dsp::kReverbBlock + 1),
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

bool CpuRenderer::supports(Simd simd) {
    return simd != Simd::Avx2 || haveAvx2();
}

std::string CpuRenderer::deviceName() const {
    return m_simd == Simd::Avx2 ? "CPU (reference renderer, AVX2)" : "CPU (reference renderer)";
}

RenderStatus CpuRenderer::render(const RenderJob& job, RenderState& state, float* outL,
                                 float* outR) {
#if AURALIS_CPU_CLONES
    if (m_simd == Simd::Avx2) {
        return renderAvx2(job, state, outL, outR);
    }
#endif
    return renderBaseline(job, state, outL, outR);
}

// Both entry points inline everything below them (flatten), so each is one copy of the same
// code compiled for its instruction set; neither leaves AVX2 code in a shared inline function.
// No FMA is enabled (and synth/ builds with -ffp-contract=off): the same operations in the
// same order, hence the same bits on either path.
[[gnu::flatten]] RenderStatus CpuRenderer::renderBaseline(const RenderJob& job, RenderState& state,
                                                          float* outL, float* outR) {
    return renderTiles<false>(job, state, outL, outR);
}

#if AURALIS_CPU_CLONES
[[gnu::flatten, gnu::target("avx2")]] RenderStatus
CpuRenderer::renderAvx2(const RenderJob& job, RenderState& state, float* outL, float* outR) {
    return renderTiles<true>(job, state, outL, outR);
}
#endif

template <bool Avx2>
RenderStatus CpuRenderer::renderTiles(const RenderJob& job, RenderState& state, float* outL,
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
        std::fill(m_bus.begin(), m_bus.end(), 0.0f);
        float* plane[kPlanes];
        for (int p = 0; p < kPlanes; ++p) {
            plane[p] = m_bus.data() + static_cast<std::size_t>(p) * kTileFrames;
        }

        // Voices, note by note: per frame the notes add in list order, as on the GPU.
        for (std::int32_t i = 0; i < job.noteCount; ++i) {
            const dsp::Note& note = job.notes[i];
            const std::int64_t from = std::max(note.start, n0);
            const std::int64_t to = std::min(dsp::noteEnd(note), n0 + count);
            if (from >= to) {
                continue;
            }
            // Plane pointers at the note's onset (may lie before the tile: only [k0, k1) is
            // touched), frames counted from note-on.
            float* bus[kPlanes];
            for (int p = 0; p < kPlanes; ++p) {
                bus[p] = plane[p] + (note.start - n0);
            }
            const auto k0 = static_cast<std::int32_t>(from - note.start);
            const auto k1 = static_cast<std::int32_t>(to - note.start);
            switch (note.voice) {
            case dsp::kPad:
                addNote<Avx2, dsp::kPad>(note, k0, k1, bus, tables);
                break;
            case dsp::kLead:
                addNote<Avx2, dsp::kLead>(note, k0, k1, bus, tables);
                break;
            case dsp::kBass:
                addNote<Avx2, dsp::kBass>(note, k0, k1, bus, tables);
                break;
            case dsp::kKick:
                addNote<Avx2, dsp::kKick>(note, k0, k1, bus, tables);
                break;
            case dsp::kSwell:
                addNote<Avx2, dsp::kSwell>(note, k0, k1, bus, tables);
                break;
            case dsp::kBell:
                addNote<Avx2, dsp::kBell>(note, k0, k1, bus, tables);
                break;
            default:
                break;
            }
        }

        // Pad low-pass (two one-pole stages), filtered pad back into its plane; the reverb's
        // input (sends + pad send) minus its own low-pass.
        float* padL = plane[kPadL];
        float* padR = plane[kPadR];
        const float* sendL = plane[kSendL];
        const float* sendR = plane[kSendR];
        for (std::int32_t i = 0; i < count; ++i) {
            const float a = job.filterCoef[(t0 + i) >> dsp::kControlBits];
            y1L = dsp::onePole(y1L, padL[i], a);
            y2L = dsp::onePole(y2L, y1L, a);
            y1R = dsp::onePole(y1R, padR[i], a);
            y2R = dsp::onePole(y2R, y1R, a);
            padL[i] = y2L;
            padR[i] = y2R;
            const float xL = sendL[i] + job.mix.padSend * y2L;
            const float xR = sendR[i] + job.mix.padSend * y2R;
            lowL = dsp::onePole(lowL, xL, job.reverb.lowCut);
            lowR = dsp::onePole(lowR, xR, job.reverb.lowCut);
            inputL[i] = xL - lowL;
            inputR[i] = xR - lowR;
        }
        diffuse(count, job.reverb);
        for (std::int32_t b0 = 0; b0 < count; b0 += dsp::kReverbBlock) {
            const std::int32_t len = std::min(dsp::kReverbBlock, count - b0);
            reverbBlock(ring, n0 + b0, len, m_difL.data() + b0, m_difR.data() + b0, job.reverb);
            const float* dryL = plane[kDryL] + b0;
            const float* dryR = plane[kDryR] + b0;
            for (std::int32_t k = 0; k < len; ++k) {
                const auto r = static_cast<std::size_t>(k);
                const std::int32_t at = t0 + b0 + k;
                outL[at] = dsp::masterSample(dryL[k], padL[b0 + k], m_revL[r], job.mix);
                outR[at] = dsp::masterSample(dryR[k], padR[b0 + k], m_revR[r], job.mix);
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
