// Test helpers for Ogg/Opus streams: an HTTP stream reader (raw socket, what a player does),
// decoding with an independent decoder (opusdec from Debian's opus-tools), a WAV reader and
// measurements on the decoded audio (continuity, level, the strongest pitch classes).
// Header-only; test thread only.
#pragma once

#include "chroma.h"
#include "patience.h"
#include "synth/music.h"

#include <QFile>
#include <QHostAddress>
#include <QProcess>
#include <QStandardPaths>
#include <QTcpSocket>
#include <QTemporaryDir>

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <vector>

namespace auralis::test {

/// An HTTP GET of an endless stream on a raw socket: the head and the body as they arrive.
class StreamReader : public QObject {
public:
    StreamReader(quint16 port, const QByteArray& path = "/stream.ogg",
                 const QByteArray& host = "127.0.0.1") {
        connect(&socket, &QTcpSocket::connected, this, [this, path, host] {
            socket.write("GET " + path + " HTTP/1.1\r\nHost: " + host +
                         "\r\nUser-Agent: auralis-test\r\n\r\n");
        });
        connect(&socket, &QTcpSocket::readyRead, this, [this] {
            if (!paused) {
                data += socket.readAll();
            }
        });
        connect(&socket, &QTcpSocket::disconnected, this, [this] { closed = true; });
        socket.connectToHost(QHostAddress::LocalHost, port);
    }
    QByteArray head() const {
        const qsizetype end = data.indexOf("\r\n\r\n");
        return end < 0 ? QByteArray() : data.left(end);
    }
    QByteArray body() const {
        const qsizetype end = data.indexOf("\r\n\r\n");
        return end < 0 ? QByteArray() : data.mid(end + 4);
    }
    /// Waits until `bytes` of body have arrived (the stream's real time, not a guess).
    bool waitForBody(qsizetype bytes, int timeoutMs = kPatienceMs) {
        return QTest::qWaitFor([&] { return body().size() >= bytes || closed; }, timeoutMs) &&
               body().size() >= bytes;
    }

    QTcpSocket socket;
    QByteArray data;
    bool closed = false;
    bool paused = false;
};

/// Stereo audio decoded from a stream.
struct Decoded {
    std::vector<float> left;
    std::vector<float> right;
    int rate = 0;
    QString error;
    double seconds() const { return rate > 0 ? static_cast<double>(left.size()) / rate : 0; }
};

/// A 16-bit PCM WAV file (any header layout: the chunks are walked).
inline Decoded readWav(const QString& path) {
    Decoded d;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        d.error = "cannot read " + path;
        return d;
    }
    const QByteArray w = f.readAll();
    if (w.size() < 12 || !w.startsWith("RIFF") || w.mid(8, 4) != "WAVE") {
        d.error = "not a WAV file";
        return d;
    }
    // Little-endian fields read byte by byte (bounds known, no aliasing).
    const auto byte = [&w](qsizetype at) {
        return static_cast<quint32>(static_cast<uchar>(w.at(at)));
    };
    const auto u16 = [&](qsizetype at) { return byte(at) | byte(at + 1) << 8; };
    const auto u32 = [&](qsizetype at) { return u16(at) | u16(at + 2) << 16; };
    int channels = 0;
    qsizetype pos = 12;
    while (pos + 8 <= w.size()) {
        const QByteArray id = w.mid(pos, 4);
        const auto size = static_cast<qsizetype>(u32(pos + 4));
        const qsizetype body = pos + 8;
        if (id == "fmt " && body + 8 <= w.size()) {
            channels = static_cast<int>(u16(body + 2));
            d.rate = static_cast<int>(u32(body + 4));
        } else if (id == "data" && channels > 0) {
            // A live stream's WAV may say 0 or too much: take what is there.
            const qsizetype n = std::min(size, w.size() - body) / (2 * channels);
            const auto sample = [&](qsizetype frame, int channel) {
                return static_cast<float>(
                           static_cast<qint16>(u16(body + (frame * channels + channel) * 2))) /
                       32768.0f;
            };
            for (qsizetype i = 0; i < n; ++i) {
                d.left.push_back(sample(i, 0));
                d.right.push_back(sample(i, channels > 1 ? 1 : 0));
            }
            return d;
        }
        pos += 8 + size + (size & 1);
    }
    d.error = "no audio in the WAV file";
    return d;
}

