// One listener of GET /stream.ogg: an endless Ogg/Opus HTTP response (what Icecast serves),
// the Opus headers and then the pages of each chunk from the live edge, a one-second burst
// and then what is due at each serve() (the node serves all of them every 200 ms). A
// listener that does not read has chunks skipped (the backlog stays bounded) and is
// disconnected when that lasts. Node's thread.
#pragma once

#include "core/ogg_feed.h"
#include "core/session.h"

#include <QObject>

class QTcpSocket;

namespace auralis::core {

class OggListener : public QObject {
    Q_OBJECT
public:
    /// Takes `socket` (its request answered by nobody yet); `head` is the response head.
    OggListener(SessionContext& context, QTcpSocket* socket, quint64 serial, const QByteArray& head,
                qint64 nowUs, QObject* parent = nullptr);
    ~OggListener() override;

    /// Writes what is due now; skips chunks for a listener that does not read.
    void serve();
    /// Ends the response (graceful close); disconnected() follows.
    void close();

    quint64 serial() const { return m_serial; }
    bool closing() const { return m_closing; }
    QString remote() const { return m_remote; }
    std::uint64_t sentBytes() const { return m_sentBytes; }
    std::uint64_t dropped() const { return m_dropped; }
    double connectedSeconds(qint64 nowUs) const {
        return static_cast<double>(nowUs - m_connectedUs) / 1e6;
    }
    QTcpSocket* socket() const { return m_socket; }

    /// Chunks of backlog (unsent bytes) before chunks are skipped.
    static constexpr int kLeadChunks = 10;

signals:
    void disconnected();

private:
    void write(const QByteArray& bytes);

    SessionContext& m_ctx;
    QTcpSocket* m_socket;
    quint64 m_serial;
    QString m_remote;
    OggFeed m_feed{kLeadChunks};
    qint64 m_connectedUs;
    qint64 m_stalledSinceUs = -1;
    std::uint64_t m_sentBytes = 0;
    std::uint64_t m_dropped = 0;
    bool m_closing = false;
};

} // namespace auralis::core
