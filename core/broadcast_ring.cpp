#include "core/broadcast_ring.h"

#include "protocol/protocol.h"

#include <chrono>
#include <cstring>

namespace auralis::core {

namespace {
constexpr int kBase64Bytes = protocol::kChunkBase64Bytes;
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
} // namespace

void encodeBase64(const char* data, int size, char* out) {
    const auto* in = reinterpret_cast<const unsigned char*>(data);
    int i = 0;
    for (; i + 2 < size; i += 3) {
        const unsigned v = (unsigned{in[i]} << 16) | (unsigned{in[i + 1]} << 8) | in[i + 2];
        *out++ = kAlphabet[(v >> 18) & 63];
        *out++ = kAlphabet[(v >> 12) & 63];
        *out++ = kAlphabet[(v >> 6) & 63];
        *out++ = kAlphabet[v & 63];
    }
    if (i < size) {
        const unsigned v = (unsigned{in[i]} << 16) | (i + 1 < size ? unsigned{in[i + 1]} << 8 : 0u);
        *out++ = kAlphabet[(v >> 18) & 63];
        *out++ = kAlphabet[(v >> 12) & 63];
        *out++ = i + 1 < size ? kAlphabet[(v >> 6) & 63] : '=';
        *out++ = '=';
    }
}

BroadcastRing::BroadcastRing(int capacity) : m_slots(static_cast<std::size_t>(capacity)) {
    // Every slot plus a few spares, allocated now: steady state recycles them.
    for (int i = 0; i < capacity + 8; ++i) {
        m_pcmPool.emplace_back(protocol::kChunkBytes, Qt::Uninitialized);
        m_base64Pool.emplace_back(kBase64Bytes, Qt::Uninitialized);
    }
}

QByteArray BroadcastRing::takeBuffer(std::vector<QByteArray>& pool, int size) {
    if (!pool.empty()) {
        QByteArray b = std::move(pool.back());
        pool.pop_back();
        m_recycled.fetch_add(1, std::memory_order_relaxed);
        return b;
    }
    m_grown.fetch_add(1, std::memory_order_relaxed);
    return QByteArray(size, Qt::Uninitialized);
}

void BroadcastRing::giveBack(std::vector<QByteArray>& pool, QByteArray&& buffer) {
    // Only a buffer no reader still shares can be written again without a copy.
    if (!buffer.isNull() && buffer.isDetached()) {
        pool.push_back(std::move(buffer));
    }
}

double BroadcastRing::publish(qint64 seq, qint64 ptsMs, const char* pcm) {
    QByteArray p = takeBuffer(m_pcmPool, protocol::kChunkBytes);
    QByteArray b = takeBuffer(m_base64Pool, kBase64Bytes);
    std::memcpy(p.data(), pcm, protocol::kChunkBytes);
    const auto t0 = std::chrono::steady_clock::now();
    encodeBase64(pcm, protocol::kChunkBytes, b.data());
    const double encodeSeconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    Chunk& slot = m_slots[static_cast<std::size_t>(seq % capacity())];
    QByteArray oldPcm;
    QByteArray oldBase64;
    {
        std::lock_guard lock(m_mutex);
        oldPcm = std::move(slot.pcm);
        oldBase64 = std::move(slot.base64);
        slot.seq = seq;
        slot.ptsMs = ptsMs;
        slot.pcm = std::move(p);
        slot.base64 = std::move(b);
        slot.opusEpoch = 0;
        slot.opus = QByteArray();
        slot.ogg = QByteArray();
    }
    giveBack(m_pcmPool, std::move(oldPcm));
    giveBack(m_base64Pool, std::move(oldBase64));
    m_end.store(seq + 1, std::memory_order_release);
    return encodeSeconds;
}

void BroadcastRing::attachOpus(qint64 seq, std::uint64_t epoch, QByteArray packets,
                               QByteArray pages) {
    {
        std::lock_guard lock(m_mutex);
        Chunk& slot = m_slots[static_cast<std::size_t>(seq % capacity())];
        if (slot.seq != seq) {
            return; // already overwritten
        }
        slot.opusEpoch = epoch;
        slot.opus = std::move(packets);
        slot.ogg = std::move(pages);
    }
    m_opusEnd.store(seq + 1, std::memory_order_release);
}

void BroadcastRing::setOpusStream(const OpusStream& stream) {
    std::lock_guard lock(m_mutex);
    m_opusStream = stream;
    m_opusEnd.store(stream.epoch == 0 ? -1 : stream.firstSeq, std::memory_order_release);
}

OpusStream BroadcastRing::opusStream() const {
    std::lock_guard lock(m_mutex);
    return m_opusStream;
}

bool BroadcastRing::read(qint64 seq, Chunk& out) const {
    if (seq < 0 || seq >= publishedEnd()) {
        return false;
    }
    std::lock_guard lock(m_mutex);
    const Chunk& slot = m_slots[static_cast<std::size_t>(seq % capacity())];
    if (slot.seq != seq) {
        return false; // overwritten: too old
    }
    out = slot; // shares the buffers
    return true;
}

qint64 BroadcastRing::oldest() const {
    const qint64 end = publishedEnd();
    return end > capacity() ? end - capacity() : 0;
}

const Chunk& BroadcastRing::silence() {
    static const Chunk chunk = [] {
        Chunk c;
        c.pcm = QByteArray(protocol::kChunkBytes, '\0');
        c.base64 = QByteArray(kBase64Bytes, Qt::Uninitialized);
        encodeBase64(c.pcm.constData(), protocol::kChunkBytes, c.base64.data());
        return c;
    }();
    return chunk;
}

} // namespace auralis::core
