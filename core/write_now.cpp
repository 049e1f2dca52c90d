#include "core/write_now.h"

#include <QSslSocket>
#include <QTcpSocket>

#include <cerrno>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

namespace auralis::core {

qint64 writeNow(QTcpSocket* socket, const QByteArray& bytes) {
    const auto* tls = qobject_cast<QSslSocket*>(socket);
    const bool plain = tls == nullptr || tls->mode() == QSslSocket::UnencryptedMode;
    if (!plain || socket->bytesToWrite() > 0 ||
        socket->state() != QAbstractSocket::ConnectedState) {
        return socket->write(bytes); // keep the order of what Qt already holds
    }
    const ssize_t sent =
        ::send(static_cast<int>(socket->socketDescriptor()), bytes.constData(),
               static_cast<std::size_t>(bytes.size()), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent == bytes.size()) {
        return sent;
    }
    // Partly taken (or not at all, or an error Qt will report on its own write): the rest
    // waits in Qt's buffer for the socket to drain.
    const qsizetype done = sent > 0 ? sent : 0;
    const qint64 rest = socket->write(bytes.constData() + done, bytes.size() - done);
    return rest < 0 ? (done > 0 ? done : -1) : done + rest;
}

qint64 unsentBytes(const QTcpSocket* socket) {
    int queued = 0;
    const auto fd = static_cast<int>(socket->socketDescriptor());
    if (fd < 0 || ::ioctl(fd, SIOCOUTQ, &queued) != 0) {
        queued = 0;
    }
    return socket->bytesToWrite() + queued;
}

} // namespace auralis::core
