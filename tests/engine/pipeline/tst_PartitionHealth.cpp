// Burrow's partition health rules as text cases: a window of "time:cursor:hw" samples, the
// evaluation time, and the expected status.

#include "pipeline/PartitionHealth.h"

#include <QtTest>

#include <vector>

using sluice::pipeline::PartitionHealth;
using sluice::pipeline::PartitionSample;

Q_DECLARE_METATYPE(PartitionHealth)

namespace {

std::vector<PartitionSample> parseWindow(const QString& text) {
    std::vector<PartitionSample> out;
    const QStringList items = text.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    for (const QString& item : items) {
        const QStringList parts = item.split(QLatin1Char(':'));
        if (parts.size() != 3)
            qFatal("bad sample %s", qPrintable(item));
        out.push_back({parts[0].toDouble(), parts[1].toLongLong(), parts[2].toLongLong()});
    }
    return out;
}

QString name(PartitionHealth health) {
    const std::string_view s = sluice::pipeline::toString(health);
    return QString::fromLatin1(s.data(), qsizetype(s.size()));
}

} // namespace

class TestPartitionHealth : public QObject {
    Q_OBJECT

private slots:
    void evaluate_data();
    void evaluate();
    void severityOrder();
    void names();
};

void TestPartitionHealth::evaluate_data() {
    QTest::addColumn<QString>("window");
    QTest::addColumn<double>("now");
    QTest::addColumn<PartitionHealth>("expected");

    // Rule 1: caught up at the last sample wins over everything else.
    QTest::newRow("empty window") << "" << 10.0 << PartitionHealth::Ok;
    QTest::newRow("caught up") << "0:100:100 1:100:100 2:100:100" << 2.0 << PartitionHealth::Ok;
    QTest::newRow("caught up now, long silent")
        << "0:90:100 1:100:100" << 100.0 << PartitionHealth::Ok;
    QTest::newRow("caught up after a rewind")
        << "0:100:100 1:10:100 2:100:100" << 2.0 << PartitionHealth::Ok;
    QTest::newRow("unknown high watermark") << "0:5:-1 1:5:-1 2:5:-1" << 2.0 << PartitionHealth::Ok;
    QTest::newRow("one sample with lag") << "0:5:100" << 50.0 << PartitionHealth::Ok;
    // Rule 2: no samples for longer than the window spans, lag > 0.
    QTest::newRow("stopped") << "0:10:100 1:20:100 2:30:100" << 5.0 << PartitionHealth::Stopped;
    QTest::newRow("silent exactly one span is not stopped")
        << "0:10:100 1:20:100 2:30:100" << 4.0 << PartitionHealth::Ok;
    QTest::newRow("stopped beats stalled")
        << "0:10:100 1:10:100" << 3.0 << PartitionHealth::Stopped;
    // Rule 3: a zero lag anywhere in the window.
    QTest::newRow("zero lag inside the window")
        << "0:100:100 1:100:120 2:100:150" << 2.0 << PartitionHealth::Ok;
    // Rule 4: the cursor went backwards.
    QTest::newRow("rewind") << "0:500:900 1:600:900 2:100:900 3:200:900" << 3.0
                            << PartitionHealth::Rewind;
    QTest::newRow("rewind beats lagging")
        << "0:500:900 1:400:1000 2:450:1100" << 2.0 << PartitionHealth::Rewind;
    // Rule 5: the cursor never moved while the consumer reported in.
    QTest::newRow("stalled") << "0:10:100 1:10:100 2:10:110 3:10:120" << 3.0
                             << PartitionHealth::Stalled;
    // Rule 6: moving, but the lag never fell.
    QTest::newRow("lagging, lag grows")
        << "0:10:100 1:20:120 2:30:150" << 2.0 << PartitionHealth::Lagging;
    QTest::newRow("lagging, lag flat")
        << "0:10:100 1:20:110 2:30:120" << 2.0 << PartitionHealth::Lagging;
    // Rule 7.
    QTest::newRow("catching up") << "0:10:100 1:50:110 2:90:120" << 2.0 << PartitionHealth::Ok;
    QTest::newRow("lag fell once")
        << "0:10:100 1:20:130 2:60:130 3:61:150" << 3.0 << PartitionHealth::Ok;
}

void TestPartitionHealth::evaluate() {
    QFETCH(QString, window);
    QFETCH(double, now);
    QFETCH(PartitionHealth, expected);
    const auto samples = parseWindow(window);
    const PartitionHealth got = sluice::pipeline::evaluatePartitionHealth(samples, now);
    QCOMPARE(name(got), name(expected));
}

void TestPartitionHealth::severityOrder() {
    using sluice::pipeline::severity;
    using sluice::pipeline::worse;
    QVERIFY(severity(PartitionHealth::Ok) < severity(PartitionHealth::Rewind));
    QVERIFY(severity(PartitionHealth::Rewind) < severity(PartitionHealth::Lagging));
    QVERIFY(severity(PartitionHealth::Lagging) < severity(PartitionHealth::Stalled));
    QVERIFY(severity(PartitionHealth::Stalled) < severity(PartitionHealth::Stopped));
    QCOMPARE(name(worse(PartitionHealth::Lagging, PartitionHealth::Ok)), QStringLiteral("LAGGING"));
    QCOMPARE(name(worse(PartitionHealth::Ok, PartitionHealth::Stalled)), QStringLiteral("STALLED"));
    QCOMPARE(name(worse(PartitionHealth::Stopped, PartitionHealth::Lagging)),
             QStringLiteral("STOPPED"));
}

void TestPartitionHealth::names() {
    QCOMPARE(name(PartitionHealth::Ok), QStringLiteral("OK"));
    QCOMPARE(name(PartitionHealth::Stopped), QStringLiteral("STOPPED"));
    QCOMPARE(name(PartitionHealth::Rewind), QStringLiteral("REWIND"));
    QCOMPARE(name(PartitionHealth::Stalled), QStringLiteral("STALLED"));
    QCOMPARE(name(PartitionHealth::Lagging), QStringLiteral("LAGGING"));
}

QTEST_APPLESS_MAIN(TestPartitionHealth)
#include "tst_PartitionHealth.moc"
