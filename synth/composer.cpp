#include "synth/composer.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace auralis::synth {

namespace {

// Weight of a root movement by its size in scale steps (0 = stay ... 6 = a step down).
// Steps and thirds dominate, which keeps the harmony drifting rather than cadencing.
constexpr std::array<double, 7> kMotion = {0.35, 1.0, 1.1, 1.0, 0.7, 1.1, 1.0};

// The chord that gives each mode its colour, favoured by the chain.
int colourDegree(Mode mode) {
    switch (mode) {
    case Mode::Ionian:
    case Mode::Dorian:
        return 3; // IV
    case Mode::Phrygian:
    case Mode::Lydian:
        return 1; // bII / II
    case Mode::Mixolydian:
        return 6; // bVII
    case Mode::Aeolian:
        return 5; // bVI
    }
    return 0;
}

constexpr int kPadTop = 86; // highest pad pitch: its 16th partial stays under 22.05 kHz

std::int32_t framesOf(double seconds) {
    return static_cast<std::int32_t>(std::lround(seconds * kSampleRate));
}

void panGains(double pan, double gain, float& l, float& r) {
    const double angle = (pan + 1.0) * std::numbers::pi / 4.0; // constant power
    l = static_cast<float>(gain * std::cos(angle));
    r = static_cast<float>(gain * std::sin(angle));
}

int pitchClassOf(int key, Mode mode, int degree) {
    const auto iv = modeIntervals(mode);
    return (key + iv[static_cast<std::size_t>(((degree % 7) + 7) % 7)]) % 12;
}

// Lowest MIDI pitch >= floor with pitch class pc.
int pitchAtOrAbove(int pc, int floor) {
    return floor + (((pc - floor) % 12) + 12) % 12;
}

} // namespace

double loudnessTrim(double intensity) {
    return std::pow(10.0, (4.2 - 6.6 * intensity) / 20.0);
}

double slowEnergy(std::uint64_t seed, std::int64_t frame) {
    const double t = static_cast<double>(frame) / kSampleRate;
    const double phase1 = static_cast<double>(seed % 1000) / 1000.0;
    const double phase2 = static_cast<double>((seed / 1000) % 1000) / 1000.0;
    return 0.6 * std::sin(2 * std::numbers::pi * (t / 173.0 + phase1)) +
           0.4 * std::sin(2 * std::numbers::pi * (t / 411.0 + phase2));
}

double slowVoicing(std::uint64_t seed, std::int64_t frame) {
    const double t = static_cast<double>(frame) / kSampleRate;
    // A multiplicative hash, so that small seeds (7, 99, ...) get distinct phases too.
    const double phase =
        static_cast<double>(((seed * 0x9E3779B97F4A7C15ull) >> 40) % 1000) / 1000.0;
    return std::sin(2 * std::numbers::pi * (t / 271.0 + phase));
}

double chordTransitionWeight(Mode mode, int from, int to) {
    if (to == diminishedDegree(mode)) {
        return 0.0; // no diminished triads
    }
    if (from == 4 && to == 0) {
        return 0.0; // no V-I cadence
    }
    double w = kMotion[static_cast<std::size_t>(((to - from) % 7 + 7) % 7)];
    if (to == 0) {
        w *= 1.2;
    }
    if (to == colourDegree(mode)) {
        w *= 1.6;
    }
    return w;
}

std::uint32_t phaseIncrement(double midi, double cents) {
    const double hz = 440.0 * std::pow(2.0, (midi + cents / 100.0 - 69.0) / 12.0);
    return static_cast<std::uint32_t>(std::llround(hz * 4294967296.0 / kSampleRate));
}

Composer::Composer(std::uint64_t seed, const MusicParams& params)
    : m_seed(seed), m_params(params) {}

dsp::Note& Composer::addNote(PhrasePlan& plan) {
    dsp::Note& n = plan.notes[static_cast<std::size_t>(plan.noteCount++)];
    n = dsp::Note{};
    return n;
}

