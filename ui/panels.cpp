#include "ui/panels.h"

#include "monitor/axis.h"

#include <QAreaSeries>
#include <QChart>
#include <QChartView>
#include <QClipboard>
#include <QComboBox>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLegendMarker>
#include <QLineSeries>
#include <QPushButton>
#include <QSlider>
#include <QSpinBox>
#include <QTableWidget>
#include <QToolTip>
#include <QVBoxLayout>
#include <QValueAxis>

#include <cmath>

namespace auralis::ui {

namespace {

QString formatValue(double v, const QString& unit) {
    if (unit == "/s") {
        return QString::number(v, 'g', 3) + " /s";
    }
    if (unit == "ms") {
        return QString::number(v, 'f', v < 10 ? 2 : 1) + " ms";
    }
    return QString::number(v, 'f', v < 100 ? 1 : 0) + " " + unit;
}

// A palette for series lines that stays clear of the threshold colours; darker on a light
// background so that thin lines keep their contrast.
QColor lineColor(std::size_t i, bool dark) {
    static const QColor kColors[] = {
        QColor(87, 148, 242), QColor(184, 119, 217), QColor(255, 152, 48),  QColor(138, 184, 255),
        QColor(95, 202, 219), QColor(255, 120, 190), QColor(202, 149, 229), QColor(247, 179, 112)};
    const QColor c = kColors[i % (sizeof kColors / sizeof kColors[0])];
    return dark ? c : c.darker(150);
}
constexpr const char* kColorIndex = "auralisColorIndex";
} // namespace

QColor levelQColor(Level level) {
    return QColor(levelColor(level));
}

// ---- ChartPanelWidget ---------------------------------------------------------------------

ChartPanelWidget::ChartPanelWidget(const QString& title, std::vector<Band> bands, QWidget* parent)
    : QWidget(parent), m_bands(std::move(bands)) {
    setObjectName(title);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    auto* header = new QHBoxLayout;
    auto* titleLabel = new QLabel("<b>" + title.toHtmlEscaped() + "</b>");
    titleLabel->setAccessibleName(title);
    m_headline = new QLabel("–");
    m_headline->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    header->addWidget(titleLabel, 1);
    header->addWidget(m_headline);
    layout->addLayout(header);

    m_chart = new QChart;
    m_chart->legend()->setAlignment(Qt::AlignBottom);
    m_chart->setMargins(QMargins(2, 2, 2, 2));
    m_x = new QDateTimeAxis;
    m_x->setFormat("HH:mm");
    m_y = new QValueAxis;
    m_y->setLabelFormat("%g");
    m_chart->addAxis(m_x, Qt::AlignBottom);
    m_chart->addAxis(m_y, Qt::AlignLeft);
    for (const Band& b : m_bands) {
        // A QAreaSeries does not own its boundary lines: the panel does.
        auto* upper = new QLineSeries(this);
        auto* lower = new QLineSeries(this);
        auto* area = new QAreaSeries(upper, lower);
        QColor c = levelQColor(b.level);
        c.setAlpha(40);
        area->setBrush(c);
        area->setPen(QPen(levelQColor(b.level), 1, Qt::DashLine));
        m_chart->addSeries(area);
        area->attachAxis(m_x);
        area->attachAxis(m_y);
        m_bandLines.emplace_back(upper, lower);
        // Threshold bands are not data: keep them out of the legend.
        for (QLegendMarker* marker : m_chart->legend()->markers(area)) {
            marker->setVisible(false);
        }
    }
    m_view = new QChartView(m_chart);
    m_view->setRenderHint(QPainter::Antialiasing);
    m_view->setMinimumHeight(180);
    layout->addWidget(m_view, 1);
    m_others = new QLabel;
    m_others->setVisible(false);
    layout->addWidget(m_others);
    applyPalette();
}

void ChartPanelWidget::changeEvent(QEvent* event) {
    if (event->type() == QEvent::PaletteChange ||
        event->type() == QEvent::ApplicationPaletteChange) {
        applyPalette();
    }
    QWidget::changeEvent(event);
}

void ChartPanelWidget::applyPalette() {
    const QPalette& p = palette();
    m_dark = p.color(QPalette::Window).lightness() < 128;
    m_text = p.color(QPalette::Text);
    QColor grid = m_text;
    grid.setAlpha(60);
    m_chart->setBackgroundBrush(p.color(QPalette::Base));
    m_chart->legend()->setLabelColor(m_text);
    for (QAbstractAxis* axis :
         {static_cast<QAbstractAxis*>(m_x), static_cast<QAbstractAxis*>(m_y)}) {
        axis->setLabelsColor(m_text);
        axis->setGridLineColor(grid);
        axis->setLinePenColor(grid);
    }
    for (const auto& [name, s] : m_lines) {
        s->setPen(QPen(lineColor(s->property(kColorIndex).toULongLong(), m_dark), 2));
    }
}

QColor ChartPanelWidget::chartBackground() const {
    return m_chart->backgroundBrush().color();
}

QColor ChartPanelWidget::lineColorOf(const std::string& name) const {
    const auto it = m_lines.find(name);
    return it == m_lines.end() ? QColor() : it->second->pen().color();
}

QLineSeries* ChartPanelWidget::line(const std::string& name) {
    auto it = m_lines.find(name);
    if (it != m_lines.end()) {
        return it->second;
    }
    auto* s = new QLineSeries;
    s->setName(QString::fromStdString(name));
    s->setProperty(kColorIndex, QVariant::fromValue(m_linesMade));
    s->setPen(QPen(lineColor(m_linesMade++, m_dark), 2));
    m_chart->addSeries(s);
    s->attachAxis(m_x);
    s->attachAxis(m_y);
    connect(s, &QLineSeries::hovered, this, [this, s](const QPointF& p, bool state) {
        if (state) {
            QToolTip::showText(QCursor::pos(),
                               QString("%1: %2 at %3")
                                   .arg(s->name(), formatValue(p.y(), m_unit),
                                        QDateTime::fromMSecsSinceEpoch(static_cast<qint64>(p.x()))
                                            .toString("HH:mm:ss")));
        }
    });
    m_lines.emplace(name, s);
    return s;
}

void ChartPanelWidget::show(const ChartPanel& panel, std::int64_t nowMs, std::int64_t rangeMs) {
    m_unit = QString::fromStdString(panel.unit);
    // Lines of series that left (a listener disconnected) go away.
    for (auto it = m_lines.begin(); it != m_lines.end();) {
        const bool present = std::any_of(panel.series.begin(), panel.series.end(),
                                         [&](const ChartSeries& s) { return s.name == it->first; });
        if (!present) {
            m_chart->removeSeries(it->second);
            delete it->second;
            it = m_lines.erase(it);
        } else {
            ++it;
        }
    }
    double yMax = 0;
    for (const ChartSeries& s : panel.series) {
        QList<QPointF> points;
        points.reserve(static_cast<qsizetype>(s.points.size()));
        for (const auto& [t, v] : s.points) {
            points.append(QPointF(static_cast<double>(t), v));
            if (std::isfinite(v)) {
                yMax = std::max(yMax, v);
            }
        }
        line(s.name)->replace(points); // one replace per series per frame
    }
    // Y range: the data, and the first threshold above it, so a band is always in view.
    double top = yMax;
    for (const Band& b : m_bands) {
        if (b.to < 1e300) {
            top = std::max(top, b.to);
        }
    }
    // Round ticks: 1-2-5 steps from 0, and whole minutes.
    const ValueAxis y = niceValueAxis(top <= 0 ? 1 : top * 1.05);
    top = y.max;
    m_y->setRange(0, y.max);
    m_y->setTickType(QValueAxis::TicksDynamic);
    m_y->setTickAnchor(0);
    m_y->setTickInterval(y.step);
    const TimeAxis t = roundTimeAxis(nowMs, rangeMs);
    const double x0 = static_cast<double>(t.minMs);
    const double x1 = static_cast<double>(t.maxMs);
    m_x->setRange(QDateTime::fromMSecsSinceEpoch(t.minMs), QDateTime::fromMSecsSinceEpoch(t.maxMs));
    m_x->setTickCount(t.ticks);
    m_x->setFormat("HH:mm");
    for (std::size_t i = 0; i < m_bands.size(); ++i) {
        const double from = m_bands[i].from;
        const double to = std::min(m_bands[i].to, top);
        m_bandLines[i].first->replace({QPointF(x0, to), QPointF(x1, to)});
        m_bandLines[i].second->replace({QPointF(x0, from), QPointF(x1, from)});
    }
    if (panel.headline) {
        const QColor c = panel.headlineLevel ? levelQColor(*panel.headlineLevel) : m_text;
        m_headlineColor = c;
        m_headline->setText(QString("<span style='font-size:16pt; color:%1'><b>%2</b></span>")
                                .arg(c.name(), formatValue(*panel.headline, m_unit)));
    } else {
        m_headlineColor = QColor();
        m_headline->setText("no data");
    }
    m_others->setText(QString::fromStdString(panel.others));
    m_others->setVisible(!panel.others.empty());
}

int ChartPanelWidget::pointCount() const {
    int n = 0;
    for (const auto& [name, s] : m_lines) {
        n += static_cast<int>(s->count());
    }
    return n;
}

QString ChartPanelWidget::headlineText() const {
    return m_headline->text();
}

QString ChartPanelWidget::othersText() const {
    return m_others->text();
}

QStringList ChartPanelWidget::legend() const {
    QStringList out;
    for (const auto& [name, s] : m_lines) {
        out << s->name();
    }
    return out;
}

// ---- StatPanelWidget ----------------------------------------------------------------------

StatPanelWidget::StatPanelWidget(const QString& title, QWidget* parent) : QWidget(parent) {
    setObjectName(title);
    auto* layout = new QVBoxLayout(this);
    auto* t = new QLabel("<b>" + title.toHtmlEscaped() + "</b>");
    layout->addWidget(t);
    m_value = new QLabel("–");
    m_value->setAlignment(Qt::AlignCenter);
    m_value->setMinimumHeight(90);
    m_value->setAccessibleName(title);
    layout->addWidget(m_value, 1);
}

void StatPanelWidget::show(std::optional<double> value, std::optional<Level> level) {
    m_color = level ? levelQColor(*level) : QColor(70, 70, 70);
    m_value->setText(value ? QString::number(*value, 'f', 0) : QString("no data"));
    m_value->setStyleSheet(
        QString("background:%1; color:#111; font-size:36pt; font-weight:bold; border-radius:4px")
            .arg(m_color.name()));
}

QString StatPanelWidget::valueText() const {
    return m_value->text();
}

// ---- AlertsPanelWidget --------------------------------------------------------------------

AlertsPanelWidget::AlertsPanelWidget(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(new QLabel("<b>Alerts</b>"));
    m_table = new QTableWidget(0, 6);
    m_table->setHorizontalHeaderLabels(
        {"State", "Alert", "Severity", "Labels", "Summary", "Description"});
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->verticalHeader()->setVisible(false);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionMode(QAbstractItemView::NoSelection);
    m_table->setAccessibleName("Alerts");
    layout->addWidget(m_table);
}

void AlertsPanelWidget::show(const std::vector<AlertStatus>& alerts) {
    m_table->setRowCount(static_cast<int>(alerts.size()));
    for (int row = 0; row < static_cast<int>(alerts.size()); ++row) {
        const AlertStatus& a = alerts[static_cast<std::size_t>(row)];
        const AlertText text = alertText(a);
        QString labels;
        for (const auto& [k, v] : a.labels) {
            labels += QString("%1=%2 ").arg(QString::fromStdString(k), QString::fromStdString(v));
        }
        const QStringList cells = {
            QString::fromStdString(text.state),   QString::fromStdString(a.rule),
            QString::fromStdString(a.severity),   labels.trimmed(),
            QString::fromStdString(text.summary), QString::fromStdString(a.description)};
        // Only a firing alert is an alarm; pending reads as a note (italic, no colour).
        for (int c = 0; c < cells.size(); ++c) {
            auto* item = new QTableWidgetItem(cells[c]);
            item->setToolTip(QString::fromStdString(text.tooltip));
            if (a.state == AlertState::Firing) {
                item->setBackground(levelQColor(Level::Red));
                item->setForeground(QColor(17, 17, 17));
            } else if (a.state == AlertState::Pending) {
                QFont font = item->font();
                font.setItalic(true);
                item->setFont(font);
            }
            m_table->setItem(row, c, item);
        }
    }
    m_table->resizeColumnsToContents();
}

} // namespace auralis::ui
