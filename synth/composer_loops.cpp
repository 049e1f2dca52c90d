// The composer's loops: chord loops written from the chain (from the tonic and back), played
// several times, changed a little, remembered and recalled; and the melody motif each loop
// carries. Part of Composer (synth/composer.h); same thread and rules.
#include "synth/composer.h"

#include <algorithm>

namespace auralis::synth {

namespace {

// A degree drawn from the chain's weights after `from`, leading on to `to` (-1: anything).
int drawDegree(Mode mode, int from, int to, int avoid, Rng& rng) {
    std::array<double, 7> w{};
    double total = 0;
    for (int d = 0; d < 7; ++d) {
        if (d == avoid || (to >= 0 && chordTransitionWeight(mode, d, to) <= 0)) {
            continue;
        }
        w[static_cast<std::size_t>(d)] = chordTransitionWeight(mode, from, d);
        total += w[static_cast<std::size_t>(d)];
    }
    if (total <= 0) {
        return -1;
    }
    double u = rng.uniform() * total;
    for (int d = 0; d < 7; ++d) {
        u -= w[static_cast<std::size_t>(d)];
        if (u < 0 && w[static_cast<std::size_t>(d)] > 0) {
            return d;
        }
    }
    for (int d = 6; d >= 0; --d) {
        if (w[static_cast<std::size_t>(d)] > 0) {
            return d;
        }
    }
    return -1;
}

} // namespace

void Composer::newMotifCell(MotifCell& cell, double intensity, Rng& rng) {
    cell = MotifCell{};
    const double density = 0.2 + 0.6 * intensity;
    const int maxLen = 2 + static_cast<int>((1.0 - intensity) * 3.0);
    for (int slot = 0; slot < 8;) {
        if (rng.uniform() >= density + (slot == 0 ? 0.2 : 0.0)) {
            ++slot;
            continue;
        }
        const auto i = static_cast<std::size_t>(slot);
        cell.on[i] = true;
        const double u = rng.uniform();
        cell.step[i] = static_cast<std::int8_t>(u < 0.15   ? -2
                                                : u < 0.45 ? -1
                                                : u < 0.55 ? 0
                                                : u < 0.85 ? 1
                                                           : 2);
        cell.length[i] = static_cast<std::int8_t>(1 + rng.below(maxLen));
        cell.approach[i] = rng.uniform() < 0.07;
        slot += cell.length[i];
    }
}

void Composer::mutateMotifCell(MotifCell& cell, Rng& rng) {
    // One note's movement changes by a step, or its approach is added or dropped.
    const int slot = rng.below(8);
    const auto i = static_cast<std::size_t>(slot);
    if (!cell.on[i]) {
        return;
    }
    if (rng.uniform() < 0.8) {
        const int step = cell.step[i] + (rng.uniform() < 0.5 ? -1 : 1);
        cell.step[i] = static_cast<std::int8_t>(std::clamp(step, -3, 3));
    } else {
        cell.approach[i] = !cell.approach[i];
    }
}

void Composer::newLoop(const MusicParams& params, Rng& rng) {
    const Mode mode = params.mode;
    // Remember the loop that ends, then either bring an earlier one back or write a new one:
    // 4 or 8 bars from the tonic (home), each chord reached by the chain, the last leading
    // back to the tonic.
    if (m_loop.bars > 0) {
        m_memory[static_cast<std::size_t>(m_memoryNext)] = m_loop;
        m_memoryNext = (m_memoryNext + 1) % static_cast<int>(m_memory.size());
        m_memoryCount = std::min(m_memoryCount + 1, static_cast<int>(m_memory.size()));
    }
    if (m_memoryCount > 0 && rng.uniform() < 0.5) {
        const ChordLoop& recalled = m_memory[static_cast<std::size_t>(rng.below(m_memoryCount))];
        if (recalled.mode == mode) {
            m_loop = recalled;
            mutateLoop(rng); // it comes back changed, its motif too
            mutateMotifCell(m_loop.motif[static_cast<std::size_t>(rng.below(kMotifCells))], rng);
            m_loopRepeats = 2 + rng.below(3);
            return;
        }
    }
    m_loop.mode = mode;
    m_loop.bars = rng.uniform() < 0.5 ? 4 : 8;
    m_loop.degrees[0] = 0;
    bool complete = false;
    for (int attempt = 0; attempt < 64 && !complete; ++attempt) {
        complete = true;
        for (int i = 1; i < m_loop.bars && complete; ++i) {
            const bool last = i == m_loop.bars - 1;
            const int d = drawDegree(mode, m_loop.degrees[static_cast<std::size_t>(i - 1)],
                                     last ? 0 : -1, -1, rng);
            m_loop.degrees[static_cast<std::size_t>(i)] = d;
            complete = d >= 0; // no way back to the tonic from here: write it again
        }
    }
    for (int i = 0; i < m_loop.bars; ++i) {
        m_loop.colour[static_cast<std::size_t>(i)] = rng.uniform();
    }
    for (MotifCell& cell : m_loop.motif) {
        newMotifCell(cell, params.intensity, rng);
    }
    m_loopRepeats = 3 + rng.below(3);
}

void Composer::mutateLoop(Rng& rng) {
    // One chord (never the tonic that opens the loop) becomes another that the chain allows
    // between its neighbours; its colour may change too.
    const int i = 1 + rng.below(m_loop.bars - 1);
    const auto at = [&](int k) {
        return m_loop.degrees[static_cast<std::size_t>((k + m_loop.bars) % m_loop.bars)];
    };
    const int d = drawDegree(m_loop.mode, at(i - 1), at(i + 1), at(i), rng);
    if (d >= 0) {
        m_loop.degrees[static_cast<std::size_t>(i)] = d;
    }
    m_loop.colour[static_cast<std::size_t>(i)] = rng.uniform();
}

} // namespace auralis::synth
