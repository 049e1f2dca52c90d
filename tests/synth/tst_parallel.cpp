// The CUDA renderer's parallel decompositions, executed on the CPU: the segmented pad filter
// and the block-parallel reverb must reproduce the sequential reference. This checks the
// GPU algorithm on machines without a GPU; tests/gpu checks the real kernels.
#include "audio_checks.h"
#include "synth/cpu_renderer.h"
#include "synth/dsp.h"
#include "synth/engine.h"

#include <QtTest>

#include <random>

using namespace auralis::synth;
using namespace auralis::test;

namespace {

// The CUDA renderer's structure, serially: voices frame-major, filter as segmented scans,
// reverb input and diffusion per frame, the delay network in kReverbBlock blocks; frames
// within a kernel run in reverse order (any order must do).
class EmulatedGpuRenderer final : public Renderer {
public:
    const char* kind() const override { return "cuda-emulated"; }
    std::string deviceName() const override { return "CUDA decomposition on the CPU"; }
    RenderStatus render(const RenderJob& job, RenderState& state, float* outL,
                        float* outR) override {
        const float* tables = wavetables();
        const auto frames = static_cast<std::size_t>(job.frames);
        std::vector<dsp::Mix6> bus(frames);
        for (std::int32_t i = 0; i < job.frames; ++i) { // voicesKernel: one thread per frame
            const std::int64_t n = job.start + i;
            dsp::Mix6 m{};
            for (int j = 0; j < job.noteCount; ++j) {
                const dsp::Note& note = job.notes[j];
                if (n >= note.start && n < dsp::noteEnd(note)) {
                    dsp::addContribution(m, note, dsp::noteSample(note, n, tables));
                }
            }
            bus[static_cast<std::size_t>(i)] = m;
        }
        std::vector<float> pad(2 * frames);
        std::vector<dsp::SegmentSummary> seg(dsp::kFilterSegments);
        std::vector<float> starts(dsp::kFilterSegments);
        for (int ch = 0; ch < 2; ++ch) { // filterKernel: one block per channel
            const float* x = reinterpret_cast<const float*>(bus.data()) + ch;
            int stride = sizeof(dsp::Mix6) / sizeof(float);
            float* y = pad.data() + ch * frames;
            for (int stage = 0; stage < 2; ++stage) {
                for (int s = 0; s < dsp::kFilterSegments; ++s) {
                    std::int32_t from = 0, to = 0;
                    dsp::segmentBounds(job.frames, dsp::kFilterSegments, s, from, to);
                    seg[static_cast<std::size_t>(s)] =
                        dsp::onePoleSummary(x, stride, job.filterCoef, from, to);
                }
                dsp::onePoleScan(seg.data(), starts.data(), dsp::kFilterSegments,
                                 state.filter[ch * 2 + stage]);
                for (int s = dsp::kFilterSegments - 1; s >= 0; --s) {
                    std::int32_t from = 0, to = 0;
                    dsp::segmentBounds(job.frames, dsp::kFilterSegments, s, from, to);
                    const float last = dsp::onePoleApply(x, stride, y, job.filterCoef, from, to,
                                                         starts[static_cast<std::size_t>(s)]);
                    if (from < to && to == job.frames) {
                        state.filter[ch * 2 + stage] = last;
                    }
                }
                x = y;
                stride = 1;
            }
        }
        const float* padL = pad.data();
        const float* padR = pad.data() + frames;
        // reverbInputKernel and diffuseKernel: rows of history + window, frames backwards.
        constexpr std::size_t kHistory = dsp::kDiffuseHistory;
        constexpr std::size_t kRows = 2 * dsp::kDiffuseStages;
        const std::size_t row = kHistory + frames;
        std::vector<float> input(kRows * row);
        std::vector<float> diffused(2 * frames);
        for (std::size_t r = 0; r < kRows; ++r) {
            std::copy_n(state.reverbInput.data() + r * kHistory, kHistory, input.data() + r * row);
        }
        for (std::size_t ch = 0; ch < 2; ++ch) {
            for (std::size_t i = frames; i-- > 0;) {
                const dsp::Mix6& m = bus[i];
                input[ch * row + kHistory + i] =
                    (ch == 0 ? m.sendL : m.sendR) + job.mix.padSend * pad[ch * frames + i];
            }
        }
        // lowCutKernel: the same segmented scan on each input row, then input minus low-pass.
        const std::vector<float> lowCoef(static_cast<std::size_t>(job.coefCount),
                                         job.reverb.lowCut);
        for (std::size_t ch = 0; ch < 2; ++ch) {
            float* x = input.data() + ch * row + kHistory;
            std::vector<float> low(frames);
            for (int s = 0; s < dsp::kFilterSegments; ++s) {
                std::int32_t from = 0, to = 0;
                dsp::segmentBounds(job.frames, dsp::kFilterSegments, s, from, to);
                seg[static_cast<std::size_t>(s)] =
                    dsp::onePoleSummary(x, 1, lowCoef.data(), from, to);
            }
            dsp::onePoleScan(seg.data(), starts.data(), dsp::kFilterSegments, state.lowCut[ch]);
            for (int s = dsp::kFilterSegments - 1; s >= 0; --s) {
                std::int32_t from = 0, to = 0;
                dsp::segmentBounds(job.frames, dsp::kFilterSegments, s, from, to);
                const float last = dsp::onePoleApply(x, 1, low.data(), lowCoef.data(), from, to,
                                                     starts[static_cast<std::size_t>(s)]);
                if (from < to && to == job.frames) {
                    state.lowCut[ch] = last;
                }
            }
            for (std::size_t i = frames; i-- > 0;) {
                x[i] = x[i] - low[i];
            }
        }
        for (std::size_t s = 0; s < dsp::kDiffuseStages; ++s) {
            for (std::size_t ch = 0; ch < 2; ++ch) {
                const float* in = input.data() + (s * 2 + ch) * row + kHistory;
                float* out = s + 1 < dsp::kDiffuseStages
                                 ? input.data() + ((s + 1) * 2 + ch) * row + kHistory
                                 : diffused.data() + ch * frames;
                for (std::size_t i = frames; i-- > 0;) {
                    out[i] = dsp::diffuseSample(in, static_cast<std::int32_t>(i),
                                                job.reverb.diffuseOffset[s][ch],
                                                job.reverb.diffuseGain[s][ch]);
                }
            }
        }
        for (std::size_t r = 0; r < kRows; ++r) {
            std::copy_n(input.data() + r * row + frames, kHistory,
                        state.reverbInput.data() + r * kHistory);
        }
        for (std::int32_t b0 = 0; b0 < job.frames; b0 += dsp::kReverbBlock) { // reverbKernel
            const std::int32_t b1 = std::min(job.frames, b0 + dsp::kReverbBlock);
            for (std::int32_t i = b1 - 1; i >= b0; --i) {
                const dsp::Mix6& m = bus[static_cast<std::size_t>(i)];
                const dsp::Stereo rev = dsp::reverbSample(
                    state.reverbRing.data(), job.start + i, diffused[static_cast<std::size_t>(i)],
                    diffused[frames + static_cast<std::size_t>(i)], job.reverb);
                outL[i] = dsp::masterSample(m.dryL, padL[i], rev.l, job.mix);
                outR[i] = dsp::masterSample(m.dryR, padR[i], rev.r, job.mix);
            }
        }
        return {};
    }
};

std::vector<float> noise(std::size_t n, unsigned seed) {
    std::mt19937 gen(seed);
    std::uniform_real_distribution<float> d(-1.0f, 1.0f);
    std::vector<float> v(n);
    for (float& x : v) {
        x = d(gen);
    }
    return v;
}

// Runs the reverb over `in` frame by frame; `reverseBlocks` visits each block backwards.
std::vector<float> runReverb(const dsp::ReverbConfig& cfg, const std::vector<float>& in,
                             bool reverseBlocks) {
    RenderState state;
    std::vector<float> out(in.size());
    const auto frames = static_cast<std::int32_t>(in.size());
    for (std::int32_t b0 = 0; b0 < frames; b0 += dsp::kReverbBlock) {
        const std::int32_t b1 = std::min(frames, b0 + dsp::kReverbBlock);
        for (std::int32_t k = 0; k < b1 - b0; ++k) {
            const std::int32_t i = reverseBlocks ? b1 - 1 - k : b0 + k;
            const auto idx = static_cast<std::size_t>(i);
            out[idx] =
                dsp::reverbSample(state.reverbRing.data(), 1000000 + i, in[idx], -in[idx], cfg).l;
        }
    }
    return out;
}

} // namespace

