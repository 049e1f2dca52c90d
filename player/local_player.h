// Plays a node's stream on this machine's default audio output: a PCM listener (client id
// "dashboard-…") that reports its real buffer and underruns to the node — so it shows on the
// Buffer Depth and Underrun panels like any listener — feeding a QAudioSink from a
// PlayoutBuffer. Lives in its own thread (audio never waits for a redraw): queued calls only.
#pragma once

#include "player/playout_buffer.h"

#include <QObject>
#include <QSslCertificate>
#include <QTimer>
#include <QUrl>

#include <memory>

class QAudioSink;

namespace auralis::client {
class ListenerClient;
}

namespace auralis::player {

struct PlayerState {
    bool wanted = false;  // play() was asked for and stop() was not
    bool audible = false; // sound goes to the device now (it may be muted)
    bool muted = false;
    int volume = 100;    // percent, on a logarithmic scale
    QString node;        // what it plays: http(s)://HOST:PORT (never a token)
    QString clientId;    // how that node names this listener
    double bufferMs = 0; // audio held here and in the device, before it runs dry
    int targetMs = 0;    // the buffer it fills before playing (the node's tier)
    quint64 underruns = 0;
    QString note; // what it is doing or why nothing is heard ("no audio output device: …")
};

class LocalPlayer : public QObject {
    Q_OBJECT
public:
    explicit LocalPlayer(QObject* parent = nullptr);
    ~LocalPlayer() override;

    static constexpr int kSampleRate = 44100;
    PlayerState state() const { return m_state; }

public slots:
    /// The node to play (http(s)://HOST:PORT; a query is ignored) and whom to trust for wss.
    /// Switches at once while playing.
    void setSource(const QUrl& node, const QList<QSslCertificate>& caCertificates, bool insecure);
    void play();
    void stop();
    void setVolume(int percent);
    void setMuted(bool muted);

signals:
    void stateChanged(const auralis::player::PlayerState& state);

private:
    void connectListener();
    /// Not playing any more: no listener, no device (what stop() and a failed device share).
    void halt();
    void dropListener();
    bool openDevice();
    void closeDevice();
    void tick();
    void publish();
    QString note() const;

    PlayoutBuffer m_buffer;
    class Feed;
    std::unique_ptr<Feed> m_feed;
    std::unique_ptr<QAudioSink> m_sink;
    std::unique_ptr<client::ListenerClient> m_listener;
    QUrl m_node;
    QList<QSslCertificate> m_ca;
    bool m_insecure = false;
    QString m_clientId;
    QString m_deviceName;
    QString m_deviceNote; // why the device cannot play (empty: it can, or not tried)
    QString m_linkNote;   // connecting, or why the node is not streaming
    QTimer m_tick;
    PlayerState m_state;
};

} // namespace auralis::player

Q_DECLARE_METATYPE(auralis::player::PlayerState)
