// The exactly-once proof: sluicectl run is killed with SIGKILL at random moments, many times,
// while two pipelines (one plain CSV, one through a transform) load 100k messages from 4
// partitions into 4-shard tables; after a final run to the end every message is found exactly
// once (count, distinct ids, sum of ids, sum of amounts).
#include "SluiceCli.h"

#include "source/PaymentGenerator.h"

#include <QRandomGenerator>
#include <QTemporaryDir>

#include <csignal>

using namespace testcli;

class CrashRecoveryTest : public QObject {
    Q_OBJECT
private slots:
    void everyMessageExactlyOnceAcrossKills() {
        const int64_t n = qEnvironmentVariableIntValue("SLUICE_CRASH_MESSAGES") > 0
                              ? qEnvironmentVariableIntValue("SLUICE_CRASH_MESSAGES")
                              : 100000;
        const int kills = 12;
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString store = dir.filePath("store");
        Broker broker({"pay:4"});
        const QString b = broker.bootstrap();
        QVERIFY2(!b.isEmpty(), "broker did not start");

        Run produced = run({"produce", "--bootstrap", b, "--topic", "pay", "--count", QString::number(n),
                            "--format", "csv"});
        QCOMPARE(produced.exitCode, 0);
        QVERIFY2(produced.out.trimmed().endsWith("produced=" + QString::number(n)), qPrintable(produced.out));

        const QString transform = QStringLiteral(SLUICE_SOURCE_DIR) + "/resources/transforms/payments_enrich.py";
        Run setup = run({"sql", "--store", store, "--shards", "4", "-e",
                         "CREATE TABLE pay (id BIGINT, user TEXT, amount BIGINT, ts BIGINT, SHARD KEY (user))",
                         "-e",
                         "CREATE TABLE pay_t (id BIGINT, user TEXT, amount BIGINT, ts BIGINT, band TEXT, "
                         "SHARD KEY (id))",
                         "-e",
                         "CREATE PIPELINE plain AS LOAD DATA KAFKA '" + b + "/pay' BATCH_INTERVAL 50 "
                         "MAX_OFFSETS_PER_BATCH_PARTITION 40 INTO TABLE pay FIELDS TERMINATED BY ',' "
                         "(id, user, amount, ts)",
                         "-e",
                         "CREATE PIPELINE transformed AS LOAD DATA KAFKA '" + b + "/pay' BATCH_INTERVAL 50 "
                         "MAX_OFFSETS_PER_BATCH_PARTITION 400 WITH TRANSFORM ('" + transform + "', '', '') "
                         "INTO TABLE pay_t FIELDS TERMINATED BY ',' (id, user, amount, ts, band)",
                         });
        QVERIFY2(setup.exitCode == 0, qPrintable(setup.err));

        quint32 seed = QRandomGenerator::global()->generate();
        qInfo("kill schedule seed %u", seed);
        QRandomGenerator rng(seed);
        // One phase per pipeline: start it, kill its runner again and again, then run it to the end.
        struct Phase {
            const char* pipeline;
            const char* table;
            int minDelayMs;
            int spreadMs;
        };
        for (const Phase& phase : {Phase{"plain", "pay", 50, 200}, Phase{"transformed", "pay_t", 250, 1200}}) {
            Run started = run({"sql", "--store", store, "-e", QString("START PIPELINE ") + phase.pipeline});
            QVERIFY2(started.exitCode == 0, qPrintable(started.err));
            int killedMidway = 0; // kills that hit a running runner with the table part-loaded
            // Kill until `kills` kills have hit the load part-way (or it finished first).
            for (int k = 0; killedMidway < kills && k < 4 * kills; ++k) {
                QProcess runner;
                runner.start(ctl(), {"run", "--store", store});
                QVERIFY(runner.waitForStarted());
                int delay = phase.minDelayMs + static_cast<int>(rng.bounded(phase.spreadMs));
                QTest::qWait(delay);
                bool wasRunning = runner.state() == QProcess::Running;
                if (wasRunning)
                    ::kill(static_cast<pid_t>(runner.processId()), SIGKILL);
                runner.waitForFinished(10000);
                int64_t loaded = scalar(store, QString("SELECT count(*) FROM ") + phase.table).toLongLong();
                if (wasRunning && loaded < n)
                    ++killedMidway;
                else if (loaded == n)
                    k = 4 * kills;
                qInfo("%s: kill %d after %d ms: %lld of %lld rows", phase.pipeline, k + 1, delay,
                      static_cast<long long>(loaded), static_cast<long long>(n));
            }
            QVERIFY2(killedMidway >= 10,
                     qPrintable(QString("only %1 kills hit an unfinished load").arg(killedMidway)));
            Run finalRun = run({"run", "--store", store, "--until-caught-up", "--timeout", "600"}, 700000);
            QVERIFY2(finalRun.exitCode == 0, qPrintable(finalRun.err.right(2000)));
        }

        int64_t sumIds = n * (n + 1) / 2;
        int64_t sumAmounts = 0;
        for (int64_t id = 1; id <= n; ++id)
            sumAmounts += sluice::source::makePayment(id, 0).amount;
        for (const QString table : {"pay", "pay_t"}) {
            QCOMPARE(scalar(store, "SELECT count(*) FROM " + table), QString::number(n));
            QCOMPARE(scalar(store, "SELECT count(DISTINCT id) FROM " + table), QString::number(n));
            QCOMPARE(scalar(store, "SELECT sum(id) FROM " + table), QString::number(sumIds));
            QCOMPARE(scalar(store, "SELECT sum(amount) FROM " + table), QString::number(sumAmounts));
        }
        QCOMPARE(scalar(store, "SELECT count(*) FROM pay_t WHERE band NOT IN ('small','medium','large')"),
                 QString("0"));
        // Every row is on the shard its key hashes to: the same user never on two shards.
        QCOMPARE(scalar(store, "SELECT count(*) FROM (SELECT user FROM (SELECT DISTINCT user FROM s0.pay "
                               "UNION ALL SELECT DISTINCT user FROM s1.pay UNION ALL SELECT DISTINCT user "
                               "FROM s2.pay UNION ALL SELECT DISTINCT user FROM s3.pay) GROUP BY user "
                               "HAVING count(*) > 1)"),
                 QString("0"));
        QCOMPARE(scalar(store, "SELECT sum(CURSOR_OFFSET) FROM information_schema.PIPELINES_CURSORS "
                               "WHERE PIPELINE_NAME = 'plain'"),
                 QString::number(n));
        QCOMPARE(scalar(store, "SELECT count(*) FROM information_schema.PIPELINES_BATCHES_SUMMARY "
                               "WHERE BATCH_STATE = 'In Progress'"),
                 QString("0"));
    }
};

QTEST_GUILESS_MAIN(CrashRecoveryTest)
#include "tst_CrashRecovery.moc"
