// The node's HTTP API: the browser listener's files, /metrics, /health, /api/status,
// /api/presets and POST /api/control, registered on the node's HttpServer and answered from
// the node's public state. Node's thread.
#pragma once

#include <QJsonObject>

namespace auralis::core {

class HttpServer;
class Node;

/// Registers the node's own routes on `server`.
void addNodeRoutes(HttpServer& server, Node& node);
/// /api/status: version, uptime, device, parameters, stream, recent phrases, listeners
/// (their addresses only with `showAddresses`: the operator's view).
QJsonObject statusJson(const Node& node, bool showAddresses);
/// /api/presets: the presets with their settings, modes, keys and ranges.
QJsonObject presetsJson();

} // namespace auralis::core
