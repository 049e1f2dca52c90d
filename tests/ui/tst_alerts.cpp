// The seven contract alerts on scraped data with an injected clock: each goes inactive ->
// pending (with the time left of its `for`) -> firing exactly `for` after it became active
// -> resolved when the condition stops, and a healthy node keeps all of them inactive.
#include "monitor/alerts.h"

#include <QFile>
#include <QtTest>

#include <algorithm>
#include <functional>

using namespace auralis::monitor;

namespace {

constexpr std::int64_t kMin = 60'000;
constexpr std::int64_t kT0 = 1'700'000'000'000;

// Piecewise-constant rate, integrated: the value of a counter at minute m.
double integral(double m, const std::vector<std::pair<double, double>>& ratePerMinFrom) {
    double v = 0;
    for (std::size_t i = 0; i < ratePerMinFrom.size(); ++i) {
        const double from = ratePerMinFrom[i].first;
        const double to = i + 1 < ratePerMinFrom.size() ? ratePerMinFrom[i + 1].first : 1e9;
        if (m > from) {
            v += (std::min(m, to) - from) * ratePerMinFrom[i].second;
        }
    }
    return v;
}

ParsedSample sample(const std::string& name, double v, Labels labels = {}) {
    return ParsedSample{name, std::move(labels), v, std::nullopt};
}

// Histogram buckets at minute m: `slowFrom`..`slowTo` every observation lands in
// (lowBound, highBound]; otherwise in the first bucket.
std::vector<ParsedSample> histogram(const std::string& name, const std::vector<std::string>& les,
                                    std::size_t slowBucket, double m, double slowFrom,
                                    double slowTo, double perMin) {
    const double fast = integral(m, {{0, perMin}, {slowFrom, 0}, {slowTo, perMin}});
    const double slow = integral(m, {{0, 0}, {slowFrom, perMin}, {slowTo, 0}});
    std::vector<ParsedSample> out;
    for (std::size_t b = 0; b < les.size(); ++b) {
        const double v = fast + (b >= slowBucket ? slow : 0);
        out.push_back(sample(name, v, {{"le", les[b]}}));
    }
    return out;
}

struct Run {
    std::vector<std::pair<std::int64_t, AlertStatus>> timeline; // the rule's worst instance
};

Run run(const std::string& rule, std::int64_t stepMs, double minutes,
        const std::function<std::vector<ParsedSample>(double minute)>& scrape) {
    SeriesStore store(8 * 60 * kMin);
    AlertEvaluator evaluator;
    Run r;
    for (std::int64_t t = kT0; t <= kT0 + static_cast<std::int64_t>(minutes * kMin); t += stepMs) {
        ParsedScrape s;
        s.samples = scrape(static_cast<double>(t - kT0) / kMin);
        store.append(s, t);
        evaluator.evaluate(store, t);
        AlertStatus worst;
        for (const AlertStatus& st : evaluator.status()) {
            if (st.rule == rule && static_cast<int>(st.state) >= static_cast<int>(worst.state)) {
                worst = st;
            }
        }
        r.timeline.emplace_back(t, worst);
    }
    return r;
}

// inactive... pending... firing... inactive, firing exactly `for` after becoming active.
void expectLifecycle(const Run& r, std::int64_t forMs, const std::string& descriptionPart) {
    enum { Before, Pending, Firing, After } phase = Before;
    std::int64_t activeSince = -1;
    std::int64_t firstFiring = -1;
    for (const auto& [t, st] : r.timeline) {
        switch (st.state) {
        case AlertState::Inactive:
            QVERIFY2(phase != Pending, "resolved while still pending (never fired)");
            if (phase == Firing) {
                phase = After;
            }
            break;
        case AlertState::Pending:
            QVERIFY2(phase == Before || phase == Pending, "pending again after firing");
            if (phase == Before) {
                activeSince = t;
            }
            phase = Pending;
            QCOMPARE(st.activeSinceMs, activeSince);
            QCOMPARE(st.pendingLeftMs, forMs - (t - activeSince));
            QVERIFY(st.pendingLeftMs > 0);
            break;
        case AlertState::Firing:
            QVERIFY2(phase == Pending || phase == Firing, "fired without being pending first");
            if (phase == Pending) {
                firstFiring = t;
                QCOMPARE(t - activeSince >= forMs, true);
                QVERIFY2(st.description.find(descriptionPart) != std::string::npos,
                         st.description.c_str());
                QVERIFY(!st.summary.empty());
            }
            phase = Firing;
            QCOMPARE(st.pendingLeftMs, std::int64_t{0});
            break;
        }
    }
    QVERIFY2(phase == After, "the alert did not go through pending, firing and resolved");
    // It fired on the first evaluation at or after `for` had elapsed.
    const std::int64_t step = r.timeline[1].first - r.timeline[0].first;
    QVERIFY(firstFiring - activeSince < forMs + step);
}

const std::vector<std::string> kLatencyLe = {"0.01", "0.025", "0.05", "0.075", "0.1", "0.15",
                                             "0.2",  "0.3",   "0.5",  "1",     "+Inf"};
const std::vector<std::string> kJitterLe = {"1",  "2",  "5",   "10",  "20",  "30",
                                            "50", "75", "100", "200", "+Inf"};

} // namespace

