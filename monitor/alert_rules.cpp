#include "monitor/alert_rules.h"

#include <QFile>

#include <cctype>
#include <cstdio>

namespace auralis::monitor {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
        s.remove_prefix(1);
    }
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
        s.remove_suffix(1);
    }
    return s;
}

// A scalar: plain, or double-quoted with \" and \\ escapes.
bool scalar(std::string_view raw, std::string& out) {
    raw = trim(raw);
    out.clear();
    if (raw.empty() || raw.front() != '"') {
        out.assign(raw);
        return true;
    }
    for (std::size_t i = 1; i < raw.size(); ++i) {
        const char c = raw[i];
        if (c == '\\' && i + 1 < raw.size()) {
            const char e = raw[++i];
            out += e == 'n' ? '\n' : e == 't' ? '\t' : e;
        } else if (c == '"') {
            return trim(raw.substr(i + 1)).empty();
        } else {
            out += c;
        }
    }
    return false; // unterminated
}

} // namespace

std::int64_t parseDurationMs(std::string_view text, bool* ok) {
    std::int64_t total = 0;
    std::int64_t number = -1;
    *ok = false;
    for (const char c : text) {
        if (c >= '0' && c <= '9') {
            number = (number < 0 ? 0 : number) * 10 + (c - '0');
            if (number > 1'000'000'000) {
                return 0;
            }
            continue;
        }
        const std::int64_t unit = c == 's' ? 1000 : c == 'm' ? 60'000 : c == 'h' ? 3'600'000 : c == 'd' ? 86'400'000 : 0;
        if (unit == 0 || number < 0) {
            return 0;
        }
        total += number * unit;
        number = -1;
    }
    *ok = number < 0 && !text.empty();
    return *ok ? total : 0;
}

std::vector<RuleSpec> parseAlertRules(std::string_view yaml, std::string* error) {
    std::vector<RuleSpec> rules;
    std::string section; // "labels" or "annotations" inside a rule
    std::size_t lineNo = 0;
    const auto fail = [&](const std::string& why) {
        *error = "line " + std::to_string(lineNo) + ": " + why;
        return std::vector<RuleSpec>{};
    };
    std::size_t ruleIndent = 0;
    while (!yaml.empty()) {
        const std::size_t nl = yaml.find('\n');
        std::string_view line = yaml.substr(0, nl);
        yaml.remove_prefix(nl == std::string_view::npos ? yaml.size() : nl + 1);
        ++lineNo;
        const std::string_view content = trim(line);
        if (content.empty() || content.front() == '#') {
            continue;
        }
        const std::size_t indent = line.find_first_not_of(' ');
        std::string_view entry = content;
        const bool item = entry.substr(0, 2) == "- ";
        if (item) {
            entry.remove_prefix(2);
        }
        const std::size_t colon = entry.find(':');
        if (colon == std::string_view::npos) {
            return fail("expected 'key: value'");
        }
        const std::string_view key = trim(entry.substr(0, colon));
        std::string value;
        if (!scalar(entry.substr(colon + 1), value)) {
            return fail("unterminated string");
        }
        if (key == "alert") {
            if (!item) {
                return fail("'alert' must start a list item");
            }
            rules.push_back(RuleSpec{value, {}, 0, {}, {}, {}});
            ruleIndent = indent;
            section.clear();
            continue;
        }
        if (rules.empty() || indent <= ruleIndent) {
            continue; // groups:, - name:, rules: and other keys outside a rule
        }
        RuleSpec& r = rules.back();
        if (key == "labels" || key == "annotations") {
            section.assign(key);
        } else if (key == "expr") {
            r.expr = value;
            section.clear();
        } else if (key == "for") {
            bool ok = false;
            r.forMs = parseDurationMs(value, &ok);
            if (!ok) {
                return fail("invalid duration '" + value + "'");
            }
            section.clear();
        } else if (section == "labels" && key == "severity") {
            r.severity = value;
        } else if (section == "annotations" && key == "summary") {
            r.summary = value;
        } else if (section == "annotations" && key == "description") {
            r.description = value;
        }
    }
    for (const RuleSpec& r : rules) {
        if (r.expr.empty() || r.severity.empty() || r.summary.empty()) {
            lineNo = 0;
            return fail("rule " + r.name + " lacks expr, severity or summary");
        }
    }
    if (rules.empty()) {
        return fail("no alert rules");
    }
    return rules;
}

const std::vector<RuleSpec>& bundledAlertRules() {
    static const std::vector<RuleSpec> rules = [] {
        QFile f(":/monitor/alerts.yml");
        std::string error;
        if (!f.open(QIODevice::ReadOnly)) {
            qFatal("alerts.yml was not compiled into this binary");
        }
        const QByteArray text = f.readAll();
        auto parsed = parseAlertRules(std::string_view(text.constData(), text.size()), &error);
        if (parsed.empty()) {
            qFatal("the compiled-in alerts.yml cannot be read: %s", error.c_str());
        }
        return parsed;
    }();
    return rules;
}

std::string renderTemplate(std::string_view text, const Labels& labels, double value) {
    std::string out;
    while (!text.empty()) {
        const std::size_t open = text.find("{{");
        const std::size_t close = open == std::string_view::npos ? open : text.find("}}", open);
        if (close == std::string_view::npos) {
            out.append(text);
            break;
        }
        out.append(text.substr(0, open));
        const std::string_view action = trim(text.substr(open + 2, close - open - 2));
        text.remove_prefix(close + 2);
        char buf[64];
        if (action == "$value") {
            std::snprintf(buf, sizeof buf, "%g", value);
            out += buf;
        } else if (action.substr(0, 8) == "$labels.") {
            const std::string name(action.substr(8));
            for (const auto& [k, v] : labels) {
                if (k == name) {
                    out += v;
                }
            }
        } else if (action.substr(0, 7) == "printf " &&
                   action.substr(action.size() - 7) == " $value") {
            // printf "%.Nf" $value: one numeric conversion, N a single digit.
            const std::string_view format = trim(action.substr(7, action.size() - 14));
            if (format.size() == 6 && format.substr(0, 3) == "\"%." &&
                std::isdigit(static_cast<unsigned char>(format[3])) && format.substr(4) == "f\"") {
                const char f[] = {'%', '.', format[3], 'f', '\0'};
                std::snprintf(buf, sizeof buf, f, value);
                out += buf;
            } else {
                out.append("{{ ").append(action).append(" }}");
            }
        } else {
            out.append("{{ ").append(action).append(" }}");
        }
    }
    return out;
}

} // namespace auralis::monitor
