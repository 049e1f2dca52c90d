// Composition: melody statistics, harmony from the per-mode chain, determinism, intensity.
#include "synth/composer.h"

#include <QtTest>

#include <algorithm>
#include <cmath>

#include <cstring>
#include <map>
#include <set>
#include <vector>

using namespace auralis::synth;

namespace {

struct Shares {
    double chord = 0;
    double scale = 0;
    double chromatic = 0;
    int notes = 0;
    int chromaticNotes = 0;
    int resolved = 0; // chromatic notes followed by the chord tone a semitone above
};

Shares melodyShares(Composer& c, int phrases) {
    PhrasePlan plan;
    int counts[3] = {0, 0, 0};
    Shares s;
    bool pendingChromatic = false;
    int chromaticPitch = 0;
    for (int i = 0; i < phrases; ++i) {
        c.next(plan);
        for (int m = 0; m < plan.melodyCount; ++m) {
            const MelodyEvent& e = plan.melody[static_cast<std::size_t>(m)];
            const Chord& chord = plan.chords[static_cast<std::size_t>(e.slot / 8)];
            const int pc = e.pitch % 12;
            // Classified from the pitch and the sounding chord, not from the composer's intent.
            const int cat =
                chord.contains(pc) ? 0 : (inScale(plan.params.key, plan.params.mode, pc) ? 1 : 2);
            if (pendingChromatic) {
                s.resolved += e.pitch == chromaticPitch + 1 && cat == 0;
            }
            pendingChromatic = cat == 2;
            chromaticPitch = e.pitch;
            s.chromaticNotes += cat == 2;
            ++counts[cat];
        }
    }
    s.notes = counts[0] + counts[1] + counts[2];
    s.chord = double(counts[0]) / s.notes;
    s.scale = double(counts[1]) / s.notes;
    s.chromatic = double(counts[2]) / s.notes;
    return s;
}

int countVoice(const PhrasePlan& plan, dsp::Voice v) {
    int n = 0;
    for (int i = 0; i < plan.noteCount; ++i) {
        n += plan.notes[static_cast<std::size_t>(i)].voice == v;
    }
    return n;
}

} // namespace

class TestComposer : public QObject {
    Q_OBJECT
private slots:
    void melodySharesPerMode_data() {
        QTest::addColumn<int>("mode");
        for (const Mode m : kAllModes) {
            QTest::newRow(std::string(modeName(m)).c_str()) << static_cast<int>(m);
        }
    }
    void melodySharesPerMode() {
        // The motif's notes on the beat land on chord tones, the others move by scale steps,
        // and the few chromatic notes are approaches: each resolves up a semitone to the
        // next note, a chord tone.
        QFETCH(int, mode);
        MusicParams p;
        p.mode = static_cast<Mode>(mode);
        p.key = mode * 5 % 12;
        p.intensity = 0.7;
        Composer c(1000 + static_cast<std::uint64_t>(mode), p);
        const Shares s = melodyShares(c, 500);
        qInfo("%d notes: chord %.3f scale %.3f chromatic %.3f, %d of %d chromatic resolved",
              s.notes, s.chord, s.scale, s.chromatic, s.resolved, s.chromaticNotes);
        QVERIFY(s.notes > 2000);
        QVERIFY(s.chord >= 0.6);
        QVERIFY(s.chromatic > 0.01 && s.chromatic <= 0.08);
        QCOMPARE(s.resolved, s.chromaticNotes);
    }

