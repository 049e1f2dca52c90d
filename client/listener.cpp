#include "client/listener.h"

#include "protocol/messages.h"
#include "protocol/protocol.h"

#include <QJsonDocument>
#include <QRandomGenerator>
#include <QUrlQuery>

#include <algorithm>
#include <cmath>

namespace auralis::client {

ListenerClient::ListenerClient(Options options, const Clock& clock, QObject* parent)
    : QObject(parent), m_options(std::move(options)), m_clock(clock), m_ws(this) {
    connect(&m_ws, &WsClient::opened, this, &ListenerClient::onOpened);
    connect(&m_ws, &WsClient::textMessage, this, &ListenerClient::onText);
    connect(&m_ws, &WsClient::binaryMessage, this, &ListenerClient::onBinary);
    connect(&m_ws, &WsClient::closed, this, &ListenerClient::onClosed);
    connect(&m_ws, &WsClient::failed, this,
            [this](const QString& error) { onClosed(1006, error); });

    for (QTimer* t : {&m_reportTimer, &m_stallTimer, &m_deliverTimer, &m_reconnectTimer}) {
        t->setParent(this);
    }
    m_reportTimer.setInterval(m_options.reportIntervalMs);
    connect(&m_reportTimer, &QTimer::timeout, this, [this] {
        updatePlayout(m_clock.nowUs());
        send(protocol::toJson(
            protocol::Report{std::round(m_stats.bufferMs), m_stats.playoutUnderruns}));
    });

    m_stallTimer.setSingleShot(true);
    connect(&m_stallTimer, &QTimer::timeout, this, [this] {
        const Impairment& im = m_options.impairment;
        if (m_ws.isReading()) {
            m_ws.setReading(false);
            m_stallTimer.start(im.stallMs);
        } else {
            m_ws.setReading(true);
            m_stallTimer.start(im.stallEveryMs);
        }
    });
    m_deliverTimer.setSingleShot(true);
    m_deliverTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_deliverTimer, &QTimer::timeout, this, &ListenerClient::deliver);
    m_reconnectTimer.setSingleShot(true);
    connect(&m_reconnectTimer, &QTimer::timeout, this, &ListenerClient::connectNow);
}

ListenerClient::~ListenerClient() {
    m_ws.disconnect(this); // no callbacks while members are being destroyed
}

void ListenerClient::start() {
    m_stopped = false;
    m_startUs = m_clock.nowUs();
    connectNow();
}

void ListenerClient::stop() {
    m_stopped = true;
    m_reconnectTimer.stop();
    m_reportTimer.stop();
    m_stallTimer.stop();
    updatePlayout(m_clock.nowUs()); // a stall up to now counts
    const bool active = m_ws.isActive();
    m_ws.close(protocol::kCloseNormal, "listener stopped"); // onClosed() emits stopped()
    if (!active) {
        QMetaObject::invokeMethod(this, &ListenerClient::stopped, Qt::QueuedConnection);
    }
}

void ListenerClient::connectNow() {
    QUrl url = m_options.url;
    QUrlQuery query(url);
    query.addQueryItem("format", protocol::formatName(m_options.format));
    query.addQueryItem("tier", protocol::tierName(m_options.tier));
    const QString id = m_stats.clientId.isEmpty() ? m_options.clientId : m_stats.clientId;
    if (!id.isEmpty()) {
        query.addQueryItem("client_id", id);
    }
    if (!m_options.token.isEmpty()) {
        query.addQueryItem("token", m_options.token);
    }
    url.setQuery(query);
    m_ws.setTls(m_options.caCertificates, m_options.insecure);
    m_ws.open(url);
}

void ListenerClient::onOpened() {
    ++m_stats.connects;
    m_sinceWelcome = 0;
    m_lastArrivalUs = -1;
    m_stats.lastSeq = -1;
    m_playing = false;
    m_receivedMs = 0;
    m_playedMs = 0;
    const Impairment& im = m_options.impairment;
    if (im.neverRead) {
        m_ws.setReading(false);
        return;
    }
    m_reportTimer.start();
    if (im.stallMs > 0 && im.stallEveryMs > 0) {
        m_stallTimer.start(im.stallEveryMs);
    }
}

