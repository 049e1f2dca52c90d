// The phrase scheduler: keeps synthesis ahead of the live edge on its own thread. It renders
// phrases (parameters change only at phrase boundaries), converts them to s16, slices the
// continuous stream into 100 ms chunks and publishes each chunk once into the ring.
// Public methods are thread-safe unless noted.
#pragma once

#include "core/broadcast_ring.h"
#include "core/opus_encoder.h"
#include "protocol/clock.h"
#include "synth/engine.h"

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace auralis::core {

class PhraseScheduler {
public:
    struct Options {
        std::uint64_t seed = 1;
        synth::MusicParams params;
        std::unique_ptr<synth::Renderer> renderer; // null: CPU
        std::string deviceReason;
        /// Chunks rendered beyond one phrase ahead of the live edge: the largest tier (3 s)
        /// plus a margin, so a listener's burst is always available.
        int extraLeadChunks = 35;
        int opusBitrate = 96000; // bits per second, when some listener wants Opus
        QString streamTitle = "Auralis";
    };

    /// One composed phrase, for status reports and tests.
    struct PhraseInfo {
        qint64 index = 0;
        qint64 startFrame = 0;
        qint32 frames = 0;
        synth::MusicParams params;
        double renderMs = 0;
        std::string device;
    };

    struct Stats {
        std::uint64_t phrases = 0;
        double lastRenderMs = 0;
        std::string deviceKind;
        std::string deviceName;
        std::string deviceReason;
        std::uint64_t gpuFailures = 0;
        std::uint64_t gpuBytesAllocated = 0;
        std::uint64_t gpuBytesTotal = 0;
    };

    PhraseScheduler(Options options, BroadcastRing& ring, const Clock& clock);
    ~PhraseScheduler();
    PhraseScheduler(const PhraseScheduler&) = delete;
    PhraseScheduler& operator=(const PhraseScheduler&) = delete;

    /// Starts the stream clock and the rendering thread.
    void start();
    void stop();

    /// Without the thread (tests): renders until chunks up to `liveSeq` + lead are published.
    /// Returns the number of phrases rendered.
    int pump(qint64 liveSeq);

    /// Chunk index that is "now" in the stream (playing in real time), from the clock.
    qint64 liveSeq() const;
    qint64 streamStartUs() const { return m_startUs.load(); }

    /// Queues parameters for the next phrase boundary; returns that boundary's frame.
    qint64 requestParams(const synth::MusicParams& params);
    /// Parameters of the newest composed phrase, and of the next one.
    synth::MusicParams currentParams() const;
    synth::MusicParams pendingParams() const;

    Stats stats() const;
    std::vector<PhraseInfo> recentPhrases() const;

    /// Opus is encoded only while someone wants it (any thread): from the live edge on, each
    /// published chunk; 10 s after the last one left, the encoder stops.
    void setOpusWanted(bool wanted);

    /// Called on the scheduler thread after each phrase (seconds of rendering) and each chunk
    /// (seconds of base64, and of Opus when encoded). Set before start().
    std::function<void(double)> onPhraseRendered;
    std::function<void(double)> onChunkEncoded;
    std::function<void(double)> onOpusEncoded;
    /// The Opus encoder could not be created (scheduler thread): the reason.
    std::function<void(const QString&)> onOpusError;

private:
    bool renderOne();   // one phrase: compose, render, slice, publish
    void serviceOpus(); // start, keep up or stop the Opus encoder
    int leadChunks() const;
    void run();

    BroadcastRing& m_ring;
    const Clock& m_clock;
    synth::SynthEngine m_engine;
    int m_extraLead;
    std::vector<std::int16_t> m_pcm; // interleaved s16 of the pending partial chunk + phrase
    std::size_t m_pendingFrames = 0; // frames in m_pcm not yet published
    qint64 m_nextSeq = 0;

    mutable std::mutex m_mutex; // params, stats, history
    synth::MusicParams m_pending;
    synth::MusicParams m_current;
    qint64 m_nextBoundaryFrame = 0;
    Stats m_stats;
    std::deque<PhraseInfo> m_history;

    // Opus (scheduler thread, but m_opusWanted and m_opusKick from any).
    int m_opusBitrate;
    QString m_streamTitle;
    std::unique_ptr<OpusChunkEncoder> m_opus;
    qint64 m_opusNext = 0;
    std::uint64_t m_opusEpoch = 0;
    qint64 m_opusIdleSinceUs = -1;
    bool m_opusFailed = false;
    std::atomic<bool> m_opusWanted{false};
    std::atomic<bool> m_opusKick{false};

    std::atomic<qint64> m_startUs{0};
    std::atomic<bool> m_stop{false};
    std::mutex m_wakeMutex;
    std::condition_variable m_wake;
    std::thread m_thread;
};

} // namespace auralis::core
