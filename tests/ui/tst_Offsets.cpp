// Offsets and replay on a live demo: the plan arithmetic, the chart-time -> offsets mapping
// checked against the real batch log, and a reset applied to the running demo pipeline, which
// then re-reads from exactly the new offsets and goes on.

#include "MainWindow.h"
#include "bridge/EngineBridge.h"
#include "monitor/MonitorView.h"
#include "offsets/OffsetPlan.h"
#include "offsets/OffsetsDialog.h"

#include <QCoreApplication>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableWidget>
#include <QtTest>

#include <memory>

using namespace sluice::ui;

namespace {

const QString kPipeline = QStringLiteral("payments_pipe");

QVector<PartitionCursor> parseCursors(const QString& text) {
    QVector<PartitionCursor> out; // "partition:earliest:latest:cursor ..."
    for (const QString& item : text.split(QLatin1Char(' '), Qt::SkipEmptyParts)) {
        const QStringList p = item.split(QLatin1Char(':'));
        out.push_back({p[0].toInt(), p[1].toLongLong(), p[2].toLongLong(), p[3].toLongLong()});
    }
    return out;
}

QString afterText(const OffsetPlan& plan) {
    QStringList parts;
    for (const auto& c : plan.changes)
        parts << QStringLiteral("%1:%2").arg(c.partition).arg(c.after);
    return parts.join(QLatin1Char(' '));
}

} // namespace

class TestOffsets : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void plan_data();
    void plan();
    void chartTimeMapsThroughBatchLog();
    void replayFromChartOpensTheDialogAtThatTime();
    void shiftResetOnRunningPipeline();

private:
    QueryResult query(const QString& sql);
    std::unique_ptr<MainWindow> m_window;
    std::unique_ptr<QuerySession> m_session;
};

void TestOffsets::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("SluiceTest"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_Offsets"));
    m_window = std::make_unique<MainWindow>();
    m_window->show();
    QString error;
    QVERIFY2(m_window->startDemo(&error), qPrintable(error));
    m_session = QuerySession::open(*m_window->bridge(), &error);
    QVERIFY2(m_session, qPrintable(error));
}

void TestOffsets::cleanupTestCase() {
    m_session.reset();
    m_window.reset();
}

QueryResult TestOffsets::query(const QString& sql) {
    QueryResult r = m_session->query(sql, 100000);
    if (!r.ok)
        qWarning("%s: %s", qPrintable(sql), qPrintable(r.error));
    return r;
}

void TestOffsets::plan_data() {
    QTest::addColumn<QString>("cursors");
    QTest::addColumn<QString>("change"); // earliest | latest | shift N | given p=o,...
    QTest::addColumn<QString>("after");
    QTest::addColumn<qint64>("reread");
    QTest::addColumn<qint64>("skipped");
    QTest::addColumn<QString>("json");

    const QString two = QStringLiteral("0:0:500:300 1:100:900:150");
    QTest::newRow("earliest") << two << "earliest"
                              << "0:0 1:100" << 350LL << 0LL << R"({"0":0,"1":100})";
    QTest::newRow("latest") << two << "latest"
                            << "0:500 1:900" << 0LL << 950LL << R"({"0":500,"1":900})";
    QTest::newRow("shift back, clamped at earliest")
        << two << "shift -100"
        << "0:200 1:100" << 150LL << 0LL << R"({"0":200,"1":100})";
    QTest::newRow("shift forward, clamped at latest")
        << two << "shift 700"
        << "0:500 1:850" << 0LL << 900LL << R"({"0":500,"1":850})";
    QTest::newRow("given, one partition") << two << "given 1=120"
                                          << "0:300 1:120" << 30LL << 0LL << R"({"0":300,"1":120})";
}

void TestOffsets::plan() {
    QFETCH(QString, cursors);
    QFETCH(QString, change);
    QFETCH(QString, after);
    QFETCH(qint64, reread);
    QFETCH(qint64, skipped);
    QFETCH(QString, json);
    const auto c = parseCursors(cursors);
    OffsetPlan p;
    if (change == QLatin1String("earliest")) {
        p = planEarliest(c);
    } else if (change == QLatin1String("latest")) {
        p = planLatest(c);
    } else if (change.startsWith(QLatin1String("shift "))) {
        p = planShift(c, change.mid(6).toLongLong());
    } else {
        QMap<int, qint64> given;
        for (const QString& kv : change.mid(6).split(QLatin1Char(','))) {
            const QStringList parts = kv.split(QLatin1Char('='));
            given.insert(parts[0].toInt(), parts[1].toLongLong());
        }
        p = planGiven(c, given);
    }
    QCOMPARE(afterText(p), after);
    QCOMPARE(p.totalReread(), reread);
    QCOMPARE(p.totalSkipped(), skipped);
    QCOMPARE(p.json(), json);
    QCOMPARE(p.alterStatement(QStringLiteral("p")),
             QStringLiteral("ALTER PIPELINE p SET OFFSETS '%1'").arg(json));
}

