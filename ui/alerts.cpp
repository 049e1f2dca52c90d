#include "ui/alerts.h"

#include <algorithm>
#include <cstdio>

namespace auralis::ui {

namespace {

constexpr std::int64_t kMinute = 60'000;

std::string fmt(const char* format, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, format, v);
    return buf;
}

Vector above(Vector v, double threshold) {
    v.erase(
        std::remove_if(v.begin(), v.end(), [&](const Sample& s) { return !(s.value > threshold); }),
        v.end());
    return v;
}

Vector quantileOfRate(const SeriesStore& store, const std::string& buckets, double q,
                      std::int64_t t) {
    return histogramQuantile(
        q, sumBy(rangeVector(store, buckets, RangeFunction::Rate, t, 5 * kMinute), {"le"}));
}

} // namespace

std::vector<AlertRule> contractAlertRules() {
    std::vector<AlertRule> r;
    r.push_back(
        {"BufferUnderrun", "critical", 2 * kMinute, "rate(buffer_underruns_total[1m]) > 0.0167",
         [](const SeriesStore& s, std::int64_t t) {
             return above(rangeVector(s, "buffer_underruns_total", RangeFunction::Rate, t, kMinute),
                          0.0167);
         },
         [](const Sample& x) {
             return "Buffer underruns detected for " + labelOf(x.labels, "client_id");
         },
         [](const Sample& x) {
             return "Client " + labelOf(x.labels, "client_id") + " experiencing " +
                    fmt("%.3f", x.value) + " underruns/sec";
         }});
    r.push_back(
        {"SynthesisLatencyHigh", "critical", 5 * kMinute,
         "histogram_quantile(0.99, sum by (le) (rate(synthesis_latency_seconds_bucket[5m]))) > 0.1",
         [](const SeriesStore& s, std::int64_t t) {
             return above(quantileOfRate(s, "synthesis_latency_seconds_bucket", 0.99, t), 0.1);
         },
         [](const Sample&) { return std::string("Synthesis latency p99 exceeds 100ms"); },
         [](const Sample& x) {
             return "p99 latency: " + fmt("%.3f", x.value) + "s (target: <0.1s)";
         }});
    r.push_back(
        {"MemoryLeak", "critical", 60 * kMinute, "deriv(memory_usage_mb[1h]) * 3600 > 20",
         [](const SeriesStore& s, std::int64_t t) {
             Vector v = rangeVector(s, "memory_usage_mb", RangeFunction::Deriv, t, 60 * kMinute);
             for (Sample& x : v) {
                 x.value *= 3600;
             }
             return above(v, 20);
         },
         [](const Sample&) { return std::string("Memory leak detected"); },
         [](const Sample& x) { return "Memory growing at " + fmt("%.1f", x.value) + " MB/hour"; }});
    r.push_back(
        {"HighChunkJitter", "high", 10 * kMinute,
         "histogram_quantile(0.95, sum by (le) (rate(chunk_delivery_jitter_ms_bucket[5m]))) > 50",
         [](const SeriesStore& s, std::int64_t t) {
             return above(quantileOfRate(s, "chunk_delivery_jitter_ms_bucket", 0.95, t), 50);
         },
         [](const Sample&) { return std::string("High chunk delivery jitter"); },
         [](const Sample& x) {
             return "p95 jitter: " + fmt("%.1f", x.value) + "ms (target: <50ms)";
         }});
    r.push_back({"GPUMemoryHigh", "high", 5 * kMinute,
                 "gpu_memory_allocated_mb > 0.9 * gpu_memory_total_mb",
                 [](const SeriesStore& s, std::int64_t t) {
                     Vector out;
                     const Vector total = instantVector(s, "gpu_memory_total_mb", t);
                     for (const Sample& a : instantVector(s, "gpu_memory_allocated_mb", t)) {
                         for (const Sample& b : total) {
                             if (a.labels == b.labels && a.value > 0.9 * b.value) {
                                 out.push_back(a);
                             }
                         }
                     }
                     return out;
                 },
                 [](const Sample&) { return std::string("GPU memory usage > 90%"); },
                 [](const Sample& x) { return "GPU memory: " + fmt("%.0f", x.value) + " MB"; }});
    r.push_back({"HighCPUUsage", "medium", 10 * kMinute,
                 "rate(process_cpu_seconds_total[5m]) > 0.9",
                 [](const SeriesStore& s, std::int64_t t) {
                     return above(rangeVector(s, "process_cpu_seconds_total", RangeFunction::Rate,
                                              t, 5 * kMinute),
                                  0.9);
                 },
                 [](const Sample&) { return std::string("CPU usage > 90% for 10 minutes"); },
                 [](const Sample&) { return std::string(); }});
    r.push_back(
        {"FrequentGCCollections", "medium", 10 * kMinute,
         "rate(gc_collections_total{generation=\"2\"}[5m]) > 0.0033",
         [](const SeriesStore& s, std::int64_t t) {
             Vector v = rangeVector(s, "gc_collections_total", RangeFunction::Rate, t, 5 * kMinute);
             v.erase(std::remove_if(
                         v.begin(), v.end(),
                         [](const Sample& x) { return labelOf(x.labels, "generation") != "2"; }),
                     v.end());
             return above(v, 0.0033);
         },
         [](const Sample&) { return std::string("Frequent gen-2 GC collections"); },
         [](const Sample& x) { return fmt("%.4f", x.value) + " gen-2 collections per second"; }});
    return r;
}

