#include "core/node.h"

#include "core/control.h"
#include "core/metrics.h"
#include "core/protocol.h"
#include "core/tcp_close.h"
#include "core/ws_connection.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QPointer>
#include <QRandomGenerator>
#include <QTcpServer>
#include <QTcpSocket>
#include <QUrlQuery>

#include <algorithm>
#include <cmath>
#include <malloc.h>

Q_LOGGING_CATEGORY(lcNode, "auralis.node")

namespace auralis::core {

using protocol::Format;
using protocol::Tier;

struct Node::HttpConnection {
    QTimer idle; // closes a connection that sends nothing for httpIdleTimeoutMs
};

struct Node::Session {
    quint64 serial = 0;
    WsConnection* ws = nullptr;
    QString id;
    Format format = Format::Json;
    QString remote;
    TierPolicy tier;
    Pacer pacer;
    RateLimiter rate;
    qint64 cursor = 0;
    qint64 connectedUs = 0;
    qint64 lastWakeUs = -1;
    qint64 lastStatusUs = 0;
    qint64 stalledSinceUs = -1;
    std::uint64_t sent = 0;
    std::uint64_t underruns = 0;
    std::uint64_t dropped = 0;
    bool closing = false;
    NodeMetrics::Listener metrics;
    // The listener's own view, from `report` messages.
    bool reported = false;
    double reportBufferMs = 0;
    std::uint64_t reportUnderruns = 0;
    qint64 reportUs = 0;
};

namespace {

QString text(std::string_view sv) {
    return QString::fromUtf8(sv.data(), static_cast<qsizetype>(sv.size()));
}

QString newClientId() {
    return QString("c-%1").arg(QRandomGenerator::global()->generate(), 8, 16, QChar('0'));
}

http::Response jsonResponse(const QJsonObject& body, int status = 200) {
    http::Response r;
    r.status = status;
    r.body = QJsonDocument(body).toJson(QJsonDocument::Compact);
    return r;
}

// The browser listener, compiled in (resources/web via Qt's resource system): the single
// binary serves it with no network and no files beside it.
http::Response webAsset(const QString& name, const QByteArray& contentType) {
    QFile f(":/web/" + name);
    if (!f.open(QIODevice::ReadOnly)) {
        return http::jsonError(500, "missing_asset",
                               "the web client was not built into this binary");
    }
    http::Response r;
    r.contentType = contentType;
    r.body = f.readAll();
    return r;
}

} // namespace

Node::Node(NodeConfig config, QObject* parent)
    : QObject(parent), m_config(std::move(config)),
      m_ownClock(m_config.clock ? nullptr : std::make_unique<SteadyClock>()),
      m_clock(m_config.clock ? m_config.clock : m_ownClock.get()), m_ring(m_config.ringCapacity),
      m_metrics(std::make_unique<NodeMetrics>()) {
    // Member timers are children, so they move with the node to its thread.
    m_paceTimer.setParent(this);
    m_maintenance.setParent(this);
    m_paceTimer.setSingleShot(true);
    m_paceTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_paceTimer, &QTimer::timeout, this, &Node::onPaceTimer);
    addBuiltinRoutes();
}

Node::~Node() {
    if (m_scheduler) {
        m_scheduler->stop();
    }
}

void Node::addRoute(const QByteArray& path, const QByteArray& method, Route handler) {
    m_routes[path][method] = std::move(handler);
}

bool Node::start(QString* error) {
    std::unique_ptr<synth::Renderer> renderer;
    if (m_config.rendererFactory) {
        renderer = m_config.rendererFactory();
        m_deviceReason = "injected renderer";
    } else {
        synth::DeviceChoice choice = synth::chooseRenderer(m_config.device);
        if (!choice.renderer) {
            *error = QString::fromStdString(choice.error);
            return false;
        }
        renderer = std::move(choice.renderer);
        m_deviceReason = QString::fromStdString(choice.reason);
    }
    PhraseScheduler::Options options;
    options.seed = m_config.seed;
    options.params = m_config.params;
    options.renderer = std::move(renderer);
    options.deviceReason = m_deviceReason.toStdString();
    options.extraLeadChunks = m_config.extraLeadChunks;
    NodeMetrics* metrics = m_metrics.get();
    m_scheduler = std::make_unique<PhraseScheduler>(std::move(options), m_ring, *m_clock);
    m_scheduler->onPhraseRendered = [this, metrics](double seconds) {
        metrics->observeSynthesis(seconds);
        if (m_config.afterPhrase) {
            m_config.afterPhrase(m_scheduler->stats().phrases);
        }
    };
    m_scheduler->onChunkEncoded = [metrics](double seconds) { metrics->observeEncoding(seconds); };
    // Maintenance: give freed heap back to the system when the resident size grew a lot;
    // each trim counts as gc_collections_total{generation="2"} (memory churn).
    m_maintenance.setInterval(m_config.maintenanceIntervalMs);
    connect(&m_maintenance, &QTimer::timeout, this, [this] {
        const double rss = readProcessStats().residentBytes;
        if (rss > m_rssAfterTrim + 32.0 * 1024 * 1024) {
            malloc_trim(0);
            ++m_heapTrims;
            m_rssAfterTrim = readProcessStats().residentBytes;
        }
    });
    m_rssAfterTrim = readProcessStats().residentBytes;
    m_maintenance.start();

    m_tcp = new QTcpServer(this);
    connect(m_tcp, &QTcpServer::newConnection, this, &Node::onNewTcpConnection);
    if (!m_tcp->listen(m_config.bind, m_config.port)) {
        *error = QString("cannot listen on %1:%2: %3")
                     .arg(m_config.bind.toString())
                     .arg(m_config.port)
                     .arg(m_tcp->errorString());
        return false;
    }
    // Render the lead before the first listener can arrive: its burst is then real audio
    // from the first moment (no start-up underruns), and time to first audio is one send.
    m_scheduler->pump(0);
    m_startedUs = m_clock->nowUs();
    m_scheduler->start();
    m_running = true;
    const auto st = m_scheduler->stats();
    qCInfo(lcNode).noquote() << QString("listening on %1:%2, device %3 (%4)")
                                    .arg(m_config.bind.toString())
                                    .arg(port())
                                    .arg(QString::fromStdString(st.deviceKind), m_deviceReason);
    return true;
}

