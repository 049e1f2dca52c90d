#include "client/ws_client.h"

#include <QSslConfiguration>

#include <QRandomGenerator>
#include <QtEndian>

namespace auralis::client {

WsClient::WsClient(QObject* parent) : QObject(parent) {
    m_socket.setParent(this); // moves with the client between threads
    m_socket.setReadBufferSize(256 * 1024);
    // Plain: the handshake goes out once connected; TLS: once encrypted.
    connect(&m_socket, &QTcpSocket::connected, this, [this] {
        if (m_url.scheme() != "wss") {
            onConnected();
        }
    });
    connect(&m_socket, &QSslSocket::encrypted, this, &WsClient::onConnected);
    connect(&m_socket, &QSslSocket::sslErrors, this, [this](const QList<QSslError>& errors) {
        if (m_insecure) {
            m_socket.ignoreSslErrors();
        } else if (!errors.isEmpty()) {
            m_tlsError = errors.front().errorString();
        }
    });
    connect(&m_socket, &QTcpSocket::readyRead, this, &WsClient::onReadyRead);
    connect(&m_socket, &QTcpSocket::disconnected, this, &WsClient::onDisconnected);
    m_closeTimer.setParent(this);
    m_closeTimer.setSingleShot(true);
    m_closeTimer.setInterval(kCloseTimeoutMs);
    connect(&m_closeTimer, &QTimer::timeout, this, [this] {
        if (m_state == State::Closing) {
            m_socket.abort(); // the server did not finish the closing handshake in time
        }
    });
    connect(&m_socket, &QTcpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError) {
        if (m_state == State::Connecting || m_state == State::Handshake) {
            m_state = State::Closed;
            emit failed(m_tlsError.isEmpty() ? m_socket.errorString()
                                             : "TLS: " + m_tlsError + " (see --ca-file)");
        } else if (m_state == State::Open || m_state == State::Closing) {
            onDisconnected();
        }
    });
}

WsClient::~WsClient() {
    // The socket's own teardown must not call back into a half-destroyed client.
    m_socket.disconnect(this);
    m_socket.abort();
}

void WsClient::open(const QUrl& url) {
    m_url = url;
    m_handshake.clear();
    m_tlsError.clear();
    m_closeTimer.stop();
    m_closeCode = ws::kCloseAbnormal;
    m_closeReason.clear();
    m_state = State::Connecting;
    if (url.scheme() == "wss") {
        QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
        if (!m_extraCa.isEmpty()) {
            tls.addCaCertificates(m_extraCa);
        }
        m_socket.setSslConfiguration(tls);
        m_socket.connectToHostEncrypted(url.host(), static_cast<quint16>(url.port(443)));
    } else {
        m_socket.connectToHost(url.host(), static_cast<quint16>(url.port(80)));
    }
}

void WsClient::setTls(const QList<QSslCertificate>& extraCaCertificates, bool insecure) {
    m_extraCa = extraCaCertificates;
    m_insecure = insecure;
}

void WsClient::onConnected() {
    QByteArray nonce(16, Qt::Uninitialized);
    for (char& c : nonce) {
        c = static_cast<char>(QRandomGenerator::global()->bounded(256));
    }
    m_key = nonce.toBase64();
    QByteArray target = m_url.path(QUrl::FullyEncoded).toUtf8();
    if (target.isEmpty()) {
        target = "/";
    }
    if (m_url.hasQuery()) {
        target += '?' + m_url.query(QUrl::FullyEncoded).toUtf8();
    }
    QByteArray request = "GET " + target + " HTTP/1.1\r\n";
    const int port = m_url.port(m_url.scheme() == "wss" ? 443 : 80);
    const QByteArray host =
        m_url.host().contains(':') ? "[" + m_url.host().toUtf8() + "]" : m_url.host().toUtf8();
    request += "Host: " + host + ':' + QByteArray::number(port) + "\r\n";
    request += "Upgrade: websocket\r\nConnection: Upgrade\r\n";
    request += "Sec-WebSocket-Key: " + m_key + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
    m_state = State::Handshake;
    m_socket.write(request);
}

void WsClient::setReading(bool reading) {
    m_reading = reading;
    if (reading) {
        onReadyRead();
    }
}

void WsClient::onReadyRead() {
    if (!m_reading && m_state == State::Open) {
        return; // leave the bytes with the kernel: TCP back-pressure reaches the sender
    }
    if (m_state == State::Handshake) {
        m_handshake += m_socket.readAll();
        if (!parseHandshake()) {
            return;
        }
    } else {
        m_reader.append(m_socket.readAll());
    }
    if (m_state == State::Open || m_state == State::Closing) {
        parseFrames();
    }
}

