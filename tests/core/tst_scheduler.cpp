// Phrase scheduler and broadcast ring, driven by hand with an injected clock (no thread).
#include "core/broadcast_ring.h"
#include "core/scheduler.h"
#include "protocol/clock.h"
#include "protocol/protocol.h"
#include "synth/pcm.h"

#include <QtTest>

using namespace auralis;
using namespace auralis::core;

namespace {
PhraseScheduler::Options options(std::uint64_t seed, const synth::MusicParams& params) {
    PhraseScheduler::Options o;
    o.seed = seed;
    o.params = params;
    return o;
}
} // namespace

class TestScheduler : public QObject {
    Q_OBJECT
private slots:
    void keepsTheLeadAheadOfTheLiveEdge() {
        ManualClock clock;
        BroadcastRing ring(256);
        PhraseScheduler s(options(1, synth::presetParams(synth::Preset::Focus)), ring, clock);
        const int phraseChunks =
            (synth::phraseFrames(72) + protocol::kChunkFrames - 1) / protocol::kChunkFrames;
        QVERIFY(s.pump(0) >= 1);
        QVERIFY(ring.publishedEnd() >= phraseChunks + 35);
        QCOMPARE(s.pump(0), 0); // nothing more until time moves
        clock.advanceMs(10'000);
        QCOMPARE(s.liveSeq(), qint64{100});
        s.pump(s.liveSeq());
        QVERIFY(ring.publishedEnd() >= 100 + phraseChunks + 35);
        QVERIFY(ring.publishedEnd() < 100 + 2 * phraseChunks + 36);
    }

    void chunksAreTheContinuousStream() {
        // The chunks, concatenated, are exactly the engine's phrases back to back: slicing
        // never drops or repeats a frame at a phrase boundary.
        ManualClock clock;
        BroadcastRing ring(256);
        const auto params = synth::presetParams(synth::Preset::Bright);
        PhraseScheduler s(options(5, params), ring, clock);
        s.pump(0);
        synth::SynthEngine reference(5, params);
        std::vector<std::int16_t> expected;
        while (static_cast<qint64>(expected.size()) <
               ring.publishedEnd() * protocol::kChunkFrames * 2) {
            const auto& out = reference.renderNext();
            std::vector<std::int16_t> pcm(static_cast<std::size_t>(out.frames) * 2);
            synth::interleaveS16(out.left, out.right, out.frames, pcm.data());
            expected.insert(expected.end(), pcm.begin(), pcm.end());
        }
        for (qint64 seq = 0; seq < ring.publishedEnd(); ++seq) {
            Chunk c;
            QVERIFY(ring.read(seq, c));
            QCOMPARE(c.seq, seq);
            QCOMPARE(c.ptsMs, seq * 100);
            QCOMPARE(c.pcm.size(), protocol::kChunkBytes);
            QVERIFY(std::memcmp(c.pcm.constData(),
                                expected.data() + seq * protocol::kChunkFrames * 2,
                                protocol::kChunkBytes) == 0);
            QCOMPARE(QByteArray::fromBase64(c.base64), c.pcm);
        }
    }

    void parametersChangeAtTheAnnouncedBoundary() {
        ManualClock clock;
        BroadcastRing ring(256);
        PhraseScheduler s(options(9, synth::presetParams(synth::Preset::Sleep)), ring, clock);
        s.pump(0);
        const auto bright = synth::presetParams(synth::Preset::Bright, 4);
        const qint64 boundary = s.requestParams(bright);
        QCOMPARE(s.pendingParams(), bright);
        clock.advanceMs(20'000);
        s.pump(s.liveSeq());
        const auto phrases = s.recentPhrases();
        bool found = false;
        for (std::size_t i = 1; i < phrases.size(); ++i) {
            if (phrases[i].startFrame == boundary) {
                found = true;
                QCOMPARE(phrases[i].params, bright);
                QCOMPARE(phrases[i - 1].params, synth::presetParams(synth::Preset::Sleep));
            }
        }
        QVERIFY(found);
        QCOMPARE(s.currentParams(), bright);
    }

    void ringForgetsOldChunks() {
        BroadcastRing ring(8);
        QByteArray pcm(protocol::kChunkBytes, '\1');
        for (qint64 seq = 0; seq < 20; ++seq) {
            ring.publish(seq, seq * 100, pcm.constData());
        }
        Chunk c;
        QVERIFY(!ring.read(11, c));
        QVERIFY(ring.read(12, c));
        QVERIFY(ring.read(19, c));
        QVERIFY(!ring.read(20, c));
        QCOMPARE(ring.oldest(), qint64{12});
    }

    void ringRecyclesBuffersAndCountsGrowth() {
        BroadcastRing ring(4);
        QByteArray pcm(protocol::kChunkBytes, '\2');
        for (qint64 seq = 0; seq < 100; ++seq) {
            ring.publish(seq, seq * 100, pcm.constData());
        }
        QCOMPARE(ring.grown(), std::uint64_t{0});
        QCOMPARE(ring.recycled(), std::uint64_t{200});
        // Readers holding every chunk they read keep buffers out of the pool: it must grow.
        std::vector<Chunk> held;
        for (qint64 seq = 100; seq < 130; ++seq) {
            ring.publish(seq, seq * 100, pcm.constData());
            Chunk c;
            QVERIFY(ring.read(seq, c));
            held.push_back(c);
        }
        QVERIFY(ring.grown() > 0);
    }

    void silenceIsSilent() {
        const Chunk& s = BroadcastRing::silence();
        QCOMPARE(s.pcm, QByteArray(protocol::kChunkBytes, '\0'));
        QCOMPARE(QByteArray::fromBase64(s.base64), s.pcm);
    }
};

QTEST_GUILESS_MAIN(TestScheduler)
#include "tst_scheduler.moc"
