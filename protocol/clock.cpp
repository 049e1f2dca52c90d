#include "protocol/clock.h"

#include <algorithm>
#include <cmath>
#include <ctime>

#include <QDateTime>

namespace auralis {

double threadCpuSeconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

const Clock& steadyClock() {
    static const Clock* const clock = new SteadyClock; // never destroyed: see clock.h
    return *clock;
}

qint64 Clock::wallMs() const {
    return QDateTime::currentMSecsSinceEpoch();
}

int backoffMs(int attempt, int initialMs, int maxMs, double random01) {
    const double base = std::min<double>(maxMs, initialMs * std::pow(2.0, std::min(attempt, 30)));
    return static_cast<int>(base * (0.8 + 0.4 * random01));
}

} // namespace auralis