quint16 Node::port() const {
    return m_tcp ? m_tcp->serverPort() : 0;
}

// ---- HTTP ------------------------------------------------------------------------------------

void Node::onNewTcpConnection() {
    while (QTcpSocket* socket = m_tcp->nextPendingConnection()) {
        if (m_shuttingDown || static_cast<int>(m_http.size()) >= m_config.maxHttpConnections) {
            http::Response r = http::jsonError(503, "unavailable",
                                               m_shuttingDown ? "the node is shutting down"
                                                              : "too many connections");
            socket->setParent(this);
            socket->write(http::serialize(r, false));
            closeGracefully(socket, m_config.closeTimeoutMs);
            continue;
        }
        auto conn = std::make_unique<HttpConnection>();
        conn->idle.setSingleShot(true);
        conn->idle.setInterval(m_config.httpIdleTimeoutMs);
        connect(&conn->idle, &QTimer::timeout, socket, [this, socket] { closeHttp(socket); });
        conn->idle.start();
        m_http.emplace(socket, std::move(conn));
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onHttpReadyRead(socket); });
        connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
            if (m_http.erase(socket) > 0) {
                socket->deleteLater();
            }
        });
        if (socket->bytesAvailable() > 0) {
            onHttpReadyRead(socket);
        }
    }
}

void Node::closeHttp(QTcpSocket* socket) {
    if (m_http.erase(socket) > 0) {
        socket->disconnect(this);
        // The client may still be sending (a body over the limit, pipelined requests):
        // closing with unread data would reset the connection and lose the response.
        closeGracefully(socket, m_config.closeTimeoutMs);
    }
}

void Node::onHttpReadyRead(QTcpSocket* socket) {
    auto it = m_http.find(socket);
    if (it == m_http.end()) {
        return;
    }
    HttpConnection& conn = *it->second;
    conn.idle.start();
    while (true) {
        // Peek, then consume what a complete request used; the rest stays in the socket.
        const QByteArray data = socket->peek(socket->bytesAvailable());
        http::Request request;
        const http::ParseResult parsed = http::parse(data, request);
        if (parsed.state == http::Parse::Incomplete) {
            return;
        }
        if (parsed.state == http::Parse::Error) {
            socket->write(http::serialize(
                http::jsonError(parsed.errorStatus,
                                parsed.errorStatus == 413 ? "too_large" : "bad_request",
                                QString::fromUtf8(parsed.errorText)),
                false));
            closeHttp(socket);
            return;
        }
        if (request.isWebSocketUpgrade()) {
            if (request.path != "/ws/stream") {
                socket->write(http::serialize(
                    http::jsonError(404, "not_found", "the WebSocket endpoint is /ws/stream"),
                    false));
                closeHttp(socket);
                return;
            }
            if (m_shuttingDown) {
                socket->write(http::serialize(
                    http::jsonError(503, "unavailable", "the node is shutting down"), false));
                closeHttp(socket);
                return;
            }
            socket->read(parsed.consumed);
            upgradeToWebSocket(socket, request);
            return;
        }
        socket->read(parsed.consumed);
        const bool keepAlive = request.keepAlive() && !m_shuttingDown;
        socket->write(http::serialize(route(request), keepAlive));
        if (!keepAlive) {
            closeHttp(socket);
            return;
        }
    }
}

