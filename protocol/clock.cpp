#include "protocol/clock.h"

#include <QDateTime>

namespace auralis {

qint64 Clock::wallMs() const {
    return QDateTime::currentMSecsSinceEpoch();
}

} // namespace auralis
