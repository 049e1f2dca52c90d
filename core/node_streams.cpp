// The node's Opus takers other than WebSocket sessions: GET /stream.ogg listeners (admitted,
// served together, removed) and the demand that starts or stops the Opus encoder. Node's
// thread. Part of Node (core/node.h).
#include "core/node.h"

#include "core/log.h"
#include "core/ogg_listener.h"
#include "core/pacing_queue.h"
#include "core/tcp_close.h"

#include <QTcpSocket>

namespace auralis::core {

void Node::updateOpusDemand() {
    const bool icecast =
        m_icecast != nullptr && m_icecast->state() != IcecastSource::State::Stopped;
    m_scheduler->setOpusWanted(m_opusSessions > 0 || !m_ogg.empty() || icecast);
}

void Node::admitStream(QTcpSocket* socket, const http::Request& request) {
    socket->setParent(this);
    const QHostAddress peer = socket->peerAddress();
    // What Icecast answers a listener: an endless Ogg body, delimited by the close.
    const QByteArray head = "HTTP/1.1 200 OK\r\nContent-Type: audio/ogg\r\n"
                            "Cache-Control: no-cache, no-store\r\n"
                            "X-Content-Type-Options: nosniff\r\nConnection: close\r\n"
                            "icy-name: " +
                            m_config.streamName.toUtf8() +
                            "\r\nicy-description: " + m_config.streamDescription.toUtf8() +
                            "\r\nicy-br: " + QByteArray::number(m_config.opusBitrate / 1000) +
                            "\r\n\r\n";
    const auto refuse = [&](int status, const QString& why) {
        http::Response r = http::jsonError(status, "server_full", why);
        r.headers.append({QByteArray("Retry-After"), QByteArray("5")});
        socket->write(http::serialize(r, false));
        closeGracefully(socket, m_config.closeTimeoutMs);
    };
    if (request.method == "HEAD") {
        socket->write(head);
        closeGracefully(socket, m_config.closeTimeoutMs);
        return;
    }
    const bool full = listenerCount() + httpStreamListenerCount() >= m_config.maxClients;
    if (m_shuttingDown || full || !m_limits.admitListener(peer)) {
        refuse(503, m_shuttingDown ? QString("the node is shutting down")
                    : full         ? QString("server full: %1 listeners").arg(m_config.maxClients)
                                   : QString("too many listeners from %1 (at most %2 per address)")
                                 .arg(AddressLimits::key(peer))
                                 .arg(m_config.perAddress.listeners));
        return;
    }
    socket->setSocketOption(QAbstractSocket::SendBufferSizeSocketOption,
                            m_config.socketSendBufferBytes);
    const quint64 serial = m_nextSerial++;
    auto* listener = new OggListener(*m_context, socket, serial, head, m_clock->nowUs(), this);
    m_ogg.emplace(serial, listener);
    connect(listener, &OggListener::disconnected, this,
            [this, serial] { removeStreamListener(serial); });
    updateOpusDemand();
    if (!m_oggTick.isActive()) {
        m_oggTick.start();
    }
    qCInfo(lcNode).noquote() << QString("stream.ogg listener from %1; %2 listening to Ogg")
                                    .arg(listener->remote())
                                    .arg(httpStreamListenerCount());
}

void Node::removeStreamListener(quint64 serial) {
    const auto it = m_ogg.find(serial);
    if (it == m_ogg.end()) {
        return;
    }
    OggListener* listener = it->second;
    m_ogg.erase(it);
    if (m_ogg.empty()) {
        m_oggTick.stop();
    }
    m_limits.releaseListener(listener->socket()->peerAddress());
    listener->deleteLater(); // it may be inside serve() now
    qCInfo(lcNode).noquote() << QString("stream.ogg listener %1 left; %2 listening to Ogg")
                                    .arg(listener->remote())
                                    .arg(httpStreamListenerCount());
    updateOpusDemand();
    maybeStopped();
}

void Node::serveStreamListeners() {
    // One wake every two chunks for every Ogg listener: they share the page stream, so unlike
    // WebSocket listeners they need no phase of their own, and players buffer seconds, so
    // two pages per write cost half the system calls of one (docs/benchmarks.md).
    std::vector<OggListener*> listeners;
    listeners.reserve(m_ogg.size());
    for (const auto& [serial, l] : m_ogg) {
        listeners.push_back(l);
    }
    for (OggListener* l : listeners) {
        l->serve(); // may end it: removal is deferred (deleteLater)
    }
}

QJsonArray Node::httpStreamListenersJson(bool showAddresses) const {
    QJsonArray out;
    const qint64 now = m_clock->nowUs();
    for (const auto& [serial, l] : m_ogg) {
        QJsonObject o{{"connected_s", l->connectedSeconds(now)},
                      {"sent_bytes", static_cast<double>(l->sentBytes())},
                      {"dropped_chunks", static_cast<double>(l->dropped())},
                      {"queued_bytes", static_cast<double>(l->socket()->bytesToWrite())}};
        if (showAddresses) {
            o["remote"] = l->remote();
        }
        out.append(o);
    }
    return out;
}

} // namespace auralis::core