void Node::addBuiltinRoutes() {
    addRoute("/", "GET", [](const http::Request&) {
        return webAsset("index.html", "text/html; charset=utf-8");
    });
    for (const char* script : {"app.js", "worklet.js"}) {
        addRoute(QByteArray("/") + script, "GET", [script](const http::Request&) {
            return webAsset(QString::fromUtf8(script), "text/javascript; charset=utf-8");
        });
    }
    addRoute("/style.css", "GET",
             [](const http::Request&) { return webAsset("style.css", "text/css; charset=utf-8"); });
    addRoute("/metrics", "GET", [this](const http::Request&) { return metricsResponse(); });
    addRoute("/health", "GET", [this](const http::Request&) {
        return jsonResponse(
            QJsonObject{{"status", "ok"},
                        {"uptime_s", static_cast<double>(m_clock->nowUs() - m_startedUs) / 1e6}});
    });
    addRoute("/api/status", "GET",
             [this](const http::Request&) { return jsonResponse(statusJson()); });
    addRoute("/api/presets", "GET", [](const http::Request&) {
        QJsonArray presets;
        for (const synth::Preset p : synth::kAllPresets) {
            QJsonObject o = paramsJson(synth::presetParams(p));
            o.remove("key");
            o["name"] = text(synth::presetName(p));
            o.remove("preset");
            presets.append(o);
        }
        QJsonArray modes;
        for (const synth::Mode m : synth::kAllModes) {
            modes.append(text(synth::modeName(m)));
        }
        QJsonArray keys;
        for (int k = 0; k < 12; ++k) {
            keys.append(text(synth::keyName(k)));
        }
        return jsonResponse(
            QJsonObject{{"presets", presets},
                        {"modes", modes},
                        {"keys", keys},
                        {"bpm", QJsonObject{{"min", synth::kMinBpm}, {"max", synth::kMaxBpm}}},
                        {"intensity", QJsonObject{{"min", 0}, {"max", 1}}}});
    });
    addRoute("/api/control", "POST", [this](const http::Request& r) { return controlRoute(r); });
}

http::Response Node::route(const http::Request& request) {
    const QByteArray& path = request.path;
    const auto it = m_routes.find(path);
    if (it == m_routes.end()) {
        return http::jsonError(404, "not_found", "no such path: " + QString::fromUtf8(path));
    }
    const std::map<QByteArray, Route>& methods = it->second;
    auto handler = methods.find(request.method);
    if (handler == methods.end() && request.method == "HEAD") {
        handler = methods.find("GET");
    }
    if (handler == methods.end()) {
        QByteArrayList allowed;
        for (const auto& [m, h] : methods) {
            allowed << m;
        }
        http::Response r = http::jsonError(405, "method_not_allowed",
                                           QString::fromUtf8(request.method) +
                                               " is not allowed on " + QString::fromUtf8(path));
        r.headers.append({"Allow", allowed.join(", ")});
        return r;
    }
    http::Response response = handler->second(request);
    if (request.method == "HEAD") {
        response.headers.append({"X-Content-Length", QByteArray::number(response.body.size())});
        response.body.clear();
    }
    return response;
}

http::Response Node::metricsResponse() {
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
    // Depth is collected now, so it is never older than the scrape.
    const qint64 published = m_ring.publishedEnd();
    for (auto& [ws, session] : m_sessions) {
        session->metrics.depth->Set(static_cast<double>(published - session->cursor));
    }
    http::Response r;
    r.contentType = kMetricsContentType;
    r.body = QByteArray::fromStdString(m_metrics->scrape(snap));
    return r;
}

http::Response Node::controlRoute(const http::Request& request) {
    QJsonParseError parseError{};
    const QJsonDocument doc = QJsonDocument::fromJson(request.body, &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject()) {
        return http::jsonError(400, "invalid_json",
                               "the body must be a JSON object such as {\"bpm\": 60}");
    }
    synth::MusicParams next;
    if (const auto error = parseControl(doc.object(), m_scheduler->pendingParams(), next)) {
        return http::jsonError(400, error->code.toUtf8(), error->message, error->field);
    }
    const qint64 frame = m_scheduler->requestParams(next);
    qCInfo(lcNode).noquote() << "control over HTTP:" << protocol::toText(paramsJson(next));
    return jsonResponse(
        QJsonObject{{"ok", true},
                    {"params", paramsJson(next)},
                    {"applies_at_ms", static_cast<double>(frame) * 1000.0 / protocol::kSampleRate},
                    {"applies_at_seq", static_cast<double>(frame / protocol::kChunkFrames)}});
}

// ---- WebSocket sessions ------------------------------------------------------------------------

