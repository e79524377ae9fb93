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

    // Each line one message, in order, to partition 0 of topic (kcat, installed by the setup).
    bool produceLines(const QString& topic, const QStringList& lines) {
        QProcess kcat;
        kcat.start("kcat", {"-P", "-b", m_bootstrap, "-t", topic, "-p", "0"});
        if (!kcat.waitForStarted(10000)) {
            qWarning("kcat did not start: %s", qPrintable(kcat.errorString()));
            return false;
        }
        kcat.write((lines.join('\n') + '\n').toUtf8());
        kcat.closeWriteChannel();
        if (!kcat.waitForFinished(30000) || kcat.exitCode() != 0) {
            qWarning("kcat failed: %s", kcat.readAllStandardError().constData());
            return false;
        }
        return true;
    }

    // The pipeline's batch failed and nothing of it counts: no rows, state Error, cursors still at
    // 0, and an error row matching errorWhere (a condition on PIPELINES_ERRORS).
    void expectFailedBatch(const QString& store, const QString& errorWhere) {
        QCOMPARE(scalar(store, "SELECT count(*) FROM t"), QString("0"));
        QCOMPARE(scalar(store, "SELECT STATE FROM information_schema.PIPELINES"), QString("Error"));
        QCOMPARE(scalar(store, "SELECT count(*) > 0 FROM information_schema.PIPELINES_ERRORS WHERE " + errorWhere),
                 QString("1"));
        QCOMPARE(scalar(store, "SELECT coalesce(sum(CURSOR_OFFSET), 0) FROM information_schema.PIPELINES_CURSORS"),
                 QString("0"));
    }

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
        m_broker = std::make_unique<Broker>(QStringList{"good:2", "json:2", "mixed:1", "stopper:1"});
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
        expectFailedBatch(store, "STD_ERROR LIKE '%bad record in message 2%' AND ERROR_MESSAGE LIKE '%code 3%'");
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

    // Good and malformed records interleaved in one partition, values that need unescaping:
    // the good rows load exactly, each bad one is recorded once with its offset and the id of the
    // batch that skipped it (rows are built while collecting, before the batch has an id).
    void skipParserErrorsInAnInterleavedStream() {
        QStringList lines;
        QStringList bad;
        int64_t goodCount = 0;
        int64_t quotedCount = 0;
        int64_t idSum = 0;
        for (int i = 0; i < 600; ++i) {
            if (i % 7 == 3) {
                lines << QString("broken record %1").arg(i); // one field, four expected
                bad << QString::number(i);
                continue;
            }
            // Every tenth user is enclosed with a doubled quote inside: the parser unescapes it.
            const QString user = i % 10 == 0 ? QString("\"u\"\"%1\"").arg(i) : QString("u%1").arg(i);
            lines << QString("%1,%2,%3,%4").arg(i).arg(user).arg(i * 3).arg(1700000000000LL + i);
            ++goodCount;
            quotedCount += i % 10 == 0;
            idSum += i;
        }
        QVERIFY(produceLines("mixed", lines));
        QTemporaryDir dir;
        QString store = dir.filePath("s");
        QVERIFY(makePipeline(store, "mixed", "SKIP PARSER ERRORS INTO TABLE t FIELDS TERMINATED BY ',' "
                                             "ENCLOSED BY '\"'"));
        Run r = run({"run", "--store", store, "--until-caught-up", "--timeout", "60"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(scalar(store, "SELECT count(*) FROM t"), QString::number(goodCount));
        QCOMPARE(scalar(store, "SELECT sum(id) FROM t"), QString::number(idSum));
        QCOMPARE(scalar(store, "SELECT count(*) FROM t WHERE amount <> id * 3 OR ts <> 1700000000000 + id"),
                 QString("0"));
        QCOMPARE(scalar(store, "SELECT count(*) FROM t WHERE id % 10 = 0 AND user = 'u\"' || id"),
                 QString::number(quotedCount));
        QCOMPARE(scalar(store, "SELECT count(*) FROM t WHERE id % 10 <> 0 AND user = 'u' || id"),
                 QString::number(goodCount - quotedCount));
        QCOMPARE(scalar(store, "SELECT group_concat(BATCH_EARLIEST_OFFSET, ' ') FROM (SELECT BATCH_EARLIEST_OFFSET "
                               "FROM information_schema.PIPELINES_ERRORS ORDER BY BATCH_EARLIEST_OFFSET)"),
                 bad.join(' '));
        QCOMPARE(scalar(store, "SELECT count(*) FROM information_schema.PIPELINES_ERRORS WHERE ERROR_TYPE = 'Warning' "
                               "AND LOAD_DATA_LINE LIKE 'broken record %' AND BATCH_ID IN (SELECT BATCH_ID FROM "
                               "information_schema.PIPELINES_BATCHES_SUMMARY WHERE BATCH_STATE = 'Succeeded')"),
                 QString::number(bad.size()));
        QCOMPARE(scalar(store, "SELECT sum(CURSOR_OFFSET) FROM information_schema.PIPELINES_CURSORS"),
                 QString::number(lines.size()));
    }

    // A malformed record after good ones, default policy: the whole batch fails, nothing of it
    // is loaded, and the error names the record.
    void malformedRecordMidStreamFailsTheWholeBatch() {
        QStringList lines;
        for (int i = 0; i < 100; ++i)
            lines << QString("%1,u%1,%2,%3").arg(i).arg(i * 3).arg(1700000000000LL + i);
        lines << "not,enough";
        for (int i = 101; i < 150; ++i)
            lines << QString("%1,u%1,%2,%3").arg(i).arg(i * 3).arg(1700000000000LL + i);
        QVERIFY(produceLines("stopper", lines));
        QTemporaryDir dir;
        QString store = dir.filePath("s");
        QVERIFY(makePipeline(store, "stopper", "INTO TABLE t FIELDS TERMINATED BY ','"));
        Run r = run({"run", "--store", store, "--until-caught-up", "--timeout", "60"});
        QCOMPARE(r.exitCode, 1);
        expectFailedBatch(store, "ERROR_TYPE = 'Error' AND BATCH_EARLIEST_OFFSET = 100 AND LOAD_DATA_LINE = 'not,enough'");
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
