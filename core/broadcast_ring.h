// The broadcast ring: fixed capacity, preallocated chunk slots shared by reference (QByteArray
// implicit sharing), so every listener reads every chunk without a copy per listener.
// One producer thread (the scheduler) and any number of reader threads.
#pragma once

#include <QByteArray>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

namespace auralis::core {

/// One 100 ms chunk of the stream, encoded once for both wire formats.
struct Chunk {
    qint64 seq = -1;
    qint64 ptsMs = 0;
    QByteArray pcm;    // s16le interleaved, protocol::kChunkBytes
    QByteArray base64; // pcm in base64 (JSON clients)
    // Opus, when some listener wants it (attached after publishing; see BroadcastRing):
    std::uint64_t opusEpoch = 0; // the Opus stream it belongs to (0: not encoded)
    QByteArray opus;             // packets, as protocol::appendOpusPacket writes them
    QByteArray ogg;              // Ogg pages completed while encoding this chunk
};

/// The Opus stream being encoded: each (re)start is a new epoch with its own Ogg headers.
struct OpusStream {
    std::uint64_t epoch = 0; // 0: no Opus encoding now
    qint64 firstSeq = -1;    // the first chunk of this epoch
    QByteArray header;       // OpusHead and OpusTags pages
};

class BroadcastRing {
public:
    explicit BroadcastRing(int capacity);

    int capacity() const { return static_cast<int>(m_slots.size()); }

    /// Producer: publishes chunk `seq` (must be publishedEnd()) from `pcm` (kChunkBytes),
    /// encoding it once. Buffers come from a pool; returns the encoding time in seconds.
    double publish(qint64 seq, qint64 ptsMs, const char* pcm);

    /// Reader: the chunk `seq` if it is published and still in the ring.
    bool read(qint64 seq, Chunk& out) const;

    /// Producer: the Opus of published chunk `seq` (encoded in order, one epoch at a time).
    void attachOpus(qint64 seq, std::uint64_t epoch, QByteArray packets, QByteArray pages);
    void setOpusStream(const OpusStream& stream);
    OpusStream opusStream() const;
    /// One past the newest chunk with Opus of the current epoch (firstSeq when none yet).
    qint64 opusEnd() const { return m_opusEnd.load(std::memory_order_acquire); }

    /// One past the newest published seq (0 before the first).
    qint64 publishedEnd() const { return m_end.load(std::memory_order_acquire); }
    /// Oldest seq still readable.
    qint64 oldest() const;

    /// Buffer pool accounting: buffers reused from the pool, and heap allocations made because
    /// the pool was empty (a reader still held every spare buffer).
    std::uint64_t recycled() const { return m_recycled.load(); }
    std::uint64_t grown() const { return m_grown.load(); }

    /// A silent chunk (for underruns), encoded once.
    static const Chunk& silence();

private:
    QByteArray takeBuffer(std::vector<QByteArray>& pool, int size);
    void giveBack(std::vector<QByteArray>& pool, QByteArray&& buffer);

    mutable std::mutex m_mutex; // guards m_slots' contents
    std::vector<Chunk> m_slots;
    std::vector<QByteArray> m_pcmPool;    // producer only
    std::vector<QByteArray> m_base64Pool; // producer only
    std::atomic<qint64> m_end{0};
    std::atomic<qint64> m_opusEnd{-1};
    OpusStream m_opusStream; // guarded by m_mutex
    std::atomic<std::uint64_t> m_recycled{0};
    std::atomic<std::uint64_t> m_grown{0};
};

/// Standard base64 of `size` bytes into `out` (4 * ceil(size / 3) bytes).
void encodeBase64(const char* data, int size, char* out);

} // namespace auralis::core
