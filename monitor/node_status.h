// What a node's /api/status and /api/presets say, for the dashboard: one-line summaries for
// the Node panel (the stream's forms, the Icecast source) and the controls' choices. Pure
// functions; a node is untrusted input.
#pragma once

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <optional>
#include <vector>

namespace auralis::monitor {

/// e.g. "Opus 96 kbit/s encoding · 3 on /stream.ogg" or "PCM only (Opus idle)".
QString streamsText(const QJsonObject& status);
/// e.g. "streaming to http://source@ice:8000/a.ogg (1.2 MB sent, 0 reconnects)", or
/// "waiting: <error> (retry in 2.0 s)"; empty when the node has no Icecast source.
QString icecastText(const QJsonObject& status);

/// The choices a node's controls offer (GET /api/presets).
struct ControlChoices {
    struct Preset {
        QString name;
        QString mode;
        double bpm = 0;
        double intensity = 0;
    };
    std::vector<Preset> presets;
    QStringList keys;
    QStringList modes;
    double minBpm = 0;
    double maxBpm = 0;
};
/// Parses /api/presets; nullopt when it is not what a node sends (missing or empty lists,
/// names that are not short words, more than 64 entries, a BPM range that is not one).
std::optional<ControlChoices> parseChoices(const QJsonObject& presets);
/// A preset's tooltip: "44 BPM · intensity 0.12 · aeolian".
QString presetSummary(const ControlChoices::Preset& preset);

} // namespace auralis::monitor
