#include "client/loadgen.h"

#include "protocol/epoll_dispatcher.h"

#include <QJsonArray>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <functional>
#include <sys/resource.h>

namespace auralis::client {

double percentile(std::vector<float> v, double q) {
    if (v.empty()) {
        return 0;
    }
    std::sort(v.begin(), v.end());
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
    return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

namespace {

double processCpuSeconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

constexpr int kLagProbeMs = 20;

} // namespace

// One thread's listeners: their connect ramp, and what the thread itself costs (its CPU time
// and how late a 20 ms timer fires). start() and stop() run in the shard's thread.
class LoadGenerator::Shard : public QObject {
public:
    Shard(const Clock& clock, std::function<void()> closed)
        : m_clock(clock), m_closed(std::move(closed)) {
        m_ramp.setParent(this);
        m_lag.setParent(this);
        connect(&m_ramp, &QTimer::timeout, this, [this] {
            if (m_started < listeners.size()) {
                listeners[m_started++]->start();
            }
            if (m_started == listeners.size()) {
                m_ramp.stop();
            }
        });
        m_lag.setTimerType(Qt::PreciseTimer);
        m_lag.setInterval(kLagProbeMs);
        connect(&m_lag, &QTimer::timeout, this, [this] {
            const qint64 now = m_clock.nowUs();
            lagMs.push_back(static_cast<float>(
                static_cast<double>(std::max<qint64>(0, now - m_lastProbeUs - kLagProbeMs * 1000)) /
                1000.0));
            m_lastProbeUs = now;
        });
    }

    void add(ListenerClient* l) {
        l->setParent(this);
        connect(l, &ListenerClient::stopped, this, [this] {
            if (++m_stopped == listeners.size()) {
                m_closed();
            }
        });
        listeners.push_back(l);
    }

    void start(int rampIntervalMs) {
        m_running = true;
        m_cpu0 = threadCpuSeconds();
        m_wall0 = m_lastProbeUs = m_clock.nowUs();
        m_ramp.setInterval(rampIntervalMs);
        m_ramp.start();
        m_lag.start();
    }

    void stop() {
        if (m_stopping) {
            return;
        }
        m_stopping = true;
        if (m_running) {
            const double wallS = static_cast<double>(m_clock.nowUs() - m_wall0) * 1e-6;
            cpuPercent = wallS > 0 ? 100.0 * (threadCpuSeconds() - m_cpu0) / wallS : 0;
        }
        m_ramp.stop();
        m_lag.stop();
        for (ListenerClient* l : listeners) {
            l->stop();
        }
        if (listeners.empty()) {
            m_closed();
        }
    }

    std::vector<ListenerClient*> listeners; // children
    std::vector<float> lagMs;               // written in the shard's thread until stop()
    double cpuPercent = 0;                  // set by stop()

private:
    const Clock& m_clock;
    std::function<void()> m_closed;
    QTimer m_ramp;
    QTimer m_lag;
    std::size_t m_started = 0;
    std::size_t m_stopped = 0;
    bool m_running = false;
    bool m_stopping = false;
    double m_cpu0 = 0;
    qint64 m_wall0 = 0;
    qint64 m_lastProbeUs = 0;
};

LoadGenerator::LoadGenerator(LoadOptions options, const Clock& clock, QObject* parent)
    : QObject(parent), m_options(std::move(options)), m_clock(clock) {
    const int n = std::max(0, m_options.clients);
    const int threads = std::clamp(m_options.threads, 1, std::max(1, n));
    m_options.threads = threads;
    const int noRead =
        static_cast<int>(std::lround(n * std::clamp(m_options.noReadFraction, 0.0, 1.0)));
    const int impaired =
        static_cast<int>(std::lround(n * std::clamp(m_options.impairedFraction, 0.0, 1.0)));
    for (int t = 0; t < threads; ++t) {
        auto* shard = new Shard(
            m_clock, [this] { QMetaObject::invokeMethod(this, [this] { onShardClosed(); }); });
        if (t == 0) {
            shard->setParent(this);
        }
        m_shards.push_back(shard);
    }
    for (int i = 0; i < n; ++i) {
        ListenerClient::Options o;
        o.url = m_options.url;
        o.caCertificates = m_options.caCertificates;
        o.insecure = m_options.insecure;
        o.format = m_options.format;
        o.tier = m_options.tier;
        o.clientId = QString("%1-%2").arg(m_options.idPrefix).arg(i);
        o.reconnect = false;
        o.decodeAudio = false; // it measures delivery; decoding is the listener's own cost
        // The last `noRead` listeners never read; the `impaired` before them are impaired.
        const bool isNoRead = i >= n - noRead;
        const bool isImpaired = !isNoRead && i >= n - noRead - impaired;
        if (isNoRead) {
            o.impairment.neverRead = true;
        } else if (isImpaired) {
            o.impairment = m_options.impairment;
            o.impairment.neverRead = false;
        }
        m_neverRead.push_back(isNoRead);
        m_impaired.push_back(isImpaired);
        m_shards[static_cast<std::size_t>(i % threads)]->add(new ListenerClient(o, m_clock));
    }
    // Every shard after the first moves, with its listeners (children), to a thread of its own.
    for (std::size_t t = 1; t < m_shards.size(); ++t) {
        auto& thread = m_threads.emplace_back(std::make_unique<QThread>());
        thread->setObjectName(QString("load-%1").arg(t));
        useEventDispatcher(*thread);
        m_shards[t]->moveToThread(thread.get());
        connect(thread.get(), &QThread::finished, m_shards[t], &QObject::deleteLater);
        thread->start();
    }
    m_endTimer.setParent(this);
    m_endTimer.setSingleShot(true);
    connect(&m_endTimer, &QTimer::timeout, this, &LoadGenerator::stop);
}

LoadGenerator::~LoadGenerator() {
    // Each threaded shard is deleted in its own thread as that thread finishes.
    for (auto& thread : m_threads) {
        thread->quit();
    }
    for (auto& thread : m_threads) {
        thread->wait();
    }
}

void LoadGenerator::onShardClosed() {
    if (++m_closedShards == m_shards.size()) {
        emit closed();
    }
}

const ListenerClient& LoadGenerator::listener(std::size_t i) const {
    const std::size_t t = m_shards.size();
    return *m_shards[i % t]->listeners[i / t];
}

void LoadGenerator::stop() {
    if (m_stopping) {
        return;
    }
    m_stopping = true;
    m_endTimer.stop();
    m_stopUs = m_clock.nowUs();
    m_stopCpuS = processCpuSeconds();
    emit finished();
    for (Shard* shard : m_shards) {
        QMetaObject::invokeMethod(shard, [shard] { shard->stop(); });
    }
}

QStringList loadArguments(const LoadOptions& o) {
    QStringList a = {"--url",       o.url.toString(),
                     "--clients",   QString::number(o.clients),
                     "--duration",  QString::number(o.durationSeconds),
                     "--format",    protocol::formatName(o.format),
                     "--tier",      protocol::tierName(o.tier),
                     "--id-prefix", o.idPrefix,
                     "--no-read",   QString::number(o.noReadFraction)};
    const Impairment& im = o.impairment;
    if (im.delayMs > 0 || im.jitterMs > 0 || im.stallMs > 0) {
        a << "--delay-ms" << QString::number(im.delayMs) << "--jitter-ms"
          << QString::number(im.jitterMs) << "--impaired" << QString::number(o.impairedFraction);
        if (im.stallMs > 0) {
            a << "--stall-every-ms" << QString::number(im.stallEveryMs) << "--stall-ms"
              << QString::number(im.stallMs);
        }
    }
    if (o.rampMs >= 0) {
        a << "--ramp-ms" << QString::number(o.rampMs);
    }
    return a;
}

void LoadGenerator::start() {
    m_startUs = m_clock.nowUs();
    m_startCpuS = processCpuSeconds();
    const int n = static_cast<int>(m_neverRead.size());
    const int ramp = m_options.rampMs >= 0 ? m_options.rampMs : std::min(5000, 2 * n);
    int rampTotal = 0;
    for (Shard* shard : m_shards) {
        const int size = static_cast<int>(shard->listeners.size());
        const int interval = size > 0 ? ramp / size : 0;
        rampTotal = std::max(rampTotal, interval * size);
        QMetaObject::invokeMethod(shard, [shard, interval] { shard->start(interval); });
    }
    m_endTimer.start(rampTotal + static_cast<int>(m_options.durationSeconds * 1000));
}

GeneratorLoad LoadGenerator::generatorLoad() const {
    GeneratorLoad g;
    g.threads = static_cast<int>(m_shards.size());
    const double wallS = static_cast<double>(m_stopUs - m_startUs) * 1e-6;
    g.cpuPercent = wallS > 0 ? 100.0 * (m_stopCpuS - m_startCpuS) / wallS : 0;
    std::vector<float> lag;
    for (const Shard* shard : m_shards) {
        g.threadCpuPercent.push_back(shard->cpuPercent);
        lag.insert(lag.end(), shard->lagMs.begin(), shard->lagMs.end());
        g.saturated = g.saturated || shard->cpuPercent >= GeneratorLoad::kSaturatedCpuPercent;
    }
    g.lagP95Ms = percentile(lag, 0.95);
    g.lagMaxMs = percentile(lag, 1.0);
    g.saturated = g.saturated || g.lagP95Ms >= GeneratorLoad::kSaturatedLagMs;
    return g;
}

QJsonObject LoadGenerator::summary() const {
    QJsonArray listeners;
    std::vector<float> allJitter;
    std::vector<float> firstAudio;
    double chunks = 0, gaps = 0, outOfOrder = 0, serverUnderruns = 0, playoutUnderruns = 0;
    int disconnected = 0;
    int reading = 0;
    for (std::size_t i = 0; i < m_neverRead.size(); ++i) {
        const ListenerStats& s = listener(i).stats();
        const QJsonObject jitter{{"p50", percentile(s.jitterMs, 0.50)},
                                 {"p95", percentile(s.jitterMs, 0.95)},
                                 {"p99", percentile(s.jitterMs, 0.99)}};
        listeners.append(QJsonObject{
            {"client_id", s.clientId.isEmpty() ? listener(i).options().clientId : s.clientId},
            {"impaired", static_cast<bool>(m_impaired[i])},
            {"never_read", static_cast<bool>(m_neverRead[i])},
            {"chunks", static_cast<double>(s.chunks)},
            {"gaps", static_cast<double>(s.gaps)},
            {"out_of_order", static_cast<double>(s.outOfOrder)},
            {"server_underruns", static_cast<double>(s.serverUnderruns)},
            {"playout_underruns", static_cast<double>(s.playoutUnderruns)},
            {"jitter_ms", jitter},
            {"first_audio_ms", s.firstAudioMs},
            {"close_code", s.lastCloseCode}});
        if (m_neverRead[i]) {
            continue;
        }
        ++reading;
        chunks += static_cast<double>(s.chunks);
        gaps += static_cast<double>(s.gaps);
        outOfOrder += static_cast<double>(s.outOfOrder);
        serverUnderruns += static_cast<double>(s.serverUnderruns);
        playoutUnderruns += static_cast<double>(s.playoutUnderruns);
        if (!m_impaired[i]) {
            allJitter.insert(allJitter.end(), s.jitterMs.begin(), s.jitterMs.end());
        }
        if (s.firstAudioMs >= 0) {
            firstAudio.push_back(static_cast<float>(s.firstAudioMs));
        }
        disconnected += s.lastCloseCode != 0 && s.lastCloseCode != 1000 ? 1 : 0;
    }
    const GeneratorLoad g = generatorLoad();
    QJsonArray threadCpu;
    for (const double c : g.threadCpuPercent) {
        threadCpu.append(c);
    }
    return QJsonObject{
        {"clients", static_cast<int>(m_neverRead.size())},
        {"reading_clients", reading},
        {"duration_s", m_options.durationSeconds},
        {"format", protocol::formatName(m_options.format)},
        {"tier", protocol::tierName(m_options.tier)},
        {"overall",
         QJsonObject{{"chunks", chunks},
                     {"gaps", gaps},
                     {"out_of_order", outOfOrder},
                     {"server_underruns", serverUnderruns},
                     {"playout_underruns", playoutUnderruns},
                     {"disconnected", disconnected},
                     {"jitter_ms", QJsonObject{{"p50", percentile(allJitter, 0.50)},
                                               {"p95", percentile(allJitter, 0.95)},
                                               {"p99", percentile(allJitter, 0.99)},
                                               {"samples", static_cast<double>(allJitter.size())}}},
                     {"first_audio_ms", QJsonObject{{"p50", percentile(firstAudio, 0.50)},
                                                    {"p95", percentile(firstAudio, 0.95)},
                                                    {"max", percentile(firstAudio, 1.0)}}}}},
        {"generator",
         QJsonObject{{"threads", g.threads},
                     {"cpu_percent", g.cpuPercent},
                     {"thread_cpu_percent", threadCpu},
                     {"loop_lag_ms", QJsonObject{{"p95", g.lagP95Ms}, {"max", g.lagMaxMs}}},
                     {"saturated", g.saturated}}},
        {"listeners", listeners},
    };
}

int LoadGenerator::exitCode() const {
    for (std::size_t i = 0; i < m_neverRead.size(); ++i) {
        const ListenerStats& s = listener(i).stats();
        if (!m_neverRead[i] && (s.gaps > 0 || s.outOfOrder > 0 || s.chunks == 0)) {
            return 1;
        }
    }
    return 0;
}

} // namespace auralis::client
