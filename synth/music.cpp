#include "synth/music.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace auralis::synth {

namespace {

constexpr std::array<std::array<int, 7>, 6> kIntervals = {{
    {0, 2, 4, 5, 7, 9, 11}, // ionian
    {0, 2, 3, 5, 7, 9, 10}, // dorian
    {0, 1, 3, 5, 7, 8, 10}, // phrygian
    {0, 2, 4, 6, 7, 9, 11}, // lydian
    {0, 2, 4, 5, 7, 9, 10}, // mixolydian
    {0, 2, 3, 5, 7, 8, 10}, // aeolian
}};

constexpr std::array<std::string_view, 6> kModeNames = {"ionian", "dorian",     "phrygian",
                                                        "lydian", "mixolydian", "aeolian"};
constexpr std::array<std::string_view, 4> kPresetNames = {"focus", "meditation", "sleep", "bright"};
constexpr std::array<std::string_view, 12> kKeyNames = {"C",  "C#", "D",  "D#", "E",  "F",
                                                        "F#", "G",  "G#", "A",  "A#", "B"};

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string formatNumber(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

} // namespace

std::span<const int, 7> modeIntervals(Mode mode) {
    return std::span<const int, 7>(kIntervals[static_cast<std::size_t>(mode)]);
}

int diminishedDegree(Mode mode) {
    // The diminished triad sits on the scale degree a semitone below the mode's tonic in the
    // parent major scale: vii in ionian, shifting down one degree per mode rotation.
    const auto iv = modeIntervals(mode);
    for (int d = 0; d < 7; ++d) {
        const int root = iv[static_cast<std::size_t>(d)];
        const int fifth = iv[static_cast<std::size_t>((d + 4) % 7)] + ((d + 4) >= 7 ? 12 : 0);
        if (fifth - root == 6) {
            return d;
        }
    }
    return -1;
}

bool inScale(int key, Mode mode, int pc) {
    const int rel = ((pc - key) % 12 + 12) % 12;
    const auto iv = modeIntervals(mode);
    return std::find(iv.begin(), iv.end(), rel) != iv.end();
}

std::string_view modeName(Mode mode) {
    return kModeNames[static_cast<std::size_t>(mode)];
}
std::string_view presetName(Preset preset) {
    return kPresetNames[static_cast<std::size_t>(preset)];
}
std::string_view keyName(int key) {
    return kKeyNames[static_cast<std::size_t>(((key % 12) + 12) % 12)];
}

std::optional<Mode> parseMode(std::string_view text) {
    const std::string t = lower(text);
    for (std::size_t i = 0; i < kModeNames.size(); ++i) {
        if (t == kModeNames[i]) {
            return static_cast<Mode>(i);
        }
    }
    if (t == "major") {
        return Mode::Ionian;
    }
    if (t == "minor") {
        return Mode::Aeolian;
    }
    return std::nullopt;
}

std::optional<Preset> parsePreset(std::string_view text) {
    const std::string t = lower(text);
    for (std::size_t i = 0; i < kPresetNames.size(); ++i) {
        if (t == kPresetNames[i]) {
            return static_cast<Preset>(i);
        }
    }
    return std::nullopt;
}

std::optional<int> parseKey(std::string_view text) {
    if (text.empty()) {
        return std::nullopt;
    }
    if (std::isdigit(static_cast<unsigned char>(text.front()))) {
        int value = -1;
        const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (ec != std::errc() || ptr != text.data() + text.size() || value < 0 || value > 11) {
            return std::nullopt;
        }
        return value;
    }
    static constexpr std::array<int, 7> kNatural = {9, 11, 0, 2, 4, 5, 7}; // A..G
    const char letter = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
    if (letter < 'A' || letter > 'G') {
        return std::nullopt;
    }
    int pc = kNatural[static_cast<std::size_t>(letter - 'A')];
    const std::string rest = lower(text.substr(1));
    if (rest == "#" || rest == "sharp") {
        pc += 1;
    } else if (rest == "b" || rest == "flat") {
        pc += 11;
    } else if (!rest.empty()) {
        return std::nullopt;
    }
    return pc % 12;
}

MusicParams presetParams(Preset preset, int key) {
    MusicParams p;
    p.key = key;
    p.preset = preset;
    switch (preset) {
    case Preset::Focus:
        p.mode = Mode::Dorian;
        p.bpm = 72;
        p.intensity = 0.55;
        break;
    case Preset::Meditation:
        p.mode = Mode::Lydian;
        p.bpm = 52;
        p.intensity = 0.3;
        break;
    case Preset::Sleep:
        p.mode = Mode::Aeolian;
        p.bpm = 44;
        p.intensity = 0.12;
        break;
    case Preset::Bright:
        p.mode = Mode::Ionian;
        p.bpm = 92;
        p.intensity = 0.8;
        break;
    }
    return p;
}

std::optional<ParamError> applyUpdate(const MusicParams& current, const ParamUpdate& update,
                                      MusicParams& out) {
    MusicParams next = current;
    if (update.preset) {
        const auto preset = parsePreset(*update.preset);
        if (!preset) {
            return ParamError{"preset", "unknown preset '" + *update.preset +
                                            "': use focus, meditation, sleep or bright"};
        }
        next = presetParams(*preset, current.key);
    }
    if (update.key) {
        const auto key = parseKey(*update.key);
        if (!key) {
            return ParamError{"key", "unknown key '" + *update.key +
                                         "': use C, C#, Db, D, ..., B or a number 0-11"};
        }
        next.key = *key;
    }
    if (update.mode) {
        const auto mode = parseMode(*update.mode);
        if (!mode) {
            return ParamError{"mode", "unknown mode '" + *update.mode +
                                          "': use aeolian, dorian, ionian, lydian, mixolydian "
                                          "or phrygian"};
        }
        next.mode = *mode;
    }
    if (update.bpm) {
        const double bpm = *update.bpm;
        if (!std::isfinite(bpm) || bpm < kMinBpm || bpm > kMaxBpm) {
            return ParamError{"bpm",
                              "bpm must be a number from 40 to 120, got " + formatNumber(bpm)};
        }
        next.bpm = bpm;
    }
    if (update.intensity) {
        const double intensity = *update.intensity;
        if (!std::isfinite(intensity) || intensity < 0.0 || intensity > 1.0) {
            return ParamError{"intensity", "intensity must be a number from 0 to 1, got " +
                                               formatNumber(intensity)};
        }
        next.intensity = intensity;
    }
    out = next;
    return std::nullopt;
}

int phraseFrames(double bpm) {
    return static_cast<int>(std::lround(kBeatsPerPhrase * 60.0 * kSampleRate / bpm));
}

} // namespace auralis::synth
