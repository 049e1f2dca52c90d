// Time sources: a monotonic clock in microseconds, injectable so that pacing, jitter and
// tier logic can be tested without sleeping. Clocks are safe to read from any thread.
#pragma once

#include <QtGlobal>

#include <atomic>
#include <chrono>

namespace auralis {

class Clock {
public:
    virtual ~Clock() = default;
    /// Monotonic time in microseconds (arbitrary origin).
    virtual qint64 nowUs() const = 0;
    /// Wall-clock time in milliseconds since the Unix epoch (for messages to clients).
    virtual qint64 wallMs() const;
};

class SteadyClock final : public Clock {
public:
    qint64 nowUs() const override {
        return std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::steady_clock::now().time_since_epoch())
            .count();
    }
};

/// A steady clock that is never destroyed: for objects that may outlive whoever made them
/// (a listener finishing its closing handshake after its player is gone).
const Clock& steadyClock();

/// A clock that moves only when told to (tests).
class ManualClock final : public Clock {
public:
    explicit ManualClock(qint64 startUs = 1'000'000) : m_now(startUs) {}
    qint64 nowUs() const override { return m_now.load(); }
    qint64 wallMs() const override { return 1'700'000'000'000 + m_now.load() / 1000; }
    void advanceUs(qint64 us) { m_now += us; }
    void advanceMs(qint64 ms) { m_now += ms * 1000; }

private:
    std::atomic<qint64> m_now;
};

/// CPU time the calling thread has used, in seconds (CLOCK_THREAD_CPUTIME_ID).
double threadCpuSeconds();

/// Reconnection backoff before attempt `attempt` (0-based): initial * 2^attempt, capped at
/// `maxMs`, times a random factor in [0.8, 1.2) from `random01` in [0, 1).
int backoffMs(int attempt, int initialMs, int maxMs, double random01);

} // namespace auralis
