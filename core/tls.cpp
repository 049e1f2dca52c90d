#include "core/tls.h"

#include <QFile>
#include <QSslCertificate>
#include <QSslKey>
#include <QSslSocket>

namespace auralis::core {

std::optional<QSslConfiguration> loadServerTls(const QString& certFile, const QString& keyFile,
                                               QString* error) {
    if (!QSslSocket::supportsSsl()) {
        *error = "this Qt has no TLS backend (install OpenSSL 3)";
        return std::nullopt;
    }
    const QList<QSslCertificate> chain = QSslCertificate::fromPath(certFile, QSsl::Pem);
    if (chain.isEmpty()) {
        *error = "no PEM certificate in " + certFile;
        return std::nullopt;
    }
    QFile f(keyFile);
    if (!f.open(QIODevice::ReadOnly)) {
        *error = "cannot read the key " + keyFile + ": " + f.errorString();
        return std::nullopt;
    }
    const QByteArray pem = f.readAll();
    QSslKey key;
    for (const QSsl::KeyAlgorithm algorithm : {QSsl::Rsa, QSsl::Ec}) {
        key = QSslKey(pem, algorithm, QSsl::Pem, QSsl::PrivateKey);
        if (!key.isNull()) {
            break;
        }
    }
    if (key.isNull()) {
        *error = "no unencrypted RSA or EC private key in " + keyFile;
        return std::nullopt;
    }
    QSslConfiguration config = QSslConfiguration::defaultConfiguration();
    config.setLocalCertificateChain(chain);
    config.setPrivateKey(key);
    config.setPeerVerifyMode(QSslSocket::VerifyNone); // listeners do not present certificates
    config.setProtocol(QSsl::TlsV1_2OrLater);
    return config;
}

} // namespace auralis::core