class TestParallel : public QObject {
    Q_OBJECT
private slots:
    void segmentedFilterMatchesTheSequentialOne() {
        const std::int32_t frames = phraseFrames(60);
        const std::vector<float> x = noise(static_cast<std::size_t>(frames), 1);
        std::vector<float> coef(static_cast<std::size_t>(frames / dsp::kControlBlock + 1));
        for (std::size_t b = 0; b < coef.size(); ++b) {
            coef[b] = 0.80f + 0.19f * static_cast<float>(std::sin(0.001 * static_cast<double>(b)));
        }
        // Sequential reference, as the CPU renderer runs it.
        std::vector<float> ref(x.size());
        float y = 0.3f;
        for (std::int32_t i = 0; i < frames; ++i) {
            y = dsp::onePole(y, x[static_cast<std::size_t>(i)],
                             coef[static_cast<std::size_t>(i >> dsp::kControlBits)]);
            ref[static_cast<std::size_t>(i)] = y;
        }
        std::vector<dsp::SegmentSummary> seg(dsp::kFilterSegments);
        std::vector<float> starts(dsp::kFilterSegments);
        std::vector<float> out(x.size());
        for (int s = 0; s < dsp::kFilterSegments; ++s) {
            std::int32_t from = 0, to = 0;
            dsp::segmentBounds(frames, dsp::kFilterSegments, s, from, to);
            seg[static_cast<std::size_t>(s)] =
                dsp::onePoleSummary(x.data(), 1, coef.data(), from, to);
        }
        dsp::onePoleScan(seg.data(), starts.data(), dsp::kFilterSegments, 0.3f);
        for (int s = 0; s < dsp::kFilterSegments; ++s) {
            std::int32_t from = 0, to = 0;
            dsp::segmentBounds(frames, dsp::kFilterSegments, s, from, to);
            dsp::onePoleApply(x.data(), 1, out.data(), coef.data(), from, to,
                              starts[static_cast<std::size_t>(s)]);
        }
        double worst = 0;
        for (std::size_t i = 0; i < out.size(); ++i) {
            worst = std::max(worst, double(std::abs(out[i] - ref[i])));
        }
        qInfo("largest difference %.3g", worst);
        QVERIFY(worst < 1e-5);
    }

