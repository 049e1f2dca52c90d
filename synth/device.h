// Chooses the renderer at start-up: CUDA when a usable GPU exists, else the CPU, always with
// the reason. Call from any one thread; the returned renderer belongs to the caller.
#pragma once

#include "synth/renderer.h"

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace auralis::synth {

enum class DevicePreference { Auto, Cpu, Cuda };

std::optional<DevicePreference> parseDevicePreference(std::string_view text);

struct DeviceChoice {
    std::unique_ptr<Renderer> renderer; // null only when `error` is set
    std::string reason;                 // why this device ("no driver", "built without CUDA")
    std::string error;                  // set when the preference cannot be met (cuda forced)
};

DeviceChoice chooseRenderer(DevicePreference preference);

/// True when this build contains the CUDA renderer.
bool builtWithCuda();

} // namespace auralis::synth
