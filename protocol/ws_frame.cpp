#include "protocol/ws_frame.h"

#include <QCryptographicHash>
#include <QtEndian>

#include <algorithm>
#include <cstring>
#include <limits>

namespace auralis::ws {

QByteArray frameHeader(Opcode opcode, qint64 payloadLength, const quint32* mask) {
    char header[14];
    int n = 0;
    header[n++] = static_cast<char>(0x80 | static_cast<int>(opcode)); // FIN, no RSV bits
    const char maskBit = mask != nullptr ? char(0x80) : char(0);
    const auto length = static_cast<quint64>(payloadLength);
    if (length < 126) {
        header[n++] = static_cast<char>(maskBit | static_cast<char>(length));
    } else if (length <= 0xFFFF) {
        header[n++] = static_cast<char>(maskBit | 126);
        qToBigEndian<quint16>(static_cast<quint16>(length), header + n);
        n += 2;
    } else {
        header[n++] = static_cast<char>(maskBit | 127);
        qToBigEndian<quint64>(length, header + n);
        n += 8;
    }
    if (mask != nullptr) {
        std::memcpy(header + n, mask, 4);
        n += 4;
    }
    return QByteArray(header, n);
}

QByteArray encodeFrame(Opcode opcode, QByteArrayView payload, const quint32* mask) {
    QByteArray frame = frameHeader(opcode, payload.size(), mask);
    const qsizetype start = frame.size();
    frame.append(payload);
    if (mask != nullptr) {
        char key[4];
        std::memcpy(key, mask, 4);
        char* p = frame.data() + start;
        for (qsizetype i = 0; i < payload.size(); ++i) {
            p[i] = static_cast<char>(p[i] ^ key[i & 3]);
        }
    }
    return frame;
}

QByteArray closePayload(int code, const QString& reason) {
    QByteArray payload(2, Qt::Uninitialized);
    qToBigEndian<quint16>(static_cast<quint16>(code), payload.data());
    QByteArray text = reason.toUtf8();
    if (text.size() > kMaxCloseReasonBytes) {
        qsizetype cut = kMaxCloseReasonBytes;
        // Never split a multi-byte character: back up over continuation bytes.
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
            --cut;
        }
        text.truncate(cut);
    }
    return payload + text;
}

QByteArray acceptKey(QByteArrayView clientKey) {
    QCryptographicHash sha1(QCryptographicHash::Sha1);
    sha1.addData(clientKey);
    sha1.addData(QByteArrayView("258EAFA5-E914-47DA-95CA-C5AB0DC85B11"));
    return sha1.result().toBase64();
}

bool isValidClientKey(QByteArrayView clientKey) {
    if (clientKey.size() != 24) {
        return false;
    }
    const auto decoded = QByteArray::fromBase64Encoding(clientKey.toByteArray(),
                                                        QByteArray::AbortOnBase64DecodingErrors);
    return decoded.decodingStatus == QByteArray::Base64DecodingStatus::Ok &&
           decoded.decoded.size() == 16;
}

