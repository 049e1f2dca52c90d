// The alert rules as packaging/prometheus/alerts.yml states them — names, expressions, `for`,
// severity and annotation templates — read from the file compiled into the binary, so the
// dashboard and Prometheus use one source. Pure functions; any thread.
#pragma once

#include "monitor/prom_text.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace auralis::monitor {

struct RuleSpec {
    std::string name;
    std::string expr;
    std::int64_t forMs = 0;
    std::string severity;
    std::string summary;     // template
    std::string description; // template (may be empty)
};

/// Reads the Prometheus rules format as alerts.yml writes it (groups -> rules with alert,
/// expr, for, labels.severity, annotations.summary/description; strings plain or in double
/// quotes). Empty with `error` set when the text does not have that shape.
std::vector<RuleSpec> parseAlertRules(std::string_view yaml, std::string* error);
/// The rules compiled in from packaging/prometheus/alerts.yml.
const std::vector<RuleSpec>& bundledAlertRules();

/// Prometheus durations as used by `for`: "90s", "2m", "1h", "1h30m".
std::int64_t parseDurationMs(std::string_view text, bool* ok);
/// Renders an annotation template: {{ $labels.NAME }}, {{ $value }} and
/// {{ printf "%.Nf" $value }}; anything else is kept as written.
std::string renderTemplate(std::string_view text, const Labels& labels, double value);

} // namespace auralis::monitor
