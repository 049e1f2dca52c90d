// The Node panel's summaries of /api/status: streams (Opus idle or encoding, Ogg listeners)
// and the Icecast source in each state.
#include "monitor/node_status.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QtTest>

using namespace auralis::monitor;

class TestNodeStatus : public QObject {
    Q_OBJECT
private slots:
    void choicesAreReadFromApiPresets() {
        const auto valid = [] {
            return QJsonDocument::fromJson(
                       "{\"presets\":[{\"name\":\"sleep\",\"mode\":\"aeolian\",\"bpm\":44,"
                       "\"intensity\":0.12}],\"modes\":[\"aeolian\",\"dorian\"],\"keys\":[\"C\","
                       "\"C#\"],\"bpm\":{\"min\":40,\"max\":120}}")
                .object();
        };
        const auto c = parseChoices(valid());
        QVERIFY(c);
        QCOMPARE(c->presets.size(), std::size_t{1});
        QCOMPARE(c->keys, QStringList({"C", "C#"}));
        QCOMPARE(c->maxBpm, 120.0);
        QCOMPARE(presetSummary(c->presets[0]), QString("44 BPM · intensity 0.12 · aeolian"));
        // Untrusted input: anything but what a node sends is refused as a whole.
        QJsonObject o = valid();
        o["keys"] = QJsonArray{"C", "<b>D</b>"};
        QVERIFY(!parseChoices(o));
        o = valid();
        o["modes"] = QJsonArray{};
        QVERIFY(!parseChoices(o));
        o = valid();
        QJsonArray many;
        for (int i = 0; i < 65; ++i) {
            many.append(QString("k%1").arg(i));
        }
        o["keys"] = many;
        QVERIFY(!parseChoices(o));
        o = valid();
        o["bpm"] = QJsonObject{{"min", 120}, {"max", 40}};
        QVERIFY(!parseChoices(o));
        o = valid();
        o["presets"] = QJsonArray{QJsonObject{{"name", "x"}, {"mode", "locrian"}}};
        QVERIFY(!parseChoices(o)); // a preset in a mode the node does not offer
        QVERIFY(!parseChoices(QJsonObject{}));
    }
    void streams() {
        const auto status = [](bool encoding, int kbps, int ogg) {
            return QJsonObject{
                {"opus", QJsonObject{{"bitrate_kbps", kbps}, {"encoding", encoding}}},
                {"http_stream", QJsonObject{{"count", ogg}}}};
        };
        QCOMPARE(streamsText(status(false, 96, 0)),
                 QString("PCM only (Opus idle until asked for) · 0 on /stream.ogg"));
        QCOMPARE(streamsText(status(true, 64, 3)),
                 QString("Opus 64 kbit/s encoding · 3 on /stream.ogg"));
        QCOMPARE(streamsText(QJsonObject{}), QString("PCM"));
    }
    void icecast() {
        QVERIFY(icecastText(QJsonObject{}).isEmpty());
        QJsonObject ice{{"state", "streaming"},
                        {"url", "http://source@i:8000/a.ogg"},
                        {"sent_bytes", 1240000},
                        {"reconnects", 1}};
        QCOMPARE(icecastText(QJsonObject{{"icecast", ice}}),
                 QString("streaming to http://source@i:8000/a.ogg (1.2 MB sent, 1 reconnects)"));
        ice["state"] = "waiting";
        ice["sent_bytes"] = 0;
        ice["reconnects"] = 4;
        ice["retry_in_ms"] = 2000;
        ice["last_error"] = "the server refused the source password (401)";
        QCOMPARE(icecastText(QJsonObject{{"icecast", ice}}),
                 QString("waiting: http://source@i:8000/a.ogg — the server refused the source "
                         "password (401) (retry in 2.0 s) (0 kB sent, 4 reconnects)"));
    }
};

QTEST_GUILESS_MAIN(TestNodeStatus)
#include "tst_node_status.moc"