bool isSendableCloseCode(int code) {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

bool isValidUtf8(QByteArrayView bytes) {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    const qsizetype n = bytes.size();
    qsizetype i = 0;
    while (i < n) {
        const unsigned char c = p[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        int extra = 0;
        unsigned char lo = 0x80;
        unsigned char hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            extra = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            extra = 2;
            lo = c == 0xE0 ? 0xA0 : 0x80; // no overlongs
            hi = c == 0xED ? 0x9F : 0xBF; // no surrogates
        } else if (c >= 0xF0 && c <= 0xF4) {
            extra = 3;
            lo = c == 0xF0 ? 0x90 : 0x80; // no overlongs
            hi = c == 0xF4 ? 0x8F : 0xBF; // nothing above U+10FFFF
        } else {
            return false;
        }
        if (i + extra >= n) {
            return false; // truncated sequence
        }
        if (p[i + 1] < lo || p[i + 1] > hi) {
            return false;
        }
        for (int k = 2; k <= extra; ++k) {
            if ((p[i + k] & 0xC0) != 0x80) {
                return false;
            }
        }
        i += extra + 1;
    }
    return true;
}

FrameReader::FrameReader(Role role, qint64 maxMessageBytes)
    : m_role(role), m_maxMessageBytes(maxMessageBytes) {}

void FrameReader::append(QByteArrayView bytes) {
    if (m_skipBytes > 0) {
        // Skipping a payload: drop what is buffered of it, never copy the rest.
        const qint64 fromBuffer = std::min<qint64>(m_buffer.size() - m_pos, m_skipBytes);
        m_pos += fromBuffer;
        m_skipBytes -= fromBuffer;
        compact();
        const qint64 n = std::min<qint64>(bytes.size(), m_skipBytes);
        m_skipBytes -= n;
        bytes = bytes.sliced(n);
    }
    if (!bytes.isEmpty()) {
        m_buffer.append(bytes);
    }
}

void FrameReader::compact() {
    if (m_pos == 0) {
        return;
    }
    if (m_pos >= m_buffer.size()) {
        m_buffer.clear();
    } else {
        m_buffer.remove(0, m_pos);
    }
    m_pos = 0;
}

FrameReader::Event FrameReader::fail(int code, const QString& reason) {
    m_failed = true;
    m_discarding = true;
    m_message.clear();
    m_messageOpcode = 0;
    Event e;
    e.kind = Event::Kind::Error;
    e.code = code;
    e.reason = reason;
    return e;
}

FrameReader::Event FrameReader::next() {
    while (true) {
        if (m_skipBytes > 0) {
            const qint64 n = std::min<qint64>(m_buffer.size() - m_pos, m_skipBytes);
            m_pos += n;
            m_skipBytes -= n;
            if (m_skipBytes > 0) {
                compact();
                return {};
            }
        }
        const qint64 available = m_buffer.size() - m_pos;
        if (available < 2) {
            compact();
            return {};
        }
        const auto* p = reinterpret_cast<const unsigned char*>(m_buffer.constData() + m_pos);
        const bool fin = (p[0] & 0x80) != 0;
        const int rsv = p[0] & 0x70;
        const int opcode = p[0] & 0x0F;
        const bool masked = (p[1] & 0x80) != 0;
        quint64 length = p[1] & 0x7F;
        qint64 header = 2;
        if (length == 126) {
            if (available < 4) {
                compact();
                return {};
            }
            length = qFromBigEndian<quint16>(p + 2);
            header = 4;
        } else if (length == 127) {
            if (available < 10) {
                compact();
                return {};
            }
            length = qFromBigEndian<quint64>(p + 2);
            header = 10;
        }
        const qint64 maskBytes = masked ? 4 : 0;
        if (available < header + maskBytes) {
            compact();
            return {};
        }
        const bool control = (opcode & 0x8) != 0;
        // A length with the top bit set is invalid; treat it as "skip forever".
        const qint64 payloadLength = length > 0x7FFFFFFFFFFFFFFFull
                                         ? std::numeric_limits<qint64>::max()
                                         : static_cast<qint64>(length);
        const auto skipThisFrame = [&] {
            m_pos += header + maskBytes;
            m_skipBytes = payloadLength;
        };

        if (m_discarding) {
            // Closing: only the peer's close frame matters; everything else is dropped.
            if (opcode != static_cast<int>(Opcode::Close) || payloadLength > kMaxControlPayload) {
                skipThisFrame();
                continue;
            }
        } else {
            QString violation;
            int code = kCloseProtocolError;
            if (length > 0x7FFFFFFFFFFFFFFFull) {
                violation = "invalid payload length";
            } else if (rsv != 0) {
                violation = "reserved bits set without a negotiated extension";
            } else if (m_role == Role::Server && !masked) {
                violation = "client frames must be masked";
            } else if (m_role == Role::Client && masked) {
                violation = "server frames must not be masked";
            } else if (opcode != 0 && opcode != 1 && opcode != 2 && opcode != 8 && opcode != 9 &&
                       opcode != 10) {
                violation = QString("unknown opcode %1").arg(opcode);
            } else if (control && (!fin || payloadLength > kMaxControlPayload)) {
                violation = "control frames must be unfragmented and at most 125 bytes";
            } else if (opcode == 0 && m_messageOpcode == 0) {
                violation = "continuation frame without a message to continue";
            } else if ((opcode == 1 || opcode == 2) && m_messageOpcode != 0) {
                violation = "a new message started before the fragmented one ended";
            } else if (!control && payloadLength > m_maxMessageBytes - m_message.size()) {
                code = kCloseTooBig;
                violation = QString("message larger than %1 bytes").arg(m_maxMessageBytes);
            }
            if (!violation.isEmpty()) {
                skipThisFrame();
                return fail(code, violation);
            }
        }

        if (available < header + maskBytes + payloadLength) {
            compact();
            return {}; // the rest of the payload is still on its way
        }
        QByteArray payload(m_buffer.constData() + m_pos + header + maskBytes, payloadLength);
        if (masked) {
            char key[4];
            std::memcpy(key, p + header, 4);
            char* d = payload.data();
            for (qint64 i = 0; i < payloadLength; ++i) {
                d[i] = static_cast<char>(d[i] ^ key[i & 3]);
            }
        }
        m_pos += header + maskBytes + payloadLength;

        Event e;
        switch (static_cast<Opcode>(opcode)) {
        case Opcode::Ping:
            e.kind = Event::Kind::Ping;
            e.payload = std::move(payload);
            return e;
        case Opcode::Pong:
            e.kind = Event::Kind::Pong;
            e.payload = std::move(payload);
            return e;
        case Opcode::Close: {
            e.kind = Event::Kind::Close;
            e.code = kCloseNoStatus;
            if (payload.size() == 1) {
                if (!m_discarding) {
                    return fail(kCloseProtocolError,
                                "a close frame's payload has no room for a code");
                }
            } else if (payload.size() >= 2) {
                e.code = qFromBigEndian<quint16>(payload.constData());
                const QByteArrayView reason = QByteArrayView(payload).sliced(2);
                if (!m_discarding && !isSendableCloseCode(e.code)) {
                    return fail(kCloseProtocolError, QString("invalid close code %1").arg(e.code));
                }
                if (!m_discarding && !isValidUtf8(reason)) {
                    return fail(kCloseInvalidData, "the close reason is not UTF-8");
                }
                e.reason = QString::fromUtf8(reason);
            }
            m_discarding = true; // nothing may follow a close frame
            return e;
        }
        case Opcode::Text:
        case Opcode::Binary:
            m_messageOpcode = opcode;
            m_message = std::move(payload);
            break;
        case Opcode::Continuation:
            m_message += payload;
            break;
        }
        if (!fin) {
            continue;
        }
        e.kind = m_messageOpcode == static_cast<int>(Opcode::Text) ? Event::Kind::Text
                                                                   : Event::Kind::Binary;
        e.payload = std::move(m_message);
        m_message = QByteArray();
        m_messageOpcode = 0;
        if (e.kind == Event::Kind::Text && !isValidUtf8(e.payload)) {
            return fail(kCloseInvalidData, "a text message that is not UTF-8");
        }
        return e;
    }
}

} // namespace auralis::ws
