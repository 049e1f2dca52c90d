#include "player/local_player.h"

#include "client/listener.h"
#include "protocol/clock.h"

#include <QAudioDevice>
#include <QAudioSink>
#include <QIODevice>
#include <QMediaDevices>
#include <QRandomGenerator>

namespace auralis::player {

namespace {
constexpr int kMaxBufferMs = 5000; // the deepest tier (3 s) and room to spare
constexpr int kDeviceBufferMs = 150;
} // namespace

// The sink pulls from here: whatever it asks for, audio or silence, never short.
class LocalPlayer::Feed : public QIODevice {
public:
    explicit Feed(PlayoutBuffer& buffer) : m_buffer(buffer) {}
    bool isSequential() const override { return true; }
    qint64 bytesAvailable() const override { return 4 * kSampleRate + QIODevice::bytesAvailable(); }

protected:
    qint64 readData(char* data, qint64 maxSize) override {
        const qint64 frames = maxSize / 4;
        m_buffer.read(reinterpret_cast<std::int16_t*>(data), static_cast<std::size_t>(frames));
        return frames * 4;
    }
    qint64 writeData(const char*, qint64) override { return -1; }

private:
    PlayoutBuffer& m_buffer;
};

LocalPlayer::LocalPlayer(QObject* parent)
    : QObject(parent), m_buffer(kSampleRate, 1000, kMaxBufferMs),
      m_feed(std::make_unique<Feed>(m_buffer)), m_tick(this) {
    qRegisterMetaType<PlayerState>();
    m_clientId = QString("dashboard-%1")
                     .arg(QRandomGenerator::global()->bounded(1 << 24), 6, 16, QChar('0'));
    m_state.clientId = m_clientId;
    m_tick.setInterval(250);
    connect(&m_tick, &QTimer::timeout, this, &LocalPlayer::tick);
}

LocalPlayer::~LocalPlayer() {
    closeDevice();
}

void LocalPlayer::setSource(const QUrl& node, const QList<QSslCertificate>& caCertificates,
                            bool insecure) {
    QUrl base = node.adjusted(QUrl::RemoveQuery | QUrl::RemoveFragment | QUrl::RemovePath);
    if (base == m_node && caCertificates == m_ca && insecure == m_insecure) {
        return;
    }
    m_node = base;
    m_ca = caCertificates;
    m_insecure = insecure;
    m_state.node = base.toString();
    if (m_state.wanted && m_sink) {
        connectListener();
    }
    tick();
}

void LocalPlayer::play() {
    m_state.wanted = true;
    m_deviceNote.clear();
    if (!m_sink && !openDevice()) {
        m_state.wanted = false;
        tick();
        return;
    }
    if (!m_listener) {
        connectListener();
    }
    m_tick.start();
    tick();
}

void LocalPlayer::stop() {
    halt();
    tick();
}

void LocalPlayer::halt() {
    m_state.wanted = false;
    m_tick.stop();
    dropListener();
    closeDevice();
}

void LocalPlayer::dropListener() {
    if (m_listener) {
        // Nothing it still receives or says while it closes is this player's any more (a late
        // welcome would read m_listener, a late chunk would land in the restarted buffer).
        disconnect(m_listener.get(), nullptr, this, nullptr);
        m_listener->stop();
        m_listener.release()->deleteLater(); // after its closing handshake
    }
}

void LocalPlayer::setVolume(int percent) {
    m_state.volume = std::clamp(percent, 0, 100);
    m_buffer.setGain(QAudio::convertVolume(static_cast<float>(m_state.volume) / 100.0f,
                                           QAudio::LogarithmicVolumeScale,
                                           QAudio::LinearVolumeScale),
                     m_state.muted);
    publish();
}

void LocalPlayer::setMuted(bool muted) {
    m_state.muted = muted;
    setVolume(m_state.volume);
}

bool LocalPlayer::openDevice() {
    const QAudioDevice device = QMediaDevices::defaultAudioOutput();
    if (device.isNull()) {
        m_deviceNote = "no audio output device: nothing is played here (listen with the page or "
                       "auralis-client)";
        return false;
    }
    QAudioFormat format;
    format.setSampleRate(kSampleRate);
    format.setChannelCount(2);
    format.setSampleFormat(QAudioFormat::Int16);
    if (!device.isFormatSupported(format)) {
        m_deviceNote = "the audio output '" + device.description() +
                       "' does not take 44.1 kHz 16-bit stereo: nothing is played here";
        return false;
    }
    m_sink = std::make_unique<QAudioSink>(device, format);
    m_sink->setBufferSize(format.bytesForDuration(kDeviceBufferMs * 1000));
    m_feed->open(QIODevice::ReadOnly);
    m_sink->start(m_feed.get());
    if (m_sink->error() != QAudio::NoError) {
        m_deviceNote = "the audio output '" + device.description() + "' failed to start";
        closeDevice();
        return false;
    }
    m_deviceName = device.description();
    return true;
}

void LocalPlayer::closeDevice() {
    if (m_sink) {
        m_sink->stop();
        m_sink.reset();
    }
    m_feed->close();
    m_buffer.restart();
}

void LocalPlayer::connectListener() {
    dropListener();
    m_buffer.restart();
    if (m_node.isEmpty()) {
        return;
    }
    client::ListenerClient::Options o;
    o.url = m_node;
    o.url.setScheme(m_node.scheme() == "https" ? "wss" : "ws");
    o.url.setPath("/ws/stream");
    o.format = protocol::Format::Binary;
    o.tier = protocol::Tier::Normal;
    o.clientId = m_clientId;
    o.caCertificates = m_ca;
    o.insecure = m_insecure;
    o.externalPlayout = true;
    o.backoffMaxMs = 5000;
    // The listener may outlive this player (dropListener() lets it finish its closing
    // handshake): its clock must too.
    m_listener = std::make_unique<client::ListenerClient>(o, steadyClock());
    connect(m_listener.get(), &client::ListenerClient::audio, this,
            [this](qint64, const QByteArray& pcm, bool) {
                m_buffer.push(reinterpret_cast<const std::int16_t*>(pcm.constData()),
                              static_cast<std::size_t>(pcm.size() / 2));
            });
    connect(m_listener.get(), &client::ListenerClient::welcomed, this, [this] {
        m_state.targetMs = m_listener->targetMs();
        m_buffer.setTargetMs(m_state.targetMs);
    });
    connect(m_listener.get(), &client::ListenerClient::disconnected, this,
            [this](int code, const QString& reason) {
                m_linkNote = QString("%1 is not streaming (%2%3)")
                                 .arg(m_state.node)
                                 .arg(code)
                                 .arg(reason.isEmpty() ? QString() : ": " + reason);
            });
    connect(m_listener.get(), &client::ListenerClient::reconnecting, this, [this](int ms) {
        m_linkNote += QString(", retrying in %1 s").arg(ms / 1000.0, 0, 'f', 1);
        tick();
    });
    m_linkNote = "connecting to " + m_state.node + "…";
    m_listener->start();
}

void LocalPlayer::tick() {
    if (m_sink && m_sink->error() == QAudio::FatalError) {
        m_deviceNote = "the audio output failed: press Play to try again";
        halt();
    }
    double deviceMs = 0;
    if (m_sink) {
        const qint64 held = m_sink->bufferSize() - m_sink->bytesFree();
        deviceMs = 1000.0 * static_cast<double>(std::max<qint64>(held, 0)) / (4.0 * kSampleRate);
    }
    m_state.bufferMs = m_buffer.bufferedMs() + deviceMs;
    m_state.underruns = m_buffer.underruns();
    m_state.audible = m_sink && m_buffer.isPlaying();
    if (m_listener) {
        m_listener->setPlayout(m_state.bufferMs, m_state.underruns);
    }
    m_state.note = note();
    publish();
}

QString LocalPlayer::note() const {
    if (!m_deviceNote.isEmpty() && !m_sink) {
        return m_deviceNote;
    }
    if (!m_state.wanted) {
        return "stopped";
    }
    if (m_node.isEmpty()) {
        return "waiting for a node to play";
    }
    if (!m_listener || !m_listener->isConnected()) {
        return m_linkNote;
    }
    if (!m_buffer.isPlaying()) {
        return "buffering…";
    }
    return "playing on " + m_deviceName;
}

void LocalPlayer::publish() {
    emit stateChanged(m_state);
}

} // namespace auralis::player
