// RFC 6455 framing shared by the node's server side and the listener's client side: frame
// encoding and an incremental reader of the peer's frames with limits and strict checks
// (masking by role, reserved bits, control-frame rules, UTF-8, message size). Pure code on
// byte buffers; one reader per connection, used from that connection's thread.
#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <cstdint>

namespace auralis::ws {

enum class Opcode : std::uint8_t {
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
};

// Close codes (RFC 6455 section 7.4.1).
inline constexpr int kCloseNormal = 1000;
inline constexpr int kCloseGoingAway = 1001;
inline constexpr int kCloseProtocolError = 1002;
inline constexpr int kCloseNoStatus = 1005;    // never sent: "the close frame had no code"
inline constexpr int kCloseAbnormal = 1006;    // never sent: "no close frame at all"
inline constexpr int kCloseInvalidData = 1007; // e.g. a text message that is not UTF-8
inline constexpr int kClosePolicy = 1008;
inline constexpr int kCloseTooBig = 1009;
inline constexpr int kCloseTryAgainLater = 1013;

inline constexpr int kMaxControlPayload = 125;
inline constexpr int kMaxCloseReasonBytes = kMaxControlPayload - 2;

/// The header of one unfragmented frame carrying `payloadLength` bytes: 2, 4 or 10 bytes,
/// plus 4 when `mask` is given (clients mask every frame, servers never do).
QByteArray frameHeader(Opcode opcode, qint64 payloadLength, const quint32* mask = nullptr);
/// A whole frame: header and payload (masked with `mask` when given).
QByteArray encodeFrame(Opcode opcode, QByteArrayView payload, const quint32* mask = nullptr);
/// A close frame's payload: the code, big-endian, and the reason cut to 123 bytes at a
/// UTF-8 character boundary.
QByteArray closePayload(int code, const QString& reason);
/// True for codes an endpoint may send in a close frame (1000-1003, 1007-1014, 3000-4999).
bool isSendableCloseCode(int code);
/// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key (RFC 6455 section 4.2.2).
QByteArray acceptKey(QByteArrayView clientKey);
/// True when a Sec-WebSocket-Key is the base64 of 16 bytes, as RFC 6455 requires.
bool isValidClientKey(QByteArrayView clientKey);
/// True when `bytes` is well-formed UTF-8 (no overlongs, surrogates or values > U+10FFFF).
bool isValidUtf8(QByteArrayView bytes);

/// Reads the peer's frames from a byte stream. Complete messages, pings, pongs and the close
/// frame come out as events; a violation becomes one Error event with the close code to send
/// (1002, 1007, 1009), after which the reader only looks for the peer's close frame and
/// discards everything else, also payloads it never holds in memory.
class FrameReader {
public:
    enum class Role {
        Server, // reads a client's frames: every frame must be masked
        Client, // reads a server's frames: no frame may be masked
    };
    struct Event {
        enum class Kind { None, Text, Binary, Ping, Pong, Close, Error };
        Kind kind = Kind::None;
        QByteArray payload; // message (Text, Binary), ping/pong data
        int code = 0;       // Close: the peer's code (1005 when none); Error: the code to send
        QString reason;     // Close: the peer's reason; Error: what was wrong
    };

    FrameReader(Role role, qint64 maxMessageBytes);

    /// Appends received bytes; call next() until it returns Kind::None.
    void append(QByteArrayView bytes);
    Event next();

    /// After an error or once this side started closing: data frames are skipped unread.
    void discardData() { m_discarding = true; }
    bool discarding() const { return m_discarding; }
    qint64 bufferedBytes() const { return m_buffer.size() - m_pos; }

private:
    Event fail(int code, const QString& reason);
    void compact();

    Role m_role;
    qint64 m_maxMessageBytes;
    QByteArray m_buffer;
    qsizetype m_pos = 0;     // parsed up to here
    qint64 m_skipBytes = 0;  // payload bytes of a skipped frame still to come
    QByteArray m_message;    // fragments so far
    int m_messageOpcode = 0; // 0: no fragmented message in progress
    bool m_discarding = false;
    bool m_failed = false;
};

} // namespace auralis::ws