class TestAlerts : public QObject {
    Q_OBJECT
private slots:
    // One source for the rules: the dashboard reads packaging/prometheus/alerts.yml (compiled
    // in). The file in the repository, the compiled-in copy and the dashboard's evaluations
    // agree field by field.
    void theRulesComeFromAlertsYml() {
        QFile f(QString(AURALIS_SOURCE_DIR) + "/packaging/prometheus/alerts.yml");
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray text = f.readAll();
        std::string error;
        const std::vector<RuleSpec> file =
            parseAlertRules(std::string_view(text.constData(), text.size()), &error);
        QVERIFY2(!file.empty(), error.c_str());
        QCOMPARE(file.size(), std::size_t{7});
        const std::vector<RuleSpec>& bundled = bundledAlertRules();
        QCOMPARE(bundled.size(), file.size());
        const auto implemented = implementedAlertExpressions();
        const std::vector<AlertRule> rules = contractAlertRules();
        QCOMPARE(rules.size(), file.size());
        for (std::size_t i = 0; i < file.size(); ++i) {
            const RuleSpec& r = file[i];
            QCOMPARE(bundled[i].name, r.name);
            QCOMPARE(bundled[i].expr, r.expr);
            QCOMPARE(bundled[i].forMs, r.forMs);
            QCOMPARE(bundled[i].severity, r.severity);
            QCOMPARE(bundled[i].summary, r.summary);
            QCOMPARE(bundled[i].description, r.description);
            const auto impl = std::find_if(implemented.begin(), implemented.end(),
                                           [&](const auto& e) { return e.first == r.name; });
            QVERIFY2(impl != implemented.end(), r.name.c_str());
            QCOMPARE(impl->second, r.expr); // the dashboard evaluates exactly this expression
            QCOMPARE(rules[i].name, r.name);
            QCOMPARE(rules[i].forMs, r.forMs);
            QCOMPARE(rules[i].severity, r.severity);
            QCOMPARE(rules[i].condition, r.expr);
        }
        QCOMPARE(file[0].name, std::string("BufferUnderrun"));
        QCOMPARE(file[0].forMs, 2 * kMin);
        QCOMPARE(file[2].forMs, 60 * kMin); // MemoryLeak: for 1h
    }

