// The node on a network: the operator token, cross-site and DNS-rebinding protection, strict
// HTTP, and attacks that must harm no one. Every attack runs beside a bystander listener that
// must stay whole (no gap in seq, no silence, no chunk later than 250 ms after the previous
// one) while the node's memory grows by at most 16 MB.
#include "../common/epoll_test_main.h"
#include "../common/memory.h"
#include "node_harness.h"

#include <QFile>
#include <QRegularExpression>

using namespace auralis;
using namespace auralis::core;
using namespace auralis::client;
using namespace auralis::test;

namespace {

const QByteArray kToken = "operator-token-0123456789abcdef";

// A listener that must not notice the attacks.
struct Bystander {
    explicit Bystander(const Node& node) : listener(options(node), clock) { listener.start(); }
    static ListenerClient::Options options(const Node& node) {
        ListenerClient::Options o;
        o.url = streamUrl(node);
        o.format = protocol::Format::Binary;
        o.tier = protocol::Tier::Minimal;
        o.clientId = "bystander";
        o.reconnect = false;
        return o;
    }
    /// From now on its arrivals count.
    void mark() {
        QTRY_VERIFY(listener.stats().chunks >= 8); // past the initial burst
        from = listener.stats().jitterMs.size();
        chunksAtMark = listener.stats().chunks;
    }
    SteadyClock clock;
    ListenerClient listener;
    std::size_t from = 0;
    std::uint64_t chunksAtMark = 0;
};

// Whole since mark(): at least `chunks` more arrived, none missing or silent, none more than
// 250 ms after the one before (its jitter is |interval - 100 ms|).
void expectWhole(Bystander& b, int chunks = 15) {
    QTRY_VERIFY(b.listener.stats().chunks >= b.chunksAtMark + static_cast<std::uint64_t>(chunks));
    const ListenerStats& s = b.listener.stats();
    QCOMPARE(s.gaps, std::uint64_t{0});
    QCOMPARE(s.serverUnderruns, std::uint64_t{0});
    QCOMPARE(s.playoutUnderruns, std::uint64_t{0});
    float worst = 0;
    for (std::size_t i = b.from; i < s.jitterMs.size(); ++i) {
        worst = std::max(worst, s.jitterMs[i]);
    }
    QVERIFY2(worst <= 150, qPrintable(QString("a gap of %1 ms").arg(100 + worst)));
}

double rssMb() {
    return rssMbOf();
}

// One HTTP exchange on a raw socket (the request should say Connection: close); the whole
// response as it arrived.
QByteArray exchange(quint16 port, const QByteArray& request, const char* from = nullptr) {
    RawPeer p(port, {}, request, from);
    [[maybe_unused]] const bool ended =
        QTest::qWaitFor([&] { return p.eof || p.resetErrno != 0; }, kPatienceMs);
    return p.handshake;
}

int statusOf(const QByteArray& response) {
    return response.mid(9, 3).toInt();
}

QByteArray headerOf(const QByteArray& response, const QByteArray& name) {
    for (const QByteArray& line : response.left(response.indexOf("\r\n\r\n")).split('\n')) {
        const qsizetype colon = line.indexOf(':');
        if (colon > 0 && line.left(colon).trimmed().toLower() == name.toLower()) {
            return line.mid(colon + 1).trimmed();
        }
    }
    return {};
}

QByteArray bodyOf(const QByteArray& response) {
    return response.mid(response.indexOf("\r\n\r\n") + 4);
}

QByteArray post(quint16 port, const QByteArray& body, const QByteArray& extraHeaders,
                const QByteArray& type = "application/json") {
    return exchange(port, "POST /api/control HTTP/1.1\r\nHost: 127.0.0.1:" +
                              QByteArray::number(port) + "\r\nContent-Type: " + type +
                              "\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n" +
                              extraHeaders + "Connection: close\r\n\r\n" + body);
}

NodeConfig withToken() {
    NodeConfig c;
    c.controlToken = kToken;
    return c;
}

} // namespace

