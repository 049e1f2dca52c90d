// "Listen here": play/stop, mute and volume for the LocalPlayer (which lives in its own
// thread; reached only through queued calls), and what it reports: buffer, underruns, and why
// nothing is heard when nothing is. GUI thread only.
#pragma once

#include "player/local_player.h"

#include <QWidget>

class QCheckBox;
class QLabel;
class QPushButton;
class QSlider;

namespace auralis::ui {

class PlayerWidget : public QWidget {
    Q_OBJECT
public:
    explicit PlayerWidget(QWidget* parent = nullptr);

    /// Drives `player` (not owned; lives in another thread) from now on.
    void setPlayer(player::LocalPlayer* player);
    player::LocalPlayer* player() const { return m_player; }
    /// The node to play, when the one viewed changes.
    void setSource(const QUrl& node, const QList<QSslCertificate>& ca, bool insecure);

    void play();
    void stop();
    void setMuted(bool muted);
    void setVolume(int percent);
    bool isMuted() const;
    int volume() const;
    /// What the operator asked for last (play() or stop()), kept between runs: a failed start
    /// (no audio device) does not turn listening off for the next run.
    bool wantsToPlay() const { return m_intent; }
    const player::PlayerState& lastState() const { return m_last; }
    /// One line: "buffer 1.0 s · 0 underruns · playing on …" or the reason for silence.
    QString statusText() const;

signals:
    void stateChanged(const auralis::player::PlayerState& state);

private:
    void show(const player::PlayerState& state);
    template <class F>
    void call(F f);

    player::LocalPlayer* m_player = nullptr;
    player::PlayerState m_last;
    bool m_intent = false;
    QPushButton* m_play;
    QCheckBox* m_mute;
    QSlider* m_volume;
    QLabel* m_status;
};

} // namespace auralis::ui