void Node::upgradeToWebSocket(QTcpSocket* socket, const http::Request& request) {
    // RFC 6455 section 4.2: version 13 and a 16-byte key, or no upgrade.
    const QByteArray key = request.header("sec-websocket-key");
    QString problem;
    http::Response refusal;
    if (request.method != "GET" || request.version != "HTTP/1.1") {
        refusal = http::jsonError(400, "bad_request", "a WebSocket upgrade is GET over HTTP/1.1");
    } else if (request.header("sec-websocket-version") != "13") {
        refusal = http::jsonError(426, "upgrade_required", "only WebSocket version 13 is spoken");
        refusal.headers.append({QByteArray("Sec-WebSocket-Version"), QByteArray("13")});
    } else if (!ws::isValidClientKey(key)) {
        refusal =
            http::jsonError(400, "bad_request", "Sec-WebSocket-Key must be the base64 of 16 bytes");
    } else {
        m_http.erase(socket);
        socket->disconnect(this);
        socket->setSocketOption(QAbstractSocket::SendBufferSizeSocketOption,
                                m_config.socketSendBufferBytes);
        socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        socket->write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
                      ws::acceptKey(key) + "\r\n\r\n");
        auto* connection = new WsConnection(socket, protocol::kMaxClientMessageBytes,
                                            m_config.closeTimeoutMs, this);
        onNewWebSocket(connection, request);
        return;
    }
    socket->write(http::serialize(refusal, false));
    closeHttp(socket);
}

void Node::onNewWebSocket(WsConnection* ws, const http::Request& request) {
    const QUrlQuery query(QString::fromUtf8(request.query));
    if (m_shuttingDown || listenerCount() >= m_config.maxClients) {
        const QString why = m_shuttingDown
                                ? QString("the node is shutting down")
                                : QString("server full: %1 listeners").arg(m_config.maxClients);
        ws->sendText(protocol::toText(protocol::errorMessage("server_full", why)).toUtf8());
        ws->close(protocol::kCloseTryAgainLater, why);
        connect(ws, &WsConnection::disconnected, ws, &QObject::deleteLater);
        qCInfo(lcNode) << "refused a listener:" << why;
        return;
    }
    const qint64 now = m_clock->nowUs();
    auto s = std::make_unique<Session>();
    s->serial = m_nextSerial++;
    s->ws = ws;
    s->remote = ws->peerAddress().toString() + ":" + QString::number(ws->peerPort());
    s->rate = RateLimiter(m_config.messageRate, m_config.messageBurst);
    s->connectedUs = now;
    s->lastStatusUs = now;

    QStringList warnings;
    QString id = query.queryItemValue("client_id");
    if (!id.isEmpty() && !protocol::isValidClientId(id)) {
        warnings << "client_id must be 1-64 characters of A-Z a-z 0-9 _ -; a new one was generated";
        id.clear();
    }
    const auto inUse = [this](const QString& candidate) {
        return std::any_of(m_sessions.begin(), m_sessions.end(),
                           [&](const auto& e) { return e.second->id == candidate; });
    };
    if (!id.isEmpty() && inUse(id)) {
        warnings << "client_id '" + id + "' is in use; a new one was generated";
        id.clear();
    }
    s->id = id.isEmpty() ? newClientId() : id;
    const QString format = query.queryItemValue("format");
    if (!format.isEmpty() && !protocol::parseFormat(format)) {
        warnings << "unknown format '" + format + "'; using json";
    }
    s->format = protocol::parseFormat(format).value_or(Format::Json);
    const QString tier = query.queryItemValue("tier");
    if (!tier.isEmpty() && !protocol::parseTier(tier)) {
        warnings << "unknown tier '" + tier + "'; using normal";
    }
    s->tier = TierPolicy(protocol::parseTier(tier).value_or(Tier::Normal), now);

    Session& session = *s;
    m_bySerial[s->serial] = ws;
    s->metrics = m_metrics->addListener(s->id.toStdString());
    m_sessions.emplace(ws, std::move(s));
    connect(ws, &WsConnection::textMessage, this, [this, ws](const QByteArray& message) {
        if (auto it = m_sessions.find(ws); it != m_sessions.end()) {
            onTextMessage(*it->second, message);
        }
    });
    connect(ws, &WsConnection::binaryMessage, this, [this, ws](const QByteArray&) {
        if (auto it = m_sessions.find(ws); it != m_sessions.end()) {
            onBinaryMessage(*it->second);
        }
    });
    connect(ws, &WsConnection::pingReceived, this, [this, ws] {
        if (auto it = m_sessions.find(ws); it != m_sessions.end()) {
            allowMessage(*it->second); // pings count toward the message rate
        }
    });
    connect(ws, &WsConnection::disconnected, this, [this, ws] { removeSession(ws); });

    sendJson(session, welcome(session));
    for (const QString& w : warnings) {
        sendJson(session, protocol::warningMessage("invalid_query", w));
    }
    // The initial burst fills the listener's jitter buffer to its tier target.
    session.cursor = m_scheduler->liveSeq();
    session.pacer.start(now);
    const int burst = protocol::tierLeadChunks(session.tier.current());
    for (int i = 0; i < burst; ++i) {
        sendChunk(session, now);
    }
    schedule(session);
    qCInfo(lcNode).noquote() << QString("listener %1 joined from %2 (%3, %4); %5 listening")
                                    .arg(session.id, session.remote,
                                         protocol::formatName(session.format),
                                         protocol::tierName(session.tier.current()))
                                    .arg(listenerCount());
    emit listenerJoined(session.id);
}

