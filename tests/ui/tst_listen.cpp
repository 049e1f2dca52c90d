// Listening in the app: the playout buffer's rules (target, underruns, overflow, mute and
// the volume ramp), then the `auralis` binary under a private PulseAudio server whose null
// sink is recorded with parec — the music is heard and in the node's key, --mute is silence,
// the node sees the app as a listener at its tier's depth, and with no sound server the app
// says so and works on.
#include "../common/dashboard_report.h"
#include "../common/patience.h"
#include "../common/pulse_server.h"
#include "player/playout_buffer.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

#include <cstdlib>
#include <vector>

using namespace auralis;
using auralis::test::kPatienceMs;

namespace {

constexpr int kRate = 44100;

std::vector<std::int16_t> ramp(std::size_t frames, int from) {
    std::vector<std::int16_t> v(2 * frames);
    for (std::size_t i = 0; i < frames; ++i) {
        v[2 * i] = static_cast<std::int16_t>((from + static_cast<int>(i)) % 30000);
        v[2 * i + 1] = static_cast<std::int16_t>(-v[2 * i]);
    }
    return v;
}
std::vector<std::int16_t> readFrames(player::PlayoutBuffer& b, std::size_t frames) {
    std::vector<std::int16_t> out(2 * frames, 1234);
    b.read(out.data(), frames);
    return out;
}
bool silent(const std::vector<std::int16_t>& v) {
    return std::all_of(v.begin(), v.end(), [](std::int16_t s) { return s == 0; });
}

// Runs the app for `seconds` with `args`; its --report as JSON.
QJsonObject runApp(const QProcessEnvironment& env, const QStringList& args, double seconds,
                   QString* err) {
    QTemporaryDir dir;
    QProcessEnvironment e = env;
    e.insert("QT_QPA_PLATFORM", "offscreen");
    e.insert("XDG_CONFIG_HOME", dir.filePath("config")); // settings of this run only
    QProcess app;
    app.setProcessEnvironment(e);
    app.start(AURALIS_APP_BIN,
              QStringList{"--port", "0", "--bind", "127.0.0.1", "--device", "cpu",
                          "--scrape-interval", "250", "--quit-after", QString::number(seconds),
                          "--report", dir.filePath("report.json")}
                  << args);
    if (!app.waitForFinished(kPatienceMs + static_cast<int>(seconds * 1000)) ||
        app.exitCode() != 0) {
        *err = "the app failed: " + QString::fromUtf8(app.readAllStandardError());
        return {};
    }
    *err = QString::fromUtf8(app.readAllStandardError());
    QFile f(dir.filePath("report.json"));
    f.open(QIODevice::ReadOnly);
    return QJsonDocument::fromJson(f.readAll()).object();
}

// The recording from the first sound on (the app starts, connects and buffers first).
test::Decoded fromFirstSound(const test::Decoded& d, double skipSeconds, double seconds) {
    std::size_t first = 0;
    while (first < d.left.size() && d.left[first] == 0 && d.right[first] == 0) {
        ++first;
    }
    test::Decoded out;
    out.rate = d.rate;
    const std::size_t from = first + static_cast<std::size_t>(skipSeconds * d.rate);
    const std::size_t to =
        std::min(d.left.size(), from + static_cast<std::size_t>(seconds * d.rate));
    if (from < to) {
        out.left.assign(d.left.begin() + static_cast<std::ptrdiff_t>(from),
                        d.left.begin() + static_cast<std::ptrdiff_t>(to));
        out.right.assign(d.right.begin() + static_cast<std::ptrdiff_t>(from),
                         d.right.begin() + static_cast<std::ptrdiff_t>(to));
    }
    return out;
}

} // namespace

class TestListen : public QObject {
    Q_OBJECT
private slots:
    void waitsForTheTargetThenPlaysFromIt() {
        player::PlayoutBuffer b(kRate, 100, 1000); // target 4410 frames
        b.push(ramp(4000, 0).data(), 8000);
        QVERIFY(silent(readFrames(b, 441))); // not yet: below the target
        QVERIFY(!b.isPlaying());
        QCOMPARE(b.underruns(), 0u);           // waiting to start is not running dry
        b.push(ramp(1000, 4000).data(), 2000); // 5000 frames: 590 beyond the target
        const auto out = readFrames(b, 10);
        QVERIFY(b.isPlaying());
        QCOMPARE(b.droppedFrames(), 590u); // piled up unheard, skipped
        QCOMPARE(out[0], std::int16_t{590});
        QCOMPARE(out[1], std::int16_t{-590});
        QCOMPARE(out[18], std::int16_t{599});
        QCOMPARE(b.bufferedMs(), 1000.0 * (4410 - 10) / kRate);
    }

    void runningDryCountsOneUnderrunAndRebuffers() {
        player::PlayoutBuffer b(kRate, 100, 1000);
        b.push(ramp(4410, 0).data(), 2 * 4410);
        readFrames(b, 4000);
        const auto out = readFrames(b, 1000); // 410 left: audio, then silence
        QCOMPARE(b.underruns(), 1u);
        QVERIFY(!b.isPlaying());
        QCOMPARE(out[2 * 409], std::int16_t{4409});
        QCOMPARE(out[2 * 410], std::int16_t{0});
        b.push(ramp(2000, 0).data(), 4000);
        QVERIFY(silent(readFrames(b, 4410))); // rebuffering is silence, and one underrun
        QCOMPARE(b.underruns(), 1u);
        b.push(ramp(2410, 2000).data(), 2 * 2410);
        QVERIFY(!silent(readFrames(b, 100)));
        QVERIFY(b.isPlaying());
    }

