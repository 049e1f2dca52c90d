// Every JSON message of protocol v1 as a struct with one builder (toJson) and one parser
// (parse...). The node builds with these, listeners parse with them; docs/protocol.md is the
// same list as tables. Pure functions; any thread.
#pragma once

#include "protocol/protocol.h"
#include "synth/music.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QString>

#include <optional>
#include <variant>

namespace auralis::protocol {

// ---- node -> listener ---------------------------------------------------------------------

struct AudioFormat {
    int sampleRate = kSampleRate;
    int channels = kChannels;
    QString encoding = "s16le";
    int chunkMs = kChunkMs;
    int framesPerChunk = kChunkFrames;
    int bytesPerChunk = kChunkBytes;
    friend bool operator==(const AudioFormat&, const AudioFormat&) = default;
};

struct Welcome {
    int protocol = kVersion;
    QString clientId;
    Format format = Format::Json;
    AudioFormat audio;
    Tier tier = Tier::Normal;
    int targetMs = 1000;
    synth::MusicParams params;
    QString device;
    qint64 serverTimeMs = 0;
    qint64 liveSeq = 0;
    friend bool operator==(const Welcome&, const Welcome&) = default;
};

/// The node moved the listener to another tier (escalation, relaxation or its request).
struct TierChange {
    Tier tier = Tier::Normal;
    int targetMs = 1000;
    QString reason;
    friend bool operator==(const TierChange&, const TierChange&) = default;
};

/// Every few seconds: where the listener stands as the node sees it.
struct Status {
    qint64 seq = 0;         // the last seq sent
    qint64 depthChunks = 0; // rendered chunks ahead of the listener's cursor
    Tier tier = Tier::Normal;
    int targetMs = 1000;
    double jitterMs = 0; // p95 send jitter
    quint64 underruns = 0;
    quint64 dropped = 0;
    friend bool operator==(const Status&, const Status&) = default;
};

struct Pong {
    QJsonValue clientTime; // echoed as sent
    qint64 serverTimeMs = 0;
    friend bool operator==(const Pong&, const Pong&) = default;
};

struct ControlAck {
    synth::MusicParams params;
    double appliesAtMs = 0;
    qint64 appliesAtSeq = 0;
    QJsonValue id; // echoed when the control message had one
    friend bool operator==(const ControlAck&, const ControlAck&) = default;
};

/// Pushed to every listener when the music's parameters change (by anyone): the full new
/// set and the phrase boundary it applies at.
struct ParamsChanged {
    synth::MusicParams params;
    double appliesAtMs = 0;
    qint64 appliesAtSeq = 0;
    friend bool operator==(const ParamsChanged&, const ParamsChanged&) = default;
};

struct Shutdown {
    QString reason;
    int drainMs = 0;
    friend bool operator==(const Shutdown&, const Shutdown&) = default;
};

/// `error` (something the listener sent was refused) and `warning` (the node did something
/// the listener should know, e.g. sent silence for an underrun).
struct Notice {
    QString code;
    QString message;
    QString field; // error only; empty when not about one field
    friend bool operator==(const Notice&, const Notice&) = default;
};

// ---- listener -> node ---------------------------------------------------------------------

struct Ping {
    QJsonValue clientTime;
    friend bool operator==(const Ping&, const Ping&) = default;
};

struct TierRequest {
    Tier tier = Tier::Normal;
    friend bool operator==(const TierRequest&, const TierRequest&) = default;
};

/// The listener's own view of its playout buffer; underruns is a running count.
struct Report {
    double bufferMs = 0;
    quint64 underruns = 0;
    friend bool operator==(const Report&, const Report&) = default;
};

// The `control` message is its fields plus "type" (and an optional "id"), validated by
// parseControl() in control.h against the node's current parameters.

// ---- builders -----------------------------------------------------------------------------

QJsonObject toJson(const Welcome& m);
QJsonObject toJson(const TierChange& m);
QJsonObject toJson(const Status& m);
QJsonObject toJson(const Pong& m);
QJsonObject toJson(const ControlAck& m);
QJsonObject toJson(const Shutdown& m);
QJsonObject toJson(const ParamsChanged& m);
QJsonObject errorJson(const Notice& m);
QJsonObject warningJson(const Notice& m);
QJsonObject toJson(const Ping& m);
QJsonObject toJson(const TierRequest& m);
QJsonObject toJson(const Report& m);
/// A control message with the given fields (only those set are sent).
QJsonObject controlJson(const QJsonObject& fields, const QJsonValue& id = {});

/// {"key":"A","mode":"dorian","bpm":72,"intensity":0.55,"preset":"focus"}
QJsonObject paramsJson(const synth::MusicParams& params);
/// Compact UTF-8 JSON, as sent on the wire.
QByteArray toWire(const QJsonObject& message);

// ---- parsers ------------------------------------------------------------------------------
// Node -> listener messages parse to nullopt when a field is missing or mistyped.

std::optional<synth::MusicParams> parseParams(const QJsonObject& o);
std::optional<Welcome> parseWelcome(const QJsonObject& o);
std::optional<TierChange> parseTierChange(const QJsonObject& o);
std::optional<Status> parseStatus(const QJsonObject& o);
std::optional<Pong> parsePong(const QJsonObject& o);
std::optional<ControlAck> parseControlAck(const QJsonObject& o);
std::optional<Shutdown> parseShutdown(const QJsonObject& o);
std::optional<ParamsChanged> parseParamsChanged(const QJsonObject& o);
std::optional<Notice> parseNotice(const QJsonObject& o); // error or warning

// Listener -> node messages are untrusted: a refusal says which field and why.
std::variant<Ping, Notice> parsePing(const QJsonObject& o);
std::variant<TierRequest, Notice> parseTierRequest(const QJsonObject& o);
/// Bounds: buffer_ms 0..600000, underruns a non-negative integer < 2^53 (exact in JSON).
std::variant<Report, Notice> parseReport(const QJsonObject& o);

/// The "type" of a message ("" when absent or not a string).
QString messageType(const QJsonObject& o);

} // namespace auralis::protocol
