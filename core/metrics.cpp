#include "core/metrics.h"

#include "core/text_exposition.h"

#include <QtGlobal>

#include <dirent.h>
#include <fstream>
#include <sstream>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

namespace auralis::core {

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

// The per-listener families (appendListenerFamilies writes them without prometheus-cpp).
const std::string kDepthName = "buffer_depth_chunks";
const std::string kDepthHelp = "Current ring buffer depth";
const std::string kUnderrunsName = "buffer_underruns_total";
const std::string kUnderrunsHelp = "Buffer underrun events";
const std::string kPlayoutUnderrunsName = "client_playout_underruns_total";
const std::string kPlayoutUnderrunsHelp = "Playout underruns reported by the listener itself";
const std::string kPlayoutBufferName = "client_playout_buffer_ms";
const std::string kPlayoutBufferHelp =
    "Playout buffer last reported by the listener, in milliseconds";

double bootTimeSeconds() {
    std::ifstream stat("/proc/stat");
    std::string key;
    while (stat >> key) {
        if (key == "btime") {
            double v = 0;
            stat >> v;
            return v;
        }
    }
    return 0;
}

prometheus::MetricFamily gaugeFamily(const std::string& name, const std::string& help,
                                     double value) {
    prometheus::MetricFamily f;
    f.name = name;
    f.help = help;
    f.type = prometheus::MetricType::Gauge;
    prometheus::ClientMetric m;
    m.gauge.value = value;
    f.metric.push_back(m);
    return f;
}

} // namespace

int countOpenFdsByListing() {
    DIR* dir = opendir("/proc/self/fd");
    if (dir == nullptr) {
        return 0;
    }
    int n = 0;
    while (const dirent* e = readdir(dir)) {
        n += e->d_name[0] != '.' ? 1 : 0;
    }
    closedir(dir);
    return n - 1; // the directory handle itself
}

int countOpenFds() {
    struct stat st {};
    if (stat("/proc/self/fd", &st) == 0 && st.st_size > 0) {
        return static_cast<int>(st.st_size);
    }
    return countOpenFdsByListing();
}

ProcessStats readProcessStats() {
    ProcessStats s;
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
    std::string line;
    {
        std::ifstream statFile("/proc/self/stat"); // closed before the descriptors are counted
        std::getline(statFile, line);
    }
    // Fields after the command name, which is in parentheses and may contain spaces.
    const auto close = line.rfind(')');
    if (close != std::string::npos) {
        std::istringstream rest(line.substr(close + 2));
        std::vector<std::string> f;
        std::string field;
        while (rest >> field) {
            f.push_back(field);
        }
        // rest starts at field 3 (state): utime is field 14, stime 15, starttime 22,
        // vsize 23, rss 24 (1-based in proc(5)).
        if (f.size() > 21) {
            s.cpuSeconds = (std::stod(f[11]) + std::stod(f[12])) / ticks;
            static const double bootTime = bootTimeSeconds(); // fixed while the system runs
            s.startTimeSeconds = bootTime + std::stod(f[19]) / ticks;
            s.virtualBytes = std::stod(f[20]);
            s.residentBytes = std::stod(f[21]) * page;
        }
    }
    s.openFds = countOpenFds();
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
        s.maxFds = static_cast<double>(limit.rlim_cur);
    }
    return s;
}

