// Decodes the Opus packets of format=opus audio messages (protocol::splitOpusPackets) to
// 48 kHz stereo s16 PCM with libopus; an underrun chunk (no packets) becomes 100 ms of
// silence. One decoder per stream, kept across chunks. One thread.
#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

struct OpusDecoder;

namespace auralis::client {

class OpusChunkDecoder {
public:
    OpusChunkDecoder();
    ~OpusChunkDecoder();
    OpusChunkDecoder(const OpusChunkDecoder&) = delete;
    OpusChunkDecoder& operator=(const OpusChunkDecoder&) = delete;

    /// PCM (s16le interleaved stereo, 48 kHz) of one message's payload, or false with
    /// error() set when the payload or a packet is malformed.
    bool decode(QByteArrayView payload, bool underrun, QByteArray& pcm);
    const QString& error() const { return m_error; }

private:
    OpusDecoder* m_decoder = nullptr;
    QString m_error;
};

} // namespace auralis::client
