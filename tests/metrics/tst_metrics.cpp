// /metrics of a live node against the metrics contract: names, TYPE, HELP, labels, buckets,
// Content-Type; freshness, per-listener series, classification; promtool's checks.
#include "../core/node_harness.h"
#include "exposition.h"

#include "core/text_exposition.h"

#include <QProcess>

#include <prometheus/text_serializer.h>

#include <bit>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <unistd.h>

using namespace auralis;
using namespace auralis::core;
using namespace auralis::client;
using namespace auralis::test;

namespace {

struct ContractMetric {
    QString name;
    QString type;
    QString help;
    QStringList labels;    // label names on its series (besides le)
    QList<double> buckets; // histograms only
};

// The contract (shared/contract/metrics-api.md), written out: it is a public API.
const QList<ContractMetric>& contract() {
    static const QList<ContractMetric> c = {
        {"synthesis_latency_seconds",
         "histogram",
         "Time to render audio phrase",
         {},
         {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0}},
        {"buffer_depth_chunks", "gauge", "Current ring buffer depth", {"client_id"}, {}},
        {"chunk_delivery_jitter_ms",
         "histogram",
         "Chunk delivery timing variance",
         {},
         {1, 2, 5, 10, 20, 30, 50, 75, 100, 200}},
        {"buffer_underruns_total", "counter", "Buffer underrun events", {"client_id"}, {}},
        {"active_websocket_connections", "gauge", "Number of connected WebSocket clients", {}, {}},
        {"websocket_send_errors_total",
         "counter",
         "Failed WebSocket send operations",
         {"error_type"},
         {}},
        {"memory_usage_mb", "gauge", "Process memory usage (RSS)", {}, {}},
        {"gpu_memory_allocated_mb", "gauge", "GPU memory allocated", {}, {}},
        {"chunk_encoding_duration_seconds",
         "histogram",
         "base64 encoding duration",
         {},
         {0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02}},
        {"gc_collections_total", "counter", "Garbage collection count", {"generation"}, {}},
        {"phrase_generation_rate_hz", "gauge", "Phrases generated per second", {}, {}},
    };
    return c;
}

Exposition scrape(const Node& node, QByteArray* contentType = nullptr, QByteArray* raw = nullptr) {
    const HttpResult r = httpRequest(node, "GET", "/metrics");
    if (contentType) {
        *contentType = r.contentType;
    }
    if (raw) {
        *raw = r.body;
    }
    return parseExposition(r.body);
}

struct TestListener {
    TestListener(const Node& node, const QString& id, const QString& extraQuery = {}) {
        ListenerClient::Options o;
        o.url = streamUrl(node, extraQuery);
        o.clientId = id;
        o.format = protocol::Format::Binary;
        o.reconnect = false;
        o.reportIntervalMs = 200;
        client = std::make_unique<ListenerClient>(o, clock);
        client->start();
    }
    SteadyClock clock;
    std::unique_ptr<ListenerClient> client;
};

} // namespace