    void annotationTemplates() {
        const Labels labels = {{"client_id", "web-7"}, {"instance", "n:8000"}};
        QCOMPARE(
            renderTemplate("Buffer underruns detected for {{ $labels.client_id }}", labels, 0.5),
            std::string("Buffer underruns detected for web-7"));
        QCOMPARE(renderTemplate("{{ printf \"%.3f\" $value }} underruns/sec", labels, 0.0321),
                 std::string("0.032 underruns/sec"));
        QCOMPARE(renderTemplate("{{ printf \"%.0f\" $value }} MB", labels, 1234.6),
                 std::string("1235 MB"));
        QCOMPARE(renderTemplate("v={{ $value }}", labels, 2.5), std::string("v=2.5"));
        QCOMPARE(renderTemplate("{{ humanize $value }}", labels, 1),
                 std::string("{{ humanize $value }}"));
        QCOMPARE(renderTemplate("no braces", labels, 1), std::string("no braces"));
        QCOMPARE(renderTemplate("{{ unterminated", labels, 1), std::string("{{ unterminated"));
    }

    void malformedRuleFilesAreRefused_data() {
        QTest::addColumn<QByteArray>("yaml");
        QTest::newRow("empty") << QByteArray("groups: []\n");
        QTest::newRow("no expr") << QByteArray(
            "groups:\n  - name: a\n    rules:\n      - alert: X\n"
            "        for: 1m\n        labels:\n          severity: high\n"
            "        annotations:\n          summary: s\n");
        QTest::newRow("bad duration") << QByteArray(
            "groups:\n  - name: a\n    rules:\n      - alert: X\n        expr: up > 0\n"
            "        for: 5 minutes\n");
        QTest::newRow("unterminated string") << QByteArray(
            "groups:\n  - name: a\n    rules:\n      - alert: X\n        expr: \"up\n");
    }
    void malformedRuleFilesAreRefused() {
        QFETCH(QByteArray, yaml);
        std::string error;
        QVERIFY(parseAlertRules(std::string_view(yaml.constData(), yaml.size()), &error).empty());
        QVERIFY(!error.empty());
    }

    void durations() {
        bool ok = false;
        QCOMPARE(parseDurationMs("90s", &ok), std::int64_t{90'000});
        QVERIFY(ok);
        QCOMPARE(parseDurationMs("1h30m", &ok), std::int64_t{5'400'000});
        QVERIFY(ok);
        parseDurationMs("10", &ok);
        QVERIFY(!ok);
        parseDurationMs("m", &ok);
        QVERIFY(!ok);
    }

    void bufferUnderrun() {
        const auto scrape = [](double m) {
            return std::vector{sample("buffer_underruns_total",
                                      integral(m, {{0, 0}, {2, 6}, {8, 0}}),
                                      {{"client_id", "starved"}}),
                               sample("buffer_underruns_total", 0, {{"client_id", "fine"}})};
        };
        const Run r = run("BufferUnderrun", 15'000, 14, scrape);
        expectLifecycle(r, 2 * kMin, "Client starved experiencing 0.100 underruns/sec");
        for (const auto& [t, st] : r.timeline) {
            if (st.state != AlertState::Inactive) {
                QCOMPARE(labelOf(st.labels, "client_id"), std::string("starved"));
            }
        }
    }

    void synthesisLatencyHigh() {
        const Run r = run("SynthesisLatencyHigh", 15'000, 40, [](double m) {
            return histogram("synthesis_latency_seconds_bucket", kLatencyLe, 6, m, 5, 20, 15);
        });
        expectLifecycle(r, 5 * kMin, "s (target: <0.1s)");
    }

    void memoryLeak() {
        const Run r = run("MemoryLeak", kMin, 330, [](double m) {
            return std::vector{
                sample("memory_usage_mb", 100 + integral(m, {{0, 0}, {30, 1}, {180, 0}}))};
        });
        expectLifecycle(r, 60 * kMin, "Memory growing at 60.0 MB/hour");
    }

    void highChunkJitter() {
        const Run r = run("HighChunkJitter", 15'000, 50, [](double m) {
            return histogram("chunk_delivery_jitter_ms_bucket", kJitterLe, 7, m, 5, 30, 600);
        });
        expectLifecycle(r, 10 * kMin, "ms (target: <50ms)");
    }

    void gpuMemoryHigh() {
        const Run r = run("GPUMemoryHigh", 15'000, 25, [](double m) {
            return std::vector{sample("gpu_memory_allocated_mb", m >= 3 && m < 15 ? 75000 : 1000),
                               sample("gpu_memory_total_mb", 81559)};
        });
        expectLifecycle(r, 5 * kMin, "GPU memory: 75000 MB");
    }

