// The dashboard's controls: the node's music (shown as it plays, sending only what changed),
// the Node panel (device, listeners, streams, Icecast, local node) and the offline demo.
// GUI thread only. Declared in ui/panels.h.
#include "ui/panels.h"

#include "monitor/node_status.h"

#include <QClipboard>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSlider>
#include <QSpinBox>

#include <cmath>

namespace auralis::ui {

// ---- ControlsWidget -----------------------------------------------------------------------

ControlsWidget::ControlsWidget(QWidget* parent) : QWidget(parent) {
    auto* layout = new QHBoxLayout(this);
    auto* music = new QGroupBox("Node controls");
    auto* form = new QFormLayout(music);
    // The controls show what the node plays (its /api/status) and send only what the operator
    // changed: a preset alone brings its own tempo and intensity.
    m_preset = new QComboBox;
    m_preset->addItems({"focus", "meditation", "sleep", "bright"});
    m_key = new QComboBox;
    m_key->addItems({"C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"});
    m_mode = new QComboBox;
    m_mode->addItems({"aeolian", "dorian", "ionian", "lydian", "mixolydian", "phrygian"});
    m_bpm = new QDoubleSpinBox;
    m_bpm->setRange(40, 120);
    m_bpm->setValue(72);
    m_intensity = new QSlider(Qt::Horizontal);
    m_preset->setObjectName("preset");
    m_key->setObjectName("key");
    m_mode->setObjectName("mode");
    m_bpm->setObjectName("bpm");
    m_intensity->setObjectName("intensity");
    m_intensity->setRange(0, 100);
    m_intensity->setValue(55);
    auto* apply = new QPushButton("Apply at next phrase");
    m_result = new QLabel;
    m_result->setWordWrap(true);
    form->addRow("&Preset", m_preset);
    form->addRow("&Key", m_key);
    form->addRow("&Mode", m_mode);
    form->addRow("&BPM", m_bpm);
    form->addRow("&Intensity", m_intensity);
    form->addRow(apply);
    form->addRow(m_result);
    const auto mark = [this](const char* field) {
        return [this, field] {
            if (QString(field) == "preset") {
                m_changed.clear(); // the preset's own tempo, intensity and mode
            }
            m_changed.insert(field);
        };
    };
    connect(m_preset, &QComboBox::activated, this, mark("preset"));
    connect(m_key, &QComboBox::activated, this, mark("key"));
    connect(m_mode, &QComboBox::activated, this, mark("mode"));
    connect(m_bpm, &QDoubleSpinBox::valueChanged, this, mark("bpm"));
    connect(m_intensity, &QSlider::valueChanged, this, mark("intensity"));
    connect(apply, &QPushButton::clicked, this,
            [this] { emit controlRequested(changedControl()); });
    layout->addWidget(music);

    auto* node = new QGroupBox("Node");
    auto* nodeLayout = new QFormLayout(node);
    m_device = new QLabel("–");
    m_device->setWordWrap(true);
    m_listeners = new QLabel("–");
    m_nodeButton = new QPushButton("Stop local node");
    m_nodeState = new QLabel;
    m_nodeState->setWordWrap(true);
    m_streams = new QLabel("–");
    m_streams->setWordWrap(true);
    m_icecast = new QLabel;
    m_icecast->setWordWrap(true);
    nodeLayout->addRow("Device", m_device);
    nodeLayout->addRow("Listeners", m_listeners);
    nodeLayout->addRow("Streams", m_streams);
    nodeLayout->addRow("Icecast", m_icecast);
    nodeLayout->addRow(m_nodeButton);
    nodeLayout->addRow(m_nodeState);
    // The local node takes control only with its token: the operator link carries it.
    m_copyLink = new QPushButton("Copy operator link");
    m_copyLink->setToolTip("A link that opens this node's page with the operator token, so the "
                           "music can be changed from there (keep it private)");
    m_copyLink->setEnabled(false);
    nodeLayout->addRow(m_copyLink);
    connect(m_copyLink, &QPushButton::clicked, this, [this] {
        QGuiApplication::clipboard()->setText(m_operatorLink);
        m_nodeState->setText("operator link copied (keep it private)");
    });
    connect(m_nodeButton, &QPushButton::clicked, this, [this] {
        if (m_nodeRunning) {
            emit stopLocalNode();
        } else {
            emit startLocalNode();
        }
    });
    layout->addWidget(node);

    auto* demo = new QGroupBox("Offline demo: simulated listeners");
    auto* demoLayout = new QFormLayout(demo);
    m_demoCount = new QSpinBox;
    m_demoCount->setRange(1, 5000);
    m_demoCount->setValue(12);
    m_demoDelay = new QSpinBox;
    m_demoDelay->setRange(0, 5000);
    m_demoDelay->setSuffix(" ms");
    m_demoJitter = new QSpinBox;
    m_demoJitter->setRange(0, 5000);
    m_demoJitter->setSuffix(" ms");
    m_demoNoRead = new QDoubleSpinBox;
    m_demoNoRead->setRange(0, 1);
    m_demoNoRead->setSingleStep(0.05);
    m_demoButton = new QPushButton("Start listeners");
    m_demoState = new QLabel;
    m_demoState->setWordWrap(true);
    demoLayout->addRow("&Listeners", m_demoCount);
    demoLayout->addRow("Added &delay", m_demoDelay);
    demoLayout->addRow("Added &jitter", m_demoJitter);
    demoLayout->addRow("&Never reading", m_demoNoRead);
    demoLayout->addRow(m_demoButton);
    demoLayout->addRow(m_demoState);
    connect(m_demoButton, &QPushButton::clicked, this, [this] {
        if (m_demoRunning) {
            emit stopDemo();
        } else {
            emit startDemo(m_demoCount->value(), m_demoDelay->value(), m_demoJitter->value(),
                           m_demoNoRead->value());
        }
    });
    layout->addWidget(demo);
}

namespace {
// The items of a combo box.
QStringList itemsOf(const QComboBox* box) {
    QStringList out;
    for (int i = 0; i < box->count(); ++i) {
        out << box->itemText(i);
    }
    return out;
}
// Replaces a combo box's items, keeping the current one where it is still offered.
void setItems(QComboBox* box, const QStringList& items) {
    if (itemsOf(box) == items) {
        return;
    }
    const QSignalBlocker block(box);
    const QString current = box->currentText();
    box->clear();
    box->addItems(items);
    box->setCurrentIndex(std::max(0, static_cast<int>(items.indexOf(current))));
}
} // namespace

void ControlsWidget::showChoices(const monitor::ControlChoices& choices) {
    QStringList presets;
    for (const auto& p : choices.presets) {
        presets << p.name;
    }
    setItems(m_preset, presets);
    for (int i = 0; i < m_preset->count(); ++i) {
        m_preset->setItemData(i,
                              monitor::presetSummary(choices.presets[static_cast<std::size_t>(i)]),
                              Qt::ToolTipRole);
    }
    setItems(m_key, choices.keys);
    setItems(m_mode, choices.modes);
    const QSignalBlocker block(m_bpm);
    m_bpm->setRange(choices.minBpm, choices.maxBpm);
}

QStringList ControlsWidget::presetChoices() const {
    return itemsOf(m_preset);
}

QJsonObject ControlsWidget::changedControl() {
    QJsonObject c;
    for (const QString& field : std::as_const(m_changed)) {
        if (field == "preset") {
            c[field] = m_preset->currentText();
        } else if (field == "key") {
            c[field] = m_key->currentText();
        } else if (field == "mode") {
            c[field] = m_mode->currentText();
        } else if (field == "bpm") {
            c[field] = m_bpm->value();
        } else if (field == "intensity") {
            c[field] = m_intensity->value() / 100.0;
        }
    }
    m_changed.clear();
    return c;
}

void ControlsWidget::showParams(const QJsonObject& params) {
    if (!m_changed.isEmpty() || params.isEmpty()) {
        return; // the operator is changing something: not overwritten under their hands
    }
    const QSignalBlocker b1(m_bpm);
    const QSignalBlocker b2(m_intensity);
    m_preset->setCurrentText(params.value("preset").toString());
    m_key->setCurrentText(params.value("key").toString());
    m_mode->setCurrentText(params.value("mode").toString());
    m_bpm->setValue(params.value("bpm").toDouble());
    m_intensity->setValue(
        static_cast<int>(std::lround(params.value("intensity").toDouble() * 100)));
}

QJsonObject ControlsWidget::shownParams() const {
    return QJsonObject{{"preset", m_preset->currentText()},
                       {"key", m_key->currentText()},
                       {"mode", m_mode->currentText()},
                       {"bpm", m_bpm->value()},
                       {"intensity", m_intensity->value() / 100.0}};
}

void ControlsWidget::showStatus(const QJsonObject& status) {
    showParams(status.value("pending_params").toObject());
    const QJsonObject device = status.value("device").toObject();
    m_device->setText(
        QString("%1 — %2").arg(device.value("kind").toString(), device.value("reason").toString()));
    const QJsonObject listeners = status.value("listeners").toObject();
    m_listeners->setText(QString("%1 of %2")
                             .arg(listeners.value("count").toInt())
                             .arg(listeners.value("max").toInt()));
    m_streams->setText(monitor::streamsText(status));
    const QString icecast = monitor::icecastText(status);
    m_icecast->setText(icecast.isEmpty() ? QString("not configured (--icecast URL)") : icecast);
}

void ControlsWidget::showControlResult(bool ok, const QString& message) {
    m_result->setText((ok ? "✔ " : "✘ ") + message);
}

void ControlsWidget::setLocalNodeRunning(bool running, const QString& detail) {
    m_nodeRunning = running;
    m_nodeButton->setText(running ? "Stop local node" : "Start local node");
    m_nodeState->setText(detail);
}

void ControlsWidget::setOperatorLink(const QString& link) {
    m_operatorLink = link;
    m_copyLink->setEnabled(!link.isEmpty());
}

void ControlsWidget::setDemoRunning(bool running, const QString& detail) {
    m_demoRunning = running;
    m_demoButton->setText(running ? "Stop listeners" : "Start listeners");
    m_demoState->setText(detail);
}

QString ControlsWidget::deviceText() const {
    return m_device->text();
}
QString ControlsWidget::streamsText() const {
    return m_streams->text();
}
QString ControlsWidget::icecastText() const {
    return m_icecast->text();
}
QString ControlsWidget::resultText() const {
    return m_result->text();
}

} // namespace auralis::ui
