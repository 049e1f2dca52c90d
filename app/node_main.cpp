// auralis-node: the headless node. `serve` (the default) streams to listeners over
// WebSocket with an HTTP API on one port; `render` writes a WAV offline.
// Argument parsing and wiring only.
#include "app/common.h"
#include "app/node_options.h"
#include "core/node.h"
#include "protocol/epoll_dispatcher.h"
#include "synth/device.h"
#include "synth/engine.h"
#include "synth/offline.h"
#include "synth/pcm.h"

#include <QCommandLineParser>
#include <QCoreApplication>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <unistd.h>

using namespace auralis;
using namespace auralis::synth;

namespace {

void printProgress(std::int64_t done, std::int64_t total, double wallSeconds) {
    const double pct = 100.0 * static_cast<double>(done) / static_cast<double>(total);
    const double audio = static_cast<double>(done) / kSampleRate;
    const int bar = static_cast<int>(pct / 5.0);
    std::fprintf(stderr, "\r[%.*s%.*s] %5.1f%%  %6.1f / %.1f s", bar, "####################",
                 20 - bar, "....................", pct, audio,
                 static_cast<double>(total) / kSampleRate);
    if (wallSeconds > 0) {
        std::fprintf(stderr, "  (%.0fx real time)", audio / wallSeconds);
    }
    std::fflush(stderr);
}

int runRender(const QCommandLineParser& args, app::OptionReader& opts, DevicePreference device,
              const MusicParams& params, std::uint64_t seed) {
    const QString output = args.value("output");
    if (output.isEmpty()) {
        opts.failWith("render needs an output file: -o demo.wav (or -o - for standard output)");
    }
    // Refused up front: a WAV file's sizes are 32-bit.
    const double seconds = opts.number(
        "seconds", 0.001, static_cast<double>(synth::WavWriter::kMaxFrames / kSampleRate));
    if (!opts.ok()) {
        return opts.usageError();
    }
    DeviceChoice choice = chooseRenderer(device);
    if (!choice.renderer) {
        return app::usageError(QString::fromStdString(choice.error));
    }
    std::fprintf(stderr, "device: %s (%s)\n", choice.renderer->kind(), choice.reason.c_str());
    std::fprintf(stderr, "seed %llu, key %s %s, %g BPM, intensity %g\n",
                 static_cast<unsigned long long>(seed), std::string(keyName(params.key)).c_str(),
                 std::string(modeName(params.mode)).c_str(), params.bpm, params.intensity);

    SynthEngine engine(seed, params, std::move(choice.renderer), choice.reason);
    const bool tty = isatty(fileno(stderr)) != 0;
    const auto started = std::chrono::steady_clock::now();
    const OfflineResult result = renderToWav(
        engine, output.toStdString(), seconds, [&](std::int64_t done, std::int64_t total) {
            if (tty) {
                printProgress(
                    done, total,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
                        .count());
            }
        });
    if (tty) {
        std::fputc('\n', stderr);
    }
    if (!result.ok) {
        return app::usageError(QString::fromStdString(result.error));
    }
    const double audio = static_cast<double>(result.frames) / kSampleRate;
    std::fprintf(stderr,
                 "wrote %s: %.1f s of 44.1 kHz stereo s16 on %s, rendering took %.3f s "
                 "(%.0fx real time)\n",
                 qPrintable(output == "-" ? QString("standard output") : output), audio,
                 engine.renderer().kind(), result.renderSeconds,
                 result.renderSeconds > 0 ? audio / result.renderSeconds : 0.0);
    return 0;
}

int runServe(QCoreApplication& app, const QCommandLineParser& args, app::OptionReader& opts,
             DevicePreference device, const MusicParams& params, std::uint64_t seed) {
    core::NodeConfig config;
    config.params = params;
    config.seed = seed;
    config.device = device;
    config.bind = opts.address("bind", "AURALIS_BIND");
    config.port = opts.port("port", "AURALIS_PORT");
    config.maxClients = opts.integer("max-clients", 1, 100000);
    app::readNodeSecurityOptions(args, opts, config);
    app::readNodeStreamOptions(args, opts, config);
    if (!opts.ok()) {
        return opts.usageError();
    }
    QString tokenError;
    if (!app::ensureOperatorToken(config, &tokenError)) {
        std::fprintf(stderr, "auralis-node: %s\n", qPrintable(tokenError));
        return 1;
    }

    // Each listener is a socket, and Ogg listeners and HTTP requests come on top.
    const int descriptors = 2 * config.maxClients + 256;
    if (!app::raiseOpenFileLimit(descriptors)) {
        std::fprintf(stderr,
                     "auralis-node: warning: the open-file limit is below %d (--max-clients "
                     "%d); raise ulimit -n or listeners will be refused\n",
                     descriptors, config.maxClients);
    }
    core::Node node(config);
    QString error;
    if (!node.start(&error)) {
        std::fprintf(stderr, "auralis-node: %s\n", qPrintable(error));
        return 1;
    }
    // Machine-readable first line on stdout: tools and tests read the port from it.
    std::printf("auralis-node listening on %s://%s:%u (WebSocket /ws/stream, Ogg /stream.ogg)\n",
                config.tls ? "https" : "http", qPrintable(config.bind.toString()), node.port());
    std::fflush(stdout);
    if (const core::IcecastSource* icecast = node.icecast()) {
        std::fprintf(stderr, "auralis-node: Icecast source for %s\n",
                     qPrintable(icecast->displayUrl()));
    }
    if (!config.controlToken.isEmpty()) {
        std::fprintf(stderr, "auralis-node: operator link (keep it private): %s\n",
                     qPrintable(app::operatorLink(config.bind, node.port(), config.controlToken,
                                                  config.tls.has_value())));
    } else {
        std::fprintf(stderr,
                     "auralis-node: no operator token: anyone who can reach %s may "
                     "change the music\n",
                     qPrintable(config.bind.toString()));
    }
    app::onTerminationSignal(&node, [&node](int signal) {
        std::fprintf(stderr, "auralis-node: %s received, shutting down\n",
                     signal == SIGINT ? "SIGINT" : "SIGTERM");
        node.shutdown(500);
    });
    QObject::connect(&node, &core::Node::stopped, &app, [&app] { app.exit(0); });
    return QCoreApplication::exec();
}

} // namespace