std::vector<prometheus::MetricFamily> processFamilies(const ProcessStats& s) {
    std::vector<prometheus::MetricFamily> out;
    prometheus::MetricFamily cpu;
    cpu.name = "process_cpu_seconds_total";
    cpu.help = "Total user and system CPU time spent in seconds.";
    cpu.type = prometheus::MetricType::Counter;
    prometheus::ClientMetric m;
    m.counter.value = s.cpuSeconds;
    cpu.metric.push_back(m);
    out.push_back(cpu);
    out.push_back(gaugeFamily("process_resident_memory_bytes", "Resident memory size in bytes.",
                              s.residentBytes));
    out.push_back(gaugeFamily("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                              s.virtualBytes));
    out.push_back(gaugeFamily("process_start_time_seconds",
                              "Start time of the process since unix epoch in seconds.",
                              s.startTimeSeconds));
    out.push_back(gaugeFamily("process_open_fds", "Number of open file descriptors.", s.openFds));
    out.push_back(
        gaugeFamily("process_max_fds", "Maximum number of open file descriptors.", s.maxFds));
    return out;
}

NodeMetrics::NodeMetrics() : m_registry(std::make_shared<prometheus::Registry>()) {
    using prometheus::BuildCounter;
    using prometheus::BuildGauge;
    using prometheus::BuildHistogram;
    auto& r = *m_registry;
    m_synthesis = &BuildHistogram()
                       .Name("synthesis_latency_seconds")
                       .Help("Time to render audio phrase")
                       .Register(r)
                       .Add({}, prometheus::Histogram::BucketBoundaries{
                                    0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0});
    m_jitter = &BuildHistogram()
                    .Name("chunk_delivery_jitter_ms")
                    .Help("Chunk delivery timing variance")
                    .Register(r)
                    .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 5, 10, 20, 30, 50, 75,
                                                                     100, 200});
    m_connections = &BuildGauge()
                         .Name("active_websocket_connections")
                         .Help("Number of connected WebSocket clients")
                         .Register(r)
                         .Add({});
    auto& sendErrors = BuildCounter()
                           .Name("websocket_send_errors_total")
                           .Help("Failed WebSocket send operations")
                           .Register(r);
    const char* kinds[4] = {"disconnect", "timeout", "encoding_error", "unknown"};
    for (int i = 0; i < 4; ++i) {
        m_sendErrors[i] = &sendErrors.Add({{"error_type", kinds[i]}});
    }
    m_memory = &BuildGauge()
                    .Name("memory_usage_mb")
                    .Help("Process memory usage (RSS)")
                    .Register(r)
                    .Add({});
    m_gpuAllocated = &BuildGauge()
                          .Name("gpu_memory_allocated_mb")
                          .Help("GPU memory allocated")
                          .Register(r)
                          .Add({});
    m_encoding = &BuildHistogram()
                      .Name("chunk_encoding_duration_seconds")
                      .Help("base64 encoding duration")
                      .Register(r)
                      .Add({}, prometheus::Histogram::BucketBoundaries{0.0001, 0.0005, 0.001, 0.002,
                                                                       0.005, 0.01, 0.02});
    auto& gc =
        BuildCounter().Name("gc_collections_total").Help("Garbage collection count").Register(r);
    for (int g = 0; g < 3; ++g) {
        m_gc[g] = &gc.Add({{"generation", std::to_string(g)}});
    }
    m_phraseRate = &BuildGauge()
                        .Name("phrase_generation_rate_hz")
                        .Help("Phrases generated per second")
                        .Register(r)
                        .Add({});
    // Beyond the contract.
    m_gpuTotal = &BuildGauge()
                      .Name("gpu_memory_total_mb")
                      .Help("Total memory of the GPU in use (0 without one)")
                      .Register(r)
                      .Add({});
    m_opusEncoding = &BuildHistogram()
                          .Name("auralis_opus_encoding_duration_seconds")
                          .Help("Opus encoding duration of one 100 ms chunk (only while some "
                                "listener takes Opus)")
                          .Register(r)
                          .Add({}, prometheus::Histogram::BucketBoundaries{
                                       0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02});
    m_synthesisLead = &BuildGauge()
                           .Name("auralis_synthesis_lead_chunks")
                           .Help("Chunks rendered ahead of the live edge (what "
                                 "buffer_depth_chunks measured before it meant each listener's "
                                 "own buffer)")
                           .Register(r)
                           .Add({});
    m_httpStreamListeners = &BuildGauge()
                                 .Name("auralis_http_stream_listeners")
                                 .Help("Listeners of the Ogg/Opus stream GET /stream.ogg")
                                 .Register(r)
                                 .Add({});
    m_stream.httpSentBytes = &BuildCounter()
                                  .Name("auralis_http_stream_sent_bytes_total")
                                  .Help("Ogg bytes written to /stream.ogg listeners")
                                  .Register(r)
                                  .Add({});
    m_stream.httpDroppedChunks =
        &BuildCounter()
             .Name("auralis_http_stream_dropped_chunks_total")
             .Help("100 ms chunks skipped for /stream.ogg listeners that did not read in time")
             .Register(r)
             .Add({});
    m_stream.httpSlowDisconnects = &BuildCounter()
                                        .Name("auralis_http_stream_slow_disconnects_total")
                                        .Help("/stream.ogg listeners disconnected for not reading")
                                        .Register(r)
                                        .Add({});
}

