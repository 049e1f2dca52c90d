#include "core/http_server.h"

#include "core/tcp_close.h"
#include "protocol/ws_frame.h"

#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

namespace auralis::core {

struct HttpServer::Connection {
    QTimer idle; // closes a connection that sends nothing for idleTimeoutMs
};

HttpServer::HttpServer(Options options, QObject* parent)
    : QObject(parent), m_options(std::move(options)) {}

HttpServer::~HttpServer() = default;

bool HttpServer::listen(const QHostAddress& address, quint16 port, QString* error) {
    m_tcp = new QTcpServer(this);
    connect(m_tcp, &QTcpServer::newConnection, this, &HttpServer::onNewConnection);
    if (!m_tcp->listen(address, port)) {
        *error = QString("cannot listen on %1:%2: %3")
                     .arg(address.toString())
                     .arg(port)
                     .arg(m_tcp->errorString());
        return false;
    }
    return true;
}

quint16 HttpServer::port() const {
    return m_tcp != nullptr ? m_tcp->serverPort() : 0;
}

void HttpServer::addRoute(const QByteArray& path, const QByteArray& method, Route handler) {
    m_routes[path][method] = std::move(handler);
}

void HttpServer::stopAccepting() {
    m_accepting = false;
    if (m_tcp != nullptr) {
        m_tcp->close();
    }
}

void HttpServer::closeAll() {
    std::vector<QTcpSocket*> sockets;
    for (auto& [socket, conn] : m_connections) {
        sockets.push_back(socket);
    }
    for (QTcpSocket* socket : sockets) {
        close(socket);
    }
}

void HttpServer::onNewConnection() {
    while (QTcpSocket* socket = m_tcp->nextPendingConnection()) {
        if (!m_accepting || connectionCount() >= m_options.maxConnections) {
            socket->setParent(this);
            socket->write(http::serialize(
                http::jsonError(503, "unavailable",
                                m_accepting ? "too many connections" : "the node is shutting down"),
                false));
            closeGracefully(socket, m_options.closeTimeoutMs);
            continue;
        }
        auto conn = std::make_unique<Connection>();
        conn->idle.setSingleShot(true);
        conn->idle.setInterval(m_options.idleTimeoutMs);
        connect(&conn->idle, &QTimer::timeout, socket, [this, socket] { close(socket); });
        conn->idle.start();
        m_connections.emplace(socket, std::move(conn));
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
        connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
            if (m_connections.erase(socket) > 0) {
                socket->deleteLater();
            }
        });
        if (socket->bytesAvailable() > 0) {
            onReadyRead(socket);
        }
    }
}

void HttpServer::close(QTcpSocket* socket) {
    if (m_connections.erase(socket) > 0) {
        socket->disconnect(this);
        // The client may still be sending (a body over the limit, pipelined requests):
        // closing with unread data would reset the connection and lose the response.
        closeGracefully(socket, m_options.closeTimeoutMs);
    }
}

void HttpServer::respondAndClose(QTcpSocket* socket, const http::Response& response) {
    socket->write(http::serialize(response, false));
    close(socket);
}

void HttpServer::onReadyRead(QTcpSocket* socket) {
    auto it = m_connections.find(socket);
    if (it == m_connections.end()) {
        return;
    }
    it->second->idle.start();
    while (true) {
        // Peek, then consume what a complete request used; the rest stays in the socket.
        const QByteArray data = socket->peek(socket->bytesAvailable());
        http::Request request;
        const http::ParseResult parsed = http::parse(data, request);
        if (parsed.state == http::Parse::Incomplete) {
            return;
        }
        if (parsed.state == http::Parse::Error) {
            respondAndClose(socket,
                            http::jsonError(parsed.errorStatus,
                                            parsed.errorStatus == 413 ? "too_large" : "bad_request",
                                            QString::fromUtf8(parsed.errorText)));
            return;
        }
        socket->read(parsed.consumed);
        if (request.isWebSocketUpgrade()) {
            upgrade(socket, request);
            return;
        }
        const bool keepAlive = request.keepAlive() && m_accepting;
        socket->write(http::serialize(route(request), keepAlive));
        if (!keepAlive) {
            close(socket);
            return;
        }
    }
}

void HttpServer::upgrade(QTcpSocket* socket, const http::Request& request) {
    // RFC 6455 section 4.2: GET over HTTP/1.1, version 13 and a 16-byte key, or no upgrade.
    const QByteArray key = request.header("sec-websocket-key");
    if (request.path != m_options.webSocketPath) {
        respondAndClose(socket, http::jsonError(404, "not_found",
                                                "the WebSocket endpoint is " +
                                                    QString::fromUtf8(m_options.webSocketPath)));
    } else if (!m_accepting) {
        respondAndClose(socket, http::jsonError(503, "unavailable", "the node is shutting down"));
    } else if (request.method != "GET" || request.version != "HTTP/1.1") {
        respondAndClose(socket, http::jsonError(400, "bad_request",
                                                "a WebSocket upgrade is GET over HTTP/1.1"));
    } else if (request.header("sec-websocket-version") != "13") {
        http::Response r =
            http::jsonError(426, "upgrade_required", "only WebSocket version 13 is spoken");
        r.headers.append({QByteArray("Sec-WebSocket-Version"), QByteArray("13")});
        respondAndClose(socket, r);
    } else if (!ws::isValidClientKey(key)) {
        respondAndClose(socket,
                        http::jsonError(400, "bad_request",
                                        "Sec-WebSocket-Key must be the base64 of 16 bytes"));
    } else {
        m_connections.erase(socket);
        socket->disconnect(this);
        socket->write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
                      ws::acceptKey(key) + "\r\n\r\n");
        emit upgraded(socket, request);
    }
}

http::Response HttpServer::route(const http::Request& request) const {
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

} // namespace auralis::core
