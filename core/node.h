// The streaming node: wires the phrase scheduler and broadcast ring (the stream), the HTTP
// server with its WebSocket upgrade (http_server.h), listener admission and sessions
// (session.h), the pacing queue (pacing_queue.h), the API (node_api.h), metrics and
// maintenance, and shutdown. A Node lives in one thread (the one that runs its event loop,
// never the GUI thread); call its methods from that thread. The scheduler renders on its own;
// listeners are spread over `ioThreads` I/O loops (io_loop.h), the node's thread the first.
#pragma once

#include "core/address_limits.h"
#include "core/broadcast_ring.h"
#include "core/heap.h"
#include "core/http.h"
#include "core/icecast_source.h"
#include "core/io_loop.h"
#include "core/operator_token.h"
#include "core/pacing.h"
#include "core/scheduler.h"
#include "core/session.h"
#include "protocol/clock.h"
#include "synth/device.h"

#include <QHash>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonObject>
#include <QObject>
#include <QSslConfiguration>
#include <QTimer>

#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

class QTcpSocket;
class QThread;

namespace auralis::core {

class HttpServer;
class NodeMetrics;
class OggListener;
class WsConnection;

struct NodeConfig {
    QHostAddress bind = QHostAddress::Any;
    quint16 port = 8000;
    int maxClients = 256;
    std::uint64_t seed = 1;
    synth::MusicParams params;
    synth::DevicePreference device = synth::DevicePreference::Auto;
    /// Replaces device selection when set (tests: slow or failing renderers).
    std::function<std::unique_ptr<synth::Renderer>()> rendererFactory;
    /// Fault injection (tests): called on the scheduler thread after each phrase is
    /// published; blocking here delays the next phrase without slowing its rendering.
    std::function<void(std::uint64_t phrasesRendered)> afterPhrase;
    const Clock* clock = nullptr; // null: a SteadyClock owned by the node
    int ringCapacity = 256;       // chunks (25.6 s)
    int extraLeadChunks = 35;     // rendered beyond one phrase ahead of the live edge
    int statusIntervalMs = 5000;  // per-listener `status` messages
    /// Listeners are paced on phases this far apart, spread evenly over them, so that they
    /// share the event loop's wake-ups (each costs a poll over every socket); a divisor of
    /// 100 ms. 0 or 1: each listener on the phase at which it joined.
    int pacingSlotUs = 0;
    /// Event loops that serve listeners, each with its own pacing: the node's own thread and
    /// ioThreads - 1 threads more (new listeners go to the one with the fewest). 1: all in the
    /// node's thread. The programs default to the core count (--io-threads).
    int ioThreads = 1;
    int queueLimitChunks = 20;     // a listener's unsent backlog before chunks are dropped
    int stallDisconnectMs = 10000; // dropping this long disconnects the listener (1008)
    double messageRate = 20;       // client messages per second (sustained)
    double messageBurst = 40;
    int maxHttpConnections = 512;
    /// Kernel send buffer per listener socket: bounds memory and lets a listener that stops
    /// reading show up within about a second instead of after megabytes of buffering.
    int socketSendBufferBytes = 128 * 1024;
    int httpIdleTimeoutMs = 30000;
    int httpHeaderTimeoutMs = 10000; // a request's header block must arrive within this (408)
    int httpWriteTimeoutMs = 10000;  // a response the client does not take: connection cut
    /// Per client address: HTTP connections, listeners, requests per second (0: no limit).
    AddressLimits::Limits perAddress;
    /// Host names the node answers to besides IP addresses, localhost and its own name.
    QStringList allowedHosts;
    /// Browser origins besides the node's own that may control it or open the stream.
    QStringList allowedOrigins;
    /// The operator token: changing the music needs it. Empty: control is open.
    QByteArray controlToken;
    /// https and wss on the node's port (core/tls.h loads it from PEM files).
    std::optional<QSslConfiguration> tls;
    /// After the node closes a connection (its close frame or HTTP error sent), how long it
    /// keeps reading and discarding until the peer closes too; then the connection is cut.
    int closeTimeoutMs = 2000;
    int maintenanceIntervalMs = 60000; // heap-trim check
    HeapTrimPolicy heapTrim;
    /// Opus (format=opus, /stream.ogg, Icecast), encoded only while someone takes it.
    int opusBitrate = 96000; // bits per second
    QString streamName = "Auralis";
    QString streamDescription = "Never-repeating ambient music";
    /// Push the Ogg/Opus stream to an Icecast server as its source.
    std::optional<IcecastTarget> icecast;
};

class Node : public QObject {
    Q_OBJECT
public:
    explicit Node(NodeConfig config, QObject* parent = nullptr);
    ~Node() override;

