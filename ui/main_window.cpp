#include "ui/main_window.h"

#include <QAction>
#include <QActionGroup>
#include <QCheckBox>
#include <QCloseEvent>
#include <QComboBox>
#include <QCoreApplication>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QStatusBar>
#include <QTableWidget>
#include <QVBoxLayout>

namespace auralis::ui {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setWindowTitle("Auralis");
    auto* central = new QWidget;
    auto* root = new QVBoxLayout(central);

    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel("Node:"));
    m_nodeSelect = new QComboBox;
    m_nodeSelect->setMinimumWidth(260);
    m_nodeSelect->setAccessibleName("Node");
    bar->addWidget(m_nodeSelect);
    auto* attach = new QPushButton("Attach…");
    bar->addWidget(attach);
    bar->addSpacing(20);
    bar->addWidget(new QLabel("Range:"));
    m_range = new QComboBox;
    m_range->addItems({"5 m", "15 m", "1 h"});
    m_range->setAccessibleName("Time range");
    m_range->setObjectName("range");
    bar->addWidget(m_range);
    m_pause = new QCheckBox("&Pause");
    bar->addWidget(m_pause);
    bar->addSpacing(20);
    m_listen = new PlayerWidget;
    bar->addWidget(m_listen);
    bar->addStretch(1);
    root->addLayout(bar);

    auto* grid = new QGridLayout;
    m_latency = new ChartPanelWidget("Synthesis Latency (p50, p95, p99)", latencyBandsMs());
    m_depth = new ChartPanelWidget("Buffer Depth (per client)", depthBands());
    m_memory = new ChartPanelWidget("Memory Usage", {});
    m_underruns = new ChartPanelWidget("Buffer Underruns (rate)", underrunBands());
    m_connections = new StatPanelWidget("Active WebSocket Connections");
    m_alerts = new AlertsPanelWidget;
    grid->addWidget(m_latency, 0, 0);
    grid->addWidget(m_depth, 0, 1);
    grid->addWidget(m_memory, 1, 0);
    grid->addWidget(m_underruns, 1, 1);
    grid->addWidget(m_connections, 2, 0);
    grid->addWidget(m_alerts, 2, 1);
    grid->setRowStretch(0, 3);
    grid->setRowStretch(1, 3);
    grid->setRowStretch(2, 2);
    root->addLayout(grid, 1);
    m_controls = new ControlsWidget;
    root->addWidget(m_controls);
    setCentralWidget(central);
    m_statusLine = new QLabel;
    statusBar()->addWidget(m_statusLine, 1);
    resize(1500, 1000);

    // The menu: what a desktop application has.
    QMenu* file = menuBar()->addMenu("&File");
    QAction* attachAction = file->addAction("&Attach node…");
    attachAction->setShortcut(QKeySequence::Open);
    file->addSeparator();
    QAction* quit = file->addAction("&Quit");
    quit->setShortcut(QKeySequence::Quit);
    quit->setObjectName("quit");
    connect(quit, &QAction::triggered, this, &QWidget::close);
    QMenu* view = menuBar()->addMenu("&View");
    auto* ranges = new QActionGroup(this);
    for (int i = 0; i < m_range->count(); ++i) {
        QAction* a = view->addAction("Last " + m_range->itemText(i));
        a->setCheckable(true);
        a->setChecked(i == 0);
        a->setShortcut(QKeySequence(QString("Ctrl+%1").arg(i + 1)));
        ranges->addAction(a);
        connect(a, &QAction::triggered, this, [this, i] { m_range->setCurrentIndex(i); });
        connect(m_range, &QComboBox::currentIndexChanged, a,
                [a, i](int now) { a->setChecked(now == i); });
    }
    QMenu* listenMenu = menuBar()->addMenu("&Listen");
    QAction* playAction = listenMenu->addAction("&Play here");
    playAction->setObjectName("play");
    playAction->setCheckable(true);
    playAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    connect(playAction, &QAction::triggered, this,
            [this](bool on) { on ? m_listen->play() : m_listen->stop(); });
    QAction* muteAction = listenMenu->addAction("&Mute");
    muteAction->setCheckable(true);
    muteAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_M));
    connect(muteAction, &QAction::triggered, m_listen, &PlayerWidget::setMuted);
    connect(m_listen, &PlayerWidget::stateChanged, this,
            [playAction, muteAction](const player::PlayerState& st) {
                playAction->setChecked(st.wanted);
                muteAction->setChecked(st.muted);
            });
    view->addSeparator();
    QAction* pause = view->addAction("&Pause");
    pause->setCheckable(true);
    pause->setShortcut(QKeySequence(Qt::Key_Space));
    connect(pause, &QAction::toggled, m_pause, &QCheckBox::setChecked);
    connect(m_pause, &QCheckBox::toggled, pause, &QAction::setChecked);
    QMenu* help = menuBar()->addMenu("&Help");
    connect(help->addAction("&About Auralis"), &QAction::triggered, this,
            [this] { QMessageBox::about(this, "About Auralis", aboutText()); });
    connect(help->addAction("About &Qt"), &QAction::triggered, this,
            [this] { QMessageBox::aboutQt(this); });

    connect(attachAction, &QAction::triggered, attach, &QPushButton::click);
    connect(attach, &QPushButton::clicked, this, [this] {
        bool ok = false;
        const QString url = QInputDialog::getText(
            this, "Attach a node", "Node address (http://HOST:PORT):", QLineEdit::Normal,
            "http://127.0.0.1:8000", &ok);
        if (ok && !url.trimmed().isEmpty()) {
            emit attachRequested(url.trimmed());
        }
    });
    connect(m_nodeSelect, &QComboBox::currentIndexChanged, this, &MainWindow::select);
    connect(m_range, &QComboBox::currentIndexChanged, this, [this] { pushOptions(); });
    connect(m_pause, &QCheckBox::toggled, this, [this](bool paused) {
        for (NodeView& n : m_nodes) {
            QMetaObject::invokeMethod(n.watcher, [w = n.watcher, paused] { w->setPaused(paused); });
        }
    });
    connect(m_controls, &ControlsWidget::controlRequested, this, [this](const QJsonObject& c) {
        if (m_current >= 0) {
            NodeWatcher* w = m_nodes[static_cast<std::size_t>(m_current)].watcher;
            QMetaObject::invokeMethod(w, [w, c] { w->postControl(c); });
        }
    });
    m_frame.setInterval(100);
    connect(&m_frame, &QTimer::timeout, this, &MainWindow::onFrame);
    m_frame.start();
}

