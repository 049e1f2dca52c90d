// Measurements on rendered audio for the tests: level, DC, boundary steps, chroma.
// Header-only helpers; pure functions.
#pragma once

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

/// Energy per pitch class: Goertzel power at every equal-tempered pitch from MIDI 40 to 88
/// over Hann-windowed blocks of the mono mix, summed per pitch class.
inline std::array<double, 12> chroma(const Render& r) {
    constexpr int kBlock = 32768;
    std::vector<double> window(kBlock);
    for (int i = 0; i < kBlock; ++i) {
        window[static_cast<std::size_t>(i)] =
            0.5 - 0.5 * std::cos(2 * std::numbers::pi * i / (kBlock - 1));
    }
    std::array<double, 12> bins{};
    std::vector<double> x(kBlock);
    for (std::size_t b0 = 0; b0 + kBlock <= r.left.size(); b0 += kBlock) {
        for (int i = 0; i < kBlock; ++i) {
            const std::size_t n = b0 + static_cast<std::size_t>(i);
            x[static_cast<std::size_t>(i)] =
                0.5 * (r.left[n] + r.right[n]) * window[static_cast<std::size_t>(i)];
        }
        for (int midi = 40; midi <= 88; ++midi) {
            const double f = 440.0 * std::pow(2.0, (midi - 69) / 12.0);
            const double coeff = 2 * std::cos(2 * std::numbers::pi * f / synth::kSampleRate);
            double s1 = 0;
            double s2 = 0;
            for (const double v : x) {
                const double s0 = v + coeff * s1 - s2;
                s2 = s1;
                s1 = s0;
            }
            bins[static_cast<std::size_t>(midi % 12)] += s1 * s1 + s2 * s2 - coeff * s1 * s2;
        }
    }
    return bins;
}

} // namespace auralis::test
