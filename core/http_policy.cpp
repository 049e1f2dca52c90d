#include "core/http_policy.h"

#include <QHostAddress>

namespace auralis::core {

QString hostOf(const QByteArray& hostHeader) {
    QByteArray h = hostHeader.trimmed().toLower();
    if (h.isEmpty()) {
        return {};
    }
    if (h.startsWith('[')) { // [IPv6]:port
        const qsizetype close = h.indexOf(']');
        if (close < 0 || (close + 1 < h.size() && h[close + 1] != ':')) {
            return {};
        }
        return QString::fromLatin1(h.mid(1, close - 1));
    }
    const qsizetype colon = h.indexOf(':');
    if (colon >= 0) {
        const QByteArray port = h.mid(colon + 1);
        bool ok = false;
        if (h.indexOf(':', colon + 1) >= 0 || (!port.isEmpty() && (port.toUInt(&ok), !ok))) {
            return {};
        }
        h.truncate(colon);
    }
    for (const char c : h) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
        if (!ok) {
            return {};
        }
    }
    return QString::fromLatin1(h);
}

bool hostAllowed(const QByteArray& hostHeader, const HttpPolicy& policy) {
    const QString host = hostOf(hostHeader);
    if (host.isEmpty()) {
        return false;
    }
    QHostAddress ip;
    if (ip.setAddress(host)) {
        return true; // an address cannot be rebound by someone else's DNS
    }
    if (host == "localhost" || host.endsWith(".localhost")) {
        return true;
    }
    return policy.allowedHosts.contains(host);
}

bool originAllowed(const http::Request& request, const HttpPolicy& policy) {
    if (request.headerCount("origin") == 0) {
        return true;
    }
    const QString origin = QString::fromLatin1(request.header("origin").trimmed().toLower());
    const QString own = QString(policy.tls ? "https://" : "http://") +
                        QString::fromLatin1(request.header("host").trimmed().toLower());
    return origin == own || policy.allowedOrigins.contains(origin);
}

} // namespace auralis::core
