#include "app/node_options.h"

#include "core/http_policy.h"
#include "core/operator_token.h"
#include "core/tls.h"
#include "protocol/protocol.h"

#include <QFileInfo>
#include <QNetworkInterface>
#include <QThread>

#include <algorithm>
#include <cstdio>

namespace auralis::app {

namespace {
int defaultIoThreads() {
    return std::clamp(QThread::idealThreadCount(), 1, 64);
}
} // namespace

void addNodeSecurityOptions(QCommandLineParser& args) {
    args.addOptions({
        {"control-token-file",
         "The operator token (changing the music needs it) is in FILE (default: env "
         "AURALIS_CONTROL_TOKEN; a node bound beyond loopback without one generates and stores "
         "one).",
         "file"},
        {"allow-host",
         "Also answer to this host name (besides IP addresses, localhost and this machine's "
         "name); repeatable.",
         "name"},
        {"allow-origin",
         "Also accept control and streams from pages at this origin (https://example.org); "
         "repeatable.",
         "origin"},
        {"tls-cert", "Serve https and wss with this PEM certificate (chain); needs --tls-key.",
         "file"},
        {"tls-key", "The PEM private key (RSA or EC, unencrypted) of --tls-cert.", "file"},
        {"max-listeners-per-address", "Most listeners from one address (default 32; 0: no limit).",
         "n", "32"},
        {"max-connections-per-address",
         "Most open HTTP connections from one address (default 16; 0: no limit).", "n", "16"},
        {"max-requests-per-second",
         "HTTP requests per second from one address, sustained (default 50, bursts of twice "
         "that; 0: no limit).",
         "n", "50"},
    });
}

void readNodeSecurityOptions(const QCommandLineParser& args, OptionReader& opts,
                             core::NodeConfig& config) {
    if (args.isSet("control-token-file")) {
        QString error;
        const auto token = core::readTokenFile(args.value("control-token-file"), &error);
        if (!token) {
            opts.failWith("--control-token-file: " + error);
        } else {
            config.controlToken = *token;
        }
    } else if (qEnvironmentVariableIsSet("AURALIS_CONTROL_TOKEN")) {
        config.controlToken = qgetenv("AURALIS_CONTROL_TOKEN").trimmed();
        if (config.controlToken.size() < 16) {
            opts.failWith("AURALIS_CONTROL_TOKEN must be at least 16 characters");
        }
    }
    for (const QString& host : args.values("allow-host")) {
        if (core::hostOf(host.toUtf8()) != host.toLower()) {
            opts.fail("allow-host", "a host name such as auralis.example.org", host);
        }
        config.allowedHosts << host.toLower();
    }
    for (const QString& origin : args.values("allow-origin")) {
        const QUrl url(origin);
        if (!url.isValid() || (url.scheme() != "http" && url.scheme() != "https") ||
            url.host().isEmpty() || !url.path().isEmpty()) {
            opts.fail("allow-origin", "an origin such as https://example.org", origin);
        }
        config.allowedOrigins << origin.toLower();
    }
    if (args.isSet("tls-cert") != args.isSet("tls-key")) {
        opts.failWith("--tls-cert and --tls-key go together");
    } else if (args.isSet("tls-cert")) {
        QString error;
        config.tls = core::loadServerTls(args.value("tls-cert"), args.value("tls-key"), &error);
        if (!config.tls) {
            opts.failWith("TLS: " + error);
        }
    }
    config.perAddress.listeners = opts.integer("max-listeners-per-address", 0, 1000000);
    config.perAddress.connections = opts.integer("max-connections-per-address", 0, 1000000);
    config.perAddress.requestsPerSecond = opts.number("max-requests-per-second", 0, 1e6);
    config.perAddress.requestBurst = 2 * config.perAddress.requestsPerSecond;
}

void addNodeStreamOptions(QCommandLineParser& args) {
    args.addOptions({
        {"pacing-slot-ms",
         "Listeners are paced on phases this many ms apart, spread evenly, so that they share "
         "the event loop's wake-ups: more send jitter, and on the epoll event loop no CPU "
         "saved (a divisor of 100, e.g. 5 or 10; default 0: each listener on the phase at "
         "which it joined).",
         "ms", "0"},
        {"io-threads",
         QString("Event loops that serve listeners, each in a thread with its own pacing: the "
                 "node's thread and N - 1 more; new listeners go to the one with the fewest "
                 "(1-64, default: the core count, %1 here).")
             .arg(defaultIoThreads()),
         "n", QString::number(defaultIoThreads())},
        {"opus-bitrate",
         "Opus bitrate in kbit/s for format=opus, /stream.ogg and Icecast (6-510, default 96).",
         "kbps", "96"},
        {"stream-name", "The stream's name for players and Icecast (default Auralis).", "text",
         "Auralis"},
        {"stream-description", "The stream's description for players and Icecast.", "text",
         "Never-repeating ambient music"},
        {"icecast",
         "Push the Ogg/Opus stream to an Icecast 2.4 server as a source, e.g. "
         "http://source:PASSWORD@HOST:8000/auralis.ogg (reconnects on its own; env "
         "AURALIS_ICECAST keeps the password out of the process list).",
         "url"},
    });
}

void readNodeStreamOptions(const QCommandLineParser& args, OptionReader& opts,
                           core::NodeConfig& config) {
    config.pacingSlotUs = opts.integer("pacing-slot-ms", 0, 50) * 1000;
    if (protocol::kChunkUs % std::max(config.pacingSlotUs, 1) != 0) {
        opts.failWith("--pacing-slot-ms must divide the 100 ms chunk period (1, 2, 4, 5, 10, "
                      "20, 25 or 50)");
    }
    config.ioThreads = opts.integer("io-threads", 1, 64);
    config.opusBitrate = opts.integer("opus-bitrate", 6, 510) * 1000;
    config.streamName = args.value("stream-name").trimmed();
    config.streamDescription = args.value("stream-description").trimmed();
    for (const QString* text : {&config.streamName, &config.streamDescription}) {
        if (text->size() > 200 || text->contains('\n') || text->contains('\r')) {
            opts.failWith("--stream-name and --stream-description are one line of at most 200 "
                          "characters");
        }
    }
    const QString icecast =
        args.isSet("icecast") ? args.value("icecast") : qEnvironmentVariable("AURALIS_ICECAST");
    if (!icecast.isEmpty()) {
        QString error;
        const auto url = core::parseIcecastUrl(icecast, &error);
        if (!url) {
            opts.failWith("--icecast: " + error); // (not echoed: it holds a password)
        } else {
            core::IcecastTarget target;
            target.url = *url;
            target.name = config.streamName;
            target.description = config.streamDescription;
            config.icecast = target;
        }
    }
}

bool ensureOperatorToken(core::NodeConfig& config, QString* error) {
    if (!config.controlToken.isEmpty() || config.bind.isLoopback()) {
        return true; // configured, or reachable from this machine only: control stays open
    }
    const QString path = core::defaultTokenPath();
    if (QFileInfo::exists(path)) {
        const auto stored = core::readTokenFile(path, error);
        if (!stored) {
            return false;
        }
        config.controlToken = *stored;
        std::fprintf(stderr, "auralis-node: changing the music needs the operator token in %s\n",
                     qPrintable(path));
        return true;
    }
    config.controlToken = core::generateToken();
    if (!core::writeTokenFile(path, config.controlToken, error)) {
        return false;
    }
    std::fprintf(stderr,
                 "auralis-node: generated an operator token (changing the music needs it), "
                 "stored in %s\n",
                 qPrintable(path));
    return true;
}

QString linkHost(const QHostAddress& bind) {
    if (!bind.isNull() && bind != QHostAddress::Any && bind != QHostAddress::AnyIPv4 &&
        bind != QHostAddress::AnyIPv6) {
        return bind.protocol() == QAbstractSocket::IPv6Protocol ? "[" + bind.toString() + "]"
                                                                : bind.toString();
    }
    for (const QHostAddress& a : QNetworkInterface::allAddresses()) {
        if (a.protocol() == QAbstractSocket::IPv4Protocol && !a.isLoopback() && !a.isLinkLocal()) {
            return a.toString();
        }
    }
    return "127.0.0.1";
}

QString operatorLink(const QHostAddress& bind, quint16 port, const QByteArray& token, bool tls) {
    QString link = QString("%1://%2:%3/").arg(tls ? "https" : "http", linkHost(bind)).arg(port);
    if (!token.isEmpty()) {
        link += "?token=" + QString::fromUtf8(token);
    }
    return link;
}

} // namespace auralis::app
