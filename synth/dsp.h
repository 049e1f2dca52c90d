// The sample-level math of every voice, the pad filter and the reverb, written once and
// compiled for both the CPU renderer and the CUDA kernels so that both make the same audio.
// Pure functions over caller-owned memory; no state, no allocation, any thread.
#pragma once

#include <cstdint>
#include <math.h> // global-namespace expf/tanhf/fabsf/floorf, as CUDA device code spells them

#ifdef __CUDACC__
#define AURALIS_HD __host__ __device__ __forceinline__
#else
#define AURALIS_HD inline
#endif

namespace auralis::synth {
/// The one sample rate of the project: the synth renders at it, the protocol streams it.
inline constexpr int kSampleRate = 44100;
} // namespace auralis::synth

namespace auralis::synth::dsp {

// ---- wavetables -------------------------------------------------------------------------
inline constexpr int kTableBits = 12;
inline constexpr int kTableSize = 1 << kTableBits;
inline constexpr int kTableStride = kTableSize + 1; // one guard point for interpolation
enum TableId : int { kSineTable = 0, kWarmTable = 1, kSoftTable = 2, kTableCount = 3 };
inline constexpr int kTableFloats = kTableCount * kTableStride;

/// Linear-interpolated table read at a 32-bit phase (2^32 = one cycle).
AURALIS_HD float lookup(const float* table, std::uint32_t phase) {
    constexpr int kFracBits = 32 - kTableBits;
    const std::uint32_t idx = phase >> kFracBits;
    // The fraction (< 2^20) converts through int32, exactly as through uint32, because x86
    // vectorises signed conversions only.
    const float frac =
        static_cast<float>(static_cast<std::int32_t>(phase & ((1u << kFracBits) - 1u))) *
        (1.0f / static_cast<float>(1u << kFracBits));
    const float a = table[idx];
    const float b = table[idx + 1];
    return a + frac * (b - a);
}

/// Raised-cosine rise 0.5 - 0.5 cos(pi u) for u in [0, 1]; exactly 0 at 0 and 1 at 1.
AURALIS_HD float riseCurve(const float* sine, float u) {
    const std::uint32_t phase = static_cast<std::uint32_t>(u * 2147483648.0f) + 0x40000000u;
    return 0.5f - 0.5f * lookup(sine, phase);
}

// ---- notes ------------------------------------------------------------------------------
enum Voice : std::int32_t { kPad = 0, kLead = 1, kBass = 2, kKick = 3, kSwell = 4, kBell = 5 };

/// One sounding event in absolute stream time. Oscillator o has phase
/// phase0[o] + inc[o] * (n - start) at frame n, so a note renders identically whichever
/// phrase window (and whichever device) computes a given frame.
struct Note {
    std::int64_t start;   // frame of note-on
    std::int32_t hold;    // frames from note-on to the start of the release
    std::int32_t attack;  // frames of raised-cosine rise (0 = none)
    std::int32_t release; // frames of raised-cosine fall, > 0
    std::int32_t voice;   // Voice
    std::uint32_t phase0[3];
    std::uint32_t inc[3];
    float gainL[3];
    float gainR[3];
    float invAttack;  // 1 / attack (0 when attack is 0)
    float invRelease; // 1 / release
    float send;       // reverb send (non-pad voices)
    float decay;      // kick, lead, bell: amplitude decay rate per second (0: none)
    float osc2;       // lead/bass: level of the second (sine) oscillator
};

AURALIS_HD std::int64_t noteEnd(const Note& n) {
    return n.start + n.hold + n.release;
}

/// The envelope where it is known whether k is in the attack (k < attack) and in the release
/// (k >= hold): a loop over one phase of a note then has no branch inside.
template <bool Attack, bool Release>
AURALIS_HD float envelopePhase(const Note& note, std::int32_t k, const float* sine) {
    float e = 1.0f;
    if constexpr (Attack) {
        e = riseCurve(sine, static_cast<float>(k) * note.invAttack);
    }
    if constexpr (Release) {
        e *= 1.0f - riseCurve(sine, static_cast<float>(k - note.hold) * note.invRelease);
    }
    return e;
}

/// Envelope at k frames after note-on (0 <= k < hold + release); ends at exactly 0.
AURALIS_HD float envelope(const Note& note, std::int32_t k, const float* sine) {
    if (k < note.attack) {
        return k >= note.hold ? envelopePhase<true, true>(note, k, sine)
                              : envelopePhase<true, false>(note, k, sine);
    }
    return k >= note.hold ? envelopePhase<false, true>(note, k, sine)
                          : envelopePhase<false, false>(note, k, sine);
}

/// Counter-based white noise in [-1, 1): same value for the same (seed, frame) everywhere.
AURALIS_HD float hashNoise(std::uint64_t seed, std::int64_t n) {
    std::uint64_t z = seed + static_cast<std::uint64_t>(n) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    const auto top = static_cast<std::int32_t>(static_cast<std::uint32_t>(z >> 32));
    return static_cast<float>(top) * (1.0f / 2147483648.0f);
}

/// The swell's [1 2 1]/4 smoother of its noise at frames n, n - 1 and n - 2.
AURALIS_HD float smoothNoise(float n0, float n1, float n2) {
    return 0.25f * n0 + 0.5f * n1 + 0.25f * n2;
}

struct Stereo {
    float l;
    float r;
};

/// A swell note's noise seed for channel 0 (left) or 1 (right): decorrelated.
AURALIS_HD std::uint64_t swellSeed(const Note& note, int channel) {
    return channel == 0 ? std::uint64_t{note.phase0[0]}
                        : (static_cast<std::uint64_t>(note.phase0[1]) << 32) | 1u;
}

/// About e^-x for x >= 0: (1 - x/256)^256, within 2 % of it up to x = 6 and 0 from x = 256,
/// in plain multiplications (no libm call), so that a voice's loop over frames vectorises.
AURALIS_HD float decayCurve(float x) {
    float y = 1.0f - x * (1.0f / 256.0f);
    y = y > 0.0f ? y : 0.0f;
    for (int i = 0; i < 8; ++i) {
        y *= y;
    }
    return y;
}

/// Voice V's output at absolute frame n for envelope value env (start <= n < noteEnd).
/// One template per voice so that a loop over one note's frames has no dispatch inside.
template <int V>
AURALIS_HD Stereo voiceSample(const Note& note, std::int64_t n, float env, const float* tables) {
    const float* sine = tables + kSineTable * kTableStride;
    const auto uk = static_cast<std::uint32_t>(n - note.start);
    if constexpr (V == kPad) {
        const float* warm = tables + kWarmTable * kTableStride;
        float l = 0.0f;
        float r = 0.0f;
        for (int o = 0; o < 3; ++o) {
            const float s = lookup(warm, note.phase0[o] + note.inc[o] * uk);
            l += note.gainL[o] * s;
            r += note.gainR[o] * s;
        }
        return {env * l, env * r};
    } else if constexpr (V == kLead || V == kBass) {
        const float* soft = tables + kSoftTable * kTableStride;
        const float s = lookup(soft, note.phase0[0] + note.inc[0] * uk) +
                        note.osc2 * lookup(sine, note.phase0[1] + note.inc[1] * uk);
        // A plucked or sung line fades while held (decay 0: an organ-like hold, the bass).
        const float t = static_cast<float>(uk) * (1.0f / static_cast<float>(kSampleRate));
        const float v = env * s * decayCurve(note.decay * t);
        return {v * note.gainL[0], v * note.gainR[0]};
    } else if constexpr (V == kBell) {
        // Three sine partials (octaves apart, so they stay in key), each with its own pan;
        // partial o decays (o + 1) times as fast as the first: bright at the strike, then
        // mellow.
        const float t = static_cast<float>(uk) * (1.0f / static_cast<float>(kSampleRate));
        const float d1 = decayCurve(note.decay * t);
        const float d[3] = {d1, d1 * d1, d1 * d1 * d1};
        float l = 0.0f;
        float r = 0.0f;
        for (int o = 0; o < 3; ++o) {
            const float s = d[o] * lookup(sine, note.phase0[o] + note.inc[o] * uk);
            l += note.gainL[o] * s;
            r += note.gainR[o] * s;
        }
        return {env * l, env * r};
    } else if constexpr (V == kKick) {
        // Sine with a falling pitch (90 Hz -> 45 Hz, tau 30 ms): the phase is the closed-form
        // integral of the frequency, so any frame can be computed on its own.
        const float t = static_cast<float>(uk) * (1.0f / static_cast<float>(kSampleRate));
        const float cycles = 45.0f * t + 2.7f * (1.0f - expf(t * (-1.0f / 0.03f)));
        const float frac = cycles - floorf(cycles);
        const std::uint32_t phase = static_cast<std::uint32_t>(frac * 16777216.0f) << 8;
        const float v = env * expf(-note.decay * t) * lookup(sine, phase);
        return {v * note.gainL[0], v * note.gainR[0]};
    } else {
        // Swell: decorrelated left/right noise through a [1 2 1]/4 smoother, a soft "air".
        const std::uint64_t seedL = swellSeed(note, 0);
        const std::uint64_t seedR = swellSeed(note, 1);
        const float nl =
            smoothNoise(hashNoise(seedL, n), hashNoise(seedL, n - 1), hashNoise(seedL, n - 2));
        const float nr =
            smoothNoise(hashNoise(seedR, n), hashNoise(seedR, n - 1), hashNoise(seedR, n - 2));
        return {env * nl * note.gainL[0], env * nr * note.gainR[0]};
    }
}

/// The note's output at absolute frame n (caller guarantees start <= n < noteEnd).
AURALIS_HD Stereo noteSample(const Note& note, std::int64_t n, const float* tables) {
    const float env = envelope(note, static_cast<std::int32_t>(n - note.start),
                               tables + kSineTable * kTableStride);
    switch (note.voice) {
    case kPad:
        return voiceSample<kPad>(note, n, env, tables);
    case kLead:
        return voiceSample<kLead>(note, n, env, tables);
    case kBass:
        return voiceSample<kBass>(note, n, env, tables);
    case kKick:
        return voiceSample<kKick>(note, n, env, tables);
    case kSwell:
        return voiceSample<kSwell>(note, n, env, tables);
    case kBell:
        return voiceSample<kBell>(note, n, env, tables);
    default:
        return {0.0f, 0.0f};
    }
}

/// The six buses a frame's notes add into: the pad (filtered later), the dry mix and the
/// reverb send of the other voices.
struct Mix6 {
    float padL, padR, dryL, dryR, sendL, sendR;
};

/// Routes one note's output at one frame into the buses.
AURALIS_HD void addContribution(Mix6& m, const Note& note, Stereo s) {
    if (note.voice == kPad) {
        m.padL += s.l;
        m.padR += s.r;
    } else {
        m.dryL += s.l;
        m.dryR += s.r;
        m.sendL += s.l * note.send;
        m.sendR += s.r * note.send;
    }
}

// ---- pad low-pass: two cascaded one-pole stages, coefficient per control block --------
inline constexpr int kControlBits = 6;
inline constexpr int kControlBlock = 1 << kControlBits; // frames per filter coefficient

/// One one-pole step: a*y + (1-a)*x, written so that a == 1 holds y exactly.
AURALIS_HD float onePole(float y, float x, float a) {
    return x + a * (y - x);
}

/// A segment of a one-pole stage reduced to its effect: y_end = gain * y_start + zeroState.
/// The CUDA renderer summarises segments in parallel, scans the summaries, then re-runs each
/// segment from its true start value; the CPU runs the same recurrence straight through.
struct SegmentSummary {
    float gain;
    float zeroState;
};

/// Segments per channel in the CUDA filter kernel (one thread each).
inline constexpr int kFilterSegments = 1024;

/// Frames [from, to) of segment `seg` when `frames` are split into `segments` equal parts.
AURALIS_HD void segmentBounds(std::int32_t frames, int segments, int seg, std::int32_t& from,
                              std::int32_t& to) {
    const std::int32_t len = (frames + segments - 1) / segments;
    from = seg * len < frames ? seg * len : frames;
    to = from + len < frames ? from + len : frames;
}

/// Summary of frames [from, to) of input x (read with a stride in floats).
AURALIS_HD SegmentSummary onePoleSummary(const float* x, int stride, const float* coef,
                                         std::int32_t from, std::int32_t to) {
    float gain = 1.0f;
    float y = 0.0f;
    for (std::int32_t i = from; i < to; ++i) {
        const float a = coef[i >> kControlBits];
        y = onePole(y, x[static_cast<std::int64_t>(i) * stride], a);
        gain *= a;
    }
    return {gain, y};
}

/// Runs frames [from, to) from y0, writing y (may alias x when strides match); returns the
/// last value.
AURALIS_HD float onePoleApply(const float* x, int stride, float* y, const float* coef,
                              std::int32_t from, std::int32_t to, float y0) {
    for (std::int32_t i = from; i < to; ++i) {
        y0 = onePole(y0, x[static_cast<std::int64_t>(i) * stride], coef[i >> kControlBits]);
        y[i] = y0;
    }
    return y0;
}

/// Start value of each segment from the summaries (sequential over segments).
AURALIS_HD void onePoleScan(const SegmentSummary* seg, float* starts, int count, float y0) {
    for (int s = 0; s < count; ++s) {
        starts[s] = y0;
        y0 = seg[s].gain * y0 + seg[s].zeroState;
    }
}

// ---- reverb input: early reflections and diffusion --------------------------------------
// Three sparse FIR stages in cascade per channel (velvet-noise style: one signed tap per
// cell of each stage's span, gains decaying): 8 x 8 x 8 = 512 echoes over 5-120 ms from 24
// multiplications a frame. The result is both the early reflections of the return and a
// dense input to the delay network, whose first echoes (from 100 ms) then arrive as a cloud,
// not as eight discrete repeats. Feed-forward only: every frame of a stage is independent of
// the others (any order, any device); a stage reads its input's last kDiffuseHistory frames.
inline constexpr int kDiffuseStages = 3;
inline constexpr int kDiffuseTaps = 8; // per stage and channel
/// Frames of a stage's input a window needs from before its start (every offset is less).
inline constexpr int kDiffuseHistory = 2048;

/// One stage's output at frame j of `in`, which is readable from j - kDiffuseHistory on; the
/// taps add in index order.
AURALIS_HD float diffuseSample(const float* in, std::int32_t j, const std::int32_t* offset,
                               const float* gain) {
    float acc = 0.0f;
    for (int t = 0; t < kDiffuseTaps; ++t) {
        acc += gain[t] * in[j - offset[t]];
    }
    return acc;
}

// ---- reverb: 8-line feedback delay network, Hadamard mixing, FIR damping -----------------
inline constexpr int kReverbLines = 8;
inline constexpr int kRingBits = 14;
inline constexpr int kRingSize = 1 << kRingBits; // frames of history per line
inline constexpr int kRingMask = kRingSize - 1;
inline constexpr int kRingFloats = kReverbLines * kRingSize;
/// Frames the CUDA kernel computes at once. Every line delay exceeds it, so all reads of a
/// block come from earlier blocks, and a write never reaches a frame the block still reads.
inline constexpr int kReverbBlock = 1024;

struct ReverbConfig {
    std::int32_t delay[kReverbLines]; // frames, each > kReverbBlock + 1
    float feedback[kReverbLines];     // per-line gain for the wanted RT60
    float inGain;
    float damp0; // FIR damping taps: damp0 + damp1 == 1 (unity at DC)
    float damp1;
    float outGain;
    float earlyGain; // diffused input straight to the return (early reflections)
    float lowCut;    // one-pole coefficient: the input minus its low-pass (keeps the bass dry)
    std::int32_t diffuseOffset[kDiffuseStages][2][kDiffuseTaps]; // frames, < kDiffuseHistory
    float diffuseGain[kDiffuseStages][2][kDiffuseTaps];
};

/// One frame of the delay network at absolute frame n, fed the diffused input (inL, inR):
/// reads history, writes frame n of each line; returns the network's output plus the early
/// reflections (earlyGain times the diffused input).
AURALIS_HD Stereo reverbSample(float* ring, std::int64_t n, float inL, float inR,
                               const ReverbConfig& c) {
    float y[kReverbLines];
    for (int i = 0; i < kReverbLines; ++i) {
        const float* line = ring + i * kRingSize;
        const std::int64_t a = n - c.delay[i];
        y[i] = c.damp0 * line[a & kRingMask] + c.damp1 * line[(a - 1) & kRingMask];
    }
    const Stereo out = {(y[0] - y[2] + y[4] - y[6]) * c.outGain + c.earlyGain * inL,
                        (y[1] - y[3] + y[5] - y[7]) * c.outGain + c.earlyGain * inR};
    // Fast Walsh-Hadamard transform: an orthogonal (lossless) mix of the eight lines.
    for (int h = 1; h < kReverbLines; h <<= 1) {
        for (int i = 0; i < kReverbLines; i += h << 1) {
            for (int j = i; j < i + h; ++j) {
                const float a = y[j];
                const float b = y[j + h];
                y[j] = a + b;
                y[j + h] = a - b;
            }
        }
    }
    const std::int64_t w = n & kRingMask;
    for (int i = 0; i < kReverbLines; ++i) {
        const float in = ((i & 1) ? inR : inL) * ((i & 2) ? -c.inGain : c.inGain);
        ring[i * kRingSize + w] = in + c.feedback[i] * (0.35355339f * y[i]);
    }
    return out;
}

// ---- master ------------------------------------------------------------------------------
inline constexpr float kCeiling = 0.93f; // -0.63 dBFS: never above the -0.5 dBFS limit

/// Static, memoryless soft clip: linear below the knee, approaches kCeiling smoothly.
AURALIS_HD float softClip(float x) {
    constexpr float kKnee = 0.6f;
    constexpr float kRange = kCeiling - kKnee;
    const float ax = fabsf(x);
    if (ax <= kKnee) {
        return x;
    }
    const float y = kKnee + kRange * tanhf((ax - kKnee) * (1.0f / kRange));
    return x < 0.0f ? -y : y;
}

/// Mix levels applied after the pad filter.
struct MixConfig {
    float padSend; // pad into the reverb
    float wet;     // reverb return
    float master;  // gain before the soft clip
};

/// The final output of one channel: dry + filtered pad + reverb return, soft clipped.
AURALIS_HD float masterSample(float dry, float pad, float rev, const MixConfig& mix) {
    return softClip(mix.master * (dry + pad + mix.wet * rev));
}

} // namespace auralis::synth::dsp
