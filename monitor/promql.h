// Query functions with Prometheus 2.x semantics over a SeriesStore, so the dashboard shows
// what Grafana over Prometheus would: rate/increase/delta with counter resets and
// extrapolation, deriv (least squares), max_over_time, histogram_quantile, sum by.
// Ranges select samples in [t - range, t] as Prometheus 2.x does. Pure functions.
#pragma once

#include "monitor/series_store.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace auralis::monitor {

/// The samples of `s` in [t - rangeMs, t], stale markers left out.
std::vector<Point> rangeSamples(const Series& s, std::int64_t t, std::int64_t rangeMs);

/// Prometheus' extrapolatedRate: NaN with fewer than two samples.
double extrapolatedDelta(const std::vector<Point>& samples, std::int64_t t, std::int64_t rangeMs,
                         bool isCounter, bool isRate);
inline double rate(const std::vector<Point>& s, std::int64_t t, std::int64_t rangeMs) {
    return extrapolatedDelta(s, t, rangeMs, true, true);
}
inline double increase(const std::vector<Point>& s, std::int64_t t, std::int64_t rangeMs) {
    return extrapolatedDelta(s, t, rangeMs, true, false);
}
inline double delta(const std::vector<Point>& s, std::int64_t t, std::int64_t rangeMs) {
    return extrapolatedDelta(s, t, rangeMs, false, false);
}
/// Per-second slope of the least-squares line (NaN with fewer than two samples).
double deriv(const std::vector<Point>& samples, std::int64_t t);
double maxOverTime(const std::vector<Point>& samples);

/// The newest sample at or before t, within the 5 minute lookback, unless it is stale.
std::optional<double> instantValue(const Series& s, std::int64_t t,
                                   std::int64_t lookbackMs = 300'000);

struct Bucket {
    double upperBound;
    double count;
};
/// Prometheus' bucketQuantile (classic histograms).
double bucketQuantile(double q, std::vector<Bucket> buckets);

/// One element of an instant vector: the series' labels (without __name__) and a value.
struct Sample {
    Labels labels;
    double value;
};
using Vector = std::vector<Sample>;

enum class RangeFunction { Rate, Increase, Delta, Deriv, MaxOverTime };
/// f(metric[range]) at t over every series of `metric` (series without samples drop out).
Vector rangeVector(const SeriesStore& store, const std::string& metric, RangeFunction f,
                   std::int64_t t, std::int64_t rangeMs);
/// metric at t.
Vector instantVector(const SeriesStore& store, const std::string& metric, std::int64_t t);
/// sum by (labels) (v); `by` empty: sum of everything into one sample.
Vector sumBy(const Vector& v, const std::vector<std::string>& by);
/// histogram_quantile(q, v) where v carries an `le` label; groups by the other labels.
Vector histogramQuantile(double q, const Vector& v);

const std::string& labelOf(const Labels& labels, const std::string& name);

} // namespace auralis::monitor
