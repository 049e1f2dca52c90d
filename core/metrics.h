// The node's Prometheus metrics, exactly as the metrics contract names them (types, HELP,
// labels, buckets), plus gpu_memory_total_mb, the listeners' own playout reports and the
// standard process_* series. Families are registered once; hot paths keep references.
// Observations are thread-safe (prometheus-cpp atomics), and so are adding and removing
// listeners (the I/O threads' sessions); scrape() and collect() run on the node thread.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace auralis::core {

/// Content-Type of /metrics, exactly as the contract states it.
inline constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

enum class SendError { Disconnect, Timeout, EncodingError, Unknown };

/// Readings of the process from /proc (Linux).
struct ProcessStats {
    double cpuSeconds = 0;
    double residentBytes = 0;
    double virtualBytes = 0;
    double startTimeSeconds = 0; // since the Unix epoch
    double openFds = 0;
    double maxFds = 0;
};
ProcessStats readProcessStats();
/// Open file descriptors: the size of /proc/self/fd where the kernel reports it (Linux 6.2
/// and later: one stat() instead of a listing that costs ≈ 1 µs per descriptor, a millisecond
/// at 1 000 listeners), else countOpenFdsByListing().
int countOpenFds();
int countOpenFdsByListing(); // the entries of /proc/self/fd

class NodeMetrics {
public:
    NodeMetrics();

    // ---- hot paths ------------------------------------------------------------------------
    void observeSynthesis(double seconds) { m_synthesis->Observe(seconds); }
    void observeEncoding(double seconds) { m_encoding->Observe(seconds); }
    void observeJitter(double ms) { m_jitter->Observe(ms); }
    void observeOpusEncoding(double seconds) { m_opusEncoding->Observe(seconds); }

    /// Beyond the contract: the Ogg/Opus listeners of GET /stream.ogg and the Icecast source.
    struct StreamCounters {
        prometheus::Counter* httpSentBytes = nullptr;
        prometheus::Counter* httpDroppedChunks = nullptr;
        prometheus::Counter* httpSlowDisconnects = nullptr;
        prometheus::Counter* icecastSentBytes = nullptr;
        prometheus::Counter* icecastReconnects = nullptr;
    };
    const StreamCounters& stream() const { return m_stream; }
    /// Registers the Icecast series (a node with --icecast); until then they are absent.
    void enableIcecast();
    /// auralis_build_info{version, device, cuda_build, qt} 1 (set once, at start).
    void setBuildInfo(const std::string& version, const std::string& device, bool cudaBuild);
    void sendError(SendError kind) { m_sendErrors[static_cast<int>(kind)]->Increment(); }

    /// The series of one listener, created when it joins and removed when it leaves; its
    /// client_playout_* pair only from its first report (addPlayout()), so a listener that
    /// never reports costs every scrape two series, not four. NodeMetrics owns it (scrape()
    /// reads it): the reference stays valid until removeListener().
    struct Listener {
        std::string clientId;
        prometheus::Gauge* depth = nullptr;
        prometheus::Counter* underruns = nullptr;
        prometheus::Counter* playoutUnderruns = nullptr; // null until addPlayout()
        prometheus::Gauge* playoutBuffer = nullptr;      // null until addPlayout()
    };
    Listener& addListener(const std::string& clientId);
    /// Adds the listener's client_playout_* series (once; later calls do nothing).
    void addPlayout(Listener& listener);
    void removeListener(const Listener& listener);

    /// What the node knows at scrape time; gauges are set from it, never stale.
    struct Snapshot {
        int connections = 0;
        double gpuAllocatedBytes = 0;
        double gpuTotalBytes = 0;
        double phrases = 0;
        double streamSeconds = 0;          // since the stream started
        std::uint64_t buffersRecycled = 0; // gc generation "0"
        std::uint64_t poolGrowth = 0;      // gc generation "1"
        std::uint64_t heapTrims = 0;       // gc generation "2"
        int httpStreamListeners = 0;
        double synthesisLeadChunks = 0; // rendered ahead of the live edge (the same for all)
        int icecastConnected = 0;       // 1 while the Icecast source streams
    };
    /// The exposition text, gauges set from `snapshot` and /proc read now: what prometheus-cpp's
    /// TextSerializer would write for collect(), except that each family's listeners come in
    /// client_id order. The per-listener series are written straight from their values (no
    /// Collect() copy of every series' labels: more than half of a live 1 000-listener scrape).
    std::string scrape(const Snapshot& snapshot);
    std::string scrape(const Snapshot& snapshot, const ProcessStats& process);
    /// Every family as prometheus-cpp collects it — the node's, then the per-listener ones —
    /// and the process_* families: what scrape() writes (the reference for tests, benchmarks).
    std::vector<prometheus::MetricFamily> collect(const ProcessStats& process) const;

private:
    void setGauges(const Snapshot& snapshot, const ProcessStats& process);
    void appendListenerFamilies(std::string& out) const;

    std::shared_ptr<prometheus::Registry> m_registry;
    /// The per-listener families, apart so that scrape() can skip their Collect().
    std::shared_ptr<prometheus::Registry> m_listenerRegistry;
    mutable std::mutex m_listenersMutex;         // m_listeners and the Listener entries' pointers
    std::map<std::string, Listener> m_listeners; // by client_id, as scrape() writes them (node
                                                 // references stay valid while others change)
    prometheus::Histogram* m_synthesis;
    prometheus::Histogram* m_encoding;
    prometheus::Histogram* m_jitter;
    prometheus::Histogram* m_opusEncoding;
    prometheus::Gauge* m_httpStreamListeners;
    prometheus::Gauge* m_synthesisLead;
    prometheus::Gauge* m_icecastConnected = nullptr; // registered when a source is configured
    StreamCounters m_stream;
    prometheus::Gauge* m_connections;
    prometheus::Gauge* m_memory;
    prometheus::Gauge* m_gpuAllocated;
    prometheus::Gauge* m_gpuTotal;
    prometheus::Gauge* m_phraseRate;
    prometheus::Counter* m_sendErrors[4];
    prometheus::Counter* m_gc[3];
    std::uint64_t m_gcSeen[3] = {0, 0, 0};
    prometheus::Family<prometheus::Gauge>* m_depthFamily;
    prometheus::Family<prometheus::Counter>* m_underrunFamily;
    prometheus::Family<prometheus::Counter>* m_playoutUnderrunFamily;
    prometheus::Family<prometheus::Gauge>* m_playoutBufferFamily;
    double m_lastCpuSeconds = 0;
    std::size_t m_lastScrapeBytes = 0;
};

/// The process_* families (cpu seconds, resident and virtual memory, start time, file
/// descriptors) from a reading, in Prometheus' standard names and types.
std::vector<prometheus::MetricFamily> processFamilies(const ProcessStats& stats);

} // namespace auralis::core
