#include "core/protocol.h"

#include <QJsonDocument>
#include <QtEndian>

#include <cstring>

namespace auralis::core::protocol {

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

QString audioJson(const AudioHeader& h, const QByteArray& base64) {
    QString s;
    s.reserve(base64.size() + 128);
    s += QLatin1String("{\"type\":\"audio\",\"seq\":");
    s += QString::number(h.seq);
    s += QLatin1String(",\"pts_ms\":");
    s += QString::number(h.ptsMs);
    s += QLatin1String(",\"sent_at_ms\":");
    s += QString::number(h.sentAtMs);
    s += h.underrun ? QLatin1String(",\"underrun\":true,\"data\":\"")
                    : QLatin1String(",\"underrun\":false,\"data\":\"");
    s += QLatin1String(base64);
    s += QLatin1String("\"}");
    return s;
}

QJsonObject errorMessage(const QString& code, const QString& message, const QString& field) {
    QJsonObject o{{"type", "error"}, {"code", code}, {"message", message}};
    if (!field.isEmpty()) {
        o["field"] = field;
    }
    return o;
}

QJsonObject warningMessage(const QString& code, const QString& message) {
    return QJsonObject{{"type", "warning"}, {"code", code}, {"message", message}};
}

QString toText(const QJsonObject& object) {
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
}

} // namespace auralis::core::protocol
