// The dashboard's query functions against the real Prometheus on the same recorded scrapes:
// an hour of irregular scrapes (counter resets, a counter that starts high, a gauge random
// walk, histogram buckets with a reset) is backfilled with `promtool tsdb create-blocks-from
// openmetrics`, served by a Prometheus, and every query is compared at many evaluation
// times: rate, increase, delta, deriv, max_over_time, histogram_quantile, sum by.
#include "../common/sync_http.h"
#include "monitor/promql.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QUrlQuery>
#include <QtTest>

#include <cmath>
#include <functional>
#include <random>

using namespace auralis::monitor;
using auralis::test::kPatienceMs;

namespace {

struct Recorded {
    std::string name;
    Labels labels;
    std::vector<Point> points;
};

// One hour of scrapes every 10 s +- 3 s, ending 30 minutes ago.
std::vector<Recorded> record(std::int64_t endMs) {
    std::mt19937 rng(20261126);
    std::uniform_real_distribution<double> u(0, 1);
    std::vector<std::int64_t> times;
    for (std::int64_t t = endMs - 3'600'000; t <= endMs; t += 10'000) {
        times.push_back(t + static_cast<std::int64_t>((u(rng) - 0.5) * 6000));
    }
    std::vector<Recorded> out;
    // Counters: `a` resets twice, `b` starts at a million.
    for (const auto& [instance, start] :
         std::vector<std::pair<std::string, double>>{{"a", 0}, {"b", 1e6}}) {
        Recorded r{"ctr", {{"instance", instance}}, {}};
        double v = start;
        for (std::size_t i = 0; i < times.size(); ++i) {
            if (instance == "a" && (i == 120 || i == 250)) {
                v = u(rng) * 3; // process restart
            } else {
                v += std::floor(u(rng) * 40);
            }
            r.points.push_back({times[i], v});
        }
        out.push_back(r);
    }
    Recorded g{"gge", {{"instance", "a"}}, {}};
    double level = 50;
    for (const std::int64_t t : times) {
        level += (u(rng) - 0.45) * 4;
        g.points.push_back({t, level});
    }
    out.push_back(g);
    // Histogram buckets (cumulative), reset once.
    const std::vector<std::string> les = {"0.01", "0.025", "0.05", "0.1", "0.25", "+Inf"};
    std::vector<double> counts(les.size(), 0);
    std::vector<Recorded> buckets;
    for (const auto& le : les) {
        buckets.push_back({"hist_bucket", {{"instance", "a"}, {"le", le}}, {}});
    }
    for (std::size_t i = 0; i < times.size(); ++i) {
        if (i == 200) {
            std::fill(counts.begin(), counts.end(), 0.0);
        }
        double cumulative = 0;
        for (std::size_t b = 0; b < les.size(); ++b) {
            cumulative += std::floor(u(rng) * (b == 2 ? 30 : 8));
            counts[b] += cumulative;
            buckets[b].points.push_back({times[i], counts[b]});
        }
    }
    out.insert(out.end(), buckets.begin(), buckets.end());
    return out;
}

QByteArray openMetrics(const std::vector<Recorded>& data) {
    QByteArray om;
    std::string family;
    for (const Recorded& r : data) {
        if (r.name != family) {
            family = r.name;
            om += "# TYPE " + QByteArray::fromStdString(family) + " gauge\n";
        }
        const QByteArray key = QByteArray::fromStdString(seriesKey(r.name, r.labels));
        for (const Point& p : r.points) {
            om += key + ' ' + QByteArray::number(p.v, 'g', 17) + ' ' +
                  QByteArray::number(static_cast<double>(p.t) / 1000.0, 'f', 3) + '\n';
        }
    }
    om += "# EOF\n";
    return om;
}

bool close(double a, double b) {
    if (std::isnan(a) || std::isnan(b)) {
        return std::isnan(a) && std::isnan(b);
    }
    if (std::isinf(a) || std::isinf(b)) {
        return a == b;
    }
    return std::abs(a - b) <= 1e-6 * std::max(1.0, std::abs(b));
}

} // namespace

