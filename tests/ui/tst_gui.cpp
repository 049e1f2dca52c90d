// The dashboard on the offscreen platform: a live node (own thread), its watcher (own
// thread), simulated listeners (own thread) and the window. Every panel receives data, the
// per-client panels show the listeners, colours follow the thresholds, pause stops redraws,
// controls reach the node; and the `auralis` binary does the same end to end.
#include "../common/dashboard_report.h"
#include "../common/patience.h"
#include "../common/sync_http.h"
#include "client/loadgen.h"
#include "core/node.h"
#include "ui/main_window.h"

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QPointer>
#include <QProcess>
#include <QSettings>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include <functional>
#include <vector>

using namespace auralis;
using auralis::test::headline;
using auralis::test::kPatienceMs;

namespace {

// A worker thread and the objects moved to it. Destroyed — also when a check failed and the
// test returned early — it tears each object down in its own thread (newest first), then
// stops the thread: nothing runs on after what it uses is gone.
class Worker {
public:
    explicit Worker(const char* name) {
        m_thread.setObjectName(name);
        m_thread.start();
    }
    ~Worker() {
        for (auto it = m_teardowns.rbegin(); it != m_teardowns.rend(); ++it) {
            QMetaObject::invokeMethod(m_context, *it, Qt::BlockingQueuedConnection);
        }
        delete m_context.data();
        m_thread.quit();
        m_thread.wait();
    }
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    /// Moves `object` to the thread; `teardown` runs there at the end (default: delete).
    template <class T>
    T* adopt(T* object, std::function<void(T*)> teardown = {}) {
        object->moveToThread(&m_thread);
        if (!m_context) {
            m_context = new QObject;
            m_context->moveToThread(&m_thread);
        }
        m_teardowns.push_back([object, teardown] {
            if (teardown) {
                teardown(object);
            }
            delete object;
        });
        return object;
    }
    /// Runs `f` in the worker thread and waits for it.
    template <class F>
    void run(F f) {
        QMetaObject::invokeMethod(m_context, f, Qt::BlockingQueuedConnection);
    }

private:
    QThread m_thread;
    QPointer<QObject> m_context;
    std::vector<std::function<void()>> m_teardowns;
};

QString color(const QJsonObject& report, const char* panel) {
    return report.value(panel).toObject().value("headline_color").toString();
}
} // namespace

