#include "core/tcp_close.h"

#include <QSslSocket>
#include <QTcpSocket>
#include <QTimer>
#include <QVariant>

#include <sys/socket.h>

namespace auralis::core {

namespace {

constexpr const char* kClosingProperty = "auralisClosingGracefully";

// Lives as a child of the socket it closes.
class GracefulCloser : public QObject {
public:
    GracefulCloser(QTcpSocket* socket, int timeoutMs, PeerDone peerDone)
        : QObject(socket), m_socket(socket), m_peerDone(std::move(peerDone)) {
        auto* tls = qobject_cast<QSslSocket*>(socket);
        // Over TLS a bare FIN (no close_notify) is an error to the peer's TLS library, which may
        // then drop the last records: there the node waits for the peer to finish instead.
        m_mayHalfClose = tls == nullptr || !tls->isEncrypted();
        QObject::disconnect(socket, &QIODevice::readyRead, nullptr, nullptr);
        connect(socket, &QIODevice::readyRead, this, &GracefulCloser::discard);
        connect(socket, &QIODevice::bytesWritten, this, &GracefulCloser::halfCloseWhenFlushed);
        if (tls != nullptr) {
            connect(tls, &QSslSocket::encryptedBytesWritten, this,
                    &GracefulCloser::halfCloseWhenFlushed);
        }
        connect(socket, &QAbstractSocket::disconnected, socket, &QObject::deleteLater);
        QTimer::singleShot(timeoutMs, this, [this] {
            m_socket->abort(); // the peer neither read nor closed in time
            m_socket->deleteLater();
        });
        discard();
        halfCloseWhenFlushed();
    }

private:
    void discard() {
        const QByteArray data = m_socket->read(m_socket->bytesAvailable());
        if (m_peerDone && !m_finishing && m_peerDone(data)) {
            // The peer said its last word (its close frame): nothing more will come, so the
            // connection can end now without leaving unread data behind.
            m_finishing = true;
            m_socket->disconnectFromHost();
        }
    }

    void halfCloseWhenFlushed() {
        const auto* tls = qobject_cast<QSslSocket*>(m_socket);
        if (!m_mayHalfClose || m_halfClosed || m_socket->bytesToWrite() > 0 ||
            (tls != nullptr && tls->encryptedBytesToWrite() > 0)) {
            return;
        }
        m_halfClosed = true;
        const qintptr fd = m_socket->socketDescriptor();
        if (fd < 0 || ::shutdown(static_cast<int>(fd), SHUT_WR) != 0) {
            m_socket->abort(); // already gone: nothing left to protect
            m_socket->deleteLater();
        }
    }

    QTcpSocket* m_socket;
    PeerDone m_peerDone;
    bool m_mayHalfClose = true;
    bool m_halfClosed = false;
    bool m_finishing = false;
};

} // namespace

void closeGracefully(QTcpSocket* socket, int timeoutMs, PeerDone peerDone) {
    if (socket->state() != QAbstractSocket::ConnectedState) {
        socket->deleteLater();
        return;
    }
    if (socket->property(kClosingProperty).toBool()) {
        return; // already closing
    }
    socket->setProperty(kClosingProperty, true);
    new GracefulCloser(socket, timeoutMs, std::move(peerDone));
}

} // namespace auralis::core
