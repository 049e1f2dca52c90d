// The metrics contract's seven alerts, as packaging/prometheus/alerts.yml states them (read
// from the compiled-in file), evaluated live on a node's scraped series: inactive, pending
// (with the time left of `for`), firing, and resolved again. Time is passed in (injected). One thread at a time.
#pragma once

#include "monitor/alert_rules.h"
#include "monitor/promql.h"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace auralis::monitor {

struct AlertRule {
    std::string name;
    std::string severity;
    std::int64_t forMs = 0;
    std::string condition; // the PromQL, for display
    /// The expression's result at t: every sample in it is an active alert instance.
    std::function<Vector(const SeriesStore&, std::int64_t t)> expr;
    std::function<std::string(const Sample&)> summary;
    std::function<std::string(const Sample&)> description;
};

/// The rules of packaging/prometheus/alerts.yml (compiled in): the contract's seven.
std::vector<AlertRule> contractAlertRules();
/// Rules from specs: names, `for`, severity, expression text and annotation templates from
/// the spec, evaluation from the dashboard's implementation of that expression.
std::vector<AlertRule> alertRulesFrom(const std::vector<RuleSpec>& specs);
/// (name, expression) of every rule the dashboard can evaluate.
std::vector<std::pair<std::string, std::string>> implementedAlertExpressions();

enum class AlertState { Inactive, Pending, Firing };
const char* alertStateName(AlertState state);

struct AlertStatus {
    std::string rule;
    std::string severity;
    std::string condition;
    AlertState state = AlertState::Inactive;
    Labels labels; // of the instance (empty for an inactive rule)
    double value = 0;
    std::int64_t activeSinceMs = 0;
    std::int64_t pendingLeftMs = 0; // until it fires (pending only)
    std::string summary;
    std::string description;
};

/// How the Alerts panel words an alert: a pending one is a condition that has not held long
/// enough yet ("pending: fires in 59 min if it persists", no alarm colour); a firing one says
/// its summary. The tooltip explains the rule (and MemoryLeak's warm-up).
struct AlertText {
    std::string state;   // "firing", "pending: fires in 12 s if it persists", "inactive"
    std::string summary; // the summary when firing, else the condition
    std::string tooltip;
};
AlertText alertText(const AlertStatus& alert);
/// "45 s", "3 min 20 s", "59 min", "2 h 5 min" (rounded up to whole seconds or minutes).
std::string durationText(std::int64_t ms);

class AlertEvaluator {
public:
    explicit AlertEvaluator(std::vector<AlertRule> rules = contractAlertRules());

    void evaluate(const SeriesStore& store, std::int64_t nowMs);
    /// One entry per active instance, and one inactive entry per rule with none; ordered
    /// firing, pending, inactive, then by rule.
    std::vector<AlertStatus> status() const;
    /// The worst state of a rule.
    AlertState state(const std::string& rule) const;
    const std::vector<AlertRule>& rules() const { return m_rules; }

private:
    std::vector<AlertRule> m_rules;
    std::map<std::pair<std::string, Labels>, AlertStatus> m_active;
};

} // namespace auralis::monitor