    void harmonyStaysInTheModeWithoutCadences_data() { melodySharesPerMode_data(); }
    void harmonyStaysInTheModeWithoutCadences() {
        QFETCH(int, mode);
        MusicParams p;
        p.mode = static_cast<Mode>(mode);
        p.key = 3;
        Composer c(7, p);
        PhrasePlan plan;
        int previous = -1;
        int tonicStarts = 0;
        std::set<int> firstDegrees;
        std::map<int, int> degreeUse;
        const int phrases = 600;
        for (int i = 0; i < phrases; ++i) {
            c.next(plan);
            for (int bar = 0; bar < 2; ++bar) {
                const Chord& chord = plan.chords[static_cast<std::size_t>(bar)];
                QVERIFY(chord.size == 3 || chord.size == 4);
                for (int t = 0; t < chord.size; ++t) {
                    QVERIFY(inScale(p.key, p.mode, chord.pcs[static_cast<std::size_t>(t)]));
                }
                const int fifth = ((chord.pcs[2] - chord.pcs[0]) % 12 + 12) % 12;
                QVERIFY2(fifth == 7, "no diminished or augmented triads");
                QVERIFY2(!(previous == 4 && chord.degree == 0), "V-I cadence");
                if (previous >= 0) {
                    QVERIFY(chordTransitionWeight(p.mode, previous, chord.degree) > 0);
                }
                ++degreeUse[chord.degree];
                previous = chord.degree;
            }
            if (i > 0) {
                firstDegrees.insert(plan.chords[0].degree);
                tonicStarts += plan.chords[0].degree == 0;
            }
        }
        // The tonic is home: chord loops start there, so it is the most used chord (it was
        // the least used when every bar was a fresh draw), yet phrases still start on every
        // degree (loops of 4 and 8 bars are heard from their middles too).
        for (const auto& [degree, uses] : degreeUse) {
            QVERIFY2(degree == 0 || uses < degreeUse[0],
                     qPrintable(QString("degree %1: %2 uses, tonic %3")
                                    .arg(degree)
                                    .arg(uses)
                                    .arg(degreeUse[0])));
        }
        QVERIFY(tonicStarts < phrases * 2 / 3);
        QVERIFY(firstDegrees.size() >= 5);
        QCOMPARE(static_cast<int>(degreeUse.size()), 6); // every degree but the diminished
    }

    void melodyIsOnTheEighthGrid() {
        Composer c(5, presetParams(Preset::Bright));
        PhrasePlan plan;
        for (int i = 0; i < 50; ++i) {
            c.next(plan);
            std::set<std::int64_t> onsets;
            for (int s = 0; s < kEighthsPerPhrase; ++s) {
                onsets.insert(plan.start +
                              std::llround(double(s) * plan.frames / kEighthsPerPhrase));
            }
            for (int n = 0; n < plan.noteCount; ++n) {
                const dsp::Note& note = plan.notes[static_cast<std::size_t>(n)];
                if (note.voice == dsp::kLead) {
                    QVERIFY(onsets.count(note.start));
                }
            }
        }
    }

    void densityVelocityAndPercussionFollowIntensity() {
        struct Stat {
            double melodyPerPhrase = 0;
            double leadGain = 0;
            int kicks = 0;
            int swells = 0;
        };
        auto measure = [](double intensity) {
            MusicParams p;
            p.intensity = intensity;
            Composer c(42, p);
            PhrasePlan plan;
            Stat s;
            int leads = 0;
            for (int i = 0; i < 200; ++i) {
                c.next(plan);
                s.melodyPerPhrase += plan.melodyCount / 200.0;
                s.kicks += countVoice(plan, dsp::kKick);
                s.swells += countVoice(plan, dsp::kSwell);
                for (int n = 0; n < plan.noteCount; ++n) {
                    const dsp::Note& note = plan.notes[static_cast<std::size_t>(n)];
                    if (note.voice == dsp::kLead) {
                        // Velocity within the mix (the loudness trim lifts the whole mix).
                        s.leadGain += (note.gainL[0] + note.gainR[0]) / loudnessTrim(intensity);
                        ++leads;
                    }
                }
            }
            s.leadGain /= leads;
            return s;
        };
        const Stat calm = measure(0.1);
        const Stat mid = measure(0.5);
        const Stat intense = measure(0.95);
        QVERIFY(calm.melodyPerPhrase < mid.melodyPerPhrase);
        QVERIFY(mid.melodyPerPhrase < intense.melodyPerPhrase);
        QVERIFY(calm.leadGain < mid.leadGain && mid.leadGain < intense.leadGain);
        QCOMPARE(calm.kicks, 0);
        QCOMPARE(calm.swells, 0);
        QCOMPARE(mid.kicks, 2 * 200);     // downbeats only
        QCOMPARE(intense.kicks, 4 * 200); // beats 1 and 3
        QVERIFY(intense.swells > 50);
    }

