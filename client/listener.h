// The listener side of protocol v1: connects to a node, keeps a jitter buffer (a playout
// model driven by the injected clock), reports to the node, reconnects with capped jittered
// exponential backoff, and measures what it received. Optional network impairments make
// it a realistic load-test client. Lives in one thread.
#pragma once

#include "client/opus_decoder.h"
#include "client/ws_client.h"
#include "protocol/clock.h"
#include "protocol/protocol.h"

#include <QJsonObject>
#include <QObject>
#include <QTimer>
#include <QUrl>

#include <deque>
#include <memory>
#include <vector>

namespace auralis::client {

struct Impairment {
    int delayMs = 0;        // added to every message's arrival
    int jitterMs = 0;       // plus a uniform random 0..jitterMs (order is kept, as with TCP)
    int stallEveryMs = 0;   // stop reading every ... ms
    int stallMs = 0;        // ... for this long
    bool neverRead = false; // connect, then never read a byte

    bool any() const { return delayMs > 0 || jitterMs > 0 || stallMs > 0 || neverRead; }
};

struct ListenerStats {
    QString clientId;
    int connects = 0;                   // successful handshakes
    std::uint64_t chunks = 0;           // audio chunks received
    std::uint64_t gaps = 0;             // seq numbers skipped within a connection
    std::uint64_t outOfOrder = 0;       // seq not greater than the previous one
    std::uint64_t serverUnderruns = 0;  // chunks flagged underrun by the node
    std::uint64_t playoutUnderruns = 0; // times the modelled playout ran dry
    std::uint64_t errors = 0;           // `error` messages
    std::uint64_t warnings = 0;         // `warning` messages
    double firstAudioMs = -1;           // start() to the first chunk
    double bufferMs = 0;                // modelled playout buffer (at the last arrival or report)
    qint64 lastSeq = -1;
    int lastCloseCode = 0;
    QString lastCloseReason;
    std::vector<float> jitterMs; // |inter-arrival - 100 ms| after the initial burst
};

class ListenerClient : public QObject {
    Q_OBJECT
public:
    struct Options {
        QUrl url; // ws(s)://host:port/ws/stream (query added from the fields below)
        protocol::Format format = protocol::Format::Json;
        protocol::Tier tier = protocol::Tier::Normal;
        QString clientId; // empty: the node assigns one
        Impairment impairment;
        bool reconnect = true;
        int reportIntervalMs = 1000;
        int backoffInitialMs = 250;
        int backoffMaxMs = 10000;
        QList<QSslCertificate> caCertificates; // wss: also trusted (a self-signed node)
        bool insecure = false;                 // wss: accept any certificate (testing)
        QString token;                         // the operator token (?token=), if any
        /// Decode the audio to PCM (Opus, or the base64 of JSON). A load generator need not:
        /// it then checks each chunk's size only, and audio() carries no PCM.
        bool decodeAudio = true;
        /// The owner plays the audio and tells the buffer and underruns it really has
        /// (setPlayout()); the client's own playout model is off.
        bool externalPlayout = false;
    };

    ListenerClient(Options options, const Clock& clock, QObject* parent = nullptr);
    ~ListenerClient() override;

    void start();
    /// Closes the connection (closing handshake) and stops reconnecting; emits stopped().
    void stop();
    bool isConnected() const { return m_ws.isOpen(); }
    const ListenerStats& stats() const { return m_stats; }
    const Options& options() const { return m_options; }
    int targetMs() const { return m_targetMs; }
    /// Sends {"type": ..., ...} to the node.
    void send(const QJsonObject& message);
    /// With Options::externalPlayout: what the real playout holds and how often it ran dry,
    /// reported to the node and kept in stats().
    void setPlayout(double bufferMs, std::uint64_t underruns);

signals:
    void welcomed(const QJsonObject& welcome);
    /// A chunk of s16le stereo PCM, in arrival order: 44.1 kHz, or 48 kHz for format=opus
    /// (empty when not decoded).
    void audio(qint64 seq, const QByteArray& pcm, bool underrun);
    /// Every other message from the node (status, tier, warning, error, pong, ...).
    void message(const QJsonObject& message);
    void disconnected(int code, const QString& reason);
    void reconnecting(int inMs);
    /// After stop(): the connection has ended (its closing handshake is over).
    void stopped();

private:
    void connectNow();
    void onOpened();
    void onText(const QByteArray& utf8);
    void onBinary(const QByteArray& data);
    /// A message arrives: handled now, or queued for its impaired arrival time.
    void arrive(const QByteArray& data, bool binary);
    void deliver();
    void handle(const QByteArray& data, bool binary);
    void onAudio(qint64 seq, const QByteArray& pcm, bool underrun);
    void updatePlayout(qint64 nowUs);
    void onClosed(int code, const QString& reason);
    void scheduleReconnect();

    Options m_options;
    const Clock& m_clock;
    WsClient m_ws;
    ListenerStats m_stats;
    QTimer m_reportTimer;
    QTimer m_stallTimer;
    QTimer m_deliverTimer;
    QTimer m_reconnectTimer;
    struct Pending {
        qint64 dueUs;
        QByteArray data;
        bool binary;
    };
    std::deque<Pending> m_pending;            // impaired arrivals waiting for their time
    std::unique_ptr<OpusChunkDecoder> m_opus; // format=opus: one per connection
    qint64 m_startUs = 0;
    qint64 m_lastArrivalUs = -1;
    int m_targetMs = 1000;
    int m_sinceWelcome = 0;
    int m_attempt = 0;
    bool m_stopped = false;
    // Playout model.
    bool m_playing = false;
    double m_receivedMs = 0;
    double m_playedMs = 0;
    qint64 m_playClockUs = 0;
};

} // namespace auralis::client
