#include "synth/device.h"

#include "synth/cpu_renderer.h"
#ifdef AURALIS_HAVE_CUDA
#include "synth/cuda/cuda_renderer.h"
#endif

namespace auralis::synth {

std::optional<DevicePreference> parseDevicePreference(std::string_view text) {
    if (text == "auto") {
        return DevicePreference::Auto;
    }
    if (text == "cpu") {
        return DevicePreference::Cpu;
    }
    if (text == "cuda" || text == "gpu") {
        return DevicePreference::Cuda;
    }
    return std::nullopt;
}

bool builtWithCuda() {
#ifdef AURALIS_HAVE_CUDA
    return true;
#else
    return false;
#endif
}

DeviceChoice chooseRenderer(DevicePreference preference) {
    DeviceChoice choice;
    if (preference == DevicePreference::Cpu) {
        choice.renderer = std::make_unique<CpuRenderer>();
        choice.reason = "CPU requested";
        return choice;
    }
    std::string why;
#ifdef AURALIS_HAVE_CUDA
    const cuda::Probe probe = cuda::probe();
    if (probe.usable) {
        std::string error;
        choice.renderer = cuda::makeRenderer(probe.device, error);
        if (choice.renderer) {
            choice.reason = "CUDA: " + probe.reason;
            return choice;
        }
        why = "CUDA set-up failed: " + error;
    } else {
        why = probe.reason;
    }
#else
    why = "built without CUDA";
#endif
    if (preference == DevicePreference::Cuda) {
        choice.error = "CUDA was requested but is not available: " + why;
        return choice;
    }
    choice.renderer = std::make_unique<CpuRenderer>();
    choice.reason = why;
    return choice;
}

} // namespace auralis::synth
