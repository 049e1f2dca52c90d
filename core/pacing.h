// Per-listener control logic with no I/O: deadline pacing, buffer-tier policy and the client
// message rate limit. Times are microseconds from an injected Clock. Owned by one thread.
#pragma once

#include "protocol/protocol.h"

#include <QString>

#include <deque>
#include <optional>
#include <vector>

namespace auralis::core {

/// Absolute-deadline pacing: deadlines are start + k * period, so timer lateness never
/// accumulates as drift. A wake-up later than `resyncAfterUs` restarts the deadlines from
/// now instead of firing every missed one at once. Given a phase (0 <= phase < period), the
/// deadlines are the times t = phase (mod period), the first in [now + period/2, now + 1.5
/// period): listeners on a few shared phases share the event loop's wake-ups.
class Pacer {
public:
    explicit Pacer(qint64 periodUs = protocol::kChunkUs, qint64 resyncAfterUs = 1'000'000)
        : m_period(periodUs), m_resyncAfter(resyncAfterUs) {}

    /// `phaseUs` < 0: the deadlines are start + k * period.
    void start(qint64 nowUs, qint64 phaseUs = -1) {
        m_phase = phaseUs < 0 ? -1 : phaseUs % m_period;
        m_next = firstDeadline(nowUs);
    }
    qint64 nextDeadlineUs() const { return m_next; }

    struct Tick {
        int deadlines = 0; // deadlines that passed (0: woke early)
        bool resynced = false;
        qint64 lateUs = 0; // how late the first of them was served
    };
    Tick onWake(qint64 nowUs);

    std::uint64_t resyncs() const { return m_resyncs; }

private:
    qint64 firstDeadline(qint64 nowUs) const;

    qint64 m_period;
    qint64 m_resyncAfter;
    qint64 m_phase = -1;
    qint64 m_next = 0;
    std::uint64_t m_resyncs = 0;
};

/// The phases listeners are paced on: `slotCount` evenly spaced in the period, each new listener
/// on the one with the fewest (ties: the next after the last given), so that however they
/// arrive (a reconnect storm: all at once) each wake-up serves about listeners / slots.
class PhaseSlots {
public:
    explicit PhaseSlots(int slotCount, qint64 periodUs = protocol::kChunkUs);
    /// A slot for a new listener, and its phase (phaseUs()). -1 when there are no slots.
    int acquire();
    void release(int slot);
    qint64 phaseUs(int slot) const {
        return slot < 0 ? -1 : slot * m_period / static_cast<qint64>(m_count.size());
    }
    int listeners(int slot) const { return m_count.at(slot); }

private:
    qint64 m_period;
    std::vector<int> m_count;
    std::size_t m_last = 0;
};

/// How many chunks to send at a wake-up: one per passed deadline, plus or minus one to move
/// the listener's lead (cursor ahead of the live edge) toward the tier's target. The dead
/// band of one chunk absorbs the phase between the listener's deadlines and the live edge.
int chunksToSend(qint64 cursor, qint64 liveSeq, int targetLead, int deadlines);

/// Buffer-tier policy. The listener requests a tier; the node escalates one tier after
/// kEscalateUnderruns underruns within kWindowUs, or when the p95 send jitter of the last
/// kJitterWindow sends exceeds kJitterEscalateFraction of the target; it relaxes one tier
/// (never below the request) after kHealthyUs with no underrun and p95 jitter under
/// kJitterHealthyFraction of the target. Changes are at least kHoldUs apart.
class TierPolicy {
public:
    static constexpr int kEscalateUnderruns = 2;
    static constexpr qint64 kWindowUs = 30'000'000;
    static constexpr qint64 kHealthyUs = 60'000'000;
    static constexpr qint64 kHoldUs = 10'000'000;
    static constexpr double kJitterEscalateFraction = 0.20;
    static constexpr double kJitterHealthyFraction = 0.05;
    static constexpr int kJitterWindow = 50;

    explicit TierPolicy(protocol::Tier requested = protocol::Tier::Normal, qint64 nowUs = 0);

    protocol::Tier current() const { return m_current; }
    protocol::Tier requested() const { return m_requested; }

    /// The listener asks for a tier (it becomes the floor and the current tier).
    void request(protocol::Tier tier, qint64 nowUs);
    void onUnderrun(qint64 nowUs);
    void onJitter(double jitterMs);
    /// p95 of the recent send jitter (0 with no samples).
    double jitterP95() const;
    /// jitterP95() > t and jitterP95() < t, exactly, without copying or sorting the window
    /// (each pacing wake asks): the k-th smallest of n is above t when at most k are <= t.
    bool jitterP95Above(double t) const;
    bool jitterP95Below(double t) const;

    struct Change {
        protocol::Tier tier;
        QString reason; // "underruns", "jitter" or "healthy"
    };
    std::optional<Change> evaluate(qint64 nowUs);

private:
    protocol::Tier m_requested;
    protocol::Tier m_current;
    qint64 m_lastChangeUs;
    qint64 m_lastTroubleUs;
    std::deque<qint64> m_underruns;
    std::deque<double> m_jitter;
};

/// Token bucket for client messages: `ratePerSecond` sustained, `burst` at once. Rejected
/// messages get an error; too many rejections within 10 s close the connection (1008).
class RateLimiter {
public:
    enum class Verdict { Allow, Reject, Close };
    RateLimiter(double ratePerSecond = 20, double burst = 40, int closeAfterRejections = 40);
    Verdict onMessage(qint64 nowUs);

private:
    double m_rate;
    double m_burst;
    int m_closeAfter;
    double m_tokens;
    qint64 m_lastUs = -1;
    std::deque<qint64> m_rejections;
};

} // namespace auralis::core
