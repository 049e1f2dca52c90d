// Reading the dashboard's --report / MainWindow::report() JSON in tests. Header-only.
#pragma once

#include <QJsonObject>
#include <QString>

namespace auralis::test {

/// The number shown in a panel's headline ("<span ...><b>24.9 ms</b></span>" -> 24.9).
inline double headline(const QJsonObject& report, const char* panel) {
    const QString html = report.value(panel).toObject().value("headline").toString();
    const qsizetype b = html.indexOf("<b>") + 3;
    return html.mid(b, html.indexOf(' ', b) - b).toDouble();
}

} // namespace auralis::test
