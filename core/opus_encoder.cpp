#include "core/opus_encoder.h"

#include "protocol/protocol.h"

#include <opus/opusenc.h>

#include <chrono>
#include <vector>

namespace auralis::core {

int OpusChunkEncoder::onWrite(void* self, const unsigned char* data, std::int32_t length) {
    auto* e = static_cast<OpusChunkEncoder*>(self);
    if (e->m_pages != nullptr) {
        e->m_pages->append(reinterpret_cast<const char*>(data), length);
    }
    return 0;
}

int OpusChunkEncoder::onClose(void*) {
    return 0;
}

void OpusChunkEncoder::onPacket(void* self, const unsigned char* data, std::int32_t length,
                                std::uint32_t) {
    auto* e = static_cast<OpusChunkEncoder*>(self);
    protocol::appendOpusPacket(e->m_packets, reinterpret_cast<const char*>(data), length);
}

OpusChunkEncoder::OpusChunkEncoder(int bitrate, const QString& title) {
    OggOpusComments* comments = ope_comments_create();
    ope_comments_add(comments, "TITLE", title.toUtf8().constData());
    ope_comments_add(comments, "ENCODER", "Auralis");
    const OpusEncCallbacks callbacks = {&OpusChunkEncoder::onWrite, &OpusChunkEncoder::onClose};
    int error = OPE_OK;
    m_encoder = ope_encoder_create_callbacks(&callbacks, this, comments, protocol::kSampleRate,
                                             protocol::kChannels, 0, &error);
    ope_comments_destroy(comments);
    if (m_encoder == nullptr) {
        m_error = QString("libopusenc: %1").arg(ope_strerror(error));
        return;
    }
    // Packets leave as soon as they are encoded (libopusenc otherwise holds up to 2 s back to
    // choose frame sizes): a chunk's packets are its own audio, give or take the codec's
    // few milliseconds of lookahead. Pages of one chunk (4800 samples at 48 kHz): a player
    // joining mid-stream starts within 100 ms. Packets of 20 ms.
    if (ope_encoder_ctl(m_encoder, OPUS_SET_BITRATE(bitrate)) != OPE_OK ||
        ope_encoder_ctl(m_encoder, OPE_SET_DECISION_DELAY(0)) != OPE_OK ||
        ope_encoder_ctl(m_encoder, OPE_SET_MUXING_DELAY(4800)) != OPE_OK) {
        m_error = QString("libopusenc refused bitrate %1").arg(bitrate);
        ope_encoder_destroy(m_encoder);
        m_encoder = nullptr;
        return;
    }
    m_pages = &m_header;
    ope_encoder_flush_header(m_encoder);
    m_pages = nullptr;
    // After the header: only audio packets reach the packet callback.
    ope_encoder_ctl(m_encoder, OPE_SET_PACKET_CALLBACK(&OpusChunkEncoder::onPacket, this));
}

OpusChunkEncoder::~OpusChunkEncoder() {
    if (m_encoder != nullptr) {
        ope_encoder_destroy(m_encoder);
    }
}

OpusChunkEncoder::Output OpusChunkEncoder::encode(const std::int16_t* interleaved, int frames) {
    Output out;
    if (m_encoder == nullptr) {
        return out;
    }
    const auto t0 = std::chrono::steady_clock::now();
    m_packets.clear();
    m_pages = &out.pages;
    ope_encoder_write(m_encoder, interleaved, frames);
    m_pages = nullptr;
    out.packets = m_packets;
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return out;
}

} // namespace auralis::core
