#include "core/clock.h"

#include <QDateTime>

namespace auralis::core {

qint64 Clock::wallMs() const {
    return QDateTime::currentMSecsSinceEpoch();
}

} // namespace auralis::core
