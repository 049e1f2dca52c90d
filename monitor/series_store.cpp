#include "monitor/series_store.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace auralis::monitor {

namespace {
constexpr std::uint64_t kStaleBits = 0x7ff0000000000002ull;
const std::vector<const Series*> kNone;
const std::string kEmpty;
} // namespace

double staleMarker() {
    return std::bit_cast<double>(kStaleBits);
}
bool isStale(double v) {
    return std::bit_cast<std::uint64_t>(v) == kStaleBits;
}

const std::string& Series::label(const std::string& n) const {
    for (const auto& [k, v] : labels) {
        if (k == n) {
            return v;
        }
    }
    return kEmpty;
}

SeriesStore::SeriesStore(std::int64_t retentionMs, std::size_t maxSeries)
    : m_retention(retentionMs), m_maxSeries(maxSeries) {}

void SeriesStore::append(const ParsedScrape& scrape, std::int64_t timeMs) {
    for (auto& [key, s] : m_series) {
        s.fresh = false;
    }
    for (const ParsedSample& sample : scrape.samples) {
        const std::string key = seriesKey(sample.name, sample.labels);
        auto it = m_series.find(key);
        if (it == m_series.end()) {
            if (m_series.size() >= m_maxSeries) {
                ++m_dropped;
                continue;
            }
            it = m_series.emplace(key, Series{sample.name, sample.labels, {}, false}).first;
            m_byName[sample.name].push_back(&it->second);
        }
        Series& s = it->second;
        const std::int64_t t = sample.timestampMs.value_or(timeMs);
        if (!s.points.empty() && s.points.back().t >= t) {
            s.fresh = true;
            continue;
        }
        s.points.push_back({t, sample.value});
        s.fresh = true;
    }
    // Series that vanished end with a stale marker, so instant queries stop seeing them.
    for (auto& [key, s] : m_series) {
        if (!s.fresh && !s.points.empty() && !isStale(s.points.back().v) &&
            s.points.back().t < timeMs) {
            s.points.push_back({timeMs, staleMarker()});
        }
    }
    m_lastScrape = std::max(m_lastScrape, timeMs);
}

void SeriesStore::trim(std::int64_t nowMs) {
    const std::int64_t oldest = nowMs - m_retention;
    for (auto it = m_series.begin(); it != m_series.end();) {
        auto& points = it->second.points;
        while (!points.empty() && points.front().t < oldest) {
            points.pop_front();
        }
        if (points.empty() || (points.size() == 1 && isStale(points.front().v))) {
            auto& list = m_byName[it->second.name];
            list.erase(std::remove(list.begin(), list.end(), &it->second), list.end());
            if (list.empty()) {
                m_byName.erase(it->second.name);
            }
            it = m_series.erase(it);
        } else {
            ++it;
        }
    }
}

const std::vector<const Series*>& SeriesStore::select(std::string_view name) const {
    const auto it = m_byName.find(std::string(name));
    return it == m_byName.end() ? kNone : it->second;
}

std::size_t SeriesStore::pointCount() const {
    std::size_t n = 0;
    for (const auto& [key, s] : m_series) {
        n += s.points.size();
    }
    return n;
}

} // namespace auralis::monitor
