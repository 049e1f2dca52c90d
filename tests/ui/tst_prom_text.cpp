// The exposition parser on valid, malformed, truncated, huge and hostile input: malformed
// lines are reported with their line number, the rest still parses, nothing crashes or hangs.
#include "monitor/prom_text.h"

#include <QRandomGenerator>
#include <QtTest>

#include <chrono>
#include <cmath>

using namespace auralis::monitor;

class TestPromText : public QObject {
    Q_OBJECT
private slots:
    void parsesTheFormat() {
        const ParsedScrape p =
            parseExposition("# HELP buffer_depth_chunks Current ring buffer depth\n"
                            "# TYPE buffer_depth_chunks gauge\n"
                            "buffer_depth_chunks{client_id=\"c-1\"} 10\n"
                            "buffer_depth_chunks{client_id=\"weird \\\"id\\\" \\\\ "
                            "with\\nnewline\",b=\"2\",} 12.5\n"
                            "# a comment\n"
                            "\n"
                            "x_bucket{le=\"+Inf\"} +Inf 1700000000000\r\n"
                            "nan_gauge NaN\n"
                            "neg -1.5e-3\n"
                            "  spaced_name   7  \n");
        QCOMPARE(p.issueCount, std::size_t{0});
        QCOMPARE(p.samples.size(), std::size_t{6});
        QCOMPARE(p.types.at("buffer_depth_chunks"), std::string("gauge"));
        QCOMPARE(p.help.at("buffer_depth_chunks"), std::string("Current ring buffer depth"));
        QCOMPARE(p.samples[0].labels, (Labels{{"client_id", "c-1"}}));
        QCOMPARE(p.samples[1].labels,
                 (Labels{{"b", "2"}, {"client_id", "weird \"id\" \\ with\nnewline"}}));
        QCOMPARE(p.samples[1].value, 12.5);
        QVERIFY(std::isinf(p.samples[2].value));
        QCOMPARE(*p.samples[2].timestampMs, std::int64_t{1700000000000});
        QVERIFY(std::isnan(p.samples[3].value));
        QCOMPARE(p.samples[4].value, -1.5e-3);
        QCOMPARE(p.samples[5].name, std::string("spaced_name"));
    }

    void malformedLinesAreReportedAndSkipped_data() {
        QTest::addColumn<QByteArray>("line");
        QTest::addColumn<QString>("message");
        QTest::newRow("no value") << QByteArray("metric") << "expected a space";
        QTest::newRow("bad value") << QByteArray("metric abc") << "not a number";
        QTest::newRow("bad name") << QByteArray("9metric 1") << "metric name";
        QTest::newRow("open labels") << QByteArray("m{a=\"1\" 1") << "expected ',' or '}'";
        QTest::newRow("unquoted") << QByteArray("m{a=1} 1") << "quoted";
        QTest::newRow("unterminated") << QByteArray("m{a=\"1} 1") << "unterminated";
        QTest::newRow("no equals") << QByteArray("m{a \"1\"} 1") << "expected '='";
        QTest::newRow("bad timestamp") << QByteArray("m 1 soon") << "timestamp";
        QTest::newRow("trailing") << QByteArray("m 1 2 3") << "after the timestamp";
        QTest::newRow("duplicate label") << QByteArray("m{a=\"1\",a=\"2\"} 1") << "duplicate label";
        QTest::newRow("bad type") << QByteArray("# TYPE m sparkline") << "unknown metric type";
        QTest::newRow("bad help name") << QByteArray("# HELP 9x text") << "invalid metric name";
    }
    void malformedLinesAreReportedAndSkipped() {
        QFETCH(QByteArray, line);
        QFETCH(QString, message);
        const QByteArray text = "good_before 1\n" + line + "\ngood_after 2\n";
        const ParsedScrape p = parseExposition(text.toStdString());
        QCOMPARE(p.issueCount, std::size_t{1});
        QCOMPARE(p.issues.at(0).line, std::size_t{2});
        QVERIFY2(QString::fromStdString(p.issues.at(0).message).contains(message),
                 p.issues.at(0).message.c_str());
        QCOMPARE(p.samples.size(), std::size_t{2});
        QCOMPARE(p.samples[1].name, std::string("good_after"));
    }

