#include "monitor/node_status.h"

#include <QJsonArray>

#include <algorithm>

namespace auralis::monitor {

namespace {

QString bytesText(double bytes) {
    if (bytes >= 1e9) {
        return QString("%1 GB").arg(bytes / 1e9, 0, 'f', 2);
    }
    if (bytes >= 1e6) {
        return QString("%1 MB").arg(bytes / 1e6, 0, 'f', 1);
    }
    return QString("%1 kB").arg(bytes / 1e3, 0, 'f', 0);
}

} // namespace

QString streamsText(const QJsonObject& status) {
    const QJsonObject opus = status.value("opus").toObject();
    if (opus.isEmpty()) {
        return "PCM"; // a node from before Opus
    }
    const int ogg = status.value("http_stream").toObject().value("count").toInt();
    QString text = opus.value("encoding").toBool()
                       ? QString("Opus %1 kbit/s encoding").arg(opus.value("bitrate_kbps").toInt())
                       : QString("PCM only (Opus idle until asked for)");
    return text + QString(" · %1 on /stream.ogg").arg(ogg);
}

QString icecastText(const QJsonObject& status) {
    const QJsonObject ice = status.value("icecast").toObject();
    if (ice.isEmpty()) {
        return {};
    }
    const QString state = ice.value("state").toString();
    const QString counts = QString("%1 sent, %2 reconnects")
                               .arg(bytesText(ice.value("sent_bytes").toDouble()))
                               .arg(ice.value("reconnects").toInt());
    if (state == "streaming") {
        return QString("streaming to %1 (%2)").arg(ice.value("url").toString(), counts);
    }
    QString text = QString("%1: %2").arg(state, ice.value("url").toString());
    if (ice.contains("last_error")) {
        text += " — " + ice.value("last_error").toString();
    }
    if (ice.contains("retry_in_ms")) {
        text += QString(" (retry in %1 s)").arg(ice.value("retry_in_ms").toDouble() / 1000, 0, 'f', 1);
    }
    return text + " (" + counts + ")";
}

namespace {

// A choice's name: a short word of letters, digits, '#', '-' or '_'.
bool isName(const QString& s) {
    if (s.isEmpty() || s.size() > 32) {
        return false;
    }
    return std::all_of(s.begin(), s.end(), [](QChar c) {
        return c.isLetterOrNumber() || c == '#' || c == '-' || c == '_';
    });
}

std::optional<QStringList> names(const QJsonValue& v) {
    const QJsonArray a = v.toArray();
    if (a.isEmpty() || a.size() > 64) {
        return std::nullopt;
    }
    QStringList out;
    for (const QJsonValue& e : a) {
        if (!isName(e.toString())) {
            return std::nullopt;
        }
        out << e.toString();
    }
    return out;
}

} // namespace

std::optional<ControlChoices> parseChoices(const QJsonObject& o) {
    ControlChoices c;
    const auto keys = names(o.value("keys"));
    const auto modes = names(o.value("modes"));
    const QJsonArray presets = o.value("presets").toArray();
    const QJsonObject bpm = o.value("bpm").toObject();
    c.minBpm = bpm.value("min").toDouble(-1);
    c.maxBpm = bpm.value("max").toDouble(-1);
    if (!keys || !modes || presets.isEmpty() || presets.size() > 64 || !(c.minBpm > 0) ||
        !(c.maxBpm > c.minBpm) || c.maxBpm > 1000) {
        return std::nullopt;
    }
    c.keys = *keys;
    c.modes = *modes;
    for (const QJsonValue& v : presets) {
        const QJsonObject p = v.toObject();
        ControlChoices::Preset preset{p.value("name").toString(), p.value("mode").toString(),
                                      p.value("bpm").toDouble(), p.value("intensity").toDouble()};
        if (!isName(preset.name) || !c.modes.contains(preset.mode)) {
            return std::nullopt;
        }
        c.presets.push_back(preset);
    }
    return c;
}

QString presetSummary(const ControlChoices::Preset& p) {
    return QString("%1 BPM · intensity %2 · %3").arg(p.bpm).arg(p.intensity, 0, 'f', 2).arg(p.mode);
}

} // namespace auralis::monitor
