#include "core/scheduler.h"

#include "protocol/protocol.h"
#include "synth/pcm.h"

#include <algorithm>
#include <cstring>

namespace auralis::core {

using synth::kMaxPhraseFrames;

PhraseScheduler::PhraseScheduler(Options options, BroadcastRing& ring, const Clock& clock)
    : m_ring(ring), m_clock(clock),
      m_engine(options.seed, options.params, std::move(options.renderer),
               std::move(options.deviceReason)),
      m_extraLead(options.extraLeadChunks),
      m_pcm(static_cast<std::size_t>(kMaxPhraseFrames + protocol::kChunkFrames) * 2),
      m_pending(options.params), m_current(options.params), m_opusBitrate(options.opusBitrate),
      m_streamTitle(options.streamTitle) {
    m_startUs = m_clock.nowUs();
    m_stats.deviceKind = m_engine.renderer().kind();
    m_stats.deviceName = m_engine.renderer().deviceName();
    m_stats.deviceReason = m_engine.deviceReason();
    m_stats.gpuBytesAllocated = m_engine.renderer().gpuBytesAllocated();
    m_stats.gpuBytesTotal = m_engine.renderer().gpuBytesTotal();
}

PhraseScheduler::~PhraseScheduler() {
    stop();
}

void PhraseScheduler::start() {
    m_startUs = m_clock.nowUs();
    m_stop = false;
    m_thread = std::thread([this] { run(); });
}

void PhraseScheduler::stop() {
    {
        std::lock_guard lock(m_wakeMutex);
        m_stop = true;
    }
    m_wake.notify_all();
    if (m_thread.joinable()) {
        m_thread.join();
    }
}

qint64 PhraseScheduler::liveSeq() const {
    return std::max<qint64>(0, (m_clock.nowUs() - m_startUs.load()) / protocol::kChunkUs);
}

int PhraseScheduler::leadChunks() const {
    const int phrase = synth::phraseFrames(pendingParams().bpm);
    return (phrase + protocol::kChunkFrames - 1) / protocol::kChunkFrames + m_extraLead;
}

int PhraseScheduler::pump(qint64 liveSeq) {
    int rendered = 0;
    serviceOpus();
    while (m_ring.publishedEnd() < liveSeq + leadChunks() && !m_stop.load()) {
        renderOne();
        ++rendered;
        serviceOpus();
    }
    return rendered;
}

void PhraseScheduler::run() {
    while (!m_stop.load()) {
        pump(liveSeq());
        // Sleep until the live edge has moved by a few chunks (or stop, or Opus wanted).
        std::unique_lock lock(m_wakeMutex);
        m_wake.wait_for(lock, std::chrono::milliseconds(200),
                        [this] { return m_stop.load() || m_opusKick.load(); });
        m_opusKick = false;
    }
}

void PhraseScheduler::setOpusWanted(bool wanted) {
    if (m_opusWanted.exchange(wanted) == wanted) {
        return;
    }
    {
        std::lock_guard lock(m_wakeMutex);
        m_opusKick = true;
    }
    m_wake.notify_all();
}

void PhraseScheduler::serviceOpus() {
    const bool wanted = m_opusWanted.load();
    const qint64 now = m_clock.nowUs();
    if (!wanted) {
        if (m_opus && m_opusIdleSinceUs < 0) {
            m_opusIdleSinceUs = now;
        } else if (m_opus && now - m_opusIdleSinceUs > 10'000'000) {
            m_opus.reset(); // nobody has wanted Opus for 10 s: it costs nothing again
            m_ring.setOpusStream({});
        }
        if (!m_opus) {
            return;
        }
    } else {
        m_opusIdleSinceUs = -1;
    }
    if (!m_opus) {
        if (m_opusFailed) {
            return;
        }
        auto encoder = std::make_unique<OpusChunkEncoder>(m_opusBitrate, m_streamTitle);
        if (!encoder->ok()) {
            m_opusFailed = true;
            if (onOpusError) {
                onOpusError(encoder->error());
            }
            return;
        }
        m_opus = std::move(encoder);
        // From the live edge: what listeners hear next, encoded first.
        m_opusNext = std::max(liveSeq(), m_ring.oldest());
        m_ring.setOpusStream({++m_opusEpoch, m_opusNext, m_opus->headerPages()});
    }
    Chunk chunk;
    while (m_opusNext < m_ring.publishedEnd() && !m_stop.load()) {
        if (!m_ring.read(m_opusNext, chunk)) {
            break; // (only if the ring lapped the encoder: it encodes far faster than real time)
        }
        OpusChunkEncoder::Output out = m_opus->encode(
            reinterpret_cast<const std::int16_t*>(chunk.pcm.constData()), protocol::kChunkFrames);
        m_ring.attachOpus(m_opusNext, m_opusEpoch, std::move(out.packets), std::move(out.pages));
        if (onOpusEncoded) {
            onOpusEncoded(out.seconds);
        }
        ++m_opusNext;
    }
}

qint64 PhraseScheduler::requestParams(const synth::MusicParams& params) {
    std::lock_guard lock(m_mutex);
    m_pending = params;
    return m_nextBoundaryFrame;
}

synth::MusicParams PhraseScheduler::currentParams() const {
    std::lock_guard lock(m_mutex);
    return m_current;
}

synth::MusicParams PhraseScheduler::pendingParams() const {
    std::lock_guard lock(m_mutex);
    return m_pending;
}

PhraseScheduler::Stats PhraseScheduler::stats() const {
    std::lock_guard lock(m_mutex);
    return m_stats;
}

std::vector<PhraseScheduler::PhraseInfo> PhraseScheduler::recentPhrases() const {
    std::lock_guard lock(m_mutex);
    return {m_history.begin(), m_history.end()};
}

bool PhraseScheduler::renderOne() {
    {
        // Parameters are taken at the phrase boundary, and the next boundary is known from
        // here on: a request arriving now applies after this phrase.
        std::lock_guard lock(m_mutex);
        m_engine.setParams(m_pending);
        m_nextBoundaryFrame = m_engine.framesRendered() + synth::phraseFrames(m_pending.bpm);
    }
    const synth::PhraseOutput& out = m_engine.renderNext();

    // Append the phrase to the partial chunk left from the previous one, publish whole chunks.
    std::int16_t* dst = m_pcm.data() + m_pendingFrames * 2;
    synth::interleaveS16(out.left, out.right, out.frames, dst);
    m_pendingFrames += static_cast<std::size_t>(out.frames);
    std::size_t used = 0;
    while (m_pendingFrames - used >= static_cast<std::size_t>(protocol::kChunkFrames)) {
        const char* bytes = reinterpret_cast<const char*>(m_pcm.data() + used * 2);
        const qint64 seq = m_nextSeq++;
        const double encode = m_ring.publish(seq, seq * protocol::kChunkMs, bytes);
        if (onChunkEncoded) {
            onChunkEncoded(encode);
        }
        used += protocol::kChunkFrames;
    }
    std::memmove(m_pcm.data(), m_pcm.data() + used * 2,
                 (m_pendingFrames - used) * 2 * sizeof(std::int16_t));
    m_pendingFrames -= used;

    {
        std::lock_guard lock(m_mutex);
        m_current = out.plan->params;
        m_stats.phrases = m_engine.phrasesRendered();
        m_stats.lastRenderMs = out.renderSeconds * 1000.0;
        m_stats.deviceKind = m_engine.renderer().kind();
        m_stats.deviceName = m_engine.renderer().deviceName();
        m_stats.deviceReason = m_engine.deviceReason();
        m_stats.gpuFailures = m_engine.gpuFailures();
        m_stats.gpuBytesAllocated = m_engine.renderer().gpuBytesAllocated();
        m_history.push_back({out.plan->index, out.plan->start, out.frames, out.plan->params,
                             out.renderSeconds * 1000.0, out.device});
        if (m_history.size() > 16) {
            m_history.pop_front();
        }
    }
    if (onPhraseRendered) {
        onPhraseRendered(out.renderSeconds);
    }
    return true;
}

} // namespace auralis::core
