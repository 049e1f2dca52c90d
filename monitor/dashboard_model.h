// What the dashboard shows, computed from a node's series store: the contract's five panels
// (the Grafana queries evaluated over the chosen time range), worst-N per-client series with
// the rest summarised, and the alerts. Plain C++ with no widgets; one thread at a time.
#pragma once

#include "monitor/alerts.h"
#include "monitor/thresholds.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace auralis::monitor {

struct ChartSeries {
    std::string name;                                    // legend: "p99", "System RAM", a client_id
    std::vector<std::pair<std::int64_t, double>> points; // (ms, value in the panel's unit)
    std::optional<double> current;                       // newest value
    std::optional<Level> level;                          // colour of the current value
};

struct ChartPanel {
    std::string title;
    std::string unit;                // "ms", "chunks", "MB", "/s"
    std::vector<ChartSeries> series; // drawn
    std::string others;              // e.g. "+ 992 more clients: min 9, median 12"
    std::optional<double> headline;  // the panel's current value (worst / p99)
    std::optional<Level> headlineLevel;
};

struct DashboardOptions {
    std::int64_t rangeMs = 5 * 60'000; // 5 m, 15 m or 1 h
    int points = 120;                  // per series over the range
    std::size_t worstClients = 8;      // per-client panels draw this many
};

struct DashboardSnapshot {
    std::int64_t timeMs = 0;
    ChartPanel latency;   // Synthesis Latency (p50, p95, p99), ms
    ChartPanel depth;     // Buffer Depth (per client), chunks
    ChartPanel memory;    // Memory Usage: System RAM, GPU VRAM, MB
    ChartPanel underruns; // Buffer Underruns (rate) per client, /s
    std::optional<double> connections;
    std::optional<Level> connectionsLevel;
    std::vector<std::pair<std::int64_t, double>> connectionsHistory;
    std::vector<AlertStatus> alerts;
    std::size_t series = 0; // series in the store
};

/// Evaluates every panel at `nowMs` over options.rangeMs.
DashboardSnapshot computeDashboard(const SeriesStore& store, const AlertEvaluator& alerts,
                                   std::int64_t nowMs, const DashboardOptions& options = {});

} // namespace auralis::monitor
