#include "protocol/epoll_dispatcher.h"

#include <QCoreApplication>
#include <QSocketNotifier>
#include <QThread>
#include <QTimerEvent>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <vector>

namespace auralis {

namespace {

constexpr qint64 kNsPerMs = 1000000;

qint64 nowNs() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<qint64>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// What epoll reports that wakes each kind of notifier. A hang-up or error wakes readers and
// writers alike (as poll() does for Qt's own dispatcher): the socket then sees its error.
constexpr std::uint32_t kReadEvents = EPOLLIN | EPOLLHUP | EPOLLERR;
constexpr std::uint32_t kWriteEvents = EPOLLOUT | EPOLLHUP | EPOLLERR;
constexpr std::uint32_t kExceptionEvents = EPOLLPRI;
constexpr std::uint32_t kActivating[3] = {kReadEvents, kWriteEvents, kExceptionEvents};
constexpr std::uint32_t kWatched[3] = {EPOLLIN, EPOLLOUT, EPOLLPRI};

constexpr int kMaxEventsPerWake = 512;

} // namespace

EpollEventDispatcher::EpollEventDispatcher(QObject* parent) : QAbstractEventDispatcher(parent) {
    m_epoll = epoll_create1(EPOLL_CLOEXEC);
    m_wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (m_epoll < 0 || m_wake < 0) {
        qFatal("EpollEventDispatcher: epoll_create1/eventfd failed: %s", std::strerror(errno));
    }
}

EpollEventDispatcher::~EpollEventDispatcher() {
    close(m_wake);
    close(m_epoll);
}

void EpollEventDispatcher::updateEpoll(int fd, Fd& entry, std::uint32_t before) {
    if (entry.events == before) {
        return;
    }
    epoll_event ev{};
    ev.events = entry.events;
    ev.data.fd = fd;
    if (entry.events == 0) {
        // Nothing to watch: out of the set, or a hang-up would be reported forever. The
        // descriptor may be closed already (then the kernel dropped it itself).
        epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
        return;
    }
    int op = before == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
    if (epoll_ctl(m_epoll, op, fd, &ev) == 0) {
        return;
    }
    // A descriptor closed and reopened under the same number left the set on its own (MOD:
    // ENOENT), or one we took for new is still there (ADD: EEXIST).
    if (errno == ENOENT || errno == EEXIST) {
        op = errno == ENOENT ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
        if (epoll_ctl(m_epoll, op, fd, &ev) == 0) {
            return;
        }
    }
    qWarning("EpollEventDispatcher: cannot watch socket %d: %s", fd, std::strerror(errno));
}

void EpollEventDispatcher::registerSocketNotifier(QSocketNotifier* notifier) {
    const int fd = static_cast<int>(notifier->socket());
    const int type = static_cast<int>(notifier->type());
    if (fd < 0 || type < 0 || type > 2) {
        qWarning("EpollEventDispatcher: invalid socket notifier (socket %d)", fd);
        return;
    }
    Fd& entry = m_fds[fd];
    if (entry.notifiers[type] != nullptr && entry.notifiers[type] != notifier) {
        qWarning("EpollEventDispatcher: multiple socket notifiers for socket %d and type %d", fd,
                 type);
    }
    entry.notifiers[type] = notifier;
    const std::uint32_t before = entry.events;
    entry.events |= kWatched[type];
    updateEpoll(fd, entry, before);
}

void EpollEventDispatcher::unregisterSocketNotifier(QSocketNotifier* notifier) {
    const int fd = static_cast<int>(notifier->socket());
    const int type = static_cast<int>(notifier->type());
    const auto it = m_fds.find(fd);
    if (it == m_fds.end() || type < 0 || type > 2 || it->second.notifiers[type] != notifier) {
        return;
    }
    Fd& entry = it->second;
    entry.notifiers[type] = nullptr;
    const std::uint32_t before = entry.events;
    entry.events &= ~kWatched[type];
    updateEpoll(fd, entry, before);
    if (entry.events == 0) {
        m_fds.erase(it);
    }
}

int EpollEventDispatcher::activateSockets() {
    epoll_event events[kMaxEventsPerWake];
    const int n = epoll_wait(m_epoll, events, kMaxEventsPerWake, 0);
    int activated = 0;
    for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        for (int type = 0; type < 3; ++type) {
            if ((events[i].events & kActivating[type]) == 0) {
                continue;
            }
            // Looked up afresh each time: an earlier activation may have removed this one.
            const auto it = m_fds.find(fd);
            if (it == m_fds.end()) {
                break;
            }
            QSocketNotifier* notifier = it->second.notifiers[type];
            if (notifier == nullptr) {
                continue;
            }
            QEvent event(QEvent::SockAct);
            QCoreApplication::sendEvent(notifier, &event);
            ++activated;
        }
    }
    return activated;
}

