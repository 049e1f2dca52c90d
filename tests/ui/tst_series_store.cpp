// The series store stays bounded (retention, series cap) and follows Prometheus' staleness.
#include "monitor/promql.h"

#include <QtTest>

using namespace auralis::monitor;

namespace {
ParsedScrape scrapeOf(int series, double value) {
    ParsedScrape s;
    for (int i = 0; i < series; ++i) {
        s.samples.push_back(
            {"buffer_depth_chunks", {{"client_id", "c" + std::to_string(i)}}, value, std::nullopt});
    }
    return s;
}
} // namespace

class TestSeriesStore : public QObject {
    Q_OBJECT
private slots:
    void anHourAtOneSecondForAThousandSeriesStaysBounded() {
        SeriesStore store(3'600'000);
        const std::int64_t t0 = 1'700'000'000'000;
        for (int s = 0; s < 2 * 3600; s += 1) { // two hours of 1 s scrapes
            const std::int64_t t = t0 + s * 1000;
            store.append(scrapeOf(1000, s), t);
            if (s % 60 == 0) {
                store.trim(t);
            }
        }
        store.trim(t0 + 2 * 3600 * 1000);
        QCOMPARE(store.seriesCount(), std::size_t{1000});
        QVERIFY(store.pointCount() <= std::size_t{1000} * 3601);
        QVERIFY(store.pointCount() >= std::size_t{1000} * 3599);
        // The oldest point left is within the hour.
        const Series& s = *store.select("buffer_depth_chunks").front();
        QVERIFY(s.points.front().t >= t0 + 3600 * 1000);
    }

    void theSeriesCapHolds() {
        SeriesStore store(3'600'000, 500);
        store.append(scrapeOf(2000, 1), 1000);
        QCOMPARE(store.seriesCount(), std::size_t{500});
        QCOMPARE(store.droppedSeries(), std::size_t{1500});
    }

    void aVanishedSeriesGoesStale() {
        SeriesStore store;
        store.append(scrapeOf(2, 7), 10'000);
        store.append(scrapeOf(2, 8), 11'000);
        store.append(scrapeOf(1, 9), 12'000); // c1 left
        const auto& all = store.select("buffer_depth_chunks");
        QCOMPARE(all.size(), std::size_t{2});
        QCOMPARE(instantVector(store, "buffer_depth_chunks", 12'000).size(), std::size_t{1});
        QCOMPARE(instantVector(store, "buffer_depth_chunks", 11'500).size(), std::size_t{2});
        for (const Series* s : all) {
            QCOMPARE(rangeSamples(*s, 12'000, 5000).size(),
                     s->label("client_id") == "c1" ? std::size_t{2} : std::size_t{3});
        }
        // Older than the 5 minute lookback: gone from instant queries too.
        store.append(scrapeOf(1, 9), 13'000);
        QCOMPARE(instantVector(store, "buffer_depth_chunks", 13'000 + 400'000).size(),
                 std::size_t{0});
        // Trimming removes the departed series entirely.
        store.trim(13'000 + 3'600'000 + 1);
        QCOMPARE(store.seriesCount(), std::size_t{0});
    }

    void outOfOrderPointsAreIgnored() {
        SeriesStore store;
        store.append(scrapeOf(1, 1), 5000);
        store.append(scrapeOf(1, 2), 4000);
        store.append(scrapeOf(1, 3), 5000);
        QCOMPARE(store.pointCount(), std::size_t{1});
    }
};

QTEST_GUILESS_MAIN(TestSeriesStore)
#include "tst_series_store.moc"