    void segmentsCoverEveryFrameOnce_data() {
        QTest::addColumn<int>("frames");
        for (int f : {1, 63, 1023, 1024, 1025, 176400, phraseFrames(40), phraseFrames(120)}) {
            QTest::newRow(QByteArray::number(f)) << f;
        }
    }
    void segmentsCoverEveryFrameOnce() {
        QFETCH(int, frames);
        std::int32_t expected = 0;
        for (int s = 0; s < dsp::kFilterSegments; ++s) {
            std::int32_t from = 0, to = 0;
            dsp::segmentBounds(frames, dsp::kFilterSegments, s, from, to);
            QVERIFY(from <= to);
            if (from < to) {
                QCOMPARE(from, expected);
                expected = to;
            }
        }
        QCOMPARE(expected, frames);
    }

    void reverbFramesOfABlockAreIndependent() {
        const std::vector<float> in = noise(200000, 2);
        const dsp::ReverbConfig cfg = SynthEngine::reverbConfig();
        const auto forward = runReverb(cfg, in, false);
        const auto reversed = runReverb(cfg, in, true);
        QVERIFY(forward == reversed); // bit for bit: no frame reads what its block writes
        // The check has teeth: a delay shorter than a block breaks the independence.
        dsp::ReverbConfig shortDelay = cfg;
        shortDelay.delay[3] = dsp::kReverbBlock / 2;
        QVERIFY(runReverb(shortDelay, in, false) != runReverb(shortDelay, in, true));
    }

    void emulatedGpuPipelineMatchesTheCpu_data() {
        QTest::addColumn<int>("preset");
        for (const Preset p : kAllPresets) {
            QTest::newRow(std::string(presetName(p)).c_str()) << static_cast<int>(p);
        }
    }
    void emulatedGpuPipelineMatchesTheCpu() {
        QFETCH(int, preset);
        const MusicParams params = presetParams(static_cast<Preset>(preset));
        SynthEngine cpu(11, params);
        SynthEngine gpu(11, params, std::make_unique<EmulatedGpuRenderer>());
        const Render a = renderSeconds(cpu, 40);
        const Render b = renderSeconds(gpu, 40);
        QCOMPARE(std::string(b.devices.back()), std::string("cuda-emulated"));
        QCOMPARE(a.left.size(), b.left.size());
        double worst = 0;
        for (std::size_t i = 0; i < a.left.size(); ++i) {
            worst = std::max({worst, double(std::abs(a.left[i] - b.left[i])),
                              double(std::abs(a.right[i] - b.right[i]))});
        }
        qInfo("largest difference %.3g full scale", worst);
        QVERIFY(worst <= 1e-5); // the real GPU must stay within 1e-4
    }
};

QTEST_GUILESS_MAIN(TestParallel)
#include "tst_parallel.moc"
