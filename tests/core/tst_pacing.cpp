// Pacing, tier policy, rate limit and reconnect backoff with an injected clock: no sleeps.
#include "../common/epoll_test_main.h"
#include "client/listener.h"
#include "core/pacing.h"
#include "protocol/clock.h"

#include <QtTest>

#include <random>

using namespace auralis;
using namespace auralis::core;
using protocol::Tier;

class TestPacing : public QObject {
    Q_OBJECT
private slots:
    void deadlinesDoNotDrift() {
        ManualClock clock;
        Pacer pacer;
        const qint64 t0 = clock.nowUs();
        pacer.start(t0);
        // Wake up late by a varying amount every time: deadlines stay on the t0 + k * 100 ms grid.
        const int lateness[] = {0, 3000, 17000, 400, 45000, 1, 99000, 0, 12000, 6000};
        for (int k = 1; k <= 1000; ++k) {
            const qint64 deadline = t0 + k * protocol::kChunkUs;
            QCOMPARE(pacer.nextDeadlineUs(), deadline);
            clock.advanceUs(deadline - clock.nowUs() + lateness[k % 10]);
            const Pacer::Tick tick = pacer.onWake(clock.nowUs());
            QCOMPARE(tick.deadlines, 1);
            QCOMPARE(tick.resynced, false);
            QCOMPARE(tick.lateUs, qint64{lateness[k % 10]});
        }
        QCOMPARE(pacer.nextDeadlineUs(), t0 + 1001 * protocol::kChunkUs);
    }

    void earlyWakeSendsNothing() {
        ManualClock clock;
        Pacer pacer;
        pacer.start(clock.nowUs());
        clock.advanceMs(99);
        QCOMPARE(pacer.onWake(clock.nowUs()).deadlines, 0);
    }

