// core/heap.h: the trim rule (pressure at once, routine trims spaced; that the spacing keeps
// FrequentGCCollections quiet is promtool's test in packaging/prometheus/alerts_test.yml),
// trimHeap() really handing free pages in the middle of the heap back to the system, and a node's
// maintenance task trimming, counted in /api/status and gen-2 metrics.
#include "../common/epoll_test_main.h"
#include "core/heap.h"
#include "core/metrics.h"
#include "node_harness.h"

#include <QtTest>

#include <cstdlib>
#include <vector>

using namespace auralis;
using core::HeapTrimPolicy;

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitizerHeap = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitizerHeap = true;
#else
constexpr bool kSanitizerHeap = false;
#endif
#else
constexpr bool kSanitizerHeap = false;
#endif

HeapTrimPolicy::Inputs inputs(double grownMiB, double freeMiB, double sinceS) {
    HeapTrimPolicy::Inputs in;
    in.residentAfterLastTrim = 40 * kMiB;
    in.residentBytes = in.residentAfterLastTrim + grownMiB * kMiB;
    in.freeHeapBytes = freeMiB * kMiB;
    in.secondsSinceLastTrim = sinceS;
    return in;
}

double gen2(const std::string& exposition) {
    const std::string key = "gc_collections_total{generation=\"2\"} ";
    const auto at = exposition.find(key);
    return at == std::string::npos ? -1 : std::atof(exposition.c_str() + at + key.size());
}

} // namespace

class TestHeap : public QObject {
    Q_OBJECT
private slots:
    void pressureTrimsAtOnce() {
        const HeapTrimPolicy p;
        QVERIFY(p.shouldTrim(inputs(32, 0, 1)));
        QVERIFY(!p.shouldTrim(inputs(31.9, 0, 1)));
    }

    void routineTrimsNeedGrowthFreeHeapAndSpacing() {
        const HeapTrimPolicy p;
        const double spacing = p.minSpacingS;
        QVERIFY(p.shouldTrim(inputs(1, 2, spacing)));
        QVERIFY(!p.shouldTrim(inputs(0.9, 2, spacing)));       // not grown enough
        QVERIFY(!p.shouldTrim(inputs(1, 1.9, spacing)));       // too little free heap
        QVERIFY(!p.shouldTrim(inputs(1, 2, spacing - 1)));     // too soon after the last
        QVERIFY(!p.shouldTrim(inputs(-5, 100, 10 * spacing))); // shrank since the last trim
    }

    void trimReturnsFreePagesInTheMiddleOfTheHeap() {
        if (kSanitizerHeap) {
            QSKIP("the sanitizer's allocator replaces glibc's heap");
        }
        const core::HeapStats before = core::readHeapStats();
        if (!before.known) {
            QSKIP("not glibc: no heap statistics, trimming does nothing");
        }
        // 48 MiB of 16 KiB blocks (below the mmap threshold: they live in the arena), written
        // so the pages are resident; freeing all but the last leaves free space under a block
        // still in use, which the top-of-heap trim inside free() cannot give back.
        std::vector<char*> blocks;
        for (int i = 0; i < 48 * 64; ++i) {
            char* b = static_cast<char*>(std::malloc(16 * 1024));
            QVERIFY(b != nullptr);
            for (int j = 0; j < 16 * 1024; j += 512) {
                b[j] = static_cast<char>(i + j);
            }
            blocks.push_back(b);
        }
        char* keep = blocks.back();
        blocks.pop_back();
        for (char* b : blocks) {
            std::free(b);
        }
        const double resident = core::readProcessStats().residentBytes;
        QVERIFY2(core::readHeapStats().freeBytes >= 40 * kMiB, "the freed blocks are free heap");
        const double ms = core::trimHeap();
        const double after = core::readProcessStats().residentBytes;
        std::free(keep);
        QVERIFY(ms >= 0);
        QVERIFY2(
            resident - after >= 32 * kMiB,
            qPrintable(QString("resident %1 -> %2 MiB").arg(resident / kMiB).arg(after / kMiB)));
    }

    void theNodesMaintenanceTrimsAndCountsIt() {
        core::NodeConfig config;
        config.maintenanceIntervalMs = 20;
        config.heapTrim.growthBytes = -1e12; // every check trims
        config.heapTrim.minFreeBytes = 0;
        config.heapTrim.minSpacingS = 0;
        auto node = test::startNode(config);
        QCOMPARE(node->memoryJson().value("heap_trims").toDouble(), 0.0);
        QTRY_VERIFY_WITH_TIMEOUT(node->memoryJson().value("heap_trims").toDouble() >= 2, 10000);
        const QJsonObject memory = node->statusJson(false).value("memory").toObject();
        QVERIFY(memory.value("heap_trims").toDouble() >= 2);
        QVERIFY(memory.value("resident_bytes").toDouble() > 0);
        QVERIFY(memory.value("last_trim_ms").toDouble() >= 0);
        if (core::readHeapStats().known && !kSanitizerHeap) {
            QVERIFY(memory.value("heap_in_use_bytes").toDouble() > 0);
            QVERIFY(memory.contains("heap_free_bytes"));
        }
        QVERIFY(gen2(node->scrapeMetrics()) >= 2);
    }

    void aDefaultNodeDoesNotTrimWhileItIsYoung() {
        core::NodeConfig config;
        config.maintenanceIntervalMs = 20;
        config.heapTrim.growthBytes = -1e12; // only the spacing holds it back
        config.heapTrim.minFreeBytes = 0;
        auto node = test::startNode(config);
        // Ten maintenance checks: the start counts as the last trim, 15 minutes have not passed.
        int checks = 0;
        QTimer counter;
        connect(&counter, &QTimer::timeout, [&checks] { ++checks; });
        counter.start(20);
        QTRY_VERIFY_WITH_TIMEOUT(checks >= 10, 10000);
        QCOMPARE(node->memoryJson().value("heap_trims").toDouble(), 0.0);
        QCOMPARE(gen2(node->scrapeMetrics()), 0.0);
    }
};

AURALIS_TEST_MAIN(TestHeap)
#include "tst_heap.moc"
