#include "core/io_loop.h"

#include "core/pacing_queue.h"
#include "core/ws_connection.h"

#include <QPointer>
#include <QTcpSocket>
#include <QThread>

#include <algorithm>
#include <vector>

namespace auralis::core {

IoLoop::IoLoop(int index, SessionContext& context, int pacingSlots, qint64 maxMessageBytes,
               int closeTimeoutMs, EndedFn onEnded)
    : m_index(index), m_ctx(context), m_maxMessageBytes(maxMessageBytes),
      m_closeTimeoutMs(closeTimeoutMs), m_onEnded(std::move(onEnded)),
      m_pacing(new PacingQueue(
          context.clock, [this](quint64 serial, qint64 deadline) { onDue(serial, deadline); },
          this)),
      m_phaseSlots(pacingSlots) {}

IoLoop::~IoLoop() {
    // Sessions first (they use their connections); no one is told: the node is going away.
    m_tearingDown = true;
    m_pacing->clear();
    m_bySerial.clear();
    m_walk.clear();
    m_sessions.clear();
}

void IoLoop::post(std::function<void()> f) {
    if (QThread::currentThread() == thread()) {
        f();
    } else {
        QMetaObject::invokeMethod(this, std::move(f), Qt::QueuedConnection);
    }
}

void IoLoop::call(const std::function<void()>& f) {
    if (QThread::currentThread() == thread()) {
        f();
    } else {
        QMetaObject::invokeMethod(this, f, Qt::BlockingQueuedConnection);
    }
}

void IoLoop::adopt(QTcpSocket* socket, ListenerSession::Identity identity,
                   const QStringList& warnings) {
    auto* ws = new WsConnection(socket, m_maxMessageBytes, m_closeTimeoutMs, this);
    if (!ws->isOpen()) {
        // It went away on its way here (between threads): it never became a session.
        const Ended ended{identity.id, ws->peerAddress(), identity.format};
        ws->deleteLater();
        m_onEnded(ended);
        return;
    }
    identity.pacingSlot = m_phaseSlots.acquire();
    identity.pacingPhaseUs = m_phaseSlots.phaseUs(identity.pacingSlot);
    auto owned = std::make_unique<ListenerSession>(m_ctx, ws, identity, m_ctx.clock.nowUs());
    ListenerSession& session = *owned;
    m_bySerial[session.serial()] = &session;
    m_walk.push_back(&session);
    m_sessions.emplace(ws, std::move(owned));
    const auto with = [this, ws](auto f) {
        return [this, ws, f](auto&&... args) {
            if (auto it = m_sessions.find(ws); it != m_sessions.end()) {
                f(*it->second, args...);
            }
        };
    };
    connect(ws, &WsConnection::textMessage, this,
            with([](ListenerSession& s, const QByteArray& m) { s.onText(m); }));
    connect(ws, &WsConnection::binaryMessage, this,
            with([](ListenerSession& s, const QByteArray&) { s.onBinary(); }));
    connect(ws, &WsConnection::pingReceived, this, with([](ListenerSession& s) { s.onPing(); }));
    connect(ws, &WsConnection::disconnected, this, [this, ws] { remove(ws); });
    session.start(warnings);
    if (!session.closing()) {
        m_pacing->schedule(session.serial(), session.nextDeadlineUs());
    }
}

void IoLoop::onDue(quint64 serial, qint64 deadlineUs) {
    const auto it = m_bySerial.find(serial);
    if (it == m_bySerial.end()) {
        return;
    }
    ListenerSession& s = *it->second;
    s.serve(deadlineUs);
    if (!s.closing()) {
        m_pacing->schedule(serial, s.nextDeadlineUs());
    }
}

void IoLoop::remove(WsConnection* ws) {
    auto it = m_sessions.find(ws);
    if (m_tearingDown || it == m_sessions.end()) {
        return;
    }
    const ListenerSession& s = *it->second;
    const Ended ended{s.id(), ws->peerAddress(), s.format()};
    m_pacing->remove(s.serial());
    m_phaseSlots.release(s.pacingSlot());
    m_bySerial.erase(s.serial());
    if (const auto w = std::find(m_walk.begin(), m_walk.end(), &s); w != m_walk.end()) {
        *w = m_walk.back(); // the order is no one's concern
        m_walk.pop_back();
    }
    m_sessions.erase(it);
    ws->deleteLater();
    m_onEnded(ended);
}

void IoLoop::forEach(const std::function<void(ListenerSession&)>& f) {
    // f may close connections, and closing can remove sessions synchronously: from copies.
    std::vector<QPointer<WsConnection>> connections;
    connections.reserve(m_sessions.size());
    for (const auto& [ws, s] : m_sessions) {
        connections.emplace_back(ws);
    }
    for (const QPointer<WsConnection>& ws : connections) {
        if (ws) {
            if (auto it = m_sessions.find(ws.data()); it != m_sessions.end()) {
                f(*it->second);
            }
        }
    }
}

void IoLoop::visit(const std::function<void(const ListenerSession&)>& f) const {
    for (const ListenerSession* s : m_walk) {
        f(*s);
    }
}

void IoLoop::closeAll(int code, const QString& reason) {
    m_pacing->clear();
    forEach([&](ListenerSession& s) { s.close(code, reason); });
}

} // namespace auralis::core