void EpollEventDispatcher::registerTimer(int timerId, qint64 interval, Qt::TimerType timerType,
                                         QObject* object) {
    if (timerId < 1 || interval < 0 || object == nullptr) {
        qWarning("EpollEventDispatcher: invalid timer (id %d, interval %lld)", timerId,
                 static_cast<long long>(interval));
        return;
    }
    unregisterTimer(timerId);
    Timer timer;
    timer.object = object;
    timer.intervalMs = interval;
    timer.type = timerType;
    timer.dueNs = nowNs() + interval * kNsPerMs;
    m_dueOrder.emplace(timer.dueNs, timerId);
    m_timers.emplace(timerId, timer);
}

bool EpollEventDispatcher::unregisterTimer(int timerId) {
    const auto it = m_timers.find(timerId);
    if (it == m_timers.end()) {
        return false;
    }
    m_dueOrder.erase({it->second.dueNs, timerId});
    m_timers.erase(it);
    return true;
}

bool EpollEventDispatcher::unregisterTimers(QObject* object) {
    bool any = false;
    for (auto it = m_timers.begin(); it != m_timers.end();) {
        if (it->second.object == object) {
            m_dueOrder.erase({it->second.dueNs, it->first});
            it = m_timers.erase(it);
            any = true;
        } else {
            ++it;
        }
    }
    return any;
}

QList<QAbstractEventDispatcher::TimerInfo>
EpollEventDispatcher::registeredTimers(QObject* object) const {
    QList<TimerInfo> list;
    for (const auto& [id, timer] : m_timers) {
        if (timer.object == object) {
            list.append(TimerInfo(id, static_cast<int>(timer.intervalMs), timer.type));
        }
    }
    return list;
}

int EpollEventDispatcher::remainingTime(int timerId) {
    const auto it = m_timers.find(timerId);
    if (it == m_timers.end()) {
        return -1;
    }
    const qint64 left = it->second.dueNs - nowNs();
    return left <= 0 ? 0 : static_cast<int>((left + kNsPerMs - 1) / kNsPerMs);
}

qint64 EpollEventDispatcher::nextTimerWaitNs() const {
    if (m_dueOrder.empty()) {
        return -1;
    }
    const qint64 wait = m_dueOrder.begin()->first - nowNs();
    return wait < 0 ? 0 : wait;
}

int EpollEventDispatcher::activateTimers() {
    if (m_dueOrder.empty()) {
        return 0;
    }
    const qint64 now = nowNs();
    // Each timer due now fires once in this pass, earliest first; one started or re-armed by
    // a handler (a zero timer is due again at once) waits for the next pass.
    std::vector<int> due;
    for (const auto& [dueNs, id] : m_dueOrder) {
        if (dueNs > now) {
            break;
        }
        due.push_back(id);
    }
    int activated = 0;
    for (const int id : due) {
        auto it = m_timers.find(id);
        if (it == m_timers.end() || it->second.inEvent || it->second.dueNs > now) {
            continue;
        }
        Timer& timer = it->second;
        // The next time keeps the period's phase unless the timer has fallen behind.
        m_dueOrder.erase({timer.dueNs, id});
        timer.dueNs += timer.intervalMs * kNsPerMs;
        if (timer.dueNs <= now) {
            timer.dueNs = now + timer.intervalMs * kNsPerMs;
        }
        m_dueOrder.emplace(timer.dueNs, id);
        timer.inEvent = true;
        QObject* object = timer.object;
        QTimerEvent event(id);
        QCoreApplication::sendEvent(object, &event);
        ++activated;
        it = m_timers.find(id); // the handler may have stopped it, or deleted its object
        if (it != m_timers.end()) {
            it->second.inEvent = false;
        }
    }
    return activated;
}

