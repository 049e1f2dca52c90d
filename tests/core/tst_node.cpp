// The node over real sockets on 127.0.0.1 (port 0): broadcast to every listener, pacing,
// underruns, bad input, slow listeners, control, HTTP API, shutdown.
#include "../common/epoll_test_main.h"
#include "client/loadgen.h"
#include "node_harness.h"

#include <QJsonArray>

#include <numeric>
#include <set>

using namespace auralis;
using namespace auralis::core;
using namespace auralis::client;
using namespace auralis::test;

namespace {

// A well-behaved listener that must keep receiving on time while others misbehave.
struct Monitor {
    explicit Monitor(const Node& node, const QString& id = "monitor")
        : listener(makeOptions(node, id), clock) {
        listener.start();
    }
    static ListenerClient::Options makeOptions(const Node& node, const QString& id) {
        ListenerClient::Options o;
        o.url = streamUrl(node);
        o.format = protocol::Format::Binary;
        o.tier = protocol::Tier::Minimal;
        o.clientId = id;
        o.reconnect = false;
        return o;
    }
    SteadyClock clock;
    ListenerClient listener;
};

// The bystander's audio stays whole while others misbehave: the next 10 chunks arrive, in
// order, with no gap and no silence, and its playout (a 500 ms buffer, the minimal tier)
// never ran dry. Single arrival times are not judged: pacing may send 0 or 2 chunks at a
// deadline to hold the listener's lead, and a busy machine delays wake-ups; what a listener
// hears is whether its buffer ran out.
void expectOnTime(Monitor& m) {
    const auto before = m.listener.stats().chunks;
    QTRY_VERIFY_WITH_TIMEOUT(m.listener.stats().chunks >= before + 10, kPatienceMs);
    const client::ListenerStats& s = m.listener.stats();
    QCOMPARE(s.gaps, std::uint64_t{0});
    QCOMPARE(s.outOfOrder, std::uint64_t{0});
    QCOMPARE(s.serverUnderruns, std::uint64_t{0});
    QCOMPARE(s.playoutUnderruns, std::uint64_t{0});
}

QJsonObject status(const Node& node) {
    return QJsonDocument::fromJson(httpRequest(node, "GET", "/api/status").body).object();
}

QJsonObject clientStatus(const Node& node, const QString& id) {
    for (const QJsonValue c : status(node).value("clients").toArray()) {
        if (c.toObject().value("client_id").toString() == id) {
            return c.toObject();
        }
    }
    return {};
}

} // namespace

class TestNode : public QObject {
    Q_OBJECT
private slots:
    void everyListenerGetsEveryChunk() {
        auto node = startNode();
        SteadyClock clock;
        std::vector<std::unique_ptr<ListenerClient>> listeners;
        std::vector<std::map<qint64, QByteArray>> received(3);
        std::vector<std::vector<qint64>> arrivals(3);
        const protocol::Format formats[] = {protocol::Format::Json, protocol::Format::Binary,
                                            protocol::Format::Json};
        for (int i = 0; i < 3; ++i) {
            ListenerClient::Options o;
            o.url = streamUrl(*node);
            o.format = formats[i];
            o.reconnect = false;
            listeners.push_back(std::make_unique<ListenerClient>(o, clock));
            connect(listeners.back().get(), &ListenerClient::audio, this,
                    [&, i](qint64 seq, const QByteArray& pcm, bool) {
                        received[static_cast<std::size_t>(i)][seq] = pcm;
                        arrivals[static_cast<std::size_t>(i)].push_back(clock.nowUs());
                    });
            listeners.back()->start();
        }
        QTRY_VERIFY_WITH_TIMEOUT(std::all_of(received.begin(), received.end(),
                                             [](const auto& r) { return r.size() >= 40; }),
                                 10000);
        QCOMPARE(node->listenerCount(), 3);
        for (int i = 0; i < 3; ++i) {
            const ListenerStats& s = listeners[static_cast<std::size_t>(i)]->stats();
            QCOMPARE(s.gaps, std::uint64_t{0});
            QCOMPARE(s.outOfOrder, std::uint64_t{0});
            QCOMPARE(s.serverUnderruns, std::uint64_t{0});
            for (const auto& [seq, pcm] : received[static_cast<std::size_t>(i)]) {
                QCOMPARE(pcm.size(), protocol::kChunkBytes); // 4410 stereo s16 frames
            }
            // Cadence after the initial burst (10 chunks): 10 per second.
            const auto& t = arrivals[static_cast<std::size_t>(i)];
            const double seconds = static_cast<double>(t.back() - t[11]) / 1e6;
            const double rate = static_cast<double>(t.size() - 12) / seconds;
            QVERIFY2(rate > 9.0 && rate < 11.0, qPrintable(QString("rate %1/s").arg(rate)));
        }
        // The same seq carries the same bytes for everyone, JSON or binary.
        int compared = 0;
        for (const auto& [seq, pcm] : received[0]) {
            for (int i = 1; i < 3; ++i) {
                const auto it = received[static_cast<std::size_t>(i)].find(seq);
                if (it != received[static_cast<std::size_t>(i)].end()) {
                    QCOMPARE(it->second, pcm);
                    ++compared;
                }
            }
        }
        QVERIFY(compared >= 60);
        QVERIFY(!std::all_of(received[0].begin()->second.begin(), received[0].begin()->second.end(),
                             [](char c) { return c == 0; })); // it is music, not silence
    }

