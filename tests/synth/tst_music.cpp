// Parameters: parsing, validation with clear errors, presets, all-or-nothing updates.
#include "synth/music.h"

#include <QtTest>

using namespace auralis::synth;

Q_DECLARE_METATYPE(ParamUpdate)

class TestMusic : public QObject {
    Q_OBJECT
private slots:
    void badUpdatesAreRefusedWithTheField_data() {
        QTest::addColumn<ParamUpdate>("update");
        QTest::addColumn<QString>("field");
        QTest::addColumn<QString>("messagePart");
        auto bpm = [](double v) {
            ParamUpdate u;
            u.bpm = v;
            return u;
        };
        auto intensity = [](double v) {
            ParamUpdate u;
            u.intensity = v;
            return u;
        };
        auto key = [](const char* v) {
            ParamUpdate u;
            u.key = v;
            return u;
        };
        auto mode = [](const char* v) {
            ParamUpdate u;
            u.mode = v;
            return u;
        };
        auto preset = [](const char* v) {
            ParamUpdate u;
            u.preset = v;
            return u;
        };
        QTest::newRow("bpm 0") << bpm(0) << "bpm"
                               << "from 40 to 120, got 0";
        QTest::newRow("bpm 500") << bpm(500) << "bpm"
                                 << "got 500";
        QTest::newRow("bpm 39.9") << bpm(39.9) << "bpm"
                                  << "got 39.9";
        QTest::newRow("bpm nan") << bpm(std::nan("")) << "bpm"
                                 << "from 40 to 120";
        QTest::newRow("intensity 2") << intensity(2) << "intensity"
                                     << "from 0 to 1, got 2";
        QTest::newRow("intensity -0.1") << intensity(-0.1) << "intensity"
                                        << "got -0.1";
        QTest::newRow("intensity inf") << intensity(INFINITY) << "intensity"
                                       << "from 0 to 1";
        QTest::newRow("key 13") << key("13") << "key"
                                << "unknown key '13'";
        QTest::newRow("key 12") << key("12") << "key"
                                << "0-11";
        QTest::newRow("key H") << key("H") << "key"
                               << "unknown key 'H'";
        QTest::newRow("key C##") << key("C##") << "key"
                                 << "unknown key";
        QTest::newRow("key empty") << key("") << "key"
                                   << "unknown key";
        QTest::newRow("mode blues") << mode("blues") << "mode"
                                    << "unknown mode 'blues'";
        QTest::newRow("preset x") << preset("party") << "preset"
                                  << "unknown preset 'party'";
    }
    void badUpdatesAreRefusedWithTheField() {
        QFETCH(ParamUpdate, update);
        QFETCH(QString, field);
        QFETCH(QString, messagePart);
        const MusicParams before = presetParams(Preset::Sleep, 4);
        MusicParams out = before;
        const auto error = applyUpdate(before, update, out);
        QVERIFY(error.has_value());
        QCOMPARE(QString::fromStdString(error->field), field);
        QVERIFY2(QString::fromStdString(error->message).contains(messagePart),
                 error->message.c_str());
        QCOMPARE(out, before);
    }

    void anUpdateIsAllOrNothing() {
        const MusicParams before;
        MusicParams out = before;
        ParamUpdate u;
        u.key = "D";
        u.mode = "lydian";
        u.bpm = 60;
        u.intensity = 7; // the last field is bad: nothing of the rest may apply
        QVERIFY(applyUpdate(before, u, out).has_value());
        QCOMPARE(out, before);
        u.intensity = 0.2;
        QVERIFY(!applyUpdate(before, u, out).has_value());
        QCOMPARE(out.key, 2);
        QCOMPARE(out.mode, Mode::Lydian);
        QCOMPARE(out.bpm, 60.0);
        QCOMPARE(out.intensity, 0.2);
    }

    void presetFirstThenExplicitFields() {
        ParamUpdate u;
        u.preset = "Sleep";
        u.bpm = 50;
        MusicParams out;
        QVERIFY(!applyUpdate(MusicParams{}, u, out).has_value());
        const MusicParams sleep = presetParams(Preset::Sleep, MusicParams{}.key);
        QCOMPARE(out.mode, sleep.mode);
        QCOMPARE(out.intensity, sleep.intensity);
        QCOMPARE(out.bpm, 50.0);
        QCOMPARE(out.preset, Preset::Sleep);
    }

    void presetsAreInRange() {
        for (const Preset p : kAllPresets) {
            const MusicParams m = presetParams(p);
            QVERIFY(m.bpm >= kMinBpm && m.bpm <= kMaxBpm);
            QVERIFY(m.intensity >= 0 && m.intensity <= 1);
            QCOMPARE(parsePreset(presetName(p)), std::optional<Preset>(p));
        }
    }

    void keys_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<int>("pc");
        QTest::newRow("C") << "C" << 0;
        QTest::newRow("c#") << "c#" << 1;
        QTest::newRow("Db") << "Db" << 1;
        QTest::newRow("Bb") << "Bb" << 10;
        QTest::newRow("B") << "B" << 11;
        QTest::newRow("Cb") << "Cb" << 11;
        QTest::newRow("E#") << "E#" << 5;
        QTest::newRow("0") << "0" << 0;
        QTest::newRow("11") << "11" << 11;
    }
    void keys() {
        QFETCH(QString, text);
        QFETCH(int, pc);
        QCOMPARE(parseKey(text.toStdString()), std::optional<int>(pc));
    }

    void modesHaveSevenTonesAndOneDiminishedTriad() {
        const std::map<Mode, int> diminished = {{Mode::Ionian, 6},     {Mode::Dorian, 5},
                                                {Mode::Phrygian, 4},   {Mode::Lydian, 3},
                                                {Mode::Mixolydian, 2}, {Mode::Aeolian, 1}};
        for (const Mode m : kAllModes) {
            QCOMPARE(parseMode(modeName(m)), std::optional<Mode>(m));
            int tones = 0;
            for (int pc = 0; pc < 12; ++pc) {
                tones += inScale(7, m, pc);
            }
            QCOMPARE(tones, 7);
            QCOMPARE(diminishedDegree(m), diminished.at(m));
        }
    }

    void phraseIsEightBeats() {
        QCOMPARE(phraseFrames(60), 8 * 44100);
        QCOMPARE(phraseFrames(120), 4 * 44100);
        QCOMPARE(phraseFrames(40), kMaxPhraseFrames);
    }
};

QTEST_GUILESS_MAIN(TestMusic)
#include "tst_music.moc"