    void theMusicDriftsOverMinutes() {
        // The slow drift: within -1..1, a pure function of seed and time, covering most of
        // its range within ten minutes, and moving little from one phrase to the next.
        double lo = 1;
        double hi = -1;
        double step = 0;
        const std::int64_t phrase = phraseFrames(72);
        for (std::int64_t f = 0; f < 600LL * kSampleRate; f += phrase) {
            const double e = slowEnergy(99, f);
            QVERIFY(e >= -1 && e <= 1);
            QCOMPARE(e, slowEnergy(99, f));
            lo = std::min(lo, e);
            hi = std::max(hi, e);
            if (f > 0) {
                step = std::max(step, std::abs(e - slowEnergy(99, f - phrase)));
            }
        }
        QVERIFY2(hi - lo > 1.0, qPrintable(QString("%1..%2").arg(lo).arg(hi)));
        QVERIFY(step < 0.2);
        QVERIFY(slowEnergy(99, 12345) != slowEnergy(100, 12345)); // the seed sets the phases
        Composer c(99, MusicParams{});
        PhrasePlan plan;
        c.next(plan);
        c.next(plan);
        QCOMPARE(plan.energy, slowEnergy(99, plan.start));
    }

    void thePadVoicingDriftsOverMinutes() {
        // Over ten minutes of focus the pad's voicing changes: how far its first upper tone
        // sits above the root (the inversion) and its span (close or open) take several
        // values, decided per phrase from slowVoicing() alone.
        const std::uint64_t seed = 7;
        Composer c(seed, presetParams(Preset::Focus));
        PhrasePlan plan;
        std::set<int> lifts;
        std::set<int> spans;
        double lo = 1;
        double hi = -1;
        while (plan.start < 600LL * kSampleRate) {
            c.next(plan);
            QCOMPARE(plan.voicing, slowVoicing(seed, plan.start));
            lo = std::min(lo, plan.voicing);
            hi = std::max(hi, plan.voicing);
            for (int bar = 0; bar < 2; ++bar) {
                std::vector<int> pitches;
                const std::int64_t barEnd = plan.start + (bar + 1) * plan.frames / 2;
                for (int n = 0; n < plan.noteCount; ++n) {
                    const dsp::Note& note = plan.notes[static_cast<std::size_t>(n)];
                    const bool inBar =
                        note.start >= barEnd - plan.frames / 2 && note.start < barEnd;
                    if (note.voice == dsp::kPad && inBar) {
                        // The middle oscillator is the tone itself (within 2 cents).
                        const double hz = note.inc[1] * double(kSampleRate) / 4294967296.0;
                        pitches.push_back(int(std::lround(69 + 12 * std::log2(hz / 440.0))));
                    }
                }
                QVERIFY(pitches.size() >= 3);
                std::sort(pitches.begin() + 1, pitches.end());
                lifts.insert(pitches[1] - pitches[0]);
                spans.insert(pitches.back() - pitches[0]);
                QVERIFY(pitches.back() <= 86); // 16 partials stay under Nyquist
            }
        }
        qInfo("first upper tone %d..%d semitones above the root (%d values), span %d..%d",
              *lifts.begin(), *lifts.rbegin(), int(lifts.size()), *spans.begin(), *spans.rbegin());
        QVERIFY2(hi - lo > 1.5, qPrintable(QString("%1..%2").arg(lo).arg(hi)));
        QVERIFY2(lifts.size() >= 3, qPrintable(QString::number(lifts.size()))); // 1 without drift
        QVERIFY2(*spans.rbegin() - *spans.begin() >= 12,
                 qPrintable(QString("%1..%2").arg(*spans.begin()).arg(*spans.rbegin())));
        QVERIFY(slowVoicing(7, 12345) != slowVoicing(8, 12345)); // the seed sets the phase
    }

