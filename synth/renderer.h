// The renderer interface: turns one phrase window of notes into float stereo, carrying the
// filter and reverb state across windows. A renderer is used from one thread at a time.
#pragma once

#include "synth/dsp.h"

#include <array>
#include <cstdint>
#include <memory>
#include <string>

namespace auralis::synth {

/// Most notes one window may hold (the phrase's own plus the tails still ringing).
inline constexpr int kMaxWindowNotes = 256;

/// Everything a renderer needs for frames [start, start + frames). Pointers stay valid for
/// the call. The coefficient array has one entry per dsp::kControlBlock frames.
struct RenderJob {
    std::int64_t start = 0;
    std::int32_t frames = 0;
    const dsp::Note* notes = nullptr;
    std::int32_t noteCount = 0;
    const float* filterCoef = nullptr;
    std::int32_t coefCount = 0;
    dsp::ReverbConfig reverb{};
    dsp::MixConfig mix{};
};

/// State carried from one window to the next. Host memory in one canonical layout, so that
/// a window can be rendered on either device and the next one continues seamlessly.
struct RenderState {
    std::array<float, dsp::kRingFloats> reverbRing{};
    /// The input of each reverb diffuser stage (stage 0: send + pad send) over the last
    /// dsp::kDiffuseHistory frames before the window, oldest first: per stage, left then right.
    std::array<float, dsp::kDiffuseStages * 2 * dsp::kDiffuseHistory> reverbInput{};
    float filter[4] = {0, 0, 0, 0}; // L stage 1, L stage 2, R stage 1, R stage 2
    float lowCut[2] = {0, 0};       // the reverb input's low-pass, L and R
};

/// Outcome of one render call. On failure the state was not modified.
struct RenderStatus {
    bool ok = true;
    std::string error;
};

class Renderer {
public:
    virtual ~Renderer() = default;
    /// "cpu" or "cuda".
    virtual const char* kind() const = 0;
    /// Human-readable device name ("CPU (reference)", "NVIDIA H100 ...").
    virtual std::string deviceName() const = 0;
    /// Renders job.frames frames into outL/outR (planar) and advances `state`.
    virtual RenderStatus render(const RenderJob& job, RenderState& state, float* outL,
                                float* outR) = 0;
    /// Bytes this renderer holds on the GPU (0 for the CPU).
    virtual std::uint64_t gpuBytesAllocated() const { return 0; }
    /// Total memory of the GPU in use (0 for the CPU).
    virtual std::uint64_t gpuBytesTotal() const { return 0; }
};

/// The wavetables every renderer reads (dsp::kTableFloats floats, built once, immutable).
const float* wavetables();

} // namespace auralis::synth