QJsonObject Node::welcome(const Session& s) const {
    return QJsonObject{
        {"type", "welcome"},
        {"protocol", protocol::kVersion},
        {"client_id", s.id},
        {"format", protocol::formatName(s.format)},
        {"audio", QJsonObject{{"sample_rate", protocol::kSampleRate},
                              {"channels", protocol::kChannels},
                              {"encoding", "s16le"},
                              {"chunk_ms", protocol::kChunkMs},
                              {"frames_per_chunk", protocol::kChunkFrames},
                              {"bytes_per_chunk", protocol::kChunkBytes}}},
        {"tier", protocol::tierName(s.tier.current())},
        {"target_ms", protocol::tierTargetMs(s.tier.current())},
        {"params", paramsJson(m_scheduler->pendingParams())},
        {"device", QString::fromStdString(m_scheduler->stats().deviceKind)},
        {"server_time", static_cast<double>(m_clock->wallMs())},
        {"live_seq", static_cast<double>(m_scheduler->liveSeq())},
    };
}

void Node::sendJson(Session& s, const QJsonObject& message) {
    s.ws->sendText(protocol::toText(message).toUtf8());
}

void Node::sendChunk(Session& s, qint64 nowUs) {
    Chunk chunk;
    protocol::AudioHeader h;
    h.seq = static_cast<quint64>(s.cursor);
    h.ptsMs = s.cursor * protocol::kChunkMs;
    h.sentAtMs = m_clock->wallMs();
    bool ready = m_ring.read(s.cursor, chunk);
    if (ready && (chunk.pcm.size() != protocol::kChunkBytes || chunk.base64.isEmpty())) {
        m_metrics->sendError(SendError::EncodingError); // a malformed chunk is never sent
        ready = false;
    }
    const Chunk& c = ready ? chunk : BroadcastRing::silence();
    h.underrun = !ready;
    if (!s.ws->isOpen()) {
        m_metrics->sendError(SendError::Disconnect);
        return;
    }
    qint64 written = 0;
    qint64 expected = 0;
    if (s.format == Format::Json) {
        const QByteArray text = protocol::audioJson(h, c.base64).toUtf8();
        expected = text.size();
        written = s.ws->sendText(text);
    } else {
        QByteArray message(protocol::kBinaryHeaderBytes + protocol::kChunkBytes, Qt::Uninitialized);
        protocol::writeBinaryHeader(message.data(), h);
        std::memcpy(message.data() + protocol::kBinaryHeaderBytes, c.pcm.constData(),
                    protocol::kChunkBytes);
        expected = message.size();
        written = s.ws->sendBinary(message);
    }
    if (written < expected) {
        m_metrics->sendError(s.ws->isOpen() ? SendError::Unknown : SendError::Disconnect);
    }
    ++s.sent;
    ++s.cursor;
    if (!ready) {
        s.metrics.underruns->Increment();
        ++s.underruns;
        s.tier.onUnderrun(nowUs);
        sendJson(s, protocol::warningMessage(
                        "underrun",
                        QString("chunk %1 was not rendered in time; sent silence").arg(h.seq)));
    }
}

void Node::schedule(Session& s) {
    m_due.emplace(s.pacer.nextDeadlineUs(), s.serial);
    armTimer();
}

void Node::armTimer() {
    // Drop entries of sessions that are gone.
    while (!m_due.empty() && !m_bySerial.count(m_due.top().second)) {
        m_due.pop();
    }
    if (m_due.empty()) {
        m_paceTimer.stop();
        return;
    }
    const qint64 waitUs = m_due.top().first - m_clock->nowUs();
    const int ms = waitUs <= 0 ? 0 : static_cast<int>((waitUs + 999) / 1000);
    if (!m_paceTimer.isActive() || m_paceTimer.remainingTime() > ms) {
        m_paceTimer.start(ms);
    }
}

void Node::onPaceTimer() {
    // Serve every listener whose deadline is due (within half a millisecond).
    const qint64 now = m_clock->nowUs();
    while (!m_due.empty() && m_due.top().first <= now + 500) {
        const auto [deadline, serial] = m_due.top();
        m_due.pop();
        auto bySerial = m_bySerial.find(serial);
        if (bySerial == m_bySerial.end()) {
            continue;
        }
        auto it = m_sessions.find(bySerial->second);
        if (it == m_sessions.end() || it->second->pacer.nextDeadlineUs() != deadline) {
            continue; // stale entry
        }
        Session& s = *it->second;
        serve(s, std::max(now, deadline));
        if (!s.closing) {
            m_due.emplace(s.pacer.nextDeadlineUs(), s.serial);
        }
    }
    armTimer();
}

