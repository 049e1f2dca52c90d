// Wiring shared by the executables: log format and levels, SIGINT/SIGTERM delivery into the
// Qt event loop, and the music-parameter options. Call from main() only.
#pragma once

#include "synth/music.h"

#include <QCommandLineParser>
#include <QObject>
#include <QString>

#include <functional>
#include <optional>

namespace auralis::app {

/// "error", "warn", "info" or "debug"; false for anything else.
bool setupLogging(const QString& level);

/// Calls `handler` on the Qt event loop when SIGINT or SIGTERM arrives.
void onTerminationSignal(QObject* context, std::function<void(int signal)> handler);

/// --seed, --preset, --key, --mode, --bpm, --intensity.
void addMusicOptions(QCommandLineParser& parser);
/// Reads them; on a bad value returns the message for the user.
std::optional<QString> readMusicOptions(const QCommandLineParser& parser,
                                        synth::MusicParams& params, std::uint64_t& seed);

/// Prints "<app>: message" to stderr and returns 2 (usage error).
int usageError(const QString& message);

} // namespace auralis::app
