// core::writeNow with parts: what the kernel takes goes at once, the rest waits in Qt's
// buffer, and the peer receives every part in order whether the kernel took all, some or none
// of a write (a peer that stops reading, then drains), and over a buffer Qt already holds.
#include "../common/epoll_test_main.h"
#include "core/write_now.h"
#include "core/ws_connection.h"
#include "protocol/protocol.h"
#include "protocol/ws_frame.h"

#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QtTest>

using namespace auralis;

namespace {

struct Pair {
    QTcpServer server;
    QTcpSocket client;
    QTcpSocket* accepted = nullptr;
    Pair() {
        server.listen(QHostAddress::LocalHost, 0);
        client.connectToHost(QHostAddress::LocalHost, server.serverPort());
        client.waitForConnected(5000);
        server.waitForNewConnection(5000);
        accepted = server.nextPendingConnection();
    }
};

// Message i: a small header of its own, then a shared 17 632-byte body, then a suffix.
QByteArray headerOf(int i) {
    return QByteArray("<msg ") + QByteArray::number(i) + ">";
}

} // namespace

class TestWriteNow : public QObject {
    Q_OBJECT
private slots:
    void partsArriveInOrderThroughAFullKernelBuffer() {
        Pair p;
        QVERIFY(p.accepted != nullptr);
        QByteArray body(17632, '\0');
        for (int i = 0; i < body.size(); ++i) {
            body[i] = static_cast<char>(i * 31 + 7);
        }
        const QByteArray suffix = "</msg>";
        QByteArray expected;
        int buffered = 0;
        constexpr int kMessages = 600; // ~10.6 MB: far more than loopback's socket buffers
        for (int i = 0; i < kMessages; ++i) {
            const QByteArray h = headerOf(i);
            const qint64 n = core::writeNow(p.accepted, {h, body, suffix});
            QCOMPARE(n, h.size() + body.size() + suffix.size());
            expected += h + body + suffix;
            buffered += p.accepted->bytesToWrite() > 0 ? 1 : 0;
        }
        // The kernel stopped taking whole writes at some point: the rest went through Qt.
        QVERIFY(buffered > 0);
        QVERIFY(buffered < kMessages);
        QByteArray received;
        while (received.size() < expected.size()) {
            if (p.client.bytesAvailable() == 0) {
                QVERIFY(p.client.waitForReadyRead(5000) || p.client.bytesAvailable() > 0);
            }
            received += p.client.readAll();
            QCoreApplication::processEvents(); // let the sender drain Qt's buffer
        }
        QCOMPARE(received.size(), expected.size());
        QVERIFY(received == expected);
    }

    void sendPartsIsOneWebSocketFrame() {
        // A binary audio message in two parts (header, shared PCM) and a JSON one in three
        // (prefix, shared base64, suffix) read back as the whole messages the node used to
        // build in one buffer.
        Pair p;
        core::WsConnection ws(p.accepted, 1 << 20, 1000);
        protocol::AudioHeader h;
        h.seq = 42;
        h.ptsMs = 4200;
        h.sentAtMs = 1234567;
        const QByteArray pcm(protocol::kChunkBytes, '\x5a');
        char header[protocol::kBinaryHeaderBytes];
        protocol::writeBinaryHeader(header, h);
        const qint64 a = ws.sendParts(ws::Opcode::Binary,
                                      {QByteArrayView(header, sizeof header), QByteArrayView(pcm)});
        const QByteArray base64 = pcm.toBase64();
        const QByteArray prefix = protocol::audioJsonPrefix(h);
        const qint64 b =
            ws.sendParts(ws::Opcode::Text, {prefix, base64, protocol::kAudioJsonSuffix});
        const QByteArray binary =
            ws::encodeFrame(ws::Opcode::Binary, QByteArray(header, sizeof header) + pcm);
        const QByteArray text = ws::encodeFrame(ws::Opcode::Text, protocol::audioJson(h, base64));
        QCOMPARE(a, binary.size());
        QCOMPARE(b, text.size());
        QCOMPARE(core::WsConnection::frameBytes(protocol::kBinaryHeaderBytes + pcm.size()), a);
        QByteArray received;
        while (received.size() < binary.size() + text.size()) {
            QVERIFY(p.client.waitForReadyRead(5000) || p.client.bytesAvailable() > 0);
            received += p.client.readAll();
        }
        QVERIFY(received == binary + text);
    }
};

AURALIS_TEST_MAIN(TestWriteNow)
#include "tst_write_now.moc"
