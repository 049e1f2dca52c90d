#include "player/playout_buffer.h"

#include <algorithm>
#include <cmath>

namespace auralis::player {

PlayoutBuffer::PlayoutBuffer(int sampleRate, int targetMs, int maxMs)
    : m_rate(sampleRate), m_target(0), m_max(0), m_step(100.0 / sampleRate) {
    m_max = std::max<std::size_t>(framesFor(maxMs), 1);
    m_ring.assign(2 * m_max, 0);
    setTargetMs(targetMs);
}

std::size_t PlayoutBuffer::framesFor(int ms) const {
    return static_cast<std::size_t>(std::max(ms, 0)) * static_cast<std::size_t>(m_rate) / 1000;
}

void PlayoutBuffer::setTargetMs(int ms) {
    m_target = std::min(framesFor(ms), m_max);
}

void PlayoutBuffer::setGain(double gain, bool muted) {
    m_wanted = muted ? 0.0 : std::clamp(gain, 0.0, 1.0);
}

void PlayoutBuffer::restart() {
    m_head = 0;
    m_size = 0;
    m_playing = false;
}

double PlayoutBuffer::bufferedMs() const {
    return 1000.0 * static_cast<double>(m_size) / m_rate;
}

void PlayoutBuffer::push(const std::int16_t* samples, std::size_t count) {
    std::size_t frames = count / 2;
    if (frames > m_max) { // more than fits at all: keep the newest
        samples += 2 * (frames - m_max);
        m_dropped += frames - m_max;
        frames = m_max;
    }
    if (m_size + frames > m_max) { // drop the oldest: the device fell behind
        const std::size_t drop = m_size + frames - m_max;
        m_head = (m_head + drop) % m_max;
        m_size -= drop;
        m_dropped += drop;
    }
    std::size_t tail = (m_head + m_size) % m_max;
    for (std::size_t left = frames; left > 0;) {
        const std::size_t n = std::min(left, m_max - tail);
        std::copy_n(samples, 2 * n, m_ring.begin() + static_cast<std::ptrdiff_t>(2 * tail));
        samples += 2 * n;
        left -= n;
        tail = (tail + n) % m_max;
    }
    m_size += frames;
}

void PlayoutBuffer::read(std::int16_t* out, std::size_t frames) {
    if (!m_playing && m_size >= std::max<std::size_t>(m_target, 1)) {
        // Start from the target, not from all that came in while the device was not reading
        // yet (an output opening takes a second or two): nothing was heard, so nothing skips.
        const std::size_t skip = m_size - std::max<std::size_t>(m_target, 1);
        m_head = (m_head + skip) % m_max;
        m_size -= skip;
        m_dropped += skip;
        m_playing = true;
        m_gain = m_wanted; // out of silence: no ramp needed (a muted start stays silent)
    }
    std::size_t audio = 0;
    if (m_playing) {
        audio = std::min(frames, m_size);
        if (audio < frames) { // ran dry: what is left, then silence until the target is back
            ++m_underruns;
            m_playing = false;
        }
    }
    for (std::size_t i = 0; i < audio; ++i) {
        if (m_gain != m_wanted) {
            m_gain = m_gain < m_wanted ? std::min(m_wanted, m_gain + m_step)
                                       : std::max(m_wanted, m_gain - m_step);
        }
        const std::size_t at = 2 * ((m_head + i) % m_max);
        for (std::size_t c = 0; c < 2; ++c) {
            const double v = std::round(m_ring[at + c] * m_gain);
            out[2 * i + c] = static_cast<std::int16_t>(std::clamp(v, -32768.0, 32767.0));
        }
    }
    m_head = (m_head + audio) % m_max;
    m_size -= audio;
    std::fill(out + 2 * audio, out + 2 * frames, std::int16_t{0});
    if (audio < frames) {
        m_gain = m_wanted; // silence now: the next sound starts at the wanted level
    }
}

} // namespace auralis::player
