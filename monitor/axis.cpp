#include "monitor/axis.h"

#include <cmath>
#include <initializer_list>

namespace auralis::monitor {

ValueAxis niceValueAxis(double top, int maxTicks) {
    ValueAxis a;
    if (!(top > 0) || !std::isfinite(top) || maxTicks < 2) {
        return a;
    }
    const double rough = top / (maxTicks - 1);
    const double decade = std::pow(10.0, std::floor(std::log10(rough)));
    for (const double m : {1.0, 2.0, 5.0, 10.0}) {
        a.step = m * decade;
        if (a.step >= rough) {
            break;
        }
    }
    a.max = std::ceil(top / a.step - 1e-9) * a.step;
    a.ticks = static_cast<int>(std::lround(a.max / a.step)) + 1;
    return a;
}

TimeAxis roundTimeAxis(std::int64_t nowMs, std::int64_t rangeMs) {
    TimeAxis a;
    a.stepMs = rangeMs <= 5 * 60'000 ? 60'000 : rangeMs <= 15 * 60'000 ? 5 * 60'000 : 10 * 60'000;
    const std::int64_t from = nowMs - rangeMs;
    a.minMs = from - ((from % a.stepMs) + a.stepMs) % a.stepMs;
    a.maxMs = nowMs + (a.stepMs - ((nowMs % a.stepMs) + a.stepMs) % a.stepMs) % a.stepMs;
    a.ticks = static_cast<int>((a.maxMs - a.minMs) / a.stepMs) + 1;
    return a;
}

} // namespace auralis::monitor
