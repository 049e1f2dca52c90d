// Opus on every path: the encoder and decoder round trip, format=opus on the WebSocket, and
// GET /stream.ogg decoded by an independent decoder (opusdec), including a listener who joins
// mid-stream and one who stops reading; Opus costs nothing until someone asks for it.
#include "../common/epoll_test_main.h"
#include "../common/ogg_checks.h"
#include "client/opus_decoder.h"
#include "core/opus_encoder.h"
#include "node_harness.h"

#include <QJsonArray>

using namespace auralis;
using namespace auralis::test;

namespace {

double metric(core::Node& node, const std::string& name) {
    const std::string text = node.scrapeMetrics();
    const auto at = text.find("\n" + name + " ");
    return at == std::string::npos ? -1 : std::stod(text.substr(at + name.size() + 2));
}

// An Ogg/Opus stream at the default 96 kbit/s: about 12.4 KB per second with Ogg framing.
constexpr qsizetype kOggBytesPerSecond = 12000;

} // namespace

class TestOgg : public QObject {
    Q_OBJECT

private slots:
    void encoderResamplesAndFramesChunks() {
        // A 440 Hz sine at 44.1 kHz must decode to 440 Hz at 48 kHz (unresampled it would be
        // 479 Hz), in 20 ms packets, five per 100 ms chunk.
        core::OpusChunkEncoder encoder(96000, "test");
        QVERIFY2(encoder.ok(), qPrintable(encoder.error()));
        QVERIFY(encoder.headerPages().startsWith("OggS"));
        QVERIFY(encoder.headerPages().contains("OpusHead"));
        QVERIFY(encoder.headerPages().contains("OpusTags"));
        client::OpusChunkDecoder decoder;
        std::vector<std::int16_t> pcm(protocol::kChunkFrames * 2);
        std::vector<std::int16_t> decoded;
        qint64 frame = 0;
        int packets = 0;
        for (int chunk = 0; chunk < 30; ++chunk) {
            for (int i = 0; i < protocol::kChunkFrames; ++i, ++frame) {
                const auto v = static_cast<std::int16_t>(
                    12000 * std::sin(2 * std::numbers::pi * 440.0 * static_cast<double>(frame) /
                                     protocol::kSampleRate));
                pcm[2 * static_cast<std::size_t>(i)] = v;
                pcm[2 * static_cast<std::size_t>(i) + 1] = v;
            }
            const core::OpusChunkEncoder::Output out =
                encoder.encode(pcm.data(), protocol::kChunkFrames);
            std::vector<QByteArray> split;
            QVERIFY(protocol::splitOpusPackets(out.packets, split));
            if (chunk > 0) {
                QCOMPARE(static_cast<int>(split.size()), 5);
            }
            packets += static_cast<int>(split.size());
            QByteArray chunkPcm;
            QVERIFY2(decoder.decode(out.packets, false, chunkPcm), qPrintable(decoder.error()));
            const auto* s = reinterpret_cast<const std::int16_t*>(chunkPcm.constData());
            decoded.insert(decoded.end(), s, s + chunkPcm.size() / 2);
        }
        QVERIFY(packets >= 148); // 150 packets of 20 ms, less the codec's start-up
        // Rising zero crossings of the left channel over the last two seconds.
        const std::size_t frames = decoded.size() / 2;
        const std::size_t from = frames - 96000;
        int crossings = 0;
        for (std::size_t i = from + 1; i < frames; ++i) {
            crossings += decoded[2 * (i - 1)] < 0 && decoded[2 * i] >= 0 ? 1 : 0;
        }
        const double hz = crossings / 2.0;
        QVERIFY2(std::abs(hz - 440.0) <= 2.0, qPrintable(QString("decoded %1 Hz").arg(hz)));
    }