void NodeMetrics::setBuildInfo(const std::string& version, const std::string& device,
                               bool cudaBuild) {
    prometheus::BuildGauge()
        .Name("auralis_build_info")
        .Help("The node's version, the device rendering, whether CUDA was compiled in, and Qt")
        .Register(*m_registry)
        .Add({{"version", version},
              {"device", device},
              {"cuda_build", cudaBuild ? "true" : "false"},
              {"qt", qVersion()}})
        .Set(1);
}

void NodeMetrics::enableIcecast() {
    if (m_icecastConnected != nullptr) {
        return;
    }
    auto& r = *m_registry;
    m_icecastConnected = &prometheus::BuildGauge()
                              .Name("auralis_icecast_connected")
                              .Help("1 while the Icecast source connection is streaming")
                              .Register(r)
                              .Add({});
    m_stream.icecastSentBytes = &prometheus::BuildCounter()
                                     .Name("auralis_icecast_sent_bytes_total")
                                     .Help("Ogg bytes sent to the Icecast server")
                                     .Register(r)
                                     .Add({});
    m_stream.icecastReconnects = &prometheus::BuildCounter()
                                      .Name("auralis_icecast_reconnects_total")
                                      .Help("Icecast source connections lost and retried")
                                      .Register(r)
                                      .Add({});
}

void NodeMetrics::Listener::addPlayoutUnderruns(double n) {
    m_playoutUnderruns.fetch_add(n, std::memory_order_relaxed);
    markPlayout();
}

void NodeMetrics::Listener::setPlayoutBuffer(double ms) {
    m_playoutBuffer.store(ms, std::memory_order_relaxed);
    markPlayout();
}

NodeMetrics::Listener& NodeMetrics::addListener(const std::string& clientId) {
    const std::lock_guard lock(m_listenersMutex);
    Listener* slot = nullptr;
    if (!m_freeSlots.empty()) {
        slot = m_freeSlots.back();
        m_freeSlots.pop_back();
    } else {
        if (m_slotsUsed == m_blocks.size() * kBlockSlots) {
            m_blocks.push_back(std::make_unique<Listener[]>(kBlockSlots));
        }
        slot = &m_blocks[m_slotsUsed / kBlockSlots][m_slotsUsed % kBlockSlots];
        ++m_slotsUsed;
    }
    slot->m_depth.store(0, std::memory_order_relaxed);
    slot->m_underruns.store(0, std::memory_order_relaxed);
    slot->m_playoutUnderruns.store(0, std::memory_order_relaxed);
    slot->m_playoutBuffer.store(0, std::memory_order_relaxed);
    slot->m_playout.store(false, std::memory_order_relaxed);
    slot->m_clientId = clientId;
    slot->m_live = true;
    return *slot;
}

void NodeMetrics::removeListener(Listener& l) {
    const std::lock_guard lock(m_listenersMutex);
    l.m_live = false;
    m_freeSlots.push_back(&l);
}

template <typename F>
void NodeMetrics::forEachListener(bool reportedOnly, F&& f) const {
    for (std::size_t i = 0; i < m_slotsUsed; ++i) {
        const Listener& l = m_blocks[i / kBlockSlots][i % kBlockSlots];
        if (l.m_live && (!reportedOnly || l.hasPlayout())) {
            f(l);
        }
    }
}

