// Every protocol message: built and parsed back unchanged; parsers refuse what is missing,
// mistyped or out of range, naming the field.
#include "protocol/messages.h"

#include <QJsonDocument>
#include <QtTest>

using namespace auralis;
using namespace auralis::protocol;

namespace {
// Through the wire: bytes, then parsed JSON again.
QJsonObject wire(const QJsonObject& o) {
    return QJsonDocument::fromJson(toWire(o)).object();
}
synth::MusicParams someParams() {
    synth::MusicParams p = synth::presetParams(synth::Preset::Sleep, 4);
    p.bpm = 50;
    p.intensity = 0.25;
    p.mode = synth::Mode::Lydian;
    return p;
}
} // namespace

class TestMessages : public QObject {
    Q_OBJECT
private slots:
    void audioJsonIsReadInAnyValidSpelling() {
        // The node's own compact bytes, the same message with spaces and another key order,
        // and the three parts the node writes: all read alike; near misses are refused.
        const AudioHeader sent{41, 4100, 1'700'000'000'321, true};
        const QByteArray data = QByteArray("pcm bytes").toBase64();
        const QByteArray prefix = audioJsonPrefix(sent);
        const QByteArray spellings[] = {
            audioJson(sent, data),
            prefix + data + kAudioJsonSuffix.toByteArray(),
            "{ \"type\": \"audio\", \"seq\": 41, \"pts_ms\": 4100,\n  \"sent_at_ms\": "
            "1700000000321, \"underrun\": true, \"data\": \"" +
                data + "\" }",
            "{\"data\":\"" + data +
                "\",\"underrun\":true,\"sent_at_ms\":1700000000321,"
                "\"pts_ms\":4100,\"seq\":41,\"type\":\"audio\"}",
        };
        for (const QByteArray& s : spellings) {
            AudioHeader h;
            QByteArray base64;
            QCOMPARE(parseAudioJson(s, h, base64), AudioParse::Ok);
            QCOMPARE(h.seq, sent.seq);
            QCOMPARE(h.ptsMs, sent.ptsMs);
            QCOMPARE(h.sentAtMs, sent.sentAtMs);
            QCOMPARE(h.underrun, sent.underrun);
            QCOMPARE(base64, data);
        }
        AudioHeader h;
        QByteArray base64;
        QCOMPARE(parseAudioJson("{\"type\": \"status\", \"seq\": 1}", h, base64),
                 AudioParse::NotAudio);
        QCOMPARE(parseAudioJson("not json", h, base64), AudioParse::NotAudio);
        QCOMPARE(parseAudioJson("{\"type\": \"audio\", \"seq\": -1, \"pts_ms\": 0, "
                                "\"data\": \"\"}",
                                h, base64),
                 AudioParse::Malformed);
        QCOMPARE(parseAudioJson("{\"type\": \"audio\", \"seq\": 1, \"pts_ms\": 0}", h, base64),
                 AudioParse::Malformed);
    }

    void nodeMessagesRoundTrip() {
        Welcome w;
        w.clientId = "abc";
        w.format = Format::Binary;
        w.tier = Tier::Stable;
        w.targetMs = 2000;
        w.params = someParams();
        w.device = "cpu";
        w.serverTimeMs = 1'700'000'000'123;
        w.liveSeq = 987654321;
        QCOMPARE(messageType(toJson(w)), QString("welcome"));
        QCOMPARE(parseWelcome(wire(toJson(w))), std::optional(w));
        QCOMPARE(toJson(w).value("audio").toObject().value("sample_rate").toInt(), kSampleRate);

        const TierChange t{Tier::Defensive, 3000, "2 underruns within 30 s"};
        QCOMPARE(parseTierChange(wire(toJson(t))), std::optional(t));
        const Status s{41, 12, Tier::Minimal, 500, 1.25, 3, 7};
        QCOMPARE(parseStatus(wire(toJson(s))), std::optional(s));
        const Pong p{QJsonValue(12345.5), 1'700'000'000'000};
        QCOMPARE(parsePong(wire(toJson(p))), std::optional(p));
        const ControlAck a{someParams(), 8000.5, 80, QJsonValue("req-1")};
        QCOMPARE(parseControlAck(wire(toJson(a))), std::optional(a));
        const ParamsChanged pc{someParams(), 8000.5, 80};
        QCOMPARE(parseParamsChanged(wire(toJson(pc))), std::optional(pc));
        QVERIFY(!parseParamsChanged(wire(toJson(a)))); // a control_ack is not a params push
        ControlAck noId{someParams(), 0, 0, QJsonValue()};
        noId.id = QJsonValue(QJsonValue::Undefined);
        QVERIFY(!toJson(noId).contains("id"));
        const Shutdown d{"maintenance", 500};
        QCOMPARE(parseShutdown(wire(toJson(d))), std::optional(d));
        const Notice e{"invalid_value", "bpm must be 40-120", "bpm"};
        QCOMPARE(parseNotice(wire(errorJson(e))), std::optional(e));
        QCOMPARE(messageType(errorJson(e)), QString("error"));
        const Notice warn{"underrun", "chunk 4 was late", {}};
        QCOMPARE(parseNotice(wire(warningJson(warn))), std::optional(warn));
        QVERIFY(!errorJson({"x", "y", {}}).contains("field"));
    }