    void listenersAreSpreadOverIoThreadsAndCountedAsOneNode() {
        // Three I/O loops: six listeners, two on each (the one with the fewest first), every
        // one streaming whole; the contract's metrics count them as one node (the connections,
        // a depth and an underrun series for each), and one that leaves takes its place and
        // its series with it.
        NodeConfig config;
        config.ioThreads = 3;
        auto node = startNode(config);
        std::vector<std::unique_ptr<Monitor>> monitors;
        for (int i = 0; i < 6; ++i) {
            monitors.push_back(std::make_unique<Monitor>(*node, QString("io-%1").arg(i)));
        }
        for (auto& m : monitors) {
            expectOnTime(*m);
        }
        QCOMPARE(node->ioLoopListeners(), (std::vector<int>{2, 2, 2}));
        std::map<QString, int> loopOf;
        for (const QJsonValue c : status(*node).value("clients").toArray()) {
            loopOf[c.toObject().value("client_id").toString()] =
                c.toObject().value("io_thread").toInt();
        }
        QCOMPARE(loopOf.size(), std::size_t{6});
        QCOMPARE(status(*node).value("listeners").toObject().value("per_io_thread").toArray(),
                 (QJsonArray{2, 2, 2}));
        std::string text = node->scrapeMetrics();
        QVERIFY(text.find("\nactive_websocket_connections 6\n") != std::string::npos);
        for (int i = 0; i < 6; ++i) {
            const std::string id = "\"io-" + std::to_string(i) + "\"}";
            QVERIFY(text.find("\nbuffer_depth_chunks{client_id=" + id) != std::string::npos);
            QVERIFY(text.find("\nbuffer_underruns_total{client_id=" + id + " 0\n") !=
                    std::string::npos);
        }

        // One listener of each loop leaves.
        std::set<int> emptied;
        std::vector<QString> left;
        for (const auto& [id, loop] : loopOf) {
            if (emptied.insert(loop).second) {
                left.push_back(id);
            }
        }
        QCOMPARE(left.size(), std::size_t{3});
        for (const QString& id : left) {
            const auto it = std::find_if(monitors.begin(), monitors.end(), [&](const auto& m) {
                return m->listener.options().clientId == id;
            });
            QVERIFY(it != monitors.end());
            monitors.erase(it);
        }
        QTRY_COMPARE(node->listenerCount(), 3);
        QCOMPARE(node->ioLoopListeners(), (std::vector<int>{1, 1, 1}));
        text = node->scrapeMetrics();
        QVERIFY(text.find("\nactive_websocket_connections 3\n") != std::string::npos);
        for (const auto& [id, loop] : loopOf) {
            const bool gone = std::find(left.begin(), left.end(), id) != left.end();
            QCOMPARE(text.find("client_id=\"" + id.toStdString() + "\"") == std::string::npos,
                     gone);
        }
        for (auto& m : monitors) {
            expectOnTime(*m);
        }
    }

    void listenersWhoJoinTogetherAreSpreadOverThePacingPhases() {
        NodeConfig config;
        config.pacingSlotUs = 25'000; // four phases: 0, 25, 50 and 75 ms
        auto node = startNode(config);
        std::vector<std::unique_ptr<Peer>> peers;
        for (int i = 0; i < 8; ++i) { // all at once, as after a restart
            peers.push_back(std::make_unique<Peer>(streamUrl(*node, "format=binary")));
        }
        QTRY_VERIFY_WITH_TIMEOUT(std::all_of(peers.begin(), peers.end(),
                                             [](const auto& p) { return p->seqs.size() >= 25; }),
                                 kPatienceMs);
        // Balanced within each I/O loop (each has its own wake-ups): one loop, two on each phase.
        const auto perPhase = [&] {
            std::map<std::pair<int, double>, int> n;
            for (const QJsonValue c : status(*node).value("clients").toArray()) {
                const QJsonObject o = c.toObject();
                ++n[{o.value("io_thread").toInt(), o.value("pacing_phase_ms").toDouble()}];
            }
            return n;
        };
        // Each loop's listeners differ by at most one from phase to phase; with one loop, two
        // on each of the four.
        const auto balanced = [](const std::map<std::pair<int, double>, int>& spread) {
            std::map<int, std::vector<int>> perLoop;
            for (const auto& [key, count] : spread) {
                perLoop[key.first].push_back(count);
            }
            int total = 0;
            for (auto& [loop, counts] : perLoop) {
                counts.resize(4, 0); // the phases no one of that loop is on
                if (*std::max_element(counts.begin(), counts.end()) -
                        *std::min_element(counts.begin(), counts.end()) >
                    1) {
                    return false;
                }
                total += std::accumulate(counts.begin(), counts.end(), 0);
            }
            const std::map<std::pair<int, double>, int> even{
                {{0, 0.0}, 2}, {{0, 25.0}, 2}, {{0, 50.0}, 2}, {{0, 75.0}, 2}};
            return total == 8 && (perLoop.size() > 1 || spread == even);
        };
        QVERIFY(balanced(perPhase()));
        for (const auto& p : peers) { // paced on a shared phase, still every chunk in order
            for (std::size_t k = 1; k < p->seqs.size(); ++k) {
                QCOMPARE(p->seqs[k], p->seqs[k - 1] + 1);
            }
        }
        // A listener that leaves frees its phase for the next one.
        const QString firstPhase = QString::number(status(*node)
                                                       .value("clients")
                                                       .toArray()[0]
                                                       .toObject()
                                                       .value("pacing_phase_ms")
                                                       .toDouble());
        peers.erase(peers.begin());
        QTRY_COMPARE(node->listenerCount(), 7);
        Peer next(streamUrl(*node, "format=binary"));
        QTRY_COMPARE(node->listenerCount(), 8);
        QVERIFY2(balanced(perPhase()), qPrintable("freed phase " + firstPhase));
    }