class TestPromqlVsPrometheus : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QProcess m_prometheus;
    quint16 m_port = 0;
    QNetworkAccessManager m_nam;
    SeriesStore m_store{24 * 3'600'000};
    std::int64_t m_endMs = 0;
    std::int64_t m_startMs = 0;

    Vector prometheus(const QString& promql, std::int64_t t) {
        QUrl url(QString("http://127.0.0.1:%1/api/v1/query").arg(m_port));
        QUrlQuery q;
        q.addQueryItem("query", promql);
        q.addQueryItem("time", QString::number(static_cast<double>(t) / 1000.0, 'f', 3));
        url.setQuery(q);
        const QJsonObject o =
            QJsonDocument::fromJson(auralis::test::syncRequest(m_nam, url).body).object();
        Vector out;
        for (const QJsonValue r : o.value("data").toObject().value("result").toArray()) {
            Sample s;
            const QJsonObject metric = r.toObject().value("metric").toObject();
            for (auto it = metric.begin(); it != metric.end(); ++it) {
                if (it.key() != "__name__") {
                    s.labels.emplace_back(it.key().toStdString(),
                                          it.value().toString().toStdString());
                }
            }
            std::sort(s.labels.begin(), s.labels.end());
            const QString v = r.toObject().value("value").toArray().at(1).toString();
            s.value = v == "NaN"    ? std::nan("")
                      : v == "+Inf" ? INFINITY
                      : v == "-Inf" ? -INFINITY
                                    : v.toDouble();
            out.push_back(s);
        }
        return out;
    }

    void compare(const QString& promql, const std::function<Vector(std::int64_t)>& ours) {
        int compared = 0;
        for (std::int64_t t = m_startMs + 7 * 60'000 + 1234; t < m_endMs; t += 173'000) {
            Vector expected = prometheus(promql, t);
            Vector actual = ours(t);
            const auto byLabels = [](const Sample& a, const Sample& b) {
                return a.labels < b.labels;
            };
            std::sort(expected.begin(), expected.end(), byLabels);
            std::sort(actual.begin(), actual.end(), byLabels);
            QVERIFY2(expected.size() == actual.size(),
                     qPrintable(QString("%1 at %2: %3 series from Prometheus, %4 here")
                                    .arg(promql)
                                    .arg(t)
                                    .arg(expected.size())
                                    .arg(actual.size())));
            for (std::size_t i = 0; i < expected.size(); ++i) {
                QVERIFY(expected[i].labels == actual[i].labels);
                QVERIFY2(close(actual[i].value, expected[i].value),
                         qPrintable(QString("%1 at %2: Prometheus %3, here %4")
                                        .arg(promql)
                                        .arg(t)
                                        .arg(expected[i].value, 0, 'g', 17)
                                        .arg(actual[i].value, 0, 'g', 17)));
                ++compared;
            }
        }
        QVERIFY(compared >= 10);
    }

