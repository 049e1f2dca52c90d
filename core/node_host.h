// A node in a thread of its own, for a program whose thread must never wait on it (the
// dashboard's GUI thread): start and stop are asynchronous and report with signals. Use the
// host from the thread that created it; the node lives in the host's worker thread.
#pragma once

#include "core/node.h"

#include <QObject>
#include <QThread>

#include <memory>

namespace auralis::core {

class NodeHost : public QObject {
    Q_OBJECT
public:
    explicit NodeHost(QObject* parent = nullptr);
    /// Stops a running node and waits for its thread (a program's exit: the only wait).
    ~NodeHost() override;

    /// Starts a node with `config` in a new thread; when the port is taken and `anyPortIfTaken`,
    /// on any free port instead. Emits started() or failed().
    void start(const NodeConfig& config, bool anyPortIfTaken);
    /// Tells the listeners, drains for `drainMs`, stops the node and its thread; emits
    /// stopped(). Returns at once.
    void stop(int drainMs = 300);

    /// Between started() and stop().
    bool isRunning() const { return m_running; }
    /// Between start() and stopped(): a node (or its thread) exists.
    bool isBusy() const { return m_thread != nullptr; }
    quint16 port() const { return m_port; }

signals:
    void started(quint16 port);
    void failed(const QString& error);
    void stopped();

private:
    void adopt(Node* node);
    void finished();

    std::unique_ptr<QThread> m_thread;
    Node* m_node = nullptr; // lives in m_thread
    quint16 m_port = 0;
    bool m_running = false;
    bool m_stopRequested = false; // stop() before the node had started
    int m_stopDrainMs = 0;
};

} // namespace auralis::core
