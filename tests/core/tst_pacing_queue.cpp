// The pacing queue on a manual clock: earliest first, everything due within the slack in one
// wake, rescheduling replaces an entry, removed entries never fire, the timer is armed for
// the earliest deadline.
#include "../common/epoll_test_main.h"
#include "core/pacing_queue.h"

#include <QtTest>

using namespace auralis;
using namespace auralis::core;

class TestPacingQueue : public QObject {
    Q_OBJECT
private slots:
    void servesDueEntriesEarliestFirst() {
        ManualClock clock(1'000'000);
        std::vector<std::pair<quint64, qint64>> served;
        PacingQueue q(clock, [&](quint64 id, qint64 at) { served.emplace_back(id, at); });
        q.schedule(1, 1'300'000);
        q.schedule(2, 1'100'000);
        q.schedule(3, 1'200'000);
        QCOMPARE(q.nextDeadlineUs(), qint64{1'100'000});
        QVERIFY(q.timerActive());
        q.serveDue();
        QVERIFY(served.empty());                          // nothing due yet
        clock.advanceUs(200'000 + PacingQueue::kSlackUs); // 1.2005 s: 2 and 3 are due
        q.serveDue();
        QCOMPARE(served, (std::vector<std::pair<quint64, qint64>>{{2, 1'100'000}, {3, 1'200'000}}));
        QCOMPARE(q.size(), std::size_t{1});
        QCOMPARE(q.nextDeadlineUs(), qint64{1'300'000});
    }

    void rescheduleReplacesAndRemoveCancels() {
        ManualClock clock(0);
        std::vector<quint64> served;
        PacingQueue q(clock, [&](quint64 id, qint64) { served.push_back(id); });
        q.schedule(7, 100'000);
        q.schedule(7, 300'000); // the 100 ms entry is now stale
        q.schedule(8, 200'000);
        q.remove(8);
        clock.advanceUs(250'000);
        q.serveDue();
        QVERIFY(served.empty());
        clock.advanceUs(50'000);
        q.serveDue();
        QCOMPARE(served, std::vector<quint64>{7});
        QCOMPARE(q.nextDeadlineUs(), qint64{-1});
        QVERIFY(!q.timerActive());
    }

    void theCallbackMayRescheduleItself() {
        // As the node does: each serve schedules the next deadline, 100 ms later.
        ManualClock clock(0);
        int serves = 0;
        PacingQueue* queue = nullptr;
        PacingQueue q(clock, [&](quint64 id, qint64 at) {
            ++serves;
            queue->schedule(id, at + 100'000);
        });
        queue = &q;
        q.schedule(1, 100'000);
        for (int i = 0; i < 10; ++i) {
            clock.advanceUs(100'000);
            q.serveDue();
        }
        QCOMPARE(serves, 10);
        QCOMPARE(q.nextDeadlineUs(), qint64{1'100'000});
        QVERIFY(q.timerActive());
    }

    void theTimerFiresOnARealClock() {
        SteadyClock clock;
        int serves = 0;
        PacingQueue q(clock, [&](quint64, qint64) { ++serves; });
        q.schedule(1, clock.nowUs() + 20'000);
        QTRY_COMPARE(serves, 1);
    }
};

AURALIS_TEST_MAIN(TestPacingQueue)
#include "tst_pacing_queue.moc"
