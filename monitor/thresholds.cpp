#include "monitor/thresholds.h"

#include <limits>

namespace auralis::monitor {

namespace {
constexpr double kTop = std::numeric_limits<double>::max();
}

Level latencyLevel(double seconds) {
    if (seconds < 0.075) {
        return Level::Green;
    }
    return seconds <= 0.1 ? Level::Yellow : Level::Red;
}

Level depthLevel(double chunks) {
    if (chunks < 2) {
        return Level::Red;
    }
    return chunks <= 5 ? Level::Yellow : Level::Green;
}

Level underrunRateLevel(double perSecond) {
    if (perSecond <= 0) {
        return Level::Green;
    }
    return perSecond <= 0.01 ? Level::Yellow : Level::Red;
}

Level connectionsLevel(double connections) {
    if (connections <= 10) {
        return Level::Green;
    }
    return connections <= 15 ? Level::Yellow : Level::Red;
}

const char* levelColor(Level level) {
    switch (level) {
    case Level::Green:
        return "#73bf69";
    case Level::Yellow:
        return "#fade2a";
    case Level::Red:
        return "#f2495c";
    }
    return "#73bf69";
}

const char* levelName(Level level) {
    switch (level) {
    case Level::Green:
        return "green";
    case Level::Yellow:
        return "yellow";
    case Level::Red:
        return "red";
    }
    return "green";
}

std::vector<Band> latencyBandsMs() {
    return {{0, 75, Level::Green}, {75, 100, Level::Yellow}, {100, kTop, Level::Red}};
}
std::vector<Band> depthBands() {
    return {{0, 2, Level::Red}, {2, 5, Level::Yellow}, {5, kTop, Level::Green}};
}
std::vector<Band> underrunBands() {
    return {{0, 0, Level::Green}, {0, 0.01, Level::Yellow}, {0.01, kTop, Level::Red}};
}

} // namespace auralis::monitor