    void truncatedInputKeepsWhatIsWhole() {
        const std::string text = "a 1\nb{x=\"2\"} 2\nc{y=\"tru";
        const ParsedScrape p = parseExposition(text);
        QCOMPARE(p.samples.size(), std::size_t{2});
        QCOMPARE(p.issueCount, std::size_t{1});
    }

    void limitsBoundHugeInput() {
        ParseLimits limits;
        limits.maxSamples = 1000;
        limits.maxBytes = 1 << 20;
        limits.maxLineBytes = 4096;
        std::string text;
        for (int i = 0; i < 200000; ++i) {
            text += "series_" + std::to_string(i) + " " + std::to_string(i) + "\n";
        }
        text += std::string(10000, 'x') + " 1\n";
        const auto t0 = std::chrono::steady_clock::now();
        const ParsedScrape p = parseExposition(text, limits);
        QCOMPARE(p.samples.size(), std::size_t{1000});
        QVERIFY(p.truncated);
        QVERIFY(std::chrono::steady_clock::now() - t0 <
                std::chrono::seconds(5)); // no pathological slowness
        // One enormous line is refused as a whole.
        const ParsedScrape q =
            parseExposition("m{a=\"" + std::string(100000, 'v') + "\"} 1\nok 1\n", limits);
        QCOMPARE(q.samples.size(), std::size_t{1});
        QVERIFY(q.issues.at(0).message.find("longer than") != std::string::npos);
        // Too many labels.
        std::string many = "m{";
        for (int i = 0; i < 100; ++i) {
            many += "l" + std::to_string(i) + "=\"v\",";
        }
        many += "} 1\n";
        QVERIFY(parseExposition(many, limits).issues.at(0).message.find("too many labels") !=
                std::string::npos);
        // Issues are counted but only the first few kept.
        std::string garbage;
        for (int i = 0; i < 5000; ++i) {
            garbage += "!!!\n";
        }
        const ParsedScrape g = parseExposition(garbage, limits);
        QCOMPARE(g.issueCount, std::size_t{5000});
        QCOMPARE(g.issues.size(), limits.maxIssues);
    }

    void hostileBytesNeverCrash() {
        // Random bytes and mutations of a valid scrape: the parser must return every time.
        const std::string valid = "# TYPE h histogram\nh_bucket{le=\"0.1\"} "
                                  "1\nh_bucket{le=\"+Inf\"} 2\nh_sum 0.3\nh_count 2\n"
                                  "g{client_id=\"a\",x=\"y\"} 1.5e10 1700000000000\n";
        QRandomGenerator rng(42);
        std::size_t samples = 0;
        for (int round = 0; round < 20000; ++round) {
            std::string s = valid;
            const int edits = 1 + static_cast<int>(rng.bounded(8));
            for (int e = 0; e < edits; ++e) {
                const auto at = static_cast<std::size_t>(rng.bounded(static_cast<int>(s.size())));
                switch (rng.bounded(3)) {
                case 0:
                    s[at] = static_cast<char>(rng.bounded(256));
                    break;
                case 1:
                    s.erase(at, 1 + rng.bounded(5));
                    break;
                default:
                    s.insert(at, 1, "{}\"=,\\\n #"[rng.bounded(10)]);
                }
            }
            samples += parseExposition(s).samples.size();
        }
        std::string noise(1 << 16, '\0');
        for (char& c : noise) {
            c = static_cast<char>(rng.bounded(256));
        }
        samples += parseExposition(noise).samples.size();
        QVERIFY(samples > 0);
    }

    void seriesKeysAreCanonical() {
        QCOMPARE(seriesKey("m", {}), std::string("m"));
        QCOMPARE(seriesKey("m", {{"a", "1"}, {"b", "x\"y"}}),
                 std::string("m{a=\"1\",b=\"x\\\"y\"}"));
    }
};

QTEST_GUILESS_MAIN(TestPromText)
#include "tst_prom_text.moc"
