// The listeners' next deadlines in one min-heap, and one precise single-shot timer armed for
// the earliest: every entry whose time has come is handed to the callback, which serves that
// listener and schedules its next deadline. Time comes from the injected clock. One thread.
#pragma once

#include "protocol/clock.h"

#include <QObject>
#include <QTimer>

#include <functional>
#include <limits>
#include <queue>
#include <unordered_map>
#include <vector>

namespace auralis::core {

class PacingQueue : public QObject {
public:
    /// `onDue(id, deadlineUs)` is called for each due entry, earliest first.
    using DueFn = std::function<void(quint64 id, qint64 deadlineUs)>;
    PacingQueue(const Clock& clock, DueFn onDue, QObject* parent = nullptr);

    /// Sets `id`'s deadline (replacing an earlier one) and re-arms the timer if it is sooner.
    void schedule(quint64 id, qint64 deadlineUs);
    void remove(quint64 id);
    void clear();
    /// Serves everything due now (within kSlackUs); the timer calls it, tests may too.
    void serveDue();

    bool contains(quint64 id) const;
    std::size_t size() const { return m_scheduled; }
    /// The earliest deadline, or -1 when empty.
    qint64 nextDeadlineUs();
    bool timerActive() const { return m_timer.isActive(); }

    /// Entries due within this much are served in the same wake (the timer's resolution).
    static constexpr qint64 kSlackUs = 500;

private:
    void arm();
    void dropStale();

    const Clock& m_clock;
    DueFn m_onDue;
    using Entry = std::pair<qint64, quint64>; // (deadline, id)
    std::priority_queue<Entry, std::vector<Entry>, std::greater<>> m_heap;
    /// The live entry of each id; kUnscheduled while it is being served, so that serving and
    /// rescheduling reuse the map's node instead of freeing and allocating one per deadline.
    std::unordered_map<quint64, qint64> m_deadline;
    static constexpr qint64 kUnscheduled = std::numeric_limits<qint64>::min();
    std::size_t m_scheduled = 0; // entries of m_deadline that are not kUnscheduled
    QTimer m_timer;
    bool m_serving = false;
};

} // namespace auralis::core
