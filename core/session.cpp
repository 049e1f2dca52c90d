#include "core/session.h"

#include "core/log.h"

#include <QJsonDocument>

#include <cmath>
#include <cstring>

namespace auralis::core {

using protocol::Format;
using protocol::Tier;

ListenerSession::ListenerSession(SessionContext& context, WsConnection* ws, Identity identity,
                                 qint64 nowUs)
    : m_ctx(context), m_ws(ws), m_serial(identity.serial), m_pacingSlot(identity.pacingSlot),
      m_pacingPhaseUs(identity.pacingPhaseUs), m_id(std::move(identity.id)),
      m_format(identity.format), m_access(identity.access),
      m_remote(ws->peerAddress().toString() + ":" + QString::number(ws->peerPort())),
      m_tier(identity.tier, nowUs), m_rate(context.messageRate, context.messageBurst),
      m_metrics(context.metrics.addListener(m_id.toStdString())), m_connectedUs(nowUs),
      m_lastStatusUs(nowUs) {}

ListenerSession::~ListenerSession() {
    m_ctx.metrics.removeListener(m_metrics);
}

void ListenerSession::start(const QStringList& warnings) {
    const qint64 now = m_ctx.clock.nowUs();
    protocol::Welcome w;
    w.clientId = m_id;
    w.format = m_format;
    w.tier = m_tier.current();
    w.targetMs = protocol::tierTargetMs(w.tier);
    w.params = m_ctx.scheduler.pendingParams();
    w.device = QString::fromStdString(m_ctx.scheduler.stats().deviceKind);
    w.serverTimeMs = m_ctx.clock.wallMs();
    w.liveSeq = m_ctx.scheduler.liveSeq();
    send(protocol::toJson(w));
    for (const QString& warning : warnings) {
        send(protocol::warningJson({"invalid_query", warning, {}}));
    }
    // The initial burst fills the listener's jitter buffer to its tier target.
    m_cursor = w.liveSeq;
    m_pacer.start(now, m_pacingPhaseUs);
    const int burst = protocol::tierLeadChunks(m_tier.current());
    for (int i = 0; i < burst && !waitingForOpus(w.liveSeq); ++i) {
        sendChunk(now);
    }
}

bool ListenerSession::waitingForOpus(qint64 live) {
    if (m_format != Format::Opus || m_cursor < m_ctx.ring.opusEnd()) {
        return false;
    }
    if (m_sent == 0) {
        // Nothing heard yet: start where the encoder (started on this demand) starts.
        const OpusStream stream = m_ctx.ring.opusStream();
        m_cursor = std::max({m_cursor, live, stream.epoch != 0 ? stream.firstSeq : live});
        return m_cursor >= m_ctx.ring.opusEnd();
    }
    return m_cursor >= live;
}

void ListenerSession::send(const QJsonObject& message) {
    m_ws->sendText(protocol::toWire(message));
}

void ListenerSession::close(int code, const QString& reason) {
    m_closing = true;
    m_ws->close(code, reason);
}

qint64 ListenerSession::messageBytes() const {
    switch (m_format) {
    case Format::Json:
        return protocol::kJsonAudioMaxBytes;
    case Format::Opus:
        return m_ctx.opusMessageBytes;
    case Format::Binary:
        break;
    }
    return protocol::kBinaryHeaderBytes + protocol::kChunkBytes;
}

qint64 ListenerSession::depthChunks(qint64 nowUs) const {
    return reportIsFresh(nowUs) ? reportedDepthChunks() : estimatedDepthChunks();
}

qint64 ListenerSession::estimatedDepthChunks() const {
    const qint64 messageBytes = this->messageBytes();
    const qint64 unsentChunks = (m_ws->unsentBytes() + messageBytes - 1) / messageBytes;
    return std::max<qint64>(0, m_cursor - m_ctx.scheduler.liveSeq() - unsentChunks);
}

void ListenerSession::refreshDepthMetric(qint64 nowUs) const {
    if (!reportIsFresh(nowUs)) { // else onReport() set it
        m_metrics.setDepth(static_cast<double>(estimatedDepthChunks()));
    }
}

void ListenerSession::sendChunk(qint64 nowUs) {
    Chunk chunk;
    protocol::AudioHeader h;
    h.seq = static_cast<quint64>(m_cursor);
    h.ptsMs = m_cursor * protocol::kChunkMs;
    h.sentAtMs = m_ctx.clock.wallMs();
    bool ready = m_ctx.ring.read(m_cursor, chunk);
    if (m_format == Format::Opus) {
        ready = ready && m_cursor < m_ctx.ring.opusEnd() && chunk.opusEpoch != 0;
    } else if (ready && (chunk.pcm.size() != protocol::kChunkBytes || chunk.base64.isEmpty())) {
        m_ctx.metrics.sendError(SendError::EncodingError); // a malformed chunk is never sent
        ready = false;
    }
    const Chunk& c = ready ? chunk : BroadcastRing::silence();
    h.underrun = !ready;
    if (!m_ws->isOpen()) {
        m_ctx.metrics.sendError(SendError::Disconnect);
        return;
    }
    qint64 written = 0;
    qint64 expected = 0;
    // Only the headers are this listener's; the chunk's PCM, base64 or Opus bytes are shared
    // by every listener and go to the kernel without a copy (WsConnection::sendParts).
    if (m_format == Format::Json) {
        const QByteArray prefix = protocol::audioJsonPrefix(h);
        const QByteArrayView suffix = protocol::kAudioJsonSuffix;
        expected = WsConnection::frameBytes(prefix.size() + c.base64.size() + suffix.size());
        written = m_ws->sendParts(ws::Opcode::Text, {prefix, c.base64, suffix});
    } else {
        // The audio header, then the chunk's PCM, or its Opus packets (none for an underrun).
        char header[protocol::kBinaryHeaderBytes];
        protocol::writeBinaryHeader(header, h);
        QByteArrayView body(c.pcm.constData(), protocol::kChunkBytes);
        if (m_format == Format::Opus) {
            body = ready ? QByteArrayView(chunk.opus) : QByteArrayView();
        }
        expected = WsConnection::frameBytes(protocol::kBinaryHeaderBytes + body.size());
        written =
            m_ws->sendParts(ws::Opcode::Binary, {QByteArrayView(header, sizeof header), body});
    }
    if (written < expected) {
        m_ctx.metrics.sendError(m_ws->isOpen() ? SendError::Unknown : SendError::Disconnect);
    }
    ++m_sent;
    ++m_cursor;
    if (!ready) {
        m_metrics.addUnderruns(1);
        ++m_underruns;
        m_tier.onUnderrun(nowUs);
        send(protocol::warningJson(
            {"underrun",
             QString("chunk %1 was not rendered in time; sent silence").arg(h.seq),
             {}}));
    }
}

void ListenerSession::serve(qint64 deadlineUs) {
    const qint64 realNow = m_ctx.clock.nowUs();
    const Pacer::Tick tick = m_pacer.onWake(std::max(realNow, deadlineUs));
    if (tick.deadlines == 0) {
        return;
    }
    // Send jitter: |interval between consecutive paced sends - 100 ms| (bursts excluded).
    if (m_lastWakeUs >= 0 && !tick.resynced) {
        const double intervalMs = static_cast<double>(realNow - m_lastWakeUs) / 1000.0;
        const double jitter = std::abs(intervalMs - protocol::kChunkMs * tick.deadlines);
        m_tier.onJitter(jitter);
        m_ctx.metrics.observeJitter(jitter);
    }
    m_lastWakeUs = realNow;

    const qint64 live = m_ctx.scheduler.liveSeq();
    if (m_cursor < m_ctx.ring.oldest()) {
        // Fell out of the ring (a stall of many seconds): rejoin at the live edge.
        m_dropped += static_cast<std::uint64_t>(live - m_cursor);
        m_cursor = live;
    }
    const int n =
        chunksToSend(m_cursor, live, protocol::tierLeadChunks(m_tier.current()), tick.deadlines);
    const qint64 messageBytes = this->messageBytes();
    for (int i = 0; i < n && !waitingForOpus(live); ++i) {
        if (m_ws->bytesToWrite() > m_ctx.queueLimitChunks * messageBytes) {
            // Not reading: drop the oldest unsent audio (skip it) instead of queueing more.
            ++m_dropped;
            m_ctx.metrics.sendError(SendError::Timeout); // the listener did not take it in time
            ++m_cursor;
            if (m_stalledSinceUs < 0) {
                m_stalledSinceUs = realNow;
            }
            continue;
        }
        m_stalledSinceUs = -1;
        sendChunk(realNow);
    }
    if (m_stalledSinceUs >= 0 &&
        realNow - m_stalledSinceUs > qint64{m_ctx.stallDisconnectMs} * 1000) {
        qCWarning(lcNode).noquote() << "listener" << m_id << "is not reading; disconnecting";
        close(protocol::kClosePolicy, "too slow: not reading the stream");
        return;
    }
    if (const auto change = m_tier.evaluate(realNow)) {
        applyTier(change->tier, change->reason);
    }
    if (realNow - m_lastStatusUs >= qint64{m_ctx.statusIntervalMs} * 1000) {
        sendStatus(realNow);
    }
}

void ListenerSession::applyTier(Tier tier, const QString& reason) {
    send(protocol::toJson(protocol::TierChange{tier, protocol::tierTargetMs(tier), reason}));
    qCInfo(lcNode).noquote() << "listener" << m_id << "tier" << protocol::tierName(tier)
                             << "(" + reason + ")";
}

void ListenerSession::sendStatus(qint64 nowUs) {
    m_lastStatusUs = nowUs;
    protocol::Status s;
    s.seq = m_cursor - 1;
    s.depthChunks = depthChunks(nowUs);
    s.tier = m_tier.current();
    s.targetMs = protocol::tierTargetMs(s.tier);
    s.jitterMs = m_tier.jitterP95();
    s.underruns = m_underruns;
    s.dropped = m_dropped;
    send(protocol::toJson(s));
}

void ListenerSession::tellParams(const protocol::ParamsChanged& change) {
    send(protocol::toJson(change));
}

void ListenerSession::tellShutdown(const QString& reason, int drainMs) {
    send(protocol::toJson(protocol::Shutdown{reason, drainMs}));
}

bool ListenerSession::allowMessage() {
    switch (m_rate.onMessage(m_ctx.clock.nowUs())) {
    case RateLimiter::Verdict::Allow:
        return true;
    case RateLimiter::Verdict::Reject:
        send(protocol::errorJson(
            {"rate_limited",
             QString("more than %1 messages per second; message ignored").arg(m_ctx.messageRate),
             {}}));
        return false;
    case RateLimiter::Verdict::Close:
        qCWarning(lcNode).noquote() << "listener" << m_id << "flooded messages; closing";
        send(protocol::errorJson({"rate_limited", "message flood; closing", {}}));
        close(protocol::kClosePolicy, "message flood");
        return false;
    }
    return false;
}

void ListenerSession::onPing() {
    allowMessage(); // ping frames count toward the message rate
}

void ListenerSession::onBinary() {
    if (!allowMessage()) {
        return;
    }
    send(protocol::errorJson(
        {"unsupported", "binary messages from listeners are not accepted; send JSON text", {}}));
}

void ListenerSession::onText(const QByteArray& utf8) {
    const qint64 now = m_ctx.clock.nowUs();
    if (!allowMessage()) {
        return;
    }
    QJsonParseError parseError{};
    const QJsonDocument doc = QJsonDocument::fromJson(utf8, &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject()) {
        send(protocol::errorJson(
            {"invalid_json", "messages must be JSON objects with a \"type\"", {}}));
        return;
    }
    const QJsonObject msg = doc.object();
    const QString type = protocol::messageType(msg);
    const auto refuse = [this](const protocol::Notice& n) { send(protocol::errorJson(n)); };
    if (type == "ping") {
        const auto ping = std::get<protocol::Ping>(protocol::parsePing(msg));
        send(protocol::toJson(protocol::Pong{ping.clientTime, m_ctx.clock.wallMs()}));
    } else if (type == "control") {
        // A control message may carry the token; once right, the session keeps its access.
        if (msg.contains("token")) {
            const Access presented =
                accessFor(msg.value("token").toString().toUtf8(), m_ctx.controlToken);
            if (presented == Access::Granted || m_access != Access::Granted) {
                m_access = presented;
            }
        }
        const ControlOutcome outcome =
            m_ctx.control(msg, "listener " + m_id + " (" + m_remote + ")", m_access);
        if (const auto* error = std::get_if<protocol::ControlError>(&outcome)) {
            refuse({error->code, error->message, error->field});
        } else {
            protocol::ControlAck ack = std::get<protocol::ControlAck>(outcome);
            ack.id = msg.value("id");
            send(protocol::toJson(ack));
        }
    } else if (type == "tier") {
        const auto parsed = protocol::parseTierRequest(msg);
        if (const auto* error = std::get_if<protocol::Notice>(&parsed)) {
            refuse(*error);
            return;
        }
        const Tier tier = std::get<protocol::TierRequest>(parsed).tier;
        m_tier.request(tier, now);
        applyTier(tier, "requested");
    } else if (type == "report") {
        const auto parsed = protocol::parseReport(msg);
        if (const auto* error = std::get_if<protocol::Notice>(&parsed)) {
            refuse(*error);
            return;
        }
        onReport(std::get<protocol::Report>(parsed), now);
    } else if (type.isEmpty()) {
        refuse({"invalid_value", "missing \"type\"", "type"});
    } else {
        refuse({"unknown_type",
                "unknown message type '" + type + "': use control, ping, tier or report", "type"});
    }
}

void ListenerSession::onReport(const protocol::Report& report, qint64 nowUs) {
    const std::uint64_t count = report.underruns;
    if (m_reported && count < m_reportUnderruns) {
        // A running count never goes down: a listener that says so is not believed.
        send(protocol::errorJson(
            {"invalid_value",
             QString("underruns is a running count: %1 after %2").arg(count).arg(m_reportUnderruns),
             "underruns"}));
        return;
    }
    for (std::uint64_t i = m_reportUnderruns; i < count && i < m_reportUnderruns + 16; ++i) {
        m_tier.onUnderrun(nowUs); // the listener heard a gap: it counts toward escalation
    }
    m_metrics.setPlayoutBuffer(report.bufferMs); // client_playout_* from the first report on
    if (count > m_reportUnderruns) {
        m_metrics.addPlayoutUnderruns(static_cast<double>(count - m_reportUnderruns));
    }
    m_reported = true;
    m_reportBufferMs = report.bufferMs;
    m_metrics.setDepth(static_cast<double>(reportedDepthChunks()));
    m_reportUnderruns = count;
    m_reportUs = nowUs;
}

ListenerInfo ListenerSession::info(qint64 nowUs) const {
    ListenerInfo i;
    i.id = m_id;
    i.format = protocol::formatName(m_format);
    i.remote = m_remote;
    i.tier = protocol::tierName(m_tier.current());
    i.requestedTier = protocol::tierName(m_tier.requested());
    i.targetMs = protocol::tierTargetMs(m_tier.current());
    i.connectedSeconds = static_cast<double>(nowUs - m_connectedUs) / 1e6;
    i.cursor = m_cursor;
    i.depthChunks = depthChunks(nowUs);
    i.sent = m_sent;
    i.underruns = m_underruns;
    i.dropped = m_dropped;
    i.resyncs = m_pacer.resyncs();
    i.pacingPhaseMs = static_cast<double>(m_pacer.nextDeadlineUs() % protocol::kChunkUs) / 1000.0;
    i.queuedBytes = m_ws->bytesToWrite();
    i.jitterP95Ms = m_tier.jitterP95();
    i.reported = m_reported;
    i.reportBufferMs = m_reportBufferMs;
    i.reportUnderruns = m_reportUnderruns;
    i.reportAgeSeconds = m_reported ? static_cast<double>(nowUs - m_reportUs) / 1e6 : 0;
    return i;
}

} // namespace auralis::core