    void malformedOpusPayloadsAreRefused() {
        std::vector<QByteArray> out;
        QByteArray payload;
        protocol::appendOpusPacket(payload, "abc", 3);
        QVERIFY(protocol::splitOpusPackets(payload, out));
        QCOMPARE(out.size(), std::size_t{1});
        QVERIFY(!protocol::splitOpusPackets(payload.left(4), out)); // length says 3, 2 follow
        QVERIFY(!protocol::splitOpusPackets(QByteArray("\x05", 1), out));
        client::OpusChunkDecoder decoder;
        QByteArray pcm;
        QVERIFY(!decoder.decode(payload.left(4), false, pcm));
        QVERIFY(decoder.decode({}, true, pcm)); // an underrun: 100 ms of silence at 48 kHz
        QCOMPARE(pcm.size(), qsizetype{4800 * 4});
    }

    void opusCostsNothingUntilAsked() {
        auto node = startNode();
        Peer pcm(streamUrl(*node, "format=binary"));
        QTRY_VERIFY(pcm.seqs.size() >= 15);
        QCOMPARE(metric(*node, "auralis_opus_encoding_duration_seconds_count"), 0.0);
        QCOMPARE(node->statusJson().value("opus").toObject().value("encoding").toBool(), false);

        Peer opus(streamUrl(*node, "format=opus"));
        QTRY_VERIFY(opus.seqs.size() >= 5);
        QVERIFY(metric(*node, "auralis_opus_encoding_duration_seconds_count") > 0);
        QCOMPARE(node->statusJson().value("opus").toObject().value("encoding").toBool(), true);
    }

    void opusListenerHearsTheNodesMusic() {
        core::NodeConfig config;
        config.params = synth::presetParams(synth::Preset::Focus);
        auto node = startNode(config);
        SteadyClock clock;
        client::ListenerClient::Options o;
        o.url = streamUrl(*node);
        o.format = protocol::Format::Opus;
        client::ListenerClient listener(o, clock);
        Decoded heard;
        heard.rate = protocol::kOpusSampleRate;
        std::vector<qint64> seqs;
        connect(&listener, &client::ListenerClient::audio, this,
                [&](qint64 seq, const QByteArray& pcm, bool) {
                    seqs.push_back(seq);
                    const auto* s = reinterpret_cast<const qint16*>(pcm.constData());
                    for (qsizetype i = 0; i + 1 < pcm.size() / 2; i += 2) {
                        heard.left.push_back(static_cast<float>(s[i]) / 32768.0f);
                        heard.right.push_back(static_cast<float>(s[i + 1]) / 32768.0f);
                    }
                });
        QJsonObject welcome;
        connect(&listener, &client::ListenerClient::welcomed, this,
                [&](const QJsonObject& w) { welcome = w; });
        listener.start();
        QTRY_VERIFY(heard.seconds() >= 6.0);
        QCOMPARE(welcome.value("format").toString(), QString("opus"));
        for (std::size_t i = 1; i < seqs.size(); ++i) {
            QCOMPARE(seqs[i], seqs[i - 1] + 1);
        }
        QCOMPARE(listener.stats().serverUnderruns, std::uint64_t{0});
        QCOMPARE(listener.stats().errors, std::uint64_t{0});
        const synth::MusicParams p = node->scheduler().currentParams();
        const QString verdict = checkMusic(heard, p.key, p.mode);
        QVERIFY2(verdict.isEmpty(), qPrintable(verdict));
        // Each message carries about 100 ms of Opus at 96 kbit/s, not 17.6 KB of PCM.
        const auto info = node->listeners();
        QCOMPARE(info.size(), std::size_t{1});
        QCOMPARE(info[0].format, QString("opus"));
        listener.stop();
        QTRY_VERIFY(!listener.isConnected());
    }

