// A Qt event dispatcher on Linux epoll: a wake costs the sockets that are ready, not every
// socket the thread watches (Qt's own dispatchers poll() them all, each wake). Timers are
// precise (to the nanosecond clock, whatever their type). Install it before the thread runs;
// wakeUp() and interrupt() from any thread, everything else in the thread it dispatches.
#pragma once

#include <QAbstractEventDispatcher>

#include <atomic>
#include <cstdint>
#include <set>
#include <unordered_map>
#include <utility>

class QThread;

namespace auralis {

class EpollEventDispatcher final : public QAbstractEventDispatcher {
public:
    explicit EpollEventDispatcher(QObject* parent = nullptr);
    ~EpollEventDispatcher() override;

    bool processEvents(QEventLoop::ProcessEventsFlags flags) override;
    void registerSocketNotifier(QSocketNotifier* notifier) override;
    void unregisterSocketNotifier(QSocketNotifier* notifier) override;
    void registerTimer(int timerId, qint64 interval, Qt::TimerType timerType,
                       QObject* object) override;
    bool unregisterTimer(int timerId) override;
    bool unregisterTimers(QObject* object) override;
    QList<TimerInfo> registeredTimers(QObject* object) const override;
    int remainingTime(int timerId) override;
    void wakeUp() override;
    void interrupt() override;

    /// Descriptors in the epoll set (tests).
    std::size_t watchedDescriptors() const { return m_fds.size(); }

private:
    struct Fd {
        QSocketNotifier* notifiers[3] = {nullptr, nullptr, nullptr}; // by QSocketNotifier::Type
        std::uint32_t events = 0;                                    // what epoll watches for
    };
    struct Timer {
        QObject* object = nullptr;
        qint64 intervalMs = 0;
        Qt::TimerType type = Qt::CoarseTimer;
        qint64 dueNs = 0;
        bool inEvent = false; // its timer event is being delivered (a nested loop must skip it)
    };
    void updateEpoll(int fd, Fd& entry, std::uint32_t before);
    int activateSockets();
    int activateTimers();
    void drainWake();
    /// Nanoseconds to the earliest timer (0 when one is due), -1 when there is none.
    qint64 nextTimerWaitNs() const;

    int m_epoll = -1;
    int m_wake = -1; // eventfd: wakeUp()
    std::atomic<bool> m_wakePending{false};
    std::atomic<bool> m_interrupt{false};
    std::unordered_map<int, Fd> m_fds;
    std::unordered_map<int, Timer> m_timers;
    std::set<std::pair<qint64, int>> m_dueOrder; // (dueNs, timerId)
};

/// The dispatcher a new thread (QThread::setEventDispatcher) or the application
/// (QCoreApplication::setEventDispatcher, before the application object) should run: epoll,
/// or nullptr (Qt's own) when AURALIS_EVENT_LOOP=qt. Any other value but "epoll" or empty is
/// reported once on stderr and means epoll.
QAbstractEventDispatcher* makeEventDispatcher();
/// Gives `thread` (not started yet) makeEventDispatcher()'s dispatcher, if any.
void useEventDispatcher(QThread& thread);
/// The same for the main thread; call before the application object exists.
void useEventDispatcherForApplication();

} // namespace auralis
