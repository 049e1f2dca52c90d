// auralis: the desktop dashboard. Starts an embedded node in its own thread (unless
// --no-local), watches it and any --attach'ed node over HTTP from a worker thread, and shows
// the panels. The offline demo runs auralis-client as a child process. Wiring only.
#include "app/common.h"
#include "app/node_options.h"
#include "client/loadgen.h"
#include "core/node_host.h"
#include "monitor/node_watcher.h"
#include "player/local_player.h"
#include "ui/main_window.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFile>
#include <QIcon>
#include <QJsonDocument>
#include <QProcess>
#include <QSslCertificate>
#include <QThread>
#include <QTimer>
#include <QUrlQuery>

#include <cstdio>
#include <memory>

using namespace auralis;

namespace {

// A node to watch: http(s)://HOST:PORT, a ws(s):// stream URL, or an operator link
// (…/?token=TOKEN, kept: the watcher sends the token with controls).
QUrl nodeUrl(QString text) {
    if (!text.contains("://")) {
        text = "http://" + text;
    }
    QUrl url(text);
    if (url.scheme() == "ws") {
        url.setScheme("http");
    } else if (url.scheme() == "wss") {
        url.setScheme("https");
    }
    const QString token = QUrlQuery(url).queryItemValue("token");
    url.setPath("");
    url.setQuery(token.isEmpty() ? QString() : "token=" + token);
    return url;
}

// How a watched node is named on screen: never with its token.
QString nodeLabel(const QUrl& url) {
    return url.adjusted(QUrl::RemoveQuery).toString();
}

} // namespace

