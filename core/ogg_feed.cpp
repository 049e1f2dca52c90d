#include "core/ogg_feed.h"

#include <algorithm>

namespace auralis::core {

OggFeed::Step OggFeed::next(const BroadcastRing& ring, qint64 live, bool room) {
    Step step;
    const qint64 end = ring.opusEnd();
    if (m_epoch == 0) {
        const OpusStream stream = ring.opusStream();
        const qint64 first = std::max(live, stream.firstSeq);
        if (stream.epoch == 0 || end <= first) {
            return step; // the encoder (started on demand) has not reached the live edge yet
        }
        m_epoch = stream.epoch;
        m_cursor = first;
        step.bytes = stream.header;
    }
    if (m_cursor < ring.oldest()) {
        step.dropped += static_cast<int>(live - m_cursor); // fell out of the ring
        m_cursor = live;
    }
    const qint64 until = std::min(end, live + m_lead);
    Chunk chunk;
    for (; m_cursor < until; ++m_cursor) {
        if (!room) {
            ++step.dropped;
            continue;
        }
        if (!ring.read(m_cursor, chunk) || chunk.opusEpoch != m_epoch) {
            step.broken = true;
            return step;
        }
        step.bytes += chunk.ogg;
        ++step.chunks;
    }
    return step;
}

} // namespace auralis::core
