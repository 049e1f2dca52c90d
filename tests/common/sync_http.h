// Blocking HTTP for tests: a request through a QNetworkAccessManager, waited for with the
// event loop running (QSignalSpy), never a sleep. Header-only; test thread only.
#pragma once

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>

#include "patience.h"

namespace auralis::test {

struct SyncReply {
    int status = 0;
    QByteArray body;
    QByteArray allow;
    QByteArray contentType;
    QByteArray server;
};

inline SyncReply syncRequest(QNetworkAccessManager& nam, const QUrl& url,
                             const QByteArray& method = "GET", const QByteArray& body = {}) {
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
    QNetworkReply* reply = nam.sendCustomRequest(request, method, body);
    QSignalSpy done(reply, &QNetworkReply::finished);
    if (!reply->isFinished()) {
        done.wait(kPatienceMs);
    }
    SyncReply r;
    r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    r.body = reply->readAll();
    r.allow = reply->rawHeader("Allow");
    r.contentType = reply->rawHeader("Content-Type");
    r.server = reply->rawHeader("Server");
    reply->deleteLater();
    return r;
}

} // namespace auralis::test
