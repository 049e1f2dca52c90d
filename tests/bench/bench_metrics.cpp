// Cost of one /metrics scrape: snapshot, prometheus-cpp Collect() and the exposition writer,
// with the series of 10, 100 and 1000 listeners; and, as the baseline in the same run, the
// same families written by prometheus-cpp's TextSerializer. Reports the bytes per scrape.
#include "core/metrics.h"

#include <benchmark/benchmark.h>
#include <prometheus/text_serializer.h>

#include <string>
#include <vector>

using namespace auralis;
using namespace auralis::core;

namespace {

// A node's metrics with the series of `n` listeners and some observations.
struct Loaded {
    NodeMetrics metrics;
    std::vector<NodeMetrics::Listener*> listeners;
    NodeMetrics::Snapshot snap;
};

void load(Loaded& l, int n) {
    for (int i = 0; i < n; ++i) {
        const std::string id = "load-" + std::to_string(i);
        NodeMetrics::Listener& series = l.metrics.addListener(id);
        l.listeners.push_back(&series);
        l.metrics.addPlayout(series); // every listener reports: four series
        series.depth->Set(12);
        series.playoutBuffer->Set(950);
    }
    for (int i = 0; i < 1000; ++i) {
        l.metrics.observeSynthesis(0.012);
        l.metrics.observeEncoding(0.00002);
        l.metrics.observeJitter(0.8);
    }
    l.snap.connections = n;
    l.snap.phrases = 100;
    l.snap.streamSeconds = 800;
}

void scrapeTextSerializer(benchmark::State& state) {
    Loaded l;
    load(l, static_cast<int>(state.range(0)));
    std::size_t bytes = 0;
    for (auto _ : state) {
        for (const auto& listener : l.listeners) {
            listener->depth->Set(13);
        }
        // What scrape() did before its own writer, less setting a handful of gauges.
        const std::string text =
            prometheus::TextSerializer().Serialize(l.metrics.collect(readProcessStats()));
        bytes = text.size();
        benchmark::DoNotOptimize(text.data());
    }
    state.counters["bytes"] = static_cast<double>(bytes);
}

void scrape(benchmark::State& state) {
    Loaded l;
    load(l, static_cast<int>(state.range(0)));
    std::size_t bytes = 0;
    for (auto _ : state) {
        for (const auto& listener : l.listeners) {
            listener->depth->Set(13); // the node sets every depth gauge at scrape time
        }
        const std::string text = l.metrics.scrape(l.snap);
        bytes = text.size();
        benchmark::DoNotOptimize(text.data());
    }
    state.counters["bytes"] = static_cast<double>(bytes);
    state.counters["listeners"] = static_cast<double>(state.range(0));
}

} // namespace

BENCHMARK(scrape)->Arg(10)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);
BENCHMARK(scrapeTextSerializer)->Arg(1000)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
