// RFC 6455 framing: encoding, the incremental reader in both roles (masking rules, control
// frames, fragmentation, limits, UTF-8, close payloads) and discarding after an error.
#include "protocol/ws_frame.h"

#include <QtTest>

using namespace auralis::ws;
using Kind = FrameReader::Event::Kind;

namespace {
const quint32 kMask = 0x37fa213d;

// Feeds `bytes` one byte at a time (the worst case for an incremental parser) and collects
// every event.
std::vector<FrameReader::Event> readAll(FrameReader& r, const QByteArray& bytes) {
    std::vector<FrameReader::Event> events;
    for (const char c : bytes) {
        r.append(QByteArrayView(&c, 1));
        for (auto e = r.next(); e.kind != Kind::None; e = r.next()) {
            events.push_back(std::move(e));
        }
    }
    return events;
}

QByteArray fragment(Opcode opcode, const QByteArray& payload, bool fin) {
    QByteArray f = encodeFrame(opcode, payload, &kMask);
    if (!fin) {
        f[0] = static_cast<char>(f[0] & 0x7F);
    }
    return f;
}
} // namespace

class TestWsFrame : public QObject {
    Q_OBJECT
private slots:
    void headerLengths_data() {
        QTest::addColumn<qint64>("length");
        QTest::addColumn<int>("headerBytes");
        QTest::newRow("0") << qint64{0} << 2;
        QTest::newRow("125") << qint64{125} << 2;
        QTest::newRow("126") << qint64{126} << 4;
        QTest::newRow("65535") << qint64{65535} << 4;
        QTest::newRow("65536") << qint64{65536} << 10;
        QTest::newRow("17672") << qint64{17672} << 4;
    }
    void headerLengths() {
        QFETCH(qint64, length);
        QFETCH(int, headerBytes);
        QCOMPARE(frameHeader(Opcode::Binary, length).size(), headerBytes);
        QCOMPARE(frameHeader(Opcode::Binary, length, &kMask).size(), headerBytes + 4);
        // Server frames (no mask) read back by a client, whole.
        const QByteArray payload(static_cast<qsizetype>(length), 'a');
        FrameReader client(FrameReader::Role::Client, 1 << 20);
        client.append(encodeFrame(Opcode::Binary, payload));
        const auto e = client.next();
        QCOMPARE(e.kind, Kind::Binary);
        QCOMPARE(e.payload, payload);
        QCOMPARE(client.next().kind, Kind::None);
    }

    void maskedTextRoundTripsByteByByte() {
        FrameReader server(FrameReader::Role::Server, 1024);
        const QByteArray text = "{\"type\":\"ping\",\"é\":\"✓\"}";
        const auto events = readAll(server, encodeFrame(Opcode::Text, text, &kMask));
        QCOMPARE(events.size(), std::size_t{1});
        QCOMPARE(events[0].kind, Kind::Text);
        QCOMPARE(events[0].payload, text);
    }

    void fragmentsWithAPingBetweenThem() {
        FrameReader server(FrameReader::Role::Server, 1024);
        const QByteArray stream = fragment(Opcode::Text, "hel", false) +
                                  encodeFrame(Opcode::Ping, "p", &kMask) +
                                  fragment(Opcode::Continuation, "lo ", false) +
                                  fragment(Opcode::Continuation, "world", true);
        const auto events = readAll(server, stream);
        QCOMPARE(events.size(), std::size_t{2});
        QCOMPARE(events[0].kind, Kind::Ping); // control frames may interleave
        QCOMPARE(events[0].payload, QByteArray("p"));
        QCOMPARE(events[1].kind, Kind::Text);
        QCOMPARE(events[1].payload, QByteArray("hello world"));
    }

    void violations_data() {
        QTest::addColumn<int>("role"); // 0 server, 1 client
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<int>("code");
        const QByteArray text = encodeFrame(Opcode::Text, "{}", &kMask);
        QTest::newRow("unmasked client frame") << 0 << encodeFrame(Opcode::Text, "{}") << 1002;
        QTest::newRow("masked server frame") << 1 << text << 1002;
        QByteArray rsv = text;
        rsv[0] = static_cast<char>(rsv[0] | 0x40);
        QTest::newRow("reserved bit") << 0 << rsv << 1002;
        QByteArray op = text;
        op[0] = static_cast<char>(0x83);
        QTest::newRow("unknown opcode") << 0 << op << 1002;
        QTest::newRow("fragmented ping") << 0 << fragment(Opcode::Ping, "x", false) << 1002;
        QTest::newRow("long ping")
            << 0 << encodeFrame(Opcode::Ping, QByteArray(126, 'x'), &kMask) << 1002;
        QTest::newRow("lone continuation")
            << 0 << fragment(Opcode::Continuation, "x", true) << 1002;
        QTest::newRow("text inside a fragmented message")
            << 0 << fragment(Opcode::Text, "a", false) + fragment(Opcode::Text, "b", true) << 1002;
        QTest::newRow("too large at once")
            << 0 << encodeFrame(Opcode::Binary, QByteArray(1025, 'x'), &kMask) << 1009;
        QTest::newRow("too large in fragments")
            << 0
            << fragment(Opcode::Binary, QByteArray(600, 'x'), false) +
                   fragment(Opcode::Continuation, QByteArray(600, 'x'), true)
            << 1009;
        QTest::newRow("text not UTF-8") << 0 << encodeFrame(Opcode::Text, "a\xc3", &kMask) << 1007;
        QTest::newRow("close with a 1-byte payload")
            << 0 << encodeFrame(Opcode::Close, "\x03", &kMask) << 1002;
        QTest::newRow("close code 1006 on the wire")
            << 0 << encodeFrame(Opcode::Close, closePayload(1006, {}), &kMask) << 1002;
        QTest::newRow("close reason not UTF-8")
            << 0 << encodeFrame(Opcode::Close, closePayload(1000, {}) + "\xff", &kMask) << 1007;
        QTest::newRow("length with the top bit set")
            << 0 << QByteArray::fromHex("82ff8000000000000000") + QByteArray(4, '\0') << 1002;
    }
    void violations() {
        QFETCH(int, role);
        QFETCH(QByteArray, bytes);
        QFETCH(int, code);
        FrameReader r(role == 0 ? FrameReader::Role::Server : FrameReader::Role::Client, 1024);
        const auto events = readAll(r, bytes);
        QVERIFY(!events.empty());
        QCOMPARE(events.front().kind, Kind::Error);
        QCOMPARE(events.front().code, code);
        QVERIFY(!events.front().reason.isEmpty());
        QVERIFY(r.discarding());
    }

