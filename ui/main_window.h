// The dashboard window: assembles the panels for the node being viewed (local or attached),
// the time range, pause, and the controls. It owns no node: nodes are reached only through
// NodeWatchers (HTTP), which live in worker threads. GUI thread only.
#pragma once

#include "monitor/node_watcher.h"
#include "ui/panels.h"
#include "ui/player_widget.h"

#include <QJsonObject>
#include <QMainWindow>
#include <QTimer>

#include <memory>
#include <optional>
#include <vector>

class QCheckBox;
class QComboBox;
class QLabel;

namespace auralis::ui {

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);

    /// Watches another node; the first one added is shown.
    void addNode(const QString& label, NodeWatcher* watcher);
    ControlsWidget* controls() const { return m_controls; }
    PlayerWidget* listen() const { return m_listen; }
    /// Plays the node shown through `player` (its own thread, not owned): starts playing
    /// unless the operator stopped it last time; `muted` starts muted (--mute).
    void setPlayer(player::LocalPlayer* player, bool muted);
    int nodeCount() const { return static_cast<int>(m_nodes.size()); }

    /// What every panel shows now (tests, --report).
    QJsonObject report() const;

    /// Window geometry, time range and the node shown, from QSettings (call before show()),
    /// and saved there when the window closes. Also the attached nodes' addresses (no
    /// tokens): attachedNodes() / setAttachedNodes().
    void restoreSettings();
    void saveSettings() const;
    static QStringList attachedNodes();
    static void rememberAttached(const QString& url);
    /// Closing asks first while the node at `index` (the local one) has listeners.
    void setLocalNodeIndex(int index) { m_localIndex = index; }
    void setConfirmClose(bool confirm) { m_confirmClose = confirm; }
    /// The question closing would ask now (empty: it would not ask).
    QString closeQuestion() const;
    /// Help > About: version, build (set by the app: CUDA or not), Qt, licences.
    void setBuildDescription(const QString& build) { m_build = build; }
    QString aboutText() const;

protected:
    void closeEvent(QCloseEvent* event) override;

signals:
    /// "Attach…" in the UI: the app creates a watcher for the URL.
    void attachRequested(const QString& url);

private:
    struct NodeView {
        QString label;
        NodeWatcher* watcher = nullptr;
        std::shared_ptr<const DashboardSnapshot> latest;
        QJsonObject status;
        std::optional<monitor::ControlChoices> choices;
        bool reachable = false;
        QString detail;
        bool dirty = false;
    };

    void onFrame();
    void select(int index);
    void pushOptions();
    DashboardOptions options() const;

    std::vector<NodeView> m_nodes;
    int m_current = -1;
    ChartPanelWidget* m_latency;
    ChartPanelWidget* m_depth;
    ChartPanelWidget* m_memory;
    ChartPanelWidget* m_underruns;
    StatPanelWidget* m_connections;
    AlertsPanelWidget* m_alerts;
    ControlsWidget* m_controls;
    PlayerWidget* m_listen;
    QComboBox* m_nodeSelect;
    QComboBox* m_range;
    QCheckBox* m_pause;
    QLabel* m_statusLine;
    QTimer m_frame; // batches snapshot updates into one redraw per panel
    int m_frames = 0;
    int m_localIndex = -1;
    bool m_confirmClose = true;
    QString m_restoredNode; // the node label shown last time, selected when it appears
    QString m_build = "unknown build";
};

} // namespace auralis::ui