class TestGui : public QObject {
    Q_OBJECT
private slots:
    void theWindowShowsALiveNode() {
        // Declared in the order they may be torn down in reverse: listeners before the clock
        // they read, the watcher before the node it scrapes.
        SteadyClock clock;
        Worker nodeThread("node");
        Worker watcherThread("watcher");
        Worker listenerThread("listeners");
        core::NodeConfig config;
        config.bind = QHostAddress::LocalHost;
        config.port = 0;
        config.device = synth::DevicePreference::Cpu;
        auto* node = nodeThread.adopt(new core::Node(config));
        bool started = false;
        QString error;
        quint16 port = 0;
        nodeThread.run([&] {
            started = node->start(&error);
            port = node->port();
        });
        QVERIFY2(started, qPrintable(error));

        auto* watcher = watcherThread.adopt(
            new monitor::NodeWatcher(QUrl(QString("http://127.0.0.1:%1").arg(port)), 250),
            std::function<void(monitor::NodeWatcher*)>([](monitor::NodeWatcher* w) { w->stop(); }));
        ui::MainWindow window;
        window.addNode("local", watcher);
        window.show();
        QMetaObject::invokeMethod(watcher, &monitor::NodeWatcher::start);

        client::LoadOptions load;
        load.url = QUrl(QString("ws://127.0.0.1:%1/ws/stream").arg(port));
        load.clients = 12;
        load.durationSeconds = 120;
        load.idPrefix = "sim";
        auto* listeners = listenerThread.adopt(new client::LoadGenerator(load, clock));
        QMetaObject::invokeMethod(listeners, &client::LoadGenerator::start);

        // Every panel fills; 12 listeners: the stat is yellow (11-15), depth draws the worst 8.
        QTRY_VERIFY_WITH_TIMEOUT(
            window.report().value("connections").toObject().value("value").toString() == "12",
            kPatienceMs);
        QTRY_VERIFY_WITH_TIMEOUT(
            window.report().value("depth").toObject().value("series").toInt() == 8, kPatienceMs);
        QTRY_VERIFY_WITH_TIMEOUT(
            window.report().value("latency").toObject().value("points").toInt() > 0, kPatienceMs);
        const QJsonObject r = window.report();
        QCOMPARE(r.value("connections").toObject().value("color").toString(), QString("#fade2a"));
        QVERIFY(
            r.value("depth").toObject().value("others").toString().contains("+ 4 more clients"));
        for (const QJsonValue name : r.value("depth").toObject().value("legend").toArray()) {
            QVERIFY(name.toString().startsWith("sim-"));
        }
        QCOMPARE(r.value("underruns").toObject().value("series").toInt(), 8);
        // Each headline is coloured by its own value's threshold level (whatever this machine's
        // speed makes the values).
        // (The headline is rounded for display: either side of the rounding may be the level.)
        const auto colourOf = [&](const char* panel, auto level, double scale, double halfStep) {
            const double v = headline(r, panel);
            const QString c = color(r, panel);
            return c == monitor::levelColor(level((v - halfStep) * scale)) ||
                   c == monitor::levelColor(level((v + halfStep) * scale));
        };
        QVERIFY(colourOf("depth", monitor::depthLevel, 1.0, 0.5));
        QVERIFY(colourOf("underruns", monitor::underrunRateLevel, 1.0, 0.0));
        QVERIFY(colourOf("latency", monitor::latencyLevel, 0.001, 0.05));
        QVERIFY(r.value("memory").toObject().value("points").toInt() > 0);
        QVERIFY(r.value("alerts").toArray().size() >= 7);
        QTRY_VERIFY(
            window.report().value("device").toString().startsWith("cpu")); // from /api/status
        QVERIFY2(window.report().value("streams").toString().contains("/stream.ogg"),
                 qPrintable(window.report().value("streams").toString()));
        QCOMPARE(window.report().value("icecast").toString(),
                 QString("not configured (--icecast URL)"));
        QVERIFY(window.grab().save(QString(AURALIS_TEST_OUTPUT_DIR) + "/dashboard-test.png"));

        // A desktop application: Quit is Ctrl+Q, About names the build, and closing while
        // listeners hear this computer's node asks first.
        auto* quit = window.findChild<QAction*>("quit");
        QVERIFY(quit);
        QCOMPARE(quit->shortcut(), QKeySequence(QKeySequence::Quit));
        window.setBuildDescription("CPU renderer (built without CUDA)");
        QVERIFY(window.aboutText().contains(QT_VERSION_STR));
        QVERIFY(!window.aboutText().contains("CUDA EULA"));
        QCOMPARE(window.closeQuestion(), QString()); // not the local node: nothing to ask
        window.setLocalNodeIndex(0);
        QTRY_VERIFY(window.closeQuestion().contains("listeners are connected to this computer"));

        // Controls go to the node through POST /api/control; the answer shows in the controls.
        // (Everything below is observed in this, the GUI, thread: the watcher's signals are
        // counted by a receiver here, never by a spy in the watcher's thread.)
        auto* controls = window.controls();
        QVERIFY(controls->resultText().isEmpty());
        // The controls show what the node plays (its /api/status).
        QTRY_COMPARE(controls->shownParams().value("preset").toString(), QString("focus"));
        // The choices are the node's own (/api/presets), each preset saying what it brings.
        auto* preset = controls->findChild<QComboBox*>("preset");
        QVERIFY(preset);
        const synth::MusicParams sleep = synth::presetParams(synth::Preset::Sleep);
        QTRY_VERIFY(preset->itemData(preset->findText("sleep"), Qt::ToolTipRole)
                        .toString()
                        .startsWith(QString("%1 BPM · intensity %2 · ")
                                        .arg(sleep.bpm)
                                        .arg(sleep.intensity, 0, 'f', 2)));
        QCOMPARE(controls->presetChoices(),
                 QStringList({"focus", "meditation", "sleep", "bright"}));
        // Choosing a preset sends the preset alone: it brings its own tempo and intensity.
        auto* bpm = controls->findChild<QDoubleSpinBox*>("bpm");
        bpm->setValue(100); // changed, then superseded by the preset
        preset->setCurrentText("sleep");
        emit preset->activated(preset->currentIndex());
        const QJsonObject sent = controls->changedControl();
        QCOMPARE(sent, QJsonObject({{"preset", "sleep"}}));
        emit controls->controlRequested(sent);
        QTRY_VERIFY(!controls->resultText().isEmpty());
        QVERIFY2(controls->resultText().startsWith("✔"), qPrintable(controls->resultText()));
        QTRY_COMPARE(controls->shownParams().value("bpm").toDouble(), sleep.bpm);
        QCOMPARE(controls->shownParams().value("intensity").toDouble(),
                 std::round(sleep.intensity * 100) / 100);
        // Someone else changes the music over HTTP: the dashboard follows (one scrape later).
        QNetworkAccessManager nam;
        QElapsedTimer followed;
        followed.start();
        QCOMPARE(test::syncRequest(nam, QUrl(QString("http://127.0.0.1:%1/api/control").arg(port)),
                                   "POST", R"({"bpm": 97})")
                     .status,
                 200);
        QTRY_COMPARE(controls->shownParams().value("bpm").toDouble(), 97.0);
        qInfo("a change over HTTP showed in the dashboard after %lld ms", followed.elapsed());

        // Pause: scraping goes on (nothing is lost), no snapshot is published.
        QObject receiver;
        int snapshots = 0;
        int scrapes = 0;
        connect(watcher, &monitor::NodeWatcher::snapshot, &receiver, [&] { ++snapshots; });
        connect(watcher, &monitor::NodeWatcher::reachability, &receiver, [&] { ++scrapes; });
        QMetaObject::invokeMethod(
            watcher, [watcher] { watcher->setPaused(true); }, Qt::BlockingQueuedConnection);
        // Whatever the watcher sent before the pause was posted already: deliver it first.
        QCoreApplication::sendPostedEvents(&receiver);
        snapshots = 0;
        scrapes = 0;
        QTRY_VERIFY(scrapes >= 3);
        QCOMPARE(snapshots, 0);
    }

