// The CPU reference renderer: the same dsp.h math as the CUDA kernels, computed in cache-sized
// tiles on the calling thread, with AVX2 where the CPU has it (the same bits as without).
// Never fails; allocates only in its constructor.
#pragma once

#include "synth/renderer.h"

#include <vector>

namespace auralis::synth {

class CpuRenderer final : public Renderer {
public:
    /// Instruction sets of the render loops: the same output bit for bit, different speed.
    enum class Simd { Best, Baseline, Avx2 };
    /// Best (and Avx2): AVX2 where this CPU has it and the build made that path, else the
    /// baseline; simd() tells which runs.
    explicit CpuRenderer(Simd simd = Simd::Best);
    /// Whether a CpuRenderer built with `simd` runs it (Baseline and Best always do).
    static bool supports(Simd simd);
    Simd simd() const { return m_simd; }
    const char* kind() const override { return "cpu"; }
    std::string deviceName() const override;
    RenderStatus render(const RenderJob& job, RenderState& state, float* outL,
                        float* outR) override;

    /// Frames per tile: a multiple of the filter control block, small enough for L2.
    static constexpr int kTileFrames = 4096;

private:
    RenderStatus renderBaseline(const RenderJob& job, RenderState& state, float* outL, float* outR);
    RenderStatus renderAvx2(const RenderJob& job, RenderState& state, float* outL, float* outR);
    template <bool Avx2>
    RenderStatus renderTiles(const RenderJob& job, RenderState& state, float* outL, float* outR);
    void diffuse(std::int32_t count, const dsp::ReverbConfig& c);
    void reverbBlock(float* ring, std::int64_t n0, std::int32_t count, const float* inL,
                     const float* inR, const dsp::ReverbConfig& c);

    Simd m_simd;
    std::vector<float> m_bus; // the tile's buses, one plane of kTileFrames per dsp::Mix6 field
    // Each diffuser stage's input per channel (stage 0: the reverb's): kDiffuseHistory
    // frames of history, then a tile; index stage * 2 + channel.
    std::vector<float> m_stageIn[dsp::kDiffuseStages * 2];
    std::vector<float> m_difL, m_difR; // the tile's diffused input
    std::vector<float> m_revL, m_revR; // one reverb block each
    std::vector<float> m_tap;          // one line's taps for a block
    std::vector<float> m_lines;        // kReverbLines x kReverbBlock
};

} // namespace auralis::synth
