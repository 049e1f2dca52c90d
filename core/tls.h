// TLS for the node's port: https and wss on the same socket, from a PEM certificate (chain)
// and key. Any thread.
#pragma once

#include <QSslConfiguration>
#include <QString>

#include <optional>

namespace auralis::core {

/// The server configuration for `certFile` (PEM, the leaf first, then any chain) and
/// `keyFile` (PEM, RSA or EC, not encrypted); nullopt with `error` when they cannot be used.
std::optional<QSslConfiguration> loadServerTls(const QString& certFile, const QString& keyFile,
                                               QString* error);

} // namespace auralis::core
