// GET /metrics: the node's snapshot and exposition, every I/O loop's depth refresh alongside;
// its timing at debug level. Node's thread. Part of Node (core/node.h).
#include "core/node.h"

#include "core/io_loop.h"
#include "core/log.h"
#include "core/metrics.h"

#include <QScopeGuard>

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
    // Depth is collected now, so it is never older than the scrape: the other loops refresh
    // their listeners while this thread writes the node's families and then refreshes its own
    // loop's; the listeners' series are written once every loop is done.
    const qint64 now = m_clock->nowUs();
    std::latch refreshed(std::ssize(m_loops) - 1);     // startIoLoops() makes at least one
    for (std::size_t i = 1; i < m_loops.size(); ++i) { // [0] is this thread's
        IoLoop* loop = m_loops[i];
        loop->post([loop, now, &refreshed] {
            loop->visit([now](const ListenerSession& s) { s.refreshDepthMetric(now); });
            refreshed.count_down();
        });
    }
    // The loops count the latch down whatever happens here: never leave before they have.
    const auto waitForLoops = qScopeGuard([&refreshed] { refreshed.wait(); });
    qint64 familiesUs = 0;
    qint64 refreshUs = 0;
    std::string text = m_metrics->scrape(snap, [&] {
        const qint64 familiesAt = timed ? clock.nowUs() : 0;
        m_loops.front()->visit([now](const ListenerSession& s) { s.refreshDepthMetric(now); });
        refreshed.wait();
        if (timed) {
            familiesUs = familiesAt - start;
            refreshUs = clock.nowUs() - familiesAt;
        }
    });
    if (timed) {
        const qint64 totalUs = clock.nowUs() - start;
        qCDebug(lcNode).noquote()
            << QString(
                   "scrape: %1 listeners, %2 bytes; %3 us: node families and /proc %4 us, depth "
                   "refresh (this loop, then waiting for the others) %5 us, listeners and "
                   "process %6 us; node thread CPU %7 us")
                   .arg(snap.connections)
                   .arg(text.size())
                   .arg(totalUs)
                   .arg(familiesUs)
                   .arg(refreshUs)
                   .arg(totalUs - familiesUs - refreshUs)
                   .arg(std::llround((threadCpuSeconds() - cpu0) * 1e6));
    }
    return text;
}

} // namespace auralis::core
