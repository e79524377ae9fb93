// Pipeline statements against a running runner: offsets changed while it runs (applied at a
// batch boundary), STOP / START / DROP followed by the runner, FOREGROUND runs, TEST PIPELINE.
#include "SluiceCli.h"

#include <QTemporaryDir>

using namespace testcli;

class PipelineControlTest : public QObject {
    Q_OBJECT

    std::unique_ptr<Broker> m_broker;
    QString m_bootstrap;

    bool sql(const QString& store, const QString& statement) {
        Run r = run({"sql", "--store", store, "-e", statement});
        if (r.exitCode != 0)
            qWarning("%s: %s", qPrintable(statement), qPrintable(r.err));
        return r.exitCode == 0;
    }
    QString count(const QString& store) { return scalar(store, "SELECT count(*) FROM t"); }

private slots:
    void initTestCase() {
        m_broker = std::make_unique<Broker>(QStringList{"ctl:2"});
        m_bootstrap = m_broker->bootstrap();
        QVERIFY(!m_bootstrap.isEmpty());
        QCOMPARE(run({"produce", "--bootstrap", m_bootstrap, "--topic", "ctl", "--count", "100"}).exitCode, 0);
    }
    void cleanupTestCase() { m_broker.reset(); }

    void offsetsChangeWhileRunning() {
        QTemporaryDir dir;
        QString store = dir.filePath("s");
        QVERIFY(sql(store, "CREATE TABLE t (id BIGINT, user TEXT, amount BIGINT, ts BIGINT)"));
        QVERIFY(sql(store, "CREATE PIPELINE p AS LOAD DATA KAFKA '" + m_bootstrap +
                               "/ctl' BATCH_INTERVAL 100 INTO TABLE t FIELDS TERMINATED BY ','"));
        QVERIFY(sql(store, "START PIPELINE p"));
        QProcess runner;
        runner.start(ctl(), {"run", "--store", store});
        QVERIFY(runner.waitForStarted());
        QTRY_COMPARE_WITH_TIMEOUT(count(store), QString("100"), 30000);

        // Rewind everything: the running pipeline re-reads all 100 messages (rows already
        // loaded stay, so the table has each twice).
        QVERIFY(sql(store, "ALTER PIPELINE p SET OFFSETS EARLIEST"));
        QTRY_COMPARE_WITH_TIMEOUT(count(store), QString("200"), 30000);
        QCOMPARE(scalar(store, "SELECT count(DISTINCT id) FROM t"), QString("100"));

        // A given offset per partition: re-reads exactly what lies after it.
        QString hw0 = scalar(store, "SELECT LATEST_OFFSET FROM information_schema.PIPELINES_CURSORS "
                                    "WHERE SOURCE_PARTITION_ID = 0");
        QString hw1 = scalar(store, "SELECT LATEST_OFFSET FROM information_schema.PIPELINES_CURSORS "
                                    "WHERE SOURCE_PARTITION_ID = 1");
        int reread = (hw0.toInt() - 10) + (hw1.toInt() - 5);
        QVERIFY(sql(store, "ALTER PIPELINE p SET OFFSETS '{\"0\":10,\"1\":5}'"));
        QTRY_COMPARE_WITH_TIMEOUT(count(store), QString::number(200 + reread), 30000);
        QTRY_COMPARE_WITH_TIMEOUT(
            scalar(store, "SELECT sum(CURSOR_OFFSET) FROM information_schema.PIPELINES_CURSORS"),
            QString("100"), 30000);

        // STOP: the runner stops loading; new messages wait. START: they arrive.
        QVERIFY(sql(store, "STOP PIPELINE p"));
        QTRY_COMPARE_WITH_TIMEOUT(scalar(store, "SELECT STATE FROM information_schema.PIPELINES"),
                                  QString("Stopped"), 5000);
        QTest::qWait(500);
        QCOMPARE(run({"produce", "--bootstrap", m_bootstrap, "--topic", "ctl", "--count", "10",
                      "--start-id", "1001"}).exitCode, 0);
        QTest::qWait(1500);
        QCOMPARE(scalar(store, "SELECT count(*) FROM t WHERE id > 1000"), QString("0"));
        // Stopped, it still follows the topic: the waiting messages show as lag.
        QTRY_COMPARE_WITH_TIMEOUT(scalar(store, "SELECT sum(LAG) FROM information_schema.PIPELINES_CURSORS"),
                                  QString("10"), 10000);
        QVERIFY(sql(store, "START PIPELINE p"));
        QTRY_COMPARE_WITH_TIMEOUT(scalar(store, "SELECT count(*) FROM t WHERE id > 1000"), QString("10"), 30000);

        // DROP while running: the runner lets go of it.
        QVERIFY(sql(store, "DROP PIPELINE p"));
        QCOMPARE(scalar(store, "SELECT count(*) FROM information_schema.PIPELINES"), QString("0"));
        runner.terminate();
        QVERIFY(runner.waitForFinished(10000));
        QCOMPARE(runner.exitCode(), 0);
    }

