#include "core/pacing.h"

#include <algorithm>
#include <vector>

namespace auralis::core {

Pacer::Tick Pacer::onWake(qint64 nowUs) {
    Tick t;
    if (nowUs < m_next) {
        return t;
    }
    t.lateUs = nowUs - m_next;
    if (t.lateUs > m_resyncAfter) {
        m_next = firstDeadline(nowUs);
        t.deadlines = 1;
        t.resynced = true;
        ++m_resyncs;
        return t;
    }
    t.deadlines = static_cast<int>(t.lateUs / m_period) + 1;
    m_next += static_cast<qint64>(t.deadlines) * m_period;
    return t;
}

qint64 Pacer::firstDeadline(qint64 nowUs) const {
    if (m_phase < 0) {
        return nowUs + m_period;
    }
    const qint64 from = nowUs + m_period / 2;
    const qint64 offset = ((m_phase - from) % m_period + m_period) % m_period;
    return from + offset;
}

PhaseSlots::PhaseSlots(int slotCount, qint64 periodUs)
    : m_period(periodUs), m_count(static_cast<std::size_t>(std::max(slotCount, 0)), 0) {}

int PhaseSlots::acquire() {
    if (m_count.empty()) {
        return -1;
    }
    std::size_t best = (m_last + 1) % m_count.size();
    for (std::size_t k = 1; k < m_count.size(); ++k) {
        const std::size_t i = (m_last + 1 + k) % m_count.size();
        if (m_count[i] < m_count[best]) {
            best = i;
        }
    }
    ++m_count[best];
    m_last = best;
    return static_cast<int>(best);
}

void PhaseSlots::release(int slot) {
    if (slot >= 0 && static_cast<std::size_t>(slot) < m_count.size() && m_count[slot] > 0) {
        --m_count[slot];
    }
}

int chunksToSend(qint64 cursor, qint64 liveSeq, int targetLead, int deadlines) {
    if (deadlines <= 0) {
        return 0;
    }
    int n = deadlines;
    const qint64 leadAfter = cursor + n - liveSeq;
    if (leadAfter < targetLead - 1) {
        ++n;
    } else if (leadAfter > targetLead + 1) {
        --n;
    }
    return n;
}

TierPolicy::TierPolicy(protocol::Tier requested, qint64 nowUs)
    : m_requested(requested), m_current(requested), m_lastChangeUs(nowUs), m_lastTroubleUs(nowUs) {}

void TierPolicy::request(protocol::Tier tier, qint64 nowUs) {
    m_requested = tier;
    m_current = tier;
    m_lastChangeUs = nowUs;
    m_lastTroubleUs = nowUs;
    m_underruns.clear();
}

void TierPolicy::onUnderrun(qint64 nowUs) {
    m_underruns.push_back(nowUs);
    m_lastTroubleUs = nowUs;
}

void TierPolicy::onJitter(double jitterMs) {
    m_jitter.push_back(jitterMs);
    if (m_jitter.size() > kJitterWindow) {
        m_jitter.pop_front();
    }
}

namespace {
// The index jitterP95() picks among n samples in ascending order.
std::size_t p95Index(std::size_t n) {
    return static_cast<std::size_t>(0.95 * static_cast<double>(n - 1));
}
} // namespace

double TierPolicy::jitterP95() const {
    if (m_jitter.empty()) {
        return 0;
    }
    std::vector<double> v(m_jitter.begin(), m_jitter.end());
    const std::size_t k = p95Index(v.size());
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
}

bool TierPolicy::jitterP95Above(double t) const {
    if (m_jitter.empty()) {
        return 0 > t;
    }
    const auto atMost =
        std::count_if(m_jitter.begin(), m_jitter.end(), [t](double x) { return x <= t; });
    return static_cast<std::size_t>(atMost) <= p95Index(m_jitter.size());
}

bool TierPolicy::jitterP95Below(double t) const {
    if (m_jitter.empty()) {
        return 0 < t;
    }
    const auto below =
        std::count_if(m_jitter.begin(), m_jitter.end(), [t](double x) { return x < t; });
    return static_cast<std::size_t>(below) >= p95Index(m_jitter.size()) + 1;
}

std::optional<TierPolicy::Change> TierPolicy::evaluate(qint64 nowUs) {
    while (!m_underruns.empty() && m_underruns.front() < nowUs - kWindowUs) {
        m_underruns.pop_front();
    }
    const double target = protocol::tierTargetMs(m_current);
    const bool jittery =
        m_jitter.size() >= kJitterWindow / 2 && jitterP95Above(kJitterEscalateFraction * target);
    if (jittery) {
        m_lastTroubleUs = nowUs;
    }
    if (nowUs - m_lastChangeUs < kHoldUs) {
        return std::nullopt;
    }
    if (m_current != protocol::Tier::Defensive &&
        (static_cast<int>(m_underruns.size()) >= kEscalateUnderruns || jittery)) {
        m_current = protocol::higherTier(m_current);
        m_lastChangeUs = nowUs;
        m_underruns.clear();
        m_jitter.clear();
        return Change{m_current, jittery ? "jitter" : "underruns"};
    }
    if (m_current != m_requested && nowUs - m_lastTroubleUs >= kHealthyUs &&
        jitterP95Below(kJitterHealthyFraction * target)) {
        m_current = protocol::lowerTier(m_current);
        m_lastChangeUs = nowUs;
        m_lastTroubleUs = nowUs; // another full healthy period before the next step down
        return Change{m_current, "healthy"};
    }
    return std::nullopt;
}

RateLimiter::RateLimiter(double ratePerSecond, double burst, int closeAfterRejections)
    : m_rate(ratePerSecond), m_burst(burst), m_closeAfter(closeAfterRejections), m_tokens(burst) {}

RateLimiter::Verdict RateLimiter::onMessage(qint64 nowUs) {
    if (m_lastUs >= 0) {
        m_tokens =
            std::min(m_burst, m_tokens + m_rate * static_cast<double>(nowUs - m_lastUs) / 1e6);
    }
    m_lastUs = nowUs;
    if (m_tokens >= 1.0) {
        m_tokens -= 1.0;
        return Verdict::Allow;
    }
    m_rejections.push_back(nowUs);
    while (!m_rejections.empty() && m_rejections.front() < nowUs - 10'000'000) {
        m_rejections.pop_front();
    }
    return static_cast<int>(m_rejections.size()) >= m_closeAfter ? Verdict::Close : Verdict::Reject;
}

} // namespace auralis::core
