// How the music measures as sound, for the tests and docs/sound.md: loudness per ITU-R
// BS.1770-4 (K-weighting, gated integrated loudness, short-term loudness, true peak by 4x
// oversampling), loudness range per EBU Tech 3342, band energies, stereo correlation and
// width, reverb-tail smoothness and the self-similarity of 8-bar chroma sequences.
// Header-only, pure functions over float stereo at any sample rate.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <cstddef>
#include <numbers>
#include <numeric>
#include <vector>

namespace auralis::test::sound {

// ---- filters -------------------------------------------------------------------------------

struct Biquad {
    double b0 = 1, b1 = 0, b2 = 0, a1 = 0, a2 = 0;
    double z1 = 0, z2 = 0;
    double step(double x) { // transposed direct form II
        const double y = b0 * x + z1;
        z1 = b1 * x - a1 * y + z2;
        z2 = b2 * x - a2 * y;
        return y;
    }
};

/// BS.1770-4's K-weighting (pre-filter shelf + RLB high-pass) at any rate, from the analog
/// prototypes the standard's 48 kHz coefficients come from.
inline std::array<Biquad, 2> kWeighting(double rate) {
    std::array<Biquad, 2> k{};
    {
        const double f0 = 1681.974450955533, gainDb = 3.999843853973347, q = 0.7071752369554196;
        const double kk = std::tan(std::numbers::pi * f0 / rate);
        const double vh = std::pow(10.0, gainDb / 20.0);
        const double vb = std::pow(vh, 0.4996667741545416);
        const double a0 = 1.0 + kk / q + kk * kk;
        k[0].b0 = (vh + vb * kk / q + kk * kk) / a0;
        k[0].b1 = 2.0 * (kk * kk - vh) / a0;
        k[0].b2 = (vh - vb * kk / q + kk * kk) / a0;
        k[0].a1 = 2.0 * (kk * kk - 1.0) / a0;
        k[0].a2 = (1.0 - kk / q + kk * kk) / a0;
    }
    {
        const double f0 = 38.13547087602444, q = 0.5003270373238773;
        const double kk = std::tan(std::numbers::pi * f0 / rate);
        const double a0 = 1.0 + kk / q + kk * kk;
        k[1].b0 = 1.0;
        k[1].b1 = -2.0;
        k[1].b2 = 1.0;
        k[1].a1 = 2.0 * (kk * kk - 1.0) / a0;
        k[1].a2 = (1.0 - kk / q + kk * kk) / a0;
    }
    return k;
}

/// A 2nd-order Butterworth low- or high-pass (RBJ cookbook, Q = 1/sqrt 2).
inline Biquad butterworth(double rate, double cutoff, bool highPass) {
    const double w = 2 * std::numbers::pi * cutoff / rate;
    const double alpha = std::sin(w) / std::numbers::sqrt2; // sin w / (2 Q)
    const double c = std::cos(w);
    const double a0 = 1 + alpha;
    Biquad f;
    f.b1 = (highPass ? -(1 + c) : (1 - c)) / a0;
    f.b0 = f.b2 = (highPass ? (1 + c) / 2 : (1 - c) / 2) / a0;
    f.a1 = -2 * c / a0;
    f.a2 = (1 - alpha) / a0;
    return f;
}

inline std::vector<double> filtered(const std::vector<float>& x, std::vector<Biquad> chain) {
    std::vector<double> y(x.begin(), x.end());
    for (Biquad& f : chain) {
        for (double& v : y) {
            v = f.step(v);
        }
    }
    return y;
}

// ---- loudness ----------------------------------------------------------------------------

/// K-weighted mean square per block of `blockSeconds`, one block every `hopSeconds`, summed
/// over both channels (weights 1): the quantity BS.1770 takes -0.691 + 10 log10 of.
inline std::vector<double> blockPowers(const std::vector<float>& left,
                                       const std::vector<float>& right, double rate,
                                       double blockSeconds, double hopSeconds) {
    const auto kw = kWeighting(rate);
    const std::vector<double> l = filtered(left, {kw[0], kw[1]});
    const std::vector<double> r = filtered(right, {kw[0], kw[1]});
    std::vector<double> prefix(l.size() + 1, 0.0);
    for (std::size_t i = 0; i < l.size(); ++i) {
        prefix[i + 1] = prefix[i] + l[i] * l[i] + r[i] * r[i];
    }
    const auto block = static_cast<std::size_t>(std::llround(blockSeconds * rate));
    const auto hop = static_cast<std::size_t>(std::llround(hopSeconds * rate));
    std::vector<double> out;
    for (std::size_t s = 0; s + block <= l.size(); s += hop) {
        out.push_back((prefix[s + block] - prefix[s]) / static_cast<double>(block));
    }
    return out;
}

inline double lufs(double power) {
    return -0.691 + 10.0 * std::log10(std::max(power, 1e-30));
}

/// Integrated loudness (LUFS): 400 ms blocks, 75 % overlap, absolute gate -70 LUFS, relative
/// gate 10 LU below the loudness of the blocks above the absolute gate.
inline double integratedLoudness(const std::vector<float>& left, const std::vector<float>& right,
                                 double rate) {
    const std::vector<double> blocks = blockPowers(left, right, rate, 0.4, 0.1);
    const auto gatedMean = [&](double gateLufs) {
        double sum = 0;
        int n = 0;
        for (const double p : blocks) {
            if (lufs(p) > gateLufs) {
                sum += p;
                ++n;
            }
        }
        return n > 0 ? sum / n : 0.0;
    };
    const double relativeGate = lufs(gatedMean(-70.0)) - 10.0;
    return lufs(gatedMean(std::max(-70.0, relativeGate)));
}

/// Short-term loudness (3 s windows) every `hopSeconds`, LUFS.
inline std::vector<double> shortTermLoudness(const std::vector<float>& left,
                                             const std::vector<float>& right, double rate,
                                             double hopSeconds) {
    std::vector<double> out;
    for (const double p : blockPowers(left, right, rate, 3.0, hopSeconds)) {
        out.push_back(lufs(p));
    }
    return out;
}

/// Loudness range (LU) per EBU Tech 3342: short-term loudness every 0.1 s, absolute gate
/// -70 LUFS, relative gate 20 LU below their power mean, then the 95th minus the 10th
/// percentile.
inline double loudnessRange(const std::vector<float>& left, const std::vector<float>& right,
                            double rate) {
    const std::vector<double> blocks = blockPowers(left, right, rate, 3.0, 0.1);
    std::vector<double> above;
    double sum = 0;
    for (const double p : blocks) {
        if (lufs(p) > -70.0) {
            above.push_back(p);
            sum += p;
        }
    }
    if (above.empty()) {
        return 0;
    }
    const double gate = lufs(sum / static_cast<double>(above.size())) - 20.0;
    std::vector<double> kept;
    for (const double p : above) {
        if (lufs(p) > gate) {
            kept.push_back(lufs(p));
        }
    }
    std::sort(kept.begin(), kept.end());
    const auto at = [&](double q) {
        const double pos = q * static_cast<double>(kept.size() - 1);
        const auto i = static_cast<std::size_t>(pos);
        const double f = pos - static_cast<double>(i);
        return i + 1 < kept.size() ? kept[i] * (1 - f) + kept[i + 1] * f : kept[i];
    };
    return at(0.95) - at(0.10);
}

/// True peak (dBTP): the largest magnitude after 4x oversampling with a 48-tap-per-phase
/// Kaiser-windowed sinc (BS.1770-4 Annex 2's method), both channels.
inline double truePeakDb(const std::vector<float>& left, const std::vector<float>& right) {
    constexpr int kUp = 4;
    constexpr int kTaps = 48; // per phase
    std::array<std::array<double, kTaps>, kUp> h{};
    const auto bessel0 = [](double x) {
        double sum = 1, term = 1;
        for (int k = 1; k < 30; ++k) {
            term *= (x / (2 * k)) * (x / (2 * k));
            sum += term;
        }
        return sum;
    };
    constexpr double kBeta = 8.0;
    const int total = kUp * kTaps;
    for (int i = 0; i < total; ++i) {
        const double t = (i - (total - 1) / 2.0) / kUp;
        const double sinc = t == 0 ? 1.0 : std::sin(std::numbers::pi * t) / (std::numbers::pi * t);
        const double r = 2.0 * i / (total - 1) - 1.0;
        const double w = bessel0(kBeta * std::sqrt(std::max(0.0, 1 - r * r))) / bessel0(kBeta);
        h[static_cast<std::size_t>(i % kUp)][static_cast<std::size_t>(i / kUp)] = sinc * w;
    }
    double peak = 0;
    for (const std::vector<float>* ch : {&left, &right}) {
        const std::vector<float>& x = *ch;
        for (std::size_t n = kTaps; n < x.size(); ++n) {
            for (int p = 0; p < kUp; ++p) {
                double acc = 0;
                for (int k = 0; k < kTaps; ++k) {
                    acc += h[static_cast<std::size_t>(p)][static_cast<std::size_t>(k)] *
                           x[n - static_cast<std::size_t>(k)];
                }
                peak = std::max(peak, std::abs(acc));
            }
        }
    }
    return 20 * std::log10(std::max(peak, 1e-12));
}

// ---- spectrum ----------------------------------------------------------------------------

inline void fft(std::vector<std::complex<double>>& a) {
    const std::size_t n = a.size();
    for (std::size_t i = 1, j = 0; i < n; ++i) {
        std::size_t bit = n >> 1;
        for (; j & bit; bit >>= 1) {
            j ^= bit;
        }
        j ^= bit;
        if (i < j) {
            std::swap(a[i], a[j]);
        }
    }
    for (std::size_t len = 2; len <= n; len <<= 1) {
        const std::complex<double> w =
            std::polar(1.0, -2 * std::numbers::pi / static_cast<double>(len));
        for (std::size_t i = 0; i < n; i += len) {
            std::complex<double> wk = 1;
            for (std::size_t k = 0; k < len / 2; ++k) {
                const auto u = a[i + k];
                const auto v = a[i + k + len / 2] * wk;
                a[i + k] = u + v;
                a[i + k + len / 2] = u - v;
                wk *= w;
            }
        }
    }
}

/// Welch power spectrum of the mono mix (Hann windows of `size`, 50 % overlap): bin k is
/// k * rate / size Hz.
inline std::vector<double> powerSpectrum(const std::vector<float>& left,
                                         const std::vector<float>& right, std::size_t size = 8192) {
    std::vector<double> p(size / 2 + 1, 0.0);
    std::vector<std::complex<double>> buf(size);
    for (std::size_t s = 0; s + size <= left.size(); s += size / 2) {
        for (std::size_t i = 0; i < size; ++i) {
            const double w = 0.5 - 0.5 * std::cos(2 * std::numbers::pi * static_cast<double>(i) /
                                                  static_cast<double>(size));
            buf[i] = w * 0.5 * (left[s + i] + right[s + i]);
        }
        fft(buf);
        for (std::size_t k = 0; k < p.size(); ++k) {
            p[k] += std::norm(buf[k]);
        }
    }
    return p;
}

/// Share of the spectrum's power in [lo, hi) Hz (0..1).
inline double bandShare(const std::vector<double>& spectrum, double rate, double lo, double hi) {
    const double binHz = rate / (2.0 * static_cast<double>(spectrum.size() - 1));
    double in = 0;
    double all = 0;
    for (std::size_t k = 1; k < spectrum.size(); ++k) {
        const double f = static_cast<double>(k) * binHz;
        all += spectrum[k];
        in += (f >= lo && f < hi) ? spectrum[k] : 0.0;
    }
    return all > 0 ? in / all : 0;
}

inline double toDb(double ratio) {
    return 10 * std::log10(std::max(ratio, 1e-30));
}

/// How far a reverb tail is from a smooth, diffuse spectrum: the periodogram (one Hann-windowed
/// FFT) of the mono mix, and in each third-octave band from 250 Hz to 4 kHz the standard
/// deviation of its bins in dB; the mean over the bands. Noise measures about 5.6 dB (the
/// spread of 10 log10 of an exponential variable); a metallic tail's sparse modes far more.
inline double thirdOctaveSpreadDb(const std::vector<float>& left, const std::vector<float>& right,
                                  double rate) {
    std::size_t size = 1;
    while (size < left.size()) {
        size <<= 1;
    }
    std::vector<std::complex<double>> buf(size);
    for (std::size_t i = 0; i < left.size(); ++i) {
        const double w = 0.5 - 0.5 * std::cos(2 * std::numbers::pi * static_cast<double>(i) /
                                              static_cast<double>(left.size()));
        buf[i] = w * 0.5 * (left[i] + right[i]);
    }
    fft(buf);
    const double binHz = rate / static_cast<double>(size);
    double sum = 0;
    int bands = 0;
    for (double centre = 250; centre <= 4000 * 1.01; centre *= std::pow(2.0, 1.0 / 3.0)) {
        const double lo = centre / std::pow(2.0, 1.0 / 6.0);
        const double hi = centre * std::pow(2.0, 1.0 / 6.0);
        std::vector<double> db;
        for (std::size_t k = 1; k < size / 2; ++k) {
            const double f = static_cast<double>(k) * binHz;
            if (f >= lo && f < hi) {
                db.push_back(10 * std::log10(std::norm(buf[k]) + 1e-30));
            }
        }
        if (db.size() < 2) {
            continue;
        }
        const double mean =
            std::accumulate(db.begin(), db.end(), 0.0) / static_cast<double>(db.size());
        double var = 0;
        for (const double v : db) {
            var += (v - mean) * (v - mean);
        }
        sum += std::sqrt(var / static_cast<double>(db.size() - 1));
        ++bands;
    }
    return bands > 0 ? sum / bands : 0;
}

/// Normalised echo density (Abel & Huang, 2006) of an impulse response, averaged over frames
/// [from, to): in a 20 ms Hann window around each frame, the weighted share of samples
/// further than one standard deviation from zero, over that share for Gaussian noise
/// (erfc(1/sqrt 2) = 0.3173). About 1 for a diffuse tail; near 0 for a few discrete echoes.
inline double echoDensity(const std::vector<float>& ir, double rate, std::size_t from,
                          std::size_t to) {
    const auto half = static_cast<std::ptrdiff_t>(0.010 * rate);
    std::vector<double> w(static_cast<std::size_t>(2 * half + 1));
    double wsum = 0;
    for (std::size_t k = 0; k < w.size(); ++k) {
        w[k] = 0.5 - 0.5 * std::cos(2 * std::numbers::pi * static_cast<double>(k + 1) /
                                    static_cast<double>(w.size() + 1));
        wsum += w[k];
    }
    const auto size = static_cast<std::ptrdiff_t>(ir.size());
    double total = 0;
    std::size_t count = 0;
    for (std::size_t n = from; n < to; n += 64) {
        double power = 0;
        for (std::ptrdiff_t k = -half; k <= half; ++k) {
            const std::ptrdiff_t i = static_cast<std::ptrdiff_t>(n) + k;
            const double x = i >= 0 && i < size ? ir[static_cast<std::size_t>(i)] : 0.0;
            power += w[static_cast<std::size_t>(k + half)] * x * x;
        }
        const double sigma = std::sqrt(power / wsum);
        double outside = 0;
        for (std::ptrdiff_t k = -half; k <= half; ++k) {
            const std::ptrdiff_t i = static_cast<std::ptrdiff_t>(n) + k;
            const double x = i >= 0 && i < size ? ir[static_cast<std::size_t>(i)] : 0.0;
            outside += std::abs(x) > sigma ? w[static_cast<std::size_t>(k + half)] : 0.0;
        }
        total += sigma > 0 ? outside / wsum / 0.31731 : 0.0;
        ++count;
    }
    return count > 0 ? total / static_cast<double>(count) : 0;
}

// ---- stereo ------------------------------------------------------------------------------

inline double correlation(const std::vector<double>& l, const std::vector<double>& r) {
    double lr = 0, ll = 0, rr = 0;
    for (std::size_t i = 0; i < l.size(); ++i) {
        lr += l[i] * r[i];
        ll += l[i] * l[i];
        rr += r[i] * r[i];
    }
    return ll > 0 && rr > 0 ? lr / std::sqrt(ll * rr) : 1.0;
}

struct Stereo {
    double correlation = 1;    // full band, Pearson (zero-mean audio)
    double lowCorrelation = 1; // below 120 Hz (4th-order Butterworth low-pass)
    double sideToMidDb = -100; // energy of (L-R)/2 over (L+R)/2
};

inline Stereo stereo(const std::vector<float>& left, const std::vector<float>& right, double rate) {
    Stereo s;
    const std::vector<double> l(left.begin(), left.end());
    const std::vector<double> r(right.begin(), right.end());
    s.correlation = correlation(l, r);
    const Biquad lp = butterworth(rate, 120, false);
    s.lowCorrelation = correlation(filtered(left, {lp, lp}), filtered(right, {lp, lp}));
    double mid = 0, side = 0;
    for (std::size_t i = 0; i < l.size(); ++i) {
        mid += 0.25 * (l[i] + r[i]) * (l[i] + r[i]);
        side += 0.25 * (l[i] - r[i]) * (l[i] - r[i]);
    }
    s.sideToMidDb = toDb(side / std::max(mid, 1e-30));
    return s;
}

// ---- structure ---------------------------------------------------------------------------

/// Chroma (12 pitch-class energies, centred, unit length) of frames [from, to) of the mono mix,
/// from one FFT per 8192 frames (Welch), bins from MIDI 40 to 88 assigned to their nearest pitch.
inline std::array<double, 12> chromaOf(const std::vector<float>& left,
                                       const std::vector<float>& right, double rate,
                                       std::size_t from, std::size_t to) {
    const std::vector<float> l(left.begin() + static_cast<std::ptrdiff_t>(from),
                               left.begin() + static_cast<std::ptrdiff_t>(to));
    const std::vector<float> r(right.begin() + static_cast<std::ptrdiff_t>(from),
                               right.begin() + static_cast<std::ptrdiff_t>(to));
    const std::vector<double> p = powerSpectrum(l, r, 8192);
    const double binHz = rate / 8192.0;
    std::array<double, 12> c{};
    for (std::size_t k = 1; k < p.size(); ++k) {
        const double f = static_cast<double>(k) * binHz;
        const double midi = 69 + 12 * std::log2(f / 440.0);
        if (midi < 39.5 || midi > 88.5) {
            continue;
        }
        const int pc = ((static_cast<int>(std::lround(midi)) % 12) + 12) % 12;
        c[static_cast<std::size_t>(pc)] += p[k];
    }
    // Centred: the similarity of two bars is the correlation of their chromas, so that two
    // bars merely in the same key (all energy on the scale) do not look alike.
    const double mean = std::accumulate(c.begin(), c.end(), 0.0) / 12.0;
    for (double& v : c) {
        v -= mean;
    }
    const double norm = std::sqrt(std::inner_product(c.begin(), c.end(), c.begin(), 0.0));
    for (double& v : c) {
        v = norm > 0 ? v / norm : 0;
    }
    return c;
}

/// Of the 8-bar windows (one per 8 bars, bar by bar chroma), the share that have a close
/// match elsewhere: the mean correlation of their 8 bar chromas, in order, with those of
/// another window at least 8 bars away is >= `threshold`.
inline double recurringShare(const std::vector<float>& left, const std::vector<float>& right,
                             double rate, std::size_t barFrames, double threshold = 0.8) {
    const std::size_t bars = left.size() / barFrames;
    std::vector<std::array<double, 12>> chroma;
    for (std::size_t b = 0; b < bars; ++b) {
        chroma.push_back(chromaOf(left, right, rate, b * barFrames, (b + 1) * barFrames));
    }
    if (bars < 16) {
        return 0;
    }
    const auto similarity = [&](std::size_t a, std::size_t b) {
        double sum = 0;
        for (std::size_t i = 0; i < 8; ++i) {
            sum += std::inner_product(chroma[a + i].begin(), chroma[a + i].end(),
                                      chroma[b + i].begin(), 0.0);
        }
        return sum / 8;
    };
    int windows = 0;
    int matched = 0;
    for (std::size_t a = 0; a + 8 <= bars; a += 8) {
        ++windows;
        for (std::size_t b = 0; b + 8 <= bars; ++b) {
            if ((b + 8 <= a || a + 8 <= b) && similarity(a, b) >= threshold) {
                ++matched;
                break;
            }
        }
    }
    return windows > 0 ? static_cast<double>(matched) / windows : 0;
}

} // namespace auralis::test::sound
