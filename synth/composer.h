// The composer: turns a seed and parameters into an endless sequence of two-bar phrases
// (chord loops from a per-mode Markov chain that repeat, change and return; melody, bass,
// pad, bells, percussion; a slow drift of energy and voicing over minutes) as timed notes.
// Deterministic from the 64-bit seed; one thread at a time; next() never allocates.
#pragma once

#include "synth/dsp.h"
#include "synth/music.h"
#include "synth/rng.h"

#include <array>
#include <cstdint>

namespace auralis::synth {

inline constexpr int kMaxPhraseNotes = 64;

struct Chord {
    int degree = 0;           // scale degree of the root, 0-6
    int size = 0;             // number of pitch classes in pcs
    std::array<int, 4> pcs{}; // root, third, fifth, optional colour tone (7th or 9th)

    bool contains(int pc) const {
        for (int i = 0; i < size; ++i) {
            if (pcs[static_cast<std::size_t>(i)] == ((pc % 12) + 12) % 12) {
                return true;
            }
        }
        return false;
    }
};

/// A melody onset, kept for inspection and tests: MIDI pitch and its eighth-note slot.
struct MelodyEvent {
    int slot = 0;
    int pitch = 0;
};

struct PhrasePlan {
    std::int64_t index = 0;  // 0, 1, 2, ...
    std::int64_t start = 0;  // first frame of the phrase in the stream
    std::int32_t frames = 0; // phrase length (8 beats)
    MusicParams params;
    /// The slow drift at this phrase, -1..1 (slowEnergy()): louder, denser, higher and
    /// brighter above 0, sparser and darker below.
    double energy = 0;
    /// The pad's voicing at this phrase, -1..1 (slowVoicing()): close and low below 0,
    /// inverted higher and open (a tone an octave up) above.
    double voicing = 0;
    std::array<Chord, 2> chords; // one per bar
    std::array<MelodyEvent, kEighthsPerPhrase> melody{};
    int melodyCount = 0;
    std::array<dsp::Note, kMaxPhraseNotes> notes{};
    int noteCount = 0;
};

/// Relative weight of moving from chord degree `from` to `to` in `mode` (0 = never).
double chordTransitionWeight(Mode mode, int from, int to);

/// The gain that brings music of this intensity to about -16 LUFS (fewer, softer notes when
/// calm are lifted); every note's gains are multiplied by it.
double loudnessTrim(double intensity);

/// The music's slow drift at stream frame `frame`, -1..1: two slow waves (periods of about 3
/// and 7 minutes, phases from the seed), so that density, level, register and brightness
/// change over minutes. A pure function of the seed and the time.
double slowEnergy(std::uint64_t seed, std::int64_t frame);

/// The pad's voicing drift at stream frame `frame`, -1..1: a third slow wave (about 4.5
/// minutes, its phase from the seed, independent of slowEnergy()). A pure function of the
/// seed and the time.
double slowVoicing(std::uint64_t seed, std::int64_t frame);

/// MIDI note number to the 32-bit phase increment per frame at 44.1 kHz.
std::uint32_t phaseIncrement(double midi, double cents = 0.0);

class Composer {
public:
    explicit Composer(std::uint64_t seed, const MusicParams& params = {});

    /// Parameters for the phrases composed from now on (a phrase boundary by construction).
    void setParams(const MusicParams& params) { m_params = params; }
    const MusicParams& params() const { return m_params; }
    std::int64_t nextIndex() const { return m_index; }
    std::int64_t nextStart() const { return m_nextStart; }

    /// Composes the next phrase into `out`.
    void next(PhrasePlan& out);

private:
    /// A loop of chord degrees: written from the chain, played several times, changed a
    /// little on some passes, and sometimes brought back later.
    /// One bar of the melody's motif: onsets on the eighth grid, each moving from the note
    /// before by `step` scale steps (notes on the beat then land on a chord tone), or, with
    /// `approach`, a semitone below the chord tone the next note plays.
    struct MotifCell {
        std::array<bool, 8> on{};
        std::array<std::int8_t, 8> step{};
        std::array<std::int8_t, 8> length{}; // eighths
        std::array<bool, 8> approach{};
    };
    /// The motif: three cells, so that it phases against loops of 4 and 8 bars.
    static constexpr int kMotifCells = 3;
    struct ChordLoop {
        std::array<int, 8> degrees{};
        std::array<double, 8> colour{}; // < 0.4: seventh, < 0.7: added ninth
        int bars = 0;                   // 4 or 8 (0: none yet)
        Mode mode = Mode::Dorian;
        std::array<MotifCell, kMotifCells> motif{}; // comes back with its loop
    };
    void composeChords(PhrasePlan& plan, Rng& rng);
    void newLoop(const MusicParams& params, Rng& rng);
    void mutateLoop(Rng& rng);
    static void newMotifCell(MotifCell& cell, double intensity, Rng& rng);
    static void mutateMotifCell(MotifCell& cell, Rng& rng);
    void composeMelody(PhrasePlan& plan, Rng& rng, std::int32_t slotStart[]);
    void addPad(PhrasePlan& plan, Rng& rng, std::int64_t barStart, std::int32_t barFrames,
                const Chord& chord);
    void addBells(PhrasePlan& plan, Rng& rng, const std::int32_t slotStart[]);
    dsp::Note& addNote(PhrasePlan& plan);
    static void finishNotes(PhrasePlan& plan, int from);

    std::uint64_t m_seed;
    MusicParams m_params;
    std::int64_t m_index = 0;
    std::int64_t m_nextStart = 0;
    ChordLoop m_loop;
    int m_loopBar = 0;     // the loop's next bar
    int m_loopRepeats = 0; // passes left before another loop
    int m_motifBar = 0;    // bars of melody played (the motif's cell is this modulo 3)
    std::array<ChordLoop, 3> m_memory{};
    int m_memoryCount = 0;
    int m_memoryNext = 0;
    int m_lastPitch = 69; // last melody pitch (voice leading across phrases)
};

} // namespace auralis::synth
