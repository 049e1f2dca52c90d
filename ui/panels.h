// The dashboard's panels. They only draw what a DashboardSnapshot says (colours from
// thresholds.h): a time-series chart with threshold bands, a stat, the alerts table and the
// node controls. GUI thread only.
#pragma once

#include "monitor/dashboard_model.h"
#include "monitor/node_status.h"

#include <QJsonObject>
#include <QSet>
#include <QWidget>

#include <map>

class QChart;
class QChartView;
class QComboBox;
class QDateTimeAxis;
class QDoubleSpinBox;
class QLabel;
class QLineSeries;
class QPushButton;
class QSlider;
class QSpinBox;
class QTableWidget;
class QValueAxis;

namespace auralis::ui {

// The widgets draw what the monitor computes: its types are this module's vocabulary.
using namespace auralis::monitor;

QColor levelQColor(Level level);

/// One Grafana-style time-series panel: title, coloured current value, threshold bands,
/// one line per series (replace()d once per frame), legend, hover read-out. Drawn in the
/// widget's palette (the system's light or dark one), following it when it changes.
class ChartPanelWidget : public QWidget {
    Q_OBJECT
public:
    /// `bands` in the panel's unit; empty for none.
    ChartPanelWidget(const QString& title, std::vector<Band> bands, QWidget* parent = nullptr);
    void show(const ChartPanel& panel, std::int64_t nowMs, std::int64_t rangeMs);

    // For tests and reports.
    int seriesCount() const { return static_cast<int>(m_lines.size()); }
    int pointCount() const;
    QString headlineText() const;
    QColor headlineColor() const { return m_headlineColor; }
    QStringList legend() const;
    QString othersText() const;
    QColor chartBackground() const;
    QColor lineColorOf(const std::string& name) const;

protected:
    void changeEvent(QEvent* event) override;

private:
    QLineSeries* line(const std::string& name);
    void applyPalette();

    QLabel* m_headline;
    QLabel* m_others;
    QChart* m_chart;
    QChartView* m_view;
    QDateTimeAxis* m_x;
    QValueAxis* m_y;
    std::vector<Band> m_bands;
    std::vector<std::pair<QLineSeries*, QLineSeries*>> m_bandLines;
    std::map<std::string, QLineSeries*> m_lines;
    QColor m_headlineColor;
    QColor m_text; // the palette's text colour: labels, and a headline without thresholds
    bool m_dark = true;
    std::size_t m_linesMade = 0; // each new line takes the next colour
    QString m_unit;
};

/// The Active WebSocket Connections stat: a big number on its threshold colour.
class StatPanelWidget : public QWidget {
    Q_OBJECT
public:
    explicit StatPanelWidget(const QString& title, QWidget* parent = nullptr);
    void show(std::optional<double> value, std::optional<Level> level);
    QString valueText() const;
    QColor color() const { return m_color; }

private:
    QLabel* m_value;
    QColor m_color;
};

/// The seven alerts: state (inactive / pending with time left / firing), rule, severity,
/// labels, summary and description.
class AlertsPanelWidget : public QWidget {
    Q_OBJECT
public:
    explicit AlertsPanelWidget(QWidget* parent = nullptr);
    void show(const std::vector<AlertStatus>& alerts);
    QTableWidget* table() const { return m_table; }

private:
    QTableWidget* m_table;
};

/// Node controls (preset, key, mode, BPM, intensity through POST /api/control), the device
/// in use and why, listeners, the embedded node's start/stop, and the offline demo.
class ControlsWidget : public QWidget {
    Q_OBJECT
public:
    explicit ControlsWidget(QWidget* parent = nullptr);
    void showStatus(const QJsonObject& status);
    /// The node's own choices (/api/presets): presets (with their tempo, intensity and mode
    /// as tooltips), keys, modes and the BPM range. Until a node says, the built-in ones.
    void showChoices(const monitor::ControlChoices& choices);
    /// The presets offered now.
    QStringList presetChoices() const;
    void showControlResult(bool ok, const QString& message);
    void setLocalNodeRunning(bool running, const QString& detail);
    void setDemoRunning(bool running, const QString& detail);
    /// The local node's operator link (empty: none); "Copy operator link" copies it.
    void setOperatorLink(const QString& link);
    QString operatorLink() const { return m_operatorLink; }
    QString deviceText() const;
    QString streamsText() const;
    QString icecastText() const;
    QString resultText() const;
    /// The node's parameters as the controls show them (bpm, intensity, preset, key, mode).
    QJsonObject shownParams() const;
    /// What Apply sends now: only the fields the operator changed (a preset alone when the
    /// preset was chosen); clears them.
    QJsonObject changedControl();

signals:
    void controlRequested(const QJsonObject& control);
    void startLocalNode();
    void stopLocalNode();
    /// Simulated listeners: count, added delay and jitter (ms), fraction never reading.
    void startDemo(int listeners, int delayMs, int jitterMs, double noReadFraction);
    void stopDemo();

private:
    void showParams(const QJsonObject& params);

    QSet<QString> m_changed; // fields the operator changed since the last Apply
    QComboBox* m_preset;
    QComboBox* m_key;
    QComboBox* m_mode;
    QDoubleSpinBox* m_bpm;
    QSlider* m_intensity;
    QLabel* m_result;
    QLabel* m_device;
    QLabel* m_streams;
    QLabel* m_icecast;
    QLabel* m_listeners;
    QPushButton* m_nodeButton;
    QLabel* m_nodeState;
    QPushButton* m_copyLink;
    QString m_operatorLink;
    QSpinBox* m_demoCount;
    QSpinBox* m_demoDelay;
    QSpinBox* m_demoJitter;
    QDoubleSpinBox* m_demoNoRead;
    QPushButton* m_demoButton;
    QLabel* m_demoState;
    bool m_nodeRunning = false;
    bool m_demoRunning = false;
};

} // namespace auralis::ui
