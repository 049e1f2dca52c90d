// The stream in Opus, encoded once for every listener that wants it: 100 ms chunks of 44.1 kHz
// s16 in; per chunk the Opus packets (48 kHz stereo, resampled by libopusenc's resampler) and
// the Ogg pages completed while encoding it; the stream's two Ogg header pages once. Packets
// of a chunk are stored as the wire carries them (protocol::appendOpusPacket). One thread.
#pragma once

#include <QByteArray>
#include <QString>

#include <cstdint>

struct OggOpusEnc;

namespace auralis::core {

class OpusChunkEncoder {
public:
    struct Output {
        QByteArray packets; // [u16le length][packet] ...
        QByteArray pages;   // complete Ogg pages
        double seconds = 0; // encoding time of this chunk
    };

    /// `bitrate` in bits per second (6000-510000). ok() tells whether libopusenc accepted it.
    OpusChunkEncoder(int bitrate, const QString& title);
    ~OpusChunkEncoder();
    OpusChunkEncoder(const OpusChunkEncoder&) = delete;
    OpusChunkEncoder& operator=(const OpusChunkEncoder&) = delete;

    bool ok() const { return m_encoder != nullptr; }
    const QString& error() const { return m_error; }
    /// OpusHead and OpusTags pages: what a player needs before any audio page.
    const QByteArray& headerPages() const { return m_header; }
    /// Encodes `frames` stereo frames of interleaved s16 at 44.1 kHz.
    Output encode(const std::int16_t* interleaved, int frames);

private:
    static int onWrite(void* self, const unsigned char* data, std::int32_t length);
    static int onClose(void* self);
    static void onPacket(void* self, const unsigned char* data, std::int32_t length,
                         std::uint32_t flags);

    OggOpusEnc* m_encoder = nullptr;
    QString m_error;
    QByteArray m_header;
    QByteArray* m_pages = nullptr; // where written pages go now
    QByteArray m_packets;
};

} // namespace auralis::core
