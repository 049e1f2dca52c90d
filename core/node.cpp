#include "core/node.h"

#include "core/http_server.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/node_api.h"
#include "core/ogg_listener.h"
#include "core/ws_connection.h"
#include "protocol/control.h"
#include "protocol/epoll_dispatcher.h"
#include "protocol/messages.h"

#include <QHostInfo>
#include <QPointer>
#include <QRandomGenerator>
#include <QTcpSocket>
#include <QThread>
#include <QUrlQuery>

#include <algorithm>

Q_LOGGING_CATEGORY(lcNode, "auralis.node")

namespace auralis::core {

using protocol::Format;
using protocol::Tier;

namespace {

HttpServer::Options httpOptions(const NodeConfig& c) {
    HttpServer::Options o;
    o.maxConnections = c.maxHttpConnections;
    o.idleTimeoutMs = c.httpIdleTimeoutMs;
    o.headerTimeoutMs = c.httpHeaderTimeoutMs;
    o.writeTimeoutMs = c.httpWriteTimeoutMs;
    o.closeTimeoutMs = c.closeTimeoutMs;
    o.webSocketPath = "/ws/stream";
    o.streamPaths = {"/stream.ogg"};
    o.tls = c.tls;
    o.policy.tls = c.tls.has_value();
    for (const QString& h : c.allowedHosts) {
        o.policy.allowedHosts << h.toLower();
    }
    // The machine's own name is not someone else's DNS: the node answers to it.
    const QString own = QHostInfo::localHostName().toLower();
    if (!own.isEmpty()) {
        o.policy.allowedHosts << own << own + ".local";
    }
    for (const QString& origin : c.allowedOrigins) {
        o.policy.allowedOrigins << origin.toLower();
    }
    return o;
}

QString newClientId() {
    return QString("c-%1").arg(QRandomGenerator::global()->generate(), 8, 16, QChar('0'));
}

} // namespace

Node::Node(NodeConfig config, QObject* parent)
    : QObject(parent), m_config(std::move(config)),
      m_ownClock(m_config.clock ? nullptr : std::make_unique<SteadyClock>()),
      m_clock(m_config.clock ? m_config.clock : m_ownClock.get()), m_ring(m_config.ringCapacity),
      m_metrics(std::make_unique<NodeMetrics>()), m_limits(m_config.perAddress, *m_clock),
      m_http(new HttpServer(httpOptions(m_config), m_limits, *m_clock, this)) {
    // Member timers are children, so they move with the node to its thread.
    m_maintenance.setParent(this);
    m_oggTick.setParent(this);
    m_oggTick.setTimerType(Qt::PreciseTimer);
    m_oggTick.setInterval(2 * protocol::kChunkMs);
    connect(&m_oggTick, &QTimer::timeout, this, &Node::serveStreamListeners);
    connect(m_http, &HttpServer::upgraded, this, &Node::admit);
    connect(m_http, &HttpServer::streamRequested, this, &Node::admitStream);
    addNodeRoutes(*m_http, *this);
}

Node::~Node() {
    stopIoLoops(); // the sessions go before the context and metrics they use
    if (m_scheduler) {
        m_scheduler->stop();
    }
}

void Node::addRoute(const QByteArray& path, const QByteArray& method, Route handler) {
    m_http->addRoute(path, method, std::move(handler));
}

quint16 Node::port() const {
    return m_http->port();
}

double Node::uptimeSeconds() const {
    return static_cast<double>(m_clock->nowUs() - m_startedUs) / 1e6;
}

QJsonObject Node::statusJson(bool showAddresses) const {
    return core::statusJson(*this, showAddresses);
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
    options.opusBitrate = m_config.opusBitrate;
    options.streamTitle = m_config.streamName;
    NodeMetrics* metrics = m_metrics.get();
    m_scheduler = std::make_unique<PhraseScheduler>(std::move(options), m_ring, *m_clock);
    m_scheduler->onPhraseRendered = [this, metrics](double seconds) {
        metrics->observeSynthesis(seconds);
        if (m_config.afterPhrase) {
            m_config.afterPhrase(m_scheduler->stats().phrases);
        }
    };
    m_scheduler->onChunkEncoded = [metrics](double seconds) { metrics->observeEncoding(seconds); };
    m_scheduler->onOpusEncoded = [metrics](double seconds) {
        metrics->observeOpusEncoding(seconds);
    };
    m_scheduler->onOpusError = [](const QString& why) {
        qCCritical(lcNode).noquote() << "Opus encoding unavailable:" << why;
    };
    m_context.reset(new SessionContext{
        *m_clock, m_ring, *m_scheduler, *m_metrics, m_config.queueLimitChunks,
        m_config.stallDisconnectMs, m_config.statusIntervalMs, m_config.messageRate,
        m_config.messageBurst, protocol::kBinaryHeaderBytes + m_config.opusBitrate / 80 + 64,
        m_config.controlToken,
        [this](const QJsonObject& request, const QString& who, Access access) {
            return control(request, who, access);
        }});
    startIoLoops();

    m_maintenance.setInterval(m_config.maintenanceIntervalMs);
    connect(&m_maintenance, &QTimer::timeout, this, &Node::maintain);
    m_rssAfterTrim = readProcessStats().residentBytes;
    m_lastTrimUs = m_clock->nowUs();
    m_maintenance.start();

    if (!m_http->listen(m_config.bind, m_config.port, error)) {
        return false;
    }
    // Render the lead before the first listener can arrive: its burst is then real audio
    // from the first moment (no start-up underruns), and time to first audio is one send.
    m_scheduler->pump(0);
    m_startedUs = m_clock->nowUs();
    m_scheduler->start();
    m_running = true;
    if (m_config.icecast) {
        m_metrics->enableIcecast();
        m_icecast = new IcecastSource(*m_config.icecast, *m_context, this);
        m_icecast->start();
        updateOpusDemand();
    }
    const auto st = m_scheduler->stats();
    m_metrics->setBuildInfo(AURALIS_VERSION, st.deviceKind,
#ifdef AURALIS_HAVE_CUDA
                            true
#else
                            false
#endif
    );
    qCInfo(lcNode).noquote() << QString("listening on %1:%2, device %3 (%4)")
                                    .arg(m_config.bind.toString())
                                    .arg(port())
                                    .arg(QString::fromStdString(st.deviceKind), m_deviceReason);
    return true;
}

void Node::maintain() {
    // Give free heap pages back to the system (core/heap.h says when); each trim counts as
    // gc_collections_total{generation="2"}.
    const qint64 now = m_clock->nowUs();
    HeapTrimPolicy::Inputs in;
    in.residentBytes = readProcessStats().residentBytes;
    in.residentAfterLastTrim = m_rssAfterTrim;
    in.freeHeapBytes = readHeapStats().freeBytes;
    in.secondsSinceLastTrim = static_cast<double>(now - m_lastTrimUs) / 1e6;
    if (!m_config.heapTrim.shouldTrim(in)) {
        return;
    }
    m_lastTrimMs = trimHeap();
    ++m_heapTrims;
    m_lastTrimUs = now;
    m_rssAfterTrim = readProcessStats().residentBytes;
    qCInfo(lcNode).noquote() << QString("heap trimmed in %1 ms: resident %2 -> %3 MiB")
                                    .arg(m_lastTrimMs, 0, 'f', 2)
                                    .arg(in.residentBytes / 1048576.0, 0, 'f', 1)
                                    .arg(m_rssAfterTrim / 1048576.0, 0, 'f', 1);
}

void Node::startIoLoops() {
    const int count = std::clamp(m_config.ioThreads, 1, 256);
    const int phases = m_config.pacingSlotUs > 1
                           ? static_cast<int>(protocol::kChunkUs / m_config.pacingSlotUs)
                           : 0;
    for (int i = 0; i < count; ++i) {
        auto* loop = new IoLoop(i, *m_context, phases, protocol::kMaxClientMessageBytes,
                                m_config.closeTimeoutMs, [this](const IoLoop::Ended& ended) {
                                    // At once from this thread's loop, queued from the others.
                                    QMetaObject::invokeMethod(
                                        this, [this, ended] { onSessionEnded(ended); });
                                });
        if (i > 0) {
            auto* thread = new QThread;
            thread->setObjectName(QString("auralis-io-%1").arg(i));
            useEventDispatcher(*thread);
            loop->moveToThread(thread);
            connect(thread, &QThread::finished, loop, &QObject::deleteLater);
            thread->start();
            m_ioThreads.push_back(thread);
        } else {
            loop->setParent(this);
        }
        m_loops.push_back(loop);
        m_loopLoad.push_back(0);
    }
}

void Node::stopIoLoops() {
    // Each loop is deleted in its own thread, its sessions and connections with it.
    for (QThread* thread : m_ioThreads) {
        thread->quit();
        thread->wait();
        delete thread;
    }
    m_ioThreads.clear();
    if (!m_loops.empty()) {
        delete m_loops.front();
    }
    m_loops.clear();
}

void Node::postToSessions(const std::function<void(ListenerSession&)>& f) {
    for (IoLoop* loop : m_loops) {
        loop->post([loop, f] { loop->forEach(f); });
    }
}

QJsonObject Node::memoryJson() const {
    const HeapStats heap = readHeapStats();
    QJsonObject o{{"resident_bytes", readProcessStats().residentBytes},
                  {"heap_trims", static_cast<double>(m_heapTrims)},
                  {"last_trim_ms", m_lastTrimMs},
                  {"resident_after_trim_bytes", m_rssAfterTrim}};
    if (heap.known) {
        o["heap_in_use_bytes"] = heap.inUseBytes;
        o["heap_free_bytes"] = heap.freeBytes;
        o["heap_system_bytes"] = heap.systemBytes;
    }
    return o;
}

// ---- control and metrics ---------------------------------------------------------------------

ControlOutcome Node::control(const QJsonObject& request, const QString& who, Access access) {
    const std::lock_guard lock(m_controlMutex);
    // The audit log: every attempt, who it came from and whether it was authorised.
    if (!allowed(access)) {
        qCWarning(lcNode).noquote() << "control from" << who << accessName(access);
        return access == Access::Missing
                   ? protocol::ControlError{"unauthorized",
                                            "changing the music needs this node's operator token",
                                            {}}
                   : protocol::ControlError{
                         "forbidden", "the operator token is not this node's", {}};
    }
    synth::MusicParams next;
    if (const auto error = protocol::parseControl(request, m_scheduler->pendingParams(), next)) {
        qCInfo(lcNode).noquote() << "control from" << who << accessName(access)
                                 << "refused:" << error->message;
        return *error;
    }
    const qint64 frame = m_scheduler->requestParams(next);
    qCInfo(lcNode).noquote() << "control from" << who << accessName(access)
                             << protocol::toWire(protocol::paramsJson(next));
    protocol::ControlAck ack;
    ack.params = next;
    ack.appliesAtMs = static_cast<double>(frame) * 1000.0 / protocol::kSampleRate;
    ack.appliesAtSeq = frame / protocol::kChunkFrames;
    // Everyone's controls follow: the page and the dashboard show what the node plays.
    const protocol::ParamsChanged change{next, ack.appliesAtMs, ack.appliesAtSeq};
    postToSessions([change](ListenerSession& s) { s.tellParams(change); });
    return ack;
}

// ---- listeners -------------------------------------------------------------------------------

void Node::admit(QTcpSocket* socket, const http::Request& request) {
    socket->setSocketOption(QAbstractSocket::SendBufferSizeSocketOption,
                            m_config.socketSendBufferBytes);
    socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    const QHostAddress peer = socket->peerAddress();
    const quint16 peerPort = socket->peerPort();
    const bool full = listenerCount() >= m_config.maxClients;
    if (m_shuttingDown || full || !m_limits.admitListener(peer)) {
        const QString why = m_shuttingDown ? QString("the node is shutting down")
                            : full ? QString("server full: %1 listeners").arg(m_config.maxClients)
                                   : QString("too many listeners from %1 (at most %2 per address)")
                                         .arg(AddressLimits::key(peer))
                                         .arg(m_config.perAddress.listeners);
        auto* ws = new WsConnection(socket, protocol::kMaxClientMessageBytes,
                                    m_config.closeTimeoutMs, this);
        ws->sendText(protocol::toWire(protocol::errorJson({"server_full", why, {}})));
        ws->close(protocol::kCloseTryAgainLater, why);
        connect(ws, &WsConnection::disconnected, ws, &QObject::deleteLater);
        qCInfo(lcNode) << "refused a listener:" << why;
        return;
    }
    const QUrlQuery query(QString::fromUtf8(request.query));
    QStringList warnings;
    QString id = query.queryItemValue("client_id");
    if (!id.isEmpty() && !protocol::isValidClientId(id)) {
        warnings << "client_id must be 1-64 characters of A-Z a-z 0-9 _ -; a new one was generated";
        id.clear();
    }
    if (!id.isEmpty() && m_loopOf.contains(id)) {
        warnings << "client_id '" + id + "' is in use; a new one was generated";
        id.clear();
    }
    ListenerSession::Identity identity;
    identity.serial = m_nextSerial++;
    identity.id = id.isEmpty() ? newClientId() : id;
    while (m_loopOf.contains(identity.id)) {
        identity.id = newClientId();
    }
    const QString format = query.queryItemValue("format");
    if (!format.isEmpty() && !protocol::parseFormat(format)) {
        warnings << "unknown format '" + format + "'; using json";
    }
    identity.format = protocol::parseFormat(format).value_or(Format::Json);
    const QString tier = query.queryItemValue("tier");
    if (!tier.isEmpty() && !protocol::parseTier(tier)) {
        warnings << "unknown tier '" + tier + "'; using normal";
    }
    identity.tier = protocol::parseTier(tier).value_or(Tier::Normal);
    // A listener that presents the operator token (?token=) may change the music.
    const QByteArray presented = query.queryItemValue("token").toUtf8();
    identity.access = accessFor(presented, m_config.controlToken);
    if (identity.access == Access::Wrong) {
        warnings << "the token is not this node's operator token; listening only";
    }

    // The loop with the fewest listeners (ties: the node's own thread first).
    const int index = static_cast<int>(std::min_element(m_loopLoad.begin(), m_loopLoad.end()) -
                                       m_loopLoad.begin());
    IoLoop* loop = m_loops[static_cast<std::size_t>(index)];
    ++m_loopLoad[static_cast<std::size_t>(index)];
    m_loopOf.insert(identity.id, index);
    if (identity.format == Format::Opus) {
        ++m_opusSessions;
        updateOpusDemand();
    }
    if (loop->thread() != thread()) {
        socket->setParent(nullptr); // an object with a parent cannot change threads
        socket->moveToThread(loop->thread());
    }
    loop->post([loop, socket, identity, warnings] { loop->adopt(socket, identity, warnings); });
    qCInfo(lcNode).noquote() << QString("listener %1 joined from %2:%3 (%4, %5, I/O thread %6); "
                                        "%7 listening")
                                    .arg(identity.id, peer.toString())
                                    .arg(peerPort)
                                    .arg(protocol::formatName(identity.format),
                                         protocol::tierName(identity.tier))
                                    .arg(index)
                                    .arg(listenerCount());
    emit listenerJoined(identity.id);
}

void Node::onSessionEnded(const IoLoop::Ended& ended) {
    const auto it = m_loopOf.find(ended.id);
    if (it == m_loopOf.end()) {
        return;
    }
    --m_loopLoad[static_cast<std::size_t>(it.value())];
    m_loopOf.erase(it);
    if (ended.format == Format::Opus) {
        --m_opusSessions;
    }
    m_limits.releaseListener(ended.peer);
    qCInfo(lcNode).noquote()
        << QString("listener %1 left; %2 listening").arg(ended.id).arg(listenerCount());
    emit listenerLeft(ended.id);
    updateOpusDemand();
    maybeStopped();
}

std::vector<ListenerInfo> Node::listeners() const {
    std::vector<ListenerInfo> out;
    const qint64 now = m_clock->nowUs();
    for (IoLoop* loop : m_loops) {
        loop->call([loop, now, &out] {
            loop->visit([&](const ListenerSession& s) {
                out.push_back(s.info(now));
                out.back().ioThread = loop->index();
            });
        });
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    return out;
}

// ---- shutdown --------------------------------------------------------------------------------

void Node::shutdown(int drainMs, const QString& reason) {
    if (m_shuttingDown) {
        return;
    }
    m_shuttingDown = true;
    qCInfo(lcNode).noquote() << QString("shutting down (%1): telling %2 listeners, draining %3 ms")
                                    .arg(reason)
                                    .arg(listenerCount())
                                    .arg(drainMs);
    m_http->stopAccepting();
    postToSessions([reason, drainMs](ListenerSession& s) { s.tellShutdown(reason, drainMs); });
    QTimer::singleShot(drainMs, this, &Node::finishShutdown);
}

void Node::finishShutdown() {
    m_running = false;
    m_oggTick.stop();
    if (m_scheduler) {
        m_scheduler->stop();
    }
    for (IoLoop* loop : m_loops) {
        loop->post([loop] { loop->closeAll(protocol::kCloseGoingAway, "node stopping"); });
    }
    if (m_icecast != nullptr) {
        m_icecast->stop();
    }
    std::vector<OggListener*> ogg;
    for (const auto& [serial, l] : m_ogg) {
        ogg.push_back(l);
    }
    for (OggListener* l : ogg) {
        l->close();
    }
    m_http->closeAll();
    maybeStopped();
}

void Node::maybeStopped() {
    if (m_shuttingDown && !m_running && m_loopOf.empty() && m_ogg.empty() && !m_stoppedEmitted) {
        m_stoppedEmitted = true;
        emit stopped();
    }
}

} // namespace auralis::core