    void aShortStallCatchesUp() {
        ManualClock clock;
        Pacer pacer;
        const qint64 t0 = clock.nowUs();
        pacer.start(t0);
        clock.advanceMs(350); // deadlines at 100, 200 and 300 ms passed
        const Pacer::Tick tick = pacer.onWake(clock.nowUs());
        QCOMPARE(tick.deadlines, 3);
        QCOMPARE(tick.resynced, false);
        QCOMPARE(pacer.nextDeadlineUs(), t0 + 400'000);
    }

    void aLongStallResyncs() {
        ManualClock clock;
        Pacer pacer;
        pacer.start(clock.nowUs());
        clock.advanceMs(2500);
        const Pacer::Tick tick = pacer.onWake(clock.nowUs());
        QVERIFY(tick.resynced);
        QCOMPARE(tick.deadlines, 1);
        QCOMPARE(pacer.nextDeadlineUs(), clock.nowUs() + protocol::kChunkUs);
        QCOMPARE(pacer.resyncs(), std::uint64_t{1});
    }

    void aPhaseKeepsTheDeadlinesOnIt() {
        ManualClock clock;
        clock.advanceUs(1'234'567);
        Pacer pacer;
        const qint64 phase = 25'000;
        pacer.start(clock.nowUs(), phase);
        const qint64 first = pacer.nextDeadlineUs();
        QCOMPARE(first % protocol::kChunkUs, phase);
        QVERIFY(first >= clock.nowUs() + protocol::kChunkUs / 2);
        QVERIFY(first < clock.nowUs() + protocol::kChunkUs * 3 / 2);
        clock.advanceUs(first - clock.nowUs() + 7000); // late: the next stays on the phase
        QCOMPARE(pacer.onWake(clock.nowUs()).deadlines, 1);
        QCOMPARE(pacer.nextDeadlineUs(), first + protocol::kChunkUs);
        clock.advanceMs(2500); // a long stall: resynced, on the same phase
        QVERIFY(pacer.onWake(clock.nowUs()).resynced);
        QCOMPARE(pacer.nextDeadlineUs() % protocol::kChunkUs, phase);
        QVERIFY(pacer.nextDeadlineUs() >= clock.nowUs() + protocol::kChunkUs / 2);
    }

    void phaseSlotsSpreadListenersEvenly() {
        PhaseSlots phases(20);
        std::vector<int> given;
        for (int i = 0; i < 1000; ++i) { // a reconnect storm: all at once
            given.push_back(phases.acquire());
        }
        for (int s = 0; s < 20; ++s) {
            QCOMPARE(phases.listeners(s), 50);
            QCOMPARE(phases.phaseUs(s), qint64{s} * 5000);
        }
        for (int i = 0; i < 1000 && phases.listeners(7) > 40; ++i) {
            if (given[static_cast<std::size_t>(i)] == 7) {
                phases.release(7); // ten of slot 7's listeners leave
            }
        }
        for (int i = 0; i < 10; ++i) {
            QCOMPARE(phases.acquire(), 7); // newcomers fill it first
        }
        phases.release(-1); // no slot: nothing happens
        QCOMPARE(phases.listeners(7), 50);

        PhaseSlots none(0); // pacing slots off
        QCOMPARE(none.acquire(), -1);
        QCOMPARE(none.phaseUs(-1), qint64{-1});
    }

    void chunksKeepTheLeadAtTheTarget_data() {
        QTest::addColumn<qint64>("cursor");
        QTest::addColumn<qint64>("live");
        QTest::addColumn<int>("target");
        QTest::addColumn<int>("deadlines");
        QTest::addColumn<int>("expected");
        QTest::newRow("steady") << qint64{110} << qint64{101} << 10 << 1 << 1;
        QTest::newRow("steady, other phase") << qint64{110} << qint64{100} << 10 << 1 << 1;
        QTest::newRow("behind: one extra") << qint64{105} << qint64{100} << 10 << 1 << 2;
        QTest::newRow("tier raised") << qint64{110} << qint64{100} << 20 << 1 << 2;
        QTest::newRow("ahead: skip one") << qint64{125} << qint64{100} << 20 << 1 << 0;
        QTest::newRow("tier lowered") << qint64{130} << qint64{100} << 5 << 1 << 0;
        QTest::newRow("catch up after stall") << qint64{105} << qint64{103} << 10 << 3 << 4;
        QTest::newRow("early wake") << qint64{110} << qint64{100} << 10 << 0 << 0;
    }
    void chunksKeepTheLeadAtTheTarget() {
        QFETCH(qint64, cursor);
        QFETCH(qint64, live);
        QFETCH(int, target);
        QFETCH(int, deadlines);
        QFETCH(int, expected);
        QCOMPARE(chunksToSend(cursor, live, target, deadlines), expected);
    }

    void leadConvergesAndHolds() {
        // Simulate a listener through a tier change: the lead reaches the new target and stays.
        qint64 cursor = 1000 + 10;
        qint64 live = 1000;
        int target = 10;
        for (int k = 0; k < 100; ++k) {
            if (k == 20) {
                target = 30; // escalated to defensive
            }
            ++live;
            cursor += chunksToSend(cursor, live, target, 1);
            if (k > 60) {
                QVERIFY(std::abs(cursor - live - target) <= 1);
            }
        }
    }

    void tierEscalatesOnUnderrunsAfterTheHold() {
        ManualClock clock;
        TierPolicy tier(Tier::Minimal, clock.nowUs());
        clock.advanceMs(2000);
        tier.onUnderrun(clock.nowUs());
        tier.onUnderrun(clock.nowUs());
        QVERIFY(!tier.evaluate(clock.nowUs())); // within the hold time after joining
        clock.advanceMs(8000);
        const auto change = tier.evaluate(clock.nowUs());
        QVERIFY(change);
        QCOMPARE(change->tier, Tier::Normal);
        QCOMPARE(change->reason, QString("underruns"));
        QCOMPARE(tier.current(), Tier::Normal);
    }

    void oneUnderrunOrOldOnesDoNotEscalate() {
        ManualClock clock;
        TierPolicy tier(Tier::Normal, clock.nowUs());
        tier.onUnderrun(clock.nowUs());
        clock.advanceMs(31000); // the first one leaves the 30 s window
        tier.onUnderrun(clock.nowUs());
        QVERIFY(!tier.evaluate(clock.nowUs()));
        QCOMPARE(tier.current(), Tier::Normal);
    }

    void tierEscalatesOnJitter() {
        ManualClock clock;
        TierPolicy tier(Tier::Minimal, clock.nowUs()); // 500 ms: jitter above 100 ms is high
        for (int i = 0; i < TierPolicy::kJitterWindow; ++i) {
            tier.onJitter(i % 10 == 0 ? 180.0 : 5.0);
        }
        clock.advanceMs(11000);
        const auto change = tier.evaluate(clock.nowUs());
        QVERIFY(change);
        QCOMPARE(change->reason, QString("jitter"));
        QCOMPARE(change->tier, Tier::Normal);
    }

    void theP95ComparisonsAgreeWithTheP95() {
        // Windows of every length, values on a coarse grid (ties) and thresholds on and
        // between them: the counting comparisons must give exactly what the sorted p95 gives.
        std::mt19937 rng(15);
        std::uniform_int_distribution<int> value(0, 20);
        for (int trial = 0; trial < 400; ++trial) {
            TierPolicy tier;
            const int n = trial % (TierPolicy::kJitterWindow + 5); // 0..54: empty and full
            for (int i = 0; i < n; ++i) {
                tier.onJitter(value(rng) * 0.5);
            }
            const double p95 = tier.jitterP95();
            for (double t = -0.25; t <= 10.5; t += 0.25) {
                QCOMPARE(tier.jitterP95Above(t), p95 > t);
                QCOMPARE(tier.jitterP95Below(t), p95 < t);
            }
        }
    }

    void tierRelaxesWhenHealthyButNotBelowTheRequest() {
        ManualClock clock;
        TierPolicy tier(Tier::Normal, clock.nowUs());
        clock.advanceMs(11000);
        tier.onUnderrun(clock.nowUs());
        tier.onUnderrun(clock.nowUs());
        QCOMPARE(tier.evaluate(clock.nowUs())->tier, Tier::Stable);
        for (int i = 0; i < TierPolicy::kJitterWindow; ++i) {
            tier.onJitter(1.0);
        }
        clock.advanceMs(59000);
        QVERIFY(!tier.evaluate(clock.nowUs())); // not healthy for a full minute yet
        clock.advanceMs(2000);
        const auto change = tier.evaluate(clock.nowUs());
        QVERIFY(change);
        QCOMPARE(change->tier, Tier::Normal);
        QCOMPARE(change->reason, QString("healthy"));
        clock.advanceMs(120000);
        QVERIFY(!tier.evaluate(clock.nowUs())); // never below the requested tier
        QCOMPARE(tier.current(), Tier::Normal);
    }

    void requestedTierBecomesTheFloor() {
        ManualClock clock;
        TierPolicy tier(Tier::Normal, clock.nowUs());
        tier.request(Tier::Defensive, clock.nowUs());
        QCOMPARE(tier.current(), Tier::Defensive);
        clock.advanceMs(600000);
        QVERIFY(!tier.evaluate(clock.nowUs()));
        QCOMPARE(tier.current(), Tier::Defensive);
    }

    void rateLimitAllowsABurstThenRejectsThenCloses() {
        ManualClock clock;
        RateLimiter limiter(20, 40, 40);
        for (int i = 0; i < 40; ++i) {
            QCOMPARE(limiter.onMessage(clock.nowUs()), RateLimiter::Verdict::Allow);
        }
        QCOMPARE(limiter.onMessage(clock.nowUs()), RateLimiter::Verdict::Reject);
        clock.advanceMs(100); // two tokens back
        QCOMPARE(limiter.onMessage(clock.nowUs()), RateLimiter::Verdict::Allow);
        QCOMPARE(limiter.onMessage(clock.nowUs()), RateLimiter::Verdict::Allow);
        QCOMPARE(limiter.onMessage(clock.nowUs()), RateLimiter::Verdict::Reject);
        RateLimiter::Verdict last = RateLimiter::Verdict::Reject;
        int rejected = 2;
        while (last == RateLimiter::Verdict::Reject) {
            last = limiter.onMessage(clock.nowUs());
            ++rejected;
        }
        QCOMPARE(last, RateLimiter::Verdict::Close);
        QCOMPARE(rejected, 40);
    }

    void aSteadyClientIsNeverLimited() {
        ManualClock clock;
        RateLimiter limiter(20, 40, 40);
        for (int i = 0; i < 10000; ++i) {
            clock.advanceMs(50); // exactly the sustained rate
            QCOMPARE(limiter.onMessage(clock.nowUs()), RateLimiter::Verdict::Allow);
        }
    }

    void backoffGrowsIsCappedAndJittered() {
        QCOMPARE(auralis::backoffMs(0, 250, 10000, 0.5), 250);
        QCOMPARE(auralis::backoffMs(1, 250, 10000, 0.5), 500);
        QCOMPARE(auralis::backoffMs(3, 250, 10000, 0.5), 2000);
        QCOMPARE(auralis::backoffMs(10, 250, 10000, 0.5), 10000);
        QCOMPARE(auralis::backoffMs(60, 250, 10000, 0.5), 10000);
        QCOMPARE(auralis::backoffMs(2, 250, 10000, 0.0), 800);
        QVERIFY(auralis::backoffMs(2, 250, 10000, 0.999) < 1200);
    }
};

AURALIS_TEST_MAIN(TestPacing)
#include "tst_pacing.moc"