class TestSecurity : public QObject {
    Q_OBJECT
private slots:
    // ---- the operator token ----------------------------------------------------------------

    void httpControlNeedsTheToken() {
        auto node = startNode(withToken());
        const auto before = node->scheduler().pendingParams();
        QByteArray r = post(node->port(), R"({"bpm":50})", {});
        QCOMPARE(statusOf(r), 401);
        QVERIFY(headerOf(r, "WWW-Authenticate").startsWith("Bearer"));
        r = post(node->port(), R"({"bpm":50})", "Authorization: Bearer wrong-token-0000000000\r\n");
        QCOMPARE(statusOf(r), 403);
        r = post(node->port(), R"({"bpm":50})", "Authorization: Basic dXNlcjpwYXNz\r\n");
        QCOMPARE(statusOf(r), 403);
        QCOMPARE(node->scheduler().pendingParams(), before); // nothing was applied
        r = post(node->port(), R"({"bpm":50})", "Authorization: Bearer " + kToken + "\r\n");
        QCOMPARE(statusOf(r), 200);
        QCOMPARE(node->scheduler().pendingParams().bpm, 50.0);
    }

    void listenerAddressesAreForTheOperator() {
        auto node = startNode(withToken());
        Peer listener(streamUrl(*node, "client_id=somebody"));
        QTRY_VERIFY(listener.has("welcome"));
        const QByteArray get =
            "GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
        const QJsonObject open =
            QJsonDocument::fromJson(bodyOf(exchange(node->port(), get + "\r\n"))).object();
        const QJsonObject client = open.value("clients").toArray().at(0).toObject();
        QCOMPARE(client.value("client_id").toString(), QString("somebody"));
        QVERIFY(!client.contains("remote"));
        QCOMPARE(open.value("control").toString(), QString("token"));
        const QJsonObject op =
            QJsonDocument::fromJson(bodyOf(exchange(node->port(), get + "Authorization: Bearer " +
                                                                      kToken + "\r\n\r\n")))
                .object();
        QVERIFY(
            op.value("clients").toArray().at(0).toObject().value("remote").toString().startsWith(
                "127.0.0.1:"));
    }

    void webSocketControlNeedsTheToken() {
        auto node = startNode(withToken());
        const QByteArray control = R"({"type":"control","bpm":55})";
        Peer anonymous(streamUrl(*node));
        QTRY_VERIFY(anonymous.has("welcome"));
        anonymous.ws.sendText(control);
        QTRY_VERIFY(anonymous.has("error", "unauthorized"));
        QVERIFY(!anonymous.has("control_ack"));

        Peer wrong(streamUrl(*node, "token=not-the-token-000000000000"));
        QTRY_VERIFY(wrong.has("welcome"));
        QVERIFY(wrong.has("warning", "invalid_query"));
        wrong.ws.sendText(control);
        QTRY_VERIFY(wrong.has("error", "forbidden"));

        Peer operatorPage(streamUrl(*node, "token=" + QString::fromUtf8(kToken)));
        QTRY_VERIFY(operatorPage.has("welcome"));
        operatorPage.ws.sendText(control);
        QTRY_VERIFY(operatorPage.has("control_ack"));

        // A token in a control message authorises the session from then on.
        Peer late(streamUrl(*node));
        QTRY_VERIFY(late.has("welcome"));
        late.ws.sendText(R"({"type":"control","bpm":60,"token":")" + kToken + R"("})");
        QTRY_VERIFY(late.has("control_ack"));
        late.messages.clear();
        late.ws.sendText(R"({"type":"control","bpm":61})");
        QTRY_VERIFY(late.has("control_ack"));
        QCOMPARE(node->scheduler().pendingParams().bpm, 61.0);
    }

    void aNodeWithoutATokenIsOpen() {
        auto node = startNode();
        QCOMPARE(statusOf(post(node->port(), R"({"bpm":70})", {})), 200);
    }

    // ---- cross-site requests and DNS rebinding ------------------------------------------------

