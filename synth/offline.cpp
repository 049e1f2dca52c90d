#include "synth/offline.h"

#include "synth/pcm.h"

#include <algorithm>
#include <cmath>
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
    while (result.frames < total) {
        const PhraseOutput& out = engine.renderNext();
        result.renderSeconds += out.renderSeconds;
        const std::int64_t take = std::min<std::int64_t>(out.frames, total - result.frames);
        interleaveS16(out.left, out.right, take, pcm.data());
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
