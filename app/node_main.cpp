// auralis-node: the headless node. `render` writes a WAV offline; the serving mode follows.
// Argument parsing and wiring only.
#include "synth/device.h"
#include "synth/engine.h"
#include "synth/music.h"
#include "synth/offline.h"

#include <QCommandLineParser>
#include <QCoreApplication>

#include <chrono>
#include <cstdio>
#include <random>
#include <unistd.h>

using namespace auralis::synth;

namespace {

int fail(const QString& message) {
    std::fprintf(stderr, "auralis-node: %s\n", qPrintable(message));
    return 2;
}

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

int runRender(const QCommandLineParser& args) {
    const QString output = args.value("output");
    if (output.isEmpty()) {
        return fail("render needs an output file: -o demo.wav");
    }
    bool ok = false;
    const double seconds = args.value("seconds").toDouble(&ok);
    if (!ok || !(seconds > 0) || seconds > 24 * 3600) {
        return fail("--seconds must be a number of seconds from 0 to 86400, got '" +
                    args.value("seconds") + "'");
    }
    std::uint64_t seed = 0;
    if (args.isSet("seed")) {
        seed = args.value("seed").toULongLong(&ok, 0);
        if (!ok) {
            return fail("--seed must be an unsigned 64-bit integer, got '" + args.value("seed") +
                        "'");
        }
    } else {
        seed = (static_cast<std::uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
    }

    ParamUpdate update;
    if (args.isSet("preset")) {
        update.preset = args.value("preset").toStdString();
    }
    if (args.isSet("key")) {
        update.key = args.value("key").toStdString();
    }
    if (args.isSet("mode")) {
        update.mode = args.value("mode").toStdString();
    }
    for (const char* name : {"bpm", "intensity"}) {
        if (!args.isSet(name)) {
            continue;
        }
        const double v = args.value(name).toDouble(&ok);
        if (!ok) {
            return fail(QString("--%1 must be a number, got '%2'").arg(name, args.value(name)));
        }
        (std::string(name) == "bpm" ? update.bpm : update.intensity) = v;
    }
    MusicParams params;
    if (const auto error = applyUpdate(MusicParams{}, update, params)) {
        return fail(QString::fromStdString(error->message));
    }

    const auto preference = parseDevicePreference(args.value("device").toStdString());
    if (!preference) {
        return fail("--device must be cpu, cuda or auto, got '" + args.value("device") + "'");
    }
    DeviceChoice device = chooseRenderer(*preference);
    if (!device.renderer) {
        return fail(QString::fromStdString(device.error));
    }
    std::fprintf(stderr, "device: %s (%s)\n", device.renderer->kind(), device.reason.c_str());
    std::fprintf(stderr, "seed %llu, key %s %s, %g BPM, intensity %g\n",
                 static_cast<unsigned long long>(seed), std::string(keyName(params.key)).c_str(),
                 std::string(modeName(params.mode)).c_str(), params.bpm, params.intensity);

    SynthEngine engine(seed, params, std::move(device.renderer), device.reason);
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
        return fail(QString::fromStdString(result.error));
    }
    const double audio = static_cast<double>(result.frames) / kSampleRate;
    std::fprintf(stderr,
                 "wrote %s: %.1f s of 44.1 kHz stereo s16 on %s, rendering took %.3f s "
                 "(%.0fx real time)\n",
                 qPrintable(output), audio, engine.renderer().kind(), result.renderSeconds,
                 result.renderSeconds > 0 ? audio / result.renderSeconds : 0.0);
    return 0;
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
        "  render   compose and render ambient music to a WAV file\n\n"
        "Example:\n"
        "  auralis-node render -o demo.wav --seconds 60 --preset focus --key D");
    args.addHelpOption();
    args.addVersionOption();
    args.addPositionalArgument("command", "render");
    args.addOptions({
        {{"o", "output"}, "WAV file to write (render).", "file"},
        {"seconds", "Length of the render in seconds (default 60).", "s", "60"},
        {"seed", "64-bit seed; the same seed and parameters give the same audio (default: random).",
         "n"},
        {"preset", "focus, meditation, sleep or bright (applied before the other settings).",
         "name"},
        {"key", "Key: C, C#, Db, ..., B or 0-11 (default A).", "key"},
        {"mode", "aeolian, dorian, ionian, lydian, mixolydian or phrygian (default dorian).",
         "mode"},
        {"bpm", "Tempo, 40-120 (default 72).", "bpm"},
        {"intensity", "0-1: density, brightness and percussion (default 0.55).", "x"},
        {"device", "cpu, cuda or auto (default auto: CUDA when a usable GPU exists).", "device",
         "auto"},
    });
    args.process(app);

    const QStringList positional = args.positionalArguments();
    if (positional.isEmpty()) {
        return fail("no command given; the serving mode is not built yet. Try: auralis-node "
                    "render -o demo.wav (see --help)");
    }
    if (positional.first() == "render" && positional.size() == 1) {
        return runRender(args);
    }
    return fail("unknown command '" + positional.join(' ') + "' (see --help)");
}