private slots:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        m_endMs = (QDateTime::currentMSecsSinceEpoch() - 30 * 60'000) / 1000 * 1000;
        const std::vector<Recorded> data = record(m_endMs);
        m_startMs = data.front().points.front().t;
        // The same samples into our store, scrape by scrape.
        std::map<std::int64_t, ParsedScrape> scrapes;
        for (const Recorded& r : data) {
            for (const Point& p : r.points) {
                scrapes[p.t].samples.push_back({r.name, r.labels, p.v, p.t});
            }
        }
        for (const auto& [t, scrape] : scrapes) {
            m_store.append(scrape, t);
        }
        QFile om(m_dir.filePath("data.om"));
        QVERIFY(om.open(QIODevice::WriteOnly));
        om.write(openMetrics(data));
        om.close();
        QProcess promtool;
        promtool.start("promtool", {"tsdb", "create-blocks-from", "openmetrics",
                                    m_dir.filePath("data.om"), m_dir.filePath("tsdb")});
        QVERIFY2(promtool.waitForFinished(kPatienceMs),
                 "promtool is installed by packaging/install-deps.sh test");
        QVERIFY2(promtool.exitCode() == 0, promtool.readAllStandardError().constData());

        QTcpServer probe;
        probe.listen(QHostAddress::LocalHost, 0);
        m_port = probe.serverPort();
        probe.close();
        QFile config(m_dir.filePath("prometheus.yml"));
        QVERIFY(config.open(QIODevice::WriteOnly));
        config.write("global:\n  scrape_interval: 1m\n");
        config.close();
        m_prometheus.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_prometheus.start("prometheus", {"--config.file=" + m_dir.filePath("prometheus.yml"),
                                          "--storage.tsdb.path=" + m_dir.filePath("tsdb"),
                                          "--storage.tsdb.retention.time=30d",
                                          QString("--web.listen-address=127.0.0.1:%1").arg(m_port),
                                          "--log.level=error"});
        QVERIFY(m_prometheus.waitForStarted(kPatienceMs));
        QTRY_VERIFY_WITH_TIMEOUT(prometheus("count(ctr)", m_endMs).size() == 1, kPatienceMs);
    }

    void cleanupTestCase() {
        m_prometheus.terminate();
        m_prometheus.waitForFinished(kPatienceMs);
    }

    void rateWithResetsAndExtrapolation() {
        compare("rate(ctr[5m])", [&](std::int64_t t) {
            return rangeVector(m_store, "ctr", RangeFunction::Rate, t, 300'000);
        });
        compare("rate(ctr[1m])", [&](std::int64_t t) {
            return rangeVector(m_store, "ctr", RangeFunction::Rate, t, 60'000);
        });
    }
    void increaseOverRange() {
        compare("increase(ctr[10m])", [&](std::int64_t t) {
            return rangeVector(m_store, "ctr", RangeFunction::Increase, t, 600'000);
        });
    }
    void deltaOfGauge() {
        compare("delta(gge[10m])", [&](std::int64_t t) {
            return rangeVector(m_store, "gge", RangeFunction::Delta, t, 600'000);
        });
    }
    void derivOfGaugeAndCounter() {
        compare("deriv(gge[15m])", [&](std::int64_t t) {
            return rangeVector(m_store, "gge", RangeFunction::Deriv, t, 900'000);
        });
        compare("deriv(ctr[1h])", [&](std::int64_t t) {
            return rangeVector(m_store, "ctr", RangeFunction::Deriv, t, 3'600'000);
        });
    }
    void maxOverTimeOfGauge() {
        compare("max_over_time(gge[30m])", [&](std::int64_t t) {
            return rangeVector(m_store, "gge", RangeFunction::MaxOverTime, t, 1'800'000);
        });
    }
    void histogramQuantiles() {
        for (const double q : {0.5, 0.9, 0.99}) {
            compare(QString("histogram_quantile(%1, sum by (le) (rate(hist_bucket[5m])))").arg(q),
                    [&](std::int64_t t) {
                        return histogramQuantile(q,
                                                 sumBy(rangeVector(m_store, "hist_bucket",
                                                                   RangeFunction::Rate, t, 300'000),
                                                       {"le"}));
                    });
        }
        compare("histogram_quantile(0.95, rate(hist_bucket[5m]))", [&](std::int64_t t) {
            return histogramQuantile(
                0.95, rangeVector(m_store, "hist_bucket", RangeFunction::Rate, t, 300'000));
        });
    }
    void sumByLabels() {
        compare("sum by (instance) (rate(ctr[5m]))", [&](std::int64_t t) {
            return auralis::monitor::sumBy(
                rangeVector(m_store, "ctr", RangeFunction::Rate, t, 300'000), {"instance"});
        });
        compare("sum(rate(ctr[5m]))", [&](std::int64_t t) {
            return auralis::monitor::sumBy(
                rangeVector(m_store, "ctr", RangeFunction::Rate, t, 300'000), {});
        });
    }
};

QTEST_GUILESS_MAIN(TestPromqlVsPrometheus)
#include "tst_promql_vs_prometheus.moc"
