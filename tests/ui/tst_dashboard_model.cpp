// The dashboard's panel data from a store: the contract's queries over the time range,
// worst-N clients drawn and the rest summarised, headline values and their colours.
#include "monitor/dashboard_model.h"

#include <QtTest>

using namespace auralis::monitor;

namespace {

constexpr std::int64_t kT0 = 1'700'000'000'000;

// `clients` listeners scraped every second for `seconds`; client i has depth 20 + i, and
// client 0 has underruns at 0.5/s with depth 1 (the worst on both panels).
SeriesStore store(int clients, int seconds) {
    SeriesStore s(3'600'000);
    const std::vector<std::string> les = {"0.01", "0.025", "0.05", "0.075", "0.1", "0.15",
                                          "0.2",  "0.3",   "0.5",  "1",     "+Inf"};
    for (int k = 0; k <= seconds; ++k) {
        ParsedScrape p;
        for (std::size_t b = 0; b < les.size(); ++b) {
            // Every render takes 75-100 ms: p99 lands in the yellow band.
            p.samples.push_back({"synthesis_latency_seconds_bucket",
                                 {{"le", les[b]}},
                                 b >= 4 ? k * 0.25 : 0.0,
                                 std::nullopt});
        }
        for (int i = 0; i < clients; ++i) {
            const std::string id = "c" + std::to_string(i);
            p.samples.push_back({"buffer_depth_chunks",
                                 {{"client_id", id}},
                                 i == 0 ? 1.0 : 20.0 + i,
                                 std::nullopt});
            p.samples.push_back({"buffer_underruns_total",
                                 {{"client_id", id}},
                                 i == 0 ? k * 0.5 : 0.0,
                                 std::nullopt});
        }
        p.samples.push_back(
            {"active_websocket_connections", {}, static_cast<double>(clients), std::nullopt});
        p.samples.push_back({"memory_usage_mb", {}, 80.0, std::nullopt});
        p.samples.push_back({"gpu_memory_allocated_mb", {}, 0.0, std::nullopt});
        s.append(p, kT0 + k * 1000);
    }
    return s;
}

} // namespace

class TestDashboardModel : public QObject {
    Q_OBJECT
private slots:
    void panelsFollowTheContract() {
        const SeriesStore s = store(20, 600);
        AlertEvaluator alerts;
        alerts.evaluate(s, kT0 + 600'000);
        DashboardOptions o;
        o.worstClients = 5;
        const DashboardSnapshot d = computeDashboard(s, alerts, kT0 + 600'000, o);

        QCOMPARE(d.latency.series.size(), std::size_t{3});
        QVERIFY(d.latency.headline.has_value());
        QVERIFY(std::abs(*d.latency.headline - 99.75) < 1e-6); // 75 + 25 * 0.99 ms
        QCOMPARE(levelName(*d.latency.headlineLevel), "yellow");
        QVERIFY(d.latency.series[2].points.size() > 100);

        QCOMPARE(d.depth.series.size(), std::size_t{5});
        QCOMPARE(d.depth.series.front().name, std::string("c0")); // the worst first
        QCOMPARE(*d.depth.headline, 1.0);
        QCOMPARE(levelName(*d.depth.headlineLevel), "red");
        QVERIFY(d.depth.others.find("+ 15 more clients") != std::string::npos);

        QCOMPARE(d.underruns.series.front().name, std::string("c0"));
        QVERIFY(std::abs(*d.underruns.headline - 0.5) < 1e-9);
        QCOMPARE(levelName(*d.underruns.headlineLevel), "red");
        QCOMPARE(levelName(*d.underruns.series[1].level), "green");

        QCOMPARE(d.memory.series[0].name, std::string("System RAM"));
        QCOMPARE(d.memory.series[1].name, std::string("GPU VRAM"));
        QCOMPARE(*d.memory.headline, 80.0);

        QCOMPARE(*d.connections, 20.0);
        QCOMPARE(levelName(*d.connectionsLevel), "red");
        QCOMPARE(d.alerts.size() >= std::size_t{7}, true);
    }

    void theRangeLimitsThePoints() {
        const SeriesStore s = store(3, 1200);
        AlertEvaluator alerts;
        DashboardOptions five;
        DashboardOptions hour;
        hour.rangeMs = 3'600'000;
        const auto a = computeDashboard(s, alerts, kT0 + 1'200'000, five);
        const auto b = computeDashboard(s, alerts, kT0 + 1'200'000, hour);
        QCOMPARE(a.depth.series[0].points.front().first, kT0 + 1'200'000 - 300'000);
        // No data before the start: the first point is the first step at or after it.
        QVERIFY(b.depth.series[0].points.front().first >= kT0);
        QVERIFY(b.depth.series[0].points.front().first < kT0 + 3'600'000 / 119 + 1);
        QCOMPARE(a.depth.series[0].points.size(), std::size_t{120});
    }

    void anEmptyStoreShowsNoData() {
        SeriesStore s;
        AlertEvaluator alerts;
        const auto d = computeDashboard(s, alerts, kT0);
        QVERIFY(!d.latency.headline);
        QVERIFY(d.depth.series.empty());
        QVERIFY(!d.connections);
    }
};

QTEST_GUILESS_MAIN(TestDashboardModel)
#include "tst_dashboard_model.moc"