    void chordLoopsRecurAndChange() {
        // The harmony is made of loops: 8-bar stretches of chords occur again elsewhere
        // (repeated, or recalled), and loops change over time instead of looping for ever.
        Composer c(5, presetParams(Preset::Focus));
        PhrasePlan plan;
        std::vector<int> bars;
        std::vector<int> rhythm; // per bar, the melody's onsets as a bit mask of eighths
        for (int i = 0; i < 300; ++i) {
            c.next(plan);
            bars.push_back(plan.chords[0].degree);
            bars.push_back(plan.chords[1].degree);
            int mask[2] = {0, 0};
            for (int m = 0; m < plan.melodyCount; ++m) {
                const MelodyEvent& e = plan.melody[static_cast<std::size_t>(m)];
                mask[e.slot / 8] |= 1 << (e.slot % 8);
            }
            rhythm.push_back(mask[0]);
            rhythm.push_back(mask[1]);
        }
        // The melody's motif is three bars long: a bar's rhythm is often that of three bars
        // before (the motif again), not always (it changes, and the drift thins it).
        int same = 0;
        for (std::size_t b = 3; b < rhythm.size(); ++b) {
            same += rhythm[b] == rhythm[b - 3];
        }
        const double motif = double(same) / double(rhythm.size() - 3);
        qInfo("%.0f %% of bars repeat the rhythm of three bars before", 100 * motif);
        QVERIFY(motif >= 0.3 && motif <= 0.95);
        const auto window = [&](std::size_t at) {
            return std::vector<int>(bars.begin() + static_cast<std::ptrdiff_t>(at),
                                    bars.begin() + static_cast<std::ptrdiff_t>(at + 8));
        };
        int recurring = 0;
        int windows = 0;
        std::set<std::vector<int>> distinct;
        for (std::size_t a = 0; a + 8 <= bars.size(); a += 8) {
            ++windows;
            distinct.insert(window(a));
            for (std::size_t b = 0; b + 8 <= bars.size(); ++b) {
                if ((b + 8 <= a || a + 8 <= b) && window(a) == window(b)) {
                    ++recurring;
                    break;
                }
            }
        }
        qInfo("%d of %d 8-bar chord windows recur elsewhere; %zu distinct", recurring, windows,
              distinct.size());
        QVERIFY(recurring >= windows / 3);
        QVERIFY(distinct.size() >= static_cast<std::size_t>(windows / 5)); // not one loop
    }

    void sameSeedSamePlans() {
        Composer a(99, presetParams(Preset::Focus));
        Composer b(99, presetParams(Preset::Focus));
        Composer other(100, presetParams(Preset::Focus));
        PhrasePlan pa, pb, po;
        int differing = 0;
        for (int i = 0; i < 100; ++i) {
            a.next(pa);
            b.next(pb);
            other.next(po);
            QCOMPARE(pa.noteCount, pb.noteCount);
            QVERIFY(std::memcmp(pa.notes.data(), pb.notes.data(),
                                sizeof(dsp::Note) * static_cast<std::size_t>(pa.noteCount)) == 0);
            differing +=
                pa.noteCount != po.noteCount ||
                std::memcmp(pa.notes.data(), po.notes.data(),
                            sizeof(dsp::Note) * static_cast<std::size_t>(pa.noteCount)) != 0;
        }
        QVERIFY(differing > 90);
    }

    void parametersChangeOnlyBetweenPhrases() {
        Composer c(3, presetParams(Preset::Sleep));
        PhrasePlan plan;
        c.next(plan);
        const std::int64_t secondStart = plan.start + plan.frames;
        c.setParams(presetParams(Preset::Bright));
        QCOMPARE(plan.params, presetParams(Preset::Sleep)); // the composed phrase is unchanged
        c.next(plan);
        QCOMPARE(plan.params, presetParams(Preset::Bright));
        QCOMPARE(plan.start, secondStart);
        QCOMPARE(plan.frames, phraseFrames(presetParams(Preset::Bright).bpm));
    }

    void padPartialsStayBelowNyquist() {
        for (const Mode m : kAllModes) {
            for (int key = 0; key < 12; ++key) {
                MusicParams p;
                p.mode = m;
                p.key = key;
                Composer c(static_cast<std::uint64_t>(key), p);
                PhrasePlan plan;
                for (int i = 0; i < 20; ++i) {
                    c.next(plan);
                    for (int n = 0; n < plan.noteCount; ++n) {
                        const dsp::Note& note = plan.notes[static_cast<std::size_t>(n)];
                        if (note.voice == dsp::kPad) {
                            for (int o = 0; o < 3; ++o) {
                                // 16 partials in the warm table; 2^31 is Nyquist.
                                QVERIFY(std::uint64_t{note.inc[o]} * 16 < (1ull << 31));
                            }
                        }
                    }
                }
            }
        }
    }
};

QTEST_GUILESS_MAIN(TestComposer)
#include "tst_composer.moc"
