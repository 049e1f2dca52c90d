// packaging/grafana/auralis.json: the contract's five panels, their queries, legends and
// thresholds, read with Grafana's rule (a value takes the colour of the highest step it
// reaches) at every boundary of the contract's text.
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

namespace {

QJsonObject dashboard() {
    QFile f(AURALIS_SOURCE_DIR "/packaging/grafana/auralis.json");
    if (!f.open(QIODevice::ReadOnly)) {
        return {};
    }
    return QJsonDocument::fromJson(f.readAll()).object();
}

QJsonObject panel(const QString& title) {
    for (const QJsonValue p : dashboard().value("panels").toArray()) {
        if (p.toObject().value("title").toString() == title) {
            return p.toObject();
        }
    }
    return {};
}

QString colour(const QJsonObject& panel, double value) {
    QString c;
    const QJsonArray steps = panel.value("fieldConfig")
                                 .toObject()
                                 .value("defaults")
                                 .toObject()
                                 .value("thresholds")
                                 .toObject()
                                 .value("steps")
                                 .toArray();
    for (const QJsonValue s : steps) {
        const QJsonValue v = s.toObject().value("value");
        if (v.isNull() || value >= v.toDouble()) {
            c = s.toObject().value("color").toString();
        }
    }
    return c;
}

QStringList exprs(const QJsonObject& panel) {
    QStringList out;
    for (const QJsonValue t : panel.value("targets").toArray()) {
        out << t.toObject().value("expr").toString();
    }
    return out;
}

QStringList legends(const QJsonObject& panel) {
    QStringList out;
    for (const QJsonValue t : panel.value("targets").toArray()) {
        out << t.toObject().value("legendFormat").toString();
    }
    return out;
}

} // namespace

class TestDashboard : public QObject {
    Q_OBJECT
private slots:
    void importable() {
        const QJsonObject d = dashboard();
        QVERIFY(!d.isEmpty());
        QCOMPARE(d.value("panels").toArray().size(), 5);
        // File provisioning has no import step to fill `__inputs`: the data source is a
        // template variable instead, and every panel uses it.
        QVERIFY(!d.contains("__inputs"));
        const QJsonObject var =
            d.value("templating").toObject().value("list").toArray().at(0).toObject();
        QCOMPARE(var.value("name").toString(), QString("datasource"));
        QCOMPARE(var.value("type").toString(), QString("datasource"));
        QCOMPARE(var.value("query").toString(), QString("prometheus"));
        for (const QJsonValue p : d.value("panels").toArray()) {
            QCOMPARE(p.toObject().value("datasource").toObject().value("uid").toString(),
                     QString("${datasource}"));
        }
        QVERIFY(!QJsonDocument(d).toJson().contains("DS_PROMETHEUS"));
    }

    void queriesAndLegendsAreTheContracts() {
        QCOMPARE(
            exprs(panel("Synthesis Latency (p50, p95, p99)")),
            QStringList({"histogram_quantile(0.50, rate(synthesis_latency_seconds_bucket[5m]))",
                         "histogram_quantile(0.95, rate(synthesis_latency_seconds_bucket[5m]))",
                         "histogram_quantile(0.99, rate(synthesis_latency_seconds_bucket[5m]))"}));
        QCOMPARE(exprs(panel("Buffer Depth (per client)")), QStringList({"buffer_depth_chunks"}));
        QCOMPARE(legends(panel("Buffer Depth (per client)")), QStringList({"{{ client_id }}"}));
        QCOMPARE(exprs(panel("Memory Usage")),
                 QStringList({"memory_usage_mb", "gpu_memory_allocated_mb"}));
        QCOMPARE(legends(panel("Memory Usage")), QStringList({"System RAM", "GPU VRAM"}));
        QCOMPARE(exprs(panel("Buffer Underruns (rate)")),
                 QStringList({"sum by (client_id) (rate(buffer_underruns_total[5m]))"}));
        QCOMPARE(legends(panel("Buffer Underruns (rate)")), QStringList({"{{ client_id }}"}));
        QCOMPARE(exprs(panel("Active WebSocket Connections")),
                 QStringList({"active_websocket_connections"}));
        QCOMPARE(panel("Active WebSocket Connections").value("type").toString(), QString("stat"));
        QCOMPARE(panel("Buffer Depth (per client)").value("type").toString(),
                 QString("timeseries"));
    }

    void thresholds_data() {
        QTest::addColumn<QString>("title");
        QTest::addColumn<double>("value");
        QTest::addColumn<QString>("expected");
        const QString latency = "Synthesis Latency (p50, p95, p99)";
        QTest::newRow("latency 0") << latency << 0.0 << "green";
        QTest::newRow("latency 74.9 ms") << latency << 0.0749 << "green";
        QTest::newRow("latency 75 ms") << latency << 0.075 << "yellow";
        QTest::newRow("latency 100 ms") << latency << 0.1 << "yellow";
        QTest::newRow("latency 100.1 ms") << latency << 0.1001 << "red";
        const QString depth = "Buffer Depth (per client)";
        QTest::newRow("depth 0") << depth << 0.0 << "red";
        QTest::newRow("depth 1.9") << depth << 1.9 << "red";
        QTest::newRow("depth 2") << depth << 2.0 << "yellow";
        QTest::newRow("depth 5") << depth << 5.0 << "yellow";
        QTest::newRow("depth 5.01") << depth << 5.01 << "green";
        QTest::newRow("depth 40") << depth << 40.0 << "green";
        const QString underruns = "Buffer Underruns (rate)";
        QTest::newRow("underruns 0") << underruns << 0.0 << "green";
        QTest::newRow("underruns 0.001") << underruns << 0.001 << "yellow";
        QTest::newRow("underruns 0.01") << underruns << 0.01 << "yellow";
        QTest::newRow("underruns 0.0101") << underruns << 0.0101 << "red";
        const QString connections = "Active WebSocket Connections";
        QTest::newRow("connections 0") << connections << 0.0 << "green";
        QTest::newRow("connections 10") << connections << 10.0 << "green";
        QTest::newRow("connections 11") << connections << 11.0 << "yellow";
        QTest::newRow("connections 15") << connections << 15.0 << "yellow";
        QTest::newRow("connections 16") << connections << 16.0 << "red";
    }
    void thresholds() {
        QFETCH(QString, title);
        QFETCH(double, value);
        QFETCH(QString, expected);
        QCOMPARE(colour(panel(title), value), expected);
    }
};

QTEST_GUILESS_MAIN(TestDashboard)
#include "tst_dashboard.moc"
