#include "core/operator_token.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>

namespace auralis::core {

bool tokenMatches(QByteArrayView presented, QByteArrayView token) {
    if (token.isEmpty() || presented.size() != token.size()) {
        return false;
    }
    unsigned char diff = 0;
    for (qsizetype i = 0; i < token.size(); ++i) {
        diff |= static_cast<unsigned char>(presented[i] ^ token[i]);
    }
    return diff == 0;
}

Access accessFor(QByteArrayView presented, QByteArrayView token) {
    if (token.isEmpty()) {
        return Access::Open;
    }
    if (presented.isEmpty()) {
        return Access::Missing;
    }
    return tokenMatches(presented, token) ? Access::Granted : Access::Wrong;
}

Access bearerAccess(const http::Request& request, QByteArrayView token) {
    const QByteArray header = request.header("authorization").trimmed();
    QByteArray presented;
    if (header.size() > 7 && header.left(7).toLower() == "bearer ") {
        presented = header.mid(7).trimmed();
    } else if (!header.isEmpty()) {
        presented = "\x01"; // some other scheme: a credential, but not ours
    }
    return accessFor(presented, token);
}

const char* accessName(Access a) {
    switch (a) {
    case Access::Open:
        return "open (no token configured)";
    case Access::Granted:
        return "authorised";
    case Access::Missing:
        return "refused: no token";
    case Access::Wrong:
        return "refused: wrong token";
    }
    return "?";
}

QByteArray generateToken() {
    QByteArray raw(32, Qt::Uninitialized);
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32*>(raw.data()), 8);
    return raw.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

QString defaultTokenPath() {
    QString dir = qEnvironmentVariable("STATE_DIRECTORY").split(':').value(0);
    if (dir.isEmpty()) {
        const QString xdg = qEnvironmentVariable("XDG_STATE_HOME");
        dir = (xdg.isEmpty() ? QDir::homePath() + "/.local/state" : xdg) + "/auralis";
    }
    return dir + "/control-token";
}

std::optional<QByteArray> readTokenFile(const QString& path, QString* error) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        *error = "cannot read the token file " + path + ": " + f.errorString();
        return std::nullopt;
    }
    const QByteArray token = f.read(4096).trimmed();
    if (token.size() < 16) {
        *error = "the token in " + path + " is shorter than 16 characters";
        return std::nullopt;
    }
    return token;
}

bool writeTokenFile(const QString& path, const QByteArray& token, QString* error) {
    const QFileInfo info(path);
    QDir dir = info.dir();
    if (!dir.exists()) {
        if (!QDir().mkpath(dir.absolutePath())) {
            *error = "cannot create " + dir.absolutePath();
            return false;
        }
        QFile::setPermissions(dir.absolutePath(),
                              QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    }
    // A new file, created owner-only: no one can have opened it before it is private.
    QFile::remove(path);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::NewOnly, QFile::ReadOwner | QFile::WriteOwner) ||
        f.write(token + "\n") < 0) {
        *error = "cannot write the token file " + path + ": " + f.errorString();
        return false;
    }
    return true;
}

} // namespace auralis::core
