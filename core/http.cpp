#include "core/http.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>

namespace auralis::core::http {

qsizetype Request::headerCount(const QByteArray& lowerName) const {
    return std::count_if(headers.begin(), headers.end(),
                         [&](const auto& h) { return h.first == lowerName; });
}

QByteArray Request::header(const QByteArray& lowerName) const {
    for (const auto& [name, value] : headers) {
        if (name == lowerName) {
            return value;
        }
    }
    return {};
}

bool Request::keepAlive() const {
    const QByteArray c = header("connection").toLower();
    if (version == "HTTP/1.0") {
        return c.contains("keep-alive");
    }
    return !c.contains("close");
}

bool Request::isWebSocketUpgrade() const {
    return header("upgrade").toLower() == "websocket" &&
           header("connection").toLower().contains("upgrade");
}

ParseResult parse(const QByteArray& buffer, Request& out) {
    ParseResult r;
    const auto fail = [&r](int status, const char* text) {
        r.state = Parse::Error;
        r.errorStatus = status;
        r.errorText = text;
        return r;
    };
    const qsizetype end = buffer.indexOf("\r\n\r\n");
    if (end < 0) {
        return buffer.size() > kMaxHeaderBytes ? fail(431, "request headers too large") : r;
    }
    if (end > kMaxHeaderBytes) {
        return fail(431, "request headers too large");
    }
    const QList<QByteArray> lines = buffer.left(end).split('\n');
    const QList<QByteArray> requestLine = lines.front().trimmed().split(' ');
    if (requestLine.size() != 3 || !requestLine[2].startsWith("HTTP/1.") ||
        requestLine[1].isEmpty() || requestLine[1][0] != '/') {
        return fail(400, "malformed request line");
    }
    out = Request{};
    out.method = requestLine[0];
    out.target = requestLine[1];
    out.version = requestLine[2];
    const qsizetype q = out.target.indexOf('?');
    out.path = q < 0 ? out.target : out.target.left(q);
    out.query = q < 0 ? QByteArray() : out.target.mid(q + 1);
    for (int i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines[i].trimmed();
        if (line.isEmpty()) {
            continue;
        }
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0) {
            return fail(400, "malformed header line");
        }
        out.headers.append({line.left(colon).trimmed().toLower(), line.mid(colon + 1).trimmed()});
    }
    const qsizetype headerBytes = end + 4;
    if (!out.header("transfer-encoding").isEmpty()) {
        return fail(501, "chunked request bodies are not supported");
    }
    // Exactly one Host in HTTP/1.1 (RFC 9112 section 3.2): none, or two, is a 400.
    const qsizetype hosts = out.headerCount("host");
    if (hosts > 1) {
        return fail(400, "more than one Host header");
    }
    if (hosts == 0 && out.version == "HTTP/1.1") {
        return fail(400, "HTTP/1.1 requests need a Host header");
    }
    // Content-Length: digits only; repeated only with the same value (request smuggling).
    qint64 length = -1;
    for (const auto& [name, value] : out.headers) {
        if (name != "content-length") {
            continue;
        }
        const bool digits =
            !value.isEmpty() && value.size() <= 18 &&
            std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (!digits) {
            return fail(400, "invalid Content-Length");
        }
        const qint64 v = value.toLongLong();
        if (length >= 0 && v != length) {
            return fail(400, "conflicting Content-Length headers");
        }
        length = v;
    }
    length = std::max<qint64>(length, 0);
    if (length > kMaxBodyBytes) {
        return fail(413, "request body larger than 64 KiB");
    }
    if (buffer.size() < headerBytes + length) {
        return r; // body still arriving
    }
    out.body = buffer.mid(headerBytes, length);
    r.state = Parse::Complete;
    r.consumed = headerBytes + length;
    return r;
}

QByteArray reasonPhrase(int status) {
    switch (status) {
    case 200:
        return "OK";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 408:
        return "Request Timeout";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 421:
        return "Misdirected Request";
    case 426:
        return "Upgrade Required";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    default:
        return "Status";
    }
}

QByteArray serialize(const Response& response, bool keepAlive) {
    QByteArray out;
    out.reserve(response.body.size() + 256);
    out += "HTTP/1.1 " + QByteArray::number(response.status) + ' ' + reasonPhrase(response.status) +
           "\r\n";
    if (!response.contentType.isEmpty()) {
        out += "Content-Type: " + response.contentType + "\r\n";
    }
    out += "Content-Length: " + QByteArray::number(response.body.size()) + "\r\n";
    out += keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
    out += "Cache-Control: no-store\r\n";
    for (const auto& [name, value] : response.headers) {
        out += name + ": " + value + "\r\n";
    }
    out += "\r\n";
    if (!response.headOnly) {
        out += response.body;
    }
    return out;
}

Response jsonError(int status, const QByteArray& code, const QString& message,
                   const QString& field) {
    QJsonObject error{{"code", QString::fromUtf8(code)}, {"message", message}};
    if (!field.isEmpty()) {
        error["field"] = field;
    }
    Response r;
    r.status = status;
    r.body = QJsonDocument(QJsonObject{{"error", error}}).toJson(QJsonDocument::Compact);
    return r;
}

} // namespace auralis::core::http