QString MainWindow::aboutText() const {
    return QString("<h3>Auralis %1</h3><p>An ambient synthesis node and its operations "
                   "dashboard.</p><p>Build: %2; Qt %3 (running on Qt %4).</p>"
                   "<p>Licences: Auralis is free software. It uses Qt (LGPL-3.0), "
                   "prometheus-cpp (MIT), libopus, libopusenc and libogg (BSD-3-Clause)%5.</p>")
        .arg(QCoreApplication::applicationVersion(), m_build, QT_VERSION_STR, qVersion(),
             m_build.contains("CUDA") && !m_build.contains("without CUDA")
                 ? ", and NVIDIA's CUDA runtime (CUDA EULA)"
                 : "");
}

void MainWindow::restoreSettings() {
    QSettings s;
    restoreGeometry(s.value("window/geometry").toByteArray());
    m_range->setCurrentIndex(std::clamp(s.value("view/range", 0).toInt(), 0, m_range->count() - 1));
    m_restoredNode = s.value("view/node").toString();
    m_listen->setVolume(std::clamp(s.value("listen/volume", 100).toInt(), 0, 100));
}

void MainWindow::saveSettings() const {
    QSettings s;
    s.setValue("window/geometry", saveGeometry());
    s.setValue("view/range", m_range->currentIndex());
    s.setValue("listen/volume", m_listen->volume());
    if (m_listen->player()) {
        s.setValue("listen/playing", m_listen->wantsToPlay());
    }
    if (m_current >= 0) {
        s.setValue("view/node", m_nodes[static_cast<std::size_t>(m_current)].label);
    }
}

