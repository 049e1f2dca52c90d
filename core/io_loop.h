// One I/O thread's share of the listeners: their WebSocket connections and sessions, the pacing
// queue that serves them and the phases they are paced on. An IoLoop lives in one thread (the
// node's own, or an I/O thread of its own) and its methods run there; the node reaches it with
// post() (queued) and call() (waits), which run at once when the caller is in that thread.
#pragma once

#include "core/pacing.h"
#include "core/session.h"

#include <QHostAddress>
#include <QObject>

#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

class QTcpSocket;

namespace auralis::core {

class PacingQueue;
class WsConnection;

class IoLoop : public QObject {
public:
    /// A session that ended (its connection is gone); told in the loop's thread.
    struct Ended {
        QString id;
        QHostAddress peer;
        protocol::Format format = protocol::Format::Json;
    };
    using EndedFn = std::function<void(const Ended&)>;

    /// `pacingSlots` phases for its listeners (0: each on the phase at which it joined).
    IoLoop(int index, SessionContext& context, int pacingSlots, qint64 maxMessageBytes,
           int closeTimeoutMs, EndedFn onEnded);
    ~IoLoop() override;
    IoLoop(const IoLoop&) = delete;
    IoLoop& operator=(const IoLoop&) = delete;

    /// Takes over an upgraded socket (already in this thread, no parent): its connection and
    /// session, the welcome and the burst, then pacing. A socket that is already gone ends at once.
    void adopt(QTcpSocket* socket, ListenerSession::Identity identity, const QStringList& warnings);
    /// Runs `f` for every session (closing may remove sessions: f must not rely on the order).
    void forEach(const std::function<void(ListenerSession&)>& f);
    /// Reads every session from a flat list (no copies, no hash-node chain: a scrape's depth
    /// refresh walks every listener); `f` must not send, close or remove anything.
    void visit(const std::function<void(const ListenerSession&)>& f) const;
    /// Stops pacing and closes every connection with `code`.
    void closeAll(int code, const QString& reason);
    int index() const { return m_index; }

    /// `f` in this loop's thread: queued (post) or waited for (call); at once when already there.
    void post(std::function<void()> f);
    void call(const std::function<void()>& f);

private:
    void onDue(quint64 serial, qint64 deadlineUs);
    void remove(WsConnection* ws);

    int m_index;
    SessionContext& m_ctx;
    qint64 m_maxMessageBytes;
    int m_closeTimeoutMs;
    EndedFn m_onEnded;
    PacingQueue* m_pacing;
    PhaseSlots m_phaseSlots;
    std::unordered_map<WsConnection*, std::unique_ptr<ListenerSession>> m_sessions;
    std::unordered_map<quint64, ListenerSession*> m_bySerial;
    std::vector<const ListenerSession*> m_walk; // every session, contiguous: what visit() walks
    bool m_tearingDown = false;
};

} // namespace auralis::core