int main(int argc, char** argv) {
    // Every listener's socket lives in this thread: epoll, so that a wake costs what is ready.
    useEventDispatcherForApplication();
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName("auralis-node");
    QCoreApplication::setApplicationVersion(AURALIS_VERSION);

    QCommandLineParser args;
    args.setApplicationDescription(
        "Auralis synthesis node.\n\n"
        "Commands:\n"
        "  serve    (default) stream to listeners: HTTP, WebSocket /ws/stream and Ogg/Opus\n"
        "           /stream.ogg (VLC, mpv, browsers) on one port\n"
        "  render   compose and render to a WAV file\n\n"
        "Examples:\n"
        "  auralis-node --port 8000 --preset focus\n"
        "  auralis-node --icecast http://source:hackme@icecast.lan:8000/auralis.ogg\n"
        "  auralis-node render -o demo.wav --seconds 60 --preset sleep --key D\n\n"
        "Environment: AURALIS_EVENT_LOOP=qt runs Qt's own event loop instead of epoll (it\n"
        "polls every socket at each wake-up: about twice the CPU per listener).");
    args.addHelpOption();
    args.addVersionOption();
    args.addPositionalArgument("command", "serve (default) or render", "[command]");
    args.addOptions({
        {"port", "serve: TCP port, 0 for any free one (default 8000, env AURALIS_PORT).", "port",
         "8000"},
        {"bind", "serve: address to bind (default 0.0.0.0, env AURALIS_BIND).", "address",
         "0.0.0.0"},
        {"max-clients", "serve: most listeners at once (default 256).", "n", "256"},
        {"log-level", "error, warn, info or debug (default info).", "level", "info"},
        {{"o", "output"}, "render: WAV file to write (- for standard output).", "file"},
        {"seconds", "render: length in seconds (default 60).", "s", "60"},
        {"device", "cpu, cuda or auto (default auto: CUDA when a usable GPU exists).", "device",
         "auto"},
    });
    app::addMusicOptions(args);
    app::addNodeSecurityOptions(args);
    app::addNodeStreamOptions(args);
    app::processArguments(args, QCoreApplication::arguments());

    app::OptionReader opts(args);
    app::readLogLevel(opts);
    const DevicePreference device = app::readDevice(opts);
    MusicParams params;
    std::uint64_t seed = 0;
    if (const auto error = app::readMusicOptions(args, params, seed)) {
        opts.failWith(*error);
    }
    const QStringList positional = args.positionalArguments();
    const QString command = positional.isEmpty() ? "serve" : positional.first();
    if (positional.size() > 1) {
        opts.failWith("unexpected arguments: " + positional.mid(1).join(' ') + " (see --help)");
    } else if (command != "render" && command != "serve") {
        opts.failWith("unknown command '" + command + "' (see --help)");
    }
    if (!opts.ok()) {
        return opts.usageError();
    }
    return command == "render" ? runRender(args, opts, device, params, seed)
                               : runServe(app, args, opts, device, params, seed);
}
