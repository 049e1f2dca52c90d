// Control requests shared by the WebSocket `control` message and POST /api/control: type
// checks, then synth::applyUpdate's validation as a whole (nothing applied on error).
// Pure functions; any thread.
#pragma once

#include "synth/music.h"

#include <QJsonObject>
#include <QString>

#include <optional>

namespace auralis::protocol {

struct ControlError {
    QString code; // "invalid_value", "unknown_field", "empty_control"
    QString message;
    QString field;
};

/// Validates `request` against `current` and writes the resulting parameters to `out`.
/// Keys "type" and "id" are ignored (WebSocket envelope).
std::optional<ControlError> parseControl(const QJsonObject& request,
                                         const synth::MusicParams& current,
                                         synth::MusicParams& out);

} // namespace auralis::protocol