int main(int argc, char** argv) {
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
        {"attach",
         "Watch the node at URL (http://HOST:PORT, or its operator link …/?token=TOKEN to "
         "control it too); repeatable.",
         "url"},
        {"no-local", "Do not start the embedded node (watch --attach'ed nodes only)."},
        {"ca-file", "https nodes: also trust the CA certificate(s) in this PEM file.", "file"},
        {"insecure", "https nodes: accept any certificate (testing only)."},
        {"port", "Embedded node port (default 8000, or a free one if 8000 is taken).", "port"},
        {"bind", "Embedded node bind address (default 0.0.0.0).", "address", "0.0.0.0"},
        {"device", "cpu, cuda or auto (default auto).", "device", "auto"},
        {"scrape-interval", "Milliseconds between scrapes (default 1000).", "ms", "1000"},
        {"demo", "Start N simulated listeners right away.", "n"},
        {"screenshot", "Save a screenshot of the window to FILE (after --quit-after).", "file"},
        {"report", "Write what the panels show as JSON to FILE (after --quit-after).", "file"},
        {"quit-after", "Quit after S seconds.", "s"},
        {"mute", "Start with the local player muted (Listen: it still streams, unmute is "
                 "instant)."},
        {"log-level", "error, warn, info or debug (default warn).", "level", "warn"},
    });
    app::addMusicOptions(args);
    app::addNodeSecurityOptions(args);
    app::addNodeStreamOptions(args);
    // --help, --version and usage errors are answered before the GUI starts: they work
    // without a display.
    QStringList arguments;
    for (int i = 0; i < argc; ++i) {
        arguments << QString::fromLocal8Bit(argv[i]);
    }
    app::processArguments(args, arguments);
    QApplication app(argc, argv);
    QApplication::setOrganizationName("Auralis");
    QApplication::setWindowIcon(QIcon(":/icons/auralis.png"));
    app::OptionReader opts(args);
    app::readLogLevel(opts);
    const int interval = opts.integer("scrape-interval", 100, 60000);
    core::NodeConfig config;
    if (const auto error = app::readMusicOptions(args, config.params, config.seed)) {
        opts.failWith(*error);
    }
    config.device = app::readDevice(opts);
    config.bind = opts.address("bind");
    const bool portGiven = args.isSet("port");
    config.port = portGiven ? opts.port("port") : quint16{8000};
    if (args.isSet("no-local") && args.values("attach").isEmpty()) {
        opts.failWith("--no-local needs at least one --attach URL");
    }
    const int demoListeners = args.isSet("demo") ? opts.integer("demo", 1, 1000) : 0;
    const double quitAfter = args.isSet("quit-after") ? opts.number("quit-after", 0.1, 1e7) : 0;
    app::readNodeSecurityOptions(args, opts, config);
    app::readNodeStreamOptions(args, opts, config);
    QList<QSslCertificate> caCertificates;
    if (args.isSet("ca-file")) {
        caCertificates = QSslCertificate::fromPath(args.value("ca-file"), QSsl::Pem);
        if (caCertificates.isEmpty()) {
            opts.fail("ca-file", "a PEM file with at least one certificate");
        }
    }
    if (!opts.ok()) {
        return opts.usageError();
    }
    // The embedded node listens on all interfaces so that remote listeners can join; changing
    // its music needs a token that this dashboard generates and holds (local requests
    // included). Its offline demo runs its listeners from this machine: no per-address limit
    // for loopback.
    if (config.controlToken.isEmpty() && !config.bind.isLoopback()) {
        config.controlToken = core::generateToken();
    }
    config.perAddress.exemptLoopback = true;

    QThread watchers;
    watchers.setObjectName("auralis-scrapers");
    watchers.start();
    ui::MainWindow window;
    window.setBuildDescription(
#ifdef AURALIS_HAVE_CUDA
        "CUDA and CPU renderers"
#else
        "CPU renderer (built without CUDA)"
#endif
    );
    // A run with --quit-after is a scripted one: it never stops to ask.
    window.setConfirmClose(quitAfter <= 0);
    window.restoreSettings();
    const auto watch = [&](const QString& label, const QUrl& url, bool local = false) {
        auto* w = new monitor::NodeWatcher(url, interval);
        // Our own node on loopback is trusted as it is; others by --ca-file (or --insecure).
        w->setTrust(caCertificates, local || args.isSet("insecure"));
        w->moveToThread(&watchers);
        QObject::connect(&watchers, &QThread::finished, w, &QObject::deleteLater);
        window.addNode(label, w);
        QMetaObject::invokeMethod(w, &monitor::NodeWatcher::start);
        return w;
    };

    // The embedded node in its own thread; starting and stopping never block this thread.
    core::NodeHost local;
    monitor::NodeWatcher* localWatcher = nullptr;
    bool demoOnStart = demoListeners > 0;
    std::function<void(int, int, int, double)> startDemo;
    QObject::connect(&local, &core::NodeHost::started, &app, [&](quint16 port) {
        QString where = QString("%1://127.0.0.1:%2").arg(config.tls ? "https" : "http").arg(port);
        window.controls()->setOperatorLink(config.controlToken.isEmpty()
                                               ? QString()
                                               : app::operatorLink(config.bind, port,
                                                                   config.controlToken,
                                                                   config.tls.has_value()));
        const QString watchUrl = config.controlToken.isEmpty()
                                     ? where
                                     : where + "/?token=" + QString::fromUtf8(config.controlToken);
        window.controls()->setLocalNodeRunning(true, "listening on port " + QString::number(port) +
                                                         " (ws://HOST:" + QString::number(port) +
                                                         "/ws/stream)");
        if (!localWatcher) {
            localWatcher = watch("local node (" + where + ")", QUrl(watchUrl), true);
            window.setLocalNodeIndex(window.nodeCount() - 1);
        }
        if (demoOnStart) {
            demoOnStart = false;
            startDemo(demoListeners, 0, 0, 0);
        }
    });
    QObject::connect(&local, &core::NodeHost::failed, &app, [&](const QString& error) {
        window.controls()->setLocalNodeRunning(false, "could not start: " + error);
        std::fprintf(stderr, "auralis: the local node did not start: %s\n", qPrintable(error));
    });
    QObject::connect(&local, &core::NodeHost::stopped, &app,
                     [&] { window.controls()->setLocalNodeRunning(false, "stopped"); });
    const auto startLocal = [&] {
        window.controls()->setLocalNodeRunning(false, "starting…");
        local.start(config, !portGiven); // 8000 taken and no --port: any free port
    };
    if (!args.isSet("no-local")) {
        startLocal();
    }
    // Nodes attached on the command line, and those attached in earlier runs (remembered
    // without their tokens).
    QStringList attached = args.values("attach");
    for (const QString& url : ui::MainWindow::attachedNodes()) {
        const bool given = std::any_of(attached.begin(), attached.end(), [&](const QString& a) {
            return nodeLabel(nodeUrl(a)) == nodeLabel(nodeUrl(url));
        });
        if (!given) {
            attached << url;
        }
    }
    for (const QString& url : attached) {
        watch("attached " + nodeLabel(nodeUrl(url)), nodeUrl(url));
    }
    QObject::connect(&window, &ui::MainWindow::attachRequested, &app, [&](const QString& url) {
        watch("attached " + nodeLabel(nodeUrl(url)), nodeUrl(url));
        ui::MainWindow::rememberAttached(nodeLabel(nodeUrl(url)));
    });
    QObject::connect(window.controls(), &ui::ControlsWidget::stopLocalNode, &app, [&] {
        window.controls()->setLocalNodeRunning(false, "stopping…");
        local.stop();
    });
    QObject::connect(window.controls(), &ui::ControlsWidget::startLocalNode, &app, [&] {
        if (!local.isBusy()) {
            startLocal();
        }
    });

    // Offline demo: the load generator as a child process against the local node.
    QProcess demo;
    demo.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    demo.setStandardOutputFile(QProcess::nullDevice());
    startDemo = [&](int n, int delayMs, int jitterMs, double noRead) {
        if (!local.isRunning()) {
            window.controls()->setDemoRunning(false, "start the local node first");
            return;
        }
        if (demo.state() != QProcess::NotRunning) {
            return; // still stopping the previous run
        }
        client::LoadOptions o;
        o.url = QUrl(QString("ws://127.0.0.1:%1/ws/stream").arg(local.port()));
        o.clients = n;
        o.durationSeconds = 86400;
        o.format = protocol::Format::Binary;
        o.idPrefix = "sim";
        o.noReadFraction = noRead;
        o.impairment.delayMs = delayMs;
        o.impairment.jitterMs = jitterMs;
        o.impairedFraction = delayMs > 0 || jitterMs > 0 ? 1.0 : 0.0;
        demo.start(QDir(QCoreApplication::applicationDirPath()).filePath("auralis-client"),
                   client::loadArguments(o) << "--log-level"
                                            << "error");
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

    // Listening here: a player of the node shown, in its own thread (audio never waits for a
    // redraw).
    QThread audio;
    audio.setObjectName("auralis-audio");
    audio.start();
    auto* player = new player::LocalPlayer;
    player->moveToThread(&audio);
    window.setPlayer(player, args.isSet("mute"));

    window.show();
    if (quitAfter > 0) {
        QTimer::singleShot(static_cast<int>(quitAfter * 1000), &app, [&] {
            if (args.isSet("screenshot")) {
                window.grab().save(args.value("screenshot"));
            }
            if (args.isSet("report")) {
                QFile f(args.value("report"));
                if (f.open(QIODevice::WriteOnly)) {
                    f.write(QJsonDocument(window.report()).toJson());
                }
            }
            window.saveSettings();
            app.quit();
        });
    }
    app::onTerminationSignal(&app, [&](int) { app.quit(); });
    const int rc = QApplication::exec();
    demo.terminate();
    demo.waitForFinished(3000);
    QMetaObject::invokeMethod(
        player,
        [player] {
            player->stop();
            delete player;
        },
        Qt::BlockingQueuedConnection);
    audio.quit();
    audio.wait();
    watchers.quit();
    watchers.wait();
    return rc;
}
