// Synthesis benchmark: render time of an 8 s phrase (60 BPM, full mix, intensity 0.7) on the
// CPU and, where one is usable, the GPU (and the CPU held to its baseline SIMD); plus
// composition alone and the s16 conversion.
// Reports p50/p99 per phrase and the real-time factor as counters.
#include "phrase_timing.h"
#include "synth/composer.h"
#include "synth/cpu_renderer.h"
#include "synth/device.h"
#include "synth/pcm.h"

#include <benchmark/benchmark.h>

using namespace auralis;
using namespace auralis::synth;

namespace {

void timePhrases(benchmark::State& state, std::unique_ptr<Renderer> renderer) {
    state.SetLabel(renderer->deviceName());
    SynthEngine engine(2026, bench::benchmarkParams(), std::move(renderer));
    for (int i = 0; i < 3; ++i) {
        engine.renderNext();
    }
    std::vector<double> ms;
    double seconds = 0;
    for (auto _ : state) {
        const PhraseOutput& out = engine.renderNext();
        benchmark::DoNotOptimize(out.left);
        ms.push_back(out.renderSeconds * 1000.0);
        seconds = static_cast<double>(out.frames) / kSampleRate;
    }
    const bench::PhraseTiming t = bench::summarize(std::move(ms), seconds);
    state.counters["p50_ms"] = t.p50;
    state.counters["p99_ms"] = t.p99;
    state.counters["max_ms"] = t.max;
    state.counters["realtime_x"] = t.realTimeFactor;
}

void renderPhrase(benchmark::State& state, DevicePreference preference) {
    DeviceChoice choice = chooseRenderer(preference);
    if (!choice.renderer) {
        state.SkipWithError(choice.error.c_str());
        return;
    }
    timePhrases(state, std::move(choice.renderer));
}

// The CPU renderer held to its baseline (SSE2) loops: what a CPU without AVX2 gets.
void renderPhraseBaselineSimd(benchmark::State& state) {
    timePhrases(state, std::make_unique<CpuRenderer>(CpuRenderer::Simd::Baseline));
}

void composeOnly(benchmark::State& state) {
    Composer composer(7, bench::benchmarkParams());
    PhrasePlan plan;
    for (auto _ : state) {
        composer.next(plan);
        benchmark::DoNotOptimize(plan.noteCount);
    }
}

void convertToS16(benchmark::State& state) {
    const int frames = phraseFrames(60);
    std::vector<float> l(static_cast<std::size_t>(frames), 0.25f);
    std::vector<float> r(static_cast<std::size_t>(frames), -0.25f);
    std::vector<std::int16_t> out(static_cast<std::size_t>(frames) * 2);
    for (auto _ : state) {
        interleaveS16(l.data(), r.data(), frames, out.data());
        benchmark::DoNotOptimize(out.data());
    }
    state.SetBytesProcessed(state.iterations() * frames * 4);
}

} // namespace

BENCHMARK_CAPTURE(renderPhrase, cpu, DevicePreference::Cpu)
    ->Iterations(100)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(renderPhrase, cuda, DevicePreference::Cuda)
    ->Iterations(100)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(renderPhraseBaselineSimd)->Iterations(100)->Unit(benchmark::kMillisecond);
BENCHMARK(composeOnly)->Unit(benchmark::kMicrosecond);
BENCHMARK(convertToS16)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