class TestMetrics : public QObject {
    Q_OBJECT
private slots:
    void expositionIsTextSerializersBytes() {
        // Our exposition writer against prometheus-cpp's TextSerializer, byte for byte: the
        // node's own families (every type it uses, 300 listeners) and families made to probe
        // each corner: every metric type, labels needing escapes, timestamps, and doubles of
        // every magnitude (integers around the shortcut's bound, -0, NaN, infinities, and
        // 20 000 random bit patterns).
        NodeMetrics metrics;
        metrics.setBuildInfo("1.2.3", "cpu", false);
        for (int i = 0; i < 300; ++i) {
            NodeMetrics::Listener& l = metrics.addListener("load-" + std::to_string(i));
            l.setDepth(i % 17);
            if (i % 2 == 0) {
                l.setPlayoutBuffer(950.5 + i);
            }
            l.addUnderruns(i % 3);
        }
        for (int i = 0; i < 1000; ++i) {
            metrics.observeSynthesis(0.001 * (i % 120));
            metrics.observeJitter(0.37 * (i % 11));
        }
        std::vector<prometheus::MetricFamily> families = metrics.collect(readProcessStats());

        std::vector<double> values = {0.0,
                                      -0.0,
                                      1.0,
                                      -1.0,
                                      0.1,
                                      0.30000000000000004,
                                      1e-300,
                                      5e-324,
                                      1e300,
                                      999999999999999.0,
                                      1e15,
                                      1e15 + 1,
                                      1e16,
                                      123456789012345678.0,
                                      -123.456,
                                      2.5e-5,
                                      1.0 / 3,
                                      std::numeric_limits<double>::quiet_NaN(),
                                      std::numeric_limits<double>::infinity(),
                                      -std::numeric_limits<double>::infinity(),
                                      std::numeric_limits<double>::max(),
                                      std::numeric_limits<double>::denorm_min()};
        std::mt19937_64 rng(42);
        while (values.size() < 20'000) {
            const double v = std::bit_cast<double>(rng());
            if (std::isfinite(v)) {
                values.push_back(v);
            }
        }
        prometheus::MetricFamily probe{
            "probe_values", "Doubles of every size", prometheus::MetricType::Gauge, {}};
        prometheus::MetricFamily typed{"probe_typed", "", prometheus::MetricType::Untyped, {}};
        prometheus::MetricFamily hist{
            "probe_seconds", "Histogram \\ with \"quotes\"", prometheus::MetricType::Histogram, {}};
        prometheus::MetricFamily summary{
            "probe_summary", "A summary", prometheus::MetricType::Summary, {}};
        for (std::size_t i = 0; i < values.size(); ++i) {
            prometheus::ClientMetric m;
            m.gauge.value = values[i];
            if (i % 3 == 0) {
                m.label = {{"a", "x"}, {"client_id", "quote\"back\\slash\nnewline"}};
            }
            if (i % 7 == 0) {
                m.timestamp_ms = static_cast<std::int64_t>(i) * 1'000'003;
            }
            probe.metric.push_back(m);
            m.untyped.value = values[i];
            typed.metric.push_back(m);
        }
        prometheus::ClientMetric h;
        h.histogram.sample_count = 7;
        h.histogram.sample_sum = 0.123;
        h.histogram.bucket = {{1, 0.005}, {3, 0.1}, {7, 2.5}}; // no +Inf bucket: one is added
        hist.metric.push_back(h);
        h.label = {{"le_like", "1"}};
        h.histogram.bucket.push_back({7, std::numeric_limits<double>::infinity()});
        hist.metric.push_back(h);
        prometheus::ClientMetric q;
        q.summary.sample_count = 3;
        q.summary.sample_sum = 1.5;
        q.summary.quantile = {{0.5, 0.25}, {0.99, 1e-9}};
        summary.metric.push_back(q);
        for (auto* f : {&probe, &typed, &hist, &summary}) {
            families.push_back(*f);
        }

        std::string ours;
        appendTextExposition(ours, families);
        const std::string theirs = prometheus::TextSerializer().Serialize(families);
        if (ours != theirs) {
            std::size_t at = 0;
            while (at < ours.size() && at < theirs.size() && ours[at] == theirs[at]) {
                ++at;
            }
            const std::size_t from = at > 80 ? at - 80 : 0;
            QFAIL(qPrintable(QString("differ at byte %1:\nours   %2\ntheirs %3")
                                 .arg(at)
                                 .arg(QString::fromStdString(ours.substr(from, 160)))
                                 .arg(QString::fromStdString(theirs.substr(from, 160)))));
        }
        QVERIFY(ours.size() > 500'000);
    }

    void scrapeReadsListenersOnlyAfterItsHook() {
        // The listeners' values are read after the hook (the node's I/O loops refresh their
        // depth in it): what the hook sets is what is scraped, and it runs once.
        NodeMetrics metrics;
        NodeMetrics::Listener& l = metrics.addListener("late");
        l.setDepth(3);
        int calls = 0;
        const std::string text = metrics.scrape(NodeMetrics::Snapshot{}, [&] {
            ++calls;
            l.setDepth(11);
        });
        QCOMPARE(calls, 1);
        QVERIFY(text.find("buffer_depth_chunks{client_id=\"late\"} 11\n") != std::string::npos);
        metrics.removeListener(l);
    }

    void scrapeWritesWhatPrometheusCppCollects() {
        // scrape() writes the per-listener series from its own table: the same families and
        // lines as prometheus-cpp's TextSerializer over a registry of its own that the test
        // keeps in step (families of the same names, a series added and removed with each
        // listener, client_playout_* from the first report), and the node's other families as
        // TextSerializer writes collect(). Only the order of a family's series may differ
        // (prometheus-cpp keeps them in a hash map). Listeners join, leave, and join again into
        // freed slots (which start from zero, without client_playout_*); half report; an id
        // needs escaping; at the end none is left (then neither has per-listener families).
        NodeMetrics metrics;
        metrics.setBuildInfo("1.2.3", "cpu", false);
        prometheus::Registry reference;
        auto& depth = prometheus::BuildGauge()
                          .Name("buffer_depth_chunks")
                          .Help("Current ring buffer depth")
                          .Register(reference);
        auto& underruns = prometheus::BuildCounter()
                              .Name("buffer_underruns_total")
                              .Help("Buffer underrun events")
                              .Register(reference);
        auto& playoutUnderruns = prometheus::BuildCounter()
                                     .Name("client_playout_underruns_total")
                                     .Help("Playout underruns reported by the listener itself")
                                     .Register(reference);
        auto& playoutBuffer =
            prometheus::BuildGauge()
                .Name("client_playout_buffer_ms")
                .Help("Playout buffer last reported by the listener, in milliseconds")
                .Register(reference);
        struct Mirrored {
            NodeMetrics::Listener* ours;
            prometheus::Gauge* depth;
            prometheus::Counter* underruns;
            prometheus::Counter* playoutUnderruns = nullptr;
            prometheus::Gauge* playoutBuffer = nullptr;
        };
        std::vector<Mirrored> listeners;
        const auto join = [&](const std::string& id, int i, bool reports) {
            const prometheus::Labels labels{{"client_id", id}};
            Mirrored m{&metrics.addListener(id), &depth.Add(labels), &underruns.Add(labels)};
            QCOMPARE(m.ours->depth(), 0.0); // a freed slot starts from zero
            QCOMPARE(m.ours->hasPlayout(), false);
            m.ours->setDepth(i % 13);
            m.depth->Set(i % 13);
            m.ours->addUnderruns(i % 4);
            m.underruns->Increment(i % 4);
            if (reports) {
                m.ours->setPlayoutBuffer(0.5 * i);
                m.ours->addPlayoutUnderruns(i % 5);
                m.playoutBuffer = &playoutBuffer.Add(labels);
                m.playoutBuffer->Set(0.5 * i);
                m.playoutUnderruns = &playoutUnderruns.Add(labels);
                m.playoutUnderruns->Increment(i % 5);
            }
            listeners.push_back(m);
        };
        const auto leave = [&](std::size_t at) {
            Mirrored& m = listeners[at];
            metrics.removeListener(*m.ours);
            depth.Remove(m.depth);
            underruns.Remove(m.underruns);
            if (m.playoutBuffer != nullptr) {
                playoutBuffer.Remove(m.playoutBuffer);
                playoutUnderruns.Remove(m.playoutUnderruns);
            }
            m.ours = nullptr;
        };
        for (int i = 0; i < 200; ++i) {
            join(i == 7 ? "odd\"id\\" : "load-" + std::to_string(i), i, i % 2 == 1);
        }
        for (std::size_t i = 0; i < 200; i += 3) {
            leave(i);
        }
        for (int i = 200; i < 240; ++i) { // into the freed slots, a third of them reporting
            join("again-" + std::to_string(i), i, i % 3 == 0);
        }
        ProcessStats process;
        process.cpuSeconds = 1.25;
        process.residentBytes = 64 * 1024 * 1024;
        process.openFds = 140;
        NodeMetrics::Snapshot snap;
        snap.connections = 173;
        snap.buffersRecycled = 9;
        const auto blocks = [](const std::string& text) {
            std::map<std::string, std::vector<std::string>> byFamily;
            std::string family;
            std::size_t at = 0;
            while (at < text.size()) {
                const std::size_t end = text.find('\n', at);
                const std::string line = text.substr(at, end - at);
                at = end + 1;
                if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
                    const std::string name = line.substr(7, line.find(' ', 7) - 7);
                    if (name != family) {
                        family = name;
                        if (byFamily.count(name) > 0) {
                            byFamily[name + " (a second block)"];
                        }
                    }
                }
                byFamily[family].push_back(line);
            }
            for (auto& [name, lines] : byFamily) {
                std::sort(lines.begin(), lines.end());
            }
            return byFamily;
        };
        const std::vector<std::string> perListener = {
            "buffer_depth_chunks", "buffer_underruns_total", "client_playout_underruns_total",
            "client_playout_buffer_ms"};
        for (int round = 0; round < 2; ++round) {
            const std::string ours = metrics.scrape(snap, process);
            std::vector<prometheus::MetricFamily> expected;
            for (auto& f : metrics.collect(process)) {
                if (std::find(perListener.begin(), perListener.end(), f.name) ==
                    perListener.end()) {
                    expected.push_back(std::move(f));
                }
            }
            for (auto& f : reference.Collect()) {
                expected.push_back(std::move(f));
            }
            const std::string theirs = prometheus::TextSerializer().Serialize(expected);
            QCOMPARE(ours.size(), theirs.size());
            const auto a = blocks(ours);
            const auto b = blocks(theirs);
            QCOMPARE(a.size(), b.size());
            for (const auto& [name, lines] : b) {
                QVERIFY2(a.count(name) == 1 && a.at(name) == lines, name.c_str());
            }
            // collect() has what scrape() writes.
            QVERIFY(blocks(prometheus::TextSerializer().Serialize(metrics.collect(process))) == a);
            const bool none = round == 1;
            QCOMPARE(a.count("buffer_depth_chunks"), std::size_t{none ? 0U : 1U});
            QCOMPARE(a.count("client_playout_buffer_ms"), std::size_t{none ? 0U : 1U});
            if (!none) {
                QVERIFY(ours.find("buffer_depth_chunks{client_id=\"odd\\\"id\\\\\"} 7\n") !=
                        std::string::npos);
                QCOMPARE(a.at("buffer_depth_chunks").size(), std::size_t{2 + 133 + 40});
                QCOMPARE(a.at("client_playout_buffer_ms").size(),
                         std::size_t{2 + 67 + 13}); // odd i not a multiple of 3; 201, 204 … 237
            }
            for (std::size_t i = 0; i < listeners.size() && !none; ++i) { // all leave
                if (listeners[i].ours != nullptr) {
                    leave(i);
                }
            }
        }
    }

