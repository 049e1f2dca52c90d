// The dashboard's watcher treats a node as untrusted input: a /metrics of 256 MiB is cut off
// while it arrives (memory stays bounded), the node's row says why, and another node watched
// beside it keeps updating.
#include "../common/memory.h"
#include "../core/node_harness.h"
#include "monitor/node_watcher.h"

#include <QRegularExpression>
#include <QTcpServer>

using namespace auralis;
using namespace auralis::test;

namespace {

using test::rssMbOf;
using test::withinMemoryBound;

double rssMb() {
    return rssMbOf();
}

// Answers every request with a 256 MiB body, sent as fast as the client takes it.
class HugeMetricsServer : public QObject {
public:
    HugeMetricsServer() {
        server.listen(QHostAddress::LocalHost, 0);
        connect(&server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket* s = server.nextPendingConnection()) {
                connect(s, &QTcpSocket::readyRead, s, [s] {
                    s->readAll();
                    s->write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                             "268435456\r\n\r\n");
                    s->setProperty("left", qint64{268435456});
                    feed(s);
                });
                connect(s, &QTcpSocket::bytesWritten, s, [s] { feed(s); });
                connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
            }
        });
    }
    static void feed(QTcpSocket* s) {
        qint64 left = s->property("left").toLongLong();
        while (left > 0 && s->bytesToWrite() < 4 * 1024 * 1024) {
            const QByteArray line(std::min<qint64>(left, 1 << 20), '#');
            s->write(line);
            left -= line.size();
        }
        s->setProperty("left", left);
    }
    QTcpServer server;
};

} // namespace

class TestWatcherLimits : public QObject {
    Q_OBJECT
private slots:
    void aHugeMetricsIsCutOffAndOthersGoOn() {
        HugeMetricsServer huge;
        auto node = startNode();
        const double rss = rssMb();
        monitor::NodeWatcher bad(QUrl(QString("http://127.0.0.1:%1").arg(huge.server.serverPort())),
                                 200);
        monitor::NodeWatcher good(QUrl(QString("http://127.0.0.1:%1").arg(node->port())), 200);
        QSignalSpy badReach(&bad, &monitor::NodeWatcher::reachability);
        QSignalSpy goodSnapshots(&good, &monitor::NodeWatcher::snapshot);
        bad.start();
        good.start();
        const auto said = [&](const QString& text) {
            return std::any_of(badReach.begin(), badReach.end(), [&](const QList<QVariant>& r) {
                return !r.at(0).toBool() && r.at(1).toString().contains(text);
            });
        };
        QTRY_VERIFY(said("/metrics is larger than 32 MiB"));
        QTRY_VERIFY(said("/api/status is larger than 8 MiB"));
        QTRY_VERIFY(goodSnapshots.count() >= 5);
        QVERIFY2(withinMemoryBound(rssMb() - rss, 100),
                 qPrintable(QString("+%1 MB").arg(rssMb() - rss)));
        bad.stop();
        good.stop();
    }
};

QTEST_GUILESS_MAIN(TestWatcherLimits)
#include "tst_watcher_limits.moc"