    void highCpuUsage() {
        const Run r = run("HighCPUUsage", 15'000, 45, [](double m) {
            return std::vector{
                sample("process_cpu_seconds_total", integral(m, {{0, 30}, {5, 57}, {25, 30}}))};
        });
        expectLifecycle(r, 10 * kMin, "");
    }

    void frequentGcCollections() {
        const Run r = run("FrequentGCCollections", 15'000, 45, [](double m) {
            return std::vector{
                sample("gc_collections_total", integral(m, {{0, 0}, {5, 1}, {25, 0}}),
                       {{"generation", "2"}}),
                sample("gc_collections_total", integral(m, {{0, 6000}}), {{"generation", "0"}})};
        });
        expectLifecycle(r, 10 * kMin, "gen-2 collections per second");
    }

    void aHealthyNodeRaisesNothing() {
        SeriesStore store(8 * 60 * kMin);
        AlertEvaluator evaluator;
        for (std::int64_t t = kT0; t <= kT0 + 90 * kMin; t += 15'000) {
            const double m = static_cast<double>(t - kT0) / kMin;
            ParsedScrape s;
            s.samples = histogram("synthesis_latency_seconds_bucket", kLatencyLe, 99, m, 0, 0, 8);
            for (auto& b :
                 histogram("chunk_delivery_jitter_ms_bucket", kJitterLe, 99, m, 0, 0, 600)) {
                s.samples.push_back(b);
            }
            s.samples.push_back(sample("buffer_underruns_total", 0, {{"client_id", "a"}}));
            s.samples.push_back(sample("memory_usage_mb", 80 + 0.001 * m));
            s.samples.push_back(sample("gpu_memory_allocated_mb", 0));
            s.samples.push_back(sample("gpu_memory_total_mb", 0));
            s.samples.push_back(sample("process_cpu_seconds_total", m * 3));
            s.samples.push_back(sample("gc_collections_total", m * 1000, {{"generation", "0"}}));
            s.samples.push_back(sample("gc_collections_total", 0, {{"generation", "2"}}));
            store.append(s, t);
            evaluator.evaluate(store, t);
        }
        const auto st = evaluator.status();
        QCOMPARE(st.size(), std::size_t{7});
        for (const AlertStatus& a : st) {
            QCOMPARE(alertStateName(a.state), "inactive");
            QVERIFY(!a.condition.empty());
        }
    }

    void pendingReadsAsANoteFiringAsAnAlarm() {
        AlertStatus a;
        a.rule = "MemoryLeak";
        a.severity = "critical";
        a.condition = "deriv(memory_usage_mb[1h]) * 3600 > 20";
        a.summary = "Memory leak detected";
        a.state = AlertState::Pending;
        a.pendingLeftMs = 3'557'000;
        AlertText t = alertText(a);
        QCOMPARE(t.state, std::string("pending: fires in 60 min if it persists"));
        QCOMPARE(t.summary, a.condition); // not "Memory leak detected": it has not fired
        QVERIFY(t.tooltip.find("first hour") != std::string::npos);
        a.state = AlertState::Firing;
        t = alertText(a);
        QCOMPARE(t.state, std::string("firing"));
        QCOMPARE(t.summary, a.summary);
        a.rule = "BufferUnderrun";
        QVERIFY(alertText(a).tooltip.find("first hour") == std::string::npos);
        QCOMPARE(durationText(12'001), std::string("13 s"));
        QCOMPARE(durationText(200'000), std::string("3 min 20 s"));
        QCOMPARE(durationText(7'500'000), std::string("2 h 5 min"));
    }
};

QTEST_GUILESS_MAIN(TestAlerts)
#include "tst_alerts.moc"
