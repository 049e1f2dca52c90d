// Steady-state rendering allocates nothing on the heap: this binary counts every operator
// new while the engine renders phrase after phrase (after a warm-up).
#include "synth/engine.h"
#include "synth/pcm.h"

#include <QtTest>

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};
} // namespace

void* operator new(std::size_t size) {
    if (g_counting.load(std::memory_order_relaxed)) {
        g_allocations.fetch_add(1, std::memory_order_relaxed);
    }
    if (void* p = std::malloc(size == 0 ? 1 : size)) {
        return p;
    }
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
    return operator new(size);
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete[](void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    std::free(p);
}

using namespace auralis::synth;

class TestAllocation : public QObject {
    Q_OBJECT
private slots:
    void countingWorks() {
        g_allocations = 0;
        g_counting = true;
        auto* v = new std::vector<int>(100);
        g_counting = false;
        delete v;
        QVERIFY(g_allocations >= 2);
    }

    void steadyStateRenderingDoesNotAllocate() {
        for (const Preset preset : kAllPresets) {
            SynthEngine engine(5, presetParams(preset));
            std::vector<std::int16_t> pcm(static_cast<std::size_t>(kMaxPhraseFrames) * 2);
            for (int i = 0; i < 3; ++i) {
                engine.renderNext(); // warm-up: tables and first-use statics
            }
            g_allocations = 0;
            g_counting = true;
            for (int i = 0; i < 30; ++i) {
                if (i == 15) {
                    engine.setParams(presetParams(Preset::Bright, 3)); // a change mid-stream
                }
                const PhraseOutput& out = engine.renderNext();
                interleaveS16(out.left, out.right, out.frames, pcm.data());
            }
            g_counting = false;
            QCOMPARE(g_allocations.load(), 0L);
        }
    }
};

QTEST_GUILESS_MAIN(TestAllocation)
#include "tst_allocation.moc"
