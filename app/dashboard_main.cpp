// auralis: the desktop dashboard. Starts an embedded node in its own thread (unless
// --no-local), watches it and any --attach'ed node over HTTP from a worker thread, and shows
// the panels. The offline demo runs auralis-client as a child process. Wiring only.
#include "app/common.h"
#include "core/node.h"
#include "monitor/node_watcher.h"
#include "ui/main_window.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QProcess>
#include <QThread>
#include <QTimer>

#include <cstdio>
#include <memory>

using namespace auralis;

namespace {

/// The embedded node on its own thread (never the GUI thread).
class LocalNode {
public:
    ~LocalNode() { stop(); }

    bool start(const core::NodeConfig& config, QString* error) {
        m_thread = std::make_unique<QThread>();
        m_thread->setObjectName("auralis-node");
        m_thread->start();
        m_node = new core::Node(config);
        m_node->moveToThread(m_thread.get());
        bool ok = false;
        QMetaObject::invokeMethod(
            m_node, [&] { ok = m_node->start(error); }, Qt::BlockingQueuedConnection);
        if (!ok) {
            stop();
            return false;
        }
        QMetaObject::invokeMethod(
            m_node, [&] { m_port = m_node->port(); }, Qt::BlockingQueuedConnection);
        return true;
    }

    void stop() {
        if (!m_thread) {
            return;
        }
        if (m_node) {
            // Tell listeners, drain briefly, then tear down in the node's own thread.
            QMetaObject::invokeMethod(m_node, [node = m_node] {
                QObject::connect(node, &core::Node::stopped, node, &QObject::deleteLater);
                node->shutdown(300);
            });
            QObject::connect(m_node, &QObject::destroyed, m_thread.get(), &QThread::quit);
            if (!m_thread->wait(5000)) {
                m_thread->quit();
                m_thread->wait();
            }
            m_node = nullptr;
        } else {
            m_thread->quit();
            m_thread->wait();
        }
        m_thread.reset();
        m_port = 0;
    }

