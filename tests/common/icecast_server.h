// A real Icecast 2.4 server for tests (Debian's icecast2): a generated config on 127.0.0.1
// and a free port, optionally relaying another server's mount; run as an unprivileged user
// (icecast2 refuses to run as root). Header-only; test thread only.
#pragma once

#include "patience.h"
#include "sync_http.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

#include <unistd.h>

namespace auralis::test {

class IcecastServer {
public:
    static constexpr const char* kPassword = "test-source-password";

    static bool available() { return !QStandardPaths::findExecutable("icecast2").isEmpty(); }

    /// A free port on 127.0.0.1 (Icecast cannot be given port 0).
    static quint16 freePort() {
        QTcpServer probe;
        probe.listen(QHostAddress::LocalHost, 0);
        return probe.serverPort();
    }

    /// `relayFromPort` > 0: relay MOUNT from the Icecast server on that port.
    explicit IcecastServer(quint16 port = freePort(), quint16 relayFromPort = 0,
                           const QString& mount = "/auralis.ogg")
        : m_port(port) {
        // Readable and writable by the unprivileged user the server runs as.
        QFile::setPermissions(m_dir.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner |
                                                QFileDevice::ExeOwner | QFileDevice::ReadOther |
                                                QFileDevice::WriteOther | QFileDevice::ExeOther);
        const QString relay =
            relayFromPort == 0
                ? QString()
                : QString("<relay><server>127.0.0.1</server><port>%1</port><mount>%2</mount>"
                          "<local-mount>%2</local-mount><on-demand>0</on-demand>"
                          "<relay-shoutcast-metadata>0</relay-shoutcast-metadata></relay>")
                      .arg(relayFromPort)
                      .arg(mount);
        const QString config =
            QString("<icecast><location>test</location><admin>test@localhost</admin>"
                    "<limits><clients>100</clients><sources>4</sources>"
                    "<queue-size>524288</queue-size><client-timeout>30</client-timeout>"
                    "<header-timeout>15</header-timeout><source-timeout>10</source-timeout>"
                    "<burst-size>65535</burst-size></limits>"
                    "<authentication><source-password>%2</source-password>"
                    "<relay-password>%2</relay-password><admin-user>admin</admin-user>"
                    "<admin-password>%2</admin-password></authentication>"
                    "<hostname>127.0.0.1</hostname>"
                    "<listen-socket><port>%1</port><bind-address>127.0.0.1</bind-address>"
                    "</listen-socket>%3<fileserve>0</fileserve>"
                    "<paths><basedir>/usr/share/icecast2</basedir><logdir>%4</logdir>"
                    "<webroot>/usr/share/icecast2/web</webroot>"
                    "<adminroot>/usr/share/icecast2/admin</adminroot></paths>"
                    "<logging><accesslog>access.log</accesslog><errorlog>error.log</errorlog>"
                    "<loglevel>3</loglevel></logging><security><chroot>0</chroot></security>"
                    "</icecast>")
                .arg(port)
                .arg(kPassword, relay, m_dir.path());
        QFile f(m_dir.filePath("icecast.xml"));
        f.open(QIODevice::WriteOnly);
        f.write(config.toUtf8());
        f.close();
        f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadOther);
    }
    /// A server from one of packaging/icecast's configs, made runnable here: its port, a
    /// temporary log directory and `replacements` (text -> text, e.g. the master's host).
    static std::unique_ptr<IcecastServer>
    fromConfig(const QString& path, quint16 port,
               const QList<QPair<QString, QString>>& replacements = {}) {
        auto server = std::unique_ptr<IcecastServer>(new IcecastServer(port, 0));
        QFile in(path);
        if (!in.open(QIODevice::ReadOnly)) {
            return nullptr;
        }
        QString config = QString::fromUtf8(in.readAll());
        config.replace("<port>8000</port>\n    </listen-socket>",
                       QString("<port>%1</port><bind-address>127.0.0.1</bind-address>\n"
                               "    </listen-socket>")
                           .arg(port));
        config.replace("/var/log/icecast2", server->m_dir.path());
        for (const auto& [from, to] : replacements) {
            config.replace(from, to);
        }
        QFile out(server->m_dir.filePath("icecast.xml"));
        out.open(QIODevice::WriteOnly);
        out.write(config.toUtf8());
        return server;
    }

    ~IcecastServer() { stop(); }

