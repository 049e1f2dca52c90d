#include "ui/player_widget.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSlider>
#include <QStyle>

namespace auralis::ui {

PlayerWidget::PlayerWidget(QWidget* parent) : QWidget(parent) {
    auto* row = new QHBoxLayout(this);
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(new QLabel("Listen:"));
    m_play = new QPushButton;
    m_play->setObjectName("listen");
    m_play->setAccessibleName("Play or stop listening here");
    m_play->setEnabled(false);
    row->addWidget(m_play);
    m_mute = new QCheckBox("&Mute");
    m_mute->setObjectName("mute");
    row->addWidget(m_mute);
    m_volume = new QSlider(Qt::Horizontal);
    m_volume->setObjectName("volume");
    m_volume->setAccessibleName("Volume");
    m_volume->setRange(0, 100);
    m_volume->setValue(100);
    m_volume->setFixedWidth(110);
    row->addWidget(m_volume);
    m_status = new QLabel;
    m_status->setObjectName("listenStatus");
    m_status->setMinimumWidth(280);
    row->addWidget(m_status);
    show(m_last);

    connect(m_play, &QPushButton::clicked, this, [this] { m_last.wanted ? stop() : play(); });
    connect(m_mute, &QCheckBox::toggled, this, &PlayerWidget::setMuted);
    connect(m_volume, &QSlider::valueChanged, this, &PlayerWidget::setVolume);
}

template <class F>
void PlayerWidget::call(F f) {
    if (m_player) {
        QMetaObject::invokeMethod(m_player, [p = m_player, f] { f(p); });
    }
}

void PlayerWidget::setPlayer(player::LocalPlayer* player) {
    m_player = player;
    m_play->setEnabled(player != nullptr);
    if (!player) {
        return;
    }
    connect(player, &player::LocalPlayer::stateChanged, this, &PlayerWidget::show);
    const bool muted = isMuted();
    const int percent = volume();
    call([muted, percent](player::LocalPlayer* p) {
        p->setVolume(percent);
        p->setMuted(muted);
    });
}

void PlayerWidget::setSource(const QUrl& node, const QList<QSslCertificate>& ca, bool insecure) {
    call([node, ca, insecure](player::LocalPlayer* p) { p->setSource(node, ca, insecure); });
}

void PlayerWidget::play() {
    m_intent = true;
    call([](player::LocalPlayer* p) { p->play(); });
}
void PlayerWidget::stop() {
    m_intent = false;
    call([](player::LocalPlayer* p) { p->stop(); });
}

void PlayerWidget::setMuted(bool muted) {
    if (m_mute->isChecked() != muted) {
        m_mute->setChecked(muted); // toggled() comes back here
        return;
    }
    call([muted](player::LocalPlayer* p) { p->setMuted(muted); });
}

void PlayerWidget::setVolume(int percent) {
    if (m_volume->value() != percent) {
        m_volume->setValue(percent); // valueChanged() comes back here
        return;
    }
    call([percent](player::LocalPlayer* p) { p->setVolume(percent); });
}

bool PlayerWidget::isMuted() const {
    return m_mute->isChecked();
}
int PlayerWidget::volume() const {
    return m_volume->value();
}

QString PlayerWidget::statusText() const {
    if (!m_player) {
        return "no player";
    }
    if (!m_last.wanted || !m_last.audible) {
        return m_last.note;
    }
    return QString("buffer %1 s · %2 underrun%3%4 · %5")
        .arg(m_last.bufferMs / 1000.0, 0, 'f', 1)
        .arg(m_last.underruns)
        .arg(m_last.underruns == 1 ? "" : "s")
        .arg(m_last.muted ? " · muted" : "")
        .arg(m_last.note);
}

void PlayerWidget::show(const player::PlayerState& state) {
    m_last = state;
    m_play->setText(state.wanted ? "Stop" : "Play");
    m_play->setIcon(
        style()->standardIcon(state.wanted ? QStyle::SP_MediaStop : QStyle::SP_MediaPlay));
    m_status->setText(statusText());
    m_status->setToolTip(
        QString("This computer listens to %1 as '%2', like any listener: its "
                "buffer and underruns also show on the node's panels.")
            .arg(state.node.isEmpty() ? QString("the node shown") : state.node, state.clientId));
    emit stateChanged(state);
}

} // namespace auralis::ui