void Composer::finishNotes(PhrasePlan& plan, int from) {
    for (int i = from; i < plan.noteCount; ++i) {
        dsp::Note& n = plan.notes[static_cast<std::size_t>(i)];
        n.invAttack = n.attack > 0 ? 1.0f / static_cast<float>(n.attack) : 0.0f;
        n.invRelease = 1.0f / static_cast<float>(n.release);
    }
}

void Composer::next(PhrasePlan& plan) {
    const MusicParams p = m_params;
    plan.index = m_index;
    plan.start = m_nextStart;
    plan.frames = phraseFrames(p.bpm);
    plan.params = p;
    plan.energy = slowEnergy(m_seed, plan.start);
    plan.voicing = slowVoicing(m_seed, plan.start);
    plan.noteCount = 0;
    plan.melodyCount = 0;

    // Each phrase draws from its own stream, derived from the seed and the phrase index.
    Rng rng(m_seed ^ (0xA0761D6478BD642Full * static_cast<std::uint64_t>(m_index + 1)));

    std::int32_t slotStart[kEighthsPerPhrase + 1];
    for (int s = 0; s <= kEighthsPerPhrase; ++s) {
        slotStart[s] = static_cast<std::int32_t>(
            std::lround(static_cast<double>(s) * plan.frames / kEighthsPerPhrase));
    }

    composeChords(plan, rng);
    for (int bar = 0; bar < 2; ++bar) {
        const std::int32_t from = slotStart[bar * 8];
        const std::int32_t barFrames = slotStart[bar * 8 + 8] - from;
        addPad(plan, rng, plan.start + from, barFrames, plan.chords[static_cast<std::size_t>(bar)]);
    }

    // Bass: the root, once per bar when calm, root and root-or-fifth on beats 1 and 3 above.
    for (int bar = 0; bar < 2; ++bar) {
        const Chord& chord = plan.chords[static_cast<std::size_t>(bar)];
        const int notesInBar = p.intensity < 0.5 ? 1 : 2;
        for (int i = 0; i < notesInBar; ++i) {
            const int slot = bar * 8 + i * (8 / notesInBar);
            const std::int32_t len = slotStart[slot + 8 / notesInBar] - slotStart[slot];
            const int pc = (i == 1 && rng.uniform() < 0.4) ? chord.pcs[2] : chord.pcs[0];
            dsp::Note& n = addNote(plan);
            n.voice = dsp::kBass;
            n.start = plan.start + slotStart[slot];
            n.hold = static_cast<std::int32_t>(len * 0.94);
            n.attack = framesOf(0.06);
            n.release = framesOf(0.9);
            n.phase0[0] = rng.u32();
            n.inc[0] = phaseIncrement(pitchAtOrAbove(pc, 36));
            const double vel = 0.6 + 0.3 * p.intensity;
            panGains(0.0, 0.12 * vel, n.gainL[0], n.gainR[0]);
            n.send = 0.0f;
        }
    }

    composeMelody(plan, rng, slotStart);

    // Soft percussion: a kick on each downbeat from intensity 0.4, on beats 1 and 3 from 0.7.
    if (p.intensity >= 0.4) {
        for (int slot = 0; slot < kEighthsPerPhrase; slot += 4) {
            const bool downbeat = slot % 8 == 0;
            if (!downbeat && p.intensity < 0.7) {
                continue;
            }
            dsp::Note& n = addNote(plan);
            n.voice = dsp::kKick;
            n.start = plan.start + slotStart[slot];
            n.attack = framesOf(0.002);
            n.hold = framesOf(0.25);
            n.release = framesOf(0.3);
            n.decay = 7.0f;
            const double vel = (downbeat ? 1.0 : 0.6) * (0.4 + 0.6 * p.intensity);
            panGains(0.0, 0.28 * vel, n.gainL[0], n.gainR[0]);
            n.send = 0.0f;
        }
    }
    // A noise swell rising through the second bar into the next phrase.
    if (p.intensity >= 0.5 && rng.uniform() < 0.6) {
        dsp::Note& n = addNote(plan);
        n.voice = dsp::kSwell;
        n.start = plan.start + slotStart[8];
        n.hold = plan.frames - slotStart[8];
        n.attack = static_cast<std::int32_t>(n.hold * 0.85);
        n.release = framesOf(0.45);
        n.phase0[0] = rng.u32() | 1u; // noise seeds
        n.phase0[1] = rng.u32() | 1u;
        panGains(0.0, 0.19 * p.intensity, n.gainL[0], n.gainR[0]);
        n.send = 0.7f;
    }
    addBells(plan, rng, slotStart);

    // Every intensity at about the same loudness (-16 LUFS): calm settings have fewer and
    // softer notes, so they are lifted; measured in tst_sound (BS.1770-4, every preset). The
    // slow drift moves the level by up to +-2.5 dB over minutes.
    const auto trim =
        static_cast<float>(loudnessTrim(p.intensity) * std::pow(10.0, 2.5 * plan.energy / 20.0));
    for (int i = 0; i < plan.noteCount; ++i) {
        dsp::Note& n = plan.notes[static_cast<std::size_t>(i)];
        for (int o = 0; o < 3; ++o) {
            n.gainL[o] *= trim;
            n.gainR[o] *= trim;
        }
    }
    finishNotes(plan, 0);
    m_nextStart += plan.frames;
    ++m_index;
}

