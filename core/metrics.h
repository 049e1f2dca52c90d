// The node's Prometheus metrics, exactly as the metrics contract names them (types, HELP,
// labels, buckets), plus gpu_memory_total_mb, the listeners' own playout reports and the
// standard process_* series. Families are registered once; hot paths keep references.
// Observations are thread-safe (atomics), and so are adding and removing listeners (the I/O
// threads' sessions); scrape() and collect() run on the node thread.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <atomic>
#include <cstdint>
#include <functional>
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

    /// The series of one listener: its values in one slot of a table that scrape() walks in
    /// order, with no prometheus-cpp object per listener (a live scrape went mostly to cache
    /// misses on those). Only its session's thread writes it; scrape() reads it (atomics).
    class Listener {
    public:
        void setDepth(double chunks) { m_depth.store(chunks, std::memory_order_relaxed); }
        void addUnderruns(double n) { m_underruns.fetch_add(n, std::memory_order_relaxed); }
        /// client_playout_* are written from the first of these on (before it: two series).
        void addPlayoutUnderruns(double n);
        void setPlayoutBuffer(double ms);

        double depth() const { return m_depth.load(std::memory_order_relaxed); }
        double underruns() const { return m_underruns.load(std::memory_order_relaxed); }
        double playoutUnderruns() const {
            return m_playoutUnderruns.load(std::memory_order_relaxed);
        }
        double playoutBuffer() const { return m_playoutBuffer.load(std::memory_order_relaxed); }
        bool hasPlayout() const { return m_playout.load(std::memory_order_acquire); }

    private:
        friend class NodeMetrics;
        void markPlayout() {
            if (!m_playout.load(std::memory_order_relaxed)) {
                m_playout.store(true, std::memory_order_release);
            }
        }

        std::atomic<double> m_depth{0};
        std::atomic<double> m_underruns{0};
        std::atomic<double> m_playoutUnderruns{0};
        std::atomic<double> m_playoutBuffer{0};
        std::atomic<bool> m_playout{false};
        bool m_live = false;    // a listener holds the slot (under the table's mutex)
        std::string m_clientId; // set when the slot is taken (under the table's mutex)
    };
    /// A new listener's slot, its values zero. Client ids are unique among live listeners (the
    /// node guarantees it: a session's series are removed before its id can be taken again).
    Listener& addListener(const std::string& clientId);
    /// Frees the slot: `listener` must not be used after this.
    void removeListener(Listener& listener);

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
    /// TextSerializer writes for collect() (a family's listeners in the order of their slots).
    /// The per-listener series are written straight from the table (no Collect() copy of every
    /// series' labels: more than half of a live 1 000-listener scrape once).
    /// `beforeListeners` (if any) runs once the node's own families are written and before the
    /// listeners' table is read: what the listeners' values still wait for (their sessions
    /// refreshing them on other threads) overlaps the rest of the exposition.
    std::string scrape(const Snapshot& snapshot, const std::function<void()>& beforeListeners = {});
    std::string scrape(const Snapshot& snapshot, const ProcessStats& process);
    /// Every family as prometheus-cpp collects it — the node's, then the per-listener ones (as
    /// prometheus-cpp would collect them from families of its own) — and the process_* families:
    /// what scrape() writes (the reference for tests, benchmarks).
    std::vector<prometheus::MetricFamily> collect(const ProcessStats& process) const;

private:
    std::string scrape(const Snapshot& snapshot, const ProcessStats& process,
                       const std::function<void()>& beforeListeners);
    void setGauges(const Snapshot& snapshot, const ProcessStats& process);
    void appendListenerFamilies(std::string& out) const;

    /// The live slots in order (those that have reported only, with `reportedOnly`); the
    /// caller holds m_listenersMutex.
    template <typename F>
    void forEachListener(bool reportedOnly, F&& f) const;

    std::shared_ptr<prometheus::Registry> m_registry;
    /// The listeners' table: blocks of slots that never move (sessions keep references), a
    /// slot freed by removeListener() taken again by the next addListener().
    static constexpr std::size_t kBlockSlots = 256;
    mutable std::mutex m_listenersMutex; // the table's shape and its slots' m_live, m_clientId
    std::vector<std::unique_ptr<Listener[]>> m_blocks;
    std::vector<Listener*> m_freeSlots;
    std::size_t m_slotsUsed = 0; // slots handed out at least once (scrape() walks these)
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
    double m_lastCpuSeconds = 0;
    std::size_t m_lastScrapeBytes = 0;
};

/// The process_* families (cpu seconds, resident and virtual memory, start time, file
/// descriptors) from a reading, in Prometheus' standard names and types.
std::vector<prometheus::MetricFamily> processFamilies(const ProcessStats& stats);

} // namespace auralis::core
