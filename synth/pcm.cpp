#include "synth/pcm.h"

#include "synth/music.h"

#include <cerrno>
#include <cstring>

namespace auralis::synth {

void interleaveS16(const float* left, const float* right, std::int64_t frames, std::int16_t* out) {
    for (std::int64_t i = 0; i < frames; ++i) {
        out[2 * i] = toS16(left[i]);
        out[2 * i + 1] = toS16(right[i]);
    }
}

namespace {
void put16(unsigned char* p, std::uint16_t v) {
    p[0] = static_cast<unsigned char>(v & 0xFF);
    p[1] = static_cast<unsigned char>(v >> 8);
}
void put32(unsigned char* p, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) {
        p[i] = static_cast<unsigned char>((v >> (8 * i)) & 0xFF);
    }
}
} // namespace

WavWriter::~WavWriter() {
    if (m_file != nullptr) {
        close();
    }
}

bool WavWriter::open(const std::string& path, int sampleRate, std::int64_t frames) {
    m_path = path == "-" ? std::string("standard output") : path;
    m_rate = sampleRate;
    m_dataBytes = 0;
    m_stdout = path == "-";
    if (frames > kMaxFrames) {
        m_error = "a WAV file holds at most " + std::to_string(kMaxFrames / sampleRate) +
                  " s of stereo 16-bit audio at " + std::to_string(sampleRate) + " Hz";
        return false;
    }
    if (m_stdout) {
        if (frames < 0) {
            m_error = "writing a WAV to standard output needs its length up front";
            return false;
        }
        m_file = stdout;
        m_expectedBytes = frames * kChannels * 2;
        return writeHeader(static_cast<std::uint32_t>(m_expectedBytes));
    }
    m_file = std::fopen(path.c_str(), "wb");
    if (m_file == nullptr) {
        m_error = "cannot create " + path + ": " + std::strerror(errno);
        return false;
    }
    return writeHeader(0);
}

bool WavWriter::writeHeader(std::uint32_t dataBytes) {
    unsigned char h[44];
    std::memcpy(h, "RIFF", 4);
    put32(h + 4, 36 + dataBytes);
    std::memcpy(h + 8, "WAVEfmt ", 8);
    put32(h + 16, 16);
    put16(h + 20, 1); // PCM
    put16(h + 22, kChannels);
    put32(h + 24, static_cast<std::uint32_t>(m_rate));
    put32(h + 28, static_cast<std::uint32_t>(m_rate * kChannels * 2));
    put16(h + 32, kChannels * 2);
    put16(h + 34, 16);
    std::memcpy(h + 36, "data", 4);
    put32(h + 40, dataBytes);
    if (std::fwrite(h, 1, sizeof h, m_file) != sizeof h) {
        m_error = "cannot write " + m_path + ": " + std::strerror(errno);
        return false;
    }
    return true;
}

bool WavWriter::write(const std::int16_t* interleaved, std::int64_t frames) {
    // s16le on disk: this build targets little-endian hosts (x86-64, aarch64).
    const std::size_t bytes = static_cast<std::size_t>(frames) * kChannels * 2;
    if (m_dataBytes + bytes > 0xFFFFFFFFull - 36) {
        m_error = "WAV files are limited to 4 GiB";
        return false;
    }
    if (std::fwrite(interleaved, 1, bytes, m_file) != bytes) {
        m_error = "cannot write " + m_path + ": " + std::strerror(errno);
        return false;
    }
    m_dataBytes += bytes;
    return true;
}

bool WavWriter::close() {
    if (m_file == nullptr) {
        return true;
    }
    if (m_stdout) {
        m_file = nullptr;
        if (std::fflush(stdout) != 0) {
            m_error = std::string("cannot write standard output: ") + std::strerror(errno);
            return false;
        }
        if (static_cast<std::int64_t>(m_dataBytes) != m_expectedBytes) {
            m_error = "standard output got a different length than its WAV header says";
            return false;
        }
        return true;
    }
    bool ok = std::fseek(m_file, 0, SEEK_SET) == 0 &&
              writeHeader(static_cast<std::uint32_t>(m_dataBytes));
    if (std::fclose(m_file) != 0 && ok) {
        m_error = "cannot finish " + m_path + ": " + std::strerror(errno);
        ok = false;
    }
    m_file = nullptr;
    return ok;
}

} // namespace auralis::synth