void Composer::composeChords(PhrasePlan& plan, Rng& rng) {
    const MusicParams& p = plan.params;
    for (int bar = 0; bar < 2; ++bar) {
        if (m_loopBar == 0) {
            // A pass of the loop begins: a new or recalled loop when this one has been heard
            // enough times (or the mode changed), else the same loop, sometimes changed.
            if (m_loop.bars == 0 || m_loopRepeats <= 0 || m_loop.mode != p.mode) {
                newLoop(p, rng);
            } else if (rng.uniform() < 0.2) {
                mutateLoop(rng);
            }
            --m_loopRepeats;
        }
        const int degree = m_loop.degrees[static_cast<std::size_t>(m_loopBar)];
        const double colour = m_loop.colour[static_cast<std::size_t>(m_loopBar)];
        m_loopBar = (m_loopBar + 1) % m_loop.bars;
        Chord& c = plan.chords[static_cast<std::size_t>(bar)];
        c.degree = degree;
        c.size = 3;
        for (int i = 0; i < 3; ++i) {
            c.pcs[static_cast<std::size_t>(i)] = pitchClassOf(p.key, p.mode, degree + 2 * i);
        }
        if (colour < 0.4) {
            c.pcs[3] = pitchClassOf(p.key, p.mode, degree + 6); // seventh
            c.size = 4;
        } else if (colour < 0.7) {
            c.pcs[3] = pitchClassOf(p.key, p.mode, degree + 1); // added ninth
            c.size = 4;
        }
    }
}