    bool running() const { return m_node != nullptr; }
    quint16 port() const { return m_port; }

private:
    std::unique_ptr<QThread> m_thread;
    core::Node* m_node = nullptr;
    quint16 m_port = 0;
};

QUrl nodeUrl(QString text) {
    if (!text.contains("://")) {
        text = "http://" + text;
    }
    QUrl url(text);
    if (url.scheme() == "ws") {
        url.setScheme("http");
    }
    url.setPath("");
    url.setQuery(QString());
    return url;
}

} // namespace

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName("auralis");
    QApplication::setApplicationVersion(AURALIS_VERSION);
    qRegisterMetaType<std::shared_ptr<const monitor::DashboardSnapshot>>();
    qRegisterMetaType<monitor::DashboardOptions>();

    QCommandLineParser args;
    args.setApplicationDescription(
        "Auralis: an ambient synthesis node and its operations dashboard.\n"
        "Starts a local node and shows its panels; --attach watches other nodes too.");
    args.addHelpOption();
    args.addVersionOption();
    args.addOptions({
        {"attach", "Watch the node at URL (http://HOST:PORT); repeatable.", "url"},
        {"no-local", "Do not start the embedded node (watch --attach'ed nodes only)."},
        {"port", "Embedded node port (default 8000, or a free one if 8000 is taken).", "port"},
        {"bind", "Embedded node bind address (default 0.0.0.0).", "address", "0.0.0.0"},
        {"device", "cpu, cuda or auto (default auto).", "device", "auto"},
        {"scrape-interval", "Milliseconds between scrapes (default 1000).", "ms", "1000"},
        {"demo", "Start N simulated listeners right away.", "n"},
        {"screenshot", "Save a screenshot of the window to FILE (after --quit-after).", "file"},
        {"report", "Write what the panels show as JSON to FILE (after --quit-after).", "file"},
        {"quit-after", "Quit after S seconds.", "s"},
        {"log-level", "error, warn, info or debug (default warn).", "level", "warn"},
    });
    app::addMusicOptions(args);
    args.process(app);
    if (!app::setupLogging(args.value("log-level"))) {
        return app::usageError("--log-level must be error, warn, info or debug");
    }
    bool ok = false;
    const int interval = args.value("scrape-interval").toInt(&ok);
    if (!ok || interval < 100 || interval > 60000) {
        return app::usageError("--scrape-interval must be 100-60000 ms");
    }
    core::NodeConfig config;
    if (const auto error = app::readMusicOptions(args, config.params, config.seed)) {
        return app::usageError(*error);
    }
    const auto device = synth::parseDevicePreference(args.value("device").toStdString());
    if (!device) {
        return app::usageError("--device must be cpu, cuda or auto");
    }
    config.device = *device;
    if (!config.bind.setAddress(args.value("bind"))) {
        return app::usageError("--bind must be an IP address");
    }
    quint16 requestedPort = 8000;
    const bool portGiven = args.isSet("port");
    if (portGiven) {
        const uint p = args.value("port").toUInt(&ok);
        if (!ok || p > 65535) {
            return app::usageError("--port must be 0-65535");
        }
        requestedPort = static_cast<quint16>(p);
    }

    QThread watchers;
    watchers.setObjectName("auralis-scrapers");
    watchers.start();
    ui::MainWindow window;
    const auto watch = [&](const QString& label, const QUrl& url) {
        auto* w = new monitor::NodeWatcher(url, interval);
        w->moveToThread(&watchers);
        QObject::connect(&watchers, &QThread::finished, w, &QObject::deleteLater);
        window.addNode(label, w);
        QMetaObject::invokeMethod(w, &monitor::NodeWatcher::start);
        return w;
    };

    LocalNode local;
    monitor::NodeWatcher* localWatcher = nullptr;
    const auto startLocal = [&]() -> bool {
        QString error;
        config.port = requestedPort;
        if (!local.start(config, &error) && !portGiven) {
            config.port = 0; // 8000 is taken: any free port
            error.clear();
            local.start(config, &error);
        }
        if (!local.running()) {
            window.controls()->setLocalNodeRunning(false, "could not start: " + error);
            std::fprintf(stderr, "auralis: the local node did not start: %s\n", qPrintable(error));
            return false;
        }
        const QString where = QString("http://127.0.0.1:%1").arg(local.port());
        window.controls()->setLocalNodeRunning(
            true, "listening on port " + QString::number(local.port()) +
                      " (ws://HOST:" + QString::number(local.port()) + "/ws/stream)");
        if (!localWatcher) {
            localWatcher = watch("local node (" + where + ")", QUrl(where));
        }
        return true;
    };
    if (!args.isSet("no-local")) {
        startLocal();
    }
    for (const QString& url : args.values("attach")) {
        watch("attached " + nodeUrl(url).toString(), nodeUrl(url));
    }
    if (args.isSet("no-local") && args.values("attach").isEmpty()) {
        return app::usageError("--no-local needs at least one --attach URL");
    }
    QObject::connect(&window, &ui::MainWindow::attachRequested, &app, [&](const QString& url) {
        watch("attached " + nodeUrl(url).toString(), nodeUrl(url));
    });
    QObject::connect(window.controls(), &ui::ControlsWidget::stopLocalNode, &app, [&] {
        local.stop();
        window.controls()->setLocalNodeRunning(false, "stopped");
    });
    QObject::connect(window.controls(), &ui::ControlsWidget::startLocalNode, &app,
                     [&] { startLocal(); });

    // Offline demo: the load generator as a child process against the local node.
    QProcess demo;
    demo.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    demo.setStandardOutputFile(QProcess::nullDevice());
    const auto startDemo = [&](int n, int delayMs, int jitterMs, double noRead) {
        if (!local.running()) {
            window.controls()->setDemoRunning(false, "start the local node first");
            return;
        }
        if (demo.state() != QProcess::NotRunning) {
            return; // still stopping the previous run
        }
        QStringList a = {"--url",       QString("ws://127.0.0.1:%1/ws/stream").arg(local.port()),
                         "--clients",   QString::number(n),
                         "--duration",  "86400",
                         "--format",    "binary",
                         "--id-prefix", "sim",
                         "--log-level", "error",
                         "--no-read",   QString::number(noRead)};
        if (delayMs > 0 || jitterMs > 0) {
            a << "--delay-ms" << QString::number(delayMs) << "--jitter-ms"
              << QString::number(jitterMs);
        }
        demo.start(QDir(QCoreApplication::applicationDirPath()).filePath("auralis-client"), a);
        window.controls()->setDemoRunning(true, QString("%1 simulated listeners").arg(n));
    };
    QObject::connect(window.controls(), &ui::ControlsWidget::startDemo, &app, startDemo);
    QObject::connect(window.controls(), &ui::ControlsWidget::stopDemo, &app, [&] {
        demo.terminate(); // the GUI thread does not wait: `finished` reports it
    });
    QObject::connect(&demo, &QProcess::finished, &app,
                     [&] { window.controls()->setDemoRunning(false, "stopped"); });
    QObject::connect(&demo, &QProcess::errorOccurred, &app, [&](QProcess::ProcessError) {
        window.controls()->setDemoRunning(false,
                                          "cannot run auralis-client: " + demo.errorString());
    });
    if (args.isSet("demo")) {
        startDemo(args.value("demo").toInt(), 0, 0, 0);
    }

    window.show();
    if (args.isSet("quit-after")) {
        QTimer::singleShot(static_cast<int>(args.value("quit-after").toDouble() * 1000), &app, [&] {
            if (args.isSet("screenshot")) {
                window.grab().save(args.value("screenshot"));
            }
            if (args.isSet("report")) {
                QFile f(args.value("report"));
                if (f.open(QIODevice::WriteOnly)) {
                    f.write(QJsonDocument(window.report()).toJson());
                }
            }
            app.quit();
        });
    }
    app::onTerminationSignal(&app, [&](int) { app.quit(); });
    const int rc = QApplication::exec();
    demo.terminate();
    demo.waitForFinished(3000);
    local.stop();
    watchers.quit();
    watchers.wait();
    return rc;
}
