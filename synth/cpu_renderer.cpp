#include "synth/cpu_renderer.h"

#include <algorithm>

namespace auralis::synth {

CpuRenderer::CpuRenderer() : m_tile(kTileFrames) {}

RenderStatus CpuRenderer::render(const RenderJob& job, RenderState& state, float* outL,
                                 float* outR) {
    const float* tables = wavetables();
    float y1L = state.filter[0];
    float y2L = state.filter[1];
    float y1R = state.filter[2];
    float y2R = state.filter[3];
    float* ring = state.reverbRing.data();

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
            for (std::int64_t n = from; n < to; ++n) {
                dsp::addContribution(tile[n - n0], note, dsp::noteSample(note, n, tables));
            }
        }

        // Pad low-pass (two one-pole stages), then reverb and master, frame by frame.
        for (std::int32_t i = 0; i < count; ++i) {
            dsp::Mix6& m = tile[i];
            const float a = job.filterCoef[(t0 + i) >> dsp::kControlBits];
            y1L = dsp::onePole(y1L, m.padL, a);
            y2L = dsp::onePole(y2L, y1L, a);
            y1R = dsp::onePole(y1R, m.padR, a);
            y2R = dsp::onePole(y2R, y1R, a);
            const dsp::Stereo rev = dsp::reverbSample(ring, n0 + i, m.sendL + job.mix.padSend * y2L,
                                                      m.sendR + job.mix.padSend * y2R, job.reverb);
            outL[t0 + i] = dsp::masterSample(m.dryL, y2L, rev.l, job.mix);
            outR[t0 + i] = dsp::masterSample(m.dryR, y2R, rev.r, job.mix);
        }
    }
    state.filter[0] = y1L;
    state.filter[1] = y2L;
    state.filter[2] = y1R;
    state.filter[3] = y2R;
    return {};
}

} // namespace auralis::synth
