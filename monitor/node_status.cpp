#include "monitor/node_status.h"

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

} // namespace auralis::monitor
