// Test helpers for the node: a node on 127.0.0.1 port 0, a raw WebSocket peer that records
// everything, and a renderer whose phrases can be held back. Header-only; test thread only.
#pragma once

#include "../common/sync_http.h"
#include "client/listener.h"
#include "client/ws_client.h"
#include "core/node.h"
#include "protocol/ws_frame.h"
#include "synth/cpu_renderer.h"

#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRandomGenerator>
#include <QSocketNotifier>
#include <QTimer>
#include <QtTest>

#include <arpa/inet.h>
#include <cerrno>
#include <condition_variable>
#include <map>
#include <mutex>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace auralis::test {

/// A node on 127.0.0.1, port 0, CPU renderer. AURALIS_TEST_IO_THREADS=N (a second run of the
/// same tests, see CMakeLists.txt) spreads the listeners of every node that does not choose
/// for itself over N I/O loops.
inline std::unique_ptr<core::Node> startNode(core::NodeConfig config = {}) {
    if (config.ioThreads == 1) {
        config.ioThreads = std::max(1, qEnvironmentVariableIntValue("AURALIS_TEST_IO_THREADS"));
    }
    config.bind = QHostAddress::LocalHost;
    config.port = 0;
    config.device = synth::DevicePreference::Cpu;
    auto node = std::make_unique<core::Node>(std::move(config));
    QString error;
    if (!node->start(&error)) {
        qFatal("node did not start: %s", qPrintable(error));
    }
    return node;
}

inline QUrl streamUrl(const core::Node& node, const QString& query = {}) {
    QUrl url(QString("ws://127.0.0.1:%1/ws/stream").arg(node.port()));
    if (!query.isEmpty()) {
        url.setQuery(query);
    }
    return url;
}

/// A WebSocket peer that records every message and the close code.
class Peer : public QObject {
public:
    explicit Peer(const QUrl& url) {
        connect(&ws, &client::WsClient::opened, this, [this] { open = true; });
        connect(&ws, &client::WsClient::textMessage, this, [this](const QByteArray& m) {
            const QJsonObject o = QJsonDocument::fromJson(m).object();
            if (o.value("type").toString() == "audio") {
                seqs.push_back(o.value("seq").toInteger());
                pcm[o.value("seq").toInteger()] =
                    QByteArray::fromBase64(o.value("data").toString().toLatin1());
                underrunFlags += o.value("underrun").toBool() ? 1 : 0;
            } else {
                messages.push_back(o);
            }
        });
        connect(&ws, &client::WsClient::binaryMessage, this, [this](const QByteArray& m) {
            protocol::AudioHeader h;
            if (protocol::readBinaryHeader(m, h)) {
                seqs.push_back(static_cast<qint64>(h.seq));
                pcm[static_cast<qint64>(h.seq)] = m.mid(protocol::kBinaryHeaderBytes);
            }
        });
        connect(&ws, &client::WsClient::closed, this, [this](int code, const QString& reason) {
            closeCode = code;
            closeReason = reason;
            open = false;
        });
        connect(&ws, &client::WsClient::failed, this, [this](const QString& e) { failure = e; });
        ws.open(url);
    }

    /// The first recorded message of `type` (and `code` for errors/warnings), or empty.
    QJsonObject find(const QString& type, const QString& code = {}) const {
        for (const QJsonObject& m : messages) {
            if (m.value("type").toString() == type &&
                (code.isEmpty() || m.value("code").toString() == code)) {
                return m;
            }
        }
        return {};
    }
    bool has(const QString& type, const QString& code = {}) const {
        return !find(type, code).isEmpty();
    }

    client::WsClient ws;
    bool open = false;
    std::vector<QJsonObject> messages;
    std::vector<qint64> seqs;
    std::map<qint64, QByteArray> pcm;
    int underrunFlags = 0;
    int closeCode = -1;
    QString closeReason;
    QString failure;
};