void ListenerClient::onText(const QByteArray& utf8) {
    arrive(utf8, false);
}
void ListenerClient::onBinary(const QByteArray& data) {
    arrive(data, true);
}

void ListenerClient::arrive(const QByteArray& data, bool binary) {
    const Impairment& im = m_options.impairment;
    if (im.delayMs == 0 && im.jitterMs == 0) {
        handle(data, binary);
        return;
    }
    qint64 due = m_clock.nowUs() + qint64{im.delayMs} * 1000 +
                 (im.jitterMs > 0 ? QRandomGenerator::global()->bounded(im.jitterMs * 1000) : 0);
    if (!m_pending.empty()) {
        due = std::max(due, m_pending.back().dueUs); // TCP keeps the order
    }
    m_pending.push_back({due, data, binary});
    if (!m_deliverTimer.isActive()) {
        deliver();
    }
}

void ListenerClient::deliver() {
    const qint64 now = m_clock.nowUs();
    while (!m_pending.empty() && m_pending.front().dueUs <= now) {
        Pending p = std::move(m_pending.front());
        m_pending.pop_front();
        handle(p.data, p.binary);
    }
    if (!m_pending.empty()) {
        m_deliverTimer.start(static_cast<int>((m_pending.front().dueUs - now + 999) / 1000));
    }
}

void ListenerClient::handle(const QByteArray& data, bool binary) {
    if (binary && m_options.format == protocol::Format::Opus) {
        protocol::AudioHeader h;
        if (!protocol::readBinaryHeader(data, h)) {
            ++m_stats.errors;
            return;
        }
        QByteArray pcm;
        if (m_options.decodeAudio) {
            if (!m_opus) {
                m_opus = std::make_unique<OpusChunkDecoder>();
            }
            const QByteArrayView payload(data.constData() + protocol::kBinaryHeaderBytes,
                                         data.size() - protocol::kBinaryHeaderBytes);
            if (!m_opus->decode(payload, h.underrun, pcm)) {
                ++m_stats.errors;
                return;
            }
        }
        onAudio(static_cast<qint64>(h.seq), pcm, h.underrun);
        return;
    }
    if (binary) {
        protocol::AudioHeader h;
        if (!protocol::readBinaryHeader(data, h) ||
            data.size() != protocol::kBinaryHeaderBytes + protocol::kChunkBytes) {
            ++m_stats.errors;
            return;
        }
        onAudio(static_cast<qint64>(h.seq), data.mid(protocol::kBinaryHeaderBytes), h.underrun);
        return;
    }
    protocol::AudioHeader h;
    QByteArray base64;
    switch (protocol::parseAudioJson(data, h, base64)) {
    case protocol::AudioParse::Ok: {
        if (!m_options.decodeAudio) {
            // The size the base64 of one chunk has (with padding): checked, not decoded.
            constexpr qsizetype kEncoded = (protocol::kChunkBytes + 2) / 3 * 4;
            if (base64.size() != kEncoded) {
                ++m_stats.errors;
                return;
            }
            onAudio(static_cast<qint64>(h.seq), {}, h.underrun);
            return;
        }
        const auto pcm =
            QByteArray::fromBase64Encoding(base64, QByteArray::AbortOnBase64DecodingErrors);
        if (!pcm || pcm.decoded.size() != protocol::kChunkBytes) {
            ++m_stats.errors;
            return;
        }
        onAudio(static_cast<qint64>(h.seq), pcm.decoded, h.underrun);
        return;
    }
    case protocol::AudioParse::Malformed:
        ++m_stats.errors;
        return;
    case protocol::AudioParse::NotAudio:
        break;
    }
    const QJsonObject msg = QJsonDocument::fromJson(data).object();
    const QString type = protocol::messageType(msg);
    if (type == "welcome") {
        const auto welcome = protocol::parseWelcome(msg);
        if (!welcome) {
            ++m_stats.errors; // not a welcome this client understands
            return;
        }
        m_stats.clientId = welcome->clientId;
        m_opus.reset(); // a new connection is a new Opus stream
        m_targetMs = welcome->targetMs;
        m_attempt = 0;
        emit welcomed(msg);
        return;
    }
    if (type == "tier") {
        if (const auto change = protocol::parseTierChange(msg)) {
            m_targetMs = change->targetMs;
        }
    } else if (type == "error") {
        ++m_stats.errors;
    } else if (type == "warning") {
        ++m_stats.warnings;
    }
    emit message(msg);
}

