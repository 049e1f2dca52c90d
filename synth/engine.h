// The synthesis engine: composer + renderer + the state that makes phrases one continuous
// stream (ringing notes, filter, reverb). Falls back to the CPU when the GPU fails.
// One thread at a time (the phrase scheduler's); renderNext() allocates nothing.
#pragma once

#include "synth/composer.h"
#include "synth/cpu_renderer.h"
#include "synth/renderer.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace auralis::synth {

struct PhraseOutput {
    const PhrasePlan* plan = nullptr;
    std::int32_t frames = 0;
    const float* left = nullptr; // valid until the next renderNext()
    const float* right = nullptr;
    double renderSeconds = 0;   // phrase parameters in -> PCM out
    const char* device = "cpu"; // the renderer that made it
};

class SynthEngine {
public:
    /// `renderer` null means the CPU. `deviceReason` is kept for status reports.
    SynthEngine(std::uint64_t seed, const MusicParams& params,
                std::unique_ptr<Renderer> renderer = nullptr, std::string deviceReason = {});

    /// Takes effect at the next phrase boundary.
    void setParams(const MusicParams& params) { m_composer.setParams(params); }
    const MusicParams& params() const { return m_composer.params(); }

    /// Composes and renders the next phrase.
    const PhraseOutput& renderNext();

    const Renderer& renderer() const { return *m_active; }
    const std::string& deviceReason() const { return m_deviceReason; }
    std::uint64_t gpuFailures() const { return m_gpuFailures; }
    std::int64_t framesRendered() const { return m_composer.nextStart(); }
    std::uint64_t phrasesRendered() const {
        return static_cast<std::uint64_t>(m_composer.nextIndex());
    }

    static dsp::ReverbConfig reverbConfig();
    static dsp::MixConfig mixConfig();

private:
    void prepareCoefficients(std::int32_t frames);

    Composer m_composer;
    PhrasePlan m_plan;
    std::vector<dsp::Note> m_window; // capacity kMaxWindowNotes, never grows
    std::vector<dsp::Note> m_carry;
    std::vector<float> m_coef;
    std::vector<float> m_left;
    std::vector<float> m_right;
    std::unique_ptr<RenderState> m_state;
    std::unique_ptr<Renderer> m_primary;
    CpuRenderer m_cpu;
    Renderer* m_active;
    std::string m_deviceReason;
    std::uint64_t m_gpuFailures = 0;
    double m_cutoff = -1; // pad filter cutoff at the end of the last phrase (Hz)
    dsp::ReverbConfig m_reverb;
    dsp::MixConfig m_mix;
    PhraseOutput m_out;
};

} // namespace auralis::synth
