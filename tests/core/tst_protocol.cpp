// Wire format pieces: binary audio header, JSON audio, client ids, base64, HTTP parsing,
// control validation.
#include "core/broadcast_ring.h"
#include "core/http.h"
#include "protocol/control.h"
#include "protocol/messages.h"
#include "protocol/protocol.h"

#include <QJsonDocument>
#include <QtTest>

using namespace auralis;
using namespace auralis::core;

class TestProtocol : public QObject {
    Q_OBJECT
private slots:
    void binaryHeaderRoundTrips() {
        QByteArray msg(protocol::kBinaryHeaderBytes + protocol::kChunkBytes, '\x11');
        protocol::AudioHeader h{1234567890123ull, 123456789012, 1700000000123, true};
        protocol::writeBinaryHeader(msg.data(), h);
        QCOMPARE(msg.left(4), QByteArray("AUR1"));
        protocol::AudioHeader back;
        QVERIFY(protocol::readBinaryHeader(msg, back));
        QCOMPARE(back.seq, h.seq);
        QCOMPARE(back.ptsMs, h.ptsMs);
        QCOMPARE(back.sentAtMs, h.sentAtMs);
        QCOMPARE(back.underrun, true);
        QVERIFY(!protocol::readBinaryHeader(QByteArray("AUR"), back));
        QVERIFY(!protocol::readBinaryHeader(QByteArray(40, 'x'), back));
    }

    void audioJsonIsValidJson() {
        const QByteArray pcm(protocol::kChunkBytes, '\x7f');
        const QByteArray text = protocol::audioJson({42, 4200, 99, false}, pcm.toBase64());
        const QJsonObject o = QJsonDocument::fromJson(text).object();
        QCOMPARE(o.value("type").toString(), QString("audio"));
        QCOMPARE(o.value("seq").toInt(), 42);
        QCOMPARE(o.value("pts_ms").toInt(), 4200);
        QCOMPARE(o.value("sent_at_ms").toInt(), 99);
        QCOMPARE(o.value("underrun").toBool(), false);
        QCOMPARE(QByteArray::fromBase64(o.value("data").toString().toLatin1()), pcm);
    }

    void base64MatchesQt_data() {
        QTest::addColumn<int>("size");
        for (int n : {0, 1, 2, 3, 4, 5, 100, protocol::kChunkBytes}) {
            QTest::newRow(QByteArray::number(n)) << n;
        }
    }
    void base64MatchesQt() {
        QFETCH(int, size);
        QByteArray data(size, Qt::Uninitialized);
        for (int i = 0; i < size; ++i) {
            data[i] = static_cast<char>((i * 37 + 11) & 0xFF);
        }
        QByteArray out((size + 2) / 3 * 4, Qt::Uninitialized);
        encodeBase64(data.constData(), size, out.data());
        QCOMPARE(out, data.toBase64());
    }

    void clientIds() {
        QVERIFY(protocol::isValidClientId("abc_DEF-123"));
        QVERIFY(protocol::isValidClientId(QString(64, 'a')));
        QVERIFY(!protocol::isValidClientId(QString(65, 'a')));
        QVERIFY(!protocol::isValidClientId(""));
        QVERIFY(!protocol::isValidClientId("a b"));
        QVERIFY(!protocol::isValidClientId("a\"b"));
        QVERIFY(!protocol::isValidClientId("émile"));
    }

    void tiers() {
        QCOMPARE(protocol::tierTargetMs(protocol::Tier::Minimal), 500);
        QCOMPARE(protocol::tierTargetMs(protocol::Tier::Normal), 1000);
        QCOMPARE(protocol::tierTargetMs(protocol::Tier::Stable), 2000);
        QCOMPARE(protocol::tierTargetMs(protocol::Tier::Defensive), 3000);
        QCOMPARE(protocol::parseTier("stable"), std::optional(protocol::Tier::Stable));
        QVERIFY(!protocol::parseTier("Stable"));
        QCOMPARE(protocol::higherTier(protocol::Tier::Defensive), protocol::Tier::Defensive);
        QCOMPARE(protocol::lowerTier(protocol::Tier::Minimal), protocol::Tier::Minimal);
    }

    void httpParsesARequest() {
        http::Request r;
        const QByteArray raw = "POST /api/control?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n"
                               "Connection: close\r\n\r\n{\"bpm\":60}\nGET / HTTP/1.1\r\n";
        const http::ParseResult p = http::parse(raw, r);
        QCOMPARE(p.state, http::Parse::Complete);
        QCOMPARE(r.method, QByteArray("POST"));
        QCOMPARE(r.path, QByteArray("/api/control"));
        QCOMPARE(r.query, QByteArray("x=1"));
        QCOMPARE(r.body, QByteArray("{\"bpm\":60}\n"));
        QCOMPARE(r.keepAlive(), false);
        QCOMPARE(p.consumed, raw.indexOf("GET"));
    }

    void httpWaitsForTheRest() {
        http::Request r;
        QCOMPARE(http::parse("GET / HTTP/1.1\r\nHost: a\r\n", r).state, http::Parse::Incomplete);
        QCOMPARE(http::parse("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nab", r).state,
                 http::Parse::Incomplete);
    }

