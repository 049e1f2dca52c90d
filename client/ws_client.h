// A small RFC 6455 WebSocket client on QTcpSocket for listeners and the load generator.
// Unlike QWebSocket it can stop reading (so the node sees real TCP back-pressure) and it
// hands messages over as bytes without a QString conversion. Lives in one thread.
#pragma once

#include "protocol/ws_frame.h"

#include <QByteArray>
#include <QObject>
#include <QSslSocket>
#include <QTimer>
#include <QUrl>

namespace auralis::client {

class WsClient : public QObject {
    Q_OBJECT
public:
    explicit WsClient(QObject* parent = nullptr);
    ~WsClient() override;

    /// ws://host:port/path?query, or wss:// over TLS. Emits opened() or failed().
    void open(const QUrl& url);
    /// For wss://: also trust these CA certificates (a self-signed node), or, with `insecure`,
    /// accept any certificate (testing only).
    void setTls(const QList<QSslCertificate>& extraCaCertificates, bool insecure);
    void sendText(const QByteArray& utf8);
    void sendBinary(const QByteArray& data);
    /// Starts the closing handshake (before the handshake completed: aborts).
    void close(int code = 1000, const QByteArray& reason = {});
    void abort();
    bool isOpen() const { return m_state == State::Open; }
    /// True from open() until the connection has ended (closed, aborted or failed).
    bool isActive() const { return m_state != State::Idle && m_state != State::Closed; }

    /// While false nothing is read from the socket: the kernel buffers fill and the sender
    /// is throttled by TCP, as with a listener that stopped reading.
    void setReading(bool reading);
    bool isReading() const { return m_reading; }

    static constexpr qint64 kMaxMessageBytes = 4 * 1024 * 1024;
    /// How long close() waits for the server's close frame before cutting the connection.
    static constexpr int kCloseTimeoutMs = 2000;

signals:
    void opened();
    void textMessage(const QByteArray& utf8);
    void binaryMessage(const QByteArray& data);
    /// The connection ended: close code (1006 when there was no close frame) and reason.
    void closed(int code, const QString& reason);
    void failed(const QString& error);

private:
    enum class State { Idle, Connecting, Handshake, Open, Closing, Closed };
    void onConnected();
    void onReadyRead();
    void onDisconnected();
    bool parseHandshake();
    bool parseFrames();
    void sendFrame(ws::Opcode opcode, const QByteArray& payload);
    void finish(int code, const QString& reason);

    QSslSocket m_socket; // plain TCP for ws://, TLS for wss://
    State m_state = State::Idle;
    QUrl m_url;
    QByteArray m_key;
    QByteArray m_handshake; // the server's handshake response as it arrives
    ws::FrameReader m_reader{ws::FrameReader::Role::Client, kMaxMessageBytes};
    QTimer m_closeTimer;
    QList<QSslCertificate> m_extraCa;
    bool m_insecure = false;
    QString m_tlsError;
    bool m_reading = true;
    int m_closeCode = 1006;
    QString m_closeReason;
};

} // namespace auralis::client