    void welcomeDescribesTheStream() {
        auto node = startNode();
        Peer peer(streamUrl(*node, "client_id=alice&format=binary&tier=stable"));
        QTRY_VERIFY(peer.has("welcome"));
        const QJsonObject w = peer.find("welcome");
        QCOMPARE(w.value("protocol").toInt(), 1);
        QCOMPARE(w.value("client_id").toString(), QString("alice"));
        QCOMPARE(w.value("format").toString(), QString("binary"));
        QCOMPARE(w.value("tier").toString(), QString("stable"));
        QCOMPARE(w.value("target_ms").toInt(), 2000);
        const QJsonObject audio = w.value("audio").toObject();
        QCOMPARE(audio.value("sample_rate").toInt(), 44100);
        QCOMPARE(audio.value("channels").toInt(), 2);
        QCOMPARE(audio.value("frames_per_chunk").toInt(), 4410);
        QCOMPARE(audio.value("encoding").toString(), QString("s16le"));
        QVERIFY(w.value("params").toObject().contains("bpm"));
        // The initial burst fills the 2 s jitter buffer right away.
        QTRY_VERIFY(peer.seqs.size() >= 20);
        QCOMPARE(peer.seqs[19] - peer.seqs[0], qint64{19});
    }

    void badQueryValuesGetWarningsNotRefusal() {
        auto node = startNode();
        Peer peer(streamUrl(*node, "client_id=bad%20id&format=mp3&tier=huge"));
        QTRY_VERIFY(peer.has("welcome"));
        QTRY_COMPARE(static_cast<int>(std::count_if(
                         peer.messages.begin(), peer.messages.end(),
                         [](const auto& m) { return m.value("type").toString() == "warning"; })),
                     3);
        const QJsonObject w = peer.find("welcome");
        QVERIFY(w.value("client_id").toString().startsWith("c-"));
        QCOMPARE(w.value("format").toString(), QString("json"));
        QCOMPARE(w.value("tier").toString(), QString("normal"));
    }

    void underrunSendsSilenceAndAWarning() {
        auto gate = std::make_shared<GatedRenderer::Gate>();
        gate->allowed = 1; // the first phrase renders, the next one is held back
        NodeConfig config;
        config.params.bpm = 120; // 4 s phrases
        config.extraLeadChunks = 0;
        config.rendererFactory = [gate] { return std::make_unique<GatedRenderer>(gate); };
        auto node = startNode(config);
        Monitor m(*node, "starved");
        QTRY_VERIFY_WITH_TIMEOUT(m.listener.stats().serverUnderruns >= 1, kPatienceMs);
        QTRY_VERIFY(m.listener.stats().warnings >= 1);
        QCOMPARE(m.listener.stats().gaps, std::uint64_t{0}); // silence keeps the timeline whole
        const QJsonObject c = clientStatus(*node, "starved");
        QVERIFY(c.value("underruns").toInt() >= 1);
        gate->release();
        // Rendering resumes: real chunks flow again.
        const auto before = m.listener.stats().serverUnderruns;
        QTRY_VERIFY_WITH_TIMEOUT(m.listener.stats().chunks > 60, kPatienceMs);
        QVERIFY(m.listener.stats().serverUnderruns >= before);
        node->shutdown(0);
    }

    void badMessagesGetErrorsAndHarmNoOne_data() {
        QTest::addColumn<QByteArray>("message");
        QTest::addColumn<QString>("code");
        QTest::addColumn<QString>("field");
        QTest::newRow("invalid json") << QByteArray("{nope") << "invalid_json"
                                      << "";
        QTest::newRow("not an object") << QByteArray("[1,2]") << "invalid_json"
                                       << "";
        QTest::newRow("missing type") << QByteArray("{\"bpm\":60}") << "invalid_value"
                                      << "type";
        QTest::newRow("unknown type") << QByteArray("{\"type\":\"dance\"}") << "unknown_type"
                                      << "type";
        QTest::newRow("bpm 500") << QByteArray("{\"type\":\"control\",\"bpm\":500}")
                                 << "invalid_value"
                                 << "bpm";
        QTest::newRow("bpm 0") << QByteArray("{\"type\":\"control\",\"bpm\":0}") << "invalid_value"
                               << "bpm";
        QTest::newRow("mode") << QByteArray("{\"type\":\"control\",\"mode\":\"blues\"}")
                              << "invalid_value"
                              << "mode";
        QTest::newRow("key 13") << QByteArray("{\"type\":\"control\",\"key\":13}")
                                << "invalid_value"
                                << "key";
        QTest::newRow("intensity 2")
            << QByteArray("{\"type\":\"control\",\"intensity\":2}") << "invalid_value"
            << "intensity";
        QTest::newRow("unknown field")
            << QByteArray("{\"type\":\"control\",\"volume\":1}") << "unknown_field"
            << "volume";
        QTest::newRow("empty control") << QByteArray("{\"type\":\"control\"}") << "empty_control"
                                       << "";
        QTest::newRow("bad tier") << QByteArray("{\"type\":\"tier\",\"tier\":\"huge\"}")
                                  << "invalid_value"
                                  << "tier";
        QTest::newRow("bad report")
            << QByteArray("{\"type\":\"report\",\"buffer_ms\":-5,\"underruns\":0}")
            << "invalid_value"
            << "buffer_ms";
        QTest::newRow("bad report count")
            << QByteArray("{\"type\":\"report\",\"buffer_ms\":5,\"underruns\":1.5}")
            << "invalid_value"
            << "underruns";
    }
    void badMessagesGetErrorsAndHarmNoOne() {
        QFETCH(QByteArray, message);
        QFETCH(QString, code);
        QFETCH(QString, field);
        auto node = startNode();
        Monitor m(*node);
        QTRY_VERIFY(m.listener.stats().chunks >= 5);
        const auto params = node->scheduler().pendingParams();
        Peer peer(streamUrl(*node));
        QTRY_VERIFY(peer.has("welcome"));
        peer.ws.sendText(message);
        QTRY_VERIFY(peer.has("error"));
        const QJsonObject e = peer.find("error");
        QCOMPARE(e.value("code").toString(), code);
        QCOMPARE(e.value("field").toString(), field);
        QVERIFY(!e.value("message").toString().isEmpty());
        QVERIFY(peer.open); // a bad message is answered, not punished
        QCOMPARE(node->scheduler().pendingParams(), params); // nothing applied
        expectOnTime(m);
    }

