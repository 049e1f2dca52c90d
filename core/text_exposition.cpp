#include "core/text_exposition.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string_view>
#include <type_traits>

namespace auralis::core {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

void appendUnsigned(std::string& out, std::uint64_t v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

// As an ostream with the classic locale and precision max_digits10 - 1 writes a double
// ("%.16g"), with Prometheus' names for the non-finite values. Integral values below 1e15
// (counts, depths, most gauges) take a shortcut with the same digits.
void appendDouble(std::string& out, double v) {
    if (std::isnan(v)) {
        out += "Nan";
    } else if (std::isinf(v)) {
        out += v < 0 ? "-Inf" : "+Inf";
    } else if (v == std::trunc(v) && std::abs(v) < 1e15 && !(v == 0 && std::signbit(v))) {
        char buf[24];
        const auto r = std::to_chars(buf, buf + sizeof buf, static_cast<std::int64_t>(v));
        out.append(buf, r.ptr);
    } else {
        char buf[32];
        const int n = std::snprintf(buf, sizeof buf, "%.*g",
                                    std::numeric_limits<double>::max_digits10 - 1, v);
        out.append(buf, static_cast<std::size_t>(n));
    }
}

void appendEscaped(std::string& out, const std::string& value) {
    const auto special = [](char c) { return c == '\n' || c == '\\' || c == '"'; };
    if (std::none_of(value.begin(), value.end(), special)) {
        out += value; // label values almost never need escaping
        return;
    }
    for (const char c : value) {
        if (c == '\n') {
            out += "\\n";
        } else {
            if (c == '\\' || c == '"') {
                out += '\\';
            }
            out += c;
        }
    }
}

void appendLabel(std::string& out, const char* prefix, std::string_view name) {
    out += prefix;
    out += name;
    out += "=\"";
}

// name+suffix{labels[,extra="..."]} followed by a space.
template <class Extra>
void appendHead(std::string& out, const MetricFamily& family, const ClientMetric& metric,
                const char* suffix, const char* extraName, const Extra& extraValue) {
    out += family.name;
    out += suffix;
    if (!metric.label.empty() || extraName != nullptr) {
        out += '{';
        const char* prefix = "";
        for (const auto& l : metric.label) {
            appendLabel(out, prefix, l.name);
            appendEscaped(out, l.value);
            out += '"';
            prefix = ",";
        }
        if (extraName != nullptr) {
            appendLabel(out, prefix, extraName);
            if constexpr (std::is_same_v<Extra, double>) {
                appendDouble(out, extraValue);
            } else {
                appendEscaped(out, extraValue);
            }
            out += '"';
        }
        out += '}';
    }
    out += ' ';
}

void appendHead(std::string& out, const MetricFamily& family, const ClientMetric& metric,
                const char* suffix = "") {
    appendHead(out, family, metric, suffix, nullptr, 0.0);
}

void appendTail(std::string& out, const ClientMetric& metric) {
    if (metric.timestamp_ms != 0) {
        out += ' ';
        char buf[24];
        const auto r = std::to_chars(buf, buf + sizeof buf, metric.timestamp_ms);
        out.append(buf, r.ptr);
    }
    out += '\n';
}

void appendValueLine(std::string& out, const MetricFamily& family, const ClientMetric& metric,
                     double value) {
    appendHead(out, family, metric);
    appendDouble(out, value);
    appendTail(out, metric);
}

void appendCountAndSum(std::string& out, const MetricFamily& family, const ClientMetric& metric,
                       std::uint64_t count, double sum) {
    appendHead(out, family, metric, "_count");
    appendUnsigned(out, count);
    appendTail(out, metric);
    appendHead(out, family, metric, "_sum");
    appendDouble(out, sum);
    appendTail(out, metric);
}

void appendHistogram(std::string& out, const MetricFamily& family, const ClientMetric& metric) {
    const auto& h = metric.histogram;
    appendCountAndSum(out, family, metric, h.sample_count, h.sample_sum);
    double last = -std::numeric_limits<double>::infinity();
    for (const auto& b : h.bucket) {
        appendHead(out, family, metric, "_bucket", "le", b.upper_bound);
        last = b.upper_bound;
        appendUnsigned(out, b.cumulative_count);
        appendTail(out, metric);
    }
    if (last != std::numeric_limits<double>::infinity()) {
        appendHead(out, family, metric, "_bucket", "le", std::string("+Inf"));
        appendUnsigned(out, h.sample_count);
        appendTail(out, metric);
    }
}

void appendSummary(std::string& out, const MetricFamily& family, const ClientMetric& metric) {
    const auto& s = metric.summary;
    appendCountAndSum(out, family, metric, s.sample_count, s.sample_sum);
    for (const auto& q : s.quantile) {
        appendHead(out, family, metric, "", "quantile", q.quantile);
        appendDouble(out, q.value);
        appendTail(out, metric);
    }
}

const char* typeName(MetricType type) {
    switch (type) {
    case MetricType::Counter:
        return "counter";
    case MetricType::Gauge:
        return "gauge";
    case MetricType::Summary:
        return "summary";
    case MetricType::Untyped:
        return "untyped";
    case MetricType::Histogram:
        return "histogram";
    }
    return "untyped";
}

} // namespace

void appendFamilyHeader(std::string& out, const std::string& name, const std::string& help,
                        MetricType type) {
    if (!help.empty()) {
        out += "# HELP ";
        out += name;
        out += ' ';
        out += help;
        out += '\n';
    }
    out += "# TYPE ";
    out += name;
    out += ' ';
    out += typeName(type);
    out += '\n';
}

void appendSample(std::string& out, const std::string& name, const char* labelName,
                  const std::string& labelValue, double value) {
    out += name;
    out += '{';
    appendLabel(out, "", labelName);
    appendEscaped(out, labelValue);
    out += "\"} ";
    appendDouble(out, value);
    out += '\n';
}

void appendTextExposition(std::string& out, const std::vector<MetricFamily>& families) {
    for (const MetricFamily& family : families) {
        appendFamilyHeader(out, family.name, family.help, family.type);
        for (const ClientMetric& metric : family.metric) {
            switch (family.type) {
            case MetricType::Counter:
                appendValueLine(out, family, metric, metric.counter.value);
                break;
            case MetricType::Gauge:
                appendValueLine(out, family, metric, metric.gauge.value);
                break;
            case MetricType::Untyped:
                appendValueLine(out, family, metric, metric.untyped.value);
                break;
            case MetricType::Summary:
                appendSummary(out, family, metric);
                break;
            case MetricType::Histogram:
                appendHistogram(out, family, metric);
                break;
            }
        }
    }
}

} // namespace auralis::core
