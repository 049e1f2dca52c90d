// Times phrase renders of an engine: the synthesis benchmark's measurement, shared by the
// Google Benchmark binary (tests/bench) and the GPU check (tests/gpu). Header-only.
#pragma once

#include "synth/engine.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace auralis::bench {

/// The benchmark's phrase: 60 BPM (8 s), full mix, intensity 0.7.
inline synth::MusicParams benchmarkParams() {
    synth::MusicParams p = synth::presetParams(synth::Preset::Focus, 2);
    p.bpm = 60;
    p.intensity = 0.7;
    return p;
}

struct PhraseTiming {
    std::vector<double> ms; // one render per entry, in order
    double p50 = 0;
    double p99 = 0;
    double mean = 0;
    double max = 0;
    double realTimeFactor = 0; // seconds of audio per second of rendering, at p50
    std::string device;        // the renderer of every timed phrase, or "mixed"
};

/// Nearest-rank percentile of unsorted samples (q in [0, 1]).
inline double percentile(std::vector<double> v, double q) {
    if (v.empty()) {
        return 0;
    }
    std::sort(v.begin(), v.end());
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
    return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

inline PhraseTiming summarize(std::vector<double> ms, double phraseSeconds) {
    PhraseTiming t;
    t.ms = std::move(ms);
    t.p50 = percentile(t.ms, 0.50);
    t.p99 = percentile(t.ms, 0.99);
    for (const double m : t.ms) {
        t.mean += m / static_cast<double>(t.ms.size());
        t.max = std::max(t.max, m);
    }
    t.realTimeFactor = t.p50 > 0 ? phraseSeconds * 1000.0 / t.p50 : 0;
    return t;
}

/// Renders `warmup` phrases untimed, then `phrases` timed ones.
inline PhraseTiming timePhrases(synth::SynthEngine& engine, int phrases, int warmup = 3) {
    for (int i = 0; i < warmup; ++i) {
        engine.renderNext();
    }
    std::vector<double> ms;
    double seconds = 0;
    std::string device;
    for (int i = 0; i < phrases; ++i) {
        const synth::PhraseOutput& out = engine.renderNext();
        ms.push_back(out.renderSeconds * 1000.0);
        seconds = static_cast<double>(out.frames) / synth::kSampleRate;
        device = i == 0 || device == out.device ? std::string(out.device) : std::string("mixed");
    }
    PhraseTiming t = summarize(std::move(ms), seconds);
    t.device = device;
    return t;
}

} // namespace auralis::bench
