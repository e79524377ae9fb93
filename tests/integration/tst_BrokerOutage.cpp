// A broker outage shows as a stalled pipeline and recovers by itself: the engine keeps the
// pipeline Running while the broker is down and loads what was produced once it is back.
#include "pipeline/PipelineRunner.h"
#include "pipeline/StatementExecutor.h"
#include "source/MockBroker.h"
#include "source/PaymentGenerator.h"
#include "store/Store.h"

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTest>

using namespace sluice;

class BrokerOutageTest : public QObject {
    Q_OBJECT

    static int64_t count(pipeline::StatementExecutor& e, const std::string& sql) {
        auto r = e.execute(sql);
        return r.ok() && !r->rows.empty() ? r->rows[0][0].i : -1;
    }
    static std::string text(pipeline::StatementExecutor& e, const std::string& sql) {
        auto r = e.execute(sql);
        return r.ok() && !r->rows.empty() ? r->rows[0][0].s : "error";
    }

private slots:
    void stallsAndRecovers() {
        auto broker = source::MockBroker::start(1);
        QVERIFY(broker.ok());
        QVERIFY((*broker)->createTopic("out", 2).ok());
        source::ProduceOptions po;
        po.bootstrap = (*broker)->bootstraps();
        po.topic = "out";
        po.count = 200;
        auto produced = source::producePayments(po);
        QVERIFY(produced.ok());

        QTemporaryDir dir;
        auto store = store::Store::open(dir.filePath("s").toStdString(), {2, true});
        QVERIFY(store.ok());
        auto exec = pipeline::StatementExecutor::open(*store);
        QVERIFY(exec.ok());
        auto& e = **exec;
        QVERIFY(e.execute("CREATE TABLE t (id BIGINT, user TEXT, amount BIGINT, ts BIGINT, SHARD KEY (id))").ok());
        QVERIFY(e.execute("CREATE PIPELINE p AS LOAD DATA KAFKA '" + po.bootstrap +
                          "/out' BATCH_INTERVAL 100 INTO TABLE t FIELDS TERMINATED BY ','").ok());
        QVERIFY(e.execute("START PIPELINE p").ok());

        auto engine = pipeline::Engine::open(*store, "test");
        QVERIFY(engine.ok());
        auto pollUntil = [&](const std::function<bool()>& done, int ms) {
            QElapsedTimer t;
            t.start();
            while (t.elapsed() < ms) {
                if (!(*engine)->poll().ok())
                    return false;
                if (done())
                    return true;
                QTest::qWait(100);
            }
            return done();
        };
        QVERIFY(pollUntil([&] { return count(e, "SELECT count(*) FROM t") == 200; }, 30000));

        QVERIFY((*broker)->setBrokerDown(1, true).ok());
        // Down for a while: the pipeline stays Running (stalled), nothing fails.
        QVERIFY(!pollUntil([&] { return text(e, "SELECT STATE FROM information_schema.PIPELINES") != "Running"; },
                           8000));
        auto snaps = (*engine)->snapshots();
        QCOMPARE(int(snaps.size()), 1);
        QVERIFY(snaps[0].active);

        QVERIFY((*broker)->setBrokerDown(1, false).ok());
        po.startId = 1001;
        po.count = 100;
        auto more = source::producePayments(po);
        QVERIFY2(more.ok(), more.status().message().c_str());
        QVERIFY(pollUntil([&] { return count(e, "SELECT count(*) FROM t") == 300; }, 60000));
        QCOMPARE(count(e, "SELECT count(DISTINCT id) FROM t"), int64_t(300));
        QCOMPARE(text(e, "SELECT STATE FROM information_schema.PIPELINES"), std::string("Running"));
        (*engine)->stopAll();
    }
};

QTEST_GUILESS_MAIN(BrokerOutageTest)
#include "tst_BrokerOutage.moc"
