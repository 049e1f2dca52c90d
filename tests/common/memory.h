// Resident memory of a process, for the tests' memory bounds. Under AddressSanitizer freed
// memory stays resident in its quarantine (up to 256 MB), so there the bounds say nothing
// about the product: sanitizer builds check memory errors, Release builds check the bounds.
// Header-only.
#pragma once

#include <QCoreApplication>
#include <QFile>
#include <QRegularExpression>

namespace auralis::test {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kRssBoundsHold = false;
#else
inline constexpr bool kRssBoundsHold = true;
#endif

/// VmRSS of process `pid` (this one by default), in MiB.
inline double rssMbOf(qint64 pid = QCoreApplication::applicationPid()) {
    QFile f(QString("/proc/%1/status").arg(pid));
    f.open(QIODevice::ReadOnly);
    const auto m =
        QRegularExpression("VmRSS:\\s+(\\d+) kB").match(QString::fromLatin1(f.readAll()));
    return m.captured(1).toDouble() / 1024.0;
}

/// Whether growing by `grewMb` keeps within `limitMb` (always, where RSS is not meaningful).
inline bool withinMemoryBound(double grewMb, double limitMb) {
    return !kRssBoundsHold || grewMb <= limitMb;
}

} // namespace auralis::test
