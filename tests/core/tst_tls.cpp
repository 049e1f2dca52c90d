// https and wss on the node's port: a certificate made for the test (openssl), listeners and
// HTTP clients that trust it, refuse it, or are told to accept any; the closing handshake and
// the origin rules over TLS; the dashboard's watcher on an https node.
#include "../common/epoll_test_main.h"
#include "core/tls.h"
#include "monitor/node_watcher.h"
#include "node_harness.h"

#include <QProcess>
#include <QSslCertificate>
#include <QTemporaryDir>

using namespace auralis;
using namespace auralis::core;
using namespace auralis::client;
using namespace auralis::test;

class TestTls : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        QProcess openssl;
        openssl.start("openssl",
                      {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                       "-nodes", "-days", "2", "-subj", "/CN=localhost", "-addext",
                       "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout",
                       m_dir.filePath("key.pem"), "-out", m_dir.filePath("cert.pem")});
        if (!openssl.waitForStarted(kPatienceMs)) {
            QSKIP("openssl is not installed (packaging/install-deps.sh test installs it)");
        }
        QVERIFY(openssl.waitForFinished(kPatienceMs));
        QCOMPARE(openssl.exitCode(), 0);
        QString error;
        m_tls = loadServerTls(m_dir.filePath("cert.pem"), m_dir.filePath("key.pem"), &error);
        QVERIFY2(m_tls, qPrintable(error));
        m_ca = QSslCertificate::fromPath(m_dir.filePath("cert.pem"));
    }

    void badFilesAreRefused() {
        QString error;
        QVERIFY(!loadServerTls(m_dir.filePath("nope.pem"), m_dir.filePath("key.pem"), &error));
        QVERIFY(error.contains("no PEM certificate"));
        QVERIFY(!loadServerTls(m_dir.filePath("cert.pem"), m_dir.filePath("cert.pem"), &error));
        QVERIFY(error.contains("private key"));
    }

    void wssStreamsToAListenerThatTrustsTheNode() {
        auto node = startTlsNode();
        ListenerClient::Options o;
        o.url = QUrl(QString("wss://127.0.0.1:%1/ws/stream").arg(node->port()));
        o.format = protocol::Format::Binary;
        o.reconnect = false;
        o.caCertificates = m_ca;
        SteadyClock clock;
        ListenerClient listener(o, clock);
        listener.start();
        QTRY_VERIFY(listener.stats().chunks >= 15);
        QCOMPARE(listener.stats().gaps, std::uint64_t{0});
    }

    void anUntrustedCertificateIsRefusedUnlessToldOtherwise() {
        auto node = startTlsNode();
        const QUrl url(QString("wss://127.0.0.1:%1/ws/stream").arg(node->port()));
        WsClient strict;
        QSignalSpy failed(&strict, &WsClient::failed);
        strict.open(url);
        QTRY_COMPARE(failed.count(), 1);
        QVERIFY2(failed.at(0).at(0).toString().contains("TLS"),
                 qPrintable(failed.at(0).at(0).toString()));
        WsClient insecure;
        insecure.setTls({}, true);
        QSignalSpy opened(&insecure, &WsClient::opened);
        insecure.open(url);
        QTRY_COMPARE(opened.count(), 1);
        // Plain ws:// to the TLS port gets no WebSocket.
        WsClient plain;
        QSignalSpy plainFailed(&plain, &WsClient::failed);
        plain.open(QUrl(QString("ws://127.0.0.1:%1/ws/stream").arg(node->port())));
        QTRY_COMPARE(plainFailed.count(), 1);
    }

    void closeCodesArriveOverTls() {
        auto node = startTlsNode();
        WsClient ws;
        ws.setTls(m_ca, false);
        int code = -1;
        connect(&ws, &WsClient::closed, this, [&](int c, const QString&) { code = c; });
        QSignalSpy opened(&ws, &WsClient::opened);
        ws.open(QUrl(QString("wss://127.0.0.1:%1/ws/stream").arg(node->port())));
        QTRY_COMPARE(opened.count(), 1);
        ws.sendText(QByteArray(100 * 1024, 'x'));
        QTRY_COMPARE(code, 1009);
        QTRY_COMPARE(node->listenerCount(), 0);
    }

    void httpsServesTheApiAndItsOwnOriginOnly() {
        auto node = startTlsNode();
        QNetworkAccessManager nam;
        const auto request = [&](const QString& path, const QByteArray& origin = {}) {
            QNetworkRequest r(QUrl(QString("https://127.0.0.1:%1%2").arg(node->port()).arg(path)));
            QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
            tls.addCaCertificates(m_ca);
            r.setSslConfiguration(tls);
            r.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
            if (!origin.isEmpty()) {
                r.setRawHeader("Origin", origin);
            }
            return r;
        };
        QNetworkReply* get = nam.get(request("/api/presets"));
        QTRY_VERIFY(get->isFinished());
        QCOMPARE(get->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        const QByteArray own = "https://127.0.0.1:" + QByteArray::number(node->port());
        QNetworkReply* same = nam.post(request("/api/control", own), R"({"bpm":50})");
        QTRY_VERIFY(same->isFinished());
        QCOMPARE(same->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        QNetworkReply* plainOrigin = nam.post(
            request("/api/control", "http://127.0.0.1:" + QByteArray::number(node->port())),
            R"({"bpm":51})");
        QTRY_VERIFY(plainOrigin->isFinished());
        QCOMPARE(plainOrigin->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 403);
        for (QNetworkReply* r : {get, same, plainOrigin}) {
            r->deleteLater();
        }
    }

    void theDashboardWatchesAnHttpsNode() {
        auto node = startTlsNode();
        monitor::NodeWatcher watcher(QUrl(QString("https://127.0.0.1:%1").arg(node->port())), 200);
        watcher.setTrust(m_ca, false);
        QSignalSpy reach(&watcher, &monitor::NodeWatcher::reachability);
        watcher.start();
        QTRY_VERIFY(!reach.isEmpty());
        QVERIFY2(reach.last().at(0).toBool(), qPrintable(reach.last().at(1).toString()));
        watcher.stop();
    }

private:
    std::unique_ptr<Node> startTlsNode() {
        NodeConfig config;
        config.tls = m_tls;
        return startNode(config);
    }

    QTemporaryDir m_dir;
    std::optional<QSslConfiguration> m_tls;
    QList<QSslCertificate> m_ca;
};

AURALIS_TEST_MAIN(TestTls)
#include "tst_tls.moc"
