#include "protocol/clock.h"

#include <algorithm>
#include <cmath>

#include <QDateTime>

namespace auralis {

qint64 Clock::wallMs() const {
    return QDateTime::currentMSecsSinceEpoch();
}

int backoffMs(int attempt, int initialMs, int maxMs, double random01) {
    const double base = std::min<double>(maxMs, initialMs * std::pow(2.0, std::min(attempt, 30)));
    return static_cast<int>(base * (0.8 + 0.4 * random01));
}

} // namespace auralis
