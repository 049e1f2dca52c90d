#include "core/icecast_source.h"

#include "core/log.h"

#include <QRandomGenerator>
#include <QTcpSocket>

namespace auralis::core {

namespace {

// What the source may have unsent before chunks are skipped: a server that stops reading
// costs a bounded amount of memory, like a listener.
constexpr qint64 kMaxBacklogBytes = 256 * 1024;

QByteArray headerValue(const QString& text) {
    // Header values are one line of Latin-1-safe text.
    QString v = text;
    v.replace('\r', ' ').replace('\n', ' ');
    return v.toUtf8();
}

} // namespace

std::optional<QUrl> parseIcecastUrl(const QString& text, QString* error) {
    QUrl url(text, QUrl::StrictMode);
    if (!url.isValid() || url.scheme() != "http" || url.host().isEmpty()) {
        *error = "an Icecast mount URL such as http://source:PASSWORD@HOST:8000/auralis.ogg";
        return std::nullopt;
    }
    if (url.path().size() < 2 || url.path().endsWith('/')) {
        *error = "the URL needs a mount, such as /auralis.ogg";
        return std::nullopt;
    }
    if (url.password().isEmpty()) {
        *error = "the URL needs the source password: http://source:PASSWORD@HOST:PORT/MOUNT";
        return std::nullopt;
    }
    if (url.userName().isEmpty()) {
        url.setUserName("source");
    }
    if (url.port() < 0) {
        url.setPort(8000);
    }
    return url;
}

IcecastSource::IcecastSource(IcecastTarget target, SessionContext& context, QObject* parent)
    : QObject(parent), m_target(std::move(target)), m_ctx(context) {
    m_tick.setParent(this);
    m_retry.setParent(this);
    m_responseTimeout.setParent(this);
    m_tick.setTimerType(Qt::PreciseTimer);
    m_tick.setInterval(protocol::kChunkMs);
    connect(&m_tick, &QTimer::timeout, this, &IcecastSource::tick);
    m_retry.setSingleShot(true);
    connect(&m_retry, &QTimer::timeout, this, &IcecastSource::connectNow);
    m_responseTimeout.setSingleShot(true);
    connect(&m_responseTimeout, &QTimer::timeout, this,
            [this] { fail("no answer from the server in time"); });
}

IcecastSource::~IcecastSource() {
    if (m_socket != nullptr) {
        m_socket->disconnect(this);
        m_socket->abort();
    }
}

QString IcecastSource::stateName(State state) {
    switch (state) {
    case State::Connecting:
        return "connecting";
    case State::Streaming:
        return "streaming";
    case State::Waiting:
        return "waiting";
    case State::Stopped:
        return "stopped";
    }
    return "stopped";
}

QString IcecastSource::displayUrl() const {
    return m_target.url.toString(QUrl::RemovePassword);
}

QJsonObject IcecastSource::statusJson() const {
    QJsonObject o{{"url", displayUrl()},
                  {"state", stateName(m_state)},
                  {"connected", connected()},
                  {"sent_bytes", static_cast<double>(m_sentBytes)},
                  {"reconnects", static_cast<double>(m_reconnects)},
                  {"dropped_chunks", static_cast<double>(m_dropped)}};
    if (connected()) {
        o["connected_s"] = static_cast<double>(m_ctx.clock.nowUs() - m_streamingSinceUs) / 1e6;
    }
    if (!m_lastError.isEmpty()) {
        o["last_error"] = m_lastError;
    }
    if (m_state == State::Waiting) {
        o["retry_in_ms"] = m_retry.remainingTime();
    }
    return o;
}

void IcecastSource::setState(State state) {
    if (m_state != state) {
        m_state = state;
        emit stateChanged(state);
    }
}

void IcecastSource::start() {
    if (m_state == State::Stopped) {
        connectNow();
    }
}

void IcecastSource::stop() {
    m_retry.stop();
    m_tick.stop();
    m_responseTimeout.stop();
    if (m_socket != nullptr) {
        m_socket->disconnect(this);
        m_socket->disconnectFromHost();
        m_socket->deleteLater();
        m_socket = nullptr;
    }
    setState(State::Stopped);
}

void IcecastSource::connectNow() {
    setState(State::Connecting);
    m_response.clear();
    m_feed.reset();
    m_socket = new QTcpSocket(this);
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    connect(m_socket, &QTcpSocket::connected, this, &IcecastSource::onConnected);
    connect(m_socket, &QTcpSocket::readyRead, this, &IcecastSource::onReadyRead);
    connect(m_socket, &QTcpSocket::disconnected, this,
            [this] { fail("the server closed the connection"); });
    connect(m_socket, &QAbstractSocket::errorOccurred, this, [this] {
        if (m_socket != nullptr) {
            fail(m_socket->errorString());
        }
    });
    m_responseTimeout.start(m_target.responseTimeoutMs);
    m_socket->connectToHost(m_target.url.host(), static_cast<quint16>(m_target.url.port(8000)));
}

void IcecastSource::onConnected() {
    // Icecast 2.4 takes a source as an HTTP PUT (Expect: 100-continue, then the stream).
    const QByteArray credentials =
        (m_target.url.userName() + ":" + m_target.url.password()).toUtf8().toBase64();
    const QByteArray host =
        m_target.url.host().toUtf8() + ":" + QByteArray::number(m_target.url.port(8000));
    QByteArray request = "PUT " + m_target.url.path(QUrl::FullyEncoded).toUtf8() +
                         " HTTP/1.1\r\nHost: " + host + "\r\nAuthorization: Basic " + credentials +
                         "\r\nUser-Agent: Auralis/" AURALIS_VERSION
                         "\r\nContent-Type: audio/ogg\r\nIce-Public: 0\r\nIce-Name: " +
                         headerValue(m_target.name) +
                         "\r\nIce-Description: " + headerValue(m_target.description) +
                         "\r\nIce-Audio-Info: channels=2;samplerate=48000\r\n"
                         "Expect: 100-continue\r\n\r\n";
    m_socket->write(request);
}

void IcecastSource::onReadyRead() {
    if (m_socket == nullptr) {
        return;
    }
    if (m_state == State::Streaming) {
        m_socket->readAll(); // nothing more is expected from the server
        return;
    }
    m_response += m_socket->readAll();
    const qsizetype end = m_response.indexOf("\r\n\r\n");
    if (end < 0) {
        if (m_response.size() > 8192) {
            fail("the server's answer is not HTTP");
        }
        return;
    }
    const QByteArray statusLine = m_response.left(m_response.indexOf("\r\n"));
    const QList<QByteArray> parts = statusLine.split(' ');
    const int status = parts.size() >= 2 ? parts[1].toInt() : 0;
    if (status == 100 || status == 200) {
        m_responseTimeout.stop();
        m_feed.emplace(10);
        m_streamingSinceUs = m_ctx.clock.nowUs();
        m_lastError.clear();
        setState(State::Streaming);
        qCInfo(lcNode).noquote() << "icecast: streaming to" << displayUrl();
        m_tick.start();
        tick(); // the headers and a one-second burst at once
        return;
    }
    const QString why =
        status == 401   ? QString("the server refused the source password (401)")
        : status == 403 ? QString("the server refused the mount (403: in use, or not allowed): ") +
                              QString::fromUtf8(statusLine)
                        : QString("the server answered: ") + QString::fromUtf8(statusLine);
    fail(why);
}

void IcecastSource::tick() {
    if (m_state != State::Streaming || m_socket == nullptr || !m_feed) {
        return;
    }
    if (m_ctx.clock.nowUs() - m_streamingSinceUs > 30'000'000) {
        m_attempt = 0; // streamed for a while: the next failure starts the backoff afresh
    }
    const bool room = m_socket->bytesToWrite() <= kMaxBacklogBytes;
    const OggFeed::Step step = m_feed->next(m_ctx.ring, m_ctx.scheduler.liveSeq(), room);
    if (step.broken) {
        fail("the Opus stream restarted");
        return;
    }
    m_dropped += static_cast<std::uint64_t>(step.dropped);
    if (!step.bytes.isEmpty()) {
        const qint64 written = m_socket->write(step.bytes);
        if (written > 0) {
            m_sentBytes += static_cast<std::uint64_t>(written);
            m_ctx.metrics.stream().icecastSentBytes->Increment(static_cast<double>(written));
        }
    }
}

void IcecastSource::fail(const QString& why) {
    if (m_state == State::Stopped || m_state == State::Waiting) {
        return;
    }
    const bool wasStreaming = m_state == State::Streaming;
    m_lastError = why;
    m_tick.stop();
    m_responseTimeout.stop();
    if (m_socket != nullptr) {
        m_socket->disconnect(this);
        m_socket->abort();
        m_socket->deleteLater();
        m_socket = nullptr;
    }
    ++m_reconnects;
    m_ctx.metrics.stream().icecastReconnects->Increment();
    const int ms = backoffMs(m_attempt++, m_target.backoffInitialMs, m_target.backoffMaxMs,
                             QRandomGenerator::global()->generateDouble());
    qCWarning(lcNode).noquote() << QString("icecast: %1 %2 (%3); retrying in %4 s")
                                       .arg(wasStreaming ? "lost" : "could not reach", displayUrl(),
                                            why)
                                       .arg(ms / 1000.0, 0, 'f', 1);
    setState(State::Waiting);
    m_retry.start(ms);
}

} // namespace auralis::core
