// The local listener's jitter buffer: s16 stereo chunks in, a steady stream of frames out.
// Waits until it holds the target before playing, and starts from there (what piled up before
// the device read is skipped unheard); running dry plays silence, counts one underrun and waits
// for the target again; audio beyond the maximum is dropped (a device that stalls must not
// build up latency); volume and mute change over a 10 ms ramp (no clicks).
// Preallocated, allocates nothing while playing. One thread (not synchronised).
#pragma once

#include <cstdint>
#include <vector>

namespace auralis::player {

class PlayoutBuffer {
public:
    PlayoutBuffer(int sampleRate, int targetMs, int maxMs);

    /// Appends interleaved s16 stereo frames (`samples` values, an even count).
    void push(const std::int16_t* samples, std::size_t count);
    /// Fills `frames` stereo frames: audio while playing, silence while (re)buffering.
    void read(std::int16_t* out, std::size_t frames);
    /// A new stream (another node, a reconnect): empty, waiting for the target; counts kept.
    void restart();

    void setTargetMs(int ms);
    /// Linear gain 0..1; muted plays silence without losing the volume.
    void setGain(double gain, bool muted);

    double bufferedMs() const;
    bool isPlaying() const { return m_playing; }
    std::uint64_t underruns() const { return m_underruns; }
    std::uint64_t droppedFrames() const { return m_dropped; }

private:
    std::size_t framesFor(int ms) const;

    int m_rate;
    std::size_t m_target;
    std::size_t m_max;
    std::vector<std::int16_t> m_ring; // m_max frames
    std::size_t m_head = 0;           // first buffered frame
    std::size_t m_size = 0;           // buffered frames
    bool m_playing = false;
    std::uint64_t m_underruns = 0;
    std::uint64_t m_dropped = 0;
    double m_gain = 1;   // now
    double m_wanted = 1; // where the ramp goes
    double m_step;       // gain change per frame (10 ms from 0 to 1)
};

} // namespace auralis::player
