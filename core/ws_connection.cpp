#include "core/ws_connection.h"

#include "core/write_now.h"

#include "core/tcp_close.h"

#include <QPointer>
#include <QTcpSocket>

#include <array>
#include <memory>

namespace auralis::core {

WsConnection::WsConnection(QTcpSocket* socket, qint64 maxMessageBytes, int closeTimeoutMs,
                           QObject* parent)
    : QObject(parent), m_socket(socket),
      m_reader(std::make_shared<ws::FrameReader>(ws::FrameReader::Role::Server, maxMessageBytes)),
      m_closeTimeoutMs(closeTimeoutMs), m_peerAddress(socket->peerAddress()),
      m_peerPort(socket->peerPort()) {
    socket->setParent(this);
    connect(socket, &QIODevice::readyRead, this, &WsConnection::onReadyRead);
    connect(socket, &QAbstractSocket::disconnected, this, &WsConnection::onSocketDisconnected);
    connect(socket, &QObject::destroyed, this, [this] {
        m_socket = nullptr;
        onSocketDisconnected();
    });
    if (socket->state() != QAbstractSocket::ConnectedState) {
        m_state = State::Closed;
    } else if (socket->bytesAvailable() > 0) {
        QMetaObject::invokeMethod(this, &WsConnection::onReadyRead, Qt::QueuedConnection);
    }
}

WsConnection::~WsConnection() {
    // The socket dies with us: no callbacks into a half-destroyed connection.
    if (m_socket != nullptr) {
        m_socket->disconnect(this);
    }
}

QByteArray WsConnection::frame(ws::Opcode opcode, const QByteArray& payload) {
    // One buffer per message: the socket's write buffer keeps each write as a block and
    // hands the kernel one block per call, so header and payload go out together.
    QByteArray f = ws::frameHeader(opcode, payload.size());
    f.reserve(f.size() + payload.size());
    f.append(payload);
    return f;
}

qint64 WsConnection::sendFrame(const QByteArray& frame) {
    if (m_state != State::Open || m_socket == nullptr) {
        return 0;
    }
    return m_socket->write(frame);
}

qint64 WsConnection::sendParts(ws::Opcode opcode, std::initializer_list<QByteArrayView> parts) {
    if (m_state != State::Open || m_socket == nullptr) {
        return 0;
    }
    qint64 length = 0;
    for (const QByteArrayView part : parts) {
        length += part.size();
    }
    const QByteArray header = ws::frameHeader(opcode, length);
    std::array<QByteArrayView, kMaxWriteParts> all{};
    all[0] = header;
    std::size_t count = 1;
    for (const QByteArrayView part : parts) {
        if (count < all.size()) {
            all[count] = part;
        }
        ++count; // beyond kMaxWriteParts, writeNow goes through Qt's buffer (still in order)
    }
    if (count > all.size()) {
        QByteArray whole = header; // more parts than a message of ours has: one copy
        for (const QByteArrayView part : parts) {
            whole.append(part);
        }
        return writeNow(m_socket, {QByteArrayView(whole)});
    }
    return writeNow(m_socket, all.data(), count);
}

qint64 WsConnection::sendText(const QByteArray& utf8) {
    if (m_state != State::Open || m_socket == nullptr) {
        return 0;
    }
    return m_socket->write(frame(ws::Opcode::Text, utf8));
}

qint64 WsConnection::sendBinary(const QByteArray& data) {
    if (m_state != State::Open || m_socket == nullptr) {
        return 0;
    }
    return m_socket->write(frame(ws::Opcode::Binary, data));
}

qint64 WsConnection::bytesToWrite() const {
    return m_socket != nullptr ? m_socket->bytesToWrite() : 0;
}

qint64 WsConnection::unsentBytes() const {
    return m_socket != nullptr ? core::unsentBytes(m_socket) : 0;
}

void WsConnection::close(int code, const QString& reason) {
    if (m_state != State::Open || m_socket == nullptr) {
        return;
    }
    closeWith(code, reason, ws::closePayload(code, reason));
}

void WsConnection::closeWith(int code, const QString& reason, const QByteArray& payload) {
    m_state = State::Closing;
    m_closeCode = code;
    m_closeReason = reason;
    m_socket->write(ws::encodeFrame(ws::Opcode::Close, payload));
    // Nothing more is sent; what the peer still sends (its close frame, data in flight) is
    // read and dropped until it closes, so it sees our close frame and not a reset.
    // The peer's close frame ends it (over TLS the only clean end): the same reader, which
    // knows where the peer's frames begin (also inside an oversized one), looks for it.
    std::shared_ptr<ws::FrameReader> reader = m_reader;
    reader->discardData();
    closeGracefully(m_socket, m_closeTimeoutMs, [reader](const QByteArray& received) {
        reader->append(received);
        for (auto e = reader->next(); e.kind != ws::FrameReader::Event::Kind::None;
             e = reader->next()) {
            if (e.kind == ws::FrameReader::Event::Kind::Close) {
                return true;
            }
        }
        return false;
    });
}

void WsConnection::abort() {
    if (m_socket != nullptr) {
        m_socket->abort();
    }
}

void WsConnection::onReadyRead() {
    if (m_state != State::Open || m_socket == nullptr) {
        return;
    }
    m_reader->append(m_socket->readAll());
    const QPointer<WsConnection> alive(this);
    while (alive && m_state == State::Open) {
        ws::FrameReader::Event e = m_reader->next();
        using Kind = ws::FrameReader::Event::Kind;
        switch (e.kind) {
        case Kind::None:
            return;
        case Kind::Text:
            emit textMessage(e.payload);
            break;
        case Kind::Binary:
            emit binaryMessage(e.payload);
            break;
        case Kind::Ping:
            m_socket->write(ws::encodeFrame(ws::Opcode::Pong, e.payload));
            emit pingReceived();
            break;
        case Kind::Pong:
            break; // unsolicited pongs are allowed (a heartbeat)
        case Kind::Close:
            // The peer started closing: echo its code (none: an empty close frame), then end.
            closeWith(e.code, e.reason,
                      e.code == ws::kCloseNoStatus ? QByteArray()
                                                   : ws::closePayload(e.code, QString()));
            return;
        case Kind::Error:
            closeWith(e.code, e.reason, ws::closePayload(e.code, e.reason));
            return;
        }
    }
}

void WsConnection::onSocketDisconnected() {
    m_state = State::Closed;
    if (!m_disconnectedEmitted) {
        m_disconnectedEmitted = true;
        emit disconnected(m_closeCode, m_closeReason);
    }
}

} // namespace auralis::core
