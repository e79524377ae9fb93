// Bad input never loses or half-loads data: failing transforms, unparseable output, malformed
// messages (per the error policy), and a second runner on the same store.
#include "SluiceCli.h"

#include <QTemporaryDir>

using namespace testcli;

class PipelineErrorsTest : public QObject {
    Q_OBJECT

    QString m_bootstrap;
    std::unique_ptr<Broker> m_broker;

    QString fixture(const QString& name) { return QStringLiteral(SLUICE_TEST_DATA) + "/transforms/" + name; }

    // A store with table t (id, user, amount, ts) and one started pipeline p over topic.
    bool makePipeline(const QString& store, const QString& topic, const QString& clauses) {
        Run r = run({"sql", "--store", store, "-e",
                     "CREATE TABLE t (id BIGINT, user TEXT, amount BIGINT, ts BIGINT, SHARD KEY (user))", "-e",
                     "CREATE PIPELINE p AS LOAD DATA KAFKA '" + m_bootstrap + "/" + topic +
                         "' BATCH_INTERVAL 100 MAX_RETRIES_PER_BATCH_PARTITION 1 " + clauses,
                     "-e", "START PIPELINE p"});
        if (r.exitCode != 0)
            qWarning("%s", qPrintable(r.err));
        return r.exitCode == 0;
    }

private slots:
    void initTestCase() {
        m_broker = std::make_unique<Broker>(QStringList{"good:2", "json:2"});
        m_bootstrap = m_broker->bootstrap();
        QVERIFY(!m_bootstrap.isEmpty());
        QCOMPARE(run({"produce", "--bootstrap", m_bootstrap, "--topic", "good", "--count", "200"}).exitCode, 0);
        QCOMPARE(run({"produce", "--bootstrap", m_bootstrap, "--topic", "json", "--count", "50", "--format",
                      "json"}).exitCode, 0);
    }
    void cleanupTestCase() { m_broker.reset(); }

