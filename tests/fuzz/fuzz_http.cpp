// libFuzzer target: the node's HTTP request parser and what reads a parsed request (keep-alive,
// WebSocket upgrade, Host and Origin policy, Authorization). Properties: never more consumed
// than given, a complete request has a path, a parsed body is exactly its Content-Length.
#include "core/http.h"
#include "core/http_policy.h"
#include "core/operator_token.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

using namespace auralis::core;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const QByteArray buffer(reinterpret_cast<const char*>(data), static_cast<qsizetype>(size));
    http::Request request;
    const http::ParseResult parsed = http::parse(buffer, request);
    if (parsed.state == http::Parse::Error &&
        (parsed.errorStatus < 400 || parsed.errorStatus > 599 || parsed.errorText.isEmpty())) {
        std::abort();
    }
    if (parsed.state != http::Parse::Complete) {
        return 0;
    }
    if (parsed.consumed <= 0 || parsed.consumed > buffer.size() || !request.path.startsWith('/') ||
        request.body.size() > http::kMaxBodyBytes) {
        std::abort();
    }
    HttpPolicy policy;
    policy.allowedHosts = {"auralis.example"};
    policy.allowedOrigins = {"https://studio.example"};
    (void)request.keepAlive();
    (void)request.isWebSocketUpgrade();
    (void)hostAllowed(request.header("host"), policy);
    (void)originAllowed(request, policy);
    (void)bearerAccess(request, "fuzz-token-0123456789");
    http::Response response = http::jsonError(400, "bad_request", QString::fromUtf8(request.path));
    response.headOnly = request.method == "HEAD";
    (void)http::serialize(response, request.keepAlive());
    return 0;
}
