#include "protocol/protocol.h"

#include <QtEndian>

#include <cstring>

namespace auralis::protocol {

QString formatName(Format format) {
    return format == Format::Json ? "json" : "binary";
}

std::optional<Format> parseFormat(const QString& text) {
    if (text == "json") {
        return Format::Json;
    }
    if (text == "binary") {
        return Format::Binary;
    }
    return std::nullopt;
}

QString tierName(Tier tier) {
    switch (tier) {
    case Tier::Minimal:
        return "minimal";
    case Tier::Normal:
        return "normal";
    case Tier::Stable:
        return "stable";
    case Tier::Defensive:
        return "defensive";
    }
    return "normal";
}

std::optional<Tier> parseTier(const QString& text) {
    for (const Tier t : {Tier::Minimal, Tier::Normal, Tier::Stable, Tier::Defensive}) {
        if (text == tierName(t)) {
            return t;
        }
    }
    return std::nullopt;
}

int tierTargetMs(Tier tier) {
    switch (tier) {
    case Tier::Minimal:
        return 500;
    case Tier::Normal:
        return 1000;
    case Tier::Stable:
        return 2000;
    case Tier::Defensive:
        return 3000;
    }
    return 1000;
}

Tier higherTier(Tier tier) {
    return tier == Tier::Defensive ? tier : static_cast<Tier>(static_cast<int>(tier) + 1);
}

Tier lowerTier(Tier tier) {
    return tier == Tier::Minimal ? tier : static_cast<Tier>(static_cast<int>(tier) - 1);
}

bool isValidClientId(const QString& id) {
    if (id.isEmpty() || id.size() > kClientIdMaxLength) {
        return false;
    }
    for (const QChar c : id) {
        const char16_t u = c.unicode();
        const bool ok = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') ||
                        (u >= '0' && u <= '9') || u == '_' || u == '-';
        if (!ok) {
            return false;
        }
    }
    return true;
}

void writeBinaryHeader(char* dst, const AudioHeader& h) {
    std::memcpy(dst, kBinaryMagic, 4);
    dst[4] = static_cast<char>(kVersion);
    dst[5] = static_cast<char>(h.underrun ? 1 : 0);
    qToLittleEndian<quint16>(kBinaryHeaderBytes, dst + 6);
    qToLittleEndian<quint64>(h.seq, dst + 8);
    qToLittleEndian<qint64>(h.ptsMs, dst + 16);
    qToLittleEndian<qint64>(h.sentAtMs, dst + 24);
}

bool readBinaryHeader(const QByteArray& message, AudioHeader& h) {
    if (message.size() < kBinaryHeaderBytes ||
        std::memcmp(message.constData(), kBinaryMagic, 4) != 0) {
        return false;
    }
    const char* p = message.constData();
    const quint16 headerBytes = qFromLittleEndian<quint16>(p + 6);
    if (headerBytes < kBinaryHeaderBytes || headerBytes > message.size()) {
        return false;
    }
    h.underrun = (static_cast<unsigned char>(p[5]) & 1u) != 0;
    h.seq = qFromLittleEndian<quint64>(p + 8);
    h.ptsMs = qFromLittleEndian<qint64>(p + 16);
    h.sentAtMs = qFromLittleEndian<qint64>(p + 24);
    return true;
}

QByteArray audioJson(const AudioHeader& h, const QByteArray& base64) {
    QByteArray s;
    s.reserve(base64.size() + 128);
    s += "{\"type\":\"audio\",\"seq\":";
    s += QByteArray::number(h.seq);
    s += ",\"pts_ms\":";
    s += QByteArray::number(h.ptsMs);
    s += ",\"sent_at_ms\":";
    s += QByteArray::number(h.sentAtMs);
    s += h.underrun ? ",\"underrun\":true,\"data\":\"" : ",\"underrun\":false,\"data\":\"";
    s += base64;
    s += "\"}";
    return s;
}

} // namespace auralis::protocol
