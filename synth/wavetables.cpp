#include "synth/renderer.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

namespace auralis::synth {

namespace {

// Fills one table with sum_k amp[k-1] * sin(2 pi k x), normalised to a peak of 1.
void additive(float* table, const std::vector<double>& amp) {
    std::vector<double> v(dsp::kTableSize);
    double peak = 0;
    for (int i = 0; i < dsp::kTableSize; ++i) {
        const double x = 2.0 * std::numbers::pi * i / dsp::kTableSize;
        double s = 0;
        for (std::size_t k = 0; k < amp.size(); ++k) {
            s += amp[k] * std::sin(static_cast<double>(k + 1) * x);
        }
        v[static_cast<std::size_t>(i)] = s;
        peak = std::max(peak, std::abs(s));
    }
    for (int i = 0; i < dsp::kTableSize; ++i) {
        table[i] = static_cast<float>(v[static_cast<std::size_t>(i)] / peak);
    }
    table[dsp::kTableSize] = table[0];
}

std::vector<float> build() {
    std::vector<float> t(dsp::kTableFloats);
    additive(t.data() + dsp::kSineTable * dsp::kTableStride, {1.0});
    // Warm: a band-limited saw (16 partials, enough headroom below Nyquist for pad notes up
    // to 1.3 kHz) with an extra gentle roll-off; the pad's low-pass shapes it further.
    std::vector<double> warm;
    for (int k = 1; k <= 16; ++k) {
        warm.push_back(std::exp(-0.12 * (k - 1)) / k);
    }
    additive(t.data() + dsp::kWarmTable * dsp::kTableStride, warm);
    // Soft: a sine with a little second and third harmonic (lead and bass).
    additive(t.data() + dsp::kSoftTable * dsp::kTableStride, {1.0, 0.22, 0.08});
    return t;
}

} // namespace

const float* wavetables() {
    static const std::vector<float> tables = build();
    return tables.data();
}

} // namespace auralis::synth
