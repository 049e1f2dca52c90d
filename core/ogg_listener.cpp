#include "core/ogg_listener.h"

#include "core/log.h"
#include "core/tcp_close.h"
#include "core/write_now.h"

#include <QTcpSocket>

namespace auralis::core {

OggListener::OggListener(SessionContext& context, QTcpSocket* socket, quint64 serial,
                         const QByteArray& head, qint64 nowUs, QObject* parent)
    : QObject(parent), m_ctx(context), m_socket(socket), m_serial(serial),
      m_remote(socket->peerAddress().toString() + ":" + QString::number(socket->peerPort())),
      m_connectedUs(nowUs) {
    socket->setParent(this);
    // The request is answered; whatever the client still sends is read and dropped.
    connect(socket, &QTcpSocket::readyRead, this, [this] { m_socket->readAll(); });
    connect(socket, &QTcpSocket::disconnected, this, &OggListener::disconnected);
    m_socket->write(head);
    serve(); // the headers and the burst at once when Opus is already encoded
}

OggListener::~OggListener() = default;

void OggListener::write(const QByteArray& bytes) {
    if (bytes.isEmpty()) {
        return;
    }
    const qint64 written = writeNow(m_socket, bytes);
    if (written > 0) {
        m_sentBytes += static_cast<std::uint64_t>(written);
        m_ctx.metrics.stream().httpSentBytes->Increment(static_cast<double>(written));
    }
}

void OggListener::serve() {
    if (m_closing) {
        return;
    }
    const qint64 now = m_ctx.clock.nowUs();
    // Room for about kLeadChunks chunks of unsent audio, as for a WebSocket listener.
    const bool room =
        m_socket->bytesToWrite() <= qint64{m_ctx.queueLimitChunks} * m_ctx.opusMessageBytes;
    const OggFeed::Step step = m_feed.next(m_ctx.ring, m_ctx.scheduler.liveSeq(), room);
    if (step.broken) {
        close(); // the Opus stream restarted: a player must start again with new headers
        return;
    }
    write(step.bytes);
    if (step.dropped > 0) {
        m_dropped += static_cast<std::uint64_t>(step.dropped);
        m_ctx.metrics.stream().httpDroppedChunks->Increment(step.dropped);
        if (m_stalledSinceUs < 0) {
            m_stalledSinceUs = now;
        }
    } else if (step.chunks > 0) {
        m_stalledSinceUs = -1;
    }
    if (m_stalledSinceUs >= 0 && now - m_stalledSinceUs > qint64{m_ctx.stallDisconnectMs} * 1000) {
        qCWarning(lcNode).noquote()
            << "stream.ogg listener" << m_remote << "is not reading; disconnecting";
        m_ctx.metrics.stream().httpSlowDisconnects->Increment();
        m_socket->abort(); // nothing more can reach it: no graceful close
        return;
    }
}

void OggListener::close() {
    if (m_closing) {
        return;
    }
    m_closing = true;
    m_socket->disconnect(this);
    m_socket->setParent(nullptr);
    connect(m_socket, &QObject::destroyed, this, &OggListener::disconnected);
    closeGracefully(m_socket, 2000);
}

} // namespace auralis::core
