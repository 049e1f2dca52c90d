// Wiring shared by the executables: log format and levels, SIGINT/SIGTERM delivery into the
// Qt event loop, and the music-parameter options. Call from main() only.
#pragma once

#include "synth/device.h"
#include "synth/music.h"

#include <QCommandLineParser>
#include <QHostAddress>
#include <QObject>
#include <QString>

#include <functional>
#include <optional>

namespace auralis::app {

/// "error", "warn", "info" or "debug"; false for anything else.
bool setupLogging(const QString& level);

class OptionReader;
/// --log-level, applied (setupLogging); a problem is recorded in `opts`.
void readLogLevel(OptionReader& opts);
/// --device: cpu, cuda or auto.
synth::DevicePreference readDevice(OptionReader& opts);

/// Calls `handler` on the Qt event loop when SIGINT or SIGTERM arrives.
void onTerminationSignal(QObject* context, std::function<void(int signal)> handler);

/// Raises the soft open-file limit toward `needed` descriptors (at most the hard limit);
/// true when the limit now allows `needed`.
bool raiseOpenFileLimit(int needed);

/// --seed, --preset, --key, --mode, --bpm, --intensity.
void addMusicOptions(QCommandLineParser& parser);
/// Reads them; on a bad value returns the message for the user.
std::optional<QString> readMusicOptions(const QCommandLineParser& parser,
                                        synth::MusicParams& params, std::uint64_t& seed);

/// Prints "<app>: message" to stderr and returns 2 (usage error).
/// QCommandLineParser::process() without its exit code 1: --help and --version print and
/// exit 0, an unknown option or a missing value is a usage error (exit 2), like every other.
void processArguments(QCommandLineParser& args, const QStringList& arguments);
int usageError(const QString& message);

/// Reads option values with checks and one message style, "--NAME must be WHAT, got 'VALUE'";
/// the first problem is kept and reported by usageError(). An unset option gives its
/// fallback: the parser's default, or an environment variable where one is named.
class OptionReader {
public:
    explicit OptionReader(const QCommandLineParser& args) : m_args(args) {}

    /// The raw text: the option, else `env` (when given and set), else the parser's default.
    QString text(const char* name, const char* env = nullptr) const;
    int integer(const char* name, int min, int max, const char* env = nullptr);
    double number(const char* name, double min, double max);
    quint16 port(const char* name, const char* env = nullptr);
    QHostAddress address(const char* name, const char* env = nullptr);
    /// A value from a fixed set: `parse` returns nullopt for anything else.
    template <class T, class Parse>
    T choice(const char* name, Parse parse, const char* allowed, T fallback) {
        const auto v = parse(text(name));
        if (!v) {
            fail(name, allowed);
            return fallback;
        }
        return *v;
    }
    /// Records a problem with option `name` (the first one wins).
    void fail(const char* name, const QString& what);
    void fail(const char* name, const QString& what, const QString& value);
    /// Records a problem that is not about one value.
    void failWith(const QString& message);

    bool ok() const { return m_error.isEmpty(); }
    const QString& error() const { return m_error; }
    /// usageError(error()): call when !ok().
    int usageError() const;

private:
    const QCommandLineParser& m_args;
    QString m_error;
};

} // namespace auralis::app
