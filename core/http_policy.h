// Who may talk to the node over HTTP. The Host header must name the node: an IP address,
// localhost, or a name in allowedHosts (the machine's own name is added by the node) —
// anything else is a DNS-rebinding attempt (421). A browser's Origin on a request that
// changes something (POST, the WebSocket upgrade) must be the node's own or in
// allowedOrigins (403): a page elsewhere cannot drive it. Pure functions; any thread.
#pragma once

#include "core/http.h"

#include <QStringList>

namespace auralis::core {

struct HttpPolicy {
    QStringList allowedHosts;   // lower-case names, without port
    QStringList allowedOrigins; // "https://example.org" (scheme://host[:port]), lower-case
    bool tls = false;           // the node's own origin is https://… rather than http://…
};

/// The host part of a Host header value ("[::1]:8000" -> "::1", "Name:80" -> "name");
/// empty when it is malformed.
QString hostOf(const QByteArray& hostHeader);
/// True for an IP literal, localhost (and *.localhost) and the allowed names.
bool hostAllowed(const QByteArray& hostHeader, const HttpPolicy& policy);
/// True when the request has no Origin (not a browser's cross-site request), or its Origin is
/// the node's own (scheme and Host of this request) or an allowed one. "null" is never allowed.
bool originAllowed(const http::Request& request, const HttpPolicy& policy);

} // namespace auralis::core
