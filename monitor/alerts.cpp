#include "monitor/alerts.h"

#include <algorithm>
#include <QtGlobal>

#include <map>

namespace auralis::monitor {

namespace {

constexpr std::int64_t kMinute = 60'000;

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

namespace {

using Eval = std::function<Vector(const SeriesStore&, std::int64_t)>;

// How the dashboard evaluates each rule of alerts.yml, keyed by name, with the expression it
// implements (a test and the start-up check compare it with the file's).
const std::map<std::string, std::pair<std::string, Eval>>& implementations() {
    static const std::map<std::string, std::pair<std::string, Eval>> table = {
        {"BufferUnderrun",
         {"rate(buffer_underruns_total[1m]) > 0.0167",
          [](const SeriesStore& s, std::int64_t t) {
              return above(
                  rangeVector(s, "buffer_underruns_total", RangeFunction::Rate, t, kMinute),
                  0.0167);
          }}},
        {"SynthesisLatencyHigh",
         {"histogram_quantile(0.99, sum by (le) (rate(synthesis_latency_seconds_bucket[5m]))) > "
          "0.1",
          [](const SeriesStore& s, std::int64_t t) {
              return above(quantileOfRate(s, "synthesis_latency_seconds_bucket", 0.99, t), 0.1);
          }}},
        {"MemoryLeak",
         {"deriv(memory_usage_mb[1h]) * 3600 > 20",
          [](const SeriesStore& s, std::int64_t t) {
              Vector v = rangeVector(s, "memory_usage_mb", RangeFunction::Deriv, t, 60 * kMinute);
              for (Sample& x : v) {
                  x.value *= 3600;
              }
              return above(v, 20);
          }}},
        {"HighChunkJitter",
         {"histogram_quantile(0.95, sum by (le) (rate(chunk_delivery_jitter_ms_bucket[5m]))) > 50",
          [](const SeriesStore& s, std::int64_t t) {
              return above(quantileOfRate(s, "chunk_delivery_jitter_ms_bucket", 0.95, t), 50);
          }}},
        {"GPUMemoryHigh",
         {"gpu_memory_allocated_mb > 0.9 * gpu_memory_total_mb",
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
          }}},
        {"HighCPUUsage",
         {"rate(process_cpu_seconds_total[5m]) > 0.9",
          [](const SeriesStore& s, std::int64_t t) {
              return above(
                  rangeVector(s, "process_cpu_seconds_total", RangeFunction::Rate, t, 5 * kMinute),
                  0.9);
          }}},
        {"FrequentGCCollections",
         {"rate(gc_collections_total{generation=\"2\"}[5m]) > 0.0033",
          [](const SeriesStore& s, std::int64_t t) {
              Vector v =
                  rangeVector(s, "gc_collections_total", RangeFunction::Rate, t, 5 * kMinute);
              v.erase(std::remove_if(
                          v.begin(), v.end(),
                          [](const Sample& x) { return labelOf(x.labels, "generation") != "2"; }),
                      v.end());
              return above(v, 0.0033);
          }}},
    };
    return table;
}

} // namespace

std::vector<std::pair<std::string, std::string>> implementedAlertExpressions() {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [name, impl] : implementations()) {
        out.emplace_back(name, impl.first);
    }
    return out;
}

std::vector<AlertRule> alertRulesFrom(const std::vector<RuleSpec>& specs) {
    std::vector<AlertRule> rules;
    for (const RuleSpec& spec : specs) {
        AlertRule r;
        r.name = spec.name;
        r.severity = spec.severity;
        r.forMs = spec.forMs;
        r.condition = spec.expr;
        const auto it = implementations().find(spec.name);
        if (it == implementations().end() || it->second.first != spec.expr) {
            // A rule the dashboard cannot evaluate as written: shown, never active.
            qWarning("alert rule %s: the dashboard has no evaluation of '%s'", spec.name.c_str(),
                     spec.expr.c_str());
            r.expr = [](const SeriesStore&, std::int64_t) { return Vector{}; };
        } else {
            r.expr = it->second.second;
        }
        r.summary = [t = spec.summary](const Sample& x) {
            return renderTemplate(t, x.labels, x.value);
        };
        r.description = [t = spec.description](const Sample& x) {
            return renderTemplate(t, x.labels, x.value);
        };
        rules.push_back(std::move(r));
    }
    return rules;
}

std::vector<AlertRule> contractAlertRules() {
    return alertRulesFrom(bundledAlertRules());
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

std::string durationText(std::int64_t ms) {
    const std::int64_t s = (std::max<std::int64_t>(ms, 0) + 999) / 1000;
    if (s < 120) {
        return std::to_string(s) + " s";
    }
    if (s < 600) {
        return std::to_string(s / 60) + " min " + std::to_string(s % 60) + " s";
    }
    const std::int64_t min = (s + 59) / 60;
    if (min < 120) {
        return std::to_string(min) + " min";
    }
    return std::to_string(min / 60) + " h " + std::to_string(min % 60) + " min";
}

AlertText alertText(const AlertStatus& a) {
    AlertText t;
    t.tooltip = a.rule + " (" + a.severity + "): fires when " + a.condition +
                " holds continuously for the rule's duration.";
    if (a.rule == "MemoryLeak") {
        t.tooltip += " It compares memory over the last hour: a node that just started "
                     "grows while its buffers and pools fill, so it may show as pending "
                     "during its first hour; it fires only if the growth persists for an hour.";
    }
    switch (a.state) {
    case AlertState::Firing:
        t.state = "firing";
        t.summary = a.summary;
        break;
    case AlertState::Pending:
        t.state = "pending: fires in " + durationText(a.pendingLeftMs) + " if it persists";
        t.summary = a.condition;
        break;
    case AlertState::Inactive:
        t.state = "inactive";
        t.summary = a.condition;
        break;
    }
    return t;
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

} // namespace auralis::monitor