void TestOffsets::chartTimeMapsThroughBatchLog() {
    auto* monitor = m_window->monitor();
    auto succeeded = [&] {
        monitor->refreshLogs();
        int n = 0;
        for (const auto& b : monitor->batchLog()->records())
            n += b.pipeline == kPipeline && b.state == QLatin1String("Succeeded") ? 1 : 0;
        return n;
    };
    QTRY_VERIFY_WITH_TIMEOUT(succeeded() >= 8, 60000);

    QVector<BatchRecord> batches;
    for (const auto& b : monitor->batchLog()->records()) {
        if (b.pipeline == kPipeline && b.state == QLatin1String("Succeeded"))
            batches << b;
    }
    // Between two batches' start times, so no boundary depends on rounding.
    const int k = int(batches.size()) / 2;
    const double t = (batches.at(k - 1).startTime + batches.at(k).startTime) / 2;
    std::unique_ptr<OffsetsDialog> dialog(m_window->makeOffsetsDialog(kPipeline));
    QVERIFY(dialog);
    QCOMPARE(dialog->cursors().size(), 4);
    const OffsetPlan plan =
        planAtTime(dialog->cursors(), monitor->batchLog()->records(), kPipeline, t);
    QCOMPARE(plan.changes.size(), 4);

    // The same answer straight from the catalog views.
    for (const OffsetChange& c : plan.changes) {
        const QueryResult r = query(
            QStringLiteral(
                "SELECT b.BATCH_EARLIEST_OFFSET FROM information_schema.PIPELINES_BATCHES b "
                "JOIN information_schema.PIPELINES_BATCHES_SUMMARY s ON s.BATCH_ID = b.BATCH_ID "
                "WHERE s.PIPELINE_NAME = '%1' AND s.BATCH_STATE = 'Succeeded' "
                "AND b.BATCH_SOURCE_PARTITION_ID = %2 "
                "AND (julianday(s.START_TIME) - 2440587.5) * 86400.0 >= %3 "
                "ORDER BY b.BATCH_ID LIMIT 1")
                .arg(kPipeline)
                .arg(c.partition)
                .arg(t, 0, 'f', 6));
        QVERIFY(r.ok);
        const qint64 expected = r.rows.isEmpty() ? c.before : r.rows.first().first().toLongLong();
        QCOMPARE(c.after, expected);
    }
    QVERIFY(plan.totalReread() > 0); // the moment is in the past: messages to re-read

    // After the last batch: nothing maps, every partition keeps its cursor.
    const OffsetPlan future = planAtTime(dialog->cursors(), monitor->batchLog()->records(),
                                         kPipeline, batches.last().startTime + 3600);
    QVERIFY(!future.changesAnything());
}

void TestOffsets::replayFromChartOpensTheDialogAtThatTime() {
    auto* monitor = m_window->monitor();
    const int row = m_window->pipelineModel()->rowOf(kPipeline);
    QVERIFY(row >= 0);
    m_window->pipelineView()->selectRow(row);
    QCOMPARE(monitor->focusPipeline(), kPipeline);
    QSignalSpy replay(monitor, &MonitorView::replayRequested);
    const double t =
        double(QDateTime::currentSecsSinceEpoch() - 5); // whole seconds, as the editor shows
    monitor->requestReplayAt(t);
    QCOMPARE(replay.count(), 1);
    QCOMPARE(replay.first().at(0).toString(), kPipeline);
    QCOMPARE(replay.first().at(1).toDouble(), t);

    std::unique_ptr<OffsetsDialog> dialog(m_window->makeOffsetsDialog(kPipeline, t));
    QVERIFY(dialog);
    QCOMPARE(int(dialog->mode()), int(OffsetsDialog::Mode::AtTime));
    const OffsetPlan expected =
        planAtTime(dialog->cursors(), monitor->batchLog()->records(), kPipeline, t);
    QCOMPARE(afterText(dialog->plan()), afterText(expected));
    QCOMPARE(dialog->reviewTable()->rowCount(), 4);
}

