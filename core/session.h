// One listener on the node: its WebSocket connection, cursor in the broadcast ring, pacer,
// tier policy and message rate limit; it sends the initial burst, one chunk per deadline
// (dropping for a listener that does not read), status and tier messages, and answers the
// listener's messages. Its I/O loop (io_loop.h) owns it and calls serve() at each deadline;
// it lives in that loop's thread (SessionContext is shared by every loop: thread-safe).
#pragma once

#include "core/broadcast_ring.h"
#include "core/metrics.h"
#include "core/operator_token.h"
#include "core/pacing.h"
#include "core/scheduler.h"
#include "core/ws_connection.h"
#include "protocol/clock.h"
#include "protocol/control.h"
#include "protocol/messages.h"

#include <QJsonObject>
#include <QString>

#include <cmath>
#include <functional>
#include <variant>

namespace auralis::core {

/// What the node knows about one listener (for /api/status and tests).
struct ListenerInfo {
    QString id;
    QString format;
    QString remote;
    QString tier;
    QString requestedTier;
    int targetMs = 0;
    double connectedSeconds = 0;
    qint64 cursor = 0;
    qint64 depthChunks = 0; // audio it holds before it runs dry, in chunks (see depthChunks())
    std::uint64_t sent = 0;
    std::uint64_t underruns = 0;
    std::uint64_t dropped = 0;
    std::uint64_t resyncs = 0;
    double pacingPhaseMs = 0; // its deadlines' time within each 100 ms
    int ioThread = 0;         // the I/O loop that serves it (0: the node's thread)
    qint64 queuedBytes = 0;   // written but not yet sent to the socket (the bounded backlog)
    double jitterP95Ms = 0;
    bool reported = false;
    double reportBufferMs = 0;
    std::uint64_t reportUnderruns = 0;
    double reportAgeSeconds = 0;
};

/// A control request's outcome: the acknowledgement, or why nothing was applied.
using ControlOutcome = std::variant<protocol::ControlAck, protocol::ControlError>;

/// What sessions share: the node's stream, metrics, limits and its control entry point. Every
/// I/O thread uses it: the clock, ring, scheduler, metrics and control are thread-safe.
struct SessionContext {
    const Clock& clock;
    BroadcastRing& ring;
    PhraseScheduler& scheduler;
    NodeMetrics& metrics;
    int queueLimitChunks = 20;
    int stallDisconnectMs = 10000;
    int statusIntervalMs = 5000;
    double messageRate = 20;
    double messageBurst = 40;
    int opusMessageBytes = 1300; // about one Opus chunk message at the node's bitrate
    QByteArray controlToken;     // empty: control is open
    /// Applies a control request (validated as a whole) from `who` with `access`.
    std::function<ControlOutcome(const QJsonObject& request, const QString& who, Access access)>
        control;
};

class ListenerSession {
public:
    struct Identity {
        quint64 serial = 0; // the node's key for pacing
        QString id;
        protocol::Format format = protocol::Format::Json;
        protocol::Tier tier = protocol::Tier::Normal;
        Access access = Access::Open; // from the token it presented when it connected
        int pacingSlot = -1;          // the node's PhaseSlots slot (-1: none)
        qint64 pacingPhaseUs = -1;    // its deadlines' phase (Pacer::start)
    };
    ListenerSession(SessionContext& context, WsConnection* ws, Identity identity, qint64 nowUs);
    ~ListenerSession();
    ListenerSession(const ListenerSession&) = delete;
    ListenerSession& operator=(const ListenerSession&) = delete;

    /// Welcome, any warnings about the request, then the burst that fills its jitter buffer.
    void start(const QStringList& warnings);
    /// One pacing wake at `deadlineUs`: sends what is due, drops for a listener that does not
    /// read (and closes it when that lasts), adjusts its tier, sends status when due.
    void serve(qint64 deadlineUs);
    void onText(const QByteArray& utf8);
    void onBinary();
    void onPing();
    void tellShutdown(const QString& reason, int drainMs);
    /// The music's parameters changed (by anyone): every listener is told.
    void tellParams(const protocol::ParamsChanged& change);
    /// Closing handshake with `code`; the session is gone when the connection is.
    void close(int code, const QString& reason);

    quint64 serial() const { return m_serial; }
    int pacingSlot() const { return m_pacingSlot; }
    const QString& id() const { return m_id; }
    protocol::Format format() const { return m_format; }
    WsConnection* connection() const { return m_ws; }
    bool closing() const { return m_closing; }
    qint64 nextDeadlineUs() const { return m_pacer.nextDeadlineUs(); }
    /// The contract's buffer_depth_chunks: the audio this listener holds before it runs dry,
    /// in chunks — its own report when it reported in the last 5 s, else the node's estimate:
    /// chunks delivered ahead of the live edge minus what the peer has not taken yet (Qt's
    /// buffer and the kernel's send queue). A listener that stops reading falls to 0.
    qint64 depthChunks(qint64 nowUs) const;
    /// Brings its buffer_depth_chunks gauge up to `nowUs` (at scrape time): the estimate, unless
    /// a report of the last 5 s set it when it came.
    void refreshDepthMetric(qint64 nowUs) const;
    ListenerInfo info(qint64 nowUs) const;
    Access access() const { return m_access; }

private:
    bool allowMessage();
    qint64 messageBytes() const; // one audio message, about (the backlog's unit)
    bool reportIsFresh(qint64 nowUs) const { return m_reported && nowUs - m_reportUs <= 5'000'000; }
    qint64 reportedDepthChunks() const {
        return std::llround(m_reportBufferMs / protocol::kChunkMs);
    }
    qint64 estimatedDepthChunks() const;
    void send(const QJsonObject& message);
    void sendChunk(qint64 nowUs);
    /// Opus only: the chunk at the cursor is not encoded yet and not late (or nothing was
    /// sent yet): wait for the encoder instead of sending silence.
    bool waitingForOpus(qint64 live);
    void sendStatus(qint64 nowUs);
    void applyTier(protocol::Tier tier, const QString& reason);
    void onReport(const protocol::Report& report, qint64 nowUs);

    SessionContext& m_ctx;
    WsConnection* m_ws;
    quint64 m_serial;
    int m_pacingSlot;
    qint64 m_pacingPhaseUs;
    QString m_id;
    protocol::Format m_format;
    Access m_access;
    QString m_remote;
    TierPolicy m_tier;
    Pacer m_pacer;
    RateLimiter m_rate;
    NodeMetrics::Listener& m_metrics; // owned by the node's metrics until the destructor
    qint64 m_cursor = 0;
    qint64 m_connectedUs = 0;
    qint64 m_lastWakeUs = -1;
    qint64 m_lastStatusUs = 0;
    qint64 m_stalledSinceUs = -1;
    std::uint64_t m_sent = 0;
    std::uint64_t m_underruns = 0;
    std::uint64_t m_dropped = 0;
    bool m_closing = false;
    // The listener's own view, from `report` messages.
    bool m_reported = false;
    double m_reportBufferMs = 0;
    std::uint64_t m_reportUnderruns = 0;
    qint64 m_reportUs = 0;
};

} // namespace auralis::core
