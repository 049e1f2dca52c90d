#include "monitor/promql.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace auralis::monitor {

namespace {
const std::string kEmpty;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Kahan-Babuska summation step, as Prometheus' linear regression does.
void kahanAdd(double inc, double& sum, double& c) {
    const double t = sum + inc;
    if (std::abs(sum) >= std::abs(inc)) {
        c += (sum - t) + inc;
    } else {
        c += (inc - t) + sum;
    }
    sum = t;
}
} // namespace

const std::string& labelOf(const Labels& labels, const std::string& name) {
    for (const auto& [k, v] : labels) {
        if (k == name) {
            return v;
        }
    }
    return kEmpty;
}

std::vector<Point> rangeSamples(const Series& s, std::int64_t t, std::int64_t rangeMs) {
    std::vector<Point> out;
    const auto first = std::lower_bound(s.points.begin(), s.points.end(), t - rangeMs,
                                        [](const Point& p, std::int64_t v) { return p.t < v; });
    for (auto it = first; it != s.points.end() && it->t <= t; ++it) {
        if (!isStale(it->v)) {
            out.push_back(*it);
        }
    }
    return out;
}

double extrapolatedDelta(const std::vector<Point>& p, std::int64_t t, std::int64_t rangeMs,
                         bool isCounter, bool isRate) {
    if (p.size() < 2) {
        return kNaN;
    }
    const std::int64_t rangeStart = t - rangeMs;
    const std::int64_t rangeEnd = t;
    double result = p.back().v - p.front().v;
    if (isCounter) {
        double last = 0;
        for (const Point& s : p) {
            if (s.v < last) {
                result += last; // a reset: the counter restarted from 0
            }
            last = s.v;
        }
    }
    double toStart = static_cast<double>(p.front().t - rangeStart) / 1000.0;
    const double toEnd = static_cast<double>(rangeEnd - p.back().t) / 1000.0;
    const double sampled = static_cast<double>(p.back().t - p.front().t) / 1000.0;
    const double average = sampled / static_cast<double>(p.size() - 1);
    if (isCounter && result > 0 && p.front().v >= 0) {
        // A counter cannot be extrapolated below zero.
        const double toZero = sampled * (p.front().v / result);
        toStart = std::min(toStart, toZero);
    }
    const double threshold = average * 1.1;
    double interval = sampled;
    interval += toStart < threshold ? toStart : average / 2;
    interval += toEnd < threshold ? toEnd : average / 2;
    result *= interval / sampled;
    if (isRate) {
        result /= static_cast<double>(rangeMs) / 1000.0;
    }
    return result;
}

double deriv(const std::vector<Point>& p, std::int64_t t) {
    if (p.size() < 2) {
        return kNaN;
    }
    double n = 0, sumX = 0, cX = 0, sumY = 0, cY = 0, sumXY = 0, cXY = 0, sumX2 = 0, cX2 = 0;
    const double initY = p.front().v;
    bool constY = true;
    for (std::size_t i = 0; i < p.size(); ++i) {
        if (constY && i > 0 && p[i].v != initY) {
            constY = false;
        }
        n += 1.0;
        const double x = static_cast<double>(p[i].t - t) / 1000.0;
        kahanAdd(x, sumX, cX);
        kahanAdd(p[i].v, sumY, cY);
        kahanAdd(x * p[i].v, sumXY, cXY);
        kahanAdd(x * x, sumX2, cX2);
    }
    if (constY) {
        return std::isinf(initY) ? kNaN : 0.0;
    }
    sumX += cX;
    sumY += cY;
    sumXY += cXY;
    sumX2 += cX2;
    const double covXY = sumXY - sumX * sumY / n;
    const double varX = sumX2 - sumX * sumX / n;
    return covXY / varX;
}

double maxOverTime(const std::vector<Point>& p) {
    if (p.empty()) {
        return kNaN;
    }
    double m = p.front().v;
    for (const Point& s : p) {
        if (s.v > m || std::isnan(m)) {
            m = s.v;
        }
    }
    return m;
}

std::optional<double> instantValue(const Series& s, std::int64_t t, std::int64_t lookbackMs) {
    const auto after = std::upper_bound(s.points.begin(), s.points.end(), t,
                                        [](std::int64_t v, const Point& p) { return v < p.t; });
    if (after == s.points.begin()) {
        return std::nullopt;
    }
    const Point& last = *(after - 1);
    if (isStale(last.v) || last.t < t - lookbackMs) {
        return std::nullopt;
    }
    return last.v;
}

