// A robust parser for the Prometheus text exposition format (0.0.4). A remote node is
// untrusted input: malformed lines are reported and skipped, sizes are bounded, and the
// parser is linear in its input. Pure function (standard C++ only); any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace auralis::monitor {

/// Label pairs sorted by name (the identity of a series together with its name).
using Labels = std::vector<std::pair<std::string, std::string>>;

struct ParsedSample {
    std::string name;
    Labels labels;
    double value = 0;
    std::optional<std::int64_t> timestampMs;
};

struct ParseIssue {
    std::size_t line = 0; // 1-based
    std::string message;
};

struct ParseLimits {
    std::size_t maxBytes = 32u << 20; // larger input is truncated there (and reported)
    std::size_t maxLineBytes = 64u << 10;
    std::size_t maxSamples = 200000;
    std::size_t maxLabels = 64;
    std::size_t maxIssues = 100; // further issues are counted, not kept
};

struct ParsedScrape {
    std::vector<ParsedSample> samples;
    std::map<std::string, std::string> types; // family -> counter|gauge|histogram|summary|untyped
    std::map<std::string, std::string> help;
    std::vector<ParseIssue> issues;
    std::size_t issueCount = 0;
    bool truncated = false;
};

ParsedScrape parseExposition(std::string_view text, const ParseLimits& limits = {});

/// Canonical text of a series: name{a="1",b="2"} with sorted labels (map key, display).
std::string seriesKey(const std::string& name, const Labels& labels);

} // namespace auralis::monitor