    void binaryFromAClientIsRefused() {
        auto node = startNode();
        Peer peer(streamUrl(*node));
        QTRY_VERIFY(peer.open);
        peer.ws.sendBinary("abc");
        QTRY_VERIFY(peer.has("error", "unsupported"));
    }

    // Every close the node starts reaches a peer that is still sending when it happens: the
    // node keeps reading (and dropping) after its close frame, so the peer gets the code and
    // never a reset (which makes many clients lose the close frame: 1006). Each row makes the
    // node close for its own reason; the peer goes on sending for 100 more rounds after the
    // close frame arrived, then closes its side, and the node's side ends with a FIN.
    void closeCodesReachAPeerStillSending_data() {
        QTest::addColumn<QString>("cause");
        QTest::addColumn<int>("code");
        QTest::newRow("oversized message") << "oversized" << 1009;
        QTest::newRow("message flood") << "flood" << 1008;
        QTest::newRow("ping flood") << "pings" << 1008;
        QTest::newRow("server full") << "full" << 1013;
        QTest::newRow("shutdown") << "shutdown" << 1001;
        QTest::newRow("unmasked frame") << "unmasked" << 1002;
        QTest::newRow("reserved bits") << "rsv" << 1002;
        QTest::newRow("text not UTF-8") << "utf8" << 1007;
    }
    void closeCodesReachAPeerStillSending() {
        QFETCH(QString, cause);
        QFETCH(int, code);
        NodeConfig config;
        config.maxClients = cause == "full" ? 1 : 8;
        config.closeTimeoutMs = 30000; // the peer, not a timeout, ends each connection here
        auto node = startNode(config);
        std::unique_ptr<Peer> first;
        if (cause == "full") {
            first = std::make_unique<Peer>(streamUrl(*node));
            QTRY_VERIFY(first->has("welcome"));
        }
        RawPeer peer(node->port());
        QTRY_VERIFY(peer.open);
        peer.startChattering();
        if (cause == "oversized") {
            peer.sendText(QByteArray(1024 * 1024, 'x'));
        } else if (cause == "flood") {
            for (int i = 0; i < 200; ++i) {
                peer.sendText("{\"type\":\"ping\",\"client_time\":1}");
            }
        } else if (cause == "pings") {
            for (int i = 0; i < 200; ++i) {
                peer.sendFrame(ws::Opcode::Ping, "are you there");
            }
        } else if (cause == "shutdown") {
            node->shutdown(100, "maintenance");
        } else if (cause == "unmasked") {
            peer.sendFrame(ws::Opcode::Text, "{\"type\":\"ping\"}", false);
        } else if (cause == "rsv") {
            peer.write(QByteArray::fromHex("c1") + // FIN + RSV1, text
                       ws::encodeFrame(ws::Opcode::Text, "{}").mid(1));
        } else if (cause == "utf8") {
            peer.sendText("{\"type\":\"\xff\xfe\"}");
        }
        QTRY_VERIFY_WITH_TIMEOUT(peer.closeCode >= 0 || peer.resetErrno != 0, kPatienceMs);
        QCOMPARE(peer.closeCode, code);
        // The node has half-closed but still reads: the peer's sends all go through.
        const int rounds = peer.chatterRounds;
        QTRY_VERIFY_WITH_TIMEOUT(peer.chatterRounds >= rounds + 100 || peer.resetErrno != 0,
                                 kPatienceMs);
        QCOMPARE(peer.resetErrno, 0);
        QVERIFY(peer.eof); // the node's side is closed (FIN after its close frame)
        peer.finish();
        QTRY_COMPARE_WITH_TIMEOUT(node->listenerCount(), cause == "full" ? 1 : 0, kPatienceMs);
    }

