// The CPU renderer's AVX2 building blocks: 8-lane versions of dsp::lookup, dsp::riseCurve,
// dsp::decayCurve and a note's envelope and oscillator phase, each lane the scalar operations in
// their order (same bits). Private to synth/cpu_renderer.cpp; only with AURALIS_CPU_CLONES.
#pragma once

#include "synth/dsp.h"

#include <immintrin.h>

namespace auralis::synth::avx2 {

// Eight frames at once with AVX2 intrinsics for the voices whose loops are mostly wavetable
// reads (all but the kick's expf and the swell's 64-bit noise hash) (GCC 12 emulates gathers with
// scalar loads): each lane does exactly the scalar operations of dsp::lookup, dsp::riseCurve,
// dsp::decayCurve and dsp::voiceSample, in their order, so the bits are the same. u * 2^31 < 2^31
// for every envelope position u < 1, so the signed conversion gives riseCurve's unsigned one.
using V8 = __m256;
using I8 = __m256i;

[[gnu::target("avx2")]] inline V8 lookup8(const float* table, I8 phase) {
    constexpr int kFracBits = 32 - dsp::kTableBits;
    const I8 idx = _mm256_srli_epi32(phase, kFracBits);
    const V8 frac = _mm256_mul_ps(
        _mm256_cvtepi32_ps(_mm256_and_si256(phase, _mm256_set1_epi32((1 << kFracBits) - 1))),
        _mm256_set1_ps(1.0f / static_cast<float>(1u << kFracBits)));
    const V8 a = _mm256_i32gather_ps(table, idx, 4);
    const V8 b = _mm256_i32gather_ps(table + 1, idx, 4);
    return _mm256_add_ps(a, _mm256_mul_ps(frac, _mm256_sub_ps(b, a)));
}

[[gnu::target("avx2")]] inline V8 rise8(const float* sine, V8 u) {
    const I8 phase =
        _mm256_add_epi32(_mm256_cvttps_epi32(_mm256_mul_ps(u, _mm256_set1_ps(2147483648.0f))),
                         _mm256_set1_epi32(0x40000000));
    return _mm256_sub_ps(_mm256_set1_ps(0.5f),
                         _mm256_mul_ps(_mm256_set1_ps(0.5f), lookup8(sine, phase)));
}

[[gnu::target("avx2")]] inline V8 decay8(V8 x) {
    V8 y = _mm256_sub_ps(_mm256_set1_ps(1.0f), _mm256_mul_ps(x, _mm256_set1_ps(1.0f / 256.0f)));
    y = _mm256_max_ps(y, _mm256_setzero_ps()); // y > 0 ? y : 0 (+0 for -0, as there)
    for (int i = 0; i < 8; ++i) {
        y = _mm256_mul_ps(y, y);
    }
    return y;
}

template <bool Attack, bool Release>
[[gnu::target("avx2")]] inline V8 envelope8(const dsp::Note& note, I8 k, const float* sine) {
    V8 e = _mm256_set1_ps(1.0f);
    if constexpr (Attack) {
        e = rise8(sine, _mm256_mul_ps(_mm256_cvtepi32_ps(k), _mm256_set1_ps(note.invAttack)));
    }
    if constexpr (Release) {
        const V8 u =
            _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(k, _mm256_set1_epi32(note.hold))),
                          _mm256_set1_ps(note.invRelease));
        e = _mm256_mul_ps(e, _mm256_sub_ps(_mm256_set1_ps(1.0f), rise8(sine, u)));
    }
    return e;
}

[[gnu::target("avx2")]] inline I8 phase8(const dsp::Note& note, int o, I8 k) {
    return _mm256_add_epi32(
        _mm256_set1_epi32(static_cast<int>(note.phase0[o])),
        _mm256_mullo_epi32(_mm256_set1_epi32(static_cast<int>(note.inc[o])), k));
}

} // namespace auralis::synth::avx2
