// Writing to a plain TCP socket without a trip through the event loop: when Qt holds nothing
// unsent for it, the bytes go to the kernel at once (send, non-blocking) and only what the
// kernel does not take is left to QTcpSocket. Encrypted sockets always go through Qt. And
// how much a peer has not taken yet, kernel included. The socket's thread.
#pragma once

#include <QByteArray>

class QTcpSocket;

namespace auralis::core {

/// Like QTcpSocket::write(bytes): the bytes written or buffered, -1 on error.
qint64 writeNow(QTcpSocket* socket, const QByteArray& bytes);

/// Bytes written but not yet taken by the peer: Qt's buffer plus the kernel's send queue
/// (SIOCOUTQ: sent but unacknowledged, or not sent yet).
qint64 unsentBytes(const QTcpSocket* socket);

} // namespace auralis::core
