#include "core/ws_client.h"

#include <QCryptographicHash>
#include <QRandomGenerator>
#include <QtEndian>

namespace auralis::core {

namespace {
constexpr int kOpContinuation = 0;
constexpr int kOpText = 1;
constexpr int kOpBinary = 2;
constexpr int kOpClose = 8;
constexpr int kOpPing = 9;
constexpr int kOpPong = 10;
} // namespace

WsClient::WsClient(QObject* parent) : QObject(parent) {
    m_socket.setParent(this); // moves with the client between threads
    m_socket.setReadBufferSize(256 * 1024);
    connect(&m_socket, &QTcpSocket::connected, this, &WsClient::onConnected);
    connect(&m_socket, &QTcpSocket::readyRead, this, &WsClient::onReadyRead);
    connect(&m_socket, &QTcpSocket::disconnected, this, &WsClient::onDisconnected);
    connect(&m_socket, &QTcpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError) {
        if (m_state == State::Connecting || m_state == State::Handshake) {
            m_state = State::Closed;
            emit failed(m_socket.errorString());
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
    m_buffer.clear();
    m_message.clear();
    m_closeCode = 1006;
    m_closeReason.clear();
    m_state = State::Connecting;
    m_socket.connectToHost(url.host(), static_cast<quint16>(url.port(80)));
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
    request += "Host: " + m_url.host().toUtf8() + ':' + QByteArray::number(m_url.port(80)) + "\r\n";
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
    m_buffer += m_socket.readAll();
    if (m_state == State::Handshake && !parseHandshake()) {
        return;
    }
    if (m_state == State::Open || m_state == State::Closing) {
        parseFrames();
    }
}

bool WsClient::parseHandshake() {
    const qsizetype end = m_buffer.indexOf("\r\n\r\n");
    if (end < 0) {
        if (m_buffer.size() > 16384) {
            m_state = State::Closed;
            m_socket.abort();
            emit failed("invalid handshake response (too long)");
        }
        return false;
    }
    const QByteArray head = m_buffer.left(end);
    m_buffer.remove(0, end + 4);
    const QList<QByteArray> lines = head.split('\n');
    const QByteArray status = lines.front().trimmed();
    if (!status.startsWith("HTTP/1.1 101")) {
        m_state = State::Closed;
        m_socket.abort();
        emit failed("the server refused the WebSocket upgrade: " + QString::fromUtf8(status));
        return false;
    }
    const QByteArray expected =
        QCryptographicHash::hash(m_key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11",
                                 QCryptographicHash::Sha1)
            .toBase64();
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
    while (m_state == State::Open || m_state == State::Closing) {
        if (m_buffer.size() < 2) {
            return true;
        }
        const auto* p = reinterpret_cast<const unsigned char*>(m_buffer.constData());
        const bool fin = (p[0] & 0x80) != 0;
        const int opcode = p[0] & 0x0F;
        const bool masked = (p[1] & 0x80) != 0;
        quint64 length = p[1] & 0x7F;
        qsizetype header = 2;
        if (length == 126) {
            if (m_buffer.size() < 4) {
                return true;
            }
            length = qFromBigEndian<quint16>(p + 2);
            header = 4;
        } else if (length == 127) {
            if (m_buffer.size() < 10) {
                return true;
            }
            length = qFromBigEndian<quint64>(p + 2);
            header = 10;
        }
        if (length > static_cast<quint64>(kMaxMessageBytes)) {
            close(1009, "message too large");
            return false;
        }
        const qsizetype maskBytes = masked ? 4 : 0;
        if (m_buffer.size() < header + maskBytes + static_cast<qsizetype>(length)) {
            return true;
        }
        QByteArray payload = m_buffer.mid(header + maskBytes, static_cast<qsizetype>(length));
        if (masked) {
            const unsigned char* key = p + header;
            for (qsizetype i = 0; i < payload.size(); ++i) {
                payload[i] = static_cast<char>(payload[i] ^ static_cast<char>(key[i % 4]));
            }
        }
        m_buffer.remove(0, header + maskBytes + static_cast<qsizetype>(length));

        if (opcode == kOpPing) {
            sendFrame(kOpPong, payload);
        } else if (opcode == kOpPong) {
            // unsolicited pongs are allowed and ignored
        } else if (opcode == kOpClose) {
            m_closeCode = payload.size() >= 2 ? qFromBigEndian<quint16>(payload.constData()) : 1005;
            m_closeReason = QString::fromUtf8(payload.mid(2));
            if (m_state == State::Open) {
                sendFrame(kOpClose, payload.left(2));
            }
            m_state = State::Closing;
            m_socket.disconnectFromHost();
            return false;
        } else if (opcode == kOpText || opcode == kOpBinary || opcode == kOpContinuation) {
            if (opcode != kOpContinuation) {
                m_messageOpcode = opcode;
                m_message = payload;
            } else {
                m_message += payload;
            }
            if (m_message.size() > kMaxMessageBytes) {
                close(1009, "message too large");
                return false;
            }
            if (fin) {
                const QByteArray message = std::move(m_message);
                m_message.clear();
                if (m_messageOpcode == kOpText) {
                    emit textMessage(message);
                } else {
                    emit binaryMessage(message);
                }
            }
        } else {
            close(1002, "unknown opcode");
            return false;
        }
        if (!m_reading) {
            return true;
        }
    }
    return true;
}

void WsClient::sendFrame(int opcode, const QByteArray& payload) {
    if (m_socket.state() != QAbstractSocket::ConnectedState) {
        return;
    }
    QByteArray frame;
    frame.reserve(payload.size() + 14);
    frame.append(static_cast<char>(0x80 | opcode));
    const auto n = static_cast<quint64>(payload.size());
    if (n < 126) {
        frame.append(static_cast<char>(0x80 | n));
    } else if (n <= 0xFFFF) {
        frame.append(static_cast<char>(0x80 | 126));
        char len[2];
        qToBigEndian<quint16>(static_cast<quint16>(n), len);
        frame.append(len, 2);
    } else {
        frame.append(static_cast<char>(0x80 | 127));
        char len[8];
        qToBigEndian<quint64>(n, len);
        frame.append(len, 8);
    }
    char mask[4];
    const quint32 m = QRandomGenerator::global()->generate();
    std::memcpy(mask, &m, 4);
    frame.append(mask, 4);
    const qsizetype start = frame.size();
    frame.append(payload);
    for (qsizetype i = 0; i < payload.size(); ++i) {
        frame[start + i] = static_cast<char>(frame[start + i] ^ mask[i % 4]);
    }
    m_socket.write(frame);
}

void WsClient::sendText(const QByteArray& utf8) {
    if (m_state == State::Open) {
        sendFrame(kOpText, utf8);
    }
}

void WsClient::sendBinary(const QByteArray& data) {
    if (m_state == State::Open) {
        sendFrame(kOpBinary, data);
    }
}

void WsClient::close(int code, const QByteArray& reason) {
    if (m_state != State::Open) {
        return;
    }
    QByteArray payload(2, Qt::Uninitialized);
    qToBigEndian<quint16>(static_cast<quint16>(code), payload.data());
    payload += reason.left(123);
    sendFrame(kOpClose, payload);
    m_closeCode = code;
    m_closeReason = QString::fromUtf8(reason);
    m_state = State::Closing;
    m_socket.disconnectFromHost();
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
        m_buffer += m_socket.readAll();
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
    emit closed(code, reason);
}

} // namespace auralis::core
