// GPU checks (ctest label `gpu`): CUDA/CPU parity, device memory accounting and the
// synthesis benchmark on both devices in one process. Plain C++ (no Qt) so that it runs on
// a bare GPU machine. Exits 77 (ctest: skipped) with the reason when no GPU is usable.
#include "../bench/phrase_timing.h"
#include "synth/device.h"
#include "synth/engine.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

using namespace auralis;
using namespace auralis::synth;

namespace {

int g_failures = 0;

void check(bool ok, const std::string& what) {
    std::printf("%s: %s\n", ok ? "PASS" : "FAIL", what.c_str());
    g_failures += ok ? 0 : 1;
}

std::unique_ptr<Renderer> cudaRenderer(std::string& reason) {
    DeviceChoice choice = chooseRenderer(DevicePreference::Cuda);
    reason = choice.renderer ? choice.reason : choice.error;
    return std::move(choice.renderer);
}

// Renders `phrases` phrases of `params` on both devices and returns the largest difference.
double parity(const MusicParams& params, std::uint64_t seed, int phrases, bool& stayedOnGpu) {
    std::string reason;
    SynthEngine gpu(seed, params, cudaRenderer(reason));
    SynthEngine cpu(seed, params);
    double worst = 0;
    stayedOnGpu = true;
    for (int p = 0; p < phrases; ++p) {
        if (p == phrases / 2) { // a parameter change mid-stream, on both
            gpu.setParams(presetParams(Preset::Bright, 7));
            cpu.setParams(presetParams(Preset::Bright, 7));
        }
        const PhraseOutput& g = gpu.renderNext();
        stayedOnGpu = stayedOnGpu && std::strcmp(g.device, "cuda") == 0;
        const PhraseOutput& c = cpu.renderNext();
        for (std::int32_t i = 0; i < c.frames; ++i) {
            worst = std::max({worst, double(std::fabs(g.left[i] - c.left[i])),
                              double(std::fabs(g.right[i] - c.right[i]))});
        }
    }
    return worst;
}

} // namespace

int main(int argc, char** argv) {
    int phrases = 100;
    const char* jsonPath = nullptr;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--phrases") == 0 && i + 1 < argc) {
            phrases = std::atoi(argv[++i]);
            if (phrases < 1) {
                std::fprintf(stderr, "--phrases must be at least 1\n");
                return 2;
            }
        } else if (std::strcmp(argv[i], "--json") == 0 && i + 1 < argc) {
            jsonPath = argv[++i];
        } else {
            std::fprintf(stderr,
                         "usage: %s [--phrases N] [--json FILE]\n"
                         "  N timed phrases per device (default 100); the parity check renders\n"
                         "  min(N, 8) phrases per preset (at least 2), so --phrases 2 is a quick\n"
                         "  pass, e.g. under compute-sanitizer\n",
                         argv[0]);
            return 2;
        }
    }
    std::string reason;
    auto probe = cudaRenderer(reason);
    if (!probe) {
        std::printf("SKIP: no usable GPU: %s\n", reason.c_str());
        return 77;
    }
    std::printf("GPU: %s\n", reason.c_str());
    check(probe->gpuBytesAllocated() > 0 && probe->gpuBytesAllocated() < probe->gpuBytesTotal(),
          "GPU memory accounted: " + std::to_string(probe->gpuBytesAllocated() >> 20) + " MiB of " +
              std::to_string(probe->gpuBytesTotal() >> 20) + " MiB");
    probe.reset();

    const int parityPhrases = std::clamp(phrases, 2, 8);
    for (const Preset preset : kAllPresets) {
        bool stayed = false;
        const double worst =
            parity(presetParams(preset, 2), 31 + static_cast<int>(preset), parityPhrases, stayed);
        char buf[160];
        std::snprintf(buf, sizeof buf, "parity %s: largest |cuda - cpu| = %.3g (limit 1e-4)",
                      std::string(presetName(preset)).c_str(), worst);
        check(worst <= 1e-4, buf);
        check(stayed, std::string("no CPU fallback during ") + std::string(presetName(preset)));
    }

    // The synthesis benchmark, both devices in this process (ratios are what count).
    SynthEngine cpu(2026, bench::benchmarkParams());
    SynthEngine gpu(2026, bench::benchmarkParams(), cudaRenderer(reason));
    const bench::PhraseTiming tc = bench::timePhrases(cpu, phrases);
    const bench::PhraseTiming tg = bench::timePhrases(gpu, phrases);
    // A GPU row is only a GPU row if every timed phrase ran on CUDA and nothing fell back:
    // otherwise CPU timings would be reported as "cuda".
    check(tg.device == "cuda", "every timed GPU phrase rendered on cuda (got: " + tg.device + ")");
    check(gpu.gpuFailures() == 0,
          "no GPU failures during the benchmark (" + std::to_string(gpu.gpuFailures()) + ")");
    check(tc.device == "cpu", "every timed CPU phrase rendered on cpu (got: " + tc.device + ")");
    std::printf("bench cpu : p50 %.3f ms  p99 %.3f ms  max %.3f ms  %.0fx real time\n", tc.p50,
                tc.p99, tc.max, tc.realTimeFactor);
    std::printf("bench cuda: p50 %.3f ms  p99 %.3f ms  max %.3f ms  %.0fx real time\n", tg.p50,
                tg.p99, tg.max, tg.realTimeFactor);
    std::printf("cuda speed-up at p50: %.2fx\n", tc.p50 / tg.p50);
    if (jsonPath != nullptr) {
        if (std::FILE* f = std::fopen(jsonPath, "w")) {
            std::fprintf(f,
                         "{\"gpu\": \"%s\", \"phrases\": %d,\n"
                         " \"cpu\": {\"kind\": \"%s\", \"p50_ms\": %.4f, \"p99_ms\": %.4f, "
                         "\"max_ms\": %.4f, \"realtime_x\": %.1f},\n"
                         " \"cuda\": {\"kind\": \"%s\", \"gpu_failures\": %llu, \"p50_ms\": %.4f, "
                         "\"p99_ms\": %.4f, \"max_ms\": %.4f, \"realtime_x\": %.1f},\n"
                         " \"failures\": %d}\n",
                         reason.c_str(), phrases, tc.device.c_str(), tc.p50, tc.p99, tc.max,
                         tc.realTimeFactor, tg.device.c_str(),
                         static_cast<unsigned long long>(gpu.gpuFailures()), tg.p50, tg.p99, tg.max,
                         tg.realTimeFactor, g_failures);
            std::fclose(f);
        }
    }
    std::printf("%s: %d failure(s)\n", g_failures == 0 ? "OK" : "FAILED", g_failures);
    return g_failures == 0 ? 0 : 1;
}