    void streamOggPlaysInAnIndependentDecoder() {
        core::NodeConfig config;
        config.params = synth::presetParams(synth::Preset::Focus);
        auto node = startNode(config);
        StreamReader first(node->port());
        QVERIFY(first.waitForBody(3 * kOggBytesPerSecond));
        // A second listener joins mid-stream: it gets the headers, then pages from the live edge.
        StreamReader second(node->port());
        QTRY_COMPARE(node->httpStreamListenerCount(), 2);
        QCOMPARE(node->listenerCount(), 0); // not WebSocket listeners
        QVERIFY(second.waitForBody(5 * kOggBytesPerSecond));
        QVERIFY(first.waitForBody(8 * kOggBytesPerSecond));

        for (StreamReader* r : {&first, &second}) {
            QVERIFY2(r->head().startsWith("HTTP/1.1 200 OK"), r->head().constData());
            QVERIFY(r->head().contains("Content-Type: audio/ogg"));
            QVERIFY(r->body().startsWith("OggS"));
            const Decoded d = opusdec(r->body());
            QVERIFY2(d.error.isEmpty(), qPrintable(d.error));
            QCOMPARE(d.rate, 48000);
            QVERIFY2(d.seconds() >= 4.0, qPrintable(QString::number(d.seconds())));
            const synth::MusicParams p = node->scheduler().currentParams();
            const QString verdict = checkMusic(d, p.key, p.mode);
            QVERIFY2(verdict.isEmpty(), qPrintable(verdict));
            // The check tells keys apart: a semitone up shares two of seven notes.
            QVERIFY(inKeyShare(d, (p.key + 1) % 12, p.mode) < 0.7);
        }
        QVERIFY(metric(*node, "auralis_http_stream_sent_bytes_total") >=
                static_cast<double>(first.body().size() + second.body().size()));
        QCOMPARE(metric(*node, "auralis_http_stream_listeners"), 2.0);
        QCOMPARE(metric(*node, "active_websocket_connections"), 0.0);
        const QJsonObject http = node->statusJson().value("http_stream").toObject();
        QCOMPARE(http.value("count").toInt(), 2);
        first.socket.abort();
        QTRY_COMPARE(node->httpStreamListenerCount(), 1);
    }

    void streamOggHeadAndOtherMethods() {
        auto node = startNode();
        const HttpResult post = httpRequest(*node, "POST", "/stream.ogg", "{}");
        QCOMPARE(post.status, 405);
        QCOMPARE(post.allow, QByteArray("GET"));
        QNetworkAccessManager nam;
        QNetworkReply* head = nam.head(
            QNetworkRequest(QUrl(QString("http://127.0.0.1:%1/stream.ogg").arg(node->port()))));
        QTRY_VERIFY(head->isFinished());
        QCOMPARE(head->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        QCOMPARE(head->rawHeader("Content-Type"), QByteArray("audio/ogg"));
        QCOMPARE(head->readAll().size(), qsizetype{0});
        head->deleteLater();
        QCOMPARE(node->httpStreamListenerCount(), 0);
    }

    void anOggListenerThatStopsReadingIsBoundedAndCut() {
        core::NodeConfig config;
        config.stallDisconnectMs = 2000;
        config.socketSendBufferBytes = 8192;
        auto node = startNode(config);
        StreamReader bystander(node->port());
        // The stalled listener: a raw peer that never reads a byte.
        RawPeer stalled(node->port(), "/stream.ogg",
                        "GET /stream.ogg HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", nullptr, 4096);
        stalled.stopReading();
        QTRY_COMPARE(node->httpStreamListenerCount(), 2);
        // The node skips chunks for it, then cuts it; the bystander hears everything.
        QTRY_VERIFY(metric(*node, "auralis_http_stream_dropped_chunks_total") > 0);
        double maxQueued = 0;
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                for (const auto& l : node->statusJson()
                                         .value("http_stream")
                                         .toObject()
                                         .value("listeners")
                                         .toArray()) {
                    maxQueued = std::max(maxQueued, l.toObject().value("queued_bytes").toDouble());
                }
                return metric(*node, "auralis_http_stream_slow_disconnects_total") >= 1.0;
            }(),
            kPatienceMs);
        QTRY_COMPARE(node->httpStreamListenerCount(), 1);
        // Its backlog stayed within the queue limit (plus one chunk's pages).
        QVERIFY2(maxQueued <= (config.queueLimitChunks + 2) * 1400.0,
                 qPrintable(QString::number(maxQueued)));
        QVERIFY(bystander.waitForBody(bystander.body().size() + 2 * kOggBytesPerSecond));
        const Decoded d = opusdec(bystander.body());
        QVERIFY2(d.error.isEmpty(), qPrintable(d.error));
        QVERIFY(shape(d, 9600).longestSilenceMs <= 50);
    }
};

AURALIS_TEST_MAIN(TestOgg)
#include "tst_ogg.moc"
