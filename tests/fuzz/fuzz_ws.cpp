// libFuzzer target: the WebSocket message handling of a listener session, without sockets:
// a client's bytes, split at a point the input chooses, through the strict frame reader
// (server role), and every text message through the protocol's parsers as the session does.
// Properties: the reader never holds more than one message, a close or error ends it.
#include "protocol/control.h"
#include "protocol/messages.h"
#include "protocol/ws_frame.h"

#include <QJsonDocument>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

using namespace auralis;

namespace {
constexpr qint64 kMaxMessage = 64 * 1024;

void handle(const QByteArray& utf8) {
    const QJsonDocument doc = QJsonDocument::fromJson(utf8);
    if (!doc.isObject()) {
        return;
    }
    const QJsonObject msg = doc.object();
    const QString type = protocol::messageType(msg);
    if (type == "control") {
        synth::MusicParams out;
        (void)protocol::parseControl(msg, synth::MusicParams{}, out);
    } else if (type == "report") {
        (void)protocol::parseReport(msg);
    } else if (type == "tier") {
        (void)protocol::parseTierRequest(msg);
    } else if (type == "ping") {
        (void)protocol::toWire(
            protocol::toJson(std::get<protocol::Ping>(protocol::parsePing(msg))));
    }
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) {
        return 0;
    }
    const std::size_t split = data[0] % (size + 1);
    const char* bytes = reinterpret_cast<const char*>(data + 1);
    const std::size_t n = size - 1;
    ws::FrameReader reader(ws::FrameReader::Role::Server, kMaxMessage);
    bool ended = false;
    const auto drain = [&] {
        using Kind = ws::FrameReader::Event::Kind;
        for (auto e = reader.next(); e.kind != Kind::None; e = reader.next()) {
            if (ended && e.kind != Kind::Close) {
                std::abort(); // after an error only the close frame may come out
            }
            if (e.payload.size() > kMaxMessage) {
                std::abort();
            }
            if (e.kind == Kind::Text) {
                if (!ws::isValidUtf8(e.payload)) {
                    std::abort();
                }
                handle(e.payload);
            } else if (e.kind == Kind::Error) {
                ended = true;
            } else if (e.kind == Kind::Close) {
                return;
            }
        }
    };
    const std::size_t first = std::min(split, n);
    reader.append(QByteArrayView(bytes, static_cast<qsizetype>(first)));
    drain();
    reader.append(QByteArrayView(bytes + first, static_cast<qsizetype>(n - first)));
    drain();
    if (reader.bufferedBytes() > kMaxMessage + 14) {
        std::abort(); // at most one frame is held while it arrives
    }
    return 0;
}
