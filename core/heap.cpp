#include "core/heap.h"

#include <chrono>

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace auralis::core {

HeapStats readHeapStats() {
    HeapStats s;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    const struct mallinfo2 m = mallinfo2();
    s.known = true;
    // uordblks: in use in the arenas; hblkhd: mmapped chunks (in use until freed).
    s.inUseBytes = static_cast<double>(m.uordblks + m.hblkhd);
    s.freeBytes = static_cast<double>(m.fordblks);
    s.systemBytes = static_cast<double>(m.arena + m.hblkhd);
#endif
    return s;
}

double trimHeap() {
    const auto t0 = std::chrono::steady_clock::now();
#ifdef __GLIBC__
    malloc_trim(0);
#endif
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

bool HeapTrimPolicy::shouldTrim(const Inputs& in) const {
    const double grown = in.residentBytes - in.residentAfterLastTrim;
    if (grown >= pressureBytes) {
        return true;
    }
    return grown >= growthBytes && in.freeHeapBytes >= minFreeBytes &&
           in.secondsSinceLastTrim >= minSpacingS;
}

} // namespace auralis::core