    void settingsAreRememberedBetweenRuns() {
        QTemporaryDir dir;
        QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, dir.path());
        QCoreApplication::setOrganizationName("AuralisTest");
        {
            ui::MainWindow first;
            first.resize(900, 700);
            first.findChild<QComboBox*>("range")->setCurrentIndex(2);
            first.saveSettings();
            ui::MainWindow::rememberAttached("http://10.0.0.7:8000");
            ui::MainWindow::rememberAttached("http://10.0.0.7:8000"); // once is enough
        }
        ui::MainWindow second;
        second.restoreSettings();
        QCOMPARE(second.report().value("range").toString(), QString("1 h"));
        QCOMPARE(second.size(), QSize(900, 700));
        QCOMPARE(ui::MainWindow::attachedNodes(), QStringList({"http://10.0.0.7:8000"}));
    }

    void chartsFollowTheSystemPalette() {
        // The system switches between light and dark: the application palette changes and
        // every chart redraws in it (background, text, line contrast).
        const QPalette before = QApplication::palette();
        ui::ChartPanelWidget chart("Memory Usage", {});
        monitor::ChartPanel panel;
        panel.unit = "MB";
        panel.series.push_back({"System RAM", {{0, 60.0}}, 60.0, std::nullopt});
        panel.headline = 60.0;
        chart.show(panel, 60'000, 300'000);
        QPalette dark;
        dark.setColor(QPalette::Window, QColor(30, 30, 34));
        dark.setColor(QPalette::Base, QColor(22, 22, 26));
        dark.setColor(QPalette::Text, QColor(220, 220, 230));
        QPalette light;
        light.setColor(QPalette::Window, QColor(240, 240, 240));
        light.setColor(QPalette::Base, QColor(255, 255, 255));
        light.setColor(QPalette::Text, QColor(20, 20, 20));
        QApplication::setPalette(dark);
        QTRY_COMPARE(chart.chartBackground(), QColor(22, 22, 26));
        const QColor onDark = chart.lineColorOf("System RAM");
        QApplication::setPalette(light);
        QTRY_COMPARE(chart.chartBackground(), QColor(255, 255, 255));
        const QColor onLight = chart.lineColorOf("System RAM");
        QVERIFY(onLight.lightness() < onDark.lightness()); // darker lines on white
        chart.show(panel, 60'000, 300'000);
        QCOMPARE(chart.headlineColor(), QColor(20, 20, 20)); // no thresholds: the text colour
        QApplication::setPalette(before);
    }

    void statColoursFollowTheThresholds() {
        ui::StatPanelWidget stat("Active WebSocket Connections");
        const std::pair<double, const char*> rows[] = {
            {0, "#73bf69"}, {10, "#73bf69"}, {11, "#fade2a"}, {15, "#fade2a"}, {16, "#f2495c"}};
        for (const auto& [value, expected] : rows) {
            stat.show(value, monitor::connectionsLevel(value));
            QCOMPARE(stat.color().name(), QString(expected));
            QCOMPARE(stat.valueText(), QString::number(value));
        }
    }

    void theAppRefusesBadArguments_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        QTest::newRow("scrape interval")
            << QStringList{"--scrape-interval", "5"}
            << "--scrape-interval must be an integer from 100 to 60000, got '5'";
        QTest::newRow("port") << QStringList{"--port", "-1"} << "--port must be a port";
        QTest::newRow("device") << QStringList{"--device", "tpu"}
                                << "--device must be cpu, cuda or auto, got 'tpu'";
        QTest::newRow("demo") << QStringList{"--demo", "many"} << "--demo must be an integer";
        QTest::newRow("no-local alone")
            << QStringList{"--no-local"} << "--no-local needs at least one --attach URL";
        QTest::newRow("unknown option") << QStringList{"--bogus"} << "Unknown option 'bogus'";
        QTest::newRow("missing value") << QStringList{"--port"} << "Missing value after '--port'";
    }

    void helpAndVersionNeedNoDisplay_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("expected");
        QTest::newRow("help") << QStringList{"--help"} << "Usage: ";
        QTest::newRow("version") << QStringList{"--version"} << "auralis " AURALIS_VERSION;
    }
    void helpAndVersionNeedNoDisplay() {
        // No display and no platform plugin chosen: a GUI would abort here.
        QFETCH(QStringList, args);
        QFETCH(QString, expected);
        QProcess app;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove("DISPLAY");
        env.remove("WAYLAND_DISPLAY");
        env.remove("QT_QPA_PLATFORM");
        app.setProcessEnvironment(env);
        app.start(AURALIS_APP_BIN, args);
        QVERIFY(app.waitForFinished(kPatienceMs));
        QCOMPARE(app.exitStatus(), QProcess::NormalExit);
        QCOMPARE(app.exitCode(), 0);
        QVERIFY2(QString::fromUtf8(app.readAllStandardOutput()).contains(expected),
                 qPrintable(expected));
    }
    void theAppRefusesBadArguments() {
        // The same checks and message style as auralis-node and auralis-client; exit 2.
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        QProcess app;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("QT_QPA_PLATFORM", "offscreen");
        app.setProcessEnvironment(env);
        app.start(AURALIS_APP_BIN, args);
        QVERIFY(app.waitForFinished(kPatienceMs));
        QCOMPARE(app.exitCode(), 2);
        const QString err = QString::fromUtf8(app.readAllStandardError());
        QVERIFY2(err.contains("auralis: " + message), qPrintable(err));
    }

    void theAppRunsEndToEnd() {
        QTemporaryDir dir;
        QProcess app;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("QT_QPA_PLATFORM", "offscreen");
        env.insert("XDG_CONFIG_HOME", dir.filePath("config")); // not the user's settings
        // No sound server: the app's own player stays off (tst_listen plays).
        env.insert("PULSE_SERVER", "unix:" + dir.filePath("no-sound-server"));
        app.setProcessEnvironment(env);
        app.start(AURALIS_APP_BIN,
                  {"--port", "0", "--bind", "127.0.0.1", "--device", "cpu", "--demo", "3",
                   "--scrape-interval", "250", "--quit-after", "6", "--report",
                   dir.filePath("report.json"), "--screenshot", dir.filePath("shot.png")});
        QTRY_VERIFY_WITH_TIMEOUT(app.state() == QProcess::NotRunning, kPatienceMs);
        QCOMPARE(app.exitCode(), 0);
        QFile f(dir.filePath("report.json"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject r = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(r.value("connections").toObject().value("value").toString(), QString("3"));
        QCOMPARE(r.value("depth").toObject().value("legend").toArray(),
                 QJsonArray({"sim-0", "sim-1", "sim-2"}));
        QVERIFY(r.value("nodes").toArray().at(0).toObject().value("reachable").toBool());
        QVERIFY(QFileInfo(dir.filePath("shot.png")).size() > 10000);
    }
};

QTEST_MAIN(TestGui)
#include "tst_gui.moc"
