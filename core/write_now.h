// Writing to a plain TCP socket without a trip through the event loop: when Qt holds nothing
// unsent for it, the bytes go to the kernel at once (send, non-blocking) and only what the
// kernel does not take is left to QTcpSocket. Encrypted sockets always go through Qt. And
// how much a peer has not taken yet, kernel included. The socket's thread.
#pragma once

#include <QByteArray>
#include <QByteArrayView>

#include <cstddef>
#include <initializer_list>

class QTcpSocket;

namespace auralis::core {

/// Like QTcpSocket::write(bytes): the bytes written or buffered, -1 on error.
qint64 writeNow(QTcpSocket* socket, const QByteArray& bytes);

/// The parts, in order, as one write (sendmsg with one iovec per part, so a chunk's bytes
/// shared by every listener are never copied when the kernel takes them at once); what the
/// kernel does not take is left to Qt's buffer. The bytes written or buffered, -1 on error.
/// More than kMaxWriteParts parts go through Qt's buffer.
qint64 writeNow(QTcpSocket* socket, const QByteArrayView* parts, std::size_t count);
inline constexpr std::size_t kMaxWriteParts = 8;
inline qint64 writeNow(QTcpSocket* socket, std::initializer_list<QByteArrayView> parts) {
    return writeNow(socket, parts.begin(), parts.size());
}

/// Bytes written but not yet taken by the peer: Qt's buffer plus the kernel's send queue
/// (SIOCOUTQ: sent but unacknowledged, or not sent yet).
qint64 unsentBytes(const QTcpSocket* socket);

} // namespace auralis::core
