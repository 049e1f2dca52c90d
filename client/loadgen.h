// The load generator: N listeners against one node for a duration, some optionally impaired
// (delay, jitter, stalls) and some that never read, spread over T threads (each its own event
// loop), summarised as JSON with what the generator itself cost. Create, start, stop and read
// it in one thread; with threads > 1 the other shards' listeners live in threads of their own.
#pragma once

#include "client/listener.h"

#include <QJsonObject>
#include <QObject>
#include <QThread>
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
    int threads = 1; // listeners spread round-robin over this many event-loop threads
};

/// What the generator itself cost during the run (from start() to the end of its time), so
/// that a number about the node is never one about the measuring tool.
struct GeneratorLoad {
    int threads = 1;
    double cpuPercent = 0;                // the whole process, % of one core
    std::vector<double> threadCpuPercent; // each listener thread, % of one core
    double lagP95Ms = 0;                  // how late a 20 ms timer fired in a listener thread
    double lagMaxMs = 0;
    /// A listener thread used ≥ kSaturatedCpuPercent of a core, or its timers ran
    /// ≥ kSaturatedLagMs late at p95: the listeners' timings then measure the generator.
    bool saturated = false;
    static constexpr double kSaturatedCpuPercent = 85;
    static constexpr double kSaturatedLagMs = 5;
};

/// The auralis-client command line that runs `options` in a process of its own (the
/// dashboard's offline demo does): the options auralis-client --clients reads back.
QStringList loadArguments(const LoadOptions& options);

class LoadGenerator : public QObject {
    Q_OBJECT
public:
    LoadGenerator(LoadOptions options, const Clock& clock, QObject* parent = nullptr);
    ~LoadGenerator() override;

    void start();
    /// Ends the run now (as its duration would; SIGTERM): every listener closes, finished()
    /// then closed() follow.
    void stop();
    /// Per-listener and overall results and the generator's own load ("generator").
    /// Listeners that never read are listed but left out of the totals and of the gap check.
    /// With threads > 1, read it after closed().
    QJsonObject summary() const;
    /// 0 when every reading listener received its chunks with no gap in seq, else 1.
    int exitCode() const;
    /// Valid after finished().
    GeneratorLoad generatorLoad() const;

signals:
    /// The run's time is up; every listener is closing.
    void finished();
    /// After finished(): every listener's connection has ended.
    void closed();

private:
    class Shard;
    const ListenerClient& listener(std::size_t i) const;
    void onShardClosed();

    LoadOptions m_options;
    const Clock& m_clock;
    std::vector<Shard*> m_shards; // [0] is a child (moves with the generator), others threaded
    std::vector<std::unique_ptr<QThread>> m_threads; // one per shard after the first
    std::vector<bool> m_neverRead;
    std::vector<bool> m_impaired;
    QTimer m_endTimer;
    std::size_t m_closedShards = 0;
    bool m_stopping = false;
    qint64 m_startUs = 0;
    qint64 m_stopUs = 0;
    double m_startCpuS = 0;
    double m_stopCpuS = 0;
};

/// Nearest-rank percentile of `v` (copied and sorted), q in [0, 1]; 0 when empty.
double percentile(std::vector<float> v, double q);

} // namespace auralis::client