void MainWindow::setPlayer(player::LocalPlayer* player, bool muted) {
    m_listen->setMuted(muted);
    m_listen->setPlayer(player);
    if (m_current >= 0) {
        const NodeWatcher* w = m_nodes[static_cast<std::size_t>(m_current)].watcher;
        m_listen->setSource(w->base(), w->caCertificates(), w->insecure());
    }
    if (QSettings().value("listen/playing", true).toBool()) {
        m_listen->play();
    }
}

QStringList MainWindow::attachedNodes() {
    return QSettings().value("nodes/attached").toStringList();
}

void MainWindow::rememberAttached(const QString& url) {
    QSettings s;
    QStringList urls = s.value("nodes/attached").toStringList();
    if (!urls.contains(url)) {
        urls << url;
        s.setValue("nodes/attached", urls);
    }
}

QString MainWindow::closeQuestion() const {
    if (m_localIndex < 0 || m_localIndex >= static_cast<int>(m_nodes.size())) {
        return {};
    }
    const int listeners = m_nodes[static_cast<std::size_t>(m_localIndex)]
                              .status.value("listeners")
                              .toObject()
                              .value("count")
                              .toInt();
    if (listeners == 0) {
        return {};
    }
    return QString("%1 listener%2 connected to this computer's node. Quitting stops the music "
                   "for %3. Quit anyway?")
        .arg(listeners)
        .arg(listeners == 1 ? " is" : "s are")
        .arg(listeners == 1 ? "them" : "all of them");
}

void MainWindow::closeEvent(QCloseEvent* event) {
    const QString question = closeQuestion();
    if (m_confirmClose && !question.isEmpty() &&
        QMessageBox::question(this, "Quit Auralis?", question,
                              QMessageBox::Yes | QMessageBox::Cancel,
                              QMessageBox::Cancel) != QMessageBox::Yes) {
        event->ignore();
        return;
    }
    saveSettings();
    event->accept();
}

