// Ending a TCP connection that may still be receiving without a reset: closing a socket with
// unread data makes the kernel answer with RST, and a peer that gets RST may lose what was
// sent last (a close frame, a 413). Socket's thread.
#pragma once

class QTcpSocket;

namespace auralis::core {

/// Flushes what was written, half-closes (FIN), then reads and discards whatever the peer
/// still sends until it closes too, or aborts after `timeoutMs`. Every other readyRead
/// handler of `socket` is disconnected; the socket is deleted later once it is closed.
void closeGracefully(QTcpSocket* socket, int timeoutMs);

} // namespace auralis::core
