#include "synth/offline.h"

#include "synth/pcm.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

namespace auralis::synth {

OfflineResult renderToWav(SynthEngine& engine, const std::string& path, double seconds,
                          const OfflineProgress& progress) {
    OfflineResult result;
    if (!std::isfinite(seconds) || seconds <= 0) {
        result.error = "the duration must be a positive number of seconds";
        return result;
    }
    const auto total = static_cast<std::int64_t>(std::llround(seconds * kSampleRate));
    WavWriter wav;
    if (!wav.open(path, kSampleRate, total)) {
        result.error = wav.error();
        return result;
    }
    std::vector<std::int16_t> pcm(static_cast<std::size_t>(kMaxPhraseFrames) * kChannels);
    std::vector<float> left(kMaxPhraseFrames);
    std::vector<float> right(kMaxPhraseFrames);
    // The piece ends with a fade (raised cosine) over its last kFadeSeconds, or its last third
    // when shorter: never a cut at full level.
    const std::int64_t fadeFrames =
        std::min<std::int64_t>(std::llround(kFadeSeconds * kSampleRate), total / 3);
    const std::int64_t fadeFrom = total - fadeFrames;
    while (result.frames < total) {
        const PhraseOutput& out = engine.renderNext();
        result.renderSeconds += out.renderSeconds;
        const std::int64_t take = std::min<std::int64_t>(out.frames, total - result.frames);
        std::copy_n(out.left, take, left.begin());
        std::copy_n(out.right, take, right.begin());
        for (std::int64_t i = std::max<std::int64_t>(0, fadeFrom - result.frames); i < take; ++i) {
            const double u =
                static_cast<double>(result.frames + i - fadeFrom) / static_cast<double>(fadeFrames);
            const auto g = static_cast<float>(0.5 + 0.5 * std::cos(std::numbers::pi * u));
            left[static_cast<std::size_t>(i)] *= g;
            right[static_cast<std::size_t>(i)] *= g;
        }
        interleaveS16(left.data(), right.data(), take, pcm.data());
        if (!wav.write(pcm.data(), take)) {
            result.error = wav.error();
            return result;
        }
        result.frames += take;
        if (progress) {
            progress(result.frames, total);
        }
    }
    if (!wav.close()) {
        result.error = wav.error();
        return result;
    }
    result.ok = true;
    return result;
}

} // namespace auralis::synth