    void credentialsNeverShown() {
        QTemporaryDir dir;
        QString store = dir.filePath("s");
        QVERIFY(sql(store, "CREATE TABLE t (id BIGINT, user TEXT, amount BIGINT, ts BIGINT)"));
        QVERIFY(sql(store, "CREATE PIPELINE c AS LOAD DATA KAFKA '" + m_bootstrap +
                               "/ctl' CREDENTIALS '{\"sasl.password\":\"hunter2\"}' INTO TABLE t"));
        QVERIFY(sql(store, "ALTER PIPELINE c SET BATCH_INTERVAL 100"));
        Run show = run({"sql", "--store", store, "--format", "csv", "-e", "SHOW CREATE PIPELINE c", "-e",
                        "SELECT * FROM information_schema.PIPELINES", "-e", "SHOW PIPELINES"});
        QCOMPARE(show.exitCode, 0);
        QVERIFY(show.out.contains("<redacted>"));
        QVERIFY(!show.out.contains("hunter2") && !show.err.contains("hunter2"));
        Run peek = run({"sql", "--store", store, "-e", "SELECT * FROM information_schema.pipeline_credentials"});
        QCOMPARE(peek.exitCode, 1);
        QVERIFY(!peek.out.contains("hunter2"));
        // A runner does use them: the consumer is configured (and the data is read) with them.
        Run fg = run({"sql", "--store", store, "-e", "START PIPELINE c FOREGROUND LIMIT 1 BATCHES"});
        QVERIFY(!fg.err.contains("hunter2"));
    }

    void foregroundAndTest() {
        QTemporaryDir dir;
        QString store = dir.filePath("s");
        QVERIFY(sql(store, "CREATE TABLE t (id BIGINT, user TEXT, amount BIGINT, ts BIGINT, SHARD KEY (id))"));
        QVERIFY(sql(store, "CREATE PIPELINE p AS LOAD DATA KAFKA '" + m_bootstrap +
                               "/ctl' MAX_OFFSETS_PER_BATCH_PARTITION 10 INTO TABLE t "
                               "FIELDS TERMINATED BY ','"));
        // TEST PIPELINE parses without writing.
        Run test = run({"sql", "--store", store, "--format", "csv", "-e", "TEST PIPELINE p LIMIT 5"});
        QCOMPARE(test.exitCode, 0);
        QStringList lines = test.out.trimmed().split('\n');
        QCOMPARE(lines.first(), QString("id,user,amount,ts"));
        QCOMPARE(lines.size(), 6);
        QCOMPARE(count(store), QString("0"));
        // FOREGROUND LIMIT 2 BATCHES: two batches of at most 10 per partition.
        QVERIFY(sql(store, "START PIPELINE p FOREGROUND LIMIT 2 BATCHES"));
        QCOMPARE(count(store), QString("40"));
        QCOMPARE(scalar(store, "SELECT count(*) FROM information_schema.PIPELINES_BATCHES_SUMMARY "
                               "WHERE BATCH_STATE = 'Succeeded'"),
                 QString("2"));
        // FOREGROUND without a limit runs until caught up.
        QVERIFY(sql(store, "START PIPELINE p FOREGROUND"));
        QCOMPARE(count(store), QString("110"));
        QCOMPARE(scalar(store, "SELECT STATE FROM information_schema.PIPELINES"), QString("Stopped"));
    }
};

QTEST_GUILESS_MAIN(PipelineControlTest)
#include "tst_PipelineControl.moc"
