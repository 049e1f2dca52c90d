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

    void aServedEntryIsGoneUntilScheduledAgain() {
        // Served and not rescheduled (a closing listener): not contained, not counted, never
        // served again; scheduling it again, or removing it, still works — also from the
        // callback, for another entry being served in the same wake.
        ManualClock clock(0);
        std::vector<quint64> served;
        PacingQueue* queue = nullptr;
        PacingQueue q(clock, [&](quint64 id, qint64) {
            served.push_back(id);
            if (id == 1) {
                queue->remove(2); // due in the same wake: must not be served
            }
        });
        queue = &q;
        q.schedule(1, 100'000);
        q.schedule(2, 100'100);
        q.schedule(3, 400'000);
        clock.advanceUs(100'000);
        q.serveDue();
        QCOMPARE(served, std::vector<quint64>{1});
        QVERIFY(!q.contains(1));
        QVERIFY(!q.contains(2));
        QVERIFY(q.contains(3));
        QCOMPARE(q.size(), std::size_t{1});
        QCOMPARE(q.nextDeadlineUs(), qint64{400'000});
        q.schedule(1, 200'000); // again, after being served
        QVERIFY(q.contains(1));
        QCOMPARE(q.size(), std::size_t{2});
        clock.advanceUs(100'000);
        q.serveDue();
        QCOMPARE(served, (std::vector<quint64>{1, 1}));
        q.remove(3); // the last scheduled one (1 is served, unscheduled): the timer stops
        QCOMPARE(q.size(), std::size_t{0});
        QVERIFY(!q.timerActive());
        q.remove(1);
        q.remove(1);
        QVERIFY(!q.contains(1));
        clock.advanceUs(1'000'000);
        q.serveDue();
        QCOMPARE(served.size(), std::size_t{2});
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
