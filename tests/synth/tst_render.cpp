// Rendering: determinism, audio quality per preset, seamless phrases, GPU-failure fallback.
#include "audio_checks.h"
#include "synth/cpu_renderer.h"
#include "synth/engine.h"
#include "synth/pcm.h"

#include <QtTest>

#include <cstring>

using namespace auralis::synth;
using namespace auralis::test;

namespace {

std::vector<std::int16_t> pcmOf(const Render& r) {
    std::vector<std::int16_t> pcm(r.left.size() * 2);
    interleaveS16(r.left.data(), r.right.data(), static_cast<std::int64_t>(r.left.size()),
                  pcm.data());
    return pcm;
}

// A renderer that works like the CPU until phrase `failAt`, then reports a device error
// (scribbling over the output first, as a half-finished GPU copy might).
class FailingRenderer final : public Renderer {
public:
    explicit FailingRenderer(int failAt) : m_failAt(failAt) {}
    const char* kind() const override { return "cuda"; }
    std::string deviceName() const override { return "fake GPU"; }
    RenderStatus render(const RenderJob& job, RenderState& state, float* outL,
                        float* outR) override {
        if (m_calls++ == m_failAt) {
            std::fill_n(outL, job.frames, 0.9f);
            return {false, "cudaErrorIllegalAddress (injected)"};
        }
        return m_cpu.render(job, state, outL, outR);
    }

private:
    int m_failAt;
    int m_calls = 0;
    CpuRenderer m_cpu;
};

} // namespace

class TestRender : public QObject {
    Q_OBJECT
private slots:
    void sameSeedSameBytes() {
        SynthEngine a(1234, presetParams(Preset::Focus));
        SynthEngine b(1234, presetParams(Preset::Focus));
        const auto pa = pcmOf(renderSeconds(a, 30));
        const auto pb = pcmOf(renderSeconds(b, 30));
        QCOMPARE(pa.size(), pb.size());
        QVERIFY(std::memcmp(pa.data(), pb.data(), pa.size() * sizeof(std::int16_t)) == 0);
    }

    void differentSeedsDiffer() {
        SynthEngine a(1, presetParams(Preset::Focus));
        SynthEngine b(2, presetParams(Preset::Focus));
        const auto pa = pcmOf(renderSeconds(a, 10));
        const auto pb = pcmOf(renderSeconds(b, 10));
        std::size_t differing = 0;
        for (std::size_t i = 0; i < std::min(pa.size(), pb.size()); ++i) {
            differing += pa[i] != pb[i];
        }
        QVERIFY2(differing > pa.size() / 2, qPrintable(QString::number(differing)));
    }

    void quality_data() {
        QTest::addColumn<int>("preset");
        for (const Preset p : kAllPresets) {
            QTest::newRow(std::string(presetName(p)).c_str()) << static_cast<int>(p);
        }
    }

    void quality() {
        QFETCH(int, preset);
        const MusicParams params = presetParams(static_cast<Preset>(preset), 2 /* D */);
        SynthEngine engine(0xA0A0 + static_cast<std::uint64_t>(preset), params);
        const Render r = renderSeconds(engine, 60);

        const Levels l = levels(r);
        qInfo("peak %.2f dBFS, rms %.1f dBFS, dc %.2e", dbfs(l.peak), dbfs(l.rms), l.dc);
        QVERIFY(l.finite);
        QVERIFY2(dbfs(l.peak) <= -0.5, qPrintable(QString::number(dbfs(l.peak))));
        QVERIFY2(l.dc < 2e-3, qPrintable(QString::number(l.dc)));
        QVERIFY2(dbfs(l.rms) > -36 && dbfs(l.rms) < -12, qPrintable(QString::number(dbfs(l.rms))));

        const Steps s = boundarySteps(r, 4410);
        qInfo("largest step at boundaries %.5f, inside %.5f", s.atBoundaries, s.inside);
        QVERIFY(s.inside > 0);
        QVERIFY(s.atBoundaries <= 2 * s.inside);

        const auto bins = chroma(r);
        std::array<int, 12> order{};
        for (int i = 0; i < 12; ++i) {
            order[static_cast<std::size_t>(i)] = i;
        }
        std::sort(order.begin(), order.end(), [&](int a, int b) {
            return bins[static_cast<std::size_t>(a)] > bins[static_cast<std::size_t>(b)];
        });
        QString ranking;
        for (const int pc : order) {
            ranking += QString("%1 ").arg(std::string(keyName(pc)).c_str());
        }
        qInfo("chroma ranking: %s", qPrintable(ranking));
        for (int i = 0; i < 7; ++i) {
            QVERIFY2(inScale(params.key, params.mode, order[static_cast<std::size_t>(i)]),
                     qPrintable("strongest bins: " + ranking));
        }
    }

