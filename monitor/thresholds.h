// The panel colours of the metrics contract as plain code (widgets only draw them). Ranges
// are inclusive as the contract's text reads: 100 ms is yellow, 5 chunks is yellow,
// 15 listeners is yellow. Pure functions; any thread.
#pragma once

#include <string>
#include <vector>

namespace auralis::monitor {

enum class Level { Green, Yellow, Red };

/// Synthesis latency (seconds): green < 75 ms, yellow 75-100 ms, red > 100 ms.
Level latencyLevel(double seconds);
/// Buffer depth (chunks): red < 2, yellow 2-5, green > 5.
Level depthLevel(double chunks);
/// Underrun rate (per second): green 0, yellow 0-0.01, red > 0.01.
Level underrunRateLevel(double perSecond);
/// Active connections: green 0-10, yellow 11-15, red > 15.
Level connectionsLevel(double connections);

/// Grafana's palette for the levels, as #rrggbb.
const char* levelColor(Level level);
const char* levelName(Level level);

/// A horizontal band of a panel's background, [from, to] in the panel's unit.
struct Band {
    double from;
    double to;
    Level level;
};
/// The bands drawn behind a time-series panel, in its display unit (ms for latency).
std::vector<Band> latencyBandsMs();
std::vector<Band> depthBands();
std::vector<Band> underrunBands();

} // namespace auralis::monitor