void Composer::addPad(PhrasePlan& plan, Rng& rng, std::int64_t barStart, std::int32_t barFrames,
                      const Chord& chord) {
    const int root = pitchAtOrAbove(chord.pcs[0], 48);
    // The voicing drifts over minutes: the upper tones start 2 to 8 semitones above the root
    // (which tone comes first: the inversion above the bass), and when open the second of
    // them rises an octave. The top stays below MIDI 87 (16 partials under Nyquist).
    const int lift = 5 + static_cast<int>(std::lround(3.0 * plan.voicing));
    const bool open = plan.voicing > 0.25;
    for (int i = 0; i < chord.size; ++i) {
        int pitch =
            i == 0 ? root : pitchAtOrAbove(chord.pcs[static_cast<std::size_t>(i)], root + lift);
        if (open && i == 2) {
            pitch += 12;
        }
        while (pitch > kPadTop) {
            pitch -= 12;
        }
        const std::int32_t stagger = framesOf(rng.uniform(0.0, 0.08));
        dsp::Note& n = addNote(plan);
        n.voice = dsp::kPad;
        n.start = barStart + stagger;
        n.hold = barFrames - stagger + framesOf(0.3); // overlap into the next chord
        n.attack = std::min(barFrames / 2, framesOf(1.6));
        n.release = framesOf(2.6);
        const double vel = (i == 0 ? 1.0 : 0.8) * (0.85 + 0.15 * rng.uniform()) *
                           (0.8 + 0.2 * plan.params.intensity);
        constexpr double kDetune[3] = {-7.0, 0.0, 7.0};
        constexpr double kPan[3] = {-0.8, 0.0, 0.8};
        // Chord tones sit apart in the stereo field (the root in the middle), and each
        // tone's detuned oscillators spread around it: a wide pad.
        constexpr double kTonePan[4] = {0.0, -0.6, 0.6, -0.3};
        for (int o = 0; o < 3; ++o) {
            n.phase0[o] = rng.u32();
            n.inc[o] = phaseIncrement(pitch, kDetune[o] + rng.uniform(-2.0, 2.0));
            // The root (the lowest tone) stays near the middle: the low end is mono.
            const double spread = i == 0 ? 0.5 : 1.0;
            const double pan = std::clamp(kTonePan[i] + spread * kPan[o], -1.0, 1.0);
            panGains(pan, 0.075 * vel, n.gainL[o], n.gainR[o]);
        }
    }
}

namespace {

// The pitch `steps` scale steps from `pitch` (which may be off the scale: it first moves to
// the scale tone at or below it).
int scaleStep(int pitch, int steps, int key, Mode mode) {
    while (!inScale(key, mode, ((pitch % 12) + 12) % 12)) {
        --pitch;
    }
    const int dir = steps < 0 ? -1 : 1;
    for (int moved = 0; moved != steps;) {
        pitch += dir;
        if (inScale(key, mode, ((pitch % 12) + 12) % 12)) {
            moved += dir;
        }
    }
    return pitch;
}

// The chord tone nearest to `pitch` (the lower one on a tie).
int nearestChordTone(int pitch, const Chord& chord) {
    for (int d = 0; d < 12; ++d) {
        if (chord.contains(pitch - d)) {
            return pitch - d;
        }
        if (chord.contains(pitch + d)) {
            return pitch + d;
        }
    }
    return pitch;
}

} // namespace

