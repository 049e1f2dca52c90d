// The CUDA renderer and the start-up probe for a usable GPU. Plain C++ interface; the
// implementation (cuda_renderer.cu) is only built when nvcc is available (AURALIS_HAVE_CUDA).
#pragma once

#include "synth/renderer.h"

#include <cstdint>
#include <memory>
#include <string>

namespace auralis::synth::cuda {

struct Probe {
    bool usable = false;
    std::string reason; // why not usable ("no driver", "no device", ...), or the device
    int device = -1;
    std::string name;
    std::uint64_t totalBytes = 0;
};

/// Looks for a GPU that can run the kernels (runs a tiny test kernel). Never throws.
Probe probe();

/// Allocates every device buffer once; returns null and sets `error` when that fails.
std::unique_ptr<Renderer> makeRenderer(int device, std::string& error);

} // namespace auralis::synth::cuda
