// Energy per pitch class of a stereo signal: Goertzel power at every equal-tempered pitch
// from MIDI 40 to 88 over Hann-windowed blocks of the mono mix, summed per pitch class.
// Shared by the synthesis tests (renders) and the stream tests (decoded Opus). Header-only.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <numbers>
#include <vector>

namespace auralis::test {

inline std::array<double, 12> pitchClassEnergy(const std::vector<float>& left,
                                               const std::vector<float>& right, int rate,
                                               std::size_t block, std::size_t hop) {
    std::vector<double> window(block);
    for (std::size_t i = 0; i < block; ++i) {
        window[i] = 0.5 - 0.5 * std::cos(2 * std::numbers::pi * static_cast<double>(i) /
                                         static_cast<double>(block - 1));
    }
    std::array<double, 12> bins{};
    std::vector<double> x(block);
    for (std::size_t b0 = 0; b0 + block <= left.size(); b0 += hop) {
        for (std::size_t i = 0; i < block; ++i) {
            x[i] = 0.5 * (left[b0 + i] + right[b0 + i]) * window[i];
        }
        for (int midi = 40; midi <= 88; ++midi) {
            const double f = 440.0 * std::pow(2.0, (midi - 69) / 12.0);
            const double coeff = 2 * std::cos(2 * std::numbers::pi * f / rate);
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
