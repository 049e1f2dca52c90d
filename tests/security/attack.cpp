// The attack table, run against a live auralis-node the way a stranger would: each row tries
// one thing a hostile client or web page might, beside a bystander listener, and reports what
// happened — the node's answer, the bystander's largest gap between chunks and missing chunks,
// and the node's memory. Prints a Markdown table; exits 1 when a row failed its expectation.
//   auralis-attack AURALIS_NODE_BIN
#include "../common/memory.h"
#include "../core/node_harness.h"
#include "monitor/node_watcher.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpServer>

#include <cstdio>

using namespace auralis;
using namespace auralis::test;

namespace {

const QByteArray kToken = "attack-table-operator-token-0123";
const char* kBystander = "127.0.0.1";
const char* kAttacker = "127.0.0.2";

bool waitFor(const std::function<bool()>& done, int ms) {
    return QTest::qWaitFor(done, ms);
}

QByteArray exchange(quint16 port, const QByteArray& request, const char* from = kAttacker) {
    RawPeer p(port, {}, request, from);
    waitFor([&] { return p.eof || p.resetErrno != 0; }, 10000);
    return p.handshake;
}

int status(const QByteArray& response) {
    return response.mid(9, 3).toInt();
}

struct Row {
    QString tried;
    QString happened;
    bool ok = false;
};

class Table {
public:
    Table(qint64 nodePid, client::ListenerClient& bystander)
        : m_pid(nodePid), m_bystander(bystander) {}

    /// Runs `attack`, then reports its answer with the bystander's largest gap during it and
    /// the node's memory growth.
    void row(const QString& tried, const std::function<std::pair<bool, QString>()>& attack) {
        const double rss = rssMbOf(m_pid);
        const std::size_t from = m_bystander.stats().jitterMs.size();
        const auto gaps = m_bystander.stats().gaps;
        const auto [ok, answer] = attack();
        // Let the bystander show what it went through (at least 2 s more of audio).
        const auto chunks = m_bystander.stats().chunks;
        waitFor([&] { return m_bystander.stats().chunks >= chunks + 20; }, 10000);
        const auto& s = m_bystander.stats();
        float worst = 0;
        for (std::size_t i = from; i < s.jitterMs.size(); ++i) {
            worst = std::max(worst, s.jitterMs[i]);
        }
        const double grew = rssMbOf(m_pid) - rss;
        const bool whole = s.gaps == gaps && worst + 100 <= 250 && withinMemoryBound(grew, 16);
        Row r{tried,
              QString("%1; bystander: largest gap %2 ms, %3 chunks lost; node RSS %4%5 MB")
                  .arg(answer)
                  .arg(100 + worst, 0, 'f', 0)
                  .arg(s.gaps - gaps)
                  .arg(grew >= 0 ? "+" : "")
                  .arg(grew, 0, 'f', 1),
              ok && whole};
        std::fprintf(stderr, "%s %s\n", r.ok ? "ok  " : "FAIL", qPrintable(tried));
        m_rows.push_back(r);
    }

