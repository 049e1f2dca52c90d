// Offline rendering: runs an engine for a given duration and writes a WAV file.
// Runs on the calling thread; the progress callback is called from it after each phrase.
#pragma once

#include "synth/engine.h"

#include <cstdint>
#include <functional>
#include <string>

namespace auralis::synth {

struct OfflineResult {
    bool ok = false;
    std::string error;
    std::int64_t frames = 0;  // frames written
    double renderSeconds = 0; // total time spent rendering phrases
};

using OfflineProgress = std::function<void(std::int64_t framesDone, std::int64_t framesTotal)>;

/// Seconds of the fade that ends an offline render (the last third of a shorter one).
inline constexpr double kFadeSeconds = 4.0;

/// Renders round(seconds * 44100) frames of `engine` into a 16-bit stereo WAV at `path`,
/// ending with a kFadeSeconds fade.
OfflineResult renderToWav(SynthEngine& engine, const std::string& path, double seconds,
                          const OfflineProgress& progress = {});

} // namespace auralis::synth