void Node::serve(Session& s, qint64 nowUs) {
    const qint64 realNow = m_clock->nowUs();
    const Pacer::Tick tick = s.pacer.onWake(nowUs);
    if (tick.deadlines == 0) {
        return;
    }
    // Send jitter: |interval between consecutive paced sends - 100 ms| (bursts excluded).
    if (s.lastWakeUs >= 0 && !tick.resynced) {
        const double intervalMs = static_cast<double>(realNow - s.lastWakeUs) / 1000.0;
        const double jitter = std::abs(intervalMs - protocol::kChunkMs * tick.deadlines);
        s.tier.onJitter(jitter);
        m_metrics->observeJitter(jitter);
    }
    s.lastWakeUs = realNow;

    const qint64 live = m_scheduler->liveSeq();
    if (s.cursor < m_ring.oldest()) {
        // Fell out of the ring (a stall of many seconds): rejoin at the live edge.
        s.dropped += static_cast<std::uint64_t>(live - s.cursor);
        s.cursor = live;
    }
    const int n =
        chunksToSend(s.cursor, live, protocol::tierLeadChunks(s.tier.current()), tick.deadlines);
    const qint64 messageBytes = s.format == Format::Json
                                    ? protocol::kJsonAudioMaxBytes
                                    : protocol::kBinaryHeaderBytes + protocol::kChunkBytes;
    for (int i = 0; i < n; ++i) {
        if (s.ws->bytesToWrite() > m_config.queueLimitChunks * messageBytes) {
            // Not reading: drop the oldest unsent audio (skip it) instead of queueing more.
            ++s.dropped;
            m_metrics->sendError(SendError::Timeout); // the listener did not take it in time
            ++s.cursor;
            if (s.stalledSinceUs < 0) {
                s.stalledSinceUs = realNow;
            }
            continue;
        }
        s.stalledSinceUs = -1;
        sendChunk(s, realNow);
    }
    if (s.stalledSinceUs >= 0 &&
        realNow - s.stalledSinceUs > qint64{m_config.stallDisconnectMs} * 1000) {
        qCWarning(lcNode).noquote() << "listener" << s.id << "is not reading; disconnecting";
        closeSession(s, protocol::kClosePolicy, "too slow: not reading the stream");
        return;
    }
    if (const auto change = s.tier.evaluate(realNow)) {
        applyTier(s, change->tier, change->reason);
    }
    if (realNow - s.lastStatusUs >= qint64{m_config.statusIntervalMs} * 1000) {
        sendStatus(s, realNow);
    }
}

void Node::applyTier(Session& s, Tier tier, const QString& reason) {
    sendJson(s, QJsonObject{{"type", "tier"},
                            {"tier", protocol::tierName(tier)},
                            {"target_ms", protocol::tierTargetMs(tier)},
                            {"reason", reason}});
    qCInfo(lcNode).noquote() << "listener" << s.id << "tier" << protocol::tierName(tier)
                             << "(" + reason + ")";
}

void Node::sendStatus(Session& s, qint64 nowUs) {
    s.lastStatusUs = nowUs;
    sendJson(s, QJsonObject{{"type", "status"},
                            {"seq", static_cast<double>(s.cursor - 1)},
                            {"depth_chunks", static_cast<double>(m_ring.publishedEnd() - s.cursor)},
                            {"tier", protocol::tierName(s.tier.current())},
                            {"target_ms", protocol::tierTargetMs(s.tier.current())},
                            {"jitter_ms", s.tier.jitterP95()},
                            {"underruns", static_cast<double>(s.underruns)},
                            {"dropped", static_cast<double>(s.dropped)}});
}

void Node::closeSession(Session& s, int code, const QString& reason) {
    s.closing = true;
    s.ws->close(code, reason);
}

bool Node::allowMessage(Session& s) {
    switch (s.rate.onMessage(m_clock->nowUs())) {
    case RateLimiter::Verdict::Allow:
        return true;
    case RateLimiter::Verdict::Reject:
        sendJson(s, protocol::errorMessage(
                        "rate_limited", QString("more than %1 messages per second; message ignored")
                                            .arg(m_config.messageRate)));
        return false;
    case RateLimiter::Verdict::Close:
        qCWarning(lcNode).noquote() << "listener" << s.id << "flooded messages; closing";
        sendJson(s, protocol::errorMessage("rate_limited", "message flood; closing"));
        closeSession(s, protocol::kClosePolicy, "message flood");
        return false;
    }
    return false;
}

void Node::onBinaryMessage(Session& s) {
    if (!allowMessage(s)) {
        return;
    }
    sendJson(s,
             protocol::errorMessage(
                 "unsupported", "binary messages from listeners are not accepted; send JSON text"));
}

