// The executables as a user runs them: auralis-node serving and stopping on SIGTERM,
// auralis-client listening and load testing, and their errors for bad arguments.
#include "client/loadgen.h"
#include "node_harness.h"

#include <QProcess>
#include <QTemporaryDir>

using namespace auralis;
using namespace auralis::core;
using namespace auralis::client;
using namespace auralis::test;

namespace {

// Starts auralis-node on a free port and returns it once it printed its address.
quint16 startNodeProcess(QProcess& p, const QStringList& extra = {}) {
    p.start(AURALIS_NODE_BIN,
            QStringList{"--port", "0", "--bind", "127.0.0.1", "--device", "cpu"} + extra);
    if (!p.waitForStarted(kPatienceMs)) {
        return 0;
    }
    QByteArray out;
    while (!out.contains('\n') && p.waitForReadyRead(kPatienceMs)) {
        out += p.readAllStandardOutput();
    }
    const qsizetype colon = out.lastIndexOf(':', out.indexOf(" (WebSocket"));
    return static_cast<quint16>(out.mid(colon + 1, out.indexOf(' ', colon) - colon - 1).toUInt());
}

} // namespace

class TestCli : public QObject {
    Q_OBJECT
private slots:
    void nodeServesAndStopsCleanlyOnSigterm() {
        QProcess node;
        const quint16 port = startNodeProcess(node);
        QVERIFY(port > 0);
        Peer peer(QUrl(QString("ws://127.0.0.1:%1/ws/stream").arg(port)));
        QTRY_VERIFY(peer.seqs.size() >= 10);
        node.terminate(); // SIGTERM
        QTRY_VERIFY(peer.has("shutdown"));
        QTRY_COMPARE(peer.closeCode, 1001);
        QTRY_VERIFY_WITH_TIMEOUT(node.state() == QProcess::NotRunning, kPatienceMs);
        QCOMPARE(node.exitStatus(), QProcess::NormalExit);
        QCOMPARE(node.exitCode(), 0);
        const QByteArray log = node.readAllStandardError();
        QVERIFY2(log.contains("SIGTERM received"), log.constData());
        QVERIFY(log.contains("INFO  auralis.node: listener"));
    }

