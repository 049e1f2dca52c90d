#include "core/node_host.h"

#include "protocol/epoll_dispatcher.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QPointer>

namespace auralis::core {

namespace {

// In the node's thread: tell the listeners, drain, delete the node, end the thread.
void shutDown(Node* node, QThread* thread, int drainMs) {
    QObject::connect(node, &QObject::destroyed, thread, &QThread::quit, Qt::DirectConnection);
    QObject::connect(node, &Node::stopped, node, &QObject::deleteLater);
    node->shutdown(drainMs);
}

} // namespace

NodeHost::NodeHost(QObject* parent) : QObject(parent) {}

NodeHost::~NodeHost() {
    if (!m_thread) {
        return;
    }
    stop(0);
    // A start still in flight hands its node to this object: take those calls while waiting.
    const QDeadlineTimer deadline(10000);
    while (!m_thread->wait(10) && !deadline.hasExpired()) {
        QCoreApplication::sendPostedEvents(this);
    }
    if (!m_thread->isFinished()) {
        qWarning("auralis: the node thread did not stop in 10 s");
    }
    m_thread.reset();
}

void NodeHost::start(const NodeConfig& config, bool anyPortIfTaken) {
    if (m_thread) {
        emit failed("a node is already running here");
        return;
    }
    m_stopRequested = false;
    m_thread = std::make_unique<QThread>();
    m_thread->setObjectName("auralis-node");
    useEventDispatcher(*m_thread);
    connect(m_thread.get(), &QThread::finished, this, &NodeHost::finished);
    m_thread->start();
    // Build and start the node in its own thread; the outcome comes back queued.
    auto* anchor = new QObject;
    anchor->moveToThread(m_thread.get());
    const QPointer<NodeHost> self(this);
    QMetaObject::invokeMethod(anchor, [anchor, self, config, anyPortIfTaken] {
        anchor->deleteLater();
        QString error;
        auto* node = new Node(config);
        if (!node->start(&error) && anyPortIfTaken && config.port != 0) {
            delete node;
            NodeConfig any = config;
            any.port = 0; // the port is taken: any free one
            node = new Node(any);
            error.clear();
            node->start(&error);
        }
        if (!node->isRunning()) {
            delete node;
            QThread::currentThread()->quit(); // finished() follows
            QMetaObject::invokeMethod(self, [self, error] {
                if (self) {
                    emit self->failed(error);
                }
            });
            return;
        }
        QMetaObject::invokeMethod(self, [self, node] {
            if (self) {
                self->adopt(node);
            }
        });
    });
}

void NodeHost::adopt(Node* node) {
    m_node = node;
    m_port = node->port();
    if (m_stopRequested) { // stop() came while it was starting
        stop(m_stopDrainMs);
        return;
    }
    m_running = true;
    emit started(m_port);
}

void NodeHost::stop(int drainMs) {
    if (!m_thread) {
        return;
    }
    m_running = false;
    if (m_node == nullptr) {
        m_stopRequested = true; // still starting: adopt() stops it
        m_stopDrainMs = drainMs;
        return;
    }
    Node* node = m_node;
    QThread* thread = m_thread.get();
    QMetaObject::invokeMethod(node, [node, thread, drainMs] { shutDown(node, thread, drainMs); });
    m_node = nullptr;
}

void NodeHost::finished() {
    m_thread.reset();
    m_node = nullptr;
    m_port = 0;
    m_running = false;
    m_stopRequested = false;
    emit stopped();
}

} // namespace auralis::core