bool WsClient::parseHandshake() {
    const qsizetype end = m_handshake.indexOf("\r\n\r\n");
    if (end < 0) {
        if (m_handshake.size() > 16384) {
            m_state = State::Closed;
            m_socket.abort();
            emit failed("invalid handshake response (too long)");
        }
        return false;
    }
    const QByteArray head = m_handshake.left(end);
    m_reader = ws::FrameReader(ws::FrameReader::Role::Client, kMaxMessageBytes);
    m_reader.append(QByteArrayView(m_handshake).sliced(end + 4)); // frames right behind it
    m_handshake.clear();
    const QList<QByteArray> lines = head.split('\n');
    const QByteArray status = lines.front().trimmed();
    if (!status.startsWith("HTTP/1.1 101")) {
        m_state = State::Closed;
        m_socket.abort();
        emit failed("the server refused the WebSocket upgrade: " + QString::fromUtf8(status));
        return false;
    }
    const QByteArray expected = ws::acceptKey(m_key);
    bool accepted = false;
    for (const QByteArray& line : lines) {
        const qsizetype colon = line.indexOf(':');
        if (colon > 0 && line.left(colon).trimmed().toLower() == "sec-websocket-accept") {
            accepted = line.mid(colon + 1).trimmed() == expected;
        }
    }
    if (!accepted) {
        m_state = State::Closed;
        m_socket.abort();
        emit failed("the server's Sec-WebSocket-Accept does not match");
        return false;
    }
    m_state = State::Open;
    emit opened();
    return true;
}

bool WsClient::parseFrames() {
    using Kind = ws::FrameReader::Event::Kind;
    while (m_state == State::Open || m_state == State::Closing) {
        ws::FrameReader::Event e = m_reader.next();
        switch (e.kind) {
        case Kind::None:
            return true;
        case Kind::Text:
            emit textMessage(e.payload);
            break;
        case Kind::Binary:
            emit binaryMessage(e.payload);
            break;
        case Kind::Ping:
            sendFrame(ws::Opcode::Pong, e.payload);
            break;
        case Kind::Pong:
            break; // unsolicited pongs are allowed and ignored
        case Kind::Close:
            if (m_state == State::Open) {
                // The server closes: answer with its code, then the connection ends.
                m_closeCode = e.code;
                m_closeReason = e.reason;
                sendFrame(ws::Opcode::Close, e.code == ws::kCloseNoStatus
                                                 ? QByteArray()
                                                 : ws::closePayload(e.code, QString()));
            }
            // Either way the server sends nothing more: closing now leaves no unread data.
            m_state = State::Closing;
            m_closeTimer.stop();
            m_socket.disconnectFromHost();
            return false;
        case Kind::Error:
            close(e.code, e.reason.toUtf8());
            return false;
        }
        if (!m_reading && m_state == State::Open) {
            return true;
        }
    }
    return true;
}

void WsClient::sendFrame(ws::Opcode opcode, const QByteArray& payload) {
    if (m_socket.state() != QAbstractSocket::ConnectedState) {
        return;
    }
    const quint32 mask = QRandomGenerator::global()->generate();
    m_socket.write(ws::encodeFrame(opcode, payload, &mask));
}

void WsClient::sendText(const QByteArray& utf8) {
    if (m_state == State::Open) {
        sendFrame(ws::Opcode::Text, utf8);
    }
}

void WsClient::sendBinary(const QByteArray& data) {
    if (m_state == State::Open) {
        sendFrame(ws::Opcode::Binary, data);
    }
}

void WsClient::close(int code, const QByteArray& reason) {
    if (m_state == State::Connecting || m_state == State::Handshake) {
        abort(); // nothing to close gracefully yet
        return;
    }
    if (m_state != State::Open) {
        return;
    }
    sendFrame(ws::Opcode::Close, ws::closePayload(code, QString::fromUtf8(reason)));
    m_closeCode = code;
    m_closeReason = QString::fromUtf8(reason);
    m_state = State::Closing;
    // Keep reading (and dropping) until the server's close frame: closing the socket with
    // its audio still unread would reset the connection. A server that never answers is cut.
    m_reader.discardData();
    m_closeTimer.start();
    if (m_socket.bytesAvailable() > 0) {
        QMetaObject::invokeMethod(this, &WsClient::onReadyRead, Qt::QueuedConnection);
    }
}

void WsClient::abort() {
    m_socket.abort();
    if (m_state != State::Closed && m_state != State::Idle) {
        finish(1006, "aborted");
    }
}

void WsClient::onDisconnected() {
    if (m_state == State::Connecting || m_state == State::Handshake) {
        m_state = State::Closed;
        emit failed("connection closed during the handshake");
        return;
    }
    if (m_state == State::Open || m_state == State::Closing) {
        // A peer may close right after its close frame (even with a reset): take what
        // arrived first, so its close code is not lost.
        m_reader.append(m_socket.readAll());
        const bool reading = m_reading;
        m_reading = true;
        parseFrames();
        m_reading = reading;
        if (m_state != State::Closed) {
            finish(m_closeCode, m_closeReason);
        }
    }
}

void WsClient::finish(int code, const QString& reason) {
    m_state = State::Closed;
    m_closeTimer.stop();
    emit closed(code, reason);
}

} // namespace auralis::client