    void openDescriptorsAreCounted() {
        // The kernel's count (stat of /proc/self/fd, Linux 6.2 and later) and the listing agree,
        // and both see descriptors come and go.
        const int before = countOpenFds();
        QCOMPARE(before, countOpenFdsByListing());
        std::vector<int> fds(40);
        for (std::size_t i = 0; i < fds.size(); i += 2) {
            QVERIFY(pipe(&fds[i]) == 0);
        }
        QCOMPARE(countOpenFds(), before + 40);
        QCOMPARE(countOpenFdsByListing(), before + 40);
        for (const int fd : fds) {
            close(fd);
        }
        QCOMPARE(countOpenFds(), before);
        QCOMPARE(readProcessStats().openFds, static_cast<double>(before));
    }

    void everyContractMetricAsSpecified() {
        auto node = startNode();
        TestListener l(*node, "alice");
        QTRY_COMPARE(node->listenerCount(), 1);
        QTRY_VERIFY(l.client->stats().chunks > 12); // some paced sends: jitter observed
        QByteArray contentType;
        const Exposition e = scrape(*node, &contentType);
        QCOMPARE(contentType, QByteArray("text/plain; version=0.0.4; charset=utf-8"));
        for (const ContractMetric& m : contract()) {
            QCOMPARE(e.type.value(m.name), m.type);
            QCOMPARE(e.help.value(m.name), m.help);
            if (m.type == "histogram") {
                QList<double> bounds;
                for (const Sample& s : e.find(m.name + "_bucket")) {
                    if (s.labels.value("le") != "+Inf") {
                        bounds << s.labels.value("le").toDouble();
                    }
                }
                std::sort(bounds.begin(), bounds.end());
                QCOMPARE(bounds, m.buckets);
                QCOMPARE(e.find(m.name + "_bucket").size(), m.buckets.size() + 1); // and +Inf
                QCOMPARE(e.find(m.name + "_sum").size(), 1);
                QCOMPARE(e.find(m.name + "_count").size(), 1);
            } else {
                const QList<Sample> series = e.find(m.name);
                QVERIFY2(!series.isEmpty(), qPrintable(m.name));
                for (const Sample& s : series) {
                    QCOMPARE(QStringList(s.labels.keys()), m.labels);
                }
            }
        }
        QCOMPARE(e.value("buffer_depth_chunks", {{"client_id", "alice"}}) > 0, true);
        const QList<Sample> build = e.find("auralis_build_info");
        QCOMPARE(build.size(), 1);
        QCOMPARE(build[0].value, 1.0);
        QCOMPARE(build[0].labels.value("version"), QString(AURALIS_VERSION));
        QCOMPARE(build[0].labels.value("device"), QString("cpu"));
        QVERIFY(build[0].labels.contains("cuda_build") && build[0].labels.contains("qt"));
        QStringList kinds;
        for (const Sample& s : e.find("websocket_send_errors_total")) {
            kinds << s.labels.value("error_type");
        }
        kinds.sort();
        QCOMPARE(kinds, QStringList({"disconnect", "encoding_error", "timeout", "unknown"}));
        QStringList generations;
        for (const Sample& s : e.find("gc_collections_total")) {
            generations << s.labels.value("generation");
        }
        generations.sort();
        QCOMPARE(generations, QStringList({"0", "1", "2"}));
    }