void TestOffsets::shiftResetOnRunningPipeline() {
    constexpr qint64 kShift = 100;
    // Every partition far enough along that the shift is not clamped.
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            const QueryResult r = query(
                QStringLiteral("SELECT min(CURSOR_OFFSET), count(*) FROM "
                               "information_schema.PIPELINES_CURSORS WHERE PIPELINE_NAME = '%1'")
                    .arg(kPipeline));
            return r.ok && r.rows.first().at(1).toInt() == 4 &&
                   r.rows.first().at(0).toLongLong() > 3 * kShift;
        }(),
        60000);

    std::unique_ptr<OffsetsDialog> dialog(m_window->makeOffsetsDialog(kPipeline));
    QVERIFY(dialog);
    dialog->setMode(OffsetsDialog::Mode::Shift);
    dialog->setShift(-kShift);
    const OffsetPlan plan = dialog->plan();
    QCOMPARE(plan.changes.size(), 4);
    for (const auto& c : plan.changes)
        QCOMPARE(c.reread(), kShift);
    QCOMPARE(dialog->reviewTable()->item(0, OffsetsDialog::Change)->text(),
             QStringLiteral("re-read 100"));

    const qint64 lastBatch = query(QStringLiteral("SELECT coalesce(max(BATCH_ID), 0) FROM "
                                                  "information_schema.PIPELINES_BATCHES_SUMMARY"))
                                 .rows.first()
                                 .first()
                                 .toLongLong();
    QSignalSpy applied(dialog.get(), &OffsetsDialog::applied);
    QVERIFY(dialog->apply());
    QVERIFY(applied.wait(30000));
    QVERIFY2(applied.first().at(0).toBool(), qPrintable(applied.first().at(1).toString()));

    // The running pipeline continues from exactly the new offsets: a later batch reads each
    // partition from `after`, re-reading rows that were loaded before.
    for (const auto& c : plan.changes) {
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const QueryResult r =
                    query(QStringLiteral(
                              "SELECT BATCH_PARTITION_PARSED_ROWS, BATCH_LATEST_OFFSET FROM "
                              "information_schema.PIPELINES_BATCHES WHERE PIPELINE_NAME = '%1' AND "
                              "BATCH_ID > %2 AND BATCH_SOURCE_PARTITION_ID = %3 AND "
                              "BATCH_EARLIEST_OFFSET = %4 AND BATCH_STATE = 'Succeeded'")
                              .arg(kPipeline)
                              .arg(lastBatch)
                              .arg(c.partition)
                              .arg(c.after));
                return r.ok && !r.rows.isEmpty() && r.rows.first().at(0).toLongLong() > 0 &&
                       r.rows.first().at(1).toLongLong() > c.after;
            }(),
            30000);
    }
    // ... and goes forward again past where it was.
    for (const auto& c : plan.changes) {
        QTRY_VERIFY_WITH_TIMEOUT(
            query(QStringLiteral("SELECT CURSOR_OFFSET FROM information_schema.PIPELINES_CURSORS "
                                 "WHERE PIPELINE_NAME = '%1' AND SOURCE_PARTITION_ID = %2")
                      .arg(kPipeline)
                      .arg(c.partition))
                    .rows.first()
                    .first()
                    .toLongLong() > c.before,
            30000);
    }
    // Re-read rows replaced their earlier copies (the demo loads with REPLACE): no duplicates,
    // no errors, still running.
    const QueryResult dup =
        query(QStringLiteral("SELECT count(*), count(DISTINCT user || '/' || id) FROM payments"));
    QVERIFY(dup.ok);
    QCOMPARE(dup.rows.first().at(0).toLongLong(), dup.rows.first().at(1).toLongLong());
    const QueryResult errors =
        query(QStringLiteral("SELECT count(*) FROM information_schema.PIPELINES_ERRORS WHERE "
                             "PIPELINE_NAME = '%1'")
                  .arg(kPipeline));
    QCOMPARE(errors.rows.first().first().toLongLong(), 0LL);
    auto* model = m_window->pipelineModel();
    QCOMPARE(model->index(model->rowOf(kPipeline), PipelineListModel::State).data().toString(),
             QStringLiteral("Running"));
}

QTEST_MAIN(TestOffsets)
#include "tst_Offsets.moc"
