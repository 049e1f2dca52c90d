// Float to 16-bit PCM conversion and a streaming WAV file writer (stereo s16le, 44.1 kHz
// unless told otherwise).
// Pure functions; a WavWriter is used from one thread.
#pragma once

#include "synth/dsp.h"

#include <cstdint>
#include <cstdio>
#include <string>

namespace auralis::synth {

/// Rounds to the nearest s16 value, clamping to [-32767, 32767].
inline std::int16_t toS16(float x) {
    const float scaled = x * 32767.0f;
    const float clamped = scaled > 32767.0f ? 32767.0f : (scaled < -32767.0f ? -32767.0f : scaled);
    return static_cast<std::int16_t>(clamped < 0 ? clamped - 0.5f : clamped + 0.5f);
}

/// Interleaves planar float stereo into s16le frames (out holds 2 * frames values).
void interleaveS16(const float* left, const float* right, std::int64_t frames, std::int16_t* out);

class WavWriter {
public:
    WavWriter() = default;
    ~WavWriter();
    WavWriter(const WavWriter&) = delete;
    WavWriter& operator=(const WavWriter&) = delete;

    /// The most frames a WAV file holds (its sizes are 32-bit): 6 h 45 min at 44.1 kHz.
    static constexpr std::int64_t kMaxFrames = (0xFFFFFFFFLL - 36) / 4; // stereo s16

    /// Creates the file (stereo s16 at `sampleRate`); on failure returns false and sets
    /// error(). "-" writes to standard output, which cannot seek back to the header: it needs
    /// `frames`, the length up front, and exactly that many must be written.
    bool open(const std::string& path, int sampleRate = kSampleRate, std::int64_t frames = -1);
    bool write(const std::int16_t* interleaved, std::int64_t frames);
    /// Writes the final sizes into the header and closes the file.
    bool close();
    const std::string& error() const { return m_error; }

private:
    bool writeHeader(std::uint32_t dataBytes);
    std::FILE* m_file = nullptr;
    std::uint64_t m_dataBytes = 0;
    int m_rate = kSampleRate;
    bool m_stdout = false;
    std::int64_t m_expectedBytes = -1; // standard output: the size its header announced
    std::string m_error;
    std::string m_path;
};

} // namespace auralis::synth
