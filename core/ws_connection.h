// One WebSocket connection on the node's side, after the 101 response: frames out, the
// client's messages in (strict RFC 6455 reading, see ws_frame.h), pings answered and
// reported, and closes that the peer always sees: the close frame goes out, then the node
// half-closes and discards input until the peer closes or a timeout (never a reset).
// Lives in one thread (its I/O loop's, or the node's for a refusal).
#pragma once

#include "protocol/ws_frame.h"

#include <QHostAddress>
#include <QObject>

#include <initializer_list>
#include <memory>

class QTcpSocket;

namespace auralis::core {

class WsConnection : public QObject {
    Q_OBJECT
public:
    /// Takes `socket` over (it becomes a child). Bytes already buffered in it are frames.
    WsConnection(QTcpSocket* socket, qint64 maxMessageBytes, int closeTimeoutMs,
                 QObject* parent = nullptr);
    ~WsConnection() override;

    /// True until a close frame was sent or received, or the connection dropped.
    bool isOpen() const { return m_state == State::Open; }
    qint64 sendText(const QByteArray& utf8);
    qint64 sendBinary(const QByteArray& data);
    /// A complete frame, e.g. built once for many listeners (shared, not copied). Returns
    /// the bytes accepted (0 when not open).
    qint64 sendFrame(const QByteArray& frame);
    /// One message of `opcode` whose payload is `parts` in order, written without copying
    /// them (core::writeNow): the bytes shared by many listeners stay shared. Returns the
    /// bytes accepted, frame header included (0 when not open); at most 7 parts.
    qint64 sendParts(ws::Opcode opcode, std::initializer_list<QByteArrayView> parts);
    /// Bytes on the wire of a frame this side sends with `payload` bytes (unmasked).
    static constexpr qint64 frameBytes(qint64 payload) {
        return payload + (payload < 126 ? 2 : payload < 65536 ? 4 : 10);
    }
    /// Starts the closing handshake with `code` (RFC 6455) and a reason of <= 123 bytes.
    void close(int code, const QString& reason);
    void abort();
    /// Bytes accepted but not yet handed to the kernel.
    qint64 bytesToWrite() const;
    /// Written but not yet taken by the peer, the kernel's send queue included.
    qint64 unsentBytes() const;
    QHostAddress peerAddress() const { return m_peerAddress; }
    quint16 peerPort() const { return m_peerPort; }

signals:
    void textMessage(const QByteArray& utf8);
    void binaryMessage(const QByteArray& data);
    /// The peer pinged (already answered with a pong); counts toward message rate limits.
    void pingReceived();
    /// The TCP connection is gone; `code` is the close code this side sent or received
    /// (1006 when no close frame was exchanged). Emitted once.
    void disconnected(int code, const QString& reason);

private:
    enum class State { Open, Closing, Closed };
    void onReadyRead();
    void onSocketDisconnected();
    void closeWith(int code, const QString& reason, const QByteArray& payload);
    static QByteArray frame(ws::Opcode opcode, const QByteArray& payload);

    QTcpSocket* m_socket;                      // null once the closed socket was deleted
    std::shared_ptr<ws::FrameReader> m_reader; // shared with the closer, which reads on
    int m_closeTimeoutMs;
    State m_state = State::Open;
    int m_closeCode = ws::kCloseAbnormal;
    QString m_closeReason;
    QHostAddress m_peerAddress;
    quint16 m_peerPort = 0;
    bool m_disconnectedEmitted = false;
};

} // namespace auralis::core
