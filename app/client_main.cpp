// auralis-client: a command-line listener (jitter buffer, WAV output, live stats, reports,
// reconnect) or, with --clients N, the load generator. Argument parsing and wiring only.
#include "app/common.h"
#include "client/listener.h"
#include "client/loadgen.h"
#include "protocol/epoll_dispatcher.h"
#include "protocol/protocol.h"
#include "synth/pcm.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QJsonDocument>
#include <QSslCertificate>
#include <QTimer>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <unistd.h>

using namespace auralis;

int main(int argc, char** argv) {
    useEventDispatcherForApplication();
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName("auralis-client");
    QCoreApplication::setApplicationVersion(AURALIS_VERSION);
    QCommandLineParser args;
    args.setApplicationDescription(
        "Listens to an Auralis node, or load-tests it with many listeners.\n\n"
        "Examples:\n"
        "  auralis-client --url ws://127.0.0.1:8000/ws/stream -o out.wav --duration 30\n"
        "  auralis-client --url ws://127.0.0.1:8000/ws/stream --clients 500 --duration 60");
    args.addHelpOption();
    args.addVersionOption();
    args.addOptions({
        {"ca-file", "wss: also trust the CA certificate(s) in this PEM file (a self-signed node).",
         "file"},
        {"insecure", "wss: accept any certificate (testing only: anyone could pose as the node)."},
        {"token", "The node's operator token (for a listener that may change the music).", "token"},
        {"url", "Node stream URL, ws:// or wss:// (default ws://127.0.0.1:8000/ws/stream).", "url",
         "ws://127.0.0.1:8000/ws/stream"},
        {"format",
         "json, binary or opus (Opus decoded with libopus; the WAV is then 48 kHz; default: "
         "json when listening, binary for load).",
         "format"},
        {"tier", "minimal, normal, stable or defensive (default normal).", "tier", "normal"},
        {"client-id", "Listener id (1-64 of A-Z a-z 0-9 _ -).", "id"},
        {{"o", "output"}, "Write the received audio to this WAV file.", "file"},
        {"duration", "Stop after this many seconds (default: until Ctrl-C; load: 10).", "s"},
        {"quiet", "Listen: no live statistics line."},
        {"clients", "Load generator: open N listeners and print a JSON summary.", "n"},
        {"delay-ms", "Impairment: added delay per message.", "ms", "0"},
        {"jitter-ms", "Impairment: added random delay 0..ms per message.", "ms", "0"},
        {"stall-every-ms", "Impairment: stop reading every ... ms.", "ms", "0"},
        {"stall-ms", "Impairment: ... for this long.", "ms", "0"},
        {"impaired", "Load: fraction of listeners impaired (default 1 when an impairment is set).",
         "f"},
        {"no-read", "Load: fraction of listeners that never read (default 0).", "f", "0"},
        {"ramp-ms", "Load: spread the connects over this long (default 2 ms per listener).", "ms"},
        {"threads",
         "Load: spread the listeners over N threads, each with its own event loop (default 1).",
         "n", "1"},
        {"id-prefix", "Load: client ids are PREFIX-0, PREFIX-1, ... (default load).", "prefix",
         "load"},
        {"log-level", "error, warn, info or debug (default warn).", "level", "warn"},
    });
    app::processArguments(args, QCoreApplication::arguments());
    app::OptionReader opts(args);
    app::readLogLevel(opts);
    const QUrl url(args.value("url"));
    if (!url.isValid() || (url.scheme() != "ws" && url.scheme() != "wss") || url.host().isEmpty()) {
        opts.fail("url", "a stream URL such as ws://HOST:PORT/ws/stream or wss://…");
    }
    QList<QSslCertificate> caCertificates;
    if (args.isSet("ca-file")) {
        caCertificates = QSslCertificate::fromPath(args.value("ca-file"), QSsl::Pem);
        if (caCertificates.isEmpty()) {
            opts.fail("ca-file", "a PEM file with at least one certificate");
        }
    }
    const bool load = args.isSet("clients");
    const protocol::Format format =
        args.isSet("format") ? opts.choice("format", protocol::parseFormat, "json, binary or opus",
                                           protocol::Format::Json)
                             : (load ? protocol::Format::Binary : protocol::Format::Json);
    const protocol::Tier tier =
        opts.choice("tier", protocol::parseTier, "minimal, normal, stable or defensive",
                    protocol::Tier::Normal);
    client::Impairment impairment;
    impairment.delayMs = opts.integer("delay-ms", 0, 60000);
    impairment.jitterMs = opts.integer("jitter-ms", 0, 60000);
    impairment.stallEveryMs = opts.integer("stall-every-ms", 0, 3600000);
    impairment.stallMs = opts.integer("stall-ms", 0, 3600000);
    double duration = 0;
    if (args.isSet("duration")) {
        duration = opts.number("duration", 0.1, 7 * 24 * 3600);
    } else if (load) {
        duration = 10;
    }
    if ((impairment.stallMs > 0) != (impairment.stallEveryMs > 0)) {
        opts.failWith("--stall-ms and --stall-every-ms go together");
    }
    if (!opts.ok()) {
        return opts.usageError();
    }
    SteadyClock clock;

    if (load) {
        client::LoadOptions o;
        o.url = url;
        o.clients = opts.integer("clients", 1, 100000);
        o.durationSeconds = duration;
        o.format = format;
        o.tier = tier;
        o.impairment = impairment;
        o.impairedFraction = impairment.any() ? 1.0 : 0.0;
        if (args.isSet("impaired")) {
            o.impairedFraction = opts.number("impaired", 0, 1);
        }
        o.noReadFraction = opts.number("no-read", 0, 1);
        o.idPrefix = args.value("id-prefix");
        o.threads = opts.integer("threads", 1, 256);
        o.caCertificates = caCertificates;
        o.insecure = args.isSet("insecure");
        // The ids are PREFIX-N: the prefix leaves room for the number within 64 characters.
        if (!protocol::isValidClientId(o.idPrefix) || o.idPrefix.size() > 50) {
            opts.fail("id-prefix", "1-50 characters of A-Z a-z 0-9 _ -");
        }
        if (args.isSet("ramp-ms")) {
            o.rampMs = opts.integer("ramp-ms", 0, 600000);
        }
        if (!opts.ok()) {
            return opts.usageError();
        }
        // Every listener is a socket: make room for them (up to the hard limit).
        if (!app::raiseOpenFileLimit(o.clients + 64)) {
            std::fprintf(stderr,
                         "auralis-client: warning: the open-file limit is below %d; some "
                         "listeners will fail to connect (raise ulimit -n)\n",
                         o.clients + 64);
        }
        client::LoadGenerator generator(o, clock);
        // Print and leave once every closing handshake is over (a node that does not answer
        // is cut off by the client after WsClient::kCloseTimeoutMs).
        const auto report = [&] {
            std::printf(
                "%s\n",
                QJsonDocument(generator.summary()).toJson(QJsonDocument::Indented).constData());
            const client::GeneratorLoad g = generator.generatorLoad();
            if (g.saturated) {
                double busiest = 0;
                for (const double c : g.threadCpuPercent) {
                    busiest = std::max(busiest, c);
                }
                std::fprintf(stderr,
                             "auralis-client: warning: the load generator was saturated (busiest "
                             "thread %.0f %% of a core, timer lag p95 %.1f ms): jitter and "
                             "arrival times measure the generator, not the node; use more "
                             "--threads or fewer --clients\n",
                             busiest, g.lagP95Ms);
            }
            app.exit(generator.exitCode());
        };
        QObject::connect(&generator, &client::LoadGenerator::closed, &app, report);
        app::onTerminationSignal(&app, [&generator](int) { generator.stop(); });
        std::fprintf(stderr, "auralis-client: %d listeners in %d thread(s) for %.1f s against %s\n",
                     o.clients, o.threads, duration, qPrintable(url.toString()));
        generator.start();
        return QCoreApplication::exec();
    }

    client::ListenerClient::Options o;
    o.url = url;
    o.format = format;
    o.tier = tier;
    o.caCertificates = caCertificates;
    o.insecure = args.isSet("insecure");
    o.token = args.value("token");
    o.clientId = args.value("client-id");
    o.impairment = impairment;
    client::ListenerClient listener(o, clock);
    synth::WavWriter wav;
    // Opus is decoded at its own rate, 48 kHz: the WAV says so (no resampling back).
    const int wavRate =
        format == protocol::Format::Opus ? protocol::kOpusSampleRate : protocol::kSampleRate;
    if (args.isSet("output") && !wav.open(args.value("output").toStdString(), wavRate)) {
        return app::usageError(QString::fromStdString(wav.error()));
    }
    QObject::connect(
        &listener, &client::ListenerClient::audio, &app, [&](qint64, const QByteArray& pcm, bool) {
            if (args.isSet("output")) {
                wav.write(reinterpret_cast<const std::int16_t*>(pcm.constData()), pcm.size() / 4);
            }
        });
    QObject::connect(&listener, &client::ListenerClient::welcomed, &app, [](const QJsonObject& w) {
        std::fprintf(stderr, "\rconnected as %s (%s, tier %s, %d ms buffer)\n",
                     qPrintable(w.value("client_id").toString()),
                     qPrintable(w.value("format").toString()),
                     qPrintable(w.value("tier").toString()), w.value("target_ms").toInt());
    });
    QObject::connect(&listener, &client::ListenerClient::message, &app, [](const QJsonObject& m) {
        const QString type = m.value("type").toString();
        if (type == "warning" || type == "error" || type == "tier" || type == "shutdown") {
            std::fprintf(stderr, "\r%s: %s\n", qPrintable(type),
                         QJsonDocument(m).toJson(QJsonDocument::Compact).constData());
        }
    });
    QObject::connect(&listener, &client::ListenerClient::disconnected, &app,
                     [](int code, const QString& reason) {
                         std::fprintf(stderr, "\rdisconnected (%d %s)\n", code, qPrintable(reason));
                     });
    QObject::connect(&listener, &client::ListenerClient::reconnecting, &app,
                     [](int ms) { std::fprintf(stderr, "reconnecting in %.1f s\n", ms / 1000.0); });
    const bool live = !args.isSet("quiet") && isatty(fileno(stderr));
    QTimer statsTimer;
    QObject::connect(&statsTimer, &QTimer::timeout, &app, [&] {
        const client::ListenerStats& s = listener.stats();
        std::fprintf(stderr,
                     "\rseq %lld  chunks %llu  buffer %5.0f ms  gaps %llu  underruns %llu/%llu  "
                     "jitter p95 %.1f ms   ",
                     static_cast<long long>(s.lastSeq), static_cast<unsigned long long>(s.chunks),
                     s.bufferMs, static_cast<unsigned long long>(s.gaps),
                     static_cast<unsigned long long>(s.serverUnderruns),
                     static_cast<unsigned long long>(s.playoutUnderruns),
                     client::percentile(s.jitterMs, 0.95));
        std::fflush(stderr);
    });
    if (live) {
        statsTimer.start(1000);
    }
    auto finish = [&] { listener.stop(); };
    // Leave once the closing handshake is over.
    QObject::connect(&listener, &client::ListenerClient::stopped, &app, [&] {
        if (args.isSet("output") && !wav.close()) {
            std::fprintf(stderr, "auralis-client: %s\n", wav.error().c_str());
            app.exit(1);
            return;
        }
        const client::ListenerStats& s = listener.stats();
        std::fprintf(stderr,
                     "\nreceived %llu chunks (%.1f s), %llu gaps, %llu node underruns, %llu "
                     "playout underruns\n",
                     static_cast<unsigned long long>(s.chunks),
                     static_cast<double>(s.chunks) / 10.0, static_cast<unsigned long long>(s.gaps),
                     static_cast<unsigned long long>(s.serverUnderruns),
                     static_cast<unsigned long long>(s.playoutUnderruns));
        app.exit(0);
    });
    app::onTerminationSignal(&app, [&](int) { finish(); });
    if (duration > 0) {
        QTimer::singleShot(static_cast<int>(duration * 1000), &app, finish);
    }
    listener.start();
    return QCoreApplication::exec();
}