    void httpRejectsBadRequests_data() {
        QTest::addColumn<QByteArray>("raw");
        QTest::addColumn<int>("status");
        QTest::newRow("body too large")
            << QByteArray("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 70000\r\n\r\n") << 413;
        QTest::newRow("headers too large")
            << QByteArray("GET / HTTP/1.1\r\nX: ") + QByteArray(20000, 'a') << 431;
        QTest::newRow("not http") << QByteArray("HELLO\r\n\r\n") << 400;
        QTest::newRow("bad target") << QByteArray("GET nope HTTP/1.1\r\n\r\n") << 400;
        QTest::newRow("bad header") << QByteArray("GET / HTTP/1.1\r\nnocolon\r\n\r\n") << 400;
        QTest::newRow("bad length")
            << QByteArray("POST / HTTP/1.1\r\nContent-Length: -4\r\n\r\n") << 400;
        QTest::newRow("two different Content-Length")
            << QByteArray("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n"
                          "Content-Length: 3\r\n\r\nabc")
            << 400;
        QTest::newRow("Content-Length with a sign")
            << QByteArray("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +2\r\n\r\nab") << 400;
        QTest::newRow("HTTP/1.1 without Host") << QByteArray("GET / HTTP/1.1\r\n\r\n") << 400;
        QTest::newRow("two Host headers")
            << QByteArray("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") << 400;
        QTest::newRow("chunked") << QByteArray(
                                        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
                                 << 501;
    }
    void httpRejectsBadRequests() {
        QFETCH(QByteArray, raw);
        QFETCH(int, status);
        http::Request r;
        const http::ParseResult p = http::parse(raw, r);
        QCOMPARE(p.state, http::Parse::Error);
        QCOMPARE(p.errorStatus, status);
    }

    void httpKnowsAWebSocketUpgrade() {
        http::Request r;
        QVERIFY(
            http::parse("GET /ws/stream HTTP/1.1\r\nHost: a\r\nUpgrade: WebSocket\r\nConnection: "
                        "keep-alive, Upgrade\r\n\r\n",
                        r)
                .state == http::Parse::Complete);
        QVERIFY(r.isWebSocketUpgrade());
    }

    void httpSerializes() {
        http::Response r;
        r.body = "{}";
        const QByteArray s = http::serialize(r, true);
        QVERIFY(s.startsWith("HTTP/1.1 200 OK\r\n"));
        QVERIFY(s.contains("Content-Length: 2\r\n"));
        QVERIFY(s.contains("Connection: keep-alive\r\n"));
        QVERIFY(s.endsWith("\r\n\r\n{}"));
    }

    void control_data() {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("code");
        QTest::addColumn<QString>("field");
        QTest::newRow("ok") << QByteArray(R"({"type":"control","bpm":60,"key":"D"})") << ""
                            << "";
        QTest::newRow("key as number") << QByteArray(R"({"key":3})") << ""
                                       << "";
        QTest::newRow("key 13") << QByteArray(R"({"key":13})") << "invalid_value"
                                << "key";
        QTest::newRow("key 1.5") << QByteArray(R"({"key":1.5})") << "invalid_value"
                                 << "key";
        QTest::newRow("bpm text") << QByteArray(R"({"bpm":"fast"})") << "invalid_value"
                                  << "bpm";
        QTest::newRow("bpm 500") << QByteArray(R"({"bpm":500})") << "invalid_value"
                                 << "bpm";
        QTest::newRow("mode number") << QByteArray(R"({"mode":3})") << "invalid_value"
                                     << "mode";
        QTest::newRow("mode blues") << QByteArray(R"({"mode":"blues"})") << "invalid_value"
                                    << "mode";
        QTest::newRow("intensity 2") << QByteArray(R"({"intensity":2})") << "invalid_value"
                                     << "intensity";
        QTest::newRow("preset") << QByteArray(R"({"preset":"x"})") << "invalid_value"
                                << "preset";
        QTest::newRow("unknown field") << QByteArray(R"({"volume":3})") << "unknown_field"
                                       << "volume";
        QTest::newRow("empty") << QByteArray(R"({"type":"control"})") << "empty_control"
                               << "";
    }
    void control() {
        QFETCH(QByteArray, json);
        QFETCH(QString, code);
        QFETCH(QString, field);
        const auralis::synth::MusicParams before;
        auralis::synth::MusicParams after = before;
        const auto error =
            protocol::parseControl(QJsonDocument::fromJson(json).object(), before, after);
        if (code.isEmpty()) {
            QVERIFY2(!error, error ? qPrintable(error->message) : "");
            QVERIFY(!(after == before));
        } else {
            QVERIFY(error);
            QCOMPARE(error->code, code);
            QCOMPARE(error->field, field);
            QVERIFY(!error->message.isEmpty());
            QCOMPARE(after, before);
        }
    }

    void paramsJsonNamesEverything() {
        const QJsonObject o =
            protocol::paramsJson(auralis::synth::presetParams(auralis::synth::Preset::Sleep, 1));
        QCOMPARE(o.value("key").toString(), QString("C#"));
        QCOMPARE(o.value("mode").toString(), QString("aeolian"));
        QCOMPARE(o.value("preset").toString(), QString("sleep"));
        QCOMPARE(o.value("bpm").toDouble(), 44.0);
    }
};

QTEST_GUILESS_MAIN(TestProtocol)
#include "tst_protocol.moc"