void ListenerClient::onAudio(qint64 seq, const QByteArray& pcm, bool underrun) {
    const qint64 now = m_clock.nowUs();
    if (m_stats.firstAudioMs < 0) {
        m_stats.firstAudioMs = static_cast<double>(now - m_startUs) / 1000.0;
    }
    ++m_stats.chunks;
    if (underrun) {
        ++m_stats.serverUnderruns;
    }
    if (m_stats.lastSeq >= 0) {
        if (seq > m_stats.lastSeq + 1) {
            m_stats.gaps += static_cast<std::uint64_t>(seq - m_stats.lastSeq - 1);
        } else if (seq <= m_stats.lastSeq) {
            ++m_stats.outOfOrder;
        }
    }
    m_stats.lastSeq = std::max(m_stats.lastSeq, seq);
    // Inter-arrival jitter once the initial burst (target / 100 ms chunks) is in.
    ++m_sinceWelcome;
    if (m_lastArrivalUs >= 0 && m_sinceWelcome > m_targetMs / protocol::kChunkMs + 1) {
        const double interval = static_cast<double>(now - m_lastArrivalUs) / 1000.0;
        m_stats.jitterMs.push_back(static_cast<float>(std::abs(interval - protocol::kChunkMs)));
    }
    m_lastArrivalUs = now;
    updatePlayout(now);
    m_receivedMs += protocol::kChunkMs;
    updatePlayout(now);
    emit audio(seq, pcm, underrun);
}

void ListenerClient::setPlayout(double bufferMs, std::uint64_t underruns) {
    m_stats.bufferMs = bufferMs;
    m_stats.playoutUnderruns = underruns;
}

void ListenerClient::updatePlayout(qint64 nowUs) {
    if (m_options.externalPlayout) {
        return;
    }
    if (m_playing) {
        m_playedMs += static_cast<double>(nowUs - m_playClockUs) / 1000.0;
        if (m_playedMs > m_receivedMs) {
            ++m_stats.playoutUnderruns; // ran dry: re-buffer to the target before playing again
            m_playedMs = m_receivedMs;
            m_playing = false;
        }
    } else if (m_receivedMs - m_playedMs >= m_targetMs) {
        m_playing = true;
    }
    m_playClockUs = nowUs;
    m_stats.bufferMs = m_receivedMs - m_playedMs;
}

void ListenerClient::send(const QJsonObject& message) {
    m_ws.sendText(QJsonDocument(message).toJson(QJsonDocument::Compact));
}

void ListenerClient::onClosed(int code, const QString& reason) {
    m_stats.lastCloseCode = code;
    m_stats.lastCloseReason = reason;
    m_reportTimer.stop();
    m_stallTimer.stop();
    updatePlayout(m_clock.nowUs()); // a stall up to the close counts
    m_pending.clear();
    emit disconnected(code, reason);
    if (m_stopped) {
        emit stopped();
    } else if (m_options.reconnect) {
        scheduleReconnect();
    }
}

void ListenerClient::scheduleReconnect() {
    const int ms =
        auralis::backoffMs(m_attempt++, m_options.backoffInitialMs, m_options.backoffMaxMs,
                           QRandomGenerator::global()->generateDouble());
    emit reconnecting(ms);
    m_reconnectTimer.start(ms);
}

} // namespace auralis::client
