#include "protocol/protocol.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QtEndian>

#include <cmath>

#include <cstring>

namespace auralis::protocol {

QString formatName(Format format) {
    switch (format) {
    case Format::Json:
        return "json";
    case Format::Binary:
        return "binary";
    case Format::Opus:
        return "opus";
    }
    return "json";
}

std::optional<Format> parseFormat(const QString& text) {
    if (text == "json") {
        return Format::Json;
    }
    if (text == "binary") {
        return Format::Binary;
    }
    if (text == "opus") {
        return Format::Opus;
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

namespace {

// The node's layout, field by field: {"type":"audio","seq":N,"pts_ms":N,"sent_at_ms":N,
// "underrun":B,"data":"..."}; false at the first difference.
bool parseCompactAudio(const QByteArray& s, AudioHeader& h, QByteArray& base64) {
    qsizetype pos = 0;
    const auto literal = [&](const char* text) {
        const qsizetype n = static_cast<qsizetype>(std::strlen(text));
        if (s.size() - pos < n || std::memcmp(s.constData() + pos, text, n) != 0) {
            return false;
        }
        pos += n;
        return true;
    };
    const auto integer = [&](qint64& out) {
        const qsizetype from = pos;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9' && pos - from < 19) {
            ++pos;
        }
        bool ok = false;
        out = QByteArrayView(s).sliced(from, pos - from).toLongLong(&ok);
        return ok && pos > from;
    };
    qint64 seq = 0;
    if (!literal("{\"type\":\"audio\",\"seq\":") || !integer(seq) || !literal(",\"pts_ms\":") ||
        !integer(h.ptsMs) || !literal(",\"sent_at_ms\":") || !integer(h.sentAtMs) ||
        !literal(",\"underrun\":")) {
        return false;
    }
    h.seq = static_cast<quint64>(seq);
    if (literal("true")) {
        h.underrun = true;
    } else if (literal("false")) {
        h.underrun = false;
    } else {
        return false;
    }
    if (!literal(",\"data\":\"")) {
        return false;
    }
    const qsizetype end = s.indexOf('"', pos);
    if (end < 0 || s.size() - end != 2 || s[end + 1] != '}') {
        return false;
    }
    base64 = s.mid(pos, end - pos);
    return true;
}

} // namespace

AudioParse parseAudioJson(const QByteArray& utf8, AudioHeader& h, QByteArray& base64) {
    if (parseCompactAudio(utf8, h, base64)) {
        return AudioParse::Ok;
    }
    const QJsonObject o = QJsonDocument::fromJson(utf8).object();
    if (o.value("type").toString() != QLatin1String("audio")) {
        return AudioParse::NotAudio;
    }
    const QJsonValue seq = o.value("seq");
    const QJsonValue pts = o.value("pts_ms");
    const QJsonValue data = o.value("data");
    if (!seq.isDouble() || seq.toDouble() < 0 || seq.toDouble() != std::floor(seq.toDouble()) ||
        !pts.isDouble() || !data.isString()) {
        return AudioParse::Malformed;
    }
    h.seq = static_cast<quint64>(seq.toDouble());
    h.ptsMs = static_cast<qint64>(pts.toDouble());
    h.sentAtMs = static_cast<qint64>(o.value("sent_at_ms").toDouble());
    h.underrun = o.value("underrun").toBool();
    base64 = data.toString().toLatin1();
    return AudioParse::Ok;
}

void appendOpusPacket(QByteArray& payload, const char* data, int length) {
    char size[2];
    qToLittleEndian<quint16>(static_cast<quint16>(length), size);
    payload.append(size, 2);
    payload.append(data, length);
}

bool splitOpusPackets(QByteArrayView payload, std::vector<QByteArray>& out) {
    out.clear();
    qsizetype pos = 0;
    while (pos < payload.size()) {
        if (payload.size() - pos < 2) {
            return false;
        }
        const quint16 length = qFromLittleEndian<quint16>(payload.data() + pos);
        pos += 2;
        if (payload.size() - pos < length) {
            return false;
        }
        out.emplace_back(payload.data() + pos, length);
        pos += length;
    }
    return true;
}

QByteArray audioJsonPrefix(const AudioHeader& h) {
    QByteArray s;
    s.reserve(112);
    s += "{\"type\":\"audio\",\"seq\":";
    s += QByteArray::number(h.seq);
    s += ",\"pts_ms\":";
    s += QByteArray::number(h.ptsMs);
    s += ",\"sent_at_ms\":";
    s += QByteArray::number(h.sentAtMs);
    s += h.underrun ? ",\"underrun\":true,\"data\":\"" : ",\"underrun\":false,\"data\":\"";
    return s;
}

QByteArray audioJson(const AudioHeader& h, const QByteArray& base64) {
    QByteArray s = audioJsonPrefix(h);
    s.reserve(s.size() + base64.size() + kAudioJsonSuffix.size());
    s += base64;
    s += kAudioJsonSuffix;
    return s;
}

} // namespace auralis::protocol
