#include "core/http_server.h"

#include "core/tcp_close.h"
#include "protocol/ws_frame.h"

#include <QPointer>
#include <QSslServer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

namespace auralis::core {

namespace {
// What Qt reads ahead from the kernel per connection: one request of the largest size and
// some room. Beyond it TCP itself pushes back on a client that pipelines without end.
constexpr qint64 kReadBufferBytes = http::kMaxHeaderBytes + http::kMaxBodyBytes + 16 * 1024;
} // namespace

struct HttpServer::Connection {
    QHostAddress peer;
    QTimer idle;   // no request for idleTimeoutMs
    QTimer header; // the header block of the request in progress (408)
    QTimer write;  // a response the client has not taken
    qint64 lastActivityUs = 0;
    bool inRequest = false; // bytes of a request have arrived
};

HttpServer::HttpServer(Options options, AddressLimits& limits, const Clock& clock, QObject* parent)
    : QObject(parent), m_options(std::move(options)), m_limits(limits), m_clock(clock) {}

HttpServer::~HttpServer() = default;

bool HttpServer::listen(const QHostAddress& address, quint16 port, QString* error) {
    if (m_options.tls) {
        // https and wss on the same port: the TLS handshake (within handshakeTimeout) comes
        // before a connection is handed out.
        auto* ssl = new QSslServer(this);
        ssl->setSslConfiguration(*m_options.tls);
        ssl->setHandshakeTimeout(m_options.headerTimeoutMs);
        m_tcp = ssl;
    } else {
        m_tcp = new QTcpServer(this);
    }
    connect(m_tcp, &QTcpServer::pendingConnectionAvailable, this, &HttpServer::onNewConnection);
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

bool HttpServer::makeRoom() {
    // The connection that has gone longest without completing a request gives way: a stalled
    // or idle one, never one that is being answered. Listeners can always get in.
    QTcpSocket* oldest = nullptr;
    qint64 oldestUs = 0;
    for (auto& [socket, conn] : m_connections) {
        if (socket->bytesToWrite() == 0 && (oldest == nullptr || conn->lastActivityUs < oldestUs)) {
            oldest = socket;
            oldestUs = conn->lastActivityUs;
        }
    }
    if (oldest == nullptr) {
        return false;
    }
    abort(oldest);
    return true;
}

void HttpServer::onNewConnection() {
    while (QTcpSocket* socket = m_tcp->nextPendingConnection()) {
        socket->setParent(this);
        const QHostAddress peer = socket->peerAddress();
        const auto refuse = [&](int status, const QString& why) {
            http::Response r =
                http::jsonError(status, status == 429 ? "too_many" : "unavailable", why);
            r.headers.append({QByteArray("Retry-After"), QByteArray("1")});
            socket->write(http::serialize(r, false));
            closeGracefully(socket, m_options.closeTimeoutMs);
        };
        if (!m_accepting) {
            refuse(503, "the node is shutting down");
            continue;
        }
        if (!m_limits.openConnection(peer)) {
            refuse(429, "too many connections from this address");
            continue;
        }
        if (connectionCount() >= m_options.maxConnections && !makeRoom()) {
            m_limits.closeConnection(peer);
            refuse(503, "too many connections");
            continue;
        }
        auto conn = std::make_unique<Connection>();
        conn->peer = peer;
        conn->lastActivityUs = m_clock.nowUs();
        for (QTimer* t : {&conn->idle, &conn->header, &conn->write}) {
            t->setSingleShot(true);
        }
        conn->idle.setInterval(m_options.idleTimeoutMs);
        conn->header.setInterval(m_options.headerTimeoutMs);
        conn->write.setInterval(m_options.writeTimeoutMs);
        connect(&conn->idle, &QTimer::timeout, socket, [this, socket] {
            // Idle, but still holding a response the client never took: cut, do not linger.
            socket->bytesToWrite() > 0 ? abort(socket) : close(socket);
        });
        connect(&conn->header, &QTimer::timeout, socket, [this, socket] {
            respondAndClose(
                socket,
                http::jsonError(408, "timeout", "the request's headers did not arrive in time"));
        });
        connect(&conn->write, &QTimer::timeout, socket, [this, socket] { abort(socket); });
        conn->header.start(); // a new connection sends its first request in time, or goes
        m_connections.emplace(socket, std::move(conn));
        socket->setReadBufferSize(kReadBufferBytes);
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
        connect(socket, &QTcpSocket::bytesWritten, this,
                [this, socket] { onBytesWritten(socket); });
        connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
            if (m_connections.count(socket) > 0) {
                forget(socket);
                socket->deleteLater();
            }
        });
        if (socket->bytesAvailable() > 0) {
            onReadyRead(socket);
        }
    }
}

