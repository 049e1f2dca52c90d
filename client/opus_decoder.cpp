#include "client/opus_decoder.h"

#include "protocol/protocol.h"

#include <opus/opus.h>

#include <vector>

namespace auralis::client {

namespace {
constexpr int kMaxPacketFrames = 5760; // 120 ms at 48 kHz: the longest Opus packet
}

OpusChunkDecoder::OpusChunkDecoder() {
    int error = OPUS_OK;
    m_decoder = opus_decoder_create(protocol::kOpusSampleRate, protocol::kChannels, &error);
    if (m_decoder == nullptr) {
        m_error = QString("libopus: %1").arg(opus_strerror(error));
    }
}

OpusChunkDecoder::~OpusChunkDecoder() {
    if (m_decoder != nullptr) {
        opus_decoder_destroy(m_decoder);
    }
}

bool OpusChunkDecoder::decode(QByteArrayView payload, bool underrun, QByteArray& pcm) {
    pcm.clear();
    if (m_decoder == nullptr) {
        return false;
    }
    constexpr int kChunkFrames48 = protocol::kOpusSampleRate / 10;
    if (underrun && payload.isEmpty()) {
        pcm.fill('\0', kChunkFrames48 * protocol::kChannels * 2);
        return true;
    }
    std::vector<QByteArray> packets;
    if (!protocol::splitOpusPackets(payload, packets)) {
        m_error = "the Opus packet lengths do not add up to the message";
        return false;
    }
    for (const QByteArray& packet : packets) {
        const qsizetype at = pcm.size();
        pcm.resize(at + kMaxPacketFrames * protocol::kChannels * 2);
        const int frames =
            opus_decode(m_decoder, reinterpret_cast<const unsigned char*>(packet.constData()),
                        static_cast<opus_int32>(packet.size()),
                        reinterpret_cast<opus_int16*>(pcm.data() + at), kMaxPacketFrames, 0);
        if (frames < 0) {
            m_error = QString("libopus: %1").arg(opus_strerror(frames));
            pcm.resize(at);
            return false;
        }
        pcm.resize(at + frames * protocol::kChannels * 2);
    }
    return true;
}

} // namespace auralis::client