    // HTTP errors sent while the client is still sending (a body over the limit) arrive too:
    // the node reads and drops the rest instead of resetting the connection.
    void anHttpErrorReachesAClientStillSending() {
        auto node = startNode();
        RawPeer peer(node->port(), {},
                     "POST /api/control HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n");
        peer.startChattering();
        QTRY_VERIFY_WITH_TIMEOUT(peer.handshake.contains("\r\n\r\n") || peer.resetErrno != 0,
                                 kPatienceMs);
        QVERIFY2(peer.handshake.startsWith("HTTP/1.1 413"), peer.handshake.constData());
        const int rounds = peer.chatterRounds;
        QTRY_VERIFY_WITH_TIMEOUT(peer.chatterRounds >= rounds + 100 || peer.resetErrno != 0,
                                 kPatienceMs);
        QCOMPARE(peer.resetErrno, 0);
        QTRY_VERIFY(peer.eof);
        QVERIFY(peer.handshake.contains("too_large"));
    }

    void aListenerThatClosesIsGoneCleanly() {
        // The client side of the closing handshake: it keeps reading until the node answers.
        auto node = startNode();
        Peer peer(streamUrl(*node, "client_id=leaving"));
        QTRY_VERIFY(peer.seqs.size() >= 12);
        QSignalSpy left(node.get(), &Node::listenerLeft);
        peer.ws.close(1000, "bye");
        QTRY_COMPARE(peer.closeCode, 1000);
        QTRY_COMPARE(left.count(), 1);
        QCOMPARE(node->listenerCount(), 0);
    }

    void aClosedPeerIsToldWhyByItsClient() {
        // The same through the listener-side client (WsClient): oversized message -> 1009.
        auto node = startNode();
        Monitor m(*node);
        Peer peer(streamUrl(*node));
        QTRY_VERIFY(peer.open);
        peer.ws.sendText(QByteArray(100 * 1024, 'x'));
        QTRY_COMPARE(peer.closeCode, 1009);
        expectOnTime(m);
    }

    void aFloodIsLimitedThenClosed1008() {
        auto node = startNode();
        Monitor m(*node);
        Peer peer(streamUrl(*node));
        QTRY_VERIFY(peer.open);
        for (int i = 0; i < 200; ++i) {
            peer.ws.sendText("{\"type\":\"ping\",\"client_time\":1}");
        }
        QTRY_VERIFY(peer.has("error", "rate_limited"));
        QTRY_COMPARE(peer.closeCode, 1008);
        QVERIFY(peer.has("pong"));
        expectOnTime(m);
    }

    void tooManyListenersAreTurnedAway() {
        NodeConfig config;
        config.maxClients = 2;
        auto node = startNode(config);
        Monitor m(*node);
        Peer second(streamUrl(*node));
        QTRY_VERIFY(second.has("welcome"));
        Peer third(streamUrl(*node));
        QTRY_COMPARE(third.closeCode, 1013);
        QVERIFY(third.has("error", "server_full"));
        QVERIFY(third.closeReason.contains("server full"));
        QCOMPARE(node->listenerCount(), 2);
        expectOnTime(m);
    }

    void slowAndSilentListenersAreBounded() {
        NodeConfig config;
        config.queueLimitChunks = 5;
        config.stallDisconnectMs = 1500;
        auto node = startNode(config);
        Monitor m(*node);
        Peer silent(streamUrl(*node, "client_id=silent&format=binary"));
        QTRY_VERIFY(silent.open);
        silent.ws.setReading(false);
        // While it does not read, its backlog stays bounded and chunks are dropped for it.
        QTRY_VERIFY_WITH_TIMEOUT(clientStatus(*node, "silent").value("dropped").toInt() > 0,
                                 kPatienceMs);
        for (const ListenerInfo& i : node->listeners()) {
            if (i.id == "silent") {
                QVERIFY2(i.queuedBytes <=
                             6 * (protocol::kChunkBytes + protocol::kBinaryHeaderBytes),
                         qPrintable(QString::number(i.queuedBytes)));
            }
        }
        expectOnTime(m);
        // Past the bound it is disconnected; everyone else carries on.
        QTRY_VERIFY_WITH_TIMEOUT(clientStatus(*node, "silent").isEmpty(), kPatienceMs);
        QCOMPARE(node->listenerCount(), 1);
        expectOnTime(m);
    }

    void controlOverWebSocketAppliesAtTheNextPhrase() {
        auto node = startNode();
        Peer peer(streamUrl(*node));
        QTRY_VERIFY(peer.has("welcome"));
        const double oldBpm = node->scheduler().pendingParams().bpm;
        peer.ws.sendText("{\"type\":\"control\",\"id\":7,\"bpm\":100,\"mode\":\"lydian\"}");
        QTRY_VERIFY(peer.has("control_ack"));
        const QJsonObject ack = peer.find("control_ack");
        QCOMPARE(ack.value("id").toInt(), 7);
        QCOMPARE(ack.value("params").toObject().value("bpm").toDouble(), 100.0);
        QCOMPARE(ack.value("params").toObject().value("mode").toString(), QString("lydian"));
        const auto frame =
            static_cast<qint64>(std::llround(ack.value("applies_at_ms").toDouble() * 44.1));
        expectPhraseBoundary(*node, frame, oldBpm, 100.0);
    }

    void controlOverHttpAppliesAtTheNextPhrase() {
        auto node = startNode();
        const double oldBpm = node->scheduler().pendingParams().bpm;
        const HttpResult r =
            httpRequest(*node, "POST", "/api/control", "{\"bpm\":64,\"key\":\"F#\"}");
        QCOMPARE(r.status, 200);
        const QJsonObject o = QJsonDocument::fromJson(r.body).object();
        QCOMPARE(o.value("ok").toBool(), true);
        QCOMPARE(o.value("params").toObject().value("key").toString(), QString("F#"));
        const auto frame =
            static_cast<qint64>(std::llround(o.value("applies_at_ms").toDouble() * 44.1));
        expectPhraseBoundary(*node, frame, oldBpm, 64.0);
        QCOMPARE(status(*node).value("pending_params").toObject().value("bpm").toDouble(), 64.0);
    }

