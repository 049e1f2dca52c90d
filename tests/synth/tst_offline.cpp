// Offline render: the WAV file a person listens to, and the `auralis-node render` command.
#include "synth/device.h"
#include "synth/engine.h"
#include "synth/offline.h"

#include <QtTest>

#include <cmath>

#include <QProcess>
#include <QTemporaryDir>

using namespace auralis::synth;

namespace {

std::uint32_t le32(const QByteArray& b, int at) {
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i) {
        v = (v << 8) | static_cast<unsigned char>(b[at + i]);
    }
    return v;
}
std::uint16_t le16(const QByteArray& b, int at) {
    return static_cast<std::uint16_t>(static_cast<unsigned char>(b[at]) |
                                      (static_cast<unsigned char>(b[at + 1]) << 8));
}

struct Run {
    int exitCode = -1;
    QString err;
};

Run node(const QStringList& args) {
    QProcess p;
    p.start(AURALIS_NODE_BIN, args);
    if (!p.waitForFinished(120000)) {
        p.kill();
        return {};
    }
    return {p.exitCode(), QString::fromUtf8(p.readAllStandardError())};
}

} // namespace

class TestOffline : public QObject {
    Q_OBJECT
private slots:
    void writesAPlayableWav() {
        QTemporaryDir dir;
        const QString path = dir.filePath("out.wav");
        SynthEngine engine(1, presetParams(Preset::Focus));
        std::int64_t lastDone = 0;
        int calls = 0;
        const OfflineResult r = renderToWav(engine, path.toStdString(), 10.5,
                                            [&](std::int64_t done, std::int64_t total) {
                                                QVERIFY(done > lastDone && done <= total);
                                                lastDone = done;
                                                ++calls;
                                            });
        QVERIFY2(r.ok, r.error.c_str());
        QCOMPARE(r.frames, std::int64_t{463050});
        QCOMPARE(lastDone, r.frames);
        QVERIFY(calls >= 2);

        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray b = f.readAll();
        QCOMPARE(b.size(), 44 + 463050 * 4);
        QCOMPARE(b.left(4), QByteArray("RIFF"));
        QCOMPARE(le32(b, 4), std::uint32_t(36 + 463050 * 4));
        QCOMPARE(b.mid(8, 8), QByteArray("WAVEfmt "));
        QCOMPARE(le16(b, 20), std::uint16_t{1});     // PCM
        QCOMPARE(le16(b, 22), std::uint16_t{2});     // stereo
        QCOMPARE(le32(b, 24), std::uint32_t{44100}); // rate
        QCOMPARE(le16(b, 34), std::uint16_t{16});    // bits
        QCOMPARE(le32(b, 40), std::uint32_t(463050 * 4));

        // It ends with a fade, not a cut: the last frame is silent, the last second much
        // quieter than the 4 s before the fade, and the fade has no step larger than the music's.
        const auto* s16 = reinterpret_cast<const std::int16_t*>(b.constData() + 44);
        const auto rms = [&](std::int64_t from, std::int64_t to) {
            double sum = 0;
            for (std::int64_t i = 2 * from; i < 2 * to; ++i) {
                sum += double(s16[i]) * s16[i];
            }
            return std::sqrt(sum / double(2 * (to - from)));
        };
        QCOMPARE(s16[2 * 463049], std::int16_t{0});
        QCOMPARE(s16[2 * 463049 + 1], std::int16_t{0});
        const std::int64_t fade = std::llround(kFadeSeconds * 44100);
        const double before = rms(463050 - fade - 44100, 463050 - fade);
        const double last = rms(463050 - 44100, 463050);
        QVERIFY2(last < 0.1 * before, qPrintable(QString("%1 vs %2").arg(last).arg(before)));
    }

    void reportsAnUnwritablePath() {
        SynthEngine engine(1, MusicParams{});
        const OfflineResult r = renderToWav(engine, "/nonexistent-dir/x.wav", 1);
        QVERIFY(!r.ok);
        QVERIFY2(r.error.find("cannot create /nonexistent-dir/x.wav") != std::string::npos,
                 r.error.c_str());
    }

    void commandRendersReproducibly() {
        QTemporaryDir dir;
        const QStringList common = {"render", "--seconds", "3",  "--seed",   "42", "--preset",
                                    "sleep",  "--key",     "Eb", "--device", "cpu"};
        const Run a = node(common + QStringList{"-o", dir.filePath("a.wav")});
        const Run b = node(common + QStringList{"-o", dir.filePath("b.wav")});
        QCOMPARE(a.exitCode, 0);
        QVERIFY2(a.err.contains("wrote"), qPrintable(a.err));
        QVERIFY2(a.err.contains("device: cpu (CPU requested)"), qPrintable(a.err));
        QCOMPARE(b.exitCode, 0);
        QFile fa(dir.filePath("a.wav"));
        QFile fb(dir.filePath("b.wav"));
        QVERIFY(fa.open(QIODevice::ReadOnly) && fb.open(QIODevice::ReadOnly));
        const QByteArray da = fa.readAll();
        QCOMPARE(da.size(), 44 + 3 * 44100 * 4);
        QCOMPARE(da, fb.readAll());
    }

    void commandRejectsBadInput_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        const QStringList r = {"render", "-o", "/tmp/auralis-never-written.wav", "--seconds", "1"};
        QTest::newRow("bpm 0") << r + QStringList{"--bpm", "0"}
                               << "bpm must be a number from 40 to 120";
        QTest::newRow("bpm 500") << r + QStringList{"--bpm", "500"} << "got 500";
        QTest::newRow("mode") << r + QStringList{"--mode", "blues"} << "unknown mode 'blues'";
        QTest::newRow("intensity") << r + QStringList{"--intensity", "2"} << "intensity must be";
        QTest::newRow("key") << r + QStringList{"--key", "13"} << "unknown key '13'";
        QTest::newRow("bpm text") << r + QStringList{"--bpm", "fast"} << "--bpm must be a number";
        QTest::newRow("device") << r + QStringList{"--device", "tpu"} << "--device must be";
        QTest::newRow("seconds") << r + QStringList{"--seconds", "-1"} << "--seconds must be";
        QTest::newRow("seed") << r + QStringList{"--seed", "x"} << "--seed must be";
        QTest::newRow("no output") << QStringList{"render"} << "needs an output file";
        QTest::newRow("bad command") << QStringList{"dance"} << "unknown command 'dance'";
    }
    void commandRejectsBadInput() {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        const Run run = node(args);
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains(message), qPrintable(run.err));
        QVERIFY(!QFile::exists("/tmp/auralis-never-written.wav"));
    }

    void forcedCudaWithoutAGpuIsAClearError() {
        if (builtWithCuda()) {
            // Only meaningful where no GPU is usable; tests/gpu covers machines with one.
            const auto choice = chooseRenderer(DevicePreference::Auto);
            if (std::string(choice.renderer->kind()) == "cuda") {
                QSKIP("a usable GPU is present");
            }
        }
        QTemporaryDir dir;
        const Run run = node({"render", "-o", dir.filePath("x.wav"), "--device", "cuda"});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("CUDA was requested but is not available: "),
                 qPrintable(run.err));
        QVERIFY2(run.err.contains(builtWithCuda() ? "no driver" : "built without CUDA") ||
                     run.err.contains("no device"),
                 qPrintable(run.err));
    }
};

QTEST_GUILESS_MAIN(TestOffline)
#include "tst_offline.moc"
