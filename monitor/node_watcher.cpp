#include "monitor/node_watcher.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>

namespace auralis::monitor {

NodeWatcher::NodeWatcher(QUrl base, int intervalMs, QObject* parent)
    : QObject(parent), m_base(std::move(base)) {
    m_timer.setParent(this); // moves with the watcher to its worker thread
    m_timer.setInterval(intervalMs);
    connect(&m_timer, &QTimer::timeout, this, &NodeWatcher::scrape);
}

NodeWatcher::~NodeWatcher() = default;

void NodeWatcher::start() {
    if (!m_net) {
        m_net = new QNetworkAccessManager(this); // created in the worker thread
        m_net->setTransferTimeout(std::max(500, m_timer.interval() * 3));
    }
    scrape();
    m_timer.start();
}

void NodeWatcher::stop() {
    m_timer.stop();
}

void NodeWatcher::setOptions(const DashboardOptions& options) {
    m_options = options;
    publish(QDateTime::currentMSecsSinceEpoch());
}

void NodeWatcher::setPaused(bool paused) {
    m_paused = paused;
}

void NodeWatcher::scrape() {
    if (m_inFlight) {
        return; // a slow node is not asked twice at once
    }
    m_inFlight = true;
    QUrl metrics = m_base;
    metrics.setPath("/metrics");
    QNetworkReply* reply = m_net->get(QNetworkRequest(metrics));
    connect(reply, &QNetworkReply::finished, this, [this, reply] {
        reply->deleteLater();
        m_inFlight = false;
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        if (reply->error() != QNetworkReply::NoError) {
            emit reachability(false, reply->errorString());
            publish(now);
            return;
        }
        onMetrics(reply->readAll(), now);
    });
    if (m_tick++ % 2 == 0) {
        QUrl status = m_base;
        status.setPath("/api/status");
        QNetworkReply* s = m_net->get(QNetworkRequest(status));
        connect(s, &QNetworkReply::finished, this, [this, s] {
            s->deleteLater();
            const QJsonObject o = QJsonDocument::fromJson(s->readAll()).object();
            if (s->error() == QNetworkReply::NoError && !o.isEmpty()) {
                emit statusUpdated(o);
            }
        });
    }
}

void NodeWatcher::onMetrics(const QByteArray& body, qint64 atMs) {
    const ParsedScrape parsed =
        parseExposition(std::string_view(body.constData(), static_cast<std::size_t>(body.size())));
    if (parsed.samples.empty() && parsed.issueCount > 0) {
        emit reachability(false, QString("the node's /metrics is not Prometheus text (line %1: %2)")
                                     .arg(parsed.issues.front().line)
                                     .arg(QString::fromStdString(parsed.issues.front().message)));
        publish(atMs);
        return;
    }
    m_store.append(parsed, atMs);
    m_store.trim(atMs);
    m_alerts.evaluate(m_store, atMs);
    emit reachability(true, parsed.issueCount > 0
                                ? QString("%1 malformed line(s) skipped, first at line %2: %3")
                                      .arg(parsed.issueCount)
                                      .arg(parsed.issues.front().line)
                                      .arg(QString::fromStdString(parsed.issues.front().message))
                                : QString());
    publish(atMs);
}

void NodeWatcher::publish(qint64 nowMs) {
    if (m_paused) {
        return;
    }
    emit snapshot(std::make_shared<const DashboardSnapshot>(
        computeDashboard(m_store, m_alerts, nowMs, m_options)));
}

void NodeWatcher::postControl(const QJsonObject& control) {
    if (!m_net) {
        emit controlResult(false, "not watching this node yet");
        return;
    }
    QUrl url = m_base;
    url.setPath("/api/control");
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
    QNetworkReply* reply =
        m_net->post(request, QJsonDocument(control).toJson(QJsonDocument::Compact));
    connect(reply, &QNetworkReply::finished, this, [this, reply] {
        reply->deleteLater();
        const QJsonObject o = QJsonDocument::fromJson(reply->readAll()).object();
        if (o.value("ok").toBool()) {
            emit controlResult(true,
                               QString("applies at the next phrase (%1 s into the stream)")
                                   .arg(o.value("applies_at_ms").toDouble() / 1000.0, 0, 'f', 1));
        } else {
            const QJsonObject e = o.value("error").toObject();
            emit controlResult(false,
                               e.isEmpty() ? reply->errorString() : e.value("message").toString());
        }
    });
}

} // namespace auralis::monitor