    void audioBeyondTheMaximumDropsTheOldest() {
        player::PlayoutBuffer b(kRate, 100, 200); // at most 8820 frames
        b.push(ramp(8000, 0).data(), 16000);
        b.push(ramp(2000, 8000).data(), 4000);
        QCOMPARE(b.droppedFrames(), 1180u);
        QCOMPARE(b.bufferedMs(), 200.0);
        const auto out = readFrames(b, 1); // starts at the target: the newest 100 ms
        QCOMPARE(out[0], std::int16_t{10000 - 4410});
    }

    void muteIsSilentFromTheFirstSampleAndVolumeRamps() {
        player::PlayoutBuffer b(kRate, 500, 1000);
        b.setGain(1.0, true);
        const std::vector<std::int16_t> dc(2 * 44100, 10000);
        b.push(dc.data(), dc.size());
        QVERIFY(silent(readFrames(b, 4410))); // --mute: not even a 10 ms ramp of sound
        b.setGain(0.5, false);
        const auto up = readFrames(b, 882);
        int largestStep = 0;
        for (std::size_t i = 2; i < up.size(); i += 2) {
            largestStep = std::max(largestStep, std::abs(up[i] - up[i - 2]));
        }
        QVERIFY2(largestStep <= 10000 / 441 + 1, qPrintable(QString::number(largestStep)));
        QCOMPARE(up[2 * 881], std::int16_t{5000}); // reached within 10 ms and stays
        QCOMPARE(up[2 * 441 + 1], std::int16_t{5000});
    }

    void theAppPlaysTheNodeInItsKey() {
        if (!test::PulseServer::available()) {
            QSKIP("pulseaudio/parec not installed (packaging/install-deps.sh test installs them)");
        }
        test::PulseServer pulse;
        QVERIFY2(pulse.start(), qPrintable(pulse.error()));
        QVERIFY(pulse.startRecording());
        QString err;
        const QJsonObject r = runApp(pulse.environment(),
                                     {"--key", "D", "--mode", "lydian", "--seed", "11"}, 8, &err);
        QVERIFY2(!r.isEmpty(), qPrintable(err));
        const test::Decoded heard = fromFirstSound(pulse.recorded(), 0.5, 4);
        QVERIFY2(heard.seconds() > 3.9, qPrintable(QString::number(heard.seconds())));
        const QString music = test::checkMusic(heard, 2, synth::Mode::Lydian, 0.8, 0);
        QVERIFY2(music.isEmpty(), qPrintable(music));

        const QJsonObject listen = r.value("listen").toObject();
        qInfo("listen: %s", QJsonDocument(listen).toJson(QJsonDocument::Compact).constData());
        QVERIFY(listen.value("playing").toBool());
        QVERIFY(listen.value("audible").toBool());
        QCOMPARE(listen.value("target_ms").toInt(), 1000);
        // The node sees this computer as a listener at its tier's depth (10 chunks), from the
        // player's own reports.
        const QString id = listen.value("client_id").toString();
        QVERIFY(id.startsWith("dashboard-"));
        QCOMPARE(r.value("depth").toObject().value("legend").toArray(), QJsonArray({id}));
        const double chunks = test::headline(r, "depth");
        QVERIFY2(chunks >= 5 && chunks <= 15, qPrintable(QString::number(chunks)));
    }

    void muteRecordsSilenceWhileStillListening() {
        if (!test::PulseServer::available()) {
            QSKIP("pulseaudio/parec not installed");
        }
        test::PulseServer pulse;
        QVERIFY2(pulse.start(), qPrintable(pulse.error()));
        QVERIFY(pulse.startRecording());
        QString err;
        const QJsonObject r = runApp(pulse.environment(), {"--mute"}, 6, &err);
        QVERIFY2(!r.isEmpty(), qPrintable(err));
        // The null sink's monitor runs while a stream plays into it: seconds of recording are
        // seconds the app played (zeros).
        const test::Decoded heard = pulse.recorded();
        QVERIFY2(heard.seconds() > 2.5, qPrintable(QString::number(heard.seconds())));
        for (std::size_t i = 0; i < heard.left.size(); ++i) {
            QVERIFY2(heard.left[i] == 0 && heard.right[i] == 0,
                     qPrintable(QString("sound at %1 s").arg(double(i) / heard.rate)));
        }
        const QJsonObject listen = r.value("listen").toObject();
        QVERIFY(listen.value("muted").toBool());
        QVERIFY(listen.value("audible").toBool()); // streaming on: unmuting is instant
        QVERIFY(listen.value("status").toString().contains("muted"));
    }

    void withoutASoundServerTheAppSaysSoAndWorksOn() {
        QTemporaryDir nowhere;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("PULSE_SERVER", "unix:" + nowhere.filePath("no-such-socket"));
        QString err;
        const QJsonObject r = runApp(env, {"--demo", "2"}, 4, &err);
        QVERIFY2(!r.isEmpty(), qPrintable(err));
        const QJsonObject listen = r.value("listen").toObject();
        QVERIFY(!listen.value("playing").toBool());
        QVERIFY2(listen.value("status").toString().startsWith("no audio output device"),
                 qPrintable(listen.value("status").toString()));
        QCOMPARE(r.value("connections").toObject().value("value").toString(), QString("2"));
    }
};

QTEST_MAIN(TestListen)
#include "tst_listen.moc"
