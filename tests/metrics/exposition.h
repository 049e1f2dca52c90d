// A small reader of Prometheus text exposition for the tests: HELP, TYPE and samples.
// Header-only; test thread only.
#pragma once

#include <QByteArray>
#include <QList>
#include <QMap>
#include <QString>

namespace auralis::test {

struct Sample {
    QString name;
    QMap<QString, QString> labels;
    double value = 0;
};

struct Exposition {
    QMap<QString, QString> help;
    QMap<QString, QString> type;
    QList<Sample> samples;

    QList<Sample> find(const QString& name) const {
        QList<Sample> out;
        for (const Sample& s : samples) {
            if (s.name == name) {
                out << s;
            }
        }
        return out;
    }
    double value(const QString& name, const QMap<QString, QString>& labels = {}) const {
        for (const Sample& s : samples) {
            if (s.name == name && s.labels == labels) {
                return s.value;
            }
        }
        return -1;
    }
};

inline Exposition parseExposition(const QByteArray& text) {
    Exposition e;
    for (const QByteArray& raw : text.split('\n')) {
        const QString line = QString::fromUtf8(raw).trimmed();
        if (line.startsWith("# HELP ")) {
            const QString rest = line.mid(7);
            e.help[rest.section(' ', 0, 0)] = rest.section(' ', 1);
        } else if (line.startsWith("# TYPE ")) {
            const QString rest = line.mid(7);
            e.type[rest.section(' ', 0, 0)] = rest.section(' ', 1);
        } else if (!line.isEmpty() && !line.startsWith('#')) {
            Sample s;
            const qsizetype brace = line.indexOf('{');
            const qsizetype space = line.lastIndexOf(' ');
            if (brace >= 0 && brace < space) {
                s.name = line.left(brace);
                const QString labels = line.mid(brace + 1, line.lastIndexOf('}') - brace - 1);
                for (const QString& pair : labels.split("\",", Qt::SkipEmptyParts)) {
                    const QString k = pair.section('=', 0, 0).trimmed();
                    QString v = pair.section('=', 1);
                    v.remove('"');
                    s.labels[k] = v;
                }
            } else {
                s.name = line.left(space);
            }
            s.value = line.mid(space + 1).toDouble();
            e.samples << s;
        }
    }
    return e;
}

} // namespace auralis::test