    void valuesMeanWhatTheySay() {
        auto node = startNode();
        TestListener l(*node, "bob");
        QTRY_VERIFY(l.client->stats().chunks > 15);
        const Exposition e = scrape(*node);
        QCOMPARE(e.value("active_websocket_connections"), 1.0);
        QVERIFY(e.value("synthesis_latency_seconds_count") >= 1);
        QVERIFY(e.value("synthesis_latency_seconds_sum") > 0);
        // Encoding is observed once per chunk published, not once per listener.
        QCOMPARE(e.value("chunk_encoding_duration_seconds_count"),
                 static_cast<double>(node->ring().publishedEnd()));
        QVERIFY(e.value("chunk_delivery_jitter_ms_count") >= 1);
        QCOMPARE(e.value("gpu_memory_allocated_mb"), 0.0); // CPU renderer
        QCOMPARE(e.value("gpu_memory_total_mb"), 0.0);
        const double rss = e.value("memory_usage_mb");
        QVERIFY(rss > 5 && rss < 4096);
        QCOMPARE(e.value("process_resident_memory_bytes") > rss * 1024 * 1024 * 0.5, true);
        QVERIFY(e.value("phrase_generation_rate_hz") > 0);
        QVERIFY(e.value("gc_collections_total", {{"generation", "0"}}) > 0); // buffers recycled
        QVERIFY(e.value("process_open_fds") > 3);
        QVERIFY(e.value("process_max_fds") >= e.value("process_open_fds"));
        const double start = e.value("process_start_time_seconds");
        const double now = static_cast<double>(QDateTime::currentSecsSinceEpoch());
        QVERIFY2(start > now - 3600 && start <= now + 1, qPrintable(QString::number(now - start)));
        QCOMPARE(e.type.value("process_cpu_seconds_total"), QString("counter"));
        // The listener's own reports arrive as separate, non-contract series.
        QTRY_VERIFY(scrape(*node).value("client_playout_buffer_ms", {{"client_id", "bob"}}) > 0);
        QCOMPARE(scrape(*node).value("client_playout_underruns_total", {{"client_id", "bob"}}),
                 0.0);
    }

