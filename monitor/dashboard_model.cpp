#include "monitor/dashboard_model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace auralis::monitor {

namespace {

constexpr std::int64_t kRate = 5 * 60'000; // the contract's panels use [5m]

std::vector<std::int64_t> steps(std::int64_t now, const DashboardOptions& o) {
    std::vector<std::int64_t> t;
    const int n = std::max(2, o.points);
    for (int i = 0; i < n; ++i) {
        t.push_back(now - o.rangeMs + o.rangeMs * i / (n - 1));
    }
    return t;
}

std::string summary(std::size_t count, const char* what, const std::vector<double>& values) {
    if (count == 0) {
        return {};
    }
    std::vector<double> v = values;
    std::sort(v.begin(), v.end());
    char buf[160];
    std::snprintf(buf, sizeof buf, "+ %zu more clients: %s min %.3g, median %.3g, max %.3g", count,
                  what, v.front(), v[v.size() / 2], v.back());
    return buf;
}

const Series* findSeries(const SeriesStore& store, const std::string& metric,
                         const Labels& labels) {
    for (const Series* s : store.select(metric)) {
        if (s->labels == labels) {
            return s;
        }
    }
    return nullptr;
}

void finish(ChartSeries& s) {
    for (auto it = s.points.rbegin(); it != s.points.rend(); ++it) {
        if (!std::isnan(it->second)) {
            s.current = it->second;
            break;
        }
    }
}

} // namespace

DashboardSnapshot computeDashboard(const SeriesStore& store, const AlertEvaluator& alerts,
                                   std::int64_t now, const DashboardOptions& o) {
    DashboardSnapshot d;
    d.timeMs = now;
    d.series = store.seriesCount();
    const std::vector<std::int64_t> times = steps(now, o);

    // Synthesis Latency (p50, p95, p99): histogram_quantile(q, rate(..._bucket[5m])), in ms.
    d.latency.title = "Synthesis Latency (p50, p95, p99)";
    d.latency.unit = "ms";
    const double qs[3] = {0.50, 0.95, 0.99};
    const char* names[3] = {"p50", "p95", "p99"};
    std::vector<ChartSeries> latency(3);
    for (int i = 0; i < 3; ++i) {
        latency[static_cast<std::size_t>(i)].name = names[i];
    }
    for (const std::int64_t t : times) {
        const Vector rates =
            rangeVector(store, "synthesis_latency_seconds_bucket", RangeFunction::Rate, t, kRate);
        for (int i = 0; i < 3; ++i) {
            const Vector q = histogramQuantile(qs[i], rates);
            if (!q.empty() && !std::isnan(q.front().value)) {
                latency[static_cast<std::size_t>(i)].points.emplace_back(t,
                                                                         q.front().value * 1000.0);
            }
        }
    }
    for (ChartSeries& s : latency) {
        finish(s);
        if (s.current) {
            s.level = latencyLevel(*s.current / 1000.0);
        }
    }
    d.latency.series = std::move(latency);
    if (d.latency.series[2].current) {
        d.latency.headline = d.latency.series[2].current;
        d.latency.headlineLevel = d.latency.series[2].level;
    }

    // Buffer Depth (per client): the worst (lowest) N drawn, the rest summarised.
    d.depth.title = "Buffer Depth (per client)";
    d.depth.unit = "chunks";
    Vector depths = instantVector(store, "buffer_depth_chunks", now);
    std::sort(depths.begin(), depths.end(), [](const Sample& a, const Sample& b) {
        return a.value < b.value || (a.value == b.value && a.labels < b.labels);
    });
    std::vector<double> rest;
    for (std::size_t i = 0; i < depths.size(); ++i) {
        if (i >= o.worstClients) {
            rest.push_back(depths[i].value);
            continue;
        }
        ChartSeries s;
        s.name = labelOf(depths[i].labels, "client_id");
        if (const Series* series = findSeries(store, "buffer_depth_chunks", depths[i].labels)) {
            for (const std::int64_t t : times) {
                if (const auto v = instantValue(*series, t)) {
                    s.points.emplace_back(t, *v);
                }
            }
        }
        finish(s);
        if (s.current) {
            s.level = depthLevel(*s.current);
        }
        d.depth.series.push_back(std::move(s));
    }
    d.depth.others = summary(rest.size(), "depth", rest);
    if (!depths.empty()) {
        d.depth.headline = depths.front().value;
        d.depth.headlineLevel = depthLevel(depths.front().value);
    }

    // Memory Usage: System RAM and GPU VRAM (MB).
    d.memory.title = "Memory Usage";
    d.memory.unit = "MB";
    for (const auto& [metric, legend] : {std::pair{"memory_usage_mb", "System RAM"},
                                         std::pair{"gpu_memory_allocated_mb", "GPU VRAM"}}) {
        ChartSeries s;
        s.name = legend;
        for (const Series* series : store.select(metric)) {
            for (const std::int64_t t : times) {
                if (const auto v = instantValue(*series, t)) {
                    s.points.emplace_back(t, *v);
                }
            }
            break;
        }
        finish(s);
        d.memory.series.push_back(std::move(s));
    }
    d.memory.headline = d.memory.series[0].current;

    // Buffer Underruns (rate): sum by (client_id) (rate(buffer_underruns_total[5m])), worst N.
    d.underruns.title = "Buffer Underruns (rate)";
    d.underruns.unit = "/s";
    Vector rates =
        sumBy(rangeVector(store, "buffer_underruns_total", RangeFunction::Rate, now, kRate),
              {"client_id"});
    std::sort(rates.begin(), rates.end(), [](const Sample& a, const Sample& b) {
        return a.value > b.value || (a.value == b.value && a.labels < b.labels);
    });
    rest.clear();
    for (std::size_t i = 0; i < rates.size(); ++i) {
        if (i >= o.worstClients) {
            rest.push_back(rates[i].value);
            continue;
        }
        ChartSeries s;
        s.name = labelOf(rates[i].labels, "client_id");
        if (const Series* series = findSeries(store, "buffer_underruns_total", rates[i].labels)) {
            for (const std::int64_t t : times) {
                const std::vector<Point> p = rangeSamples(*series, t, kRate);
                if (p.size() >= 2) {
                    s.points.emplace_back(t, rate(p, t, kRate));
                }
            }
        }
        finish(s);
        if (s.current) {
            s.level = underrunRateLevel(*s.current);
        }
        d.underruns.series.push_back(std::move(s));
    }
    d.underruns.others = summary(rest.size(), "rate", rest);
    if (!rates.empty()) {
        d.underruns.headline = rates.front().value;
        d.underruns.headlineLevel = underrunRateLevel(rates.front().value);
    }

    // Active WebSocket Connections (stat).
    for (const Series* series : store.select("active_websocket_connections")) {
        d.connections = instantValue(*series, now);
        for (const std::int64_t t : times) {
            if (const auto v = instantValue(*series, t)) {
                d.connectionsHistory.emplace_back(t, *v);
            }
        }
        break;
    }
    if (d.connections) {
        d.connectionsLevel = connectionsLevel(*d.connections);
    }
    d.alerts = alerts.status();
    return d;
}

} // namespace auralis::monitor