const char* alertStateName(AlertState state) {
    switch (state) {
    case AlertState::Inactive:
        return "inactive";
    case AlertState::Pending:
        return "pending";
    case AlertState::Firing:
        return "firing";
    }
    return "inactive";
}

AlertEvaluator::AlertEvaluator(std::vector<AlertRule> rules) : m_rules(std::move(rules)) {}

void AlertEvaluator::evaluate(const SeriesStore& store, std::int64_t now) {
    std::map<std::pair<std::string, Labels>, AlertStatus> next;
    for (const AlertRule& rule : m_rules) {
        for (const Sample& sample : rule.expr(store, now)) {
            const auto key = std::make_pair(rule.name, sample.labels);
            AlertStatus st;
            const auto it = m_active.find(key);
            st.activeSinceMs = it != m_active.end() ? it->second.activeSinceMs : now;
            st.rule = rule.name;
            st.severity = rule.severity;
            st.condition = rule.condition;
            st.labels = sample.labels;
            st.value = sample.value;
            const std::int64_t held = now - st.activeSinceMs;
            st.state = held >= rule.forMs ? AlertState::Firing : AlertState::Pending;
            st.pendingLeftMs = st.state == AlertState::Pending ? rule.forMs - held : 0;
            st.summary = rule.summary(sample);
            st.description = rule.description(sample);
            next.emplace(key, std::move(st));
        }
    }
    m_active = std::move(next); // instances whose condition stopped holding are resolved
}

std::vector<AlertStatus> AlertEvaluator::status() const {
    std::vector<AlertStatus> out;
    for (const auto& [key, st] : m_active) {
        out.push_back(st);
    }
    for (const AlertRule& rule : m_rules) {
        if (state(rule.name) == AlertState::Inactive) {
            AlertStatus st;
            st.rule = rule.name;
            st.severity = rule.severity;
            st.condition = rule.condition;
            out.push_back(st);
        }
    }
    std::stable_sort(out.begin(), out.end(), [](const AlertStatus& a, const AlertStatus& b) {
        if (a.state != b.state) {
            return static_cast<int>(a.state) > static_cast<int>(b.state);
        }
        return a.rule < b.rule;
    });
    return out;
}

AlertState AlertEvaluator::state(const std::string& rule) const {
    AlertState worst = AlertState::Inactive;
    for (const auto& [key, st] : m_active) {
        if (key.first == rule && static_cast<int>(st.state) > static_cast<int>(worst)) {
            worst = st.state;
        }
    }
    return worst;
}

} // namespace auralis::ui
