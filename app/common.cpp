#include "app/common.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QSocketNotifier>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <random>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

namespace auralis::app {

namespace {
int g_signalPipe[2] = {-1, -1};

void signalHandler(int signal) {
    const char c = static_cast<char>(signal);
    [[maybe_unused]] const auto n = ::write(g_signalPipe[1], &c, 1);
}
} // namespace

bool setupLogging(const QString& level) {
    const QStringList levels = {"error", "warn", "info", "debug"};
    const auto index = levels.indexOf(level);
    if (index < 0) {
        return false;
    }
    qSetMessagePattern("%{time yyyy-MM-ddThh:mm:ss.zzz} "
                       "%{if-debug}DEBUG%{endif}%{if-info}INFO %{endif}%{if-warning}WARN "
                       "%{endif}%{if-critical}ERROR%{endif}%{if-fatal}FATAL%{endif} "
                       "%{category}: %{message}");
    QString rules = "*.debug=false\nqt.*.info=false\n";
    rules += QString("auralis.*.debug=%1\n").arg(index >= 3 ? "true" : "false");
    rules += QString("auralis.*.info=%1\n").arg(index >= 2 ? "true" : "false");
    rules += QString("auralis.*.warning=%1\n").arg(index >= 1 ? "true" : "false");
    QLoggingCategory::setFilterRules(rules);
    return true;
}

void readLogLevel(OptionReader& opts) {
    if (!setupLogging(opts.text("log-level"))) {
        opts.fail("log-level", "error, warn, info or debug");
    }
}

synth::DevicePreference readDevice(OptionReader& opts) {
    return opts.choice(
        "device", [](const QString& v) { return synth::parseDevicePreference(v.toStdString()); },
        "cpu, cuda or auto", synth::DevicePreference::Auto);
}

bool raiseOpenFileLimit(int needed) {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
        return false;
    }
    const auto want = static_cast<rlim_t>(std::max(needed, 0));
    if (limit.rlim_cur >= want) {
        return true;
    }
    limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? want : std::min(want, limit.rlim_max);
    return setrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur >= want;
}

void onTerminationSignal(QObject* context, std::function<void(int)> handler) {
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, g_signalPipe) != 0) {
        std::perror("socketpair");
        return;
    }
    auto* notifier = new QSocketNotifier(g_signalPipe[0], QSocketNotifier::Read, context);
    QObject::connect(notifier, &QSocketNotifier::activated, context,
                     [handler = std::move(handler)] {
                         char c = 0;
                         if (::read(g_signalPipe[0], &c, 1) == 1) {
                             handler(c);
                         }
                     });
    struct sigaction sa {};
    sa.sa_handler = signalHandler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

void addMusicOptions(QCommandLineParser& args) {
    args.addOptions({
        {"seed", "64-bit seed; the same seed and parameters give the same audio (default: random).",
         "n"},
        {"preset", "focus, meditation, sleep or bright (applied before the other settings).",
         "name"},
        {"key", "Key: C, C#, Db, ..., B or 0-11 (default A).", "key"},
        {"mode", "aeolian, dorian, ionian, lydian, mixolydian or phrygian (default dorian).",
         "mode"},
        {"bpm", "Tempo, 40-120 (default 72).", "bpm"},
        {"intensity", "0-1: density, brightness and percussion (default 0.55).", "x"},
    });
}

std::optional<QString> readMusicOptions(const QCommandLineParser& args, synth::MusicParams& params,
                                        std::uint64_t& seed) {
    bool ok = false;
    if (args.isSet("seed")) {
        seed = args.value("seed").toULongLong(&ok, 0);
        if (!ok) {
            return "--seed must be an unsigned 64-bit integer, got '" + args.value("seed") + "'";
        }
    } else {
        seed = (static_cast<std::uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
    }
    synth::ParamUpdate update;
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
            return QString("--%1 must be a number, got '%2'").arg(name, args.value(name));
        }
        (std::string(name) == "bpm" ? update.bpm : update.intensity) = v;
    }
    if (const auto error = synth::applyUpdate(synth::MusicParams{}, update, params)) {
        return QString::fromStdString(error->message);
    }
    return std::nullopt;
}

void processArguments(QCommandLineParser& args, const QStringList& arguments) {
    if (!args.parse(arguments)) {
        std::exit(usageError(args.errorText() + " (see --help)"));
    }
    if (args.isSet("help") || args.isSet("help-all")) {
        // Help names the program from the application's arguments: a console-only
        // application will do where none exists yet (no display needed); it exits here.
        static QByteArray program = arguments.value(0).toLocal8Bit();
        static int argc = 1;
        static char* argv[] = {program.data(), nullptr};
        if (QCoreApplication::instance() == nullptr) {
            new QCoreApplication(argc, argv);
        }
        args.showHelp(0);
    }
    if (args.isSet("version")) {
        args.showVersion();
    }
}

int usageError(const QString& message) {
    std::fprintf(stderr, "%s: %s\n", qPrintable(QCoreApplication::applicationName()),
                 qPrintable(message));
    return 2;
}

QString OptionReader::text(const char* name, const char* env) const {
    if (!m_args.isSet(name) && env != nullptr && qEnvironmentVariableIsSet(env)) {
        return qEnvironmentVariable(env);
    }
    return m_args.value(name);
}

void OptionReader::fail(const char* name, const QString& what, const QString& value) {
    failWith(QString("--%1 must be %2, got '%3'").arg(name, what, value));
}

void OptionReader::fail(const char* name, const QString& what) {
    fail(name, what, text(name));
}

void OptionReader::failWith(const QString& message) {
    if (m_error.isEmpty()) {
        m_error = message;
    }
}

int OptionReader::integer(const char* name, int min, int max, const char* env) {
    bool good = false;
    const int v = text(name, env).toInt(&good);
    if (!good || v < min || v > max) {
        fail(name, QString("an integer from %1 to %2").arg(min).arg(max), text(name, env));
        return min;
    }
    return v;
}

double OptionReader::number(const char* name, double min, double max) {
    bool good = false;
    const double v = text(name).toDouble(&good);
    if (!good || !(v >= min && v <= max)) {
        fail(name, QString("a number from %1 to %2").arg(min).arg(max));
        return min;
    }
    return v;
}

quint16 OptionReader::port(const char* name, const char* env) {
    bool good = false;
    const uint v = text(name, env).toUInt(&good);
    if (!good || v > 65535) {
        fail(name, "a port 0-65535 (0: any free port)", text(name, env));
        return 0;
    }
    return static_cast<quint16>(v);
}

QHostAddress OptionReader::address(const char* name, const char* env) {
    QHostAddress a;
    if (!a.setAddress(text(name, env))) {
        fail(name, "an IP address such as 0.0.0.0 or 127.0.0.1", text(name, env));
    }
    return a;
}

int OptionReader::usageError() const {
    return app::usageError(m_error);
}

} // namespace auralis::app
