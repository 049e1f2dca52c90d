#include "core/node_api.h"

#include "core/http_server.h"
#include "core/metrics.h"
#include "core/node.h"
#include "protocol/messages.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>

namespace auralis::core {

namespace {

double num(qint64 v) {
    return static_cast<double>(v);
}

http::Response jsonResponse(const QJsonObject& body, int status = 200) {
    http::Response r;
    r.status = status;
    r.body = QJsonDocument(body).toJson(QJsonDocument::Compact);
    return r;
}

// The browser listener, compiled in (resources/web via Qt's resource system): the single
// binary serves it with no network and no files beside it. The page may load only its own
// files and talk only to its node; no other site may frame it.
http::Response webAsset(const QString& name, const QByteArray& contentType) {
    QFile f(":/web/" + name);
    if (!f.open(QIODevice::ReadOnly)) {
        return http::jsonError(500, "missing_asset",
                               "the web client was not built into this binary");
    }
    http::Response r;
    r.contentType = contentType;
    r.body = f.readAll();
    r.headers.append({QByteArray("X-Content-Type-Options"), QByteArray("nosniff")});
    if (name == "index.html") {
        r.headers.append({QByteArray("Content-Security-Policy"),
                          QByteArray("default-src 'self'; img-src 'self' data:; "
                                     "connect-src 'self'; frame-ancestors 'none'; "
                                     "base-uri 'none'; form-action 'none'")});
        r.headers.append({QByteArray("Referrer-Policy"), QByteArray("no-referrer")});
    }
    return r;
}

http::Response controlRoute(Node& node, const http::Request& request) {
    // A plain HTML form can post text/plain across sites without a preflight; JSON cannot.
    const QByteArray type = request.header("content-type").split(';').value(0).trimmed().toLower();
    if (type != "application/json") {
        return http::jsonError(415, "unsupported_media_type",
                               "the body must be JSON with Content-Type: application/json");
    }
    const Access access = bearerAccess(request, node.config().controlToken);
    if (!allowed(access)) {
        // Refused before the body is even parsed; the attempt is still logged.
        node.control({}, "HTTP " + request.peer, access);
        http::Response r =
            access == Access::Missing
                ? http::jsonError(401, "unauthorized",
                                  "changing the music needs the operator token: "
                                  "Authorization: Bearer TOKEN")
                : http::jsonError(403, "forbidden", "the operator token is not this node's");
        r.headers.append({QByteArray("WWW-Authenticate"), QByteArray("Bearer realm=\"auralis\"")});
        return r;
    }
    QJsonParseError parseError{};
    const QJsonDocument doc = QJsonDocument::fromJson(request.body, &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject()) {
        return http::jsonError(400, "invalid_json",
                               "the body must be a JSON object such as {\"bpm\": 60}");
    }
    const ControlOutcome outcome = node.control(doc.object(), "HTTP " + request.peer, access);
    if (const auto* error = std::get_if<protocol::ControlError>(&outcome)) {
        return http::jsonError(400, error->code.toUtf8(), error->message, error->field);
    }
    const auto& ack = std::get<protocol::ControlAck>(outcome);
    return jsonResponse(QJsonObject{{"ok", true},
                                    {"params", protocol::paramsJson(ack.params)},
                                    {"applies_at_ms", ack.appliesAtMs},
                                    {"applies_at_seq", num(ack.appliesAtSeq)}});
}

} // namespace

QJsonObject presetsJson() {
    QJsonArray presets;
    for (const synth::Preset p : synth::kAllPresets) {
        QJsonObject o = protocol::paramsJson(synth::presetParams(p));
        o.remove("key");
        o["name"] = protocol::fromUtf8(synth::presetName(p));
        o.remove("preset");
        presets.append(o);
    }
    QJsonArray modes;
    for (const synth::Mode m : synth::kAllModes) {
        modes.append(protocol::fromUtf8(synth::modeName(m)));
    }
    QJsonArray keys;
    for (int k = 0; k < 12; ++k) {
        keys.append(protocol::fromUtf8(synth::keyName(k)));
    }
    return QJsonObject{{"presets", presets},
                       {"modes", modes},
                       {"keys", keys},
                       {"bpm", QJsonObject{{"min", synth::kMinBpm}, {"max", synth::kMaxBpm}}},
                       {"intensity", QJsonObject{{"min", 0}, {"max", 1}}}};
}

void addNodeRoutes(HttpServer& server, Node& node) {
    server.addRoute("/", "GET", [](const http::Request&) {
        return webAsset("index.html", "text/html; charset=utf-8");
    });
    for (const char* script : {"app.js", "worklet.js"}) {
        server.addRoute(QByteArray("/") + script, "GET", [script](const http::Request&) {
            return webAsset(QString::fromUtf8(script), "text/javascript; charset=utf-8");
        });
    }
    server.addRoute("/style.css", "GET", [](const http::Request&) {
        return webAsset("style.css", "text/css; charset=utf-8");
    });
    server.addRoute("/metrics", "GET", [&node](const http::Request&) {
        http::Response r;
        r.contentType = kMetricsContentType;
        r.body = QByteArray::fromStdString(node.scrapeMetrics());
        return r;
    });
    server.addRoute("/health", "GET", [&node](const http::Request&) {
        return jsonResponse(QJsonObject{{"status", "ok"}, {"uptime_s", node.uptimeSeconds()}});
    });
    server.addRoute("/api/status", "GET", [&node](const http::Request& r) {
        // Who listens from where is for the operator only.
        const bool operatorAccess = allowed(bearerAccess(r, node.config().controlToken));
        return jsonResponse(statusJson(node, operatorAccess));
    });
    // GET and HEAD are handed to the node's Ogg listeners before routing; this route only
    // makes other methods a 405 with the right Allow list.
    server.addRoute("/stream.ogg", "GET", [](const http::Request&) {
        return http::jsonError(500, "internal", "the stream is served by the node");
    });
    server.addRoute("/api/presets", "GET",
                    [](const http::Request&) { return jsonResponse(presetsJson()); });
    server.addRoute("/api/control", "POST",
                    [&node](const http::Request& r) { return controlRoute(node, r); });
}

QJsonObject statusJson(const Node& node, bool showAddresses) {
    PhraseScheduler& scheduler = const_cast<Node&>(node).scheduler();
    const auto st = scheduler.stats();
    QJsonArray perIoThread;
    for (const int n : node.ioLoopListeners()) {
        perIoThread.append(n);
    }
    QJsonArray clients;
    for (const ListenerInfo& i : node.listeners()) {
        QJsonObject c{{"client_id", i.id},
                      {"format", i.format},
                      {"tier", i.tier},
                      {"requested_tier", i.requestedTier},
                      {"target_ms", i.targetMs},
                      {"connected_s", i.connectedSeconds},
                      {"seq", num(i.cursor - 1)},
                      {"depth_chunks", num(i.depthChunks)},
                      {"chunks_sent", static_cast<double>(i.sent)},
                      {"underruns", static_cast<double>(i.underruns)},
                      {"dropped", static_cast<double>(i.dropped)},
                      {"resyncs", static_cast<double>(i.resyncs)},
                      {"pacing_phase_ms", i.pacingPhaseMs},
                      {"io_thread", i.ioThread},
                      {"queued_bytes", num(i.queuedBytes)},
                      {"jitter_p95_ms", i.jitterP95Ms}};
        if (showAddresses) {
            c["remote"] = i.remote;
        }
        if (i.reported) {
            c["report"] = QJsonObject{{"buffer_ms", i.reportBufferMs},
                                      {"underruns", static_cast<double>(i.reportUnderruns)},
                                      {"age_s", i.reportAgeSeconds}};
        }
        clients.append(c);
    }
    QJsonArray phrases;
    for (const auto& p : scheduler.recentPhrases()) {
        phrases.append(QJsonObject{{"index", static_cast<double>(p.index)},
                                   {"start_ms", num(p.startFrame) * 1000.0 / protocol::kSampleRate},
                                   {"seconds", p.frames / double(protocol::kSampleRate)},
                                   {"render_ms", p.renderMs},
                                   {"device", QString::fromStdString(p.device)},
                                   {"params", protocol::paramsJson(p.params)}});
    }
    const qint64 live = scheduler.liveSeq();
    const qint64 published = node.ring().publishedEnd();
    QJsonObject status{
        {"version", AURALIS_VERSION},
        {"uptime_s", node.uptimeSeconds()},
        {"device",
         QJsonObject{{"kind", QString::fromStdString(st.deviceKind)},
                     {"name", QString::fromStdString(st.deviceName)},
                     {"reason", QString::fromStdString(st.deviceReason)},
                     {"gpu_failures", static_cast<double>(st.gpuFailures)},
                     {"gpu_memory_allocated_bytes", static_cast<double>(st.gpuBytesAllocated)},
                     {"gpu_memory_total_bytes", static_cast<double>(st.gpuBytesTotal)}}},
        {"params", protocol::paramsJson(scheduler.currentParams())},
        {"pending_params", protocol::paramsJson(scheduler.pendingParams())},
        {"stream", QJsonObject{{"live_seq", num(live)},
                               {"published_seq", num(published - 1)},
                               {"rendered_ahead_ms", num(published - live) * protocol::kChunkMs},
                               {"phrases", static_cast<double>(st.phrases)},
                               {"last_render_ms", st.lastRenderMs}}},
        {"recent_phrases", phrases},
        {"listeners", QJsonObject{{"count", node.listenerCount()},
                                  {"max", node.config().maxClients},
                                  {"per_io_thread", perIoThread}}},
        {"control", node.config().controlToken.isEmpty() ? "open" : "token"},
        {"clients", clients},
        {"opus", QJsonObject{{"bitrate_kbps", node.config().opusBitrate / 1000},
                             {"encoding", node.ring().opusStream().epoch != 0}}},
        {"http_stream", QJsonObject{{"path", "/stream.ogg"},
                                    {"count", node.httpStreamListenerCount()},
                                    {"listeners", node.httpStreamListenersJson(showAddresses)}}},
        {"memory", node.memoryJson()},
    };
    if (const IcecastSource* icecast = node.icecast()) {
        status["icecast"] = icecast->statusJson();
    }
    return status;
}

} // namespace auralis::core
