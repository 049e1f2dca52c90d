// Cost of one /metrics scrape: snapshot, prometheus-cpp Collect() and TextSerializer, with
// the series of 10, 100 and 1000 listeners. Reports the bytes of exposition per scrape.
#include "core/metrics.h"

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

using namespace auralis;
using namespace auralis::core;

namespace {

void scrape(benchmark::State& state) {
    NodeMetrics metrics;
    std::vector<NodeMetrics::Listener> listeners;
    const auto n = static_cast<int>(state.range(0));
    for (int i = 0; i < n; ++i) {
        listeners.push_back(metrics.addListener("load-" + std::to_string(i)));
        listeners.back().depth->Set(12);
        listeners.back().playoutBuffer->Set(950);
    }
    for (int i = 0; i < 1000; ++i) {
        metrics.observeSynthesis(0.012);
        metrics.observeEncoding(0.00002);
        metrics.observeJitter(0.8);
    }
    NodeMetrics::Snapshot snap;
    snap.connections = n;
    snap.phrases = 100;
    snap.streamSeconds = 800;
    std::size_t bytes = 0;
    for (auto _ : state) {
        for (const auto& l : listeners) {
            l.depth->Set(13); // the node sets every depth gauge at scrape time
        }
        const std::string text = metrics.scrape(snap);
        bytes = text.size();
        benchmark::DoNotOptimize(text.data());
    }
    state.counters["bytes"] = static_cast<double>(bytes);
    state.counters["listeners"] = n;
}

} // namespace

BENCHMARK(scrape)->Arg(10)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
