// The operator token: what a request must carry to change the music (HTTP
// `Authorization: Bearer TOKEN`, or a WebSocket session that presented it). Checking is
// constant-time; tokens are generated from the system's CSPRNG and stored owner-only.
// Pure functions and file helpers; any thread.
#pragma once

#include "core/http.h"

#include <QByteArray>
#include <QString>

#include <optional>

namespace auralis::core {

enum class Access {
    Open,    // the node has no token: control is open (loopback-only nodes)
    Granted, // the right token was presented
    Missing, // none was presented (HTTP 401)
    Wrong,   // a different one was presented (HTTP 403)
};

/// True when `presented` is `token`, in time that does not depend on where they differ.
bool tokenMatches(QByteArrayView presented, QByteArrayView token);
/// Access for a presented token (empty: none) against the node's (empty: no token).
Access accessFor(QByteArrayView presented, QByteArrayView token);
/// Access for an HTTP request's `Authorization: Bearer TOKEN`.
Access bearerAccess(const http::Request& request, QByteArrayView token);
inline bool allowed(Access a) {
    return a == Access::Open || a == Access::Granted;
}
const char* accessName(Access a);

/// 32 random bytes from the system's CSPRNG, base64url without padding (43 characters).
QByteArray generateToken();
/// Where a node keeps the token it generated: $STATE_DIRECTORY (systemd), else
/// $XDG_STATE_HOME/auralis, else ~/.local/state/auralis; the file is `control-token`.
QString defaultTokenPath();
/// The token in `path` (surrounding whitespace ignored); nullopt with `error` when the file
/// cannot be read or holds fewer than 16 characters.
std::optional<QByteArray> readTokenFile(const QString& path, QString* error);
/// Writes `token` to `path`, readable by the owner only (0600; the folder 0700 if created).
bool writeTokenFile(const QString& path, const QByteArray& token, QString* error);

} // namespace auralis::core
