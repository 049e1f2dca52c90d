// A private PulseAudio server for tests (Debian's pulseaudio): one null sink "auralis_test"
// at 44.1 kHz stereo on a socket in a temporary directory, and its monitor recorded with
// parec — what a program played, as the sound system got it. Header-only; test thread only.
#pragma once

#include "ogg_checks.h"
#include "patience.h"

#include <QProcess>
#include <QProcessEnvironment>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

namespace auralis::test {

class PulseServer {
public:
    static bool available() {
        return !QStandardPaths::findExecutable("pulseaudio").isEmpty() &&
               !QStandardPaths::findExecutable("parec").isEmpty();
    }

    ~PulseServer() {
        for (QProcess* p : {&m_recorder, &m_daemon}) {
            if (p->state() != QProcess::NotRunning) {
                p->terminate();
                if (!p->waitForFinished(5000)) {
                    p->kill();
                    p->waitForFinished(5000);
                }
            }
        }
    }

    /// Starts the server and waits until it answers; false with the reason in error().
    bool start() {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("HOME", m_dir.path()); // its cookie and state, never the user's
        env.insert("XDG_RUNTIME_DIR", m_dir.path());
        env.insert("XDG_CONFIG_HOME", m_dir.filePath("config"));
        m_daemon.setProcessEnvironment(env);
        m_daemon.setProcessChannelMode(QProcess::MergedChannels);
        m_daemon.start("pulseaudio",
                       {"-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no",
                        "--disable-shm=yes", "--log-target=stderr", "-L",
                        "module-null-sink sink_name=auralis_test rate=44100 channels=2", "-L",
                        "module-native-protocol-unix auth-anonymous=1 socket=" + socket()});
        if (!m_daemon.waitForStarted(kPatienceMs)) {
            m_error = "pulseaudio did not start: " + m_daemon.errorString();
            return false;
        }
        const bool up = QTest::qWaitFor(
            [this] {
                if (m_daemon.state() != QProcess::Running) {
                    return true;
                }
                QProcess info;
                info.setProcessEnvironment(environment());
                info.start("pactl", {"list", "short", "sinks"});
                return info.waitForFinished(5000) && info.exitCode() == 0 &&
                       info.readAllStandardOutput().contains("auralis_test");
            },
            kPatienceMs);
        if (!up || m_daemon.state() != QProcess::Running) {
            m_error = "pulseaudio did not come up: " + QString::fromUtf8(m_daemon.readAll());
            return false;
        }
        return true;
    }
    QString error() const { return m_error; }

    /// What a client of this server needs (add to a program's environment).
    QProcessEnvironment environment() const {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("PULSE_SERVER", "unix:" + socket());
        env.insert("PULSE_SINK", "auralis_test");
        return env;
    }

    /// Records the null sink's monitor (s16le stereo 44.1 kHz) until recorded() is called.
    bool startRecording() {
        m_recorder.setProcessEnvironment(environment());
        m_recorder.setStandardOutputFile(m_dir.filePath("recording.raw"));
        m_recorder.start("parec", {"-d", "auralis_test.monitor", "--format=s16le", "--rate=44100",
                                   "--channels=2", "--raw"});
        return m_recorder.waitForStarted(kPatienceMs);
    }
    /// Stops recording and returns what was recorded.
    Decoded recorded() {
        m_recorder.terminate();
        m_recorder.waitForFinished(kPatienceMs);
        Decoded d;
        d.rate = 44100;
        QFile f(m_dir.filePath("recording.raw"));
        if (!f.open(QIODevice::ReadOnly)) {
            d.error = "no recording";
            return d;
        }
        const QByteArray raw = f.readAll();
        const auto* s = reinterpret_cast<const qint16*>(raw.constData());
        for (qsizetype i = 0; i + 1 < raw.size() / 2; i += 2) {
            d.left.push_back(static_cast<float>(s[i]) / 32768.0f);
            d.right.push_back(static_cast<float>(s[i + 1]) / 32768.0f);
        }
        return d;
    }

private:
    QString socket() const { return m_dir.filePath("native"); }

    QTemporaryDir m_dir;
    QProcess m_daemon;
    QProcess m_recorder;
    QString m_error;
};

} // namespace auralis::test
