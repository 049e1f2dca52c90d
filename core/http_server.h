// HTTP/1.1 on the node's port, built so that no client can starve the rest: limits per
// address (connections, request rate) and in total (the oldest stalled connection makes room
// for a new one, so listeners can always get in), a deadline for each header block (408),
// one request at a time per connection (the next is read only when the previous response
// has gone out: bounded work per event-loop turn), a deadline for unsent responses, checks of
// Host (421) and Origin (403), routing (exact paths, methods, 404/405, HEAD), errors answered
// and closed without a reset, and the WebSocket handshake on one path; an accepted upgrade's
// socket is handed over with upgraded(). Lives in the node's thread.
#pragma once

#include "core/address_limits.h"
#include "core/http.h"
#include "core/http_policy.h"

#include <QHostAddress>
#include <QObject>
#include <QSslConfiguration>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>

class QTcpServer;
class QTcpSocket;

namespace auralis::core {

class HttpServer : public QObject {
    Q_OBJECT
public:
    struct Options {
        int maxConnections = 512;
        int idleTimeoutMs = 30000;   // between requests
        int headerTimeoutMs = 10000; // a request's header block, from its first byte (408)
        int writeTimeoutMs = 10000;  // a response not taken by the client in this long: cut
        int closeTimeoutMs = 2000;   // reading and dropping after an error, then cut
        QByteArray webSocketPath = "/ws/stream";
        /// GET/HEAD on these paths are endless responses: the socket is handed over with
        /// streamRequested() instead of being answered by a route.
        QList<QByteArray> streamPaths;
        HttpPolicy policy;
        std::optional<QSslConfiguration> tls; // https/wss on this port when set
    };
    using Route = std::function<http::Response(const http::Request&)>;

    /// `limits` (per address) outlives the server; its connection and request counts are
    /// kept here, its listener counts by whoever admits listeners.
    HttpServer(Options options, AddressLimits& limits, const Clock& clock,
               QObject* parent = nullptr);
    ~HttpServer() override;

    bool listen(const QHostAddress& address, quint16 port, QString* error);
    quint16 port() const;
    /// A handler for `method` on `path`; the methods of a path are its `Allow` list for 405.
    void addRoute(const QByteArray& path, const QByteArray& method, Route handler);
    /// The response for a request as the router gives it (HEAD: GET's headers, no body).
    http::Response route(const http::Request& request) const;
    /// From now on: no new connections, 503 to upgrades, every response closes.
    void stopAccepting();
    /// Closes every open HTTP connection (gracefully).
    void closeAll();
    int connectionCount() const { return static_cast<int>(m_connections.size()); }
    const Options& options() const { return m_options; }

signals:
    /// A valid upgrade on webSocketPath was answered with 101. The socket is the receiver's
    /// (reparent it); bytes after the handshake are still in it.
    void upgraded(QTcpSocket* socket, const http::Request& request);
    /// A GET or HEAD on one of streamPaths passed the checks; the socket is the receiver's,
    /// which writes the whole response.
    void streamRequested(QTcpSocket* socket, const http::Request& request);

private:
    struct Connection;
    void onNewConnection();
    void onReadyRead(QTcpSocket* socket);
    void onBytesWritten(QTcpSocket* socket);
    void handle(QTcpSocket* socket, Connection& conn, const http::Request& request);
    void close(QTcpSocket* socket);
    void abort(QTcpSocket* socket);
    void forget(QTcpSocket* socket);
    void respondAndClose(QTcpSocket* socket, const http::Response& response);
    void upgrade(QTcpSocket* socket, const http::Request& request);
    bool makeRoom();

    Options m_options;
    AddressLimits& m_limits;
    const Clock& m_clock;
    QTcpServer* m_tcp = nullptr;
    bool m_accepting = true;
    std::unordered_map<QTcpSocket*, std::unique_ptr<Connection>> m_connections;
    std::map<QByteArray, std::map<QByteArray, Route>> m_routes; // path -> method -> handler
};

} // namespace auralis::core
