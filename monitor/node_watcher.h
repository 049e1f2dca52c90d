// Watches one node through its public HTTP interface only: scrapes /metrics (default every
// second) and /api/status, keeps the series, evaluates the alerts, computes the dashboard
// and posts controls. Lives in a worker thread (never the GUI thread); talk to it through
// queued slots and signals.
#pragma once

#include "monitor/dashboard_model.h"
#include "monitor/node_status.h"

#include <QJsonObject>
#include <QObject>
#include <QSslCertificate>
#include <QTimer>
#include <QUrl>

#include <memory>

class QNetworkAccessManager;
class QNetworkReply;
class QNetworkRequest;

namespace auralis::monitor {

class NodeWatcher : public QObject {
    Q_OBJECT
public:
    /// `base`: http(s)://HOST:PORT of the node; `?token=TOKEN` (an operator link) is the
    /// node's operator token, sent with control and status requests.
    explicit NodeWatcher(QUrl base, int intervalMs = 1000, QObject* parent = nullptr);

    /// Downloads larger than these are cut off while they arrive (a node is untrusted input).
    static constexpr qint64 kMaxMetricsBytes = 32 * 1024 * 1024;
    static constexpr qint64 kMaxStatusBytes = 8 * 1024 * 1024;
    ~NodeWatcher() override;

    /// https nodes: also trust these CA certificates, or, with `insecure`, any certificate
    /// (a self-signed node; the dashboard's own node on loopback). Call before start().
    void setTrust(const QList<QSslCertificate>& caCertificates, bool insecure);

    QUrl base() const { return m_base; }
    QList<QSslCertificate> caCertificates() const { return m_ca; }
    bool insecure() const { return m_insecure; }
    bool hasToken() const { return !m_token.isEmpty(); }

public slots:
    void start();
    void stop();
    void setOptions(const auralis::monitor::DashboardOptions& options);
    /// Pausing keeps scraping (no data is lost) but stops publishing snapshots.
    void setPaused(bool paused);
    void postControl(const QJsonObject& control);

signals:
    void snapshot(std::shared_ptr<const auralis::monitor::DashboardSnapshot> snapshot);
    void statusUpdated(const QJsonObject& status);
    /// The node's control choices (/api/presets): fetched once it answers, and again after it
    /// was unreachable (a restarted node may be another version).
    void choicesUpdated(const auralis::monitor::ControlChoices& choices);
    /// false with the reason while the node cannot be reached or answers garbage.
    void reachability(bool reachable, const QString& detail);
    void controlResult(bool ok, const QString& message);

private:
    void scrape();
    void fetchChoices();
    void onMetrics(const QByteArray& body, qint64 atMs);
    void publish(qint64 nowMs);
    QNetworkRequest request(const QString& path, bool withToken) const;

    QUrl m_base;
    QByteArray m_token;
    QList<QSslCertificate> m_ca;
    bool m_insecure = false;
    QTimer m_timer;
    QNetworkAccessManager* m_net = nullptr;
    SeriesStore m_store;
    AlertEvaluator m_alerts;
    DashboardOptions m_options;
    bool m_paused = false;
    bool m_inFlight = false;
    bool m_haveChoices = false;
    bool m_choicesInFlight = false;
};

} // namespace auralis::monitor

Q_DECLARE_METATYPE(std::shared_ptr<const auralis::monitor::DashboardSnapshot>)
Q_DECLARE_METATYPE(auralis::monitor::DashboardOptions)
Q_DECLARE_METATYPE(auralis::monitor::ControlChoices)
