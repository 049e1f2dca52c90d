// The process heap: glibc's statistics, handing free pages back (malloc_trim) and the rule for
// when the node does so. Pure functions and process-wide calls; any thread (the node calls them
// from its maintenance timer). Without glibc the statistics are unknown and trimming does nothing.
#pragma once

#include <cstdint>

namespace auralis::core {

struct HeapStats {
    bool known = false;     // false: not glibc, nothing below is measured
    double inUseBytes = 0;  // allocated and not freed (arenas and mmapped chunks)
    double freeBytes = 0;   // free chunks the arenas keep (resident or not)
    double systemBytes = 0; // what the arenas took from the system (mmapped chunks included)
};
HeapStats readHeapStats();

/// Returns the arenas' free pages to the system (every arena); the time it took, in ms.
double trimHeap();

/// When the maintenance task trims. A trim counts as gc_collections_total{generation="2"},
/// and FrequentGCCollections fires at more than one per 5 minutes held for 10 minutes, so
/// routine trims are spaced `minSpacingS` apart; growth of `pressureBytes` trims at once.
struct HeapTrimPolicy {
    double pressureBytes = 32.0 * 1024 * 1024; // RSS grown this much since the last trim
    double growthBytes = 1.0 * 1024 * 1024;    // RSS grown this much since the last trim ...
    double minFreeBytes = 2.0 * 1024 * 1024;   // ... with this much free heap ...
    double minSpacingS = 15 * 60;              // ... and this long since the last trim

    struct Inputs {
        double residentBytes = 0;
        double residentAfterLastTrim = 0;
        double freeHeapBytes = 0;
        double secondsSinceLastTrim = 0;
    };
    bool shouldTrim(const Inputs& in) const;
};
// One trim lifts the 5-minute rate for 5 minutes; 10 minutes apart it cannot hold for 10.
static_assert(HeapTrimPolicy{}.minSpacingS >= 10 * 60, "routine trims would hold the GC alert");

} // namespace auralis::core