    /// Starts the server and waits until it answers HTTP as Icecast. The port must be free
    /// first (a previous server on it gone), so that the answer is this server's; a server that
    /// exits because it could not bind yet (the old socket not released), or crashes while
    /// starting, is started again.
    bool start() {
        const QString config = m_dir.filePath("icecast.xml");
        if (!QTest::qWaitFor([this] { return !accepts(m_port); }, kPatienceMs)) {
            m_startError = QString("port %1 is still in use by another server").arg(m_port);
            return false;
        }
        QElapsedTimer waited;
        waited.start();
        while (true) {
            if (geteuid() == 0) {
                m_process.start("runuser", {"-u", "nobody", "--", "icecast2", "-c", config});
            } else {
                m_process.start("icecast2", {"-c", config});
            }
            if (!m_process.waitForStarted(kPatienceMs)) {
                m_startError = "could not run icecast2: " + m_process.errorString();
                return false;
            }
            // Done when it answers, or when it has exited.
            if (QTest::qWaitFor(
                    [this] { return m_process.state() != QProcess::Running || answersAsIcecast(); },
                    kPatienceMs) &&
                m_process.state() == QProcess::Running) {
                return true;
            }
            if (m_process.state() == QProcess::Running) {
                m_startError = "icecast2 runs but does not answer HTTP on its port";
                stop();
                return false;
            }
            // Before its log is open icecast2 reports on stderr.
            m_output += QString::fromUtf8(m_process.readAllStandardError() +
                                          m_process.readAllStandardOutput());
            const bool couldNotBind = m_output.contains("Could not create listener");
            // Debian's icecast2 2.4.4 has, rarely, died of SIGSEGV (exit 139) while starting
            // (master or relay: 3 of about 180 loaded starts); that is its bug, not the node's:
            // start it again, visibly.
            if (crashed()) {
                qWarning("icecast2 on port %d crashed while starting (exit %d); starting it again",
                         m_port, m_process.exitCode());
            }
            if (!(couldNotBind || crashed()) || waited.elapsed() > kPatienceMs) {
                m_startError = QString("icecast2 exited (code %1)").arg(m_process.exitCode());
                return false;
            }
            // No signal says when the old socket is released: a short pause between tries.
            QTest::qWait(200);
        }
    }
    /// True while the server runs; one that crashed (Debian's 2.4.4 has, rarely, died of
    /// strlen(NULL) when a connection arrived while it was starting) is started again, with
    /// a warning. Call it in a wait loop where a crash of Icecast's own is not the failure tested.
    bool restartIfCrashed() {
        if (m_process.state() == QProcess::Running) {
            return true;
        }
        if (!crashed()) {
            return false;
        }
        qWarning("icecast2 on port %d crashed (exit %d); starting it again", m_port,
                 m_process.exitCode());
        ++m_restarts;
        return start();
    }
    /// Stops the server and waits until its port is free again.
    void stop() {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.terminate();
            if (!m_process.waitForFinished(5000)) {
                m_process.kill();
                m_process.waitForFinished(5000);
            }
        }
        if (accepts(m_port)) {
            // runuser killed before it could pass the signal on leaves icecast2 behind; only
            // this server's process names this config.
            QProcess::execute("pkill", {"-KILL", "-f", m_dir.filePath("icecast.xml")});
            if (!QTest::qWaitFor([this] { return !accepts(m_port); }, 5000)) {
                qWarning("icecast2 on port %d survived being stopped", m_port);
            }
        }
    }

    quint16 port() const { return m_port; }
    /// How often restartIfCrashed() started it again.
    int restarts() const { return m_restarts; }
    QString sourceUrl(const QString& mount = "/auralis.ogg",
                      const QString& password = kPassword) const {
        return QString("http://source:%1@127.0.0.1:%2%3").arg(password).arg(m_port).arg(mount);
    }
    /// Why start() failed (if it did), the server's own output and its error log, for
    /// failure messages.
    QString log() {
        m_output += QString::fromUtf8(m_process.readAllStandardError());
        return m_startError + "\n" + m_output.right(3000) + errorLog().right(3000);
    }

private:
    static bool accepts(quint16 port) {
        QTcpSocket probe;
        probe.connectToHost(QHostAddress::LocalHost, port);
        return probe.waitForConnected(200);
    }
    bool answersAsIcecast() const {
        // A path that does not exist: answered (404) without running any XSLT.
        QNetworkAccessManager nam;
        const SyncReply reply =
            syncRequest(nam, QUrl(QString("http://127.0.0.1:%1/auralis-probe").arg(m_port)));
        return reply.status > 0 && reply.server.startsWith("Icecast");
    }
    /// Exited by a signal (runuser reports its child's as 128 + the signal).
    bool crashed() const {
        return m_process.state() == QProcess::NotRunning &&
               (m_process.exitStatus() == QProcess::CrashExit || m_process.exitCode() >= 128);
    }
    QString errorLog() const {
        QFile f(m_dir.filePath("error.log"));
        f.open(QIODevice::ReadOnly);
        return QString::fromUtf8(f.readAll());
    }

    QTemporaryDir m_dir;
    quint16 m_port;
    QProcess m_process;
    QString m_startError;
    QString m_output; // what it wrote on stderr/stdout so far
    int m_restarts = 0;
};

} // namespace auralis::test