DashboardOptions MainWindow::options() const {
    DashboardOptions o;
    const std::int64_t ranges[3] = {5 * 60'000, 15 * 60'000, 60 * 60'000};
    o.rangeMs = ranges[std::max(0, m_range->currentIndex())];
    return o;
}

void MainWindow::pushOptions() {
    const DashboardOptions o = options();
    for (NodeView& n : m_nodes) {
        QMetaObject::invokeMethod(n.watcher, [w = n.watcher, o] { w->setOptions(o); });
    }
}

void MainWindow::addNode(const QString& label, NodeWatcher* watcher) {
    const auto index = m_nodes.size();
    m_nodes.push_back({label, watcher, nullptr, {}, std::nullopt, false, "connecting…", false});
    if (!m_restoredNode.isEmpty() && label == m_restoredNode) {
        QTimer::singleShot(
            0, this, [this, index] { m_nodeSelect->setCurrentIndex(static_cast<int>(index)); });
    }
    connect(watcher, &NodeWatcher::snapshot, this,
            [this, index](std::shared_ptr<const DashboardSnapshot> s) {
                m_nodes[index].latest = std::move(s);
                m_nodes[index].dirty = true;
            });
    connect(watcher, &NodeWatcher::statusUpdated, this, [this, index](const QJsonObject& s) {
        m_nodes[index].status = s;
        if (static_cast<int>(index) == m_current) {
            m_controls->showStatus(s);
        }
    });
    connect(watcher, &NodeWatcher::choicesUpdated, this,
            [this, index](const monitor::ControlChoices& c) {
                m_nodes[index].choices = c;
                if (static_cast<int>(index) == m_current) {
                    m_controls->showChoices(c);
                }
            });
    connect(watcher, &NodeWatcher::reachability, this,
            [this, index](bool ok, const QString& detail) {
                m_nodes[index].reachable = ok;
                m_nodes[index].detail = detail;
                m_nodes[index].dirty = true;
            });
    connect(watcher, &NodeWatcher::controlResult, m_controls, &ControlsWidget::showControlResult);
    const DashboardOptions o = options();
    QMetaObject::invokeMethod(watcher, [watcher, o] { watcher->setOptions(o); });
    m_nodeSelect->addItem(label);
    if (m_current < 0) {
        select(0);
    }
}

void MainWindow::select(int index) {
    if (index < 0 || index >= static_cast<int>(m_nodes.size())) {
        return;
    }
    m_current = index;
    if (m_nodeSelect->currentIndex() != index) {
        m_nodeSelect->setCurrentIndex(index);
    }
    NodeView& n = m_nodes[static_cast<std::size_t>(index)];
    n.dirty = true;
    if (n.choices) {
        m_controls->showChoices(*n.choices);
    }
    m_controls->showStatus(n.status);
    m_listen->setSource(n.watcher->base(), n.watcher->caCertificates(), n.watcher->insecure());
}

void MainWindow::onFrame() {
    if (m_current < 0) {
        return;
    }
    NodeView& n = m_nodes[static_cast<std::size_t>(m_current)];
    if (!n.dirty) {
        return;
    }
    n.dirty = false;
    m_statusLine->setText(QString("%1 — %2%3")
                              .arg(n.label, n.reachable ? "scraping" : "unreachable",
                                   n.detail.isEmpty() ? QString() : ": " + n.detail));
    if (!n.latest) {
        return;
    }
    const DashboardSnapshot& s = *n.latest;
    const std::int64_t range = options().rangeMs;
    m_latency->show(s.latency, s.timeMs, range);
    m_depth->show(s.depth, s.timeMs, range);
    m_memory->show(s.memory, s.timeMs, range);
    m_underruns->show(s.underruns, s.timeMs, range);
    m_connections->show(s.connections, s.connectionsLevel);
    m_alerts->show(s.alerts);
    ++m_frames;
}

namespace {
QJsonObject listenReport(const PlayerWidget* listen) {
    const player::PlayerState& st = listen->lastState();
    return QJsonObject{{"playing", st.wanted},
                       {"audible", st.audible},
                       {"muted", st.muted},
                       {"volume", st.volume},
                       {"node", st.node},
                       {"client_id", st.clientId},
                       {"buffer_ms", st.bufferMs},
                       {"target_ms", st.targetMs},
                       {"underruns", static_cast<double>(st.underruns)},
                       {"status", listen->statusText()}};
}
} // namespace

QJsonObject MainWindow::report() const {
    const auto panel = [](const ChartPanelWidget* p) {
        return QJsonObject{{"series", p->seriesCount()},
                           {"points", p->pointCount()},
                           {"legend", QJsonArray::fromStringList(p->legend())},
                           {"headline", p->headlineText()},
                           {"others", p->othersText()},
                           {"headline_color",
                            p->headlineColor().isValid() ? p->headlineColor().name() : QString()}};
    };
    QJsonArray alerts;
    for (int r = 0; r < m_alerts->table()->rowCount(); ++r) {
        alerts.append(QJsonObject{{"state", m_alerts->table()->item(r, 0)->text()},
                                  {"rule", m_alerts->table()->item(r, 1)->text()}});
    }
    QJsonArray nodes;
    for (const NodeView& n : m_nodes) {
        nodes.append(
            QJsonObject{{"label", n.label}, {"reachable", n.reachable}, {"detail", n.detail}});
    }
    return QJsonObject{{"nodes", nodes},
                       {"frames", m_frames},
                       {"latency", panel(m_latency)},
                       {"depth", panel(m_depth)},
                       {"memory", panel(m_memory)},
                       {"underruns", panel(m_underruns)},
                       {"connections", QJsonObject{{"value", m_connections->valueText()},
                                                   {"color", m_connections->color().name()}}},
                       {"alerts", alerts},
                       {"device", m_controls->deviceText()},
                       {"range", m_range->currentText()},
                       {"streams", m_controls->streamsText()},
                       {"icecast", m_controls->icecastText()},
                       {"listen", listenReport(m_listen)}};
}

} // namespace auralis::ui
