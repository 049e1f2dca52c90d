// auralis-node: the headless node. `serve` (the default) streams to listeners over
// WebSocket with an HTTP API on one port; `render` writes a WAV offline.
// Argument parsing and wiring only.
#include "app/common.h"
#include "core/node.h"
#include "synth/device.h"
#include "synth/engine.h"
#include "synth/offline.h"

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

std::optional<DevicePreference> device(const QCommandLineParser& args) {
    return parseDevicePreference(args.value("device").toStdString());
}

int runRender(const QCommandLineParser& args, const MusicParams& params, std::uint64_t seed) {
    const QString output = args.value("output");
    if (output.isEmpty()) {
        return app::usageError("render needs an output file: -o demo.wav");
    }
    bool ok = false;
    const double seconds = args.value("seconds").toDouble(&ok);
    if (!ok || !(seconds > 0) || seconds > 24 * 3600) {
        return app::usageError("--seconds must be a number of seconds from 0 to 86400, got '" +
                               args.value("seconds") + "'");
    }
    DeviceChoice choice = chooseRenderer(*device(args));
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
                 qPrintable(output), audio, engine.renderer().kind(), result.renderSeconds,
                 result.renderSeconds > 0 ? audio / result.renderSeconds : 0.0);
    return 0;
}

int runServe(QCoreApplication& app, const QCommandLineParser& args, const MusicParams& params,
             std::uint64_t seed) {
    core::NodeConfig config;
    config.params = params;
    config.seed = seed;
    config.device = *device(args);
    const QString bind =
        args.isSet("bind") ? args.value("bind") : qEnvironmentVariable("AURALIS_BIND", "0.0.0.0");
    if (!config.bind.setAddress(bind)) {
        return app::usageError("--bind must be an IP address such as 0.0.0.0 or 127.0.0.1, got '" +
                               bind + "'");
    }
    const QString port =
        args.isSet("port") ? args.value("port") : qEnvironmentVariable("AURALIS_PORT", "8000");
    bool ok = false;
    const uint portNumber = port.toUInt(&ok);
    if (!ok || portNumber > 65535) {
        return app::usageError("--port must be 0-65535 (0: any free port), got '" + port + "'");
    }
    config.port = static_cast<quint16>(portNumber);
    const int maxClients = args.value("max-clients").toInt(&ok);
    if (!ok || maxClients < 1 || maxClients > 100000) {
        return app::usageError("--max-clients must be 1-100000, got '" + args.value("max-clients") +
                               "'");
    }
    config.maxClients = maxClients;

    core::Node node(config);
    QString error;
    if (!node.start(&error)) {
        std::fprintf(stderr, "auralis-node: %s\n", qPrintable(error));
        return 1;
    }
    // Machine-readable first line on stdout: tools and tests read the port from it.
    std::printf("auralis-node listening on http://%s:%u (WebSocket /ws/stream)\n",
                qPrintable(config.bind.toString()), node.port());
    std::fflush(stdout);
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
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName("auralis-node");
    QCoreApplication::setApplicationVersion(AURALIS_VERSION);

    QCommandLineParser args;
    args.setApplicationDescription(
        "Auralis synthesis node.\n\n"
        "Commands:\n"
        "  serve    (default) stream to listeners: HTTP + WebSocket /ws/stream on one port\n"
        "  render   compose and render to a WAV file\n\n"
        "Examples:\n"
        "  auralis-node --port 8000 --preset focus\n"
        "  auralis-node render -o demo.wav --seconds 60 --preset sleep --key D");
    args.addHelpOption();
    args.addVersionOption();
    args.addPositionalArgument("command", "serve (default) or render", "[command]");
    args.addOptions({
        {"port", "serve: TCP port, 0 for any free one (default 8000, env AURALIS_PORT).", "port"},
        {"bind", "serve: address to bind (default 0.0.0.0, env AURALIS_BIND).", "address"},
        {"max-clients", "serve: most listeners at once (default 256).", "n", "256"},
        {"log-level", "error, warn, info or debug (default info).", "level", "info"},
        {{"o", "output"}, "render: WAV file to write.", "file"},
        {"seconds", "render: length in seconds (default 60).", "s", "60"},
        {"device", "cpu, cuda or auto (default auto: CUDA when a usable GPU exists).", "device",
         "auto"},
    });
    app::addMusicOptions(args);
    args.process(app);

    if (!app::setupLogging(args.value("log-level"))) {
        return app::usageError("--log-level must be error, warn, info or debug");
    }
    if (!device(args)) {
        return app::usageError("--device must be cpu, cuda or auto, got '" + args.value("device") +
                               "'");
    }
    MusicParams params;
    std::uint64_t seed = 0;
    if (const auto error = app::readMusicOptions(args, params, seed)) {
        return app::usageError(*error);
    }
    const QStringList positional = args.positionalArguments();
    const QString command = positional.isEmpty() ? "serve" : positional.first();
    if (positional.size() > 1) {
        return app::usageError("unexpected arguments: " + positional.mid(1).join(' ') +
                               " (see --help)");
    }
    if (command == "render") {
        return runRender(args, params, seed);
    }
    if (command == "serve") {
        return runServe(app, args, params, seed);
    }
    return app::usageError("unknown command '" + command + "' (see --help)");
}
