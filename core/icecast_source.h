// The node as an Icecast 2.4 source: an HTTP PUT of the Ogg/Opus stream to a mount (Basic
// auth, Content-Type audio/ogg, the stream's name and description), paced in real time like
// a listener, reconnected after any failure with capped, jittered exponential backoff.
// This is how the one stream reaches listeners beyond this machine. Node's thread.
#pragma once

#include "core/ogg_feed.h"
#include "core/session.h"

#include <QJsonObject>
#include <QObject>
#include <QTimer>
#include <QUrl>

#include <optional>

class QTcpSocket;

namespace auralis::core {

struct IcecastTarget {
    QUrl url;            // http://USER:PASSWORD@HOST:PORT/MOUNT
    QString name;        // ice-name
    QString description; // ice-description
    int backoffInitialMs = 1000;
    int backoffMaxMs = 30000;
    int responseTimeoutMs = 10000; // connect + the server's answer to the PUT
};

/// Checks an --icecast URL (http, a host, a mount, a password; the user defaults to
/// "source"). The normalized URL, or nullopt with `error` set.
std::optional<QUrl> parseIcecastUrl(const QString& text, QString* error);

class IcecastSource : public QObject {
    Q_OBJECT
public:
    enum class State { Connecting, Streaming, Waiting, Stopped };

    IcecastSource(IcecastTarget target, SessionContext& context, QObject* parent = nullptr);
    ~IcecastSource() override;

    void start();
    void stop();

    State state() const { return m_state; }
    bool connected() const { return m_state == State::Streaming; }
    std::uint64_t sentBytes() const { return m_sentBytes; }
    std::uint64_t reconnects() const { return m_reconnects; }
    const QString& lastError() const { return m_lastError; }
    /// The mount's URL without the password.
    QString displayUrl() const;
    /// For /api/status.
    QJsonObject statusJson() const;

    static QString stateName(State state);

signals:
    void stateChanged(IcecastSource::State state);

private:
    void connectNow();
    void onConnected();
    void onReadyRead();
    void tick();
    void fail(const QString& why);
    void setState(State state);

    IcecastTarget m_target;
    SessionContext& m_ctx;
    QTcpSocket* m_socket = nullptr;
    std::optional<OggFeed> m_feed;
    QTimer m_tick;
    QTimer m_retry;
    QTimer m_responseTimeout;
    QByteArray m_response; // the server's answer to the PUT, until its blank line
    State m_state = State::Stopped;
    int m_attempt = 0;
    qint64 m_streamingSinceUs = 0;
    std::uint64_t m_sentBytes = 0;
    std::uint64_t m_reconnects = 0;
    std::uint64_t m_dropped = 0;
    QString m_lastError;
};

} // namespace auralis::core
