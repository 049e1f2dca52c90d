// Minimal HTTP/1.1 for the node's port: an incremental request parser with limits and a
// response builder. Pure functions on byte buffers; any thread.
#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>

namespace auralis::core::http {

inline constexpr int kMaxHeaderBytes = 16 * 1024;
inline constexpr qint64 kMaxBodyBytes = 64 * 1024;

struct Request {
    QByteArray method;
    QByteArray target; // as sent: path and query
    QByteArray path;
    QByteArray query;
    QByteArray version;
    QList<QPair<QByteArray, QByteArray>> headers; // names lower-cased
    QByteArray body;
    QString peer; // "address:port" of the client (set by the server, not parsed)

    /// The first header of that name (names are lower-cased), or empty.
    QByteArray header(const QByteArray& lowerName) const;
    qsizetype headerCount(const QByteArray& lowerName) const;
    bool keepAlive() const;
    bool isWebSocketUpgrade() const;
};

enum class Parse { Incomplete, Complete, Error };

struct ParseResult {
    Parse state = Parse::Incomplete;
    qsizetype consumed = 0; // bytes of the buffer the request used (Complete)
    int errorStatus = 0;    // 400, 413, 431, 501 (Error)
    QByteArray errorText;
    bool headersOnly = false; // Complete up to the headers (used before a WebSocket handover)
};

/// Parses one request from the front of `buffer`.
ParseResult parse(const QByteArray& buffer, Request& out);

struct Response {
    int status = 200;
    QByteArray contentType = "application/json";
    QByteArray body;
    QList<QPair<QByteArray, QByteArray>> headers;
    bool headOnly = false; // an answer to HEAD: the headers GET would get, no body
};

QByteArray reasonPhrase(int status);
/// Serialises a response; `keepAlive` sets the Connection header.
QByteArray serialize(const Response& response, bool keepAlive);
/// A JSON error body: {"error":{"code":..,"message":..,"field":..}}.
Response jsonError(int status, const QByteArray& code, const QString& message,
                   const QString& field = QString());

} // namespace auralis::core::http
