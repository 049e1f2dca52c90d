// Test helpers for the node: a node on 127.0.0.1 port 0, a raw WebSocket peer that records
// everything, and a renderer whose phrases can be held back. Header-only; test thread only.
#pragma once

#include "../common/sync_http.h"
#include "core/listener.h"
#include "core/node.h"
#include "core/ws_client.h"
#include "synth/cpu_renderer.h"

#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QtTest>

#include <condition_variable>
#include <map>
#include <mutex>

namespace auralis::test {

inline std::unique_ptr<core::Node> startNode(core::NodeConfig config = {}) {
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
        connect(&ws, &core::WsClient::opened, this, [this] { open = true; });
        connect(&ws, &core::WsClient::textMessage, this, [this](const QByteArray& m) {
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
        connect(&ws, &core::WsClient::binaryMessage, this, [this](const QByteArray& m) {
            core::protocol::AudioHeader h;
            if (core::protocol::readBinaryHeader(m, h)) {
                seqs.push_back(static_cast<qint64>(h.seq));
                pcm[static_cast<qint64>(h.seq)] = m.mid(core::protocol::kBinaryHeaderBytes);
            }
        });
        connect(&ws, &core::WsClient::closed, this, [this](int code, const QString& reason) {
            closeCode = code;
            closeReason = reason;
            open = false;
        });
        connect(&ws, &core::WsClient::failed, this, [this](const QString& e) { failure = e; });
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

    core::WsClient ws;
    bool open = false;
    std::vector<QJsonObject> messages;
    std::vector<qint64> seqs;
    std::map<qint64, QByteArray> pcm;
    int underrunFlags = 0;
    int closeCode = -1;
    QString closeReason;
    QString failure;
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
