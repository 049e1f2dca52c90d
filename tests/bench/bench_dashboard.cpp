// Cost of one dashboard refresh with the series of 10, 100 and 1000 listeners (15 minutes of
// 1 s scrapes, 5 minute range): computing the panels (the watcher thread's work) and drawing
// them (the GUI thread's frame: one replace() per series), offscreen.
#include "ui/main_window.h"

#include <QApplication>
#include <QGridLayout>

#include <benchmark/benchmark.h>

using namespace auralis::monitor;
using namespace auralis::ui;

namespace {

constexpr std::int64_t kT0 = 1'700'000'000'000;
constexpr int kSeconds = 900;

SeriesStore makeStore(int clients) {
    SeriesStore s(3'600'000);
    const std::vector<std::string> les = {"0.01", "0.025", "0.05", "0.075", "0.1", "0.15",
                                          "0.2",  "0.3",   "0.5",  "1",     "+Inf"};
    for (int k = 0; k <= kSeconds; ++k) {
        ParsedScrape p;
        for (std::size_t b = 0; b < les.size(); ++b) {
            p.samples.push_back({"synthesis_latency_seconds_bucket",
                                 {{"le", les[b]}},
                                 b >= 1 ? k * 0.125 : 0.0,
                                 std::nullopt});
        }
        for (int i = 0; i < clients; ++i) {
            const std::string id = "load-" + std::to_string(i);
            p.samples.push_back(
                {"buffer_depth_chunks", {{"client_id", id}}, 10.0 + (i + k) % 7, std::nullopt});
            p.samples.push_back({"buffer_underruns_total",
                                 {{"client_id", id}},
                                 (i % 50 == 0) ? k / 100.0 : 0.0,
                                 std::nullopt});
        }
        p.samples.push_back(
            {"active_websocket_connections", {}, static_cast<double>(clients), std::nullopt});
        p.samples.push_back({"memory_usage_mb", {}, 60.0 + clients * 0.05, std::nullopt});
        p.samples.push_back({"gpu_memory_allocated_mb", {}, 0.0, std::nullopt});
        s.append(p, kT0 + k * 1000);
    }
    return s;
}

void compute(benchmark::State& state) {
    const SeriesStore store = makeStore(static_cast<int>(state.range(0)));
    AlertEvaluator alerts;
    alerts.evaluate(store, kT0 + kSeconds * 1000);
    for (auto _ : state) {
        const DashboardSnapshot d = computeDashboard(store, alerts, kT0 + kSeconds * 1000);
        benchmark::DoNotOptimize(d.depth.series.data());
    }
    state.counters["series_in_store"] = static_cast<double>(store.seriesCount());
}

void evaluateAlerts(benchmark::State& state) {
    const SeriesStore store = makeStore(static_cast<int>(state.range(0)));
    AlertEvaluator alerts;
    for (auto _ : state) {
        alerts.evaluate(store, kT0 + kSeconds * 1000);
    }
}

void draw(benchmark::State& state) {
    const SeriesStore store = makeStore(static_cast<int>(state.range(0)));
    AlertEvaluator alerts;
    alerts.evaluate(store, kT0 + kSeconds * 1000);
    const DashboardSnapshot d = computeDashboard(store, alerts, kT0 + kSeconds * 1000);
    QWidget window;
    auto* grid = new QGridLayout(&window);
    auto* latency = new ChartPanelWidget("latency", latencyBandsMs());
    auto* depth = new ChartPanelWidget("depth", depthBands());
    auto* memory = new ChartPanelWidget("memory", {});
    auto* underruns = new ChartPanelWidget("underruns", underrunBands());
    auto* stat = new StatPanelWidget("connections");
    auto* table = new AlertsPanelWidget;
    grid->addWidget(latency, 0, 0);
    grid->addWidget(depth, 0, 1);
    grid->addWidget(memory, 1, 0);
    grid->addWidget(underruns, 1, 1);
    grid->addWidget(stat, 2, 0);
    grid->addWidget(table, 2, 1);
    window.resize(1500, 1000);
    window.show();
    for (auto _ : state) {
        latency->show(d.latency, d.timeMs, 300'000);
        depth->show(d.depth, d.timeMs, 300'000);
        memory->show(d.memory, d.timeMs, 300'000);
        underruns->show(d.underruns, d.timeMs, 300'000);
        stat->show(d.connections, d.connectionsLevel);
        table->show(d.alerts);
        window.repaint(); // the frame is painted, not only updated
        QCoreApplication::processEvents();
    }
}

} // namespace

BENCHMARK(compute)->Arg(10)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);
BENCHMARK(evaluateAlerts)->Arg(10)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);
BENCHMARK(draw)->Arg(10)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);

int main(int argc, char** argv) {
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
