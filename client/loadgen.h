// The load generator: N listeners against one node for a duration, some optionally impaired
// (delay, jitter, stalls) and some that never read, summarised as JSON. Lives in one thread.
#pragma once

#include "client/listener.h"

#include <QJsonObject>
#include <QObject>
#include <QTimer>

#include <memory>
#include <vector>

namespace auralis::client {

struct LoadOptions {
    QUrl url;
    int clients = 10;
    double durationSeconds = 10;
    protocol::Format format = protocol::Format::Binary;
    protocol::Tier tier = protocol::Tier::Normal;
    Impairment impairment;       // applied to the impaired fraction
    double impairedFraction = 0; // 0..1 of the clients get `impairment`
    double noReadFraction = 0;   // 0..1 of the clients never read
    int rampMs = -1; // spread the connects over this long (-1: 2 ms per client, at most 5 s)
    QString idPrefix = "load";
    QList<QSslCertificate> caCertificates; // wss: also trusted
    bool insecure = false;                 // wss: accept any certificate
};

/// The auralis-client command line that runs `options` in a process of its own (the
/// dashboard's offline demo does): the options auralis-client --clients reads back.
QStringList loadArguments(const LoadOptions& options);

class LoadGenerator : public QObject {
    Q_OBJECT
public:
    LoadGenerator(LoadOptions options, const Clock& clock, QObject* parent = nullptr);

    void start();
    /// Ends the run now (as its duration would; SIGTERM): every listener closes, finished()
    /// then closed() follow.
    void stop();
    /// Per-listener and overall results. Listeners that never read are listed but left out
    /// of the totals and of the gap check.
    QJsonObject summary() const;
    /// 0 when every reading listener received its chunks with no gap in seq, else 1.
    int exitCode() const;
    int connected() const;

signals:
    /// The run's time is up; every listener is closing.
    void finished();
    /// After finished(): every listener's connection has ended.
    void closed();

private:
    LoadOptions m_options;
    const Clock& m_clock;
    std::vector<ListenerClient*> m_listeners; // children: they move with the generator
    std::vector<bool> m_neverRead;
    std::vector<bool> m_impaired;
    QTimer m_rampTimer;
    QTimer m_endTimer;
    std::size_t m_started = 0;
    std::size_t m_stopped = 0;
    bool m_stopping = false;
    qint64 m_startUs = 0;
};

/// Nearest-rank percentile of `v` (copied and sorted), q in [0, 1]; 0 when empty.
double percentile(std::vector<float> v, double q);

} // namespace auralis::client
