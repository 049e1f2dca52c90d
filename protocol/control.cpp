#include "protocol/control.h"

#include <QStringList>

#include <cmath>

namespace auralis::protocol {

std::optional<ControlError> parseControl(const QJsonObject& request,
                                         const synth::MusicParams& current,
                                         synth::MusicParams& out) {
    static const QStringList kFields = {"key", "mode", "bpm", "intensity", "preset"};
    synth::ParamUpdate update;
    int fields = 0;
    for (auto it = request.begin(); it != request.end(); ++it) {
        const QString& name = it.key();
        const QJsonValue v = it.value();
        if (name == "type" || name == "id" || name == "token") {
            continue;
        }
        if (!kFields.contains(name)) {
            return ControlError{
                "unknown_field",
                "unknown field '" + name + "': use key, mode, bpm, intensity or preset", name};
        }
        ++fields;
        if (name == "key") {
            if (v.isString()) {
                update.key = v.toString().toStdString();
            } else if (v.isDouble() && std::floor(v.toDouble()) == v.toDouble()) {
                update.key = QString::number(v.toDouble(), 'f', 0).toStdString();
            } else {
                return ControlError{"invalid_value",
                                    "key must be a name such as \"D#\" or an integer 0-11", name};
            }
        } else if (name == "mode" || name == "preset") {
            if (!v.isString()) {
                return ControlError{"invalid_value", name + " must be a string", name};
            }
            (name == "mode" ? update.mode : update.preset) = v.toString().toStdString();
        } else {
            if (!v.isDouble()) {
                return ControlError{"invalid_value", name + " must be a number", name};
            }
            (name == "bpm" ? update.bpm : update.intensity) = v.toDouble();
        }
    }
    if (fields == 0) {
        return ControlError{
            "empty_control", "control needs at least one of key, mode, bpm, intensity, preset", {}};
    }
    if (const auto error = synth::applyUpdate(current, update, out)) {
        return ControlError{"invalid_value", QString::fromStdString(error->message),
                            QString::fromStdString(error->field)};
    }
    return std::nullopt;
}

} // namespace auralis::protocol
