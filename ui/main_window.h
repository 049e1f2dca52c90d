// The dashboard window: assembles the panels for the node being viewed (local or attached),
// the time range, pause, and the controls. It owns no node: nodes are reached only through
// NodeWatchers (HTTP), which live in worker threads. GUI thread only.
#pragma once

#include "monitor/node_watcher.h"
#include "ui/panels.h"

#include <QJsonObject>
#include <QMainWindow>
#include <QTimer>

#include <memory>
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

    /// What every panel shows now (tests, --report).
    QJsonObject report() const;

signals:
    /// "Attach…" in the UI: the app creates a watcher for the URL.
    void attachRequested(const QString& url);

private:
    struct NodeView {
        QString label;
        NodeWatcher* watcher = nullptr;
        std::shared_ptr<const DashboardSnapshot> latest;
        QJsonObject status;
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
    QComboBox* m_nodeSelect;
    QComboBox* m_range;
    QCheckBox* m_pause;
    QLabel* m_statusLine;
    QTimer m_frame; // batches snapshot updates into one redraw per panel
    int m_frames = 0;
};

} // namespace auralis::ui