void Composer::composeMelody(PhrasePlan& plan, Rng& rng, std::int32_t slotStart[]) {
    // The melody plays the loop's motif, a cell per bar: each note moves by its step from the
    // one before (voice leading across bars and phrases), notes on the beat land on a chord
    // tone, an approach note sits a semitone below the chord tone that follows it. The slow
    // drift thins or fills the line and moves its register; a cell sometimes changes.
    const MusicParams& p = plan.params;
    const int low = 62 + static_cast<int>(std::lround(4.0 * plan.energy));
    const double keep = std::min(1.0, (0.85 + 0.3 * plan.energy) / 0.85);
    const std::int32_t slotFrames = plan.frames / kEighthsPerPhrase;
    for (int bar = 0; bar < 2; ++bar) {
        MotifCell& cell = m_loop.motif[static_cast<std::size_t>(m_motifBar % kMotifCells)];
        ++m_motifBar;
        if (rng.uniform() < 0.15) {
            mutateMotifCell(cell, rng);
        }
        const Chord& chord = plan.chords[static_cast<std::size_t>(bar)];
        std::array<bool, 8> play{};
        for (std::size_t i = 0; i < 8; ++i) {
            play[i] = cell.on[i] && (i == 0 || rng.uniform() < keep);
        }
        int resolveTo = -1; // the chord tone an approach note leads to
        for (int s = 0; s < 8; ++s) {
            const auto i = static_cast<std::size_t>(s);
            if (!play[i]) {
                continue;
            }
            int pitch = 0;
            if (resolveTo >= 0) {
                pitch = resolveTo; // the approach resolves by a semitone
                resolveTo = -1;
            } else {
                pitch = scaleStep(m_lastPitch, cell.step[i], p.key, p.mode);
                if (s % 2 == 0) {
                    pitch = nearestChordTone(pitch, chord);
                }
                while (pitch < low) {
                    pitch += 12;
                }
                while (pitch > low + 24) {
                    pitch -= 12;
                }
                bool another = false;
                for (std::size_t k = i + 1; k < 8; ++k) {
                    another = another || play[k];
                }
                if (cell.approach[i] && another) {
                    const int target = nearestChordTone(pitch, chord);
                    resolveTo = target;
                    pitch = target - 1;
                }
            }
            const int slot = bar * 8 + s;
            const int len = std::min<int>(cell.length[i], kEighthsPerPhrase - slot);
            plan.melody[static_cast<std::size_t>(plan.melodyCount++)] = {slot, pitch};
            dsp::Note& n = addNote(plan);
            n.voice = dsp::kLead;
            n.start = plan.start + slotStart[slot];
            n.hold = static_cast<std::int32_t>(std::max(1, len) * slotFrames * 0.92);
            n.attack = framesOf(0.025);
            n.release = framesOf(0.5);
            n.phase0[0] = rng.u32();
            n.phase0[1] = rng.u32();
            n.inc[0] = phaseIncrement(pitch);
            n.inc[1] = phaseIncrement(pitch, 6.0);
            n.osc2 = 0.35f;
            n.decay = 0.7f; // a sung or plucked line fades while it is held
            const double vel = 0.5 + 0.4 * p.intensity + rng.uniform(-0.08, 0.08);
            panGains(rng.uniform(-0.7, 0.7), 0.16 * vel, n.gainL[0], n.gainR[0]);
            n.send = 0.55f;
            m_lastPitch = pitch;
        }
    }
}

void Composer::addBells(PhrasePlan& plan, Rng& rng, const std::int32_t slotStart[]) {
    // Bells: sparse high chord tones on the beats (more with intensity), three octave
    // partials panned apart, ringing into the reverb — the air above the pad.
    const MusicParams& p = plan.params;
    const double chance = (0.1 + 0.5 * p.intensity) * (1.0 + 0.3 * plan.energy);
    for (int slot = 0; slot < kEighthsPerPhrase; slot += 2) {
        if (rng.uniform() >= chance) {
            continue;
        }
        const Chord& chord = plan.chords[static_cast<std::size_t>(slot / 8)];
        const int pc = chord.pcs[static_cast<std::size_t>(rng.below(chord.size))];
        const int pitch = pitchAtOrAbove(pc, 81);
        dsp::Note& n = addNote(plan);
        n.voice = dsp::kBell;
        n.start = plan.start + slotStart[slot];
        n.attack = framesOf(0.004);
        n.hold = framesOf(1.2);
        n.release = framesOf(1.2);
        n.decay = 1.6f;
        const double vel = (0.6 + 0.4 * rng.uniform()) * (0.6 + 0.4 * p.intensity);
        const double pan = rng.uniform(-0.9, 0.9);
        constexpr double kLevel[3] = {0.1, 0.1, 0.13};
        for (int o = 0; o < 3; ++o) {
            n.phase0[o] = rng.u32();
            n.inc[o] = phaseIncrement(pitch + 12 * o, o == 0 ? 0.0 : rng.uniform(-3.0, 3.0));
            panGains(o == 1 ? -pan : pan, kLevel[o] * vel, n.gainL[o], n.gainR[o]);
        }
        n.send = 0.6f;
    }
}

} // namespace auralis::synth