    void failingTransformStopsThePipelineAndKeepsStderr() {
        QTemporaryDir dir;
        QString store = dir.filePath("s");
        QVERIFY(makePipeline(store, "good", "WITH TRANSFORM ('" + fixture("fail_stderr.sh") +
                                                "', '', '') INTO TABLE t FIELDS TERMINATED BY ','"));
        Run r = run({"run", "--store", store, "--until-caught-up", "--timeout", "60"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("Error"), qPrintable(r.err));
        QCOMPARE(scalar(store, "SELECT count(*) FROM t"), QString("0"));
        QCOMPARE(scalar(store, "SELECT STATE FROM information_schema.PIPELINES"), QString("Error"));
        QCOMPARE(scalar(store, "SELECT count(*) > 0 FROM information_schema.PIPELINES_ERRORS WHERE "
                               "STD_ERROR LIKE '%bad record in message 2%' AND ERROR_MESSAGE LIKE '%code 3%'"),
                 QString("1"));
        QCOMPARE(scalar(store, "SELECT coalesce(sum(CURSOR_OFFSET), 0) FROM information_schema.PIPELINES_CURSORS"),
                 QString("0"));
    }

    void garbageTransformOutputFailsTheBatch() {
        QTemporaryDir dir;
        QString store = dir.filePath("s");
        QVERIFY(makePipeline(store, "good", "WITH TRANSFORM ('" + fixture("garbage.sh") +
                                                "', '', '') INTO TABLE t FIELDS TERMINATED BY ',' "
                                                "ENCLOSED BY '\"'"));
        Run r = run({"run", "--store", store, "--until-caught-up", "--timeout", "60"});
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(scalar(store, "SELECT count(*) FROM t"), QString("0"));
        QCOMPARE(scalar(store, "SELECT count(*) > 0 FROM information_schema.PIPELINES_ERRORS WHERE "
                               "ERROR_MESSAGE LIKE '%transform output%'"),
                 QString("1"));
    }

    void malformedMessagesStopThePipelineByDefault() {
        QTemporaryDir dir;
        QString store = dir.filePath("s");
        QVERIFY(makePipeline(store, "json", "INTO TABLE t FIELDS TERMINATED BY ';' (id, user, amount, ts)"));
        Run r = run({"run", "--store", store, "--until-caught-up", "--timeout", "60"});
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(scalar(store, "SELECT count(*) FROM t"), QString("0"));
        QCOMPARE(scalar(store, "SELECT count(*) > 0 FROM information_schema.PIPELINES_ERRORS WHERE "
                               "BATCH_SOURCE_PARTITION_ID IS NOT NULL AND LOAD_DATA_LINE LIKE '{%'"),
                 QString("1"));
    }

    void skipParserErrorsRecordsEachMalformedMessage() {
        QTemporaryDir dir;
        QString store = dir.filePath("s");
        QVERIFY(makePipeline(store, "json", "SKIP PARSER ERRORS INTO TABLE t FIELDS TERMINATED BY ';' "
                                            "(id, user, amount, ts)"));
        Run r = run({"run", "--store", store, "--until-caught-up", "--timeout", "60"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(scalar(store, "SELECT count(*) FROM t"), QString("0"));
        // One error row per message, naming its partition and offset, with the raw bytes.
        QCOMPARE(scalar(store, "SELECT count(DISTINCT BATCH_SOURCE_PARTITION_ID || ':' || BATCH_EARLIEST_OFFSET) "
                               "FROM information_schema.PIPELINES_ERRORS WHERE LOAD_DATA_LINE LIKE '{\"id\":%'"),
                 QString("50"));
        QCOMPARE(scalar(store, "SELECT sum(CURSOR_OFFSET) FROM information_schema.PIPELINES_CURSORS"),
                 QString("50"));
    }

    void setAndWhereWithKafkaMetadata() {
        QTemporaryDir dir;
        QString store = dir.filePath("s");
        Run r = run({"sql", "--store", store, "-e",
                     "CREATE TABLE m (id BIGINT, user TEXT, cents BIGINT, part INT, off BIGINT, batch BIGINT, "
                     "SHARD KEY (user))",
                     "-e",
                     "CREATE PIPELINE p AS LOAD DATA KAFKA '" + m_bootstrap + "/good' BATCH_INTERVAL 100 "
                     "INTO TABLE m FIELDS TERMINATED BY ',' (id, user, @amount, @ts) "
                     "SET cents = @amount * 1, part = get_kafka_pipeline_prop('prop_partition'), "
                     "off = get_kafka_pipeline_prop('prop_offset'), batch = pipeline_batch_id() "
                     "WHERE id % 2 = 0",
                     "-e", "START PIPELINE p"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        Run rr = run({"run", "--store", store, "--until-caught-up", "--timeout", "60"});
        QVERIFY2(rr.exitCode == 0, qPrintable(rr.err));
        QCOMPARE(scalar(store, "SELECT count(*) FROM m"), QString("100"));
        QCOMPARE(scalar(store, "SELECT count(*) FROM m WHERE id % 2 = 1"), QString("0"));
        QCOMPARE(scalar(store, "SELECT count(DISTINCT part || ':' || off) FROM m"), QString("100"));
        QCOMPARE(scalar(store, "SELECT count(*) FROM m WHERE batch NOT IN (SELECT BATCH_ID FROM "
                               "information_schema.PIPELINES_BATCHES_SUMMARY)"),
                 QString("0"));
    }

    void secondRunnerIsRefusedWithTheHoldersPid() {
        QTemporaryDir dir;
        QString store = dir.filePath("s");
        QVERIFY(makePipeline(store, "good", "INTO TABLE t FIELDS TERMINATED BY ','"));
        QProcess first;
        first.start(ctl(), {"run", "--store", store});
        QVERIFY(first.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(scalar(store, "SELECT count(*) FROM t") == "200", 30000);
        Run second = run({"run", "--store", store});
        QCOMPARE(second.exitCode, 1);
        QVERIFY2(second.err.startsWith("error:") && second.err.contains(QString::number(first.processId())),
                 qPrintable(second.err));
        // Readers are never refused.
        QCOMPARE(scalar(store, "SELECT count(*) FROM t"), QString("200"));
        first.terminate();
        QVERIFY(first.waitForFinished(10000));
        QCOMPARE(first.exitCode(), 0);
    }
};

QTEST_GUILESS_MAIN(PipelineErrorsTest)
#include "tst_PipelineErrors.moc"