    /// Chooses the device, starts rendering and listens. False with `error` set on failure.
    bool start(QString* error);
    quint16 port() const;
    bool isRunning() const { return m_running; }

    /// Tells every listener, keeps streaming for `drainMs`, closes them with 1001, stops.
    void shutdown(int drainMs, const QString& reason = "node stopping");

    /// An HTTP route; the methods registered on a path are its `Allow` list for 405.
    /// The node registers its own routes (/, /metrics, /api/...) the same way.
    using Route = std::function<http::Response(const http::Request&)>;
    void addRoute(const QByteArray& path, const QByteArray& method, Route handler);

    /// Applies a control request from `who` with `access` (validated as a whole; every
    /// attempt is logged with who and whether it was authorised). Without access: an error
    /// with code "unauthorized" (no token) or "forbidden" (a wrong one).
    ControlOutcome control(const QJsonObject& request, const QString& who, Access access);
    /// The Prometheus exposition, gauges collected now.
    std::string scrapeMetrics();

    /// /api/status; listener addresses only with `showAddresses`.
    QJsonObject statusJson(bool showAddresses = true) const;
    std::vector<ListenerInfo> listeners() const;
    int listenerCount() const { return static_cast<int>(m_loopOf.size()); }
    /// Listeners on each I/O loop (index 0: the node's thread).
    std::vector<int> ioLoopListeners() const { return m_loopLoad; }
    /// Listeners of GET /stream.ogg (not counted in listenerCount()).
    int httpStreamListenerCount() const { return static_cast<int>(m_ogg.size()); }
    QJsonArray httpStreamListenersJson(bool showAddresses) const;
    /// The Icecast source, when one is configured.
    const IcecastSource* icecast() const { return m_icecast; }
    PhraseScheduler& scheduler() { return *m_scheduler; }
    const PhraseScheduler& scheduler() const { return *m_scheduler; }
    const BroadcastRing& ring() const { return m_ring; }
    const Clock& clock() const { return *m_clock; }
    const NodeConfig& config() const { return m_config; }
    const QString& deviceReason() const { return m_deviceReason; }
    double uptimeSeconds() const;
    /// Resident size, heap statistics and the maintenance task's trims (/api/status "memory").
    QJsonObject memoryJson() const;

signals:
    void listenerJoined(const QString& id);
    void listenerLeft(const QString& id);
    void stopped();

private:
    void admit(QTcpSocket* socket, const http::Request& request);
    void admitStream(QTcpSocket* socket, const http::Request& request);
    void removeStreamListener(quint64 serial);
    void serveStreamListeners();
    /// Opus is encoded while any WebSocket opus listener, /stream.ogg listener or the
    /// Icecast source takes it.
    void updateOpusDemand();
    void startIoLoops();
    void stopIoLoops();
    void onSessionEnded(const IoLoop::Ended& ended);
    /// `f` for every session, each in its own loop's thread (queued to the others).
    void postToSessions(const std::function<void(ListenerSession&)>& f);
    void maintain();
    void finishShutdown();
    void maybeStopped();

    NodeConfig m_config;
    std::unique_ptr<Clock> m_ownClock;
    const Clock* m_clock;
    BroadcastRing m_ring;
    std::unique_ptr<NodeMetrics> m_metrics;
    AddressLimits m_limits;
    std::unique_ptr<PhraseScheduler> m_scheduler;
    std::unique_ptr<SessionContext> m_context; // what every session shares
    HttpServer* m_http;
    QTimer m_maintenance;
    QTimer m_oggTick; // serves every /stream.ogg listener every two chunks
    double m_rssAfterTrim = 0;
    qint64 m_lastTrimUs = 0; // node clock; the start counts as one
    double m_lastTrimMs = 0; // how long the last trim took
    std::uint64_t m_heapTrims = 0;
    QString m_deviceReason;
    std::vector<IoLoop*> m_loops;      // [0] in this thread, the others in m_ioThreads
    std::vector<QThread*> m_ioThreads; // one per loop after the first
    std::vector<int> m_loopLoad;       // listeners admitted to each loop and not yet ended
    /// Every listener until its end came back, by client id (unique among them): its loop.
    QHash<QString, int> m_loopOf;
    std::mutex m_controlMutex; // control() runs on any I/O thread: one request at a time
    std::unordered_map<quint64, OggListener*> m_ogg; // children, deleted later
    IcecastSource* m_icecast = nullptr;
    int m_opusSessions = 0;
    quint64 m_nextSerial = 1;
    qint64 m_startedUs = 0;
    bool m_running = false;
    bool m_shuttingDown = false;
    bool m_stoppedEmitted = false;
};

} // namespace auralis::core