/// Decodes Ogg/Opus bytes with opusdec (an independent decoder: not this project's code).
inline Decoded opusdec(const QByteArray& ogg) {
    QTemporaryDir dir;
    const QString in = dir.filePath("in.ogg");
    const QString out = dir.filePath("out.wav");
    QFile f(in);
    if (!f.open(QIODevice::WriteOnly) || f.write(ogg) != ogg.size()) {
        return Decoded{{}, {}, 0, "cannot write " + in};
    }
    f.close();
    QProcess p;
    p.start("opusdec", {"--quiet", "--rate", "48000", in, out});
    if (!p.waitForFinished(kPatienceMs) || p.exitCode() != 0) {
        return Decoded{{}, {}, 0, "opusdec failed: " + QString::fromUtf8(p.readAllStandardError())};
    }
    return readWav(out);
}

struct AudioShape {
    double rmsDb = -200;
    double longestSilenceMs = 0; // the longest run of digital silence (|x| < 1e-4)
};

inline AudioShape shape(const Decoded& d, std::size_t skipFrames = 0) {
    AudioShape s;
    double sum = 0;
    std::size_t run = 0;
    std::size_t longest = 0;
    for (std::size_t i = skipFrames; i < d.left.size(); ++i) {
        const double m = 0.5 * (d.left[i] + d.right[i]);
        sum += m * m;
        run = std::abs(d.left[i]) < 1e-4f && std::abs(d.right[i]) < 1e-4f ? run + 1 : 0;
        longest = std::max(longest, run);
    }
    const std::size_t n = d.left.size() > skipFrames ? d.left.size() - skipFrames : 1;
    s.rmsDb = 10 * std::log10(sum / static_cast<double>(n) + 1e-20);
    s.longestSilenceMs = 1000.0 * static_cast<double>(longest) / std::max(1, d.rate);
    return s;
}

/// The share of pitch-class energy inside the scale of `key`/`mode` (7 of 12 classes: about
/// 0.58 for noise or music in an unrelated key).
inline double inKeyShare(const Decoded& d, int key, synth::Mode mode) {
    const auto bins = pitchClassEnergy(d.left, d.right, d.rate, 16384, 8192);
    double in = 0;
    double all = 0;
    for (int pc = 0; pc < 12; ++pc) {
        all += bins[static_cast<std::size_t>(pc)];
        in += synth::inScale(key, mode, pc) ? bins[static_cast<std::size_t>(pc)] : 0;
    }
    return all > 0 ? in / all : 0;
}

/// Empty when the decoded audio is continuous (no digital silence over 50 ms after the
/// first `skipMs`), clearly audible, and in the key (at least `minShare` of its pitch-class
/// energy in the scale); else what is wrong.
inline QString checkMusic(const Decoded& d, int key, synth::Mode mode, double minShare = 0.8,
                          double skipMs = 200) {
    if (!d.error.isEmpty()) {
        return d.error;
    }
    const auto skip = static_cast<std::size_t>(skipMs * d.rate / 1000);
    const AudioShape s = shape(d, skip);
    if (s.rmsDb < -45) {
        return QString("too quiet: %1 dBFS").arg(s.rmsDb);
    }
    if (s.longestSilenceMs > 50) {
        return QString("a gap of %1 ms of silence").arg(s.longestSilenceMs);
    }
    const double share = inKeyShare(d, key, mode);
    qInfo("%.1f s decoded, %.1f dBFS, %.0f %% of the pitch energy in the key", d.seconds(), s.rmsDb,
          100 * share);
    if (share < minShare) {
        return QString("only %1 % of the pitch energy is in the key").arg(100 * share);
    }
    return {};
}

} // namespace auralis::test
