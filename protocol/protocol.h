// Wire protocol v1 shared by the node and its clients: audio format, tiers, binary audio
// header, the JSON audio message and limits (the other messages: messages.h). docs/protocol.md is
// the specification in tables. Pure functions and constants; any thread.
#pragma once

#include "synth/music.h"

#include <QByteArray>
#include <QString>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace auralis::protocol {

inline constexpr int kVersion = 1;
inline constexpr int kSampleRate = synth::kSampleRate; // the one sample rate: the synth's
inline constexpr int kChannels = 2;
inline constexpr int kChunkMs = 100;
inline constexpr qint64 kChunkUs = 100'000;
inline constexpr int kChunkFrames = kSampleRate * kChunkMs / 1000;  // 4410
inline constexpr int kChunkBytes = kChunkFrames * kChannels * 2;    // 17640 (s16le)
inline constexpr int kChunkBase64Bytes = (kChunkBytes + 2) / 3 * 4; // 23520
/// Upper bound of one JSON audio message: the base64 plus the envelope (three 20-digit numbers).
inline constexpr int kJsonAudioMaxBytes = kChunkBase64Bytes + 160;

// ---- limits -------------------------------------------------------------------------------
inline constexpr qint64 kMaxClientMessageBytes = 64 * 1024; // larger: close 1009
inline constexpr int kClientIdMaxLength = 64;

// ---- close codes (RFC 6455) -----------------------------------------------------------------
inline constexpr int kCloseNormal = 1000;
inline constexpr int kCloseGoingAway = 1001;
inline constexpr int kClosePolicy = 1008;
inline constexpr int kCloseTooBig = 1009;
inline constexpr int kCloseTryAgainLater = 1013;

enum class Format { Json, Binary, Opus };
enum class Tier { Minimal, Normal, Stable, Defensive };

QString formatName(Format format);
std::optional<Format> parseFormat(const QString& text);
QString tierName(Tier tier);
std::optional<Tier> parseTier(const QString& text);
/// Jitter-buffer target of a tier: 500, 1000, 2000, 3000 ms.
int tierTargetMs(Tier tier);
/// Chunks a listener is kept ahead of the live edge at this tier.
inline int tierLeadChunks(Tier tier) {
    return tierTargetMs(tier) / kChunkMs;
}
Tier higherTier(Tier tier);
Tier lowerTier(Tier tier);

/// UTF-8 text (the synth's names) as a QString.
inline QString fromUtf8(std::string_view text) {
    return QString::fromUtf8(text.data(), static_cast<qsizetype>(text.size()));
}

/// True when `id` is 1-64 characters of [A-Za-z0-9_-].
bool isValidClientId(const QString& id);

// ---- binary audio frames --------------------------------------------------------------------
// A binary message is a 32-byte little-endian header followed by kChunkBytes of s16le PCM:
//   0 magic "AUR1" | 4 version u8 | 5 flags u8 (bit 0: underrun) | 6 header bytes u16 (32)
//   8 seq u64 | 16 pts_ms i64 | 24 sent_at_ms i64
inline constexpr int kBinaryHeaderBytes = 32;
inline constexpr char kBinaryMagic[4] = {'A', 'U', 'R', '1'};

struct AudioHeader {
    quint64 seq = 0;
    qint64 ptsMs = 0;
    qint64 sentAtMs = 0;
    bool underrun = false;
};

void writeBinaryHeader(char* dst, const AudioHeader& header);
/// Parses a binary audio message; false when it is not one.
bool readBinaryHeader(const QByteArray& message, AudioHeader& header);

// ---- Opus audio (format=opus) ------------------------------------------------------------
// A binary message: the same 32-byte header, then the chunk's Opus packets (48 kHz stereo,
// about five of 20 ms), each as a little-endian u16 length and its bytes. An underrun chunk
// has no packets.
inline constexpr int kOpusSampleRate = 48000;
void appendOpusPacket(QByteArray& payload, const char* data, int length);
/// The packets of a message's payload; false when the lengths do not add up.
bool splitOpusPackets(QByteArrayView payload, std::vector<QByteArray>& out);

/// The JSON audio message (UTF-8) around an already base64-encoded chunk. The other messages
/// are in messages.h.
QByteArray audioJson(const AudioHeader& header, const QByteArray& base64);
/// The same message in three parts, so the base64 between them can be shared by every
/// listener: the prefix (everything up to the opening quote of "data"), base64, the suffix.
QByteArray audioJsonPrefix(const AudioHeader& header);
inline constexpr QByteArrayView kAudioJsonSuffix = "\"}";
enum class AudioParse { NotAudio, Ok, Malformed };
/// Reads a JSON audio message: the node's own compact layout directly, any other valid JSON
/// spelling (spaces, another key order) through the JSON parser. `base64` is the data field.
AudioParse parseAudioJson(const QByteArray& utf8, AudioHeader& header, QByteArray& base64);

} // namespace auralis::protocol
