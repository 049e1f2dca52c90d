// A node in its own thread behind NodeHost: start and stop report by signals and never make
// the calling thread wait; the port falls back when taken; a stop during start is honoured.
#include "core/node_host.h"
#include "node_harness.h"

#include <QTcpServer>

using namespace auralis;
using namespace auralis::core;
using namespace auralis::test;

namespace {
NodeConfig localConfig(quint16 port = 0) {
    NodeConfig c;
    c.bind = QHostAddress::LocalHost;
    c.port = port;
    c.device = synth::DevicePreference::Cpu;
    return c;
}
} // namespace

class TestNodeHost : public QObject {
    Q_OBJECT
private slots:
    void startsServesAndStopsWithoutBlocking() {
        NodeHost host;
        QSignalSpy started(&host, &NodeHost::started);
        QSignalSpy stopped(&host, &NodeHost::stopped);
        host.start(localConfig(), false);
        QVERIFY(!host.isRunning()); // start() only asks
        QTRY_COMPARE(started.count(), 1);
        QVERIFY(host.isRunning());
        const quint16 port = host.port();
        QCOMPARE(started.at(0).at(0).value<quint16>(), port);

        Peer listener(QUrl(QString("ws://127.0.0.1:%1/ws/stream").arg(port)));
        QTRY_VERIFY(listener.has("welcome"));
        host.stop(300);
        // stop() returned at once: the node is still draining to its listener.
        QCOMPARE(stopped.count(), 0);
        QVERIFY(host.isBusy());
        QTRY_VERIFY(listener.has("shutdown"));
        QTRY_COMPARE(listener.closeCode, 1001);
        QTRY_COMPARE(stopped.count(), 1);
        QVERIFY(!host.isBusy());
        QCOMPARE(host.port(), quint16{0});
    }

    void aTakenPortFallsBackToAFreeOne() {
        QTcpServer squatter;
        QVERIFY(squatter.listen(QHostAddress::LocalHost, 0));
        NodeHost host;
        QSignalSpy started(&host, &NodeHost::started);
        host.start(localConfig(squatter.serverPort()), true);
        QTRY_COMPARE(started.count(), 1);
        QVERIFY(host.port() != squatter.serverPort());
        QVERIFY(host.port() != 0);
    }

    void aTakenPortFailsWhenItWasAskedFor() {
        QTcpServer squatter;
        QVERIFY(squatter.listen(QHostAddress::LocalHost, 0));
        NodeHost host;
        QSignalSpy failed(&host, &NodeHost::failed);
        QSignalSpy stopped(&host, &NodeHost::stopped);
        host.start(localConfig(squatter.serverPort()), false);
        QTRY_COMPARE(failed.count(), 1);
        QVERIFY(failed.at(0).at(0).toString().contains("cannot listen"));
        QTRY_COMPARE(stopped.count(), 1); // the thread is gone too
        QVERIFY(!host.isBusy());
    }

    void stopDuringStartStopsTheNodeWhenItIsUp() {
        NodeHost host;
        QSignalSpy started(&host, &NodeHost::started);
        QSignalSpy stopped(&host, &NodeHost::stopped);
        host.start(localConfig(), false);
        host.stop(0);
        QTRY_COMPARE(stopped.count(), 1);
        QCOMPARE(started.count(), 0);
        QVERIFY(!host.isRunning());
        // And it can start again.
        host.start(localConfig(), false);
        QTRY_COMPARE(started.count(), 1);
    }

    void destroyingARunningHostStopsItsNode() {
        quint16 port = 0;
        {
            NodeHost host;
            QSignalSpy started(&host, &NodeHost::started);
            host.start(localConfig(), false);
            QTRY_COMPARE(started.count(), 1);
            port = host.port();
        }
        QTcpSocket probe;
        probe.connectToHost(QHostAddress::LocalHost, port);
        QVERIFY(!probe.waitForConnected(1000)); // nothing listens there any more
    }
};

QTEST_GUILESS_MAIN(TestNodeHost)
#include "tst_node_host.moc"
