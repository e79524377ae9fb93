// `sluicectl bench --quick --json` as a process: it finishes, its last stdout line is one JSON
// object with every figure the issue asks for, rates are positive and the ratios are the rates'
// quotients. No timing thresholds: the machine is shared.
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

#include <cmath>

namespace {

const QString kCtl = QStringLiteral(SLUICECTL_PATH);
constexpr int kBoundMs = 180000;

} // namespace

class tst_BenchCli : public QObject {
    Q_OBJECT

private slots:
    void quickJson();
    void rejectsUnknownArgument();

};

void tst_BenchCli::quickJson() {
    QProcess p;
    p.start(kCtl, {"bench", "--quick", "--json"});
    QVERIFY(p.waitForStarted());
    if (!p.waitForFinished(kBoundMs)) {
        p.kill();
        p.waitForFinished();
        QFAIL("sluicectl bench --quick did not finish");
    }
    const QByteArray out = p.readAllStandardOutput();
    const QByteArray err = p.readAllStandardError();
    QVERIFY2(p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0, err.constData());

    const QList<QByteArray> lines = out.trimmed().split('\n');
    QVERIFY2(lines.size() > 1, "expected the table followed by the JSON line");
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(lines.last(), &parseError);
    QVERIFY2(parseError.error == QJsonParseError::NoError && doc.isObject(), lines.last().constData());
    const QJsonObject o = doc.object();

    const char* keys[] = {"raw_consume_per_s", "raw_insert_per_s", "csv_rows_per_s", "csv_vs_consume",
                          "csv_vs_insert", "latency_p50_ms", "latency_p99_ms", "peak_rss_mb",
                          "cpu_s_per_million_rows", "messages"};
    for (const char* k : keys) {
        QVERIFY2(o.contains(k), k);
        QVERIFY2(o.value(k).isDouble(), k);
    }
    QCOMPARE(o.value("messages").toInteger(), 200000);
    for (const char* k : {"raw_consume_per_s", "raw_insert_per_s", "csv_rows_per_s", "peak_rss_mb",
                          "cpu_s_per_million_rows", "latency_p50_ms", "latency_p99_ms"})
        QVERIFY2(o.value(k).toDouble() > 0, k);
    QVERIFY(o.value("latency_p99_ms").toDouble() >= o.value("latency_p50_ms").toDouble());
    QVERIFY(o.value("latency_samples").toInteger() > 0);

    // Ratios are printed with 4 decimals from the printed (whole) rates.
    const double csv = o.value("csv_rows_per_s").toDouble();
    const double consume = o.value("raw_consume_per_s").toDouble();
    const double insert = o.value("raw_insert_per_s").toDouble();
    QVERIFY2(std::abs(o.value("csv_vs_consume").toDouble() - csv / consume) <= 0.00051,
             qPrintable(QString::number(csv / consume)));
    QVERIFY2(std::abs(o.value("csv_vs_insert").toDouble() - csv / insert) <= 0.00051,
             qPrintable(QString::number(csv / insert)));

    // The human table precedes the JSON and names the same figures.
    const QByteArray table = out.left(out.size() - lines.last().size());
    QVERIFY(table.contains("raw consume"));
    QVERIFY(table.contains("end-to-end CSV"));
    QVERIFY(table.contains("latency"));
}

void tst_BenchCli::rejectsUnknownArgument() {
    QProcess p;
    p.start(kCtl, {"bench", "--frobnicate"});
    QVERIFY(p.waitForFinished(30000));
    QCOMPARE(p.exitCode(), 1);
    QVERIFY(p.readAllStandardError().contains("--frobnicate"));
    QVERIFY(p.readAllStandardOutput().isEmpty());
}

QTEST_GUILESS_MAIN(tst_BenchCli)
#include "tst_BenchCli.moc"