double bucketQuantile(double q, std::vector<Bucket> b) {
    if (std::isnan(q)) {
        return kNaN;
    }
    if (q < 0) {
        return -kInf;
    }
    if (q > 1) {
        return kInf;
    }
    std::sort(b.begin(), b.end(),
              [](const Bucket& x, const Bucket& y) { return x.upperBound < y.upperBound; });
    if (b.empty() || !std::isinf(b.back().upperBound) || b.back().upperBound < 0) {
        return kNaN;
    }
    // Coalesce equal bounds, then make the counts monotonic.
    std::vector<Bucket> c;
    for (const Bucket& x : b) {
        if (!c.empty() && c.back().upperBound == x.upperBound) {
            c.back().count += x.count;
        } else {
            c.push_back(x);
        }
    }
    for (std::size_t i = 1; i < c.size(); ++i) {
        c[i].count = std::max(c[i].count, c[i - 1].count);
    }
    if (c.size() < 2) {
        return kNaN;
    }
    const double observations = c.back().count;
    if (observations == 0) {
        return kNaN;
    }
    double rank = q * observations;
    std::size_t i = 0;
    while (i < c.size() - 1 && c[i].count < rank) {
        ++i;
    }
    if (i == c.size() - 1) {
        return c[c.size() - 2].upperBound;
    }
    if (i == 0 && c[0].upperBound <= 0) {
        return c[0].upperBound;
    }
    double start = 0;
    double count = c[i].count;
    if (i > 0) {
        start = c[i - 1].upperBound;
        count -= c[i - 1].count;
        rank -= c[i - 1].count;
    }
    return start + (c[i].upperBound - start) * (rank / count);
}

Vector rangeVector(const SeriesStore& store, const std::string& metric, RangeFunction f,
                   std::int64_t t, std::int64_t rangeMs) {
    Vector out;
    for (const Series* s : store.select(metric)) {
        const std::vector<Point> p = rangeSamples(*s, t, rangeMs);
        double v = kNaN;
        switch (f) {
        case RangeFunction::Rate:
            v = rate(p, t, rangeMs);
            break;
        case RangeFunction::Increase:
            v = increase(p, t, rangeMs);
            break;
        case RangeFunction::Delta:
            v = delta(p, t, rangeMs);
            break;
        case RangeFunction::Deriv:
            v = deriv(p, t);
            break;
        case RangeFunction::MaxOverTime:
            v = maxOverTime(p);
            break;
        }
        const bool needsTwo = f != RangeFunction::MaxOverTime;
        if ((needsTwo && p.size() < 2) || p.empty()) {
            continue; // no result for this series, as in Prometheus
        }
        out.push_back({s->labels, v});
    }
    return out;
}

Vector instantVector(const SeriesStore& store, const std::string& metric, std::int64_t t) {
    Vector out;
    for (const Series* s : store.select(metric)) {
        if (const auto v = instantValue(*s, t)) {
            out.push_back({s->labels, *v});
        }
    }
    return out;
}

Vector sumBy(const Vector& v, const std::vector<std::string>& by) {
    std::map<Labels, double> groups;
    for (const Sample& s : v) {
        Labels key;
        for (const std::string& name : by) {
            const std::string& value = labelOf(s.labels, name);
            if (!value.empty()) {
                key.emplace_back(name, value);
            }
        }
        std::sort(key.begin(), key.end());
        groups[key] += s.value;
    }
    Vector out;
    for (auto& [labels, value] : groups) {
        out.push_back({labels, value});
    }
    return out;
}

Vector histogramQuantile(double q, const Vector& v) {
    std::map<Labels, std::vector<Bucket>> groups;
    for (const Sample& s : v) {
        Labels key;
        std::string le;
        for (const auto& [k, val] : s.labels) {
            if (k == "le") {
                le = val;
            } else {
                key.emplace_back(k, val);
            }
        }
        if (le.empty()) {
            continue;
        }
        const double bound = le == "+Inf" ? kInf : std::strtod(le.c_str(), nullptr);
        groups[key].push_back({bound, s.value});
    }
    Vector out;
    for (auto& [labels, buckets] : groups) {
        out.push_back({labels, bucketQuantile(q, buckets)});
    }
    return out;
}

} // namespace auralis::monitor
