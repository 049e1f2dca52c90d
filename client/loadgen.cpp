#include "client/loadgen.h"

#include <QJsonArray>

#include <algorithm>
#include <cmath>

namespace auralis::client {

double percentile(std::vector<float> v, double q) {
    if (v.empty()) {
        return 0;
    }
    std::sort(v.begin(), v.end());
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
    return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

LoadGenerator::LoadGenerator(LoadOptions options, const Clock& clock, QObject* parent)
    : QObject(parent), m_options(std::move(options)), m_clock(clock) {
    const int n = std::max(0, m_options.clients);
    const int noRead =
        static_cast<int>(std::lround(n * std::clamp(m_options.noReadFraction, 0.0, 1.0)));
    const int impaired =
        static_cast<int>(std::lround(n * std::clamp(m_options.impairedFraction, 0.0, 1.0)));
    for (int i = 0; i < n; ++i) {
        ListenerClient::Options o;
        o.url = m_options.url;
        o.caCertificates = m_options.caCertificates;
        o.insecure = m_options.insecure;
        o.format = m_options.format;
        o.tier = m_options.tier;
        o.clientId = QString("%1-%2").arg(m_options.idPrefix).arg(i);
        o.reconnect = false;
        o.decodeOpus = false; // it measures delivery; decoding is the listener's own cost
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
        auto* listener = new ListenerClient(o, m_clock, this);
        connect(listener, &ListenerClient::stopped, this, [this] {
            if (++m_stopped == m_listeners.size()) {
                emit closed();
            }
        });
        m_listeners.push_back(listener);
    }
    const int ramp = m_options.rampMs >= 0 ? m_options.rampMs : std::min(5000, 2 * n);
    m_rampTimer.setParent(this);
    m_endTimer.setParent(this);
    m_rampTimer.setInterval(n > 0 ? ramp / n : 0);
    connect(&m_rampTimer, &QTimer::timeout, this, [this] {
        if (m_started < m_listeners.size()) {
            m_listeners[m_started++]->start();
        }
        if (m_started == m_listeners.size()) {
            m_rampTimer.stop();
        }
    });
    m_endTimer.setSingleShot(true);
    connect(&m_endTimer, &QTimer::timeout, this, &LoadGenerator::stop);
}

void LoadGenerator::stop() {
    if (m_stopping) {
        return;
    }
    m_stopping = true;
    m_rampTimer.stop();
    m_endTimer.stop();
    for (ListenerClient* l : m_listeners) {
        l->stop();
    }
    emit finished();
    if (m_listeners.empty()) {
        emit closed();
    }
}

QStringList loadArguments(const LoadOptions& o) {
    QStringList a = {"--url",      o.url.toString(),
                     "--clients",  QString::number(o.clients),
                     "--duration", QString::number(o.durationSeconds),
                     "--format",   protocol::formatName(o.format),
                     "--tier",     protocol::tierName(o.tier),
                     "--id-prefix", o.idPrefix,
                     "--no-read",  QString::number(o.noReadFraction)};
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
    m_rampTimer.start();
    const int ramp = m_rampTimer.interval() * static_cast<int>(m_listeners.size());
    m_endTimer.start(ramp + static_cast<int>(m_options.durationSeconds * 1000));
}

int LoadGenerator::connected() const {
    return static_cast<int>(
        std::count_if(m_listeners.begin(), m_listeners.end(),
                      [](const ListenerClient* l) { return l->isConnected(); }));
}

QJsonObject LoadGenerator::summary() const {
    QJsonArray listeners;
    std::vector<float> allJitter;
    std::vector<float> firstAudio;
    double chunks = 0, gaps = 0, outOfOrder = 0, serverUnderruns = 0, playoutUnderruns = 0;
    int disconnected = 0;
    int reading = 0;
    for (std::size_t i = 0; i < m_listeners.size(); ++i) {
        const ListenerStats& s = m_listeners[i]->stats();
        const QJsonObject jitter{{"p50", percentile(s.jitterMs, 0.50)},
                                 {"p95", percentile(s.jitterMs, 0.95)},
                                 {"p99", percentile(s.jitterMs, 0.99)}};
        listeners.append(QJsonObject{
            {"client_id", s.clientId.isEmpty() ? m_listeners[i]->options().clientId : s.clientId},
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
    return QJsonObject{
        {"clients", static_cast<int>(m_listeners.size())},
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
        {"listeners", listeners},
    };
}

int LoadGenerator::exitCode() const {
    for (std::size_t i = 0; i < m_listeners.size(); ++i) {
        const ListenerStats& s = m_listeners[i]->stats();
        if (!m_neverRead[i] && (s.gaps > 0 || s.outOfOrder > 0 || s.chunks == 0)) {
            return 1;
        }
    }
    return 0;
}

} // namespace auralis::client
