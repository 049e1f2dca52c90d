// Panel colours at every boundary of the contract's text (inclusive as written).
#include "monitor/thresholds.h"

#include <QtTest>

using namespace auralis::monitor;

Q_DECLARE_METATYPE(Level)

class TestThresholds : public QObject {
    Q_OBJECT
private slots:
    void boundaries_data() {
        QTest::addColumn<QString>("panel");
        QTest::addColumn<double>("value");
        QTest::addColumn<Level>("expected");
        const struct {
            const char* panel;
            double value;
            Level level;
        } rows[] = {
            {"latency", 0.0, Level::Green},      {"latency", 0.0749, Level::Green},
            {"latency", 0.075, Level::Yellow},   {"latency", 0.0999, Level::Yellow},
            {"latency", 0.1, Level::Yellow},     {"latency", 0.1001, Level::Red},
            {"latency", 2.0, Level::Red},        {"depth", 0.0, Level::Red},
            {"depth", 1.99, Level::Red},         {"depth", 2.0, Level::Yellow},
            {"depth", 4.0, Level::Yellow},       {"depth", 5.0, Level::Yellow},
            {"depth", 5.01, Level::Green},       {"depth", 30.0, Level::Green},
            {"underruns", 0.0, Level::Green},    {"underruns", 1e-9, Level::Yellow},
            {"underruns", 0.005, Level::Yellow}, {"underruns", 0.01, Level::Yellow},
            {"underruns", 0.0101, Level::Red},   {"underruns", 1.0, Level::Red},
            {"connections", 0, Level::Green},    {"connections", 10, Level::Green},
            {"connections", 11, Level::Yellow},  {"connections", 15, Level::Yellow},
            {"connections", 16, Level::Red},     {"connections", 1000, Level::Red},
        };
        for (const auto& r : rows) {
            QTest::addRow("%s %g", r.panel, r.value) << QString(r.panel) << r.value << r.level;
        }
    }
    void boundaries() {
        QFETCH(QString, panel);
        QFETCH(double, value);
        QFETCH(Level, expected);
        Level actual = Level::Green;
        if (panel == "latency") {
            actual = latencyLevel(value);
        } else if (panel == "depth") {
            actual = depthLevel(value);
        } else if (panel == "underruns") {
            actual = underrunRateLevel(value);
        } else {
            actual = connectionsLevel(value);
        }
        QCOMPARE(levelName(actual), levelName(expected));
    }

    void bandsCoverTheAxis() {
        for (const auto& bands : {latencyBandsMs(), depthBands(), underrunBands()}) {
            QCOMPARE(bands.front().from, 0.0);
            for (std::size_t i = 1; i < bands.size(); ++i) {
                QCOMPARE(bands[i].from, bands[i - 1].to);
            }
        }
        QCOMPARE(latencyBandsMs()[1].level, Level::Yellow);
        QCOMPARE(latencyBandsMs()[1].to, 100.0);
    }
};

QTEST_GUILESS_MAIN(TestThresholds)
#include "tst_thresholds.moc"