    void playoutSeriesComeWithTheFirstReport() {
        // A listener that never reports has its depth and underrun series only; its
        // client_playout_* pair appears with its first report and leaves with it.
        auto node = startNode();
        Peer peer(streamUrl(*node, "client_id=quiet"));
        QTRY_VERIFY(peer.open);
        QTRY_COMPARE(scrape(*node).find("buffer_depth_chunks").size(), 1);
        Exposition e = scrape(*node);
        QCOMPARE(e.find("client_playout_buffer_ms").size(), 0);
        QCOMPARE(e.find("client_playout_underruns_total").size(), 0);
        peer.ws.sendText("{\"type\":\"report\",\"buffer_ms\":640,\"underruns\":2}");
        QTRY_COMPARE(scrape(*node).value("client_playout_buffer_ms", {{"client_id", "quiet"}}),
                     640.0);
        QCOMPARE(scrape(*node).value("client_playout_underruns_total", {{"client_id", "quiet"}}),
                 2.0);
        peer.ws.close(1000, "bye");
        QTRY_COMPARE(node->listenerCount(), 0);
        e = scrape(*node);
        QCOMPARE(e.find("client_playout_buffer_ms").size(), 0);
        QCOMPARE(e.find("buffer_depth_chunks").size(), 0);
    }

