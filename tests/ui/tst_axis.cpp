// Chart axes: 1-2-5 value steps, whole-minute time ticks.
#include "monitor/axis.h"

#include <QtTest>

using namespace auralis::monitor;

class TestAxis : public QObject {
    Q_OBJECT
private slots:
    void valueTicksAreOneTwoFive_data() {
        QTest::addColumn<double>("top");
        QTest::addColumn<double>("max");
        QTest::addColumn<double>("step");
        QTest::newRow("the issue's 86.2") << 86.2 << 100.0 << 20.0;
        QTest::newRow("a threshold of 5 chunks") << 5.75 << 6.0 << 2.0;
        QTest::newRow("149 chunks") << 149.0 << 150.0 << 50.0;
        QTest::newRow("tiny rates") << 0.0115 << 0.015 << 0.005;
        QTest::newRow("exactly a step") << 100.0 << 100.0 << 20.0;
        QTest::newRow("one") << 1.0 << 1.0 << 0.2;
    }
    void valueTicksAreOneTwoFive() {
        QFETCH(double, top);
        QFETCH(double, max);
        QFETCH(double, step);
        const ValueAxis a = niceValueAxis(top);
        QVERIFY2(std::abs(a.max - max) < 1e-9 && std::abs(a.step - step) < 1e-12,
                 qPrintable(QString("%1 / %2").arg(a.max).arg(a.step)));
        QVERIFY(a.ticks <= 6 && a.max >= top);
    }
    void timeTicksAreOnWholeMinutes() {
        const std::int64_t now = 1'764'300'000'000 + 73'500; // 1 min 13.5 s past a whole minute
        for (const std::int64_t range : {5 * 60'000LL, 15 * 60'000LL, 60 * 60'000LL}) {
            const TimeAxis a = roundTimeAxis(now, range);
            QCOMPARE(a.minMs % 60'000, 0);
            QCOMPARE(a.minMs % a.stepMs, 0);
            QCOMPARE(a.maxMs % a.stepMs, 0);
            QVERIFY(a.minMs <= now - range && a.maxMs >= now);
            QVERIFY(a.maxMs - a.minMs <= range + 2 * a.stepMs);
            QCOMPARE(a.ticks, static_cast<int>((a.maxMs - a.minMs) / a.stepMs) + 1);
        }
        QCOMPARE(roundTimeAxis(now, 5 * 60'000).stepMs, 60'000);
        QCOMPARE(roundTimeAxis(now, 60 * 60'000).stepMs, 600'000);
    }
};

QTEST_GUILESS_MAIN(TestAxis)
#include "tst_axis.moc"
