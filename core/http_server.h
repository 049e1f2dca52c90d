// HTTP/1.1 on the node's port: accepted connections with limits and an idle timeout, requests
// parsed and routed (exact paths, handlers per method, 404/405, HEAD), errors answered and the
// connection closed without a reset, and the WebSocket upgrade handshake on one path; an
// accepted upgrade's socket is handed over with upgraded(). Lives in the node's thread.
#pragma once

#include "core/http.h"

#include <QHostAddress>
#include <QObject>

#include <functional>
#include <map>
#include <memory>
#include <unordered_map>

class QTcpServer;
class QTcpSocket;

namespace auralis::core {

class HttpServer : public QObject {
    Q_OBJECT
public:
    struct Options {
        int maxConnections = 512;
        int idleTimeoutMs = 30000;
        int closeTimeoutMs = 2000; // reading and dropping after an error, then cut
        QByteArray webSocketPath = "/ws/stream";
    };
    using Route = std::function<http::Response(const http::Request&)>;

    explicit HttpServer(Options options, QObject* parent = nullptr);
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

signals:
    /// A valid upgrade on webSocketPath was answered with 101. The socket is the receiver's
    /// (reparent it); bytes after the handshake are still in it.
    void upgraded(QTcpSocket* socket, const http::Request& request);

private:
    struct Connection;
    void onNewConnection();
    void onReadyRead(QTcpSocket* socket);
    void close(QTcpSocket* socket);
    void respondAndClose(QTcpSocket* socket, const http::Response& response);
    void upgrade(QTcpSocket* socket, const http::Request& request);

    Options m_options;
    QTcpServer* m_tcp = nullptr;
    bool m_accepting = true;
    std::unordered_map<QTcpSocket*, std::unique_ptr<Connection>> m_connections;
    std::map<QByteArray, std::map<QByteArray, Route>> m_routes; // path -> method -> handler
};

} // namespace auralis::core