    void crossSiteRequestsAreRefused() {
        NodeConfig config;
        config.allowedOrigins = {"https://studio.example"};
        auto node = startNode(config);
        const QByteArray own = "http://127.0.0.1:" + QByteArray::number(node->port());
        // A plain HTML form from another site: text/plain, no preflight.
        QCOMPARE(
            statusOf(post(node->port(), "bpm=50", "Origin: http://evil.example\r\n", "text/plain")),
            403);
        QCOMPARE(statusOf(post(node->port(), R"({"bpm":50})", "Origin: http://evil.example\r\n")),
                 403);
        QCOMPARE(statusOf(post(node->port(), R"({"bpm":50})", "Origin: null\r\n")), 403);
        QCOMPARE(statusOf(post(node->port(), R"({"bpm":50})", "Origin: " + own + "\r\n")), 200);
        QCOMPARE(
            statusOf(post(node->port(), R"({"bpm":51})", "Origin: https://studio.example\r\n")),
            200);
        // Without an Origin (curl, the dashboard): the body must still be JSON.
        QCOMPARE(statusOf(post(node->port(), "bpm=50", {}, "text/plain")), 415);
        // The stream from another site's page.
        const QByteArray upgrade = "GET /ws/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: "
                                   "websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
                                   "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
        QCOMPARE(statusOf(exchange(node->port(), upgrade + "Origin: http://evil.example\r\n\r\n")),
                 403);
        QCOMPARE(node->listenerCount(), 0);
    }

    void onlyItsOwnNamesReachTheNode_data() {
        QTest::addColumn<QByteArray>("hostLines");
        QTest::addColumn<int>("status");
        QTest::newRow("another name") << QByteArray("Host: evil.example\r\n") << 421;
        QTest::newRow("another name, a port") << QByteArray("Host: evil.example:8000\r\n") << 421;
        QTest::newRow("no Host") << QByteArray() << 400;
        QTest::newRow("two Hosts")
            << QByteArray("Host: 127.0.0.1\r\nHost: evil.example\r\n") << 400;
        QTest::newRow("garbage") << QByteArray("Host: a b\r\n") << 421;
        QTest::newRow("an IP") << QByteArray("Host: 127.0.0.1:1234\r\n") << 200;
        QTest::newRow("IPv6") << QByteArray("Host: [::1]:1234\r\n") << 200;
        QTest::newRow("localhost") << QByteArray("Host: localhost:1234\r\n") << 200;
        QTest::newRow("an allowed name") << QByteArray("Host: Auralis.Example:8000\r\n") << 200;
    }
    void onlyItsOwnNamesReachTheNode() {
        QFETCH(QByteArray, hostLines);
        QFETCH(int, status);
        NodeConfig config;
        config.allowedHosts = {"auralis.example"};
        auto node = startNode(config);
        const QByteArray r = exchange(node->port(), "GET /api/presets HTTP/1.1\r\n" + hostLines +
                                                        "Connection: close\r\n\r\n");
        QCOMPARE(statusOf(r), status);
    }

    // ---- strict HTTP --------------------------------------------------------------------------

    void conflictingLengthsAreRefused() {
        auto node = startNode();
        const QByteArray r =
            exchange(node->port(), "POST /api/control HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-"
                                   "Type: application/json\r\nContent-Length: 2\r\nContent-"
                                   "Length: 11\r\n\r\n{\"bpm\":50}");
        QCOMPARE(statusOf(r), 400);
        QVERIFY(bodyOf(r).contains("conflicting Content-Length"));
    }

