// Ending a TCP connection that may still be receiving without a reset: closing a socket with
// unread data makes the kernel answer with RST, and a peer that gets RST may lose what was
// sent last (a close frame, a 413). Socket's thread.
#pragma once

#include <QByteArray>

#include <functional>

class QTcpSocket;

namespace auralis::core {

/// Given what the peer sent after the close began, true once the peer has said its last word
/// (for a WebSocket: its close frame).
using PeerDone = std::function<bool(const QByteArray& received)>;

/// Flushes what was written, half-closes (FIN; over TLS not: a bare FIN is an error there),
/// then reads and discards whatever the peer still sends until it closes too, or until
/// `peerDone` says it finished, or aborts after `timeoutMs`. Every other readyRead handler of
/// `socket` is disconnected; the socket is deleted later once it is closed.
void closeGracefully(QTcpSocket* socket, int timeoutMs, PeerDone peerDone = {});

} // namespace auralis::core
