// libFuzzer target for the exposition parser (built with clang when available).
#include "monitor/prom_text.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auralis::monitor::ParseLimits limits;
    limits.maxSamples = 10000;
    const auto parsed = auralis::monitor::parseExposition(
        std::string_view(reinterpret_cast<const char*>(data), size), limits);
    return parsed.samples.size() > limits.maxSamples ? 1 : 0;
}