    void listenerMessagesRoundTrip() {
        const auto ping = parsePing(wire(toJson(Ping{QJsonValue(42)})));
        QCOMPARE(std::get<Ping>(ping).clientTime, QJsonValue(42));
        const auto tier = parseTierRequest(wire(toJson(TierRequest{Tier::Defensive})));
        QCOMPARE(std::get<TierRequest>(tier).tier, Tier::Defensive);
        const Report r{1234.5, 9};
        QCOMPARE(std::get<Report>(parseReport(wire(toJson(r)))), r);
        const QJsonObject c = controlJson(QJsonObject{{"bpm", 60}}, QJsonValue("x"));
        QCOMPARE(messageType(c), QString("control"));
        QCOMPARE(c.value("id").toString(), QString("x"));
        QCOMPARE(c.value("bpm").toInt(), 60);
    }

    void paramsRoundTripForEveryPreset() {
        for (const synth::Preset preset : synth::kAllPresets) {
            for (int key = 0; key < 12; ++key) {
                const synth::MusicParams p = synth::presetParams(preset, key);
                QCOMPARE(parseParams(paramsJson(p)), std::optional(p));
            }
        }
    }

    void badNodeMessagesDoNotParse() {
        Welcome w;
        w.params = someParams();
        QJsonObject o = toJson(w);
        o.remove("client_id");
        QVERIFY(!parseWelcome(o));
        o = toJson(w);
        o["format"] = "mp3";
        QVERIFY(!parseWelcome(o));
        o = toJson(w);
        o["type"] = "status";
        QVERIFY(!parseWelcome(o));
        QJsonObject s = toJson(Status{});
        s["seq"] = "12";
        QVERIFY(!parseStatus(s));
        QJsonObject a = toJson(ControlAck{someParams(), 1, 1, {}});
        a["params"] = QJsonObject{{"key", "H"}};
        QVERIFY(!parseControlAck(a));
    }

    void untrustedReports_data() {
        QTest::addColumn<QJsonObject>("message");
        QTest::addColumn<QString>("field");
        QTest::newRow("negative buffer")
            << QJsonObject{{"buffer_ms", -1}, {"underruns", 0}} << "buffer_ms";
        QTest::newRow("huge buffer")
            << QJsonObject{{"buffer_ms", 1e9}, {"underruns", 0}} << "buffer_ms";
        QTest::newRow("buffer as text")
            << QJsonObject{{"buffer_ms", "5"}, {"underruns", 0}} << "buffer_ms";
        QTest::newRow("fractional count")
            << QJsonObject{{"buffer_ms", 5}, {"underruns", 1.5}} << "underruns";
        QTest::newRow("count >= 2^53")
            << QJsonObject{{"buffer_ms", 5}, {"underruns", 1e16}} << "underruns";
        QTest::newRow("count 1e300")
            << QJsonObject{{"buffer_ms", 5}, {"underruns", 1e300}} << "underruns";
        QTest::newRow("negative count")
            << QJsonObject{{"buffer_ms", 5}, {"underruns", -1}} << "underruns";
    }
    void untrustedReports() {
        QFETCH(QJsonObject, message);
        QFETCH(QString, field);
        const auto parsed = parseReport(message);
        QVERIFY(std::holds_alternative<Notice>(parsed));
        QCOMPARE(std::get<Notice>(parsed).field, field);
        QCOMPARE(std::get<Notice>(parsed).code, QString("invalid_value"));
    }

    void aTierRequestNamesATier() {
        const auto parsed = parseTierRequest(QJsonObject{{"type", "tier"}, {"tier", "huge"}});
        QCOMPARE(std::get<Notice>(parsed).field, QString("tier"));
    }

    void audioJsonIsBytesOfValidJson() {
        const QByteArray base64 = QByteArray(30, 'x').toBase64();
        const QByteArray text = audioJson({7, 700, 99, true}, base64);
        const QJsonObject o = QJsonDocument::fromJson(text).object();
        QCOMPARE(o.value("type").toString(), QString("audio"));
        QCOMPARE(o.value("seq").toInt(), 7);
        QCOMPARE(o.value("underrun").toBool(), true);
        QCOMPARE(o.value("data").toString().toLatin1(), base64);
        QVERIFY(text.size() <= base64.size() + (kJsonAudioMaxBytes - kChunkBase64Bytes));
    }
};

QTEST_GUILESS_MAIN(TestMessages)
#include "tst_messages.moc"
