#include "core/tcp_close.h"

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
    GracefulCloser(QTcpSocket* socket, int timeoutMs) : QObject(socket), m_socket(socket) {
        QObject::disconnect(socket, &QIODevice::readyRead, nullptr, nullptr);
        connect(socket, &QIODevice::readyRead, this, &GracefulCloser::discard);
        connect(socket, &QIODevice::bytesWritten, this, &GracefulCloser::halfCloseWhenFlushed);
        connect(socket, &QAbstractSocket::disconnected, socket, &QObject::deleteLater);
        QTimer::singleShot(timeoutMs, this, [this] {
            m_socket->abort(); // the peer neither read nor closed in time
            m_socket->deleteLater();
        });
        discard();
        halfCloseWhenFlushed();
    }

private:
    void discard() { m_socket->skip(m_socket->bytesAvailable()); }

    void halfCloseWhenFlushed() {
        if (m_halfClosed || m_socket->bytesToWrite() > 0) {
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
    bool m_halfClosed = false;
};

} // namespace

void closeGracefully(QTcpSocket* socket, int timeoutMs) {
    if (socket->state() != QAbstractSocket::ConnectedState) {
        socket->deleteLater();
        return;
    }
    if (socket->property(kClosingProperty).toBool()) {
        return; // already closing
    }
    socket->setProperty(kClosingProperty, true);
    new GracefulCloser(socket, timeoutMs);
}

} // namespace auralis::core
