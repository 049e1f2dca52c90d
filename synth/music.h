// Musical vocabulary: keys, modes, presets and the validated parameter set of the composer.
// Pure functions and value types; safe to use from any thread.
#pragma once

#include "synth/dsp.h" // kSampleRate

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace auralis::synth {

inline constexpr int kChannels = 2;
inline constexpr double kMinBpm = 40.0;
inline constexpr double kMaxBpm = 120.0;
inline constexpr int kBeatsPerPhrase = 8; // two bars of 4/4
inline constexpr int kEighthsPerPhrase = 16;
inline constexpr int kMaxPhraseFrames = 529200; // 8 beats at 40 BPM

enum class Mode : std::uint8_t { Ionian, Dorian, Phrygian, Lydian, Mixolydian, Aeolian };
enum class Preset : std::uint8_t { Focus, Meditation, Sleep, Bright };

inline constexpr std::array kAllModes = {Mode::Ionian, Mode::Dorian,     Mode::Phrygian,
                                         Mode::Lydian, Mode::Mixolydian, Mode::Aeolian};
inline constexpr std::array kAllPresets = {Preset::Focus, Preset::Meditation, Preset::Sleep,
                                           Preset::Bright};

/// Semitone offsets of the seven scale degrees of `mode` from the tonic.
std::span<const int, 7> modeIntervals(Mode mode);
/// Scale degree (0-based) whose diatonic triad is diminished in `mode`.
int diminishedDegree(Mode mode);
/// True when pitch class `pc` (0-11) belongs to `mode` on `key`.
bool inScale(int key, Mode mode, int pc);

std::string_view modeName(Mode mode);
std::string_view presetName(Preset preset);
/// Sharp spelling of a key (0 = C ... 11 = B).
std::string_view keyName(int key);

std::optional<Mode> parseMode(std::string_view text);
std::optional<Preset> parsePreset(std::string_view text);
/// Accepts C, C#, Db, ... B (any case) or 0-11.
std::optional<int> parseKey(std::string_view text);

/// The full set of parameters the composer uses for one phrase.
struct MusicParams {
    int key = 9; // A
    Mode mode = Mode::Dorian;
    double bpm = 72.0;
    double intensity = 0.55;
    Preset preset = Preset::Focus;

    friend bool operator==(const MusicParams&, const MusicParams&) = default;
};

/// Preset defaults (mode, tempo, intensity); the key is kept.
MusicParams presetParams(Preset preset, int key = 9);

/// A partial change, as it arrives from a CLI, a control message or the HTTP API.
/// Fields left empty keep their current value; a preset is applied before the other fields.
struct ParamUpdate {
    std::optional<std::string> key;
    std::optional<std::string> mode;
    std::optional<std::string> preset;
    std::optional<double> bpm;
    std::optional<double> intensity;
};

/// Why an update was refused: the offending field and a sentence a person can act on.
struct ParamError {
    std::string field;
    std::string message;
};

/// Applies `update` to `current` as a whole: on success returns nothing and writes the
/// result to `out`; on the first invalid field returns the error and leaves `out` unchanged.
std::optional<ParamError> applyUpdate(const MusicParams& current, const ParamUpdate& update,
                                      MusicParams& out);

/// Frames in one phrase at `bpm` (8 beats).
int phraseFrames(double bpm);

} // namespace auralis::synth
