// A bounded time-series store for one node's scrapes: points older than the retention are
// dropped, the number of series is capped, and series that vanish from a scrape get a stale
// marker (as in Prometheus). Standard C++; one thread at a time.
#pragma once

#include "monitor/prom_text.h"

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace auralis::monitor {

struct Point {
    std::int64_t t; // ms since the epoch
    double v;
};

/// The stale marker: a NaN with a payload no scrape produces (Prometheus' value).
double staleMarker();
bool isStale(double v);

struct Series {
    std::string name;
    Labels labels;
    std::deque<Point> points; // ascending t
    bool fresh = false;       // present in the latest scrape

    /// Label value or empty.
    const std::string& label(const std::string& name) const;
};

class SeriesStore {
public:
    explicit SeriesStore(std::int64_t retentionMs = 3'600'000, std::size_t maxSeries = 50'000);

    /// Adds a scrape taken at `timeMs`. Points must arrive in time order per series; older
    /// or equal timestamps are ignored.
    void append(const ParsedScrape& scrape, std::int64_t timeMs);
    /// Drops points older than nowMs - retention, and series left without points.
    void trim(std::int64_t nowMs);

    /// Every series of a metric name.
    const std::vector<const Series*>& select(std::string_view name) const;

    std::size_t seriesCount() const { return m_series.size(); }
    std::size_t pointCount() const;
    std::size_t droppedSeries() const { return m_dropped; }
    std::int64_t retentionMs() const { return m_retention; }
    std::int64_t lastScrapeMs() const { return m_lastScrape; }

private:
    std::int64_t m_retention;
    std::size_t m_maxSeries;
    std::size_t m_dropped = 0;
    std::int64_t m_lastScrape = 0;
    std::unordered_map<std::string, Series> m_series; // by seriesKey(); nodes are stable
    std::unordered_map<std::string, std::vector<const Series*>> m_byName;
};

} // namespace auralis::monitor