void HttpServer::forget(QTcpSocket* socket) {
    const auto it = m_connections.find(socket);
    if (it != m_connections.end()) {
        m_limits.closeConnection(it->second->peer);
        m_connections.erase(it);
    }
}

void HttpServer::close(QTcpSocket* socket) {
    if (m_connections.count(socket) > 0) {
        forget(socket);
        socket->disconnect(this);
        // The client may still be sending (a body over the limit, pipelined requests):
        // closing with unread data would reset the connection and lose the response.
        closeGracefully(socket, m_options.closeTimeoutMs);
    }
}

void HttpServer::abort(QTcpSocket* socket) {
    if (m_connections.count(socket) > 0) {
        forget(socket);
        socket->disconnect(this);
        socket->abort();
        socket->deleteLater();
    }
}

void HttpServer::respondAndClose(QTcpSocket* socket, const http::Response& response) {
    socket->write(http::serialize(response, false));
    close(socket);
}

void HttpServer::onBytesWritten(QTcpSocket* socket) {
    const auto it = m_connections.find(socket);
    if (it == m_connections.end() || socket->bytesToWrite() > 0) {
        return;
    }
    it->second->write.stop();
    if (socket->bytesAvailable() > 0) {
        onReadyRead(socket); // the next pipelined request, now that this response is out
    }
}

void HttpServer::onReadyRead(QTcpSocket* socket) {
    const auto it = m_connections.find(socket);
    if (it == m_connections.end()) {
        return;
    }
    Connection& conn = *it->second;
    if (socket->bytesToWrite() > 0) {
        return; // one response at a time: the next request is read once this one is out
    }
    if (!conn.inRequest && socket->bytesAvailable() > 0) {
        conn.inRequest = true;
        conn.idle.stop();
        conn.header.start();
    }
    // Peek, then consume what the complete request used; the rest stays in the socket.
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
    request.peer = AddressLimits::key(conn.peer) + ":" + QString::number(socket->peerPort());
    conn.inRequest = false;
    conn.header.stop();
    conn.lastActivityUs = m_clock.nowUs();
    handle(socket, conn, request);
}

void HttpServer::handle(QTcpSocket* socket, Connection& conn, const http::Request& request) {
    if (!m_limits.allowRequest(conn.peer)) {
        http::Response r =
            http::jsonError(429, "too_many", "too many requests from this address; slow down");
        r.headers.append({QByteArray("Retry-After"), QByteArray("1")});
        respondAndClose(socket, r);
        return;
    }
    if (!hostAllowed(request.header("host"), m_options.policy)) {
        respondAndClose(socket,
                        http::jsonError(421, "misdirected",
                                        "this node does not answer to the host '" +
                                            QString::fromLatin1(request.header("host")) +
                                            "' (use its address, or start it with --allow-host)"));
        return;
    }
    const bool upgradeRequest = request.isWebSocketUpgrade();
    if ((upgradeRequest || request.method == "POST") && !originAllowed(request, m_options.policy)) {
        respondAndClose(socket, http::jsonError(403, "forbidden_origin",
                                                "requests from the page at " +
                                                    QString::fromLatin1(request.header("origin")) +
                                                    " are not accepted (see --allow-origin)"));
        return;
    }
    if (upgradeRequest) {
        upgrade(socket, request);
        return;
    }
    if (m_options.streamPaths.contains(request.path) &&
        (request.method == "GET" || request.method == "HEAD")) {
        if (!m_accepting) {
            respondAndClose(socket,
                            http::jsonError(503, "unavailable", "the node is shutting down"));
            return;
        }
        forget(socket);
        socket->disconnect(this);
        socket->setReadBufferSize(4096);
        emit streamRequested(socket, request);
        return;
    }
    const bool keepAlive = request.keepAlive() && m_accepting;
    socket->write(http::serialize(route(request), keepAlive));
    if (!keepAlive) {
        close(socket);
        return;
    }
    conn.write.start(); // stopped once the response is out (onBytesWritten)
    conn.idle.start();
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
        forget(socket);
        socket->disconnect(this);
        socket->setReadBufferSize(0); // the WebSocket reads for itself
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
        response.headOnly = true; // GET's headers, Content-Length included; no body
    }
    return response;
}

} // namespace auralis::core