    void nodeRejectsBadArguments_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        QTest::newRow("port") << QStringList{"--port", "70000"}
                              << "--port must be a port 0-65535 (0: any free port), got '70000'";
        QTest::newRow("bind") << QStringList{"--bind", "nowhere"} << "--bind must be an IP address";
        QTest::newRow("clients") << QStringList{"--max-clients", "0"} << "--max-clients must be";
        QTest::newRow("log level") << QStringList{"--log-level", "loud"} << "--log-level must be";
        QTest::newRow("bpm") << QStringList{"--bpm", "500"} << "from 40 to 120";
        QTest::newRow("command") << QStringList{"dance"} << "unknown command 'dance'";
        QTest::newRow("render longer than a WAV holds")
            << QStringList{"render", "-o", "x.wav", "--seconds", "30000"}
            << "--seconds must be a number from 0.001 to 24347";
        QTest::newRow("pacing slot not a divisor")
            << QStringList{"--pacing-slot-ms", "3"} << "--pacing-slot-ms must divide the 100 ms";
        QTest::newRow("pacing slot too long")
            << QStringList{"--pacing-slot-ms", "60"} << "--pacing-slot-ms must be an integer";
        QTest::newRow("no I/O thread")
            << QStringList{"--io-threads", "0"} << "--io-threads must be an integer from 1 to 64";
        QTest::newRow("opus bitrate") << QStringList{"--opus-bitrate", "5"}
                                      << "--opus-bitrate must be an integer from 6 to 510";
        QTest::newRow("icecast scheme") << QStringList{"--icecast", "ftp://s:p@h/m.ogg"}
                                        << "--icecast: an Icecast mount URL such as http://";
        QTest::newRow("icecast password") << QStringList{"--icecast", "http://h:8000/m.ogg"}
                                          << "--icecast: the URL needs the source password";
        QTest::newRow("stream name") << QStringList{"--stream-name", QString(201, 'n')}
                                     << "--stream-name and --stream-description are one line";
    }
    void nodeRejectsBadArguments() {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        QProcess p;
        p.start(AURALIS_NODE_BIN, args);
        QVERIFY(p.waitForFinished(kPatienceMs));
        QCOMPARE(p.exitCode(), 2);
        QVERIFY2(QString::fromUtf8(p.readAllStandardError()).contains(message),
                 qPrintable(message));
    }

    void aPortInUseIsAClearError() {
        QProcess first;
        const quint16 port = startNodeProcess(first);
        QVERIFY(port > 0);
        QProcess second;
        second.start(AURALIS_NODE_BIN,
                     {"--port", QString::number(port), "--bind", "127.0.0.1", "--device", "cpu"});
        QVERIFY(second.waitForFinished(kPatienceMs));
        QCOMPARE(second.exitCode(), 1);
        QVERIFY(second.readAllStandardError().contains("cannot listen on 127.0.0.1:" +
                                                       QByteArray::number(port)));
        first.terminate();
        QVERIFY(first.waitForFinished(kPatienceMs));
    }

    void clientListensAndWritesAWav() {
        auto node = startNode();
        QTemporaryDir dir;
        QProcess client;
        client.start(AURALIS_CLIENT_BIN, {"--url", streamUrl(*node).toString(), "-o",
                                          dir.filePath("x.wav"), "--duration", "1.5", "--quiet"});
        QTRY_VERIFY_WITH_TIMEOUT(client.state() == QProcess::NotRunning, kPatienceMs);
        QCOMPARE(client.exitCode(), 0);
        const QByteArray err = client.readAllStandardError();
        QVERIFY2(err.contains("0 gaps"), err.constData());
        QFile wav(dir.filePath("x.wav"));
        QVERIFY(wav.open(QIODevice::ReadOnly));
        // The burst (1 s) plus about 1.5 s: whole chunks of 17 640 bytes after the header.
        QVERIFY(wav.size() > 44 + 20 * 17640);
        QCOMPARE((wav.size() - 44) % 17640, 0);
    }

    void renderWritesAWavToStandardOutput() {
        QProcess render;
        render.start(AURALIS_NODE_BIN,
                     {"render", "-o", "-", "--seconds", "0.5", "--device", "cpu"});
        QVERIFY(render.waitForFinished(kPatienceMs));
        QCOMPARE(render.exitCode(), 0);
        const QByteArray wav = render.readAllStandardOutput();
        QCOMPARE(wav.size(), qsizetype{44 + 22050 * 4});
        QVERIFY(wav.startsWith("RIFF"));
        const auto byte = [&wav](int at) { return static_cast<uchar>(wav.at(at)); };
        // The header announces exactly the data that follows (it cannot be patched later).
        QCOMPARE(byte(40) | byte(41) << 8 | byte(42) << 16 | byte(43) << 24, 22050 * 4);
        QVERIFY(render.readAllStandardError().contains("wrote standard output"));
    }

    void icecastUrlFromTheEnvironmentNeverShowsThePassword() {
        QProcess node;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("AURALIS_ICECAST", "http://source:sekrit-pw@127.0.0.1:1/a.ogg");
        node.setProcessEnvironment(env);
        const quint16 port = startNodeProcess(node);
        QVERIFY(port > 0);
        // Port 1 refuses: the node says so, keeps retrying, and serves its own listeners.
        QByteArray err;
        QTRY_VERIFY_WITH_TIMEOUT((err += node.readAllStandardError()).contains("retrying in"),
                                 kPatienceMs);
        QVERIFY2(err.contains("Icecast source for http://source@127.0.0.1:1/a.ogg"),
                 err.constData());
        QNetworkAccessManager nam;
        const SyncReply status =
            syncRequest(nam, QUrl(QString("http://127.0.0.1:%1/api/status").arg(port)));
        QCOMPARE(status.status, 200);
        QVERIFY(status.body.contains("\"icecast\""));
        QVERIFY(!status.body.contains("sekrit-pw"));
        node.terminate();
        QVERIFY(node.waitForFinished(kPatienceMs));
        err += node.readAllStandardError();
        QVERIFY(!err.contains("sekrit-pw"));

        QProcess bad;
        env.insert("AURALIS_ICECAST", "http://127.0.0.1:1/a.ogg");
        bad.setProcessEnvironment(env);
        bad.start(AURALIS_NODE_BIN, {"--port", "0", "--bind", "127.0.0.1"});
        QVERIFY(bad.waitForFinished(kPatienceMs));
        QCOMPARE(bad.exitCode(), 2);
        QVERIFY(
            bad.readAllStandardError().contains("--icecast: the URL needs the source password"));
    }

    void clientListensToOpusAndWritesA48kHzWav() {
        auto node = startNode();
        QTemporaryDir dir;
        QProcess client;
        client.start(AURALIS_CLIENT_BIN,
                     {"--url", streamUrl(*node).toString(), "--format", "opus", "-o",
                      dir.filePath("o.wav"), "--duration", "2", "--quiet"});
        QTRY_VERIFY_WITH_TIMEOUT(client.state() == QProcess::NotRunning, kPatienceMs);
        QCOMPARE(client.exitCode(), 0);
        const QByteArray err = client.readAllStandardError();
        QVERIFY2(err.contains("(opus, tier normal") && err.contains("0 gaps, 0 node underruns"),
                 err.constData());
        QFile wav(dir.filePath("o.wav"));
        QVERIFY(wav.open(QIODevice::ReadOnly));
        const QByteArray header = wav.read(44);
        QCOMPARE(header.size(), qsizetype{44});
        const auto byte = [&header](int at) { return static_cast<uchar>(header.at(at)); };
        QCOMPARE(byte(24) | byte(25) << 8 | byte(26) << 16 | byte(27) << 24, 48000); // the rate
        // The burst (1 s) and about 2 s, decoded: at least 2.5 s of 48 kHz stereo s16.
        QVERIFY2(wav.size() > 44 + 240000 * 4 / 2, qPrintable(QString::number(wav.size())));
    }

    void clientLoadModePrintsASummary() {
        auto node = startNode();
        QProcess client;
        client.start(AURALIS_CLIENT_BIN,
                     {"--url", streamUrl(*node).toString(), "--clients", "5", "--duration", "1.5",
                      "--jitter-ms", "20", "--impaired", "0.4"});
        QTRY_VERIFY_WITH_TIMEOUT(client.state() == QProcess::NotRunning, kPatienceMs);
        QCOMPARE(client.exitCode(), 0);
        const QJsonObject summary =
            QJsonDocument::fromJson(client.readAllStandardOutput()).object();
        QCOMPARE(summary.value("clients").toInt(), 5);
        QCOMPARE(summary.value("overall").toObject().value("gaps").toInt(), 0);
        int impaired = 0;
        for (const QJsonValue l : summary.value("listeners").toArray()) {
            impaired += l.toObject().value("impaired").toBool() ? 1 : 0;
            QVERIFY(l.toObject().value("chunks").toInt() >= 15);
        }
        QCOMPARE(impaired, 2);
    }

    void clientLoadModeEndsOnSigterm() {
        // The dashboard's demo is stopped this way: every listener closes, the summary is
        // printed, and the program ends (it used to keep streaming until killed).
        auto node = startNode();
        QProcess client;
        client.start(AURALIS_CLIENT_BIN, {"--url", streamUrl(*node).toString(), "--clients", "4",
                                          "--duration", "86400", "--log-level", "error"});
        QTRY_COMPARE(node->listenerCount(), 4);
        client.terminate();
        QVERIFY(client.waitForFinished(kPatienceMs));
        QCOMPARE(client.exitStatus(), QProcess::NormalExit);
        const QJsonObject summary =
            QJsonDocument::fromJson(client.readAllStandardOutput()).object();
        QCOMPARE(summary.value("clients").toInt(), 4);
        QTRY_COMPARE(node->listenerCount(), 0);
    }

    void loadArgumentsAreWhatTheClientReads() {
        // The dashboard's demo starts auralis-client with loadArguments(): the real program
        // must read them back as the same run.
        auto node = startNode();
        LoadOptions o;
        o.url = streamUrl(*node);
        o.clients = 3;
        o.durationSeconds = 1.5;
        o.format = protocol::Format::Json;
        o.tier = protocol::Tier::Minimal;
        o.idPrefix = "roundtrip";
        o.impairment.jitterMs = 10;
        o.impairedFraction = 1.0 / 3.0;
        o.noReadFraction = 0;
        o.rampMs = 30;
        QProcess client;
        client.start(AURALIS_CLIENT_BIN, loadArguments(o));
        QTRY_VERIFY_WITH_TIMEOUT(client.state() == QProcess::NotRunning, kPatienceMs);
        QCOMPARE(client.exitCode(), 0);
        const QJsonObject summary =
            QJsonDocument::fromJson(client.readAllStandardOutput()).object();
        QCOMPARE(summary.value("clients").toInt(), 3);
        QCOMPARE(summary.value("format").toString(), QString("json"));
        QCOMPARE(summary.value("tier").toString(), QString("minimal"));
        int impaired = 0;
        for (const QJsonValue l : summary.value("listeners").toArray()) {
            QVERIFY(l.toObject().value("client_id").toString().startsWith("roundtrip-"));
            impaired += l.toObject().value("impaired").toBool() ? 1 : 0;
        }
        QCOMPARE(impaired, 1);
    }

    void aNodeOnTheNetworkGeneratesItsOperatorToken() {
        // Bound beyond loopback with no token: one is generated, stored owner-only in the state
        // directory, and an operator link is printed; control needs it, listening does not.
        QTemporaryDir state;
        QProcess node;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("XDG_STATE_HOME", state.path());
        env.remove("STATE_DIRECTORY");
        env.remove("AURALIS_CONTROL_TOKEN");
        node.setProcessEnvironment(env);
        node.start(AURALIS_NODE_BIN, {"--port", "0", "--bind", "0.0.0.0", "--device", "cpu"});
        QByteArray out;
        while (!out.contains('\n') && node.waitForReadyRead(kPatienceMs)) {
            out += node.readAllStandardOutput();
        }
        const quint16 port = static_cast<quint16>(
            out.mid(out.lastIndexOf(':') + 1,
                    out.indexOf(' ', out.lastIndexOf(':')) - out.lastIndexOf(':') - 1)
                .toUInt());
        QVERIFY2(port > 0, out.constData());
        const QString path = state.filePath("auralis/control-token");
        QFile file(path);
        QVERIFY(file.exists());
        QCOMPARE(file.permissions() &
                     (QFile::ReadGroup | QFile::ReadOther | QFile::WriteGroup | QFile::WriteOther),
                 QFile::Permissions());
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray token = file.readAll().trimmed();
        QCOMPARE(token.size(), 43);
        QByteArray err;
        QTRY_VERIFY((err += node.readAllStandardError()).contains("operator link"));
        QVERIFY2(err.contains("?token=" + token), err.constData());
        QVERIFY(err.contains(path.toUtf8()));

        QNetworkAccessManager nam;
        const QUrl control(QString("http://127.0.0.1:%1/api/control").arg(port));
        SyncReply r = syncRequest(nam, control, "POST", R"({"bpm":60})");
        QCOMPARE(r.status, 401);
        QNetworkRequest authorised(control);
        authorised.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
        authorised.setRawHeader("Authorization", "Bearer " + token);
        QNetworkReply* ok = nam.post(authorised, QByteArray(R"({"bpm":60})"));
        QTRY_VERIFY(ok->isFinished());
        QCOMPARE(ok->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        ok->deleteLater();
        node.terminate();
        QVERIFY(node.waitForFinished(kPatienceMs));

        // The next start reuses the stored token: operator links keep working.
        QProcess again;
        again.setProcessEnvironment(env);
        again.start(AURALIS_NODE_BIN, {"--port", "0", "--bind", "0.0.0.0", "--device", "cpu"});
        QByteArray err2;
        QTRY_VERIFY((err2 += again.readAllStandardError()).contains("operator link"));
        QVERIFY(err2.contains("?token=" + token));
        again.terminate();
        QVERIFY(again.waitForFinished(kPatienceMs));
    }

    void clientRejectsBadArguments_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        QTest::newRow("url") << QStringList{"--url", "http://x"}
                             << "--url must be a stream URL such as ws://";
        QTest::newRow("format") << QStringList{"--format", "mp3"}
                                << "--format must be json, binary or opus";
        QTest::newRow("tier") << QStringList{"--tier", "huge"} << "--tier must be";
        QTest::newRow("clients") << QStringList{"--clients", "0"} << "--clients must be an integer";
        QTest::newRow("stall") << QStringList{"--stall-ms", "100"} << "go together";
        QTest::newRow("id prefix too long")
            << QStringList{"--clients", "2", "--id-prefix", QString(51, 'p')}
            << "--id-prefix must be 1-50 characters";
        QTest::newRow("id prefix characters")
            << QStringList{"--clients", "2", "--id-prefix", "a b"} << "--id-prefix must be";
        QTest::newRow("duration") << QStringList{"--duration", "-3"}
                                  << "--duration must be a number";
    }
    void clientRejectsBadArguments() {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        QProcess p;
        p.start(AURALIS_CLIENT_BIN, args);
        QVERIFY(p.waitForFinished(kPatienceMs));
        QCOMPARE(p.exitCode(), 2);
        QVERIFY2(QString::fromUtf8(p.readAllStandardError()).contains(message),
                 qPrintable(message));
    }

    void clientReconnectsWhenTheNodeComesBack() {
        QProcess node;
        const quint16 port = startNodeProcess(node);
        QVERIFY(port > 0);
        SteadyClock clock;
        ListenerClient::Options o;
        o.url = QUrl(QString("ws://127.0.0.1:%1/ws/stream").arg(port));
        o.backoffInitialMs = 100;
        ListenerClient listener(o, clock);
        QSignalSpy welcomed(&listener, &ListenerClient::welcomed);
        QSignalSpy reconnecting(&listener, &ListenerClient::reconnecting);
        listener.start();
        QTRY_COMPARE(welcomed.count(), 1);
        node.terminate();
        QVERIFY(node.waitForFinished(kPatienceMs));
        QTRY_VERIFY_WITH_TIMEOUT(reconnecting.count() >= 2,
                                 kPatienceMs); // it keeps trying, backing off
        QProcess again;
        again.start(AURALIS_NODE_BIN,
                    {"--port", QString::number(port), "--bind", "127.0.0.1", "--device", "cpu"});
        QTRY_VERIFY_WITH_TIMEOUT(welcomed.count() == 2, kPatienceMs);
        QCOMPARE(listener.stats().connects, 2);
        again.terminate();
        QVERIFY(again.waitForFinished(kPatienceMs));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