    void afterAnErrorOnlyTheCloseFrameCounts() {
        // An oversized frame, more data, then the peer's close: the reader skips the payloads
        // without holding them and still finds the close frame.
        FrameReader server(FrameReader::Role::Server, 1024);
        const QByteArray big = encodeFrame(Opcode::Binary, QByteArray(1 << 20, 'x'), &kMask);
        server.append(big.left(20));
        auto e = server.next();
        QCOMPARE(e.kind, Kind::Error);
        QCOMPARE(e.code, 1009);
        server.append(QByteArrayView(big).sliced(20));
        QVERIFY(server.bufferedBytes() < 1024); // skipped, not buffered
        server.append(encodeFrame(Opcode::Text, "ignored", &kMask));
        server.append(encodeFrame(Opcode::Close, closePayload(1000, "bye"), &kMask));
        e = server.next();
        QCOMPARE(e.kind, Kind::Close);
        QCOMPARE(e.code, 1000);
        QCOMPARE(e.reason, QString("bye"));
        QCOMPARE(server.next().kind, Kind::None);
    }

    void closeFrames() {
        FrameReader server(FrameReader::Role::Server, 1024);
        server.append(encodeFrame(Opcode::Close, {}, &kMask));
        const auto e = server.next();
        QCOMPARE(e.kind, Kind::Close);
        QCOMPARE(e.code, kCloseNoStatus);
        // Nothing after a close frame is read.
        server.append(encodeFrame(Opcode::Text, "late", &kMask));
        QCOMPARE(server.next().kind, Kind::None);
    }

    void closeReasonIsCutAtACharacterBoundary() {
        const QString reason = QString(60, QChar(0x00e9)) + "end"; // 2 bytes each in UTF-8
        const QByteArray payload = closePayload(1008, reason);
        QVERIFY(payload.size() <= kMaxControlPayload);
        QVERIFY(isValidUtf8(QByteArrayView(payload).sliced(2)));
        QCOMPARE(static_cast<unsigned char>(payload[0]) * 256 +
                     static_cast<unsigned char>(payload[1]),
                 1008);
        QCOMPARE(closePayload(1000, "short").mid(2), QByteArray("short"));
    }

    void utf8_data() {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<bool>("valid");
        QTest::newRow("ascii") << QByteArray("hello") << true;
        QTest::newRow("2-byte") << QByteArray("\xc3\xa9") << true;
        QTest::newRow("3-byte") << QByteArray("\xe2\x9c\x93") << true;
        QTest::newRow("4-byte") << QByteArray("\xf0\x9f\x8e\xb5") << true;
        QTest::newRow("U+10FFFF") << QByteArray("\xf4\x8f\xbf\xbf") << true;
        QTest::newRow("above U+10FFFF") << QByteArray("\xf4\x90\x80\x80") << false;
        QTest::newRow("overlong 2") << QByteArray("\xc0\xaf") << false;
        QTest::newRow("overlong 3") << QByteArray("\xe0\x80\xaf") << false;
        QTest::newRow("surrogate") << QByteArray("\xed\xa0\x80") << false;
        QTest::newRow("truncated") << QByteArray("ok\xe2\x9c") << false;
        QTest::newRow("lone continuation") << QByteArray("\x80") << false;
        QTest::newRow("bad continuation") << QByteArray("\xe2\x28\xa1") << false;
        QTest::newRow("empty") << QByteArray() << true;
    }
    void utf8() {
        QFETCH(QByteArray, bytes);
        QFETCH(bool, valid);
        QCOMPARE(isValidUtf8(bytes), valid);
    }

    void handshakeKeys() {
        // The example of RFC 6455 section 1.3.
        QCOMPARE(acceptKey("dGhlIHNhbXBsZSBub25jZQ=="), QByteArray("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
        QVERIFY(isValidClientKey("dGhlIHNhbXBsZSBub25jZQ=="));
        QVERIFY(!isValidClientKey("c2hvcnQ="));                 // 5 bytes
        QVERIFY(!isValidClientKey("dGhlIHNhbXBsZSBub25jZQ=!")); // not base64
        QVERIFY(!isValidClientKey(""));
        QVERIFY(isSendableCloseCode(1000) && isSendableCloseCode(1013) &&
                isSendableCloseCode(4000));
        QVERIFY(!isSendableCloseCode(1005) && !isSendableCloseCode(1006) &&
                !isSendableCloseCode(999) && !isSendableCloseCode(5000));
    }
};

QTEST_GUILESS_MAIN(TestWsFrame)
#include "tst_ws_frame.moc"
