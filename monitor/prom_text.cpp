#include "monitor/prom_text.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

namespace auralis::monitor {

namespace {

bool isNameStart(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_' || c == ':';
}
bool isNameChar(char c) {
    return isNameStart(c) || std::isdigit(static_cast<unsigned char>(c)) != 0;
}
bool isLabelStart(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_';
}
bool isLabelChar(char c) {
    return isLabelStart(c) || std::isdigit(static_cast<unsigned char>(c)) != 0;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::optional<double> parseValue(std::string_view s) {
    if (s.empty()) {
        return std::nullopt;
    }
    if (iequals(s, "nan")) {
        return std::numeric_limits<double>::quiet_NaN();
    }
    if (iequals(s, "+inf") || iequals(s, "inf")) {
        return std::numeric_limits<double>::infinity();
    }
    if (iequals(s, "-inf")) {
        return -std::numeric_limits<double>::infinity();
    }
    std::string_view body = s;
    if (body.front() == '+') {
        body.remove_prefix(1);
    }
    double v = 0;
    const auto [ptr, ec] = std::from_chars(body.data(), body.data() + body.size(), v);
    if (ec != std::errc() || ptr != body.data() + body.size()) {
        return std::nullopt;
    }
    return v;
}

struct LineParser {
    std::string_view s;
    std::size_t i = 0;

    bool done() const { return i >= s.size(); }
    char peek() const { return done() ? '\0' : s[i]; }
    void skipSpaces() {
        while (!done() && (s[i] == ' ' || s[i] == '\t')) {
            ++i;
        }
    }
    std::string_view token() {
        const std::size_t start = i;
        while (!done() && s[i] != ' ' && s[i] != '\t') {
            ++i;
        }
        return s.substr(start, i - start);
    }
};

// Parses one sample line; returns an error message, or empty on success.
std::string parseSampleLine(std::string_view line, const ParseLimits& limits, ParsedSample& out) {
    LineParser p{line};
    if (!isNameStart(p.peek())) {
        return "a sample must start with a metric name";
    }
    const std::size_t nameStart = p.i;
    while (!p.done() && isNameChar(p.peek())) {
        ++p.i;
    }
    out.name.assign(line.substr(nameStart, p.i - nameStart));
    out.labels.clear();
    if (p.peek() == '{') {
        ++p.i;
        while (true) {
            p.skipSpaces();
            if (p.peek() == '}') {
                ++p.i;
                break;
            }
            if (!isLabelStart(p.peek())) {
                return "expected a label name or '}'";
            }
            const std::size_t ls = p.i;
            while (!p.done() && isLabelChar(p.peek())) {
                ++p.i;
            }
            std::string labelName(line.substr(ls, p.i - ls));
            p.skipSpaces();
            if (p.peek() != '=') {
                return "expected '=' after label " + labelName;
            }
            ++p.i;
            p.skipSpaces();
            if (p.peek() != '"') {
                return "label values must be quoted";
            }
            ++p.i;
            std::string value;
            bool closed = false;
            while (!p.done()) {
                const char c = line[p.i++];
                if (c == '"') {
                    closed = true;
                    break;
                }
                if (c == '\\') {
                    if (p.done()) {
                        break;
                    }
                    const char e = line[p.i++];
                    value += e == 'n' ? '\n' : e; // \\ and \" keep the character
                } else {
                    value += c;
                }
            }
            if (!closed) {
                return "unterminated label value";
            }
            if (out.labels.size() >= limits.maxLabels) {
                return "too many labels";
            }
            out.labels.emplace_back(std::move(labelName), std::move(value));
            p.skipSpaces();
            if (p.peek() == ',') {
                ++p.i;
                continue;
            }
            if (p.peek() == '}') {
                ++p.i;
                break;
            }
            return "expected ',' or '}' after a label value";
        }
    }
    if (p.peek() != ' ' && p.peek() != '\t') {
        return "expected a space before the value";
    }
    p.skipSpaces();
    const auto value = parseValue(p.token());
    if (!value) {
        return "the value is not a number";
    }
    out.value = *value;
    p.skipSpaces();
    out.timestampMs.reset();
    if (!p.done()) {
        const std::string_view ts = p.token();
        std::int64_t t = 0;
        const auto [ptr, ec] = std::from_chars(ts.data(), ts.data() + ts.size(), t);
        if (ec != std::errc() || ptr != ts.data() + ts.size()) {
            return "the timestamp is not an integer";
        }
        out.timestampMs = t;
        p.skipSpaces();
        if (!p.done()) {
            return "unexpected text after the timestamp";
        }
    }
    std::sort(out.labels.begin(), out.labels.end());
    for (std::size_t k = 1; k < out.labels.size(); ++k) {
        if (out.labels[k].first == out.labels[k - 1].first) {
            return "duplicate label " + out.labels[k].first;
        }
    }
    return {};
}

} // namespace

std::string seriesKey(const std::string& name, const Labels& labels) {
    std::string key = name;
    if (!labels.empty()) {
        key += '{';
        for (std::size_t i = 0; i < labels.size(); ++i) {
            if (i > 0) {
                key += ',';
            }
            key += labels[i].first;
            key += "=\"";
            for (const char c : labels[i].second) {
                if (c == '"' || c == '\\') {
                    key += '\\';
                }
                key += c == '\n' ? 'n' : c;
            }
            key += '"';
        }
        key += '}';
    }
    return key;
}

ParsedScrape parseExposition(std::string_view text, const ParseLimits& limits) {
    ParsedScrape out;
    if (text.size() > limits.maxBytes) {
        text = text.substr(0, limits.maxBytes);
        const std::size_t lastNewline = text.rfind('\n');
        text = text.substr(0, lastNewline == std::string_view::npos ? 0 : lastNewline + 1);
        out.truncated = true;
    }
    const auto issue = [&](std::size_t line, std::string message) {
        ++out.issueCount;
        if (out.issues.size() < limits.maxIssues) {
            out.issues.push_back({line, std::move(message)});
        }
    };
    std::size_t lineNo = 0;
    std::size_t pos = 0;
    ParsedSample sample;
    while (pos < text.size()) {
        ++lineNo;
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        if (line.size() > limits.maxLineBytes) {
            issue(lineNo, "line longer than " + std::to_string(limits.maxLineBytes) + " bytes");
            continue;
        }
        std::size_t first = line.find_first_not_of(" \t");
        if (first == std::string_view::npos) {
            continue; // blank
        }
        line.remove_prefix(first);
        if (line.front() == '#') {
            LineParser p{line.substr(1)};
            p.skipSpaces();
            const std::string_view keyword = p.token();
            if (keyword != "HELP" && keyword != "TYPE") {
                continue; // a plain comment
            }
            p.skipSpaces();
            const std::string_view family = p.token();
            if (family.empty() || !isNameStart(family.front()) ||
                !std::all_of(family.begin(), family.end(), isNameChar)) {
                issue(lineNo, "invalid metric name in # " + std::string(keyword));
                continue;
            }
            p.skipSpaces();
            std::string_view rest = p.s.substr(std::min(p.i, p.s.size()));
            if (keyword == "TYPE") {
                static const std::vector<std::string_view> kTypes = {
                    "counter", "gauge", "histogram", "summary", "untyped"};
                if (std::find(kTypes.begin(), kTypes.end(), rest) == kTypes.end()) {
                    issue(lineNo, "unknown metric type '" + std::string(rest.substr(0, 32)) + "'");
                    continue;
                }
                out.types[std::string(family)] = std::string(rest);
            } else {
                out.help[std::string(family)] = std::string(rest);
            }
            continue;
        }
        if (out.samples.size() >= limits.maxSamples) {
            issue(lineNo, "more than " + std::to_string(limits.maxSamples) +
                              " samples; the rest is ignored");
            out.truncated = true;
            break;
        }
        const std::string error = parseSampleLine(line, limits, sample);
        if (!error.empty()) {
            issue(lineNo, error);
            continue;
        }
        out.samples.push_back(sample);
    }
    return out;
}

} // namespace auralis::monitor
