// The command-line options of a node's network safety and stream forms, shared by auralis-node and
// the dashboard's embedded node: the operator token, allowed host names and origins, per-address
// limits. Wiring only; main()'s thread.
#pragma once

#include "app/common.h"
#include "core/node.h"

#include <QCommandLineParser>

namespace auralis::app {

void addNodeSecurityOptions(QCommandLineParser& args);
/// --tls-cert/--tls-key: https and wss on the node's port.
/// --control-token-file (else env AURALIS_CONTROL_TOKEN), --allow-host, --allow-origin,
/// --max-listeners-per-address, --max-connections-per-address, --max-requests-per-second.
void readNodeSecurityOptions(const QCommandLineParser& args, OptionReader& opts,
                             core::NodeConfig& config);
/// A node bound beyond loopback with no token gets one: the stored one
/// (core::defaultTokenPath()) or a new one, stored there (0600). Prints where it is. False with
/// `error` when it cannot be read or written.
/// The stream's other forms: --opus-bitrate KBPS, --stream-name, --stream-description,
/// --icecast URL (push the Ogg/Opus stream to an Icecast server as its source).
void addNodeStreamOptions(QCommandLineParser& args);
void readNodeStreamOptions(const QCommandLineParser& args, OptionReader& opts,
                           core::NodeConfig& config);
bool ensureOperatorToken(core::NodeConfig& config, QString* error);
/// An address to put in links for others: the node's own when bound to one, else the first
/// non-loopback IPv4 of this machine, else 127.0.0.1.
QString linkHost(const QHostAddress& bind);
/// http(s)://HOST:PORT/?token=TOKEN — the operator's page (and --attach link for the dashboard).
QString operatorLink(const QHostAddress& bind, quint16 port, const QByteArray& token, bool tls);

} // namespace auralis::app
