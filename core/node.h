// The streaming node: one TCP port serving HTTP and the WebSocket endpoint /ws/stream, the
// phrase scheduler, the broadcast ring and every listener's session with deadline pacing.
// A Node lives in one thread (the one that runs its event loop, never the GUI thread);
// call its methods from that thread. The scheduler renders on its own thread.
#pragma once

#include "core/broadcast_ring.h"
#include "core/clock.h"
#include "core/http.h"
#include "core/pacing.h"
#include "core/scheduler.h"
#include "synth/device.h"

#include <QHostAddress>
#include <QJsonObject>
#include <QObject>
#include <QTimer>

#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <unordered_map>
#include <vector>

namespace auralis::core {
class NodeMetrics;
class WsConnection;
} // namespace auralis::core
class QTcpServer;
class QTcpSocket;

namespace auralis::core {

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
    const Clock* clock = nullptr;  // null: a SteadyClock owned by the node
    int ringCapacity = 256;        // chunks (25.6 s)
    int extraLeadChunks = 35;      // rendered beyond one phrase ahead of the live edge
    int statusIntervalMs = 5000;   // per-listener `status` messages
    int queueLimitChunks = 20;     // a listener's unsent backlog before chunks are dropped
    int stallDisconnectMs = 10000; // dropping this long disconnects the listener (1008)
    double messageRate = 20;       // client messages per second (sustained)
    double messageBurst = 40;
    int maxHttpConnections = 512;
    /// Kernel send buffer per listener socket: bounds memory and lets a listener that stops
    /// reading show up within about a second instead of after megabytes of buffering.
    int socketSendBufferBytes = 128 * 1024;
    int httpIdleTimeoutMs = 30000;
    /// After the node closes a connection (its close frame or HTTP error sent), how long it
    /// keeps reading and discarding until the peer closes too; then the connection is cut.
    int closeTimeoutMs = 2000;
    int maintenanceIntervalMs = 60000; // heap-trim check
};

/// What the node knows about one listener (for /api/status and tests).
struct ListenerInfo {
    QString id;
    QString format;
    QString remote;
    QString tier;
    QString requestedTier;
    int targetMs = 0;
    double connectedSeconds = 0;
    qint64 cursor = 0;
    qint64 depthChunks = 0; // rendered chunks ahead of its cursor
    std::uint64_t sent = 0;
    std::uint64_t underruns = 0;
    std::uint64_t dropped = 0;
    std::uint64_t resyncs = 0;
    qint64 queuedBytes = 0; // written but not yet sent to the socket (the bounded backlog)
    double jitterP95Ms = 0;
    bool reported = false;
    double reportBufferMs = 0;
    std::uint64_t reportUnderruns = 0;
    double reportAgeSeconds = 0;
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

    QJsonObject statusJson() const;
    std::vector<ListenerInfo> listeners() const;
    int listenerCount() const { return static_cast<int>(m_sessions.size()); }
    PhraseScheduler& scheduler() { return *m_scheduler; }
    const BroadcastRing& ring() const { return m_ring; }
    const Clock& clock() const { return *m_clock; }
    const QString& deviceReason() const { return m_deviceReason; }

signals:
    void listenerJoined(const QString& id);
    void listenerLeft(const QString& id);
    void stopped();

private:
    struct Session;
    struct HttpConnection;

    void onNewTcpConnection();
    void onHttpReadyRead(QTcpSocket* socket);
    void closeHttp(QTcpSocket* socket);
    void addBuiltinRoutes();
    http::Response route(const http::Request& request);
    http::Response controlRoute(const http::Request& request);
    http::Response metricsResponse();
    void upgradeToWebSocket(QTcpSocket* socket, const http::Request& request);
    void onNewWebSocket(WsConnection* ws, const http::Request& request);
    void onTextMessage(Session& s, const QByteArray& utf8);
    void onBinaryMessage(Session& s);
    bool allowMessage(Session& s);
    void closeSession(Session& s, int code, const QString& reason);
    void removeSession(WsConnection* ws);
    void sendJson(Session& s, const QJsonObject& message);
    void sendChunk(Session& s, qint64 nowUs);
    void serve(Session& s, qint64 nowUs);
    void sendStatus(Session& s, qint64 nowUs);
    void applyTier(Session& s, protocol::Tier tier, const QString& reason);
    void schedule(Session& s);
    void armTimer();
    void onPaceTimer();
    void finishShutdown();
    void maybeStopped();
    QJsonObject welcome(const Session& s) const;
    ListenerInfo info(const Session& s, qint64 nowUs) const;

    NodeConfig m_config;
    std::unique_ptr<Clock> m_ownClock;
    const Clock* m_clock;
    BroadcastRing m_ring;
    std::unique_ptr<NodeMetrics> m_metrics;
    std::unique_ptr<PhraseScheduler> m_scheduler;
    QTimer m_maintenance;
    double m_rssAfterTrim = 0;
    std::uint64_t m_heapTrims = 0;
    QString m_deviceReason;
    QTcpServer* m_tcp = nullptr;
    std::unordered_map<QTcpSocket*, std::unique_ptr<HttpConnection>> m_http;
    std::unordered_map<WsConnection*, std::unique_ptr<Session>> m_sessions;
    std::map<QByteArray, std::map<QByteArray, Route>> m_routes; // path -> method -> handler
    // Pacing: (deadline, serial) min-heap; stale entries are skipped when popped.
    using Due = std::pair<qint64, quint64>;
    std::priority_queue<Due, std::vector<Due>, std::greater<>> m_due;
    std::unordered_map<quint64, WsConnection*> m_bySerial;
    quint64 m_nextSerial = 1;
    QTimer m_paceTimer;
    qint64 m_startedUs = 0;
    bool m_running = false;
    bool m_shuttingDown = false;
    bool m_stoppedEmitted = false;
};

} // namespace auralis::core