    void httpApi() {
        auto node = startNode();
        HttpResult r = httpRequest(*node, "GET", "/health");
        QCOMPARE(r.status, 200);
        QCOMPARE(QJsonDocument::fromJson(r.body).object().value("status").toString(),
                 QString("ok"));
        r = httpRequest(*node, "GET", "/");
        QCOMPARE(r.status, 200);
        QVERIFY(r.contentType.startsWith("text/html"));
        QVERIFY(r.body.contains("Start listening"));
        r = httpRequest(*node, "GET", "/app.js");
        QCOMPARE(r.status, 200);
        QVERIFY(r.contentType.startsWith("text/javascript"));
        QVERIFY(r.body.contains("/ws/stream"));
        r = httpRequest(*node, "GET", "/worklet.js");
        QVERIFY(r.body.contains("registerProcessor('auralis-player'"));
        QCOMPARE(httpRequest(*node, "GET", "/style.css").contentType,
                 QByteArray("text/css; charset=utf-8"));
        r = httpRequest(*node, "GET", "/api/presets");
        QCOMPARE(r.status, 200);
        QCOMPARE(QJsonDocument::fromJson(r.body).object().value("presets").toArray().size(), 4);
        r = httpRequest(*node, "GET", "/nope");
        QCOMPARE(r.status, 404);
        r = httpRequest(*node, "DELETE", "/api/status");
        QCOMPARE(r.status, 405);
        QCOMPARE(r.allow, QByteArray("GET"));
        r = httpRequest(*node, "GET", "/api/control");
        QCOMPARE(r.status, 405);
        QCOMPARE(r.allow, QByteArray("POST"));
        // A body over 64 KiB is refused from its Content-Length, before it is sent.
        QTcpSocket raw;
        raw.connectToHost(QHostAddress::LocalHost, node->port());
        QVERIFY(raw.waitForConnected(kPatienceMs));
        raw.write("POST /api/control HTTP/1.1\r\nHost: x\r\nContent-Length: 70000\r\n\r\n");
        QTRY_VERIFY(raw.bytesAvailable() > 0 || raw.state() != QAbstractSocket::ConnectedState);
        raw.waitForReadyRead(1000);
        QVERIFY(raw.readAll().startsWith("HTTP/1.1 413 Payload Too Large"));
        r = httpRequest(*node, "POST", "/api/control", "{nope");
        QCOMPARE(r.status, 400);
        QCOMPARE(QJsonDocument::fromJson(r.body)
                     .object()
                     .value("error")
                     .toObject()
                     .value("code")
                     .toString(),
                 QString("invalid_json"));
        r = httpRequest(*node, "POST", "/api/control", "{\"bpm\":500}");
        QCOMPARE(r.status, 400);
        const QJsonObject e = QJsonDocument::fromJson(r.body).object().value("error").toObject();
        QCOMPARE(e.value("field").toString(), QString("bpm"));
        QVERIFY(e.value("message").toString().contains("40 to 120"));
        // A WebSocket upgrade anywhere but /ws/stream is a 404.
        Peer wrong(QUrl(QString("ws://127.0.0.1:%1/elsewhere").arg(node->port())));
        QTRY_VERIFY(wrong.failure.contains("404"));
    }

    void statusShowsListenersAndTheirReports() {
        auto node = startNode();
        Monitor m(*node, "reporter");
        QTRY_VERIFY_WITH_TIMEOUT(clientStatus(*node, "reporter").contains("report"), kPatienceMs);
        const QJsonObject c = clientStatus(*node, "reporter");
        QCOMPARE(c.value("tier").toString(), QString("minimal"));
        QVERIFY(c.value("chunks_sent").toInt() > 0);
        QVERIFY(c.value("report").toObject().value("buffer_ms").toDouble() >= 0);
        const QJsonObject s = status(*node);
        QCOMPARE(s.value("listeners").toObject().value("count").toInt(), 1);
        QCOMPARE(s.value("device").toObject().value("kind").toString(), QString("cpu"));
        QVERIFY(!s.value("device").toObject().value("reason").toString().isEmpty());
        QVERIFY(s.value("stream").toObject().value("rendered_ahead_ms").toDouble() > 3000);
    }

    void everyListenerHearsOfAParamsChange() {
        // A preset brings its own tempo and intensity; whoever changed it, every listener is
        // told the full new set (so every page and dashboard shows what the node plays).
        auto node = startNode();
        Peer a(streamUrl(*node));
        Peer b(streamUrl(*node, "format=binary"));
        QTRY_VERIFY(a.has("welcome") && b.has("welcome"));
        const HttpResult r = httpRequest(*node, "POST", "/api/control", R"({"preset":"sleep"})");
        QCOMPARE(r.status, 200);
        const synth::MusicParams sleep = synth::presetParams(synth::Preset::Sleep);
        for (Peer* p : {&a, &b}) {
            QTRY_VERIFY(p->has("params"));
            const auto change = protocol::parseParamsChanged(p->find("params"));
            QVERIFY(change);
            QCOMPARE(change->params.preset, synth::Preset::Sleep);
            QCOMPARE(change->params.bpm, sleep.bpm);
            QCOMPARE(change->params.intensity, sleep.intensity);
            QVERIFY(change->appliesAtSeq > 0);
        }
    }

