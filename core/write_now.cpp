#include "core/write_now.h"

#include <QSslSocket>
#include <QTcpSocket>

#include <array>
#include <cerrno>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>

namespace auralis::core {

qint64 writeNow(QTcpSocket* socket, const QByteArray& bytes) {
    const QByteArrayView part(bytes);
    return writeNow(socket, &part, 1);
}

qint64 writeNow(QTcpSocket* socket, const QByteArrayView* parts, std::size_t count) {
    const auto* tls = qobject_cast<QSslSocket*>(socket);
    const bool plain = tls == nullptr || tls->mode() == QSslSocket::UnencryptedMode;
    qint64 total = 0;
    for (std::size_t i = 0; i < count; ++i) {
        total += parts[i].size();
    }
    qint64 done = 0;
    if (plain && count <= kMaxWriteParts && socket->bytesToWrite() == 0 &&
        socket->state() == QAbstractSocket::ConnectedState) {
        std::array<iovec, kMaxWriteParts> iov{};
        for (std::size_t i = 0; i < count; ++i) {
            iov[i].iov_base = const_cast<char*>(parts[i].data());
            iov[i].iov_len = static_cast<std::size_t>(parts[i].size());
        }
        msghdr msg{};
        msg.msg_iov = iov.data();
        msg.msg_iovlen = count;
        const ssize_t sent = ::sendmsg(static_cast<int>(socket->socketDescriptor()), &msg,
                                       MSG_DONTWAIT | MSG_NOSIGNAL);
        if (sent == total) {
            return sent;
        }
        done = sent > 0 ? sent : 0;
    }
    // What the kernel did not take (or everything, behind bytes Qt already holds, or over
    // TLS) goes to Qt's buffer in order.
    qint64 skip = done;
    qint64 buffered = 0;
    for (std::size_t i = 0; i < count; ++i) {
        const QByteArrayView part = parts[i];
        if (skip >= part.size()) {
            skip -= part.size();
            continue;
        }
        const qint64 n = socket->write(part.data() + skip, part.size() - skip);
        skip = 0;
        if (n < 0) {
            return done + buffered > 0 ? done + buffered : -1;
        }
        buffered += n;
    }
    return done + buffered;
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