    void gaugesAreFreshAndListenersLeaveNoSeries() {
        auto node = startNode();
        {
            TestListener a(*node, "a");
            TestListener b(*node, "b");
            QTRY_COMPARE(node->listenerCount(), 2);
            const Exposition e = scrape(*node); // right away: collected on scrape
            QCOMPARE(e.value("active_websocket_connections"), 2.0);
            QCOMPARE(e.find("buffer_depth_chunks").size(), 2);
            QCOMPARE(e.find("buffer_underruns_total").size(), 2);
            a.client->stop();
            QTRY_COMPARE(node->listenerCount(), 1);
            const Exposition after = scrape(*node);
            QCOMPARE(after.value("active_websocket_connections"), 1.0);
            for (const char* name :
                 {"buffer_depth_chunks", "buffer_underruns_total", "client_playout_buffer_ms",
                  "client_playout_underruns_total"}) {
                for (const Sample& s : after.find(name)) {
                    QCOMPARE(s.labels.value("client_id"), QString("b"));
                }
            }
        }
        QTRY_COMPARE(node->listenerCount(), 0);
        QCOMPARE(scrape(*node).find("buffer_depth_chunks").size(), 0);
    }

    void underrunsAreCountedPerListener() {
        auto gate = std::make_shared<GatedRenderer::Gate>();
        gate->allowed = 1;
        NodeConfig config;
        config.params.bpm = 120;
        config.extraLeadChunks = 0;
        config.rendererFactory = [gate] { return std::make_unique<GatedRenderer>(gate); };
        auto node = startNode(config);
        TestListener l(*node, "starved", "tier=minimal");
        QTRY_VERIFY_WITH_TIMEOUT(l.client->stats().serverUnderruns >= 2, kPatienceMs);
        const double counted =
            scrape(*node).value("buffer_underruns_total", {{"client_id", "starved"}});
        QVERIFY(counted >= 2);
        QVERIFY(counted <= static_cast<double>(l.client->stats().serverUnderruns) + 1);
        gate->release();
        node->shutdown(0);
    }

    void aListenerThatDoesNotReadCountsTimeouts() {
        NodeConfig config;
        config.queueLimitChunks = 5;
        auto node = startNode(config);
        Peer silent(streamUrl(*node, "client_id=silent&format=binary"));
        QTRY_VERIFY(silent.open);
        silent.ws.setReading(false);
        QTRY_VERIFY_WITH_TIMEOUT(
            scrape(*node).value("websocket_send_errors_total", {{"error_type", "timeout"}}) > 0,
            kPatienceMs);
        QCOMPARE(
            scrape(*node).value("websocket_send_errors_total", {{"error_type", "encoding_error"}}),
            0.0);
    }

    void promtoolAcceptsTheExposition() {
        auto node = startNode();
        TestListener l(*node, "carol");
        QTRY_VERIFY(l.client->stats().chunks > 12);
        QByteArray raw;
        scrape(*node, nullptr, &raw);
        QProcess promtool;
        promtool.start("promtool", {"check", "metrics"});
        QVERIFY2(promtool.waitForStarted(kPatienceMs),
                 "promtool is installed by packaging/install-deps.sh test");
        promtool.write(raw);
        promtool.closeWriteChannel();
        QVERIFY(promtool.waitForFinished(kPatienceMs));
        const QString out =
            QString::fromUtf8(promtool.readAllStandardOutput() + promtool.readAllStandardError());
        // Exit 1 would be a parse error. Exit 3 lists lint findings: the only ones allowed are
        // the abbreviated units that the contract's names (and their companions) carry.
        QVERIFY2(promtool.exitCode() == 0 || promtool.exitCode() == 3, qPrintable(out));
        QStringList findings = out.split('\n', Qt::SkipEmptyParts);
        findings.sort();
        QCOMPARE(findings,
                 QStringList({
                     "chunk_delivery_jitter_ms metric names should not contain abbreviated units",
                     "client_playout_buffer_ms metric names should not contain abbreviated units",
                     "gpu_memory_allocated_mb metric names should not contain abbreviated units",
                     "gpu_memory_total_mb metric names should not contain abbreviated units",
                     "memory_usage_mb metric names should not contain abbreviated units",
                 }));
    }
};

QTEST_GUILESS_MAIN(TestMetrics)
#include "tst_metrics.moc"