    void bufferDepthIsWhatEachListenerHolds() {
        // buffer_depth_chunks per the contract's intent: how close that listener is to
        // running dry — about its tier's lead when healthy, 0 when it stopped reading.
        auto node = startNode();
        Peer normal(streamUrl(*node, "client_id=normal&format=binary"));
        Peer minimal(streamUrl(*node, "client_id=minimal&format=binary&tier=minimal"));
        RawPeer stalled(node->port(), "/ws/stream?client_id=stalled&format=binary", {}, nullptr,
                        4096);
        stalled.stopReading();
        const auto depth = [&](const QString& id) -> qint64 {
            for (const ListenerInfo& i : node->listeners()) {
                if (i.id == id) {
                    return i.depthChunks;
                }
            }
            return -1;
        };
        QTRY_VERIFY(normal.seqs.size() >= 20 && minimal.seqs.size() >= 15);
        QVERIFY2(depth("normal") >= 8 && depth("normal") <= 12,
                 qPrintable(QString::number(depth("normal"))));
        QVERIFY2(depth("minimal") >= 3 && depth("minimal") <= 7,
                 qPrintable(QString::number(depth("minimal"))));
        QTRY_COMPARE(depth("stalled"), qint64{0});
        // The same in /metrics, and the old meaning (the same for everyone) in its own series.
        const std::string text = node->scrapeMetrics();
        QVERIFY(text.find("buffer_depth_chunks{client_id=\"stalled\"} 0\n") != std::string::npos);
        const auto lead = text.find("\nauralis_synthesis_lead_chunks ");
        QVERIFY(lead != std::string::npos);
        QVERIFY(std::stod(text.substr(lead + 31)) > 35);

        // A listener that reports: its own word counts (25 chunks, where the node would
        // estimate about 10).
        normal.ws.sendText(R"({"type":"report","buffer_ms":2500,"underruns":0})");
        QTRY_COMPARE(depth("normal"), qint64{25});
        // /metrics has it from the report itself (the scrape's refresh leaves a fresh report's
        // depth alone), and the node's estimate again once the report is over 5 s old.
        const auto scraped = [&] {
            const std::string t = node->scrapeMetrics();
            const std::string key = "buffer_depth_chunks{client_id=\"normal\"} ";
            const auto at = t.find(key);
            return at == std::string::npos ? -1.0 : std::stod(t.substr(at + key.size()));
        };
        QCOMPARE(scraped(), 25.0);
        QTRY_VERIFY_WITH_TIMEOUT(scraped() >= 8 && scraped() <= 12, 8000);
    }

