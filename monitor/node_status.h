// One-line summaries of a node's /api/status for the dashboard's Node panel: the stream's
// forms (PCM/Opus listeners, Ogg listeners) and the Icecast source. Pure functions.
#pragma once

#include <QJsonObject>
#include <QString>

namespace auralis::monitor {

/// e.g. "Opus 96 kbit/s encoding · 3 on /stream.ogg" or "PCM only (Opus idle)".
QString streamsText(const QJsonObject& status);
/// e.g. "streaming to http://source@ice:8000/a.ogg (1.2 MB sent, 0 reconnects)", or
/// "waiting: <error> (retry in 2.0 s)"; empty when the node has no Icecast source.
QString icecastText(const QJsonObject& status);

} // namespace auralis::monitor