    int print() const {
        std::printf("| tried | what happened | |\n|---|---|---|\n");
        int failed = 0;
        for (const Row& r : m_rows) {
            std::printf("| %s | %s | %s |\n", qPrintable(r.tried), qPrintable(r.happened),
                        r.ok ? "✔" : "✘");
            failed += r.ok ? 0 : 1;
        }
        return failed == 0 ? 0 : 1;
    }

private:
    qint64 m_pid;
    client::ListenerClient& m_bystander;
    std::vector<Row> m_rows;
};

} // namespace

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    if (argc < 2) {
        std::fprintf(stderr, "usage: auralis-attack AURALIS_NODE_BIN\n");
        return 2;
    }
    QProcess node;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("AURALIS_CONTROL_TOKEN", QString::fromUtf8(kToken));
    node.setProcessEnvironment(env);
    node.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    node.start(argv[1], {"--port", "0", "--bind", "127.0.0.1", "--device", "cpu", "--log-level",
                         "error", "--max-clients", "8", "--max-listeners-per-address", "3"});
    QByteArray out;
    while (!out.contains('\n') && node.waitForReadyRead(30000)) {
        out += node.readAllStandardOutput();
    }
    const qsizetype colon = out.lastIndexOf(':', out.indexOf(" (WebSocket"));
    const quint16 port =
        static_cast<quint16>(out.mid(colon + 1, out.indexOf(' ', colon) - colon - 1).toUInt());
    if (port == 0) {
        std::fprintf(stderr, "auralis-attack: the node did not start: %s\n", out.constData());
        return 1;
    }
    const QByteArray host = "Host: 127.0.0.1:" + QByteArray::number(port) + "\r\n";
    SteadyClock clock;
    client::ListenerClient::Options bo;
    bo.url = QUrl(QString("ws://127.0.0.1:%1/ws/stream").arg(port));
    bo.format = protocol::Format::Binary;
    bo.tier = protocol::Tier::Minimal;
    bo.clientId = "bystander";
    bo.reconnect = false;
    client::ListenerClient bystander(bo, clock);
    bystander.start();
    waitFor([&] { return bystander.stats().chunks >= 10; }, 10000);
    Table table(node.processId(), bystander);

    auto flood = [&](int connections) {
        QByteArray requests;
        for (int i = 0; i < 8000; ++i) {
            requests += "GET /metrics HTTP/1.1\r\n" + host + "\r\n";
        }
        std::vector<std::unique_ptr<RawPeer>> peers;
        for (int i = 0; i < connections; ++i) {
            peers.push_back(std::make_unique<RawPeer>(port, QByteArray(), requests, kAttacker));
            peers.back()->stopReading();
        }
        QTest::qWait(3000); // the flood runs while the bystander listens
        for (auto& p : peers) {
            p->startChattering(); // sending more shows whether the node still holds it
        }
        QElapsedTimer t;
        t.start();
        const bool cut = waitFor(
            [&] {
                return std::all_of(peers.begin(), peers.end(),
                                   [](const auto& p) { return p->resetErrno != 0 || p->eof; });
            },
            20000);
        return std::make_pair(
            cut, cut ? QString("answered one at a time, rate-limited (429) and "
                               "cut %1 s later")
                           .arg(3 + static_cast<double>(t.elapsed()) / 1000.0, 0, 'f', 1)
                     : QString("still open after 23 s"));
    };
    table.row("8000 pipelined `GET /metrics` on one connection that never reads",
              [&] { return flood(1); });
    table.row("the same on two connections", [&] { return flood(2); });
    table.row("40 connections sending one header line every 2 s", [&] {
        std::vector<std::unique_ptr<RawPeer>> slow;
        for (int i = 0; i < 40; ++i) {
            slow.push_back(std::make_unique<RawPeer>(port, QByteArray(),
                                                     "GET / HTTP/1.1\r\n" + host, kAttacker));
        }
        QTimer drip;
        QObject::connect(&drip, &QTimer::timeout, [&] {
            for (auto& p : slow) {
                p->write("X-Slow: a\r\n");
            }
        });
        drip.start(2000);
        QElapsedTimer t;
        t.start();
        const bool closed = waitFor(
            [&] {
                return std::all_of(slow.begin(), slow.end(), [](const auto& p) { return p->eof; });
            },
            20000);
        const auto answered = [&](int code) {
            return static_cast<int>(std::count_if(slow.begin(), slow.end(), [code](const auto& p) {
                return status(p->handshake) == code;
            }));
        };
        return std::make_pair(closed && answered(408) + answered(429) == 40,
                              QString("%1 answered 408 and closed after %2 s (the header "
                                      "deadline); %3 refused at once with 429 (16 connections "
                                      "per address)")
                                  .arg(answered(408))
                                  .arg(static_cast<double>(t.elapsed()) / 1000.0, 0, 'f', 1)
                                  .arg(answered(429)));
    });
    const auto control = [&](const QByteArray& headers, const QByteArray& type,
                             const QByteArray& body) {
        return exchange(port, "POST /api/control HTTP/1.1\r\n" + host + "Content-Type: " + type +
                                  "\r\nContent-Length: " + QByteArray::number(body.size()) +
                                  "\r\n" + headers + "Connection: close\r\n\r\n" + body);
    };
    table.row(
        "`POST /api/control` with `Origin: http://evil.example`, `Content-Type: text/plain`", [&] {
            const int s =
                status(control("Origin: http://evil.example\r\n", "text/plain", "{\"bpm\":40}"));
            return std::make_pair(s == 403, QString("%1, nothing applied").arg(s));
        });
    table.row("`POST /api/control` without the operator token / with a wrong one / with it", [&] {
        const int none = status(control({}, "application/json", "{\"bpm\":41}"));
        const int wrong = status(control("Authorization: Bearer wrong-token-0000000000000\r\n",
                                         "application/json", "{\"bpm\":41}"));
        const int right = status(control("Authorization: Bearer " + kToken + "\r\n",
                                         "application/json", "{\"bpm\":70}"));
        return std::make_pair(none == 401 && wrong == 403 && right == 200,
                              QString("%1 / %2 / %3").arg(none).arg(wrong).arg(right));
    });
    table.row("WebSocket upgrade with `Origin: http://evil.example`", [&] {
        const int s = status(
            exchange(port, "GET /ws/stream HTTP/1.1\r\n" + host +
                               "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
                               "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: "
                               "http://evil.example\r\n\r\n"));
        return std::make_pair(s == 403, QString("%1, no WebSocket").arg(s));
    });
    table.row("a listener sends `control` without the token", [&] {
        RawPeer peer(port, "/ws/stream?client_id=anon", {}, kAttacker);
        waitFor([&] { return peer.open && !peer.texts.empty(); }, 10000);
        peer.sendText(R"({"type":"control","bpm":40})");
        const bool refused = waitFor(
            [&] {
                return std::any_of(peer.texts.begin(), peer.texts.end(),
                                   [](const QByteArray& t) { return t.contains("unauthorized"); });
            },
            10000);
        return std::make_pair(refused, QString("`error` unauthorized, nothing applied"));
    });
    table.row("`Host: evil.example`, no Host at all, two Host headers", [&] {
        const QByteArray get = "GET /api/status HTTP/1.1\r\n";
        const int evil =
            status(exchange(port, get + "Host: evil.example\r\nConnection: close\r\n\r\n"));
        const int none = status(exchange(port, get + "Connection: close\r\n\r\n"));
        const int two =
            status(exchange(port, get + host + "Host: evil.example\r\nConnection: close\r\n\r\n"));
        return std::make_pair(evil == 421 && none == 400 && two == 400,
                              QString("%1 / %2 / %3").arg(evil).arg(none).arg(two));
    });
    table.row("`report` with underruns 1e15, then 0, then 1e15; then 1e16", [&] {
        RawPeer peer(port, "/ws/stream?client_id=liar", {}, kAttacker);
        waitFor([&] { return peer.open && !peer.texts.empty(); }, 10000);
        for (const char* n : {"1e15", "0", "1e15", "1e16"}) {
            peer.sendText(QByteArray(R"({"type":"report","buffer_ms":500,"underruns":)") + n + "}");
        }
        QTest::qWait(500);
        const QByteArray metrics = exchange(
            port, "GET /metrics HTTP/1.1\r\n" + host + "Connection: close\r\n\r\n", kBystander);
        const auto m =
            QRegularExpression(R"(client_playout_underruns_total\{client_id="liar"\} (\S+))")
                .match(QString::fromUtf8(metrics));
        const int errors = static_cast<int>(
            std::count_if(peer.texts.begin(), peer.texts.end(),
                          [](const QByteArray& t) { return t.contains("invalid_value"); }));
        return std::make_pair(m.captured(1).toDouble() == 1e15 && errors == 2,
                              QString("`client_playout_underruns_total` %1; the decrease and the "
                                      "value ≥ 2^53 refused (%2 errors)")
                                  .arg(m.captured(1))
                                  .arg(errors));
    });
    table.row("two different `Content-Length` headers", [&] {
        const int s = status(exchange(port, "POST /api/control HTTP/1.1\r\n" + host +
                                                "Content-Type: application/json\r\nContent-Length: "
                                                "2\r\nContent-Length: 11\r\n\r\n{\"bpm\":50}"));
        return std::make_pair(s == 400, QString::number(s));
    });
    table.row("`HEAD /metrics`", [&] {
        const QByteArray r =
            exchange(port, "HEAD /metrics HTTP/1.1\r\n" + host + "Connection: close\r\n\r\n");
        const bool ok =
            status(r) == 200 && r.endsWith("\r\n\r\n") && !r.contains("X-Content-Length") &&
            QRegularExpression("Content-Length: [1-9]").match(QString::fromLatin1(r)).hasMatch();
        return std::make_pair(ok, QString("200 with GET's headers (its Content-Length), no body"));
    });
    table.row("20 000 ping frames from a client that never reads", [&] {
        RawPeer peer(port, "/ws/stream?client_id=pinger", {}, kAttacker);
        waitFor([&] { return peer.open; }, 10000);
        peer.stopReading();
        for (int i = 0; i < 20000; ++i) {
            peer.sendFrame(ws::Opcode::Ping, "ping!");
        }
        peer.startChattering();
        const bool cut = waitFor([&] { return peer.resetErrno != 0; }, 15000);
        return std::make_pair(cut, QString("pings count as messages: rate-limited, then closed "
                                           "(1008)"));
    });
    table.row("an unmasked client frame", [&] {
        RawPeer peer(port, "/ws/stream?client_id=unmasked", {}, kAttacker);
        waitFor([&] { return peer.open; }, 10000);
        peer.sendFrame(ws::Opcode::Text, R"({"type":"ping"})", false);
        waitFor([&] { return peer.closeCode >= 0; }, 10000);
        return std::make_pair(peer.closeCode == 1002, QString("close %1").arg(peer.closeCode));
    });
    table.row(
        "5 slow readers from one address (`--max-clients 8 --max-listeners-per-address 3`)", [&] {
            std::vector<std::unique_ptr<RawPeer>> greedy;
            for (int i = 0; i < 5; ++i) {
                greedy.push_back(
                    std::make_unique<RawPeer>(port, "/ws/stream", QByteArray(), kAttacker));
            }
            waitFor(
                [&] {
                    return std::count_if(greedy.begin(), greedy.end(),
                                         [](const auto& p) { return p->closeCode == 1013; }) == 2;
                },
                10000);
            for (auto& p : greedy) {
                p->stopReading();
            }
            RawPeer other(port, "/ws/stream", {}, "127.0.0.3");
            const bool joined = waitFor([&] { return !other.texts.empty(); }, 10000) &&
                                other.texts.front().contains("\"welcome\"");
            const int refused = static_cast<int>(std::count_if(
                greedy.begin(), greedy.end(), [](const auto& p) { return p->closeCode == 1013; }));
            return std::make_pair(refused == 2 && joined,
                                  QString("3 admitted, %1 refused with 1013; a listener from "
                                          "another address joins")
                                      .arg(refused));
        });
    table.row("the dashboard attached to a node whose `/metrics` is 256 MiB", [&] {
        QTcpServer fake;
        fake.listen(QHostAddress::LocalHost, 0);
        QObject::connect(&fake, &QTcpServer::newConnection, [&] {
            while (QTcpSocket* s = fake.nextPendingConnection()) {
                // 256 MiB, 1 MiB at a time as the client takes it (the fake node stays small).
                const auto feed = [s] {
                    qint64 left = s->property("left").toLongLong();
                    if (left > 0 && s->bytesToWrite() < (2 << 20)) {
                        s->write(QByteArray(1 << 20, '#'));
                        s->setProperty("left", left - (1 << 20));
                    }
                };
                QObject::connect(s, &QTcpSocket::readyRead, s, [s, feed] {
                    s->readAll();
                    s->write("HTTP/1.1 200 OK\r\nContent-Length: 268435456\r\n\r\n");
                    s->setProperty("left", qint64{268435456});
                    feed();
                });
                QObject::connect(s, &QTcpSocket::bytesWritten, s, feed);
            }
        });
        const double rss = rssMbOf(QCoreApplication::applicationPid());
        monitor::NodeWatcher watcher(QUrl(QString("http://127.0.0.1:%1").arg(fake.serverPort())),
                                     500);
        QString said;
        QObject::connect(&watcher, &monitor::NodeWatcher::reachability,
                         [&](bool ok, const QString& why) {
                             if (!ok && why.contains("/metrics")) {
                                 said = why;
                             }
                         });
        watcher.start();
        waitFor([&] { return !said.isEmpty(); }, 20000);
        watcher.stop();
        const double grew = rssMbOf(QCoreApplication::applicationPid()) - rss;
        return std::make_pair(
            !said.isEmpty() && withinMemoryBound(grew, 100),
            QString("\"%1\"; dashboard RSS +%2 MB").arg(said).arg(grew, 0, 'f', 0));
    });

    const int rc = table.print();
    node.terminate();
    node.waitForFinished(10000);
    return rc;
}
