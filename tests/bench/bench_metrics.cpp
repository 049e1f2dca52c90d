// Cost of one /metrics scrape: snapshot, prometheus-cpp Collect() of the node's own families,
// the listeners' table and the exposition writer, with the series of 10, 100 and 1000
// listeners, warm and with cold caches (as in a live node); as the baseline in the same run,
// the same families written by prometheus-cpp's TextSerializer. Reports the bytes per scrape.
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
        series.setDepth(12);
        series.setPlayoutBuffer(950); // every listener reports: four series
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

// Before each timed scrape of the Cold variants, 48 MiB of other memory written through the
// caches (32 MiB L3 here): a live node scrapes every 1-15 s while sends stream through them, so
// its listeners' series are never in cache when the scrape comes.
std::vector<char>& evictionBuffer() {
    static std::vector<char> buffer(48u << 20);
    return buffer;
}
void evictCaches(benchmark::State& state) {
    state.PauseTiming();
    for (std::size_t i = 0; i < evictionBuffer().size(); i += 64) {
        ++evictionBuffer()[i];
    }
    benchmark::ClobberMemory();
    state.ResumeTiming();
}

template <bool Cold>
void scrapeTextSerializer(benchmark::State& state) {
    Loaded l;
    load(l, static_cast<int>(state.range(0)));
    std::size_t bytes = 0;
    for (auto _ : state) {
        if (Cold) {
            evictCaches(state);
        }
        for (const auto& listener : l.listeners) {
            listener->setDepth(13);
        }
        // What scrape() did before its own writer, less setting a handful of gauges.
        const std::string text =
            prometheus::TextSerializer().Serialize(l.metrics.collect(readProcessStats()));
        bytes = text.size();
        benchmark::DoNotOptimize(text.data());
    }
    state.counters["bytes"] = static_cast<double>(bytes);
}

template <bool Cold>
void scrape(benchmark::State& state) {
    Loaded l;
    load(l, static_cast<int>(state.range(0)));
    std::size_t bytes = 0;
    for (auto _ : state) {
        if (Cold) {
            evictCaches(state);
        }
        for (const auto& listener : l.listeners) {
            listener->setDepth(13); // the node sets every depth gauge at scrape time
        }
        const std::string text = l.metrics.scrape(l.snap);
        bytes = text.size();
        benchmark::DoNotOptimize(text.data());
    }
    state.counters["bytes"] = static_cast<double>(bytes);
    state.counters["listeners"] = static_cast<double>(state.range(0));
}

} // namespace

BENCHMARK(scrape<false>)
    ->Name("scrape")
    ->Arg(10)
    ->Arg(100)
    ->Arg(1000)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(scrapeTextSerializer<false>)
    ->Name("scrapeTextSerializer")
    ->Arg(1000)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(scrape<true>)
    ->Name("scrapeCold")
    ->Arg(1000)
    ->Iterations(100)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(scrapeTextSerializer<true>)
    ->Name("scrapeTextSerializerCold")
    ->Arg(1000)
    ->Iterations(100)
    ->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