    void paramsChangeAtThePhraseBoundaryWithoutAJump() {
        SynthEngine engine(77, presetParams(Preset::Sleep));
        Render r = renderSeconds(engine, 20);
        const std::size_t before = r.left.size();
        engine.setParams(presetParams(Preset::Bright, 5));
        const PhraseOutput& out = engine.renderNext();
        QCOMPARE(out.plan->params, presetParams(Preset::Bright, 5));
        QCOMPARE(out.plan->start, static_cast<std::int64_t>(before));
        r.phraseStarts.push_back(static_cast<std::int64_t>(before));
        r.left.insert(r.left.end(), out.left, out.left + out.frames);
        r.right.insert(r.right.end(), out.right, out.right + out.frames);
        const Steps s = boundarySteps(r, 4410);
        QVERIFY(s.atBoundaries <= 2 * s.inside);
    }

    void avx2PathRendersTheBaselineBits_data() { quality_data(); }

    // The AVX2 copy of the render loops must be the same arithmetic: every float equal, for
    // every preset (each has its own voices and envelopes), across phrase boundaries.
    void avx2PathRendersTheBaselineBits() {
        if (!CpuRenderer::supports(CpuRenderer::Simd::Avx2)) {
            QSKIP("this CPU (or build) has no AVX2 path");
        }
        QFETCH(int, preset);
        const MusicParams params = presetParams(static_cast<Preset>(preset));
        auto avx2 = std::make_unique<CpuRenderer>(CpuRenderer::Simd::Avx2);
        QCOMPARE(avx2->simd(), CpuRenderer::Simd::Avx2);
        QVERIFY(avx2->deviceName().find("AVX2") != std::string::npos);
        auto baseline = std::make_unique<CpuRenderer>(CpuRenderer::Simd::Baseline);
        QCOMPARE(baseline->simd(), CpuRenderer::Simd::Baseline);
        SynthEngine a(4242, params, std::move(baseline), "baseline");
        SynthEngine b(4242, params, std::move(avx2), "avx2");
        const Render ra = renderSeconds(a, 20);
        const Render rb = renderSeconds(b, 20);
        QCOMPARE(ra.left.size(), rb.left.size());
        const auto bytes = ra.left.size() * sizeof(float);
        QVERIFY(std::memcmp(ra.left.data(), rb.left.data(), bytes) == 0);
        QVERIFY(std::memcmp(ra.right.data(), rb.right.data(), bytes) == 0);
    }

    void gpuFailureFallsBackWithoutAGap() {
        SynthEngine reference(99, presetParams(Preset::Focus));
        SynthEngine failing(99, presetParams(Preset::Focus), std::make_unique<FailingRenderer>(3),
                            "fake");
        const Render a = renderSeconds(reference, 40);
        const Render b = renderSeconds(failing, 40);
        QCOMPARE(failing.gpuFailures(), std::uint64_t{1});
        QCOMPARE(std::string(failing.renderer().kind()), std::string("cpu"));
        QCOMPARE(std::string(b.devices[2]), std::string("cuda"));
        QCOMPARE(std::string(b.devices[3]), std::string("cpu"));
        QVERIFY(failing.deviceReason().find("injected") != std::string::npos);
        // The failed phrase was rendered again on the CPU from the untouched state.
        QCOMPARE(pcmOf(a), pcmOf(b));
    }
};

QTEST_GUILESS_MAIN(TestRender)
#include "tst_render.moc"