    void headAnswersWhatGetWould() {
        auto node = startNode();
        const QByteArray get =
            exchange(node->port(),
                     "GET /api/presets HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        const QByteArray head =
            exchange(node->port(),
                     "HEAD /api/presets HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        QCOMPARE(statusOf(head), 200);
        QCOMPARE(headerOf(head, "Content-Length"), QByteArray::number(bodyOf(get).size()));
        QCOMPARE(headerOf(head, "Content-Type"), headerOf(get, "Content-Type"));
        QVERIFY(bodyOf(head).isEmpty());
        QVERIFY(headerOf(head, "X-Content-Length").isEmpty());
    }

    void thePageProtectsItself() {
        auto node = startNode();
        const QByteArray r = exchange(
            node->port(), "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        QCOMPARE(statusOf(r), 200);
        const QByteArray csp = headerOf(r, "Content-Security-Policy");
        QVERIFY2(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
                 csp.constData());
        QCOMPARE(headerOf(r, "X-Content-Type-Options"), QByteArray("nosniff"));
    }

    // ---- attacks that harm no one -----------------------------------------------------------

    void pipelinedRequestsThatAreNeverReadStarveNoOne() {
        // 8000 pipelined GET /metrics on each of two connections that never read: the node
        // answers one at a time as the client takes them, holds at most one response, and cuts
        // a connection whose response sits unsent past the write deadline.
        NodeConfig config;
        config.perAddress.requestsPerSecond = 0; // the rate limit would end this earlier
        config.httpWriteTimeoutMs = 1500;
        auto node = startNode(config);
        Bystander b(*node);
        b.mark();
        const double rss = rssMb();
        QByteArray flood;
        for (int i = 0; i < 8000; ++i) {
            flood += "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        }
        std::vector<std::unique_ptr<RawPeer>> attackers;
        for (int i = 0; i < 2; ++i) {
            attackers.push_back(std::make_unique<RawPeer>(node->port(), QByteArray(), flood));
            attackers.back()->stopReading();
        }
        expectWhole(b, 30);
        QVERIFY2(withinMemoryBound(rssMb() - rss, 16),
                 qPrintable(QString("+%1 MB").arg(rssMb() - rss)));
        // Past the write deadline both are cut: what they send then meets a reset.
        for (auto& a : attackers) {
            a->startChattering();
        }
        for (auto& a : attackers) {
            QTRY_VERIFY(a->resetErrno != 0);
        }
        expectWhole(b, 10);
    }

    void slowHeadersAreCutOff() {
        // 40 connections sending one header line every 300 ms, never finishing: each gets a 408
        // when its header deadline passes, however often it sends a byte.
        NodeConfig config;
        config.httpHeaderTimeoutMs = 1200;
        config.perAddress.connections = 0;
        auto node = startNode(config);
        Bystander b(*node);
        b.mark();
        std::vector<std::unique_ptr<RawPeer>> slow;
        for (int i = 0; i < 40; ++i) {
            slow.push_back(std::make_unique<RawPeer>(node->port(), QByteArray(),
                                                     "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
        }
        QTimer drip;
        int line = 0;
        connect(&drip, &QTimer::timeout, this, [&] {
            for (auto& p : slow) {
                p->write("X-Line-" + QByteArray::number(line) + ": a\r\n");
            }
            ++line;
        });
        drip.start(300);
        for (auto& p : slow) {
            QTRY_VERIFY(p->eof || p->resetErrno != 0);
            QCOMPARE(statusOf(p->handshake), 408);
        }
        expectWhole(b);
    }

    void reportedCountsCannotBeInflated() {
        auto node = startNode();
        RawPeer peer(node->port(), "/ws/stream?client_id=liar");
        QTRY_VERIFY(peer.open);
        const auto report = [&](const char* underruns) {
            peer.sendText(QByteArray(R"({"type":"report","buffer_ms":500,"underruns":)") +
                          underruns + "}");
        };
        const auto metric = [&] {
            const QRegularExpression re(
                R"(client_playout_underruns_total\{client_id="liar"\} (\S+))");
            return re.match(QString::fromStdString(node->scrapeMetrics())).captured(1).toDouble();
        };
        report("1e15");
        QTRY_COMPARE(metric(), 1e15);
        report("0"); // "reset" to inflate it again
        report("1e15");
        report("1e16"); // beyond what a JSON number holds exactly
        report("1.5");
        QTRY_VERIFY(std::count_if(peer.texts.begin(), peer.texts.end(), [](const QByteArray& t) {
                        return t.contains("\"invalid_value\"") && t.contains("underruns");
                    }) >= 3);
        QCOMPARE(metric(), 1e15);
    }

    void aPingFloodFromANonReaderIsClosed() {
        auto node = startNode();
        Bystander b(*node);
        b.mark();
        const double rss = rssMb();
        RawPeer flooder(node->port(), "/ws/stream?client_id=flooder");
        QTRY_VERIFY(flooder.open);
        flooder.stopReading();
        for (int i = 0; i < 20000; ++i) {
            flooder.sendFrame(ws::Opcode::Ping, "ping!");
        }
        QTRY_COMPARE(node->listenerCount(), 1); // only the bystander is left
        QVERIFY2(withinMemoryBound(rssMb() - rss, 16),
                 qPrintable(QString("+%1 MB").arg(rssMb() - rss)));
        expectWhole(b);
    }

    void oneAddressCannotTakeEveryListenerSlot() {
        NodeConfig config;
        config.maxClients = 5;
        config.perAddress.listeners = 2;
        auto node = startNode(config);
        std::vector<std::unique_ptr<RawPeer>> greedy;
        for (int i = 0; i < 5; ++i) {
            greedy.push_back(
                std::make_unique<RawPeer>(node->port(), "/ws/stream", QByteArray(), "127.0.0.7"));
        }
        for (std::size_t i = 0; i < greedy.size(); ++i) {
            QTRY_VERIFY(greedy[i]->open);
        }
        QTRY_VERIFY(std::count_if(greedy.begin(), greedy.end(),
                                  [](const auto& p) { return p->closeCode == 1013; }) == 3);
        QCOMPARE(node->listenerCount(), 2);
        // Everyone else still gets in.
        RawPeer other(node->port(), "/ws/stream", QByteArray(), "127.0.0.8");
        QTRY_VERIFY(!other.texts.empty());
        QVERIFY(other.texts.front().contains("\"welcome\""));
        QCOMPARE(node->listenerCount(), 3);
    }

    void idleHttpConnectionsNeverLockOutListeners() {
        NodeConfig config;
        config.maxHttpConnections = 8;
        config.perAddress.connections = 0;
        auto node = startNode(config);
        std::vector<std::unique_ptr<RawPeer>> idle;
        for (int i = 0; i < 8; ++i) {
            idle.push_back(std::make_unique<RawPeer>(node->port(), QByteArray(), "G", "127.0.0.9"));
        }
        QTRY_VERIFY(std::all_of(idle.begin(), idle.end(),
                                [](const auto& p) { return p->handshake.isEmpty() && !p->eof; }));
        Peer listener(streamUrl(*node));
        QTRY_VERIFY(listener.has("welcome"));
        QTRY_VERIFY(std::any_of(idle.begin(), idle.end(),
                                [](const auto& p) { return p->eof || p->resetErrno != 0; }));
    }

    void perAddressConnectionAndRequestLimits() {
        NodeConfig config;
        config.perAddress.connections = 3;
        config.perAddress.requestsPerSecond = 2;
        config.perAddress.requestBurst = 4;
        auto node = startNode(config);
        std::vector<std::unique_ptr<RawPeer>> open;
        for (int i = 0; i < 3; ++i) {
            open.push_back(
                std::make_unique<RawPeer>(node->port(), QByteArray(), "G", "127.0.0.10"));
        }
        QTest::qWait(100); // (let them be accepted before the fourth)
        const QByteArray fourth =
            exchange(node->port(), "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", "127.0.0.10");
        QCOMPARE(statusOf(fourth), 429);
        // Requests per second, from another address: the burst passes, then 429.
        int refused = 0;
        for (int i = 0; i < 8; ++i) {
            refused += statusOf(exchange(node->port(),
                                         "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: "
                                         "close\r\n\r\n",
                                         "127.0.0.11")) == 429;
        }
        QVERIFY2(refused >= 3, qPrintable(QString::number(refused)));
        // Others are not affected.
        QCOMPARE(statusOf(exchange(
                     node->port(),
                     "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                     "127.0.0.12")),
                 200);
    }
};

AURALIS_TEST_MAIN(TestSecurity)
#include "tst_security.moc"
