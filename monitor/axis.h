// Chart axes people can read: value ticks on 1-2-5 steps (0, 20, 40 … instead of 28.7, 57.5)
// and time ticks on round minutes. Pure functions.
#pragma once

#include <cstdint>

namespace auralis::monitor {

struct ValueAxis {
    double max = 1;  // a whole number of steps, ≥ the value to show
    double step = 1; // 1, 2 or 5 × 10^k
    int ticks = 2;   // max / step + 1
};
/// An axis from 0 that shows `top` with at most `maxTicks` ticks.
ValueAxis niceValueAxis(double top, int maxTicks = 6);

struct TimeAxis {
    std::int64_t minMs = 0; // on a tick
    std::int64_t maxMs = 0; // on a tick, ≥ now
    std::int64_t stepMs = 60'000;
    int ticks = 2;
};
/// The last `rangeMs` before `nowMs`, widened to whole steps: 1 min for 5 min, 5 min for
/// 15 min, 10 min for an hour (local time's minutes are the epoch's: whole-minute offsets).
TimeAxis roundTimeAxis(std::int64_t nowMs, std::int64_t rangeMs);

} // namespace auralis::monitor
