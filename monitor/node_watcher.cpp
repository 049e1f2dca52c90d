#include "monitor/node_watcher.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSslConfiguration>
#include <QUrlQuery>

#include <memory>

namespace auralis::monitor {

namespace {

// Reads a download as it arrives, at most kReadAheadBytes ahead of this thread, and cuts it off
// once it passes `cap` bytes; the returned buffer holds the body read so far. Without the
// read-ahead bound Qt's network thread buffers all it can get: on a busy machine a node
// sending 256 MiB fast had the dashboard take 100+ MB before the cut-off was seen.
constexpr qint64 kReadAheadBytes = 256 * 1024;
std::shared_ptr<QByteArray> capDownload(QNetworkReply* reply, qint64 cap) {
    auto body = std::make_shared<QByteArray>();
    reply->setReadBufferSize(kReadAheadBytes);
    const auto cut = [reply] {
        reply->setProperty("auralisTooLarge", true);
        reply->abort();
    };
    // An announced length over the cap is refused before its body; what arrives is counted
    // below as it is read (the network thread's count runs up to the read-ahead in front).
    QObject::connect(reply, &QNetworkReply::downloadProgress, reply,
                     [cut, cap](qint64, qint64 total) {
                         if (total > cap) {
                             cut();
                         }
                     });
    QObject::connect(reply, &QNetworkReply::readyRead, reply, [reply, body, cut, cap] {
        body->append(reply->readAll());
        if (body->size() > cap) {
            body->clear();
            cut();
        }
    });
    return body;
}

bool tooLarge(const QNetworkReply* reply) {
    return reply->property("auralisTooLarge").toBool();
}

} // namespace

NodeWatcher::NodeWatcher(QUrl base, int intervalMs, QObject* parent)
    : QObject(parent), m_base(std::move(base)) {
    qRegisterMetaType<ControlChoices>();
    const QUrlQuery query(m_base);
    m_token = query.queryItemValue("token").toUtf8();
    m_base.setQuery(QString());
    m_base.setPath(QString());
    m_timer.setParent(this); // moves with the watcher to its worker thread
    m_timer.setInterval(intervalMs);
    connect(&m_timer, &QTimer::timeout, this, &NodeWatcher::scrape);
}

NodeWatcher::~NodeWatcher() = default;

void NodeWatcher::setTrust(const QList<QSslCertificate>& caCertificates, bool insecure) {
    m_ca = caCertificates;
    m_insecure = insecure;
}

void NodeWatcher::start() {
    if (!m_net) {
        m_net = new QNetworkAccessManager(this); // created in the worker thread
        m_net->setTransferTimeout(std::max(500, m_timer.interval() * 3));
        connect(m_net, &QNetworkAccessManager::sslErrors, this,
                [this](QNetworkReply* reply, const QList<QSslError>&) {
                    if (m_insecure) {
                        reply->ignoreSslErrors();
                    }
                });
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
    QNetworkReply* reply = m_net->get(request("/metrics", false));
    const auto metrics = capDownload(reply, kMaxMetricsBytes);
    connect(reply, &QNetworkReply::finished, this, [this, reply, metrics] {
        reply->deleteLater();
        m_inFlight = false;
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        if (tooLarge(reply)) {
            emit reachability(false, QString("the node's /metrics is larger than %1 MiB: not read")
                                         .arg(kMaxMetricsBytes >> 20));
            publish(now);
            return;
        }
        if (reply->error() != QNetworkReply::NoError) {
            m_haveChoices = false;
            emit reachability(false, reply->errorString());
            publish(now);
            return;
        }
        metrics->append(reply->readAll());
        onMetrics(*metrics, now);
    });
    {
        // Every scrape: the controls follow a change made by anyone within one interval.
        QNetworkReply* s = m_net->get(request("/api/status", true));
        const auto body = capDownload(s, kMaxStatusBytes);
        connect(s, &QNetworkReply::finished, this, [this, s, body] {
            s->deleteLater();
            if (tooLarge(s)) {
                emit reachability(false,
                                  QString("the node's /api/status is larger than %1 MiB: not read")
                                      .arg(kMaxStatusBytes >> 20));
                return;
            }
            body->append(s->readAll());
            const QJsonObject o = QJsonDocument::fromJson(*body).object();
            if (s->error() == QNetworkReply::NoError && !o.isEmpty()) {
                emit statusUpdated(o);
                fetchChoices();
            }
        });
    }
}

void NodeWatcher::fetchChoices() {
    if (m_haveChoices || m_choicesInFlight) {
        return;
    }
    m_choicesInFlight = true;
    QNetworkReply* p = m_net->get(request("/api/presets", false));
    const auto body = capDownload(p, kMaxStatusBytes);
    connect(p, &QNetworkReply::finished, this, [this, p, body] {
        p->deleteLater();
        m_choicesInFlight = false;
        if (p->error() != QNetworkReply::NoError || tooLarge(p)) {
            return; // asked again after the next status
        }
        // Asked once either way: a node whose presets are not understood keeps the controls'
        // built-in choices (its scrapes report whether it is reachable, not this).
        m_haveChoices = true;
        body->append(p->readAll());
        if (const auto choices = parseChoices(QJsonDocument::fromJson(*body).object())) {
            emit choicesUpdated(*choices);
        }
    });
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

QNetworkRequest NodeWatcher::request(const QString& path, bool withToken) const {
    QUrl url = m_base;
    url.setPath(path);
    QNetworkRequest r(url);
    if (url.scheme() == "https" && !m_ca.isEmpty()) {
        QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
        tls.addCaCertificates(m_ca);
        r.setSslConfiguration(tls);
    }
    if (withToken && !m_token.isEmpty()) {
        r.setRawHeader("Authorization", "Bearer " + m_token);
    }
    return r;
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
    QNetworkRequest post = request("/api/control", true);
    post.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
    QNetworkReply* reply = m_net->post(post, QJsonDocument(control).toJson(QJsonDocument::Compact));
    const auto body = capDownload(reply, kMaxStatusBytes);
    connect(reply, &QNetworkReply::finished, this, [this, reply, body] {
        reply->deleteLater();
        body->append(reply->readAll());
        const QJsonObject o = QJsonDocument::fromJson(*body).object();
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