void Node::onTextMessage(Session& s, const QByteArray& utf8) {
    const qint64 now = m_clock->nowUs();
    if (!allowMessage(s)) {
        return;
    }
    QJsonParseError parseError{};
    const QJsonDocument doc = QJsonDocument::fromJson(utf8, &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject()) {
        sendJson(s, protocol::errorMessage("invalid_json",
                                           "messages must be JSON objects with a \"type\""));
        return;
    }
    const QJsonObject msg = doc.object();
    const QString type = msg.value("type").toString();
    if (type == "ping") {
        sendJson(s, QJsonObject{{"type", "pong"},
                                {"client_time", msg.value("client_time")},
                                {"server_time", static_cast<double>(m_clock->wallMs())}});
    } else if (type == "control") {
        synth::MusicParams next;
        if (const auto error = parseControl(msg, m_scheduler->pendingParams(), next)) {
            sendJson(s, protocol::errorMessage(error->code, error->message, error->field));
            return;
        }
        const qint64 frame = m_scheduler->requestParams(next);
        QJsonObject ack{
            {"type", "control_ack"},
            {"params", paramsJson(next)},
            {"applies_at_ms", static_cast<double>(frame) * 1000.0 / protocol::kSampleRate},
            {"applies_at_seq", static_cast<double>(frame / protocol::kChunkFrames)}};
        if (msg.contains("id")) {
            ack["id"] = msg.value("id");
        }
        sendJson(s, ack);
        qCInfo(lcNode).noquote() << "control from" << s.id << protocol::toText(paramsJson(next));
    } else if (type == "tier") {
        const auto tier = protocol::parseTier(msg.value("tier").toString());
        if (!tier) {
            sendJson(s, protocol::errorMessage("invalid_value",
                                               "tier must be minimal, normal, stable or defensive",
                                               "tier"));
            return;
        }
        s.tier.request(*tier, now);
        applyTier(s, *tier, "requested");
    } else if (type == "report") {
        const QJsonValue buffer = msg.value("buffer_ms");
        const QJsonValue underruns = msg.value("underruns");
        if (!buffer.isDouble() || buffer.toDouble() < 0 || buffer.toDouble() > 600000) {
            sendJson(s, protocol::errorMessage("invalid_value",
                                               "buffer_ms must be a number of milliseconds",
                                               "buffer_ms"));
            return;
        }
        if (!underruns.isDouble() || underruns.toDouble() < 0 ||
            underruns.toDouble() != std::floor(underruns.toDouble())) {
            sendJson(s, protocol::errorMessage("invalid_value",
                                               "underruns must be a non-negative integer",
                                               "underruns"));
            return;
        }
        const auto count = static_cast<std::uint64_t>(underruns.toDouble());
        for (std::uint64_t i = s.reportUnderruns; i < count && i < s.reportUnderruns + 16; ++i) {
            s.tier.onUnderrun(now); // the listener heard a gap: it counts toward escalation
        }
        if (count > s.reportUnderruns) {
            s.metrics.playoutUnderruns->Increment(static_cast<double>(count - s.reportUnderruns));
        }
        s.metrics.playoutBuffer->Set(buffer.toDouble());
        s.reported = true;
        s.reportBufferMs = buffer.toDouble();
        s.reportUnderruns = count;
        s.reportUs = now;
    } else if (type.isEmpty()) {
        sendJson(s, protocol::errorMessage("invalid_value", "missing \"type\"", "type"));
    } else {
        sendJson(s, protocol::errorMessage("unknown_type",
                                           "unknown message type '" + type +
                                               "': use control, ping, tier or report",
                                           "type"));
    }
}

void Node::removeSession(WsConnection* ws) {
    auto it = m_sessions.find(ws);
    if (it == m_sessions.end()) {
        return;
    }
    const QString id = it->second->id;
    m_bySerial.erase(it->second->serial);
    m_metrics->removeListener(it->second->metrics);
    m_sessions.erase(it);
    ws->deleteLater();
    qCInfo(lcNode).noquote()
        << QString("listener %1 left; %2 listening").arg(id).arg(listenerCount());
    emit listenerLeft(id);
    maybeStopped();
}

// ---- status and shutdown ---------------------------------------------------------------------

ListenerInfo Node::info(const Session& s, qint64 nowUs) const {
    ListenerInfo i;
    i.id = s.id;
    i.format = protocol::formatName(s.format);
    i.remote = s.remote;
    i.tier = protocol::tierName(s.tier.current());
    i.requestedTier = protocol::tierName(s.tier.requested());
    i.targetMs = protocol::tierTargetMs(s.tier.current());
    i.connectedSeconds = static_cast<double>(nowUs - s.connectedUs) / 1e6;
    i.cursor = s.cursor;
    i.depthChunks = m_ring.publishedEnd() - s.cursor;
    i.sent = s.sent;
    i.underruns = s.underruns;
    i.dropped = s.dropped;
    i.resyncs = s.pacer.resyncs();
    i.queuedBytes = s.ws->bytesToWrite();
    i.jitterP95Ms = s.tier.jitterP95();
    i.reported = s.reported;
    i.reportBufferMs = s.reportBufferMs;
    i.reportUnderruns = s.reportUnderruns;
    i.reportAgeSeconds = s.reported ? static_cast<double>(nowUs - s.reportUs) / 1e6 : 0;
    return i;
}