void EpollEventDispatcher::wakeUp() {
    if (!m_wakePending.exchange(true, std::memory_order_acq_rel)) {
        const std::uint64_t one = 1;
        while (write(m_wake, &one, sizeof one) < 0 && errno == EINTR) {
        }
    }
}

void EpollEventDispatcher::drainWake() {
    std::uint64_t count = 0;
    while (read(m_wake, &count, sizeof count) < 0 && errno == EINTR) {
    }
    m_wakePending.store(false, std::memory_order_release);
}

void EpollEventDispatcher::interrupt() {
    m_interrupt.store(true, std::memory_order_release);
    wakeUp();
}

bool EpollEventDispatcher::processEvents(QEventLoop::ProcessEventsFlags flags) {
    m_interrupt.store(false, std::memory_order_release);
    emit awake();
    // Posted events first; every post calls wakeUp(), so one posted after this point (or
    // by a handler below) makes the wait below return at once: no wake is lost.
    QCoreApplication::sendPostedEvents();

    const bool includeTimers = !flags.testFlag(QEventLoop::X11ExcludeTimers);
    const bool includeSockets = !flags.testFlag(QEventLoop::ExcludeSocketNotifiers);
    const bool canWait = flags.testFlag(QEventLoop::WaitForMoreEvents) &&
                         !m_interrupt.load(std::memory_order_acquire);
    if (canWait) {
        emit aboutToBlock();
    }
    if (m_interrupt.load(std::memory_order_acquire)) {
        return false;
    }

    timespec timeout{0, 0};
    timespec* wait = &timeout;
    if (canWait) {
        const qint64 ns = includeTimers ? nextTimerWaitNs() : -1;
        if (ns < 0) {
            wait = nullptr; // until woken
        } else {
            timeout.tv_sec = static_cast<time_t>(ns / 1000000000);
            timeout.tv_nsec = static_cast<long>(ns % 1000000000);
        }
    }
    // Two descriptors whatever the thread watches: the wake-up and the epoll set (ppoll for
    // its nanosecond timeout; epoll_wait's is in milliseconds).
    pollfd fds[2] = {{m_wake, POLLIN, 0}, {m_epoll, POLLIN, 0}};
    const int ready = ppoll(fds, includeSockets ? 2 : 1, wait, nullptr);
    int activated = 0;
    if (ready < 0 && errno != EINTR) {
        qWarning("EpollEventDispatcher: ppoll failed: %s", std::strerror(errno));
    }
    if (ready > 0) {
        if ((fds[0].revents & POLLIN) != 0) {
            drainWake();
            ++activated;
        }
        if (includeSockets && (fds[1].revents & POLLIN) != 0) {
            activated += activateSockets();
        }
    }
    if (includeTimers) {
        activated += activateTimers();
    }
    return activated > 0;
}

QAbstractEventDispatcher* makeEventDispatcher() {
    const QByteArray choice = qgetenv("AURALIS_EVENT_LOOP");
    if (choice == "qt") {
        return nullptr;
    }
    if (!choice.isEmpty() && choice != "epoll") {
        static std::atomic<bool> told{false};
        if (!told.exchange(true)) {
            std::fprintf(stderr, "AURALIS_EVENT_LOOP=%s is neither epoll nor qt: using epoll\n",
                         choice.constData());
        }
    }
    return new EpollEventDispatcher;
}

void useEventDispatcher(QThread& thread) {
    if (QAbstractEventDispatcher* dispatcher = makeEventDispatcher()) {
        thread.setEventDispatcher(dispatcher);
    }
}

void useEventDispatcherForApplication() {
    if (QAbstractEventDispatcher* dispatcher = makeEventDispatcher()) {
        QCoreApplication::setEventDispatcher(dispatcher);
    }
}

} // namespace auralis