/// A WebSocket peer on a bare, non-blocking POSIX socket: it writes whatever frames a test
/// wants (unmasked, malformed, endless), reads every frame the node sends, records the close
/// code, and notices a reset (ECONNRESET/EPIPE) that a Qt socket would hide. While
/// "chattering" it keeps sending masked unsolicited pongs (a heartbeat) every millisecond.
class RawPeer : public QObject {
public:
    /// Opens a WebSocket on `target`, or sends `rawRequest` as it is when given (HTTP tests).
    /// `from`: the source address (any of 127.0.0.0/8 on Linux), to be another client.
    /// `receiveBuffer`: the kernel's receive buffer (bytes), to make a reader that stops
    /// reading show up soon.
    explicit RawPeer(quint16 port, const QByteArray& target = "/ws/stream",
                     const QByteArray& rawRequest = {}, const char* from = nullptr,
                     int receiveBuffer = 0) {
        fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (receiveBuffer > 0) {
            ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receiveBuffer, sizeof receiveBuffer);
        }
        if (from != nullptr) {
            sockaddr_in local{};
            local.sin_family = AF_INET;
            ::inet_pton(AF_INET, from, &local.sin_addr);
            ::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local);
        }
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr); // EINPROGRESS
        pending = "GET " + target +
                  " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                  "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n";
        if (!rawRequest.isEmpty()) {
            pending = rawRequest;
            chatterBytes = QByteArray(1000, 'x'); // more of a request body
        }
        notifier = std::make_unique<QSocketNotifier>(fd, QSocketNotifier::Read);
        connect(notifier.get(), &QSocketNotifier::activated, this, [this] { receive(); });
        chatter.setInterval(1);
        connect(&chatter, &QTimer::timeout, this, [this] {
            if (chatterBytes.isEmpty()) {
                for (int i = 0; i < 8; ++i) {
                    sendFrame(ws::Opcode::Pong, QByteArray(125, 'p'));
                }
            } else {
                write(chatterBytes);
            }
            ++chatterRounds;
            flush();
            receive();
        });
        flushTimer.setInterval(1);
        connect(&flushTimer, &QTimer::timeout, this, [this] { flush(); });
        flushTimer.start();
    }
    ~RawPeer() override {
        notifier.reset();
        ::close(fd);
    }

    void sendFrame(ws::Opcode opcode, const QByteArray& payload, bool masked = true) {
        const quint32 mask = QRandomGenerator::global()->generate();
        write(ws::encodeFrame(opcode, payload, masked ? &mask : nullptr));
    }
    void sendText(const QByteArray& utf8) { sendFrame(ws::Opcode::Text, utf8); }
    void write(const QByteArray& bytes) {
        pending += bytes;
        flush();
    }
    void startChattering() { chatter.start(); }
    /// From now on nothing is read: the node's sends pile up in the kernel buffers.
    void stopReading() { notifier->setEnabled(false); }
    void stopChattering() { chatter.stop(); }
    /// Ends our side: close frame (if the node sent one), then FIN.
    void finish() {
        chatter.stop();
        if (closeCode >= 0) {
            sendFrame(ws::Opcode::Close, ws::closePayload(closeCode, QString()));
        }
        flush();
        ::shutdown(fd, SHUT_WR);
    }

    int fd = -1;
    bool open = false;  // 101 received
    bool eof = false;   // the node closed its side (FIN)
    int resetErrno = 0; // ECONNRESET / EPIPE seen: the node reset the connection
    int closeCode = -1; // from the node's close frame; -1 before it
    QString closeReason;
    std::vector<QByteArray> texts;
    int audioFrames = 0;
    int chatterRounds = 0;
    QByteArray handshake; // the HTTP response head (and, when not a 101, its body)

private:
    void flush() {
        while (!pending.isEmpty() && resetErrno == 0) {
            const ssize_t n = ::send(fd, pending.constData(), pending.size(), MSG_NOSIGNAL);
            if (n > 0) {
                pending.remove(0, n);
            } else if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
                resetErrno = errno;
            } else {
                return; // EAGAIN (full) or still connecting: later
            }
        }
    }
    void receive() {
        char buf[65536];
        while (true) {
            const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n > 0) {
                consume(QByteArrayView(buf, n));
            } else if (n == 0) {
                eof = true; // a half-close: this side may go on sending
                notifier->setEnabled(false);
                return;
            } else {
                if (errno == ECONNRESET) {
                    resetErrno = errno;
                    notifier->setEnabled(false);
                }
                return;
            }
        }
    }
    void consume(QByteArrayView bytes) {
        if (!open) {
            handshake += bytes;
            const qsizetype end = handshake.indexOf("\r\n\r\n");
            if (end < 0 || !handshake.startsWith("HTTP/1.1 101")) {
                return;
            }
            open = true;
            reader.append(QByteArrayView(handshake).sliced(end + 4));
        } else {
            reader.append(bytes);
        }
        using Kind = ws::FrameReader::Event::Kind;
        for (auto e = reader.next(); e.kind != Kind::None; e = reader.next()) {
            if (e.kind == Kind::Text) {
                texts.push_back(e.payload);
            } else if (e.kind == Kind::Binary) {
                ++audioFrames;
            } else if (e.kind == Kind::Close && closeCode < 0) {
                closeCode = e.code;
                closeReason = e.reason;
            }
        }
    }

    QByteArray pending;
    QByteArray chatterBytes; // empty: pong frames
    std::unique_ptr<QSocketNotifier> notifier;
    QTimer chatter;
    QTimer flushTimer;
    ws::FrameReader reader{ws::FrameReader::Role::Client, 64 * 1024 * 1024};
};

/// A CPU renderer that renders `allowed` windows, then holds each further one until
/// release() (the test decides when synthesis is "slow"). Never sleeps.
class GatedRenderer final : public synth::Renderer {
public:
    struct Gate {
        std::mutex mutex;
        std::condition_variable cv;
        int allowed = 0;
        bool open = false;
        void release() {
            {
                std::lock_guard lock(mutex);
                open = true;
            }
            cv.notify_all();
        }
    };
    explicit GatedRenderer(std::shared_ptr<Gate> gate) : m_gate(std::move(gate)) {}
    const char* kind() const override { return "cpu"; }
    std::string deviceName() const override { return "gated CPU"; }
    synth::RenderStatus render(const synth::RenderJob& job, synth::RenderState& state, float* l,
                               float* r) override {
        {
            std::unique_lock lock(m_gate->mutex);
            if (m_calls++ >= m_gate->allowed) {
                m_gate->cv.wait(lock, [this] { return m_gate->open; });
            }
        }
        return m_cpu.render(job, state, l, r);
    }

private:
    std::shared_ptr<Gate> m_gate;
    int m_calls = 0;
    synth::CpuRenderer m_cpu;
};

/// GET/POST on the node's HTTP port; returns status and body.
using HttpResult = SyncReply;

inline HttpResult httpRequest(const core::Node& node, const QByteArray& method, const QString& path,
                              const QByteArray& body = {}) {
    static QNetworkAccessManager nam;
    return syncRequest(nam, QUrl(QString("http://127.0.0.1:%1%2").arg(node.port()).arg(path)),
                       method, body);
}

} // namespace auralis::test