std::vector<ListenerInfo> Node::listeners() const {
    std::vector<ListenerInfo> out;
    const qint64 now = m_clock->nowUs();
    for (const auto& [ws, s] : m_sessions) {
        out.push_back(info(*s, now));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    return out;
}

QJsonObject Node::statusJson() const {
    const auto st = m_scheduler->stats();
    QJsonArray clients;
    for (const ListenerInfo& i : listeners()) {
        QJsonObject c{{"client_id", i.id},
                      {"format", i.format},
                      {"remote", i.remote},
                      {"tier", i.tier},
                      {"requested_tier", i.requestedTier},
                      {"target_ms", i.targetMs},
                      {"connected_s", i.connectedSeconds},
                      {"seq", static_cast<double>(i.cursor - 1)},
                      {"depth_chunks", static_cast<double>(i.depthChunks)},
                      {"chunks_sent", static_cast<double>(i.sent)},
                      {"underruns", static_cast<double>(i.underruns)},
                      {"dropped", static_cast<double>(i.dropped)},
                      {"resyncs", static_cast<double>(i.resyncs)},
                      {"queued_bytes", static_cast<double>(i.queuedBytes)},
                      {"jitter_p95_ms", i.jitterP95Ms}};
        if (i.reported) {
            c["report"] = QJsonObject{{"buffer_ms", i.reportBufferMs},
                                      {"underruns", static_cast<double>(i.reportUnderruns)},
                                      {"age_s", i.reportAgeSeconds}};
        }
        clients.append(c);
    }
    QJsonArray phrases;
    for (const auto& p : m_scheduler->recentPhrases()) {
        phrases.append(QJsonObject{
            {"index", static_cast<double>(p.index)},
            {"start_ms", static_cast<double>(p.startFrame) * 1000.0 / protocol::kSampleRate},
            {"seconds", p.frames / double(protocol::kSampleRate)},
            {"render_ms", p.renderMs},
            {"device", QString::fromStdString(p.device)},
            {"params", paramsJson(p.params)}});
    }
    const qint64 live = m_scheduler->liveSeq();
    return QJsonObject{
        {"version", AURALIS_VERSION},
        {"uptime_s", static_cast<double>(m_clock->nowUs() - m_startedUs) / 1e6},
        {"device",
         QJsonObject{{"kind", QString::fromStdString(st.deviceKind)},
                     {"name", QString::fromStdString(st.deviceName)},
                     {"reason", QString::fromStdString(st.deviceReason)},
                     {"gpu_failures", static_cast<double>(st.gpuFailures)},
                     {"gpu_memory_allocated_bytes", static_cast<double>(st.gpuBytesAllocated)},
                     {"gpu_memory_total_bytes", static_cast<double>(st.gpuBytesTotal)}}},
        {"params", paramsJson(m_scheduler->currentParams())},
        {"pending_params", paramsJson(m_scheduler->pendingParams())},
        {"stream",
         QJsonObject{{"live_seq", static_cast<double>(live)},
                     {"published_seq", static_cast<double>(m_ring.publishedEnd() - 1)},
                     {"rendered_ahead_ms",
                      static_cast<double>(m_ring.publishedEnd() - live) * protocol::kChunkMs},
                     {"phrases", static_cast<double>(st.phrases)},
                     {"last_render_ms", st.lastRenderMs}}},
        {"recent_phrases", phrases},
        {"listeners", QJsonObject{{"count", listenerCount()}, {"max", m_config.maxClients}}},
        {"clients", clients},
    };
}

void Node::shutdown(int drainMs, const QString& reason) {
    if (m_shuttingDown) {
        return;
    }
    m_shuttingDown = true;
    qCInfo(lcNode).noquote() << QString("shutting down (%1): telling %2 listeners, draining %3 ms")
                                    .arg(reason)
                                    .arg(listenerCount())
                                    .arg(drainMs);
    if (m_tcp) {
        m_tcp->close();
    }
    for (auto& [ws, s] : m_sessions) {
        sendJson(*s, QJsonObject{{"type", "shutdown"}, {"reason", reason}, {"drain_ms", drainMs}});
    }
    QTimer::singleShot(drainMs, this, &Node::finishShutdown);
}

void Node::finishShutdown() {
    m_running = false;
    m_paceTimer.stop();
    if (m_scheduler) {
        m_scheduler->stop();
    }
    // Closing can remove sessions synchronously: work from copies.
    std::vector<QPointer<WsConnection>> sockets;
    for (auto& [ws, s] : m_sessions) {
        s->closing = true;
        sockets.emplace_back(ws);
    }
    for (const QPointer<WsConnection>& ws : sockets) {
        if (ws) {
            ws->close(protocol::kCloseGoingAway, "node stopping");
        }
    }
    std::vector<QTcpSocket*> http;
    for (auto& [socket, conn] : m_http) {
        http.push_back(socket);
    }
    for (QTcpSocket* socket : http) {
        closeHttp(socket);
    }
    maybeStopped();
}

void Node::maybeStopped() {
    if (m_shuttingDown && !m_running && m_sessions.empty() && !m_stoppedEmitted) {
        m_stoppedEmitted = true;
        emit stopped();
    }
}

} // namespace auralis::core
