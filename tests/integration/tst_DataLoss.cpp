// Data the broker deleted before it was loaded is never skipped silently: the embedded broker
// keeps ~5 MiB per partition, so 7 MiB of messages push its low watermark up; a pipeline whose
// cursor is below it records the lost range in PIPELINES_ERRORS and goes on from what is left.
#include "pipeline/PipelineRunner.h"
#include "pipeline/StatementExecutor.h"
#include "source/KafkaSource.h"
#include "source/MockBroker.h"

#include <librdkafka/rdkafka.h>

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <random>

using namespace sluice;

namespace {

struct KafkaDeleter {
    void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};

// "id,<10,000 hex digits>" values on partition 0, uncompressed.
bool produceLarge(const std::string& bootstrap, const std::string& topic, int count) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char err[512];
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err) ||
        rd_kafka_conf_set(conf, "compression.type", "none", err, sizeof err)) {
        rd_kafka_conf_destroy(conf);
        return false;
    }
    std::unique_ptr<rd_kafka_t, KafkaDeleter> rk(rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        return false;
    }
    std::mt19937_64 random(7);
    static const char kHex[] = "0123456789abcdef";
    for (int i = 1; i <= count; ++i) {
        std::string value = std::to_string(i) + ",";
        for (int k = 0; k < 10000; ++k)
            value += kHex[random() & 15];
        rd_kafka_resp_err_t e;
        while ((e = rd_kafka_producev(rk.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(0),
                                      RD_KAFKA_V_VALUE(value.data(), value.size()),
                                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END)) ==
               RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(rk.get(), 10);
        if (e)
            return false;
    }
    return rd_kafka_flush(rk.get(), 30000) == RD_KAFKA_RESP_ERR_NO_ERROR;
}

} // namespace

class DataLossTest : public QObject {
    Q_OBJECT

    static std::string scalar(pipeline::StatementExecutor& e, const std::string& sql) {
        auto r = e.execute(sql);
        if (!r.ok() || r->rows.empty())
            return "error: " + r.status().message();
        return r->rows[0][0].toString();
    }

private slots:
    void lostRangeIsRecordedNotSkippedSilently() {
        auto broker = source::MockBroker::start(1);
        QVERIFY(broker.ok());
        QVERIFY((*broker)->createTopic("big", 1).ok());
        const std::string b = (*broker)->bootstraps();
        QVERIFY(produceLarge(b, "big", 700));

        source::KafkaSourceOptions o;
        o.brokers = b;
        o.topic = "big";
        auto src = source::KafkaSource::open(o);
        QVERIFY(src.ok());
        QVERIFY((*src)->partitions(5000).ok());
        auto wm = (*src)->queryWatermarks(0, 5000);
        QVERIFY(wm.ok());
        QVERIFY2(wm->low > 0, "the broker should have deleted the oldest messages");
        QCOMPARE(wm->high, int64_t(700));

        QTemporaryDir dir;
        auto store = store::Store::open(dir.filePath("s").toStdString(), {2, true});
        QVERIFY(store.ok());
        auto exec = pipeline::StatementExecutor::open(*store);
        QVERIFY(exec.ok());
        auto& e = **exec;
        QVERIFY(e.execute("CREATE TABLE t (id BIGINT, pad TEXT, SHARD KEY (id))").ok());
        QVERIFY(e.execute("CREATE PIPELINE p AS LOAD DATA KAFKA '" + b +
                          "/big' BATCH_INTERVAL 100 INTO TABLE t FIELDS TERMINATED BY ','").ok());
        // Start from offset 0, which is gone.
        QVERIFY(e.execute("ALTER PIPELINE p SET OFFSETS '{\"0\":0}'").ok());
        QVERIFY(e.execute("START PIPELINE p").ok());

        auto engine = pipeline::Engine::open(*store, "test");
        QVERIFY(engine.ok());
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < 60000 &&
               scalar(e, "SELECT sum(CURSOR_OFFSET) FROM information_schema.PIPELINES_CURSORS") != "700") {
            QVERIFY((*engine)->poll().ok());
            QTest::qWait(100);
        }
        (*engine)->stopAll();
        QCOMPARE(scalar(e, "SELECT sum(CURSOR_OFFSET) FROM information_schema.PIPELINES_CURSORS"),
                 std::string("700"));
        // What was left is loaded exactly once; what was gone is named.
        QCOMPARE(scalar(e, "SELECT count(*) FROM t"), std::to_string(700 - wm->low));
        QCOMPARE(scalar(e, "SELECT min(id) FROM t"), std::to_string(wm->low + 1));
        QCOMPARE(scalar(e, "SELECT count(*) FROM information_schema.PIPELINES_ERRORS WHERE "
                           "ERROR_MESSAGE LIKE 'data lost: offsets [0, " + std::to_string(wm->low) +
                           ")%' AND BATCH_EARLIEST_OFFSET = 0 AND BATCH_LATEST_OFFSET = " +
                           std::to_string(wm->low)),
                 std::string("1"));
        QCOMPARE(scalar(e, "SELECT STATE FROM information_schema.PIPELINES"), std::string("Running"));
    }
};

QTEST_GUILESS_MAIN(DataLossTest)
#include "tst_DataLoss.moc"