void NodeMetrics::setGauges(const Snapshot& s, const ProcessStats& process) {
    m_connections->Set(s.connections);
    m_memory->Set(process.residentBytes / kMiB);
    m_gpuAllocated->Set(s.gpuAllocatedBytes / kMiB);
    m_gpuTotal->Set(s.gpuTotalBytes / kMiB);
    m_phraseRate->Set(s.streamSeconds > 0 ? s.phrases / s.streamSeconds : 0);
    m_httpStreamListeners->Set(s.httpStreamListeners);
    m_synthesisLead->Set(s.synthesisLeadChunks);
    if (m_icecastConnected != nullptr) {
        m_icecastConnected->Set(s.icecastConnected);
    }
    const std::uint64_t gc[3] = {s.buffersRecycled, s.poolGrowth, s.heapTrims};
    for (int g = 0; g < 3; ++g) {
        if (gc[g] > m_gcSeen[g]) {
            m_gc[g]->Increment(static_cast<double>(gc[g] - m_gcSeen[g]));
            m_gcSeen[g] = gc[g];
        }
    }
}

namespace {

// The per-listener families in prometheus-cpp's order of registration (collect() keeps it).
struct ListenerFamily {
    const std::string& name;
    const std::string& help;
    prometheus::MetricType type;
    bool playout; // only listeners that have reported
    double (NodeMetrics::Listener::*value)() const;
};
const ListenerFamily kListenerFamilies[] = {
    {kDepthName, kDepthHelp, prometheus::MetricType::Gauge, false, &NodeMetrics::Listener::depth},
    {kUnderrunsName, kUnderrunsHelp, prometheus::MetricType::Counter, false,
     &NodeMetrics::Listener::underruns},
    {kPlayoutUnderrunsName, kPlayoutUnderrunsHelp, prometheus::MetricType::Counter, true,
     &NodeMetrics::Listener::playoutUnderruns},
    {kPlayoutBufferName, kPlayoutBufferHelp, prometheus::MetricType::Gauge, true,
     &NodeMetrics::Listener::playoutBuffer},
};

} // namespace

// The four per-listener families, as collect() has them (a family without series is left out,
// as prometheus-cpp's Collect() leaves it out).
void NodeMetrics::appendListenerFamilies(std::string& out) const {
    const std::lock_guard lock(m_listenersMutex); // listeners join and leave on I/O threads
    for (const ListenerFamily& family : kListenerFamilies) {
        bool any = false;
        forEachListener(family.playout, [&](const Listener& l) {
            if (!any) {
                appendFamilyHeader(out, family.name, family.help, family.type);
                any = true;
            }
            appendSample(out, family.name, "client_id", l.m_clientId, (l.*family.value)());
        });
    }
}

std::string NodeMetrics::scrape(const Snapshot& s, const std::function<void()>& beforeListeners) {
    return scrape(s, readProcessStats(), beforeListeners);
}

std::string NodeMetrics::scrape(const Snapshot& s, const ProcessStats& process) {
    return scrape(s, process, {});
}

std::string NodeMetrics::scrape(const Snapshot& s, const ProcessStats& process,
                                const std::function<void()>& beforeListeners) {
    setGauges(s, process);
    std::string text;
    text.reserve(m_lastScrapeBytes + m_lastScrapeBytes / 8 + 1024);
    appendTextExposition(text, m_registry->Collect()); // collect()'s order
    if (beforeListeners) {
        beforeListeners();
    }
    appendListenerFamilies(text);
    appendTextExposition(text, processFamilies(process));
    m_lastScrapeBytes = text.size();
    return text;
}

std::vector<prometheus::MetricFamily> NodeMetrics::collect(const ProcessStats& process) const {
    std::vector<prometheus::MetricFamily> families = m_registry->Collect();
    {
        const std::lock_guard lock(m_listenersMutex);
        for (const ListenerFamily& family : kListenerFamilies) {
            prometheus::MetricFamily f;
            f.name = family.name;
            f.help = family.help;
            f.type = family.type;
            forEachListener(family.playout, [&](const Listener& l) {
                prometheus::ClientMetric m;
                m.label.push_back({"client_id", l.m_clientId});
                const double v = (l.*family.value)();
                if (family.type == prometheus::MetricType::Counter) {
                    m.counter.value = v;
                } else {
                    m.gauge.value = v;
                }
                f.metric.push_back(std::move(m));
            });
            if (!f.metric.empty()) {
                families.push_back(std::move(f));
            }
        }
    }
    for (auto& f : processFamilies(process)) {
        families.push_back(std::move(f));
    }
    return families;
}

} // namespace auralis::core
