// GET /metrics: the node's snapshot, every I/O loop's depth refresh, then the exposition;
// its timing at debug level. Node's thread. Part of Node (core/node.h).
#include "core/node.h"

#include "core/io_loop.h"
#include "core/log.h"
#include "core/metrics.h"

#include <cmath>
#include <latch>

namespace auralis::core {

std::string Node::scrapeMetrics() {
    const auto st = m_scheduler->stats();
    NodeMetrics::Snapshot snap;
    snap.connections = listenerCount();
    snap.gpuAllocatedBytes = static_cast<double>(st.gpuBytesAllocated);
    snap.gpuTotalBytes = static_cast<double>(st.gpuBytesTotal);
    snap.phrases = static_cast<double>(st.phrases);
    snap.streamSeconds = static_cast<double>(m_clock->nowUs() - m_scheduler->streamStartUs()) / 1e6;
    snap.buffersRecycled = m_ring.recycled();
    snap.poolGrowth = m_ring.grown();
    snap.heapTrims = m_heapTrims;
    snap.httpStreamListeners = httpStreamListenerCount();
    snap.synthesisLeadChunks = static_cast<double>(m_ring.publishedEnd() - m_scheduler->liveSeq());
    snap.icecastConnected = m_icecast != nullptr && m_icecast->connected() ? 1 : 0;
    // Timed by a clock of its own (tests may drive the node's by hand), logged at debug.
    const bool timed = lcNode().isDebugEnabled();
    const SteadyClock clock;
    const qint64 start = timed ? clock.nowUs() : 0;
    const double cpu0 = timed ? threadCpuSeconds() : 0;
    // Depth is collected now, so it is never older than the scrape: every loop at once.
    std::latch refreshed(static_cast<std::ptrdiff_t>(m_loops.size()));
    for (auto it = m_loops.rbegin(); it != m_loops.rend(); ++it) { // this thread's loop last
        IoLoop* loop = *it;
        loop->post([loop, &refreshed] {
            loop->visit([](const ListenerSession& s) { s.refreshDepthMetric(); });
            refreshed.count_down();
        });
    }
    refreshed.wait();
    const qint64 refreshedAt = timed ? clock.nowUs() : 0;
    std::string text = m_metrics->scrape(snap);
    if (timed) {
        qCDebug(lcNode).noquote()
            << QString("scrape: %1 listeners, %2 bytes; depth refresh %3 us, exposition %4 us; "
                       "node thread CPU %5 us")
                   .arg(snap.connections)
                   .arg(text.size())
                   .arg(refreshedAt - start)
                   .arg(clock.nowUs() - refreshedAt)
                   .arg(std::llround((threadCpuSeconds() - cpu0) * 1e6));
    }
    return text;
}

} // namespace auralis::core
