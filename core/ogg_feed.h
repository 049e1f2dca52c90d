// Where one Ogg/Opus consumer (a GET /stream.ogg listener, the Icecast source) is in the
// stream: the Opus header pages first, then the Ogg pages of each encoded chunk from the live
// edge on, never more than `leadChunks` ahead of it. No I/O; the owner writes the bytes.
// The owner's thread; reads the ring (thread-safe).
#pragma once

#include "core/broadcast_ring.h"

#include <QByteArray>

namespace auralis::core {

class OggFeed {
public:
    explicit OggFeed(int leadChunks = 10) : m_lead(leadChunks) {}

    struct Step {
        QByteArray bytes;    // to write now (header pages first, on the first step)
        int chunks = 0;      // chunks whose pages are in `bytes`
        int dropped = 0;     // chunks skipped: the consumer had no room
        bool broken = false; // the Opus stream restarted under this consumer: start over
    };
    /// What is due at live edge `live`. `room` false: the consumer is backed up, and the
    /// chunks now due are skipped instead of queued.
    Step next(const BroadcastRing& ring, qint64 live, bool room);

    bool started() const { return m_epoch != 0; }
    qint64 cursor() const { return m_cursor; }

private:
    int m_lead;
    std::uint64_t m_epoch = 0;
    qint64 m_cursor = -1;
};

} // namespace auralis::core
