#include "protocol/messages.h"

#include <QJsonDocument>

#include <cmath>

namespace auralis::protocol {

namespace {

double num(qint64 v) {
    return static_cast<double>(v);
}

// Field readers for the parsers: false when the field is missing or has the wrong type.
bool readString(const QJsonObject& o, const char* key, QString& out) {
    const QJsonValue v = o.value(QLatin1String(key));
    if (!v.isString()) {
        return false;
    }
    out = v.toString();
    return true;
}

bool readNumber(const QJsonObject& o, const char* key, double& out) {
    const QJsonValue v = o.value(QLatin1String(key));
    if (!v.isDouble() || !std::isfinite(v.toDouble())) {
        return false;
    }
    out = v.toDouble();
    return true;
}

/// An integer in [lo, hi] (JSON numbers are doubles: exact up to 2^53).
template <class T>
bool readInteger(const QJsonObject& o, const char* key, T& out, double lo, double hi) {
    double d = 0;
    if (!readNumber(o, key, d) || d != std::floor(d) || d < lo || d > hi) {
        return false;
    }
    out = static_cast<T>(d);
    return true;
}

constexpr double kMaxExact = 9007199254740991.0; // 2^53 - 1

bool readTier(const QJsonObject& o, Tier& out) {
    QString name;
    if (!readString(o, "tier", name)) {
        return false;
    }
    const auto tier = parseTier(name);
    if (!tier) {
        return false;
    }
    out = *tier;
    return true;
}

bool isType(const QJsonObject& o, const char* type) {
    return o.value(QLatin1String("type")).toString() == QLatin1String(type);
}

Notice refusal(const QString& field, const QString& message) {
    return Notice{"invalid_value", message, field};
}

} // namespace

// ---- builders -----------------------------------------------------------------------------

QJsonObject paramsJson(const synth::MusicParams& p) {
    return QJsonObject{{"key", fromUtf8(synth::keyName(p.key))},
                       {"mode", fromUtf8(synth::modeName(p.mode))},
                       {"bpm", p.bpm},
                       {"intensity", p.intensity},
                       {"preset", fromUtf8(synth::presetName(p.preset))}};
}

QJsonObject toJson(const Welcome& m) {
    return QJsonObject{
        {"type", "welcome"},
        {"protocol", m.protocol},
        {"client_id", m.clientId},
        {"format", formatName(m.format)},
        {"audio", QJsonObject{{"sample_rate", m.audio.sampleRate},
                              {"channels", m.audio.channels},
                              {"encoding", m.audio.encoding},
                              {"chunk_ms", m.audio.chunkMs},
                              {"frames_per_chunk", m.audio.framesPerChunk},
                              {"bytes_per_chunk", m.audio.bytesPerChunk}}},
        {"tier", tierName(m.tier)},
        {"target_ms", m.targetMs},
        {"params", paramsJson(m.params)},
        {"device", m.device},
        {"server_time", num(m.serverTimeMs)},
        {"live_seq", num(m.liveSeq)},
    };
}

QJsonObject toJson(const TierChange& m) {
    return QJsonObject{{"type", "tier"},
                       {"tier", tierName(m.tier)},
                       {"target_ms", m.targetMs},
                       {"reason", m.reason}};
}

QJsonObject toJson(const Status& m) {
    return QJsonObject{{"type", "status"},
                       {"seq", num(m.seq)},
                       {"depth_chunks", num(m.depthChunks)},
                       {"tier", tierName(m.tier)},
                       {"target_ms", m.targetMs},
                       {"jitter_ms", m.jitterMs},
                       {"underruns", static_cast<double>(m.underruns)},
                       {"dropped", static_cast<double>(m.dropped)}};
}

QJsonObject toJson(const Pong& m) {
    return QJsonObject{
        {"type", "pong"}, {"client_time", m.clientTime}, {"server_time", num(m.serverTimeMs)}};
}

template <class Change>
QJsonObject changeJson(const char* type, const Change& m) {
    return QJsonObject{{"type", type},
                       {"params", paramsJson(m.params)},
                       {"applies_at_ms", m.appliesAtMs},
                       {"applies_at_seq", num(m.appliesAtSeq)}};
}

QJsonObject toJson(const ControlAck& m) {
    QJsonObject o = changeJson("control_ack", m);
    if (!m.id.isUndefined()) {
        o["id"] = m.id;
    }
    return o;
}

QJsonObject toJson(const ParamsChanged& m) {
    return changeJson("params", m);
}

QJsonObject toJson(const Shutdown& m) {
    return QJsonObject{{"type", "shutdown"}, {"reason", m.reason}, {"drain_ms", m.drainMs}};
}

QJsonObject errorJson(const Notice& m) {
    QJsonObject o{{"type", "error"}, {"code", m.code}, {"message", m.message}};
    if (!m.field.isEmpty()) {
        o["field"] = m.field;
    }
    return o;
}

QJsonObject warningJson(const Notice& m) {
    return QJsonObject{{"type", "warning"}, {"code", m.code}, {"message", m.message}};
}

QJsonObject toJson(const Ping& m) {
    return QJsonObject{{"type", "ping"}, {"client_time", m.clientTime}};
}

QJsonObject toJson(const TierRequest& m) {
    return QJsonObject{{"type", "tier"}, {"tier", tierName(m.tier)}};
}

QJsonObject toJson(const Report& m) {
    return QJsonObject{{"type", "report"},
                       {"buffer_ms", m.bufferMs},
                       {"underruns", static_cast<double>(m.underruns)}};
}

QJsonObject controlJson(const QJsonObject& fields, const QJsonValue& id) {
    QJsonObject o = fields;
    o["type"] = "control";
    if (!id.isUndefined()) {
        o["id"] = id;
    }
    return o;
}

QByteArray toWire(const QJsonObject& message) {
    return QJsonDocument(message).toJson(QJsonDocument::Compact);
}

QString messageType(const QJsonObject& o) {
    return o.value(QLatin1String("type")).toString();
}

// ---- parsers: node -> listener ------------------------------------------------------------

std::optional<synth::MusicParams> parseParams(const QJsonObject& o) {
    QString key;
    QString mode;
    QString preset;
    synth::ParamUpdate u;
    double bpm = 0;
    double intensity = 0;
    if (!readString(o, "key", key) || !readString(o, "mode", mode) ||
        !readString(o, "preset", preset) || !readNumber(o, "bpm", bpm) ||
        !readNumber(o, "intensity", intensity)) {
        return std::nullopt;
    }
    // The preset first (it sets mode, tempo and intensity), then the fields as they are.
    u.preset = preset.toStdString();
    u.key = key.toStdString();
    u.mode = mode.toStdString();
    u.bpm = bpm;
    u.intensity = intensity;
    synth::MusicParams p;
    if (synth::applyUpdate(synth::MusicParams{}, u, p)) {
        return std::nullopt;
    }
    return p;
}

std::optional<Welcome> parseWelcome(const QJsonObject& o) {
    Welcome m;
    QString format;
    const QJsonObject audio = o.value("audio").toObject();
    const auto params = parseParams(o.value("params").toObject());
    if (!isType(o, "welcome") || !readInteger(o, "protocol", m.protocol, 0, 1e9) ||
        !readString(o, "client_id", m.clientId) || !readString(o, "format", format) ||
        !parseFormat(format) || !readTier(o, m.tier) ||
        !readInteger(o, "target_ms", m.targetMs, 0, 1e9) || !params ||
        !readString(o, "device", m.device) ||
        !readInteger(o, "server_time", m.serverTimeMs, 0, kMaxExact) ||
        !readInteger(o, "live_seq", m.liveSeq, 0, kMaxExact) ||
        !readInteger(audio, "sample_rate", m.audio.sampleRate, 1, 1e7) ||
        !readInteger(audio, "channels", m.audio.channels, 1, 64) ||
        !readString(audio, "encoding", m.audio.encoding) ||
        !readInteger(audio, "chunk_ms", m.audio.chunkMs, 1, 1e6) ||
        !readInteger(audio, "frames_per_chunk", m.audio.framesPerChunk, 1, 1e9) ||
        !readInteger(audio, "bytes_per_chunk", m.audio.bytesPerChunk, 1, 1e9)) {
        return std::nullopt;
    }
    m.format = *parseFormat(format);
    m.params = *params;
    return m;
}

std::optional<TierChange> parseTierChange(const QJsonObject& o) {
    TierChange m;
    if (!isType(o, "tier") || !readTier(o, m.tier) ||
        !readInteger(o, "target_ms", m.targetMs, 0, 1e9) || !readString(o, "reason", m.reason)) {
        return std::nullopt;
    }
    return m;
}

std::optional<Status> parseStatus(const QJsonObject& o) {
    Status m;
    if (!isType(o, "status") || !readInteger(o, "seq", m.seq, -1, kMaxExact) ||
        !readInteger(o, "depth_chunks", m.depthChunks, -kMaxExact, kMaxExact) ||
        !readTier(o, m.tier) || !readInteger(o, "target_ms", m.targetMs, 0, 1e9) ||
        !readNumber(o, "jitter_ms", m.jitterMs) ||
        !readInteger(o, "underruns", m.underruns, 0, kMaxExact) ||
        !readInteger(o, "dropped", m.dropped, 0, kMaxExact)) {
        return std::nullopt;
    }
    return m;
}

std::optional<Pong> parsePong(const QJsonObject& o) {
    Pong m;
    if (!isType(o, "pong") || !readInteger(o, "server_time", m.serverTimeMs, 0, kMaxExact)) {
        return std::nullopt;
    }
    m.clientTime = o.value("client_time");
    return m;
}

// What a control_ack and a params push share: the full new set and where it applies.
template <class Change>
bool readChange(const QJsonObject& o, const char* type, Change& m) {
    const auto params = parseParams(o.value("params").toObject());
    if (!isType(o, type) || !params || !readNumber(o, "applies_at_ms", m.appliesAtMs) ||
        !readInteger(o, "applies_at_seq", m.appliesAtSeq, 0, kMaxExact)) {
        return false;
    }
    m.params = *params;
    return true;
}

std::optional<ControlAck> parseControlAck(const QJsonObject& o) {
    ControlAck m;
    if (!readChange(o, "control_ack", m)) {
        return std::nullopt;
    }
    m.id = o.value("id");
    return m;
}

std::optional<ParamsChanged> parseParamsChanged(const QJsonObject& o) {
    ParamsChanged m;
    return readChange(o, "params", m) ? std::optional(m) : std::nullopt;
}

std::optional<Shutdown> parseShutdown(const QJsonObject& o) {
    Shutdown m;
    if (!isType(o, "shutdown") || !readString(o, "reason", m.reason) ||
        !readInteger(o, "drain_ms", m.drainMs, 0, 1e9)) {
        return std::nullopt;
    }
    return m;
}

std::optional<Notice> parseNotice(const QJsonObject& o) {
    Notice m;
    if ((!isType(o, "error") && !isType(o, "warning")) || !readString(o, "code", m.code) ||
        !readString(o, "message", m.message)) {
        return std::nullopt;
    }
    m.field = o.value("field").toString();
    return m;
}

// ---- parsers: listener -> node ------------------------------------------------------------

std::variant<Ping, Notice> parsePing(const QJsonObject& o) {
    return Ping{o.value("client_time")};
}

std::variant<TierRequest, Notice> parseTierRequest(const QJsonObject& o) {
    TierRequest m;
    if (!readTier(o, m.tier)) {
        return refusal("tier", "tier must be minimal, normal, stable or defensive");
    }
    return m;
}

std::variant<Report, Notice> parseReport(const QJsonObject& o) {
    Report m;
    if (!readNumber(o, "buffer_ms", m.bufferMs) || m.bufferMs < 0 || m.bufferMs > 600000) {
        return refusal("buffer_ms", "buffer_ms must be a number of milliseconds (0-600000)");
    }
    if (!readInteger(o, "underruns", m.underruns, 0, kMaxExact)) {
        return refusal("underruns", "underruns must be a non-negative integer below 2^53");
    }
    return m;
}

} // namespace auralis::protocol
