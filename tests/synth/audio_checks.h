// Measurements on rendered audio for the tests: level, DC, boundary steps, chroma.
// Header-only helpers; pure functions.
#pragma once

#include "../common/chroma.h"
#include "synth/engine.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <set>
#include <vector>

namespace auralis::test {

/// A rendered stereo signal with the frames at which phrases start.
struct Render {
    std::vector<float> left;
    std::vector<float> right;
    std::vector<std::int64_t> phraseStarts;
    std::vector<const char*> devices;
};

inline Render renderSeconds(synth::SynthEngine& engine, double seconds) {
    Render r;
    const auto total = static_cast<std::int64_t>(seconds * synth::kSampleRate);
    while (static_cast<std::int64_t>(r.left.size()) < total) {
        const synth::PhraseOutput& out = engine.renderNext();
        r.phraseStarts.push_back(static_cast<std::int64_t>(r.left.size()));
        r.devices.push_back(out.device);
        r.left.insert(r.left.end(), out.left, out.left + out.frames);
        r.right.insert(r.right.end(), out.right, out.right + out.frames);
    }
    return r;
}

struct Levels {
    double peak = 0;
    double rms = 0;
    double dc = 0; // largest |mean| of the two channels
    bool finite = true;
};

inline Levels levels(const Render& r) {
    Levels l;
    double sum2 = 0;
    double sumL = 0;
    double sumR = 0;
    for (std::size_t i = 0; i < r.left.size(); ++i) {
        const double a = r.left[i];
        const double b = r.right[i];
        if (!std::isfinite(a) || !std::isfinite(b)) {
            l.finite = false;
            continue;
        }
        l.peak = std::max({l.peak, std::abs(a), std::abs(b)});
        sum2 += a * a + b * b;
        sumL += a;
        sumR += b;
    }
    const double n = static_cast<double>(r.left.size());
    l.rms = std::sqrt(sum2 / (2 * n));
    l.dc = std::max(std::abs(sumL / n), std::abs(sumR / n));
    return l;
}

inline double dbfs(double x) {
    return 20.0 * std::log10(std::max(x, 1e-12));
}

struct Steps {
    double atBoundaries = 0; // largest |x[n] - x[n-1]| where n starts a phrase or a chunk
    double inside = 0;       // largest step anywhere else
};

inline Steps boundarySteps(const Render& r, std::int64_t chunkFrames) {
    std::set<std::int64_t> boundaries(r.phraseStarts.begin(), r.phraseStarts.end());
    for (std::int64_t n = chunkFrames; n < static_cast<std::int64_t>(r.left.size());
         n += chunkFrames) {
        boundaries.insert(n);
    }
    Steps s;
    for (std::size_t n = 1; n < r.left.size(); ++n) {
        const double step =
            std::max(std::abs(r.left[n] - r.left[n - 1]), std::abs(r.right[n] - r.right[n - 1]));
        double& slot = boundaries.count(static_cast<std::int64_t>(n)) ? s.atBoundaries : s.inside;
        slot = std::max(slot, step);
    }
    return s;
}

/// Energy per pitch class of a render (tests/common/chroma.h), in 32768-frame blocks.
inline std::array<double, 12> chroma(const Render& r) {
    return pitchClassEnergy(r.left, r.right, synth::kSampleRate, 32768, 32768);
}

} // namespace auralis::test
