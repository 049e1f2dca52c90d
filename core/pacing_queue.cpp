#include "core/pacing_queue.h"

namespace auralis::core {

PacingQueue::PacingQueue(const Clock& clock, DueFn onDue, QObject* parent)
    : QObject(parent), m_clock(clock), m_onDue(std::move(onDue)) {
    m_timer.setParent(this); // moves with the queue to its thread
    m_timer.setSingleShot(true);
    m_timer.setTimerType(Qt::PreciseTimer);
    connect(&m_timer, &QTimer::timeout, this, &PacingQueue::serveDue);
}

bool PacingQueue::contains(quint64 id) const {
    const auto it = m_deadline.find(id);
    return it != m_deadline.end() && it->second != kUnscheduled;
}

void PacingQueue::schedule(quint64 id, qint64 deadlineUs) {
    const auto [it, inserted] = m_deadline.try_emplace(id, deadlineUs);
    if (inserted || it->second == kUnscheduled) {
        ++m_scheduled;
    }
    it->second = deadlineUs;
    m_heap.emplace(deadlineUs, id);
    if (!m_serving) {
        arm(); // while serving, serveDue() arms once at the end
    }
}

void PacingQueue::remove(quint64 id) {
    const auto it = m_deadline.find(id);
    if (it == m_deadline.end()) {
        return;
    }
    if (it->second != kUnscheduled) {
        --m_scheduled;
    }
    m_deadline.erase(it); // its heap entries become stale
    if (m_scheduled == 0) {
        clear();
    }
}

void PacingQueue::clear() {
    m_deadline.clear();
    m_scheduled = 0;
    m_heap = {};
    m_timer.stop();
}

void PacingQueue::dropStale() {
    while (!m_heap.empty()) {
        const auto [deadline, id] = m_heap.top();
        const auto it = m_deadline.find(id);
        if (it != m_deadline.end() && it->second == deadline) {
            return;
        }
        m_heap.pop();
    }
}

qint64 PacingQueue::nextDeadlineUs() {
    dropStale();
    return m_heap.empty() ? -1 : m_heap.top().first;
}

void PacingQueue::serveDue() {
    const qint64 now = m_clock.nowUs();
    m_serving = true;
    while (true) {
        dropStale();
        if (m_heap.empty() || m_heap.top().first > now + kSlackUs) {
            break;
        }
        const auto [deadline, id] = m_heap.top();
        m_heap.pop();
        // The top is live (dropStale), so its entry exists: kept, marked unscheduled.
        m_deadline.find(id)->second = kUnscheduled;
        --m_scheduled;
        m_onDue(id, deadline); // usually schedules the next deadline of `id`
    }
    m_serving = false;
    arm();
}

void PacingQueue::arm() {
    const qint64 next = nextDeadlineUs();
    if (next < 0) {
        m_timer.stop();
        return;
    }
    const qint64 waitUs = next - m_clock.nowUs();
    const int ms = waitUs <= 0 ? 0 : static_cast<int>((waitUs + 999) / 1000);
    if (!m_timer.isActive() || m_timer.remainingTime() > ms) {
        m_timer.start(ms);
    }
}

} // namespace auralis::core