    void requestingATierGrowsTheBuffer() {
        auto node = startNode();
        Peer peer(streamUrl(*node, "client_id=grower&tier=minimal"));
        QTRY_VERIFY(peer.has("welcome"));
        peer.ws.sendText("{\"type\":\"tier\",\"tier\":\"defensive\"}");
        QTRY_VERIFY(peer.has("tier"));
        QCOMPARE(peer.find("tier").value("reason").toString(), QString("requested"));
        QCOMPARE(peer.find("tier").value("target_ms").toInt(), 3000);
        // The node sends one extra chunk per 100 ms until the listener is 3 s ahead.
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                for (const ListenerInfo& i : node->listeners()) {
                    if (i.id == "grower") {
                        return i.cursor - node->scheduler().liveSeq() >= 29;
                    }
                }
                return false;
            }(),
            6000);
    }

    void statusArrivesPeriodically() {
        NodeConfig config;
        config.statusIntervalMs = 300;
        auto node = startNode(config);
        Peer peer(streamUrl(*node, "tier=stable"));
        QTRY_VERIFY_WITH_TIMEOUT(
            std::count_if(peer.messages.begin(), peer.messages.end(),
                          [](const auto& m) { return m.value("type") == "status"; }) >= 2,
            3000);
        const QJsonObject st = peer.find("status");
        QCOMPARE(st.value("tier").toString(), QString("stable"));
        QCOMPARE(st.value("target_ms").toInt(), 2000);
        QVERIFY(st.value("depth_chunks").toInt() > 0);
        QVERIFY(st.value("seq").toInt() >= 19);
        QCOMPARE(st.value("underruns").toInt(), 0);
        QVERIFY(st.contains("jitter_ms"));
        QVERIFY(st.contains("dropped"));
    }

    void pingIsAnswered() {
        auto node = startNode();
        Peer peer(streamUrl(*node));
        QTRY_VERIFY(peer.open);
        peer.ws.sendText("{\"type\":\"ping\",\"client_time\":12345}");
        QTRY_VERIFY(peer.has("pong"));
        QCOMPARE(peer.find("pong").value("client_time").toInt(), 12345);
        QVERIFY(peer.find("pong").value("server_time").toDouble() > 1e12);
    }

    void shutdownTellsListenersThenCloses1001() {
        auto node = startNode();
        Peer peer(streamUrl(*node));
        QTRY_VERIFY(peer.has("welcome"));
        QSignalSpy stopped(node.get(), &Node::stopped);
        node->shutdown(300, "maintenance");
        QTRY_VERIFY(peer.has("shutdown"));
        QCOMPARE(peer.find("shutdown").value("drain_ms").toInt(), 300);
        QCOMPARE(peer.find("shutdown").value("reason").toString(), QString("maintenance"));
        QTRY_COMPARE(peer.closeCode, 1001);
        QTRY_COMPARE(stopped.count(), 1);
    }

    void loadGeneratorFindsNoGaps() {
        auto node = startNode();
        SteadyClock clock;
        LoadOptions o = loadOptions(*node, 20, 2);
        o.noReadFraction = 0.1; // two that never read
        LoadGenerator generator(o, clock);
        QSignalSpy finished(&generator, &LoadGenerator::finished);
        generator.start();
        QVERIFY(finished.wait(kPatienceMs));
        const QJsonObject summary = generator.summary();
        QCOMPARE(generator.exitCode(), 0);
        QCOMPARE(summary.value("reading_clients").toInt(), 18);
        const QJsonObject overall = summary.value("overall").toObject();
        QCOMPARE(overall.value("gaps").toInt(), 0);
        QVERIFY(overall.value("chunks").toInt() >= 18 * 25);
        QVERIFY(overall.value("first_audio_ms").toObject().value("p95").toDouble() < 1000);
    }

    void loadGeneratorSpreadsOverThreads() {
        // Three event-loop threads share 21 listeners round-robin; the summary lists them all
        // in id order, the totals are the same as from one thread, and each thread's own CPU
        // is reported.
        auto node = startNode();
        SteadyClock clock;
        LoadOptions o = loadOptions(*node, 21, 2);
        o.threads = 3;
        o.format = protocol::Format::Json; // chunks checked by size, not base64-decoded
        o.noReadFraction = 1.0 / 21;       // the last one never reads
        LoadGenerator generator(o, clock);
        QSignalSpy closed(&generator, &LoadGenerator::closed);
        generator.start();
        QVERIFY(closed.wait(kPatienceMs));
        const QJsonObject summary = generator.summary();
        QCOMPARE(generator.exitCode(), 0);
        QCOMPARE(summary.value("reading_clients").toInt(), 20);
        const QJsonArray listeners = summary.value("listeners").toArray();
        QCOMPARE(listeners.size(), 21);
        for (int i = 0; i < 21; ++i) {
            const QJsonObject l = listeners[i].toObject();
            QCOMPARE(l.value("client_id").toString(), QString("load-%1").arg(i));
            QCOMPARE(l.value("never_read").toBool(), i == 20);
            if (i < 20) {
                QVERIFY(l.value("chunks").toInt() >= 15);
                QCOMPARE(l.value("gaps").toInt(), 0);
            }
        }
        QVERIFY(summary.value("overall").toObject().value("chunks").toInt() >= 20 * 15);
        const QJsonObject g = summary.value("generator").toObject();
        QCOMPARE(g.value("threads").toInt(), 3);
        const QJsonArray threadCpu = g.value("thread_cpu_percent").toArray();
        QCOMPARE(threadCpu.size(), 3);
        for (const QJsonValue c : threadCpu) {
            QVERIFY(c.toDouble() > 0 && c.toDouble() < 100);
        }
        QVERIFY(g.value("cpu_percent").toDouble() > 0);
        QVERIFY(g.value("saturated").isBool());
    }

    void loadGeneratorSaysWhenItIsSaturated() {
        // The generator's first thread is this one: keep it busy (30 ms blocks, 5 ms apart)
        // and the run must say that its own timings are not to be trusted.
        auto node = startNode();
        SteadyClock clock;
        LoadOptions o = loadOptions(*node, 2, 1.5);
        LoadGenerator generator(o, clock);
        QTimer hog;
        hog.setInterval(5);
        connect(&hog, &QTimer::timeout, [&clock] {
            const qint64 until = clock.nowUs() + 30'000;
            while (clock.nowUs() < until) {
            }
        });
        QSignalSpy closed(&generator, &LoadGenerator::closed);
        generator.start();
        hog.start();
        QVERIFY(closed.wait(kPatienceMs));
        hog.stop();
        const GeneratorLoad g = generator.generatorLoad();
        QVERIFY2(g.saturated, qPrintable(QString("thread CPU %1 %, lag p95 %2 ms")
                                             .arg(g.threadCpuPercent.at(0))
                                             .arg(g.lagP95Ms)));
        QVERIFY(g.lagP95Ms >= GeneratorLoad::kSaturatedLagMs);
        QVERIFY(generator.summary().value("generator").toObject().value("saturated").toBool());
    }

private:
    static LoadOptions loadOptions(const Node& node, int clients, double seconds) {
        LoadOptions o;
        o.url = streamUrl(node);
        o.clients = clients;
        o.durationSeconds = seconds;
        return o;
    }

    void expectPhraseBoundary(Node& node, qint64 frame, double oldBpm, double newBpm) {
        // The phrase starting at the announced frame has the new tempo, the one before the old.
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                for (const auto& p : node.scheduler().recentPhrases()) {
                    if (p.startFrame == frame) {
                        return true;
                    }
                }
                return false;
            }(),
            20000);
        const auto phrases = node.scheduler().recentPhrases();
        for (std::size_t i = 1; i < phrases.size(); ++i) {
            if (phrases[i].startFrame == frame) {
                QCOMPARE(phrases[i].params.bpm, newBpm);
                QCOMPARE(phrases[i - 1].params.bpm, oldBpm);
                QCOMPARE(phrases[i - 1].startFrame + phrases[i - 1].frames, frame);
            }
        }
    }
};

AURALIS_TEST_MAIN(TestNode)
#include "tst_node.moc"
