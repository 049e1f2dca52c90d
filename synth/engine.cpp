#include "synth/engine.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numbers>

namespace auralis::synth {

namespace {

constexpr std::array<std::int32_t, dsp::kReverbLines> kDelays = {4409, 4943, 5381, 5801,
                                                                 6229, 6661, 7103, 7561};
constexpr double kRt60 = 5.0; // seconds
// The diffuser stages' taps lie in these spans of frames: 5-34 ms, 0-41 ms, 0-45 ms.
constexpr std::array<std::array<int, 2>, dsp::kDiffuseStages> kDiffuseSpans = {
    {{220, 1500}, {0, 1800}, {0, 2000}}};
static_assert(kDiffuseSpans[0][1] <= dsp::kDiffuseHistory &&
              kDiffuseSpans[1][1] <= dsp::kDiffuseHistory &&
              kDiffuseSpans[2][1] <= dsp::kDiffuseHistory);
constexpr float kEarlyGain = 0.35f;

constexpr bool delaysFitTheBlockScheme() {
    for (const std::int32_t d : kDelays) {
        // Every read of a block comes from an earlier block, and no write of a block reaches
        // a frame that the block still reads (see dsp::kReverbBlock).
        if (d <= dsp::kReverbBlock + 1 || d + 1 + dsp::kReverbBlock >= dsp::kRingSize) {
            return false;
        }
    }
    return true;
}
static_assert(delaysFitTheBlockScheme());

// Pad low-pass cutoff for an intensity: darker when calm, brighter when intense.
double baseCutoff(double intensity) {
    return 600.0 + 4400.0 * std::pow(intensity, 1.2);
}

} // namespace

dsp::ReverbConfig SynthEngine::reverbConfig() {
    dsp::ReverbConfig c{};
    for (int i = 0; i < dsp::kReverbLines; ++i) {
        c.delay[i] = kDelays[static_cast<std::size_t>(i)];
        c.feedback[i] = static_cast<float>(
            std::pow(10.0, -3.0 * kDelays[static_cast<std::size_t>(i)] / (kRt60 * kSampleRate)));
    }
    c.inGain = 0.3f;
    c.damp0 = 0.62f;
    c.damp1 = 0.38f;
    c.outGain = 0.5f;
    c.earlyGain = kEarlyGain;
    // The reverb hears nothing much below ~300 Hz: a wet, decorrelated bass would smear the
    // mono low end (the full mix stays >= 0.95 correlated below 120 Hz).
    c.lowCut = static_cast<float>(std::exp(-2.0 * std::numbers::pi * 300.0 / kSampleRate));
    // The diffuser: per stage and channel one tap in each of kDiffuseTaps equal cells of the
    // stage's span, at a pseudo-random place with a pseudo-random sign (a fixed generator:
    // the same taps on every build), gains falling by 10 dB over the span, normalised to unit
    // energy; left and right differ, so the early field is decorrelated between the channels.
    std::uint64_t lcg = 0x5DEECE66Dull;
    const auto next = [&lcg] {
        lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
        return static_cast<double>(lcg >> 11) * (1.0 / 9007199254740992.0); // [0, 1)
    };
    for (int s = 0; s < dsp::kDiffuseStages; ++s) {
        const double first = kDiffuseSpans[static_cast<std::size_t>(s)][0];
        const double last = kDiffuseSpans[static_cast<std::size_t>(s)][1];
        const double cell = (last - first) / dsp::kDiffuseTaps;
        for (int ch = 0; ch < 2; ++ch) {
            double energy = 0;
            double gains[dsp::kDiffuseTaps];
            for (int t = 0; t < dsp::kDiffuseTaps; ++t) {
                const double at = first + cell * (t + next() * 0.999);
                c.diffuseOffset[s][ch][t] = static_cast<std::int32_t>(at);
                const double sign = next() < 0.5 ? -1.0 : 1.0;
                gains[t] = sign * std::pow(10.0, -0.5 * (at - first) / (last - first));
                energy += gains[t] * gains[t];
            }
            for (int t = 0; t < dsp::kDiffuseTaps; ++t) {
                c.diffuseGain[s][ch][t] = static_cast<float>(gains[t] / std::sqrt(energy));
            }
        }
    }
    return c;
}

dsp::MixConfig SynthEngine::mixConfig() {
    return {0.5f, 1.8f, 0.88f};
}

SynthEngine::SynthEngine(std::uint64_t seed, const MusicParams& params,
                         std::unique_ptr<Renderer> renderer, std::string deviceReason)
    : m_composer(seed, params), m_state(std::make_unique<RenderState>()),
      m_primary(std::move(renderer)), m_active(m_primary ? m_primary.get() : &m_cpu),
      m_deviceReason(std::move(deviceReason)), m_reverb(reverbConfig()), m_mix(mixConfig()) {
    m_window.reserve(kMaxWindowNotes);
    m_carry.reserve(kMaxWindowNotes);
    m_coef.resize(kMaxPhraseFrames / dsp::kControlBlock + 1);
    m_left.resize(kMaxPhraseFrames);
    m_right.resize(kMaxPhraseFrames);
}

void SynthEngine::prepareCoefficients(std::int32_t frames) {
    // The slow drift brightens and darkens the pad over minutes (+-30 %).
    const double target = baseCutoff(m_plan.params.intensity) * (1.0 + 0.3 * m_plan.energy);
    const double from = m_cutoff < 0 ? target : m_cutoff;
    const double glide = 1.5 * kSampleRate; // frames to reach a changed cutoff
    const int count = (frames + dsp::kControlBlock - 1) / dsp::kControlBlock;
    for (int b = 0; b < count; ++b) {
        const double offset = static_cast<double>(b) * dsp::kControlBlock;
        const double u = std::min(1.0, offset / glide);
        const double base = from + (target - from) * (u * u * (3.0 - 2.0 * u));
        // A slow LFO in absolute stream time keeps the pad breathing across phrases.
        const double n = static_cast<double>(m_plan.start) + offset;
        const double lfo = 1.0 + 0.25 * std::sin(2.0 * std::numbers::pi * n / (19.0 * kSampleRate));
        const double fc = base * lfo;
        m_coef[static_cast<std::size_t>(b)] =
            static_cast<float>(std::exp(-2.0 * std::numbers::pi * fc / kSampleRate));
    }
    m_cutoff = target;
}

const PhraseOutput& SynthEngine::renderNext() {
    const auto t0 = std::chrono::steady_clock::now();
    m_composer.next(m_plan);
    const std::int64_t start = m_plan.start;
    const std::int32_t frames = m_plan.frames;

    // The window: notes still ringing from earlier phrases, then this phrase's notes.
    m_window.clear();
    for (const dsp::Note& n : m_carry) {
        if (dsp::noteEnd(n) > start && m_window.size() < kMaxWindowNotes) {
            m_window.push_back(n);
        }
    }
    for (int i = 0; i < m_plan.noteCount && m_window.size() < kMaxWindowNotes; ++i) {
        m_window.push_back(m_plan.notes[static_cast<std::size_t>(i)]);
    }
    prepareCoefficients(frames);

    RenderJob job;
    job.start = start;
    job.frames = frames;
    job.notes = m_window.data();
    job.noteCount = static_cast<std::int32_t>(m_window.size());
    job.filterCoef = m_coef.data();
    job.coefCount = (frames + dsp::kControlBlock - 1) / dsp::kControlBlock;
    job.reverb = m_reverb;
    job.mix = m_mix;

    RenderStatus status = m_active->render(job, *m_state, m_left.data(), m_right.data());
    if (!status.ok) {
        // A failed window left the state untouched: the CPU renders the same phrase and
        // every later one, so the stream goes on without a gap.
        ++m_gpuFailures;
        std::fprintf(stderr, "auralis: %s renderer failed at phrase %lld: %s; using the CPU\n",
                     m_active->kind(), static_cast<long long>(m_plan.index), status.error.c_str());
        m_deviceReason =
            std::string(m_active->kind()) + " failed (" + status.error + "); fell back to the CPU";
        m_active = &m_cpu;
        m_cpu.render(job, *m_state, m_left.data(), m_right.data());
    }

    m_carry.clear();
    for (const dsp::Note& n : m_window) {
        if (dsp::noteEnd(n) > start + frames) {
            m_carry.push_back(n);
        }
    }

    m_out.plan = &m_plan;
    m_out.frames = frames;
    m_out.left = m_left.data();
    m_out.right = m_right.data();
    m_out.device = m_active->kind();
    m_out.renderSeconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return m_out;
}

} // namespace auralis::synth
