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

/// A family's `# HELP` (when `help` is not empty) and `# TYPE` lines, as above.
void appendFamilyHeader(std::string& out, const std::string& name, const std::string& help,
                        prometheus::MetricType type);
/// One sample line with one label and no timestamp, as above: `name{label="value"} v`.
void appendSample(std::string& out, const std::string& name, const char* labelName,
                  const std::string& labelValue, double value);

} // namespace auralis::core
