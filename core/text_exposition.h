// The Prometheus text exposition (format 0.0.4) of collected families, byte for byte what
// prometheus-cpp 1.0's TextSerializer writes, built in one string without iostreams (a third
// of a 1000-listener scrape went to ostream inserts and printf). Pure; any thread.
#pragma once

#include <prometheus/metric_family.h>

#include <string>
#include <vector>

namespace auralis::core {

/// Appends the exposition of `families` to `out`.
void appendTextExposition(std::string& out, const std::vector<prometheus::MetricFamily>& families);

} // namespace auralis::core
