// KafkaSource, MockBroker and the payments generator against librdkafka's mock cluster over
// loopback (in-process).
#include "source/KafkaHandles.h"
#include "source/KafkaSource.h"
#include "source/MockBroker.h"
#include "source/PaymentGenerator.h"

#include <QTest>

#include <chrono>
#include <functional>
#include <map>
#include <random>
#include <set>

using namespace sluice;
using namespace sluice::source;

namespace {

// Upper bound of any wait for data; tests end as soon as their condition holds.
constexpr int kBoundMs = 30000;
constexpr int kMetadataTimeoutMs = 10000;

struct Record {
    int32_t partition = -1;
    int64_t offset = -1;
    std::string key;
    std::string value;
};

struct Drained {
    std::vector<Record> records;
    std::vector<PartitionEvent> events;
    Status failure;

    size_t countEvents(PartitionEvent::Kind kind, int32_t partition = -2) const {
        size_t n = 0;
        for (const PartitionEvent& e : events)
            n += e.kind == kind && (partition == -2 || e.partition == partition);
        return n;
    }
};

// Polls until done() holds, poll() fails or the bound passes.
void drainInto(KafkaSource& source, Drained& d, const std::function<bool(const Drained&)>& done,
               size_t maxPerPoll = 1000, int boundMs = kBoundMs) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(boundMs);
    std::vector<KafkaMessage> batch;
    while (!done(d) && std::chrono::steady_clock::now() < deadline) {
        batch.clear();
        Status s = source.poll(batch, maxPerPoll, 100, d.events);
        for (const KafkaMessage& m : batch)
            d.records.push_back(
                {m.partition(), m.offset(), std::string(m.key()), std::string(m.value())});
        if (!s.ok()) {
            d.failure = s;
            return;
        }
    }
}

Drained drain(KafkaSource& source, const std::function<bool(const Drained&)>& done) {
    Drained d;
    drainInto(source, d, done);
    return d;
}

QByteArray text(const Status& s) {
    return QByteArray::fromStdString(s.toString());
}

// Raw producer for data the payments generator cannot make (large incompressible values).
Status produceRaw(const std::string& bootstrap, const std::string& topic, int count,
                  size_t valueSize) {
    using namespace detail;
    ConfHandle conf(rd_kafka_conf_new());
    std::string error;
    if (!setConf(conf.get(), "bootstrap.servers", bootstrap, error) ||
        !setConf(conf.get(), "compression.type", "none", error))
        return Status(ErrorCode::Internal, error);
    char errstr[512] = {};
    KafkaHandle rk(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr, sizeof(errstr)));
    if (!rk)
        return Status(ErrorCode::Kafka, errstr);
    conf.release();
    std::mt19937_64 random(42);
    std::string value(valueSize, '\0');
    for (int i = 0; i < count; ++i) {
        for (char& c : value)
            c = static_cast<char>(random());
        rd_kafka_resp_err_t err;
        while ((err = rd_kafka_producev(rk.get(), RD_KAFKA_V_TOPIC(topic.c_str()),
                                        RD_KAFKA_V_PARTITION(0),
                                        RD_KAFKA_V_VALUE(value.data(), value.size()),
                                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                        RD_KAFKA_V_END)) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(rk.get(), 10);
        if (err)
            return Status(ErrorCode::Kafka, rd_kafka_err2str(err));
    }
    if (rd_kafka_flush(rk.get(), kBoundMs) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return Status(ErrorCode::Timeout, "flush timed out");
    return {};
}

} // namespace

class KafkaSourceTest : public QObject {
    Q_OBJECT

    std::unique_ptr<MockBroker> m_broker;
    std::string m_bootstrap;

    Result<std::unique_ptr<KafkaSource>> open(const std::string& topic,
                                              const std::string& config = {},
                                              const std::string& credentials = {}) {
        KafkaSourceOptions options;
        options.brokers = m_bootstrap;
        options.topic = topic;
        options.configJson = config;
        options.credentialsJson = credentials;
        return KafkaSource::open(options);
    }

    Result<int64_t> produce(const std::string& topic, int64_t count,
                            PaymentFormat format = PaymentFormat::Csv) {
        ProduceOptions options;
        options.bootstrap = m_bootstrap;
        options.topic = topic;
        options.count = count;
        options.format = format;
        return producePayments(options);
    }

    // count payments with ids from 1, produced in rounds of round messages (each round its own
    // message sets); false (with a warning) when a round fails or comes up short.
    bool produceInRounds(const std::string& topic, int64_t count, int64_t round) {
        for (int64_t first = 1; first <= count; first += round) {
            ProduceOptions options;
            options.bootstrap = m_bootstrap;
            options.topic = topic;
            options.count = round;
            options.startId = first;
            auto produced = producePayments(options);
            if (!produced.ok() || *produced != round) {
                qWarning("producing to %s: %s", topic.c_str(),
                         produced.ok() ? "short round" : produced.status().toString().c_str());
                return false;
            }
        }
        return true;
    }

    // Watermarks of every partition of topic.
    std::map<int32_t, Watermarks> watermarks(KafkaSource& source) {
        std::map<int32_t, Watermarks> out;
        auto parts = source.partitions(kMetadataTimeoutMs);
        if (!parts)
            return out;
        for (int32_t p : *parts) {
            auto w = source.queryWatermarks(p, kMetadataTimeoutMs);
            if (w)
                out[p] = *w;
        }
        return out;
    }

private slots:
    void initTestCase() {
        auto broker = MockBroker::start(3);
        QVERIFY2(broker.ok(), text(broker.status()));
        m_broker = std::move(broker.value());
        m_bootstrap = m_broker->bootstraps();
        QVERIFY(QByteArray::fromStdString(m_bootstrap).startsWith("127.0.0.1:"));
        QCOMPARE(std::count(m_bootstrap.begin(), m_bootstrap.end(), ','), 2);
    }

    void mockBrokerRejectsBadInput() {
        QCOMPARE(MockBroker::start(0).status().code(), ErrorCode::InvalidArgument);
        QCOMPARE(MockBroker::start(9).status().code(), ErrorCode::InvalidArgument);
        QVERIFY(m_broker->createTopic("twice", 1).ok());
        QCOMPARE(m_broker->createTopic("twice", 1).code(), ErrorCode::AlreadyExists);
        QCOMPARE(m_broker->createTopic("zero", 0).code(), ErrorCode::InvalidArgument);
        QCOMPARE(m_broker->setBrokerDown(4, true).code(), ErrorCode::InvalidArgument);
    }

    void parsesFlatJson_data() {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QStringList>("keyValues");
        QTest::newRow("empty") << "{}" << QStringList{};
        QTest::newRow("spaces") << " \n{ \t}\r\n" << QStringList{};
        QTest::newRow("string") << "{\"a\":\"b\"}" << QStringList{"a", "b"};
        QTest::newRow("types") << "{\"n\": -12.5e3, \"t\": true, \"f\": false, \"z\": 0}"
                               << QStringList{"f", "false", "n", "-12.5e3", "t", "true", "z", "0"};
        QTest::newRow("escapes") << "{\"k\\\"ey\":\"a\\\\b\\/c\\n\\t\"}"
                                 << QStringList{"k\"ey", "a\\b/c\n\t"};
        QTest::newRow("unicode") << "{\"u\":\"\\u00e9\\ud83d\\ude00\"}"
                                 << QStringList{"u", QString::fromUtf8("\xc3\xa9\xf0\x9f\x98\x80")};
        QTest::newRow("utf8 passes") << QString::fromUtf8("{\"u\":\"\xc3\xa9\"}")
                                     << QStringList{"u", QString::fromUtf8("\xc3\xa9")};
    }
    void parsesFlatJson() {
        QFETCH(QString, json);
        QFETCH(QStringList, keyValues);
        auto parsed = parseFlatJsonObject(json.toStdString());
        QVERIFY2(parsed.ok(), text(parsed.status()));
        QStringList got;
        for (const auto& [k, v] : *parsed)
            got << QString::fromStdString(k) << QString::fromStdString(v);
        QCOMPARE(got, keyValues);
    }

    void rejectsBadJson_data() {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("empty") << ""
                               << "position 0";
        QTest::newRow("array") << "[1]"
                               << "expected '{'";
        QTest::newRow("unclosed") << "{\"a\":1"
                                  << "position 6";
        QTest::newRow("trailing comma") << "{\"a\":1,}"
                                        << "property name";
        QTest::newRow("single quotes") << "{'a':1}"
                                       << "property name";
        QTest::newRow("nested object") << "{\"ok\":1,\"inner\":{\"x\":1}}"
                                       << "\"inner\"";
        QTest::newRow("nested array") << "{\"list\":[1,2]}"
                                      << "\"list\"";
        QTest::newRow("null") << "{\"nothing\":null}"
                              << "\"nothing\"";
        QTest::newRow("leading zero") << "{\"a\":01}"
                                      << "position 6";
        QTest::newRow("bare word") << "{\"a\":yes}"
                                   << "\"a\"";
        QTest::newRow("after object") << "{\"a\":1} x"
                                      << "after";
        QTest::newRow("duplicate") << "{\"a\":1,\"a\":2}"
                                   << "duplicate";
        QTest::newRow("bad escape") << "{\"a\":\"\\q\"}"
                                    << "escape";
        QTest::newRow("lone surrogate") << "{\"a\":\"\\ud800\"}"
                                        << "surrogate";
        QTest::newRow("control char") << "{\"a\":\"x\ny\"}"
                                      << "control";
    }
    void rejectsBadJson() {
        QFETCH(QString, json);
        QFETCH(QString, mentions);
        auto parsed = parseFlatJsonObject(json.toStdString());
        QVERIFY(!parsed.ok());
        QCOMPARE(parsed.status().code(), ErrorCode::InvalidArgument);
        QVERIFY2(QString::fromStdString(parsed.status().message()).contains(mentions),
                 text(parsed.status()));
    }

    void paymentsAreDeterministicAndSpread() {
        std::set<std::string> users;
        for (int64_t id = 1; id <= 20000; ++id) {
            const Payment p = makePayment(id, 123);
            QCOMPARE(p.id, id);
            QCOMPARE(p.ts, int64_t(123));
            QVERIFY(p.amount >= 1 && p.amount <= 100000);
            QCOMPARE(p.user.size(), size_t(9));
            QVERIFY(p.user.rfind("user-", 0) == 0);
            const int n = std::stoi(p.user.substr(5));
            QVERIFY2(n >= 1 && n <= 1000, p.user.c_str());
            users.insert(p.user);
            const Payment again = makePayment(id, 123);
            QCOMPARE(again.user, p.user);
            QCOMPARE(again.amount, p.amount);
        }
        QCOMPARE(users.size(), size_t(1000));

        const Payment p{7, "user-0042", 1234, 99};
        QCOMPARE(renderPayment(p, PaymentFormat::Csv), std::string("7,user-0042,1234,99"));
        QCOMPARE(renderPayment(p, PaymentFormat::Json),
                 std::string("{\"id\":7,\"user\":\"user-0042\",\"amount\":1234,\"ts\":99}"));
    }

    void partitionsListsTopic() {
        QVERIFY(m_broker->createTopic("three", 3).ok());
        auto source = open("three");
        QVERIFY2(source.ok(), text(source.status()));
        auto parts = (*source)->partitions(kMetadataTimeoutMs);
        QVERIFY2(parts.ok(), text(parts.status()));
        QCOMPARE(*parts, (std::vector<int32_t>{0, 1, 2}));
    }

    void unknownTopicIsNotFound() {
        auto source = open("no-such-topic");
        QVERIFY2(source.ok(), text(source.status()));
        // Twice: asking must not auto-create the topic (the mock creates any topic it is asked
        // about by name).
        for (int i = 0; i < 2; ++i) {
            auto parts = (*source)->partitions(kMetadataTimeoutMs);
            QVERIFY(!parts.ok());
            QCOMPARE(parts.status().code(), ErrorCode::NotFound);
            QVERIFY(parts.status().message().find("no-such-topic") != std::string::npos);
        }
    }

    void consumesEveryMessageOnce() {
        constexpr int64_t kCount = 3000;
        QVERIFY(m_broker->createTopic("payments", 4).ok());
        auto produced = produce("payments", kCount, PaymentFormat::Json);
        QVERIFY2(produced.ok(), text(produced.status()));
        QCOMPARE(*produced, kCount);

        auto source = open("payments");
        QVERIFY2(source.ok(), text(source.status()));
        KafkaSource& src = **source;
        const auto marks = watermarks(src);
        QCOMPARE(marks.size(), size_t(4));
        int64_t total = 0;
        std::map<int32_t, int64_t> start;
        for (const auto& [p, w] : marks) {
            QCOMPARE(w.low, int64_t(0));
            total += w.high - w.low;
            start[p] = 0;
        }
        QCOMPARE(total, kCount);
        // watermarks() asks for every partition at once; it must agree with the per-partition
        // answers.
        auto all = src.watermarks(kMetadataTimeoutMs);
        QVERIFY2(all.ok(), text(all.status()));
        QCOMPARE(all->size(), marks.size());
        for (const auto& [p, w] : marks) {
            QCOMPARE(all->at(p).low, w.low);
            QCOMPARE(all->at(p).high, w.high);
        }
        for (const auto& [p, w] : marks)
            QCOMPARE(src.cachedHighWatermark(p), int64_t(-1)); // nothing fetched yet

        QVERIFY(src.assign(start).ok());
        Drained d = drain(src, [&](const Drained& x) {
            return x.records.size() >= size_t(kCount) &&
                   x.countEvents(PartitionEvent::Kind::PartitionEof) >= marks.size();
        });
        QVERIFY2(d.failure.ok(), text(d.failure));
        QCOMPARE(d.records.size(), size_t(kCount));

        std::map<int32_t, int64_t> next;
        std::set<int64_t> ids;
        for (const Record& r : d.records) {
            // Offsets arrive in order, each exactly once, from 0 up.
            QCOMPARE(r.offset, next[r.partition]);
            ++next[r.partition];
            auto fields = parseFlatJsonObject(r.value);
            QVERIFY2(fields.ok(), r.value.c_str());
            const int64_t id = std::stoll(fields->at("id"));
            QVERIFY(ids.insert(id).second);
            QCOMPARE(fields->at("user"), r.key);
            const Payment expected = makePayment(id, std::stoll(fields->at("ts")));
            QCOMPARE(r.value, renderPayment(expected, PaymentFormat::Json));
        }
        QCOMPARE(*ids.begin(), int64_t(1));
        QCOMPARE(*ids.rbegin(), kCount);
        for (const auto& [p, w] : marks) {
            QCOMPARE(next[p], w.high);
            QCOMPARE(src.cachedHighWatermark(p), w.high);
        }
        // Each partition reported reaching its end at the high watermark, and no errors.
        for (const PartitionEvent& e : d.events) {
            QCOMPARE(e.kind, PartitionEvent::Kind::PartitionEof);
            QCOMPARE(e.offset, marks.at(e.partition).high);
        }
    }

    // librdkafka 2.0.2 stops fetching once its queue holds queued.min.messages and looks again
    // only when its broker thread next wakes (up to a second). With a tiny limit and a reader
    // that drains in small steps the queue fills again and again; the fetch waker must restart
    // the fetcher each time, and every message still arrives exactly once and in order.
    void fetchWakerRestartsAFullQueue() {
        constexpr int64_t kCount = 10000;
        constexpr int64_t kRound = 500;
        QVERIFY(m_broker->createTopic("wake", 2).ok());
        // Many small produce rounds, so the topic is many small message sets: the mock answers a
        // fetch with one set per partition, so each fetch adds a few hundred messages and the
        // reader keeps catching up with a fetcher that has stopped.
        QVERIFY2(produceInRounds("wake", kCount, kRound), "producing failed");
        auto source = open("wake", R"({"queued.min.messages": 500})");
        QVERIFY2(source.ok(), text(source.status()));
        KafkaSource& src = **source;
        QCOMPARE(src.fetchNudges(), int64_t(0));
        QVERIFY(src.assign({{0, 0}, {1, 0}}).ok());
        // A reader slower than the fetcher (100 messages every 10 ms), so the queue does fill up.
        Drained d;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kBoundMs);
        while (d.records.size() < size_t(kCount) && std::chrono::steady_clock::now() < deadline) {
            std::vector<KafkaMessage> batch;
            d.failure = src.poll(batch, 100, 100, d.events);
            QVERIFY2(d.failure.ok(), text(d.failure));
            for (const KafkaMessage& m : batch)
                d.records.push_back({m.partition(), m.offset(), std::string(m.key()), std::string(m.value())});
            QTest::qSleep(10);
        }
        QCOMPARE(d.records.size(), size_t(kCount));
        std::map<int32_t, int64_t> next;
        for (const Record& r : d.records) {
            QCOMPARE(r.offset, next[r.partition]);
            ++next[r.partition];
        }
        QVERIFY2(src.fetchNudges() > 0, "the fetcher was never woken");
        // Caught up: nothing lags, so the waker stays quiet (after a check that may have begun
        // before the last messages were read).
        QTest::qWait(200);
        const int64_t nudges = src.fetchNudges();
        std::vector<KafkaMessage> none;
        std::vector<PartitionEvent> events;
        for (int i = 0; i < 5; ++i)
            QVERIFY(src.poll(none, 100, 50, events).ok());
        QVERIFY(none.empty());
        QCOMPARE(src.fetchNudges(), nudges);
    }

    // A slow reader behind a backlog that fits easily in librdkafka's queue: its partitions lag
    // all the time, but the fetcher never stops, so the waker must leave it alone (its requests
    // would only sit between the fetches; at the demo's rates that once let lag grow).
    void fetchWakerLeavesAFlowingConsumerAlone() {
        constexpr int64_t kCount = 2000;
        constexpr int64_t kRound = 250;
        QVERIFY(m_broker->createTopic("trickle", 2).ok());
        QVERIFY2(produceInRounds("trickle", kCount, kRound), "producing failed");
        auto source = open("trickle", R"({"queued.min.messages": 100000})");
        QVERIFY2(source.ok(), text(source.status()));
        KafkaSource& src = **source;
        QVERIFY(src.assign({{0, 0}, {1, 0}}).ok());
        size_t got = 0;
        std::vector<PartitionEvent> events;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kBoundMs);
        while (got < size_t(kCount) && std::chrono::steady_clock::now() < deadline) {
            std::vector<KafkaMessage> batch;
            QVERIFY(src.poll(batch, 40, 20, events).ok());
            got += batch.size();
            QTest::qSleep(10);
        }
        QCOMPARE(got, size_t(kCount));
        QCOMPARE(src.fetchNudges(), int64_t(0));
    }

    void assignAtMiddleOffsetYieldsTheRest() {
        QVERIFY(m_broker->createTopic("middle", 2).ok());
        auto produced = produce("middle", 1000);
        QVERIFY2(produced.ok(), text(produced.status()));
        auto source = open("middle");
        QVERIFY2(source.ok(), text(source.status()));
        KafkaSource& src = **source;
        const auto marks = watermarks(src);
        QCOMPARE(marks.size(), size_t(2));
        std::map<int32_t, int64_t> from;
        size_t expected = 0;
        for (const auto& [p, w] : marks) {
            QVERIFY(w.high > 2);
            from[p] = w.high / 2;
            expected += size_t(w.high - from[p]);
        }
        QVERIFY(src.assign(from).ok());
        // Ends at both EOFs, so anything extra would have arrived by then.
        Drained d = drain(src, [&](const Drained& x) {
            return x.countEvents(PartitionEvent::Kind::PartitionEof, 0) > 0 &&
                   x.countEvents(PartitionEvent::Kind::PartitionEof, 1) > 0;
        });
        QVERIFY2(d.failure.ok(), text(d.failure));
        QCOMPARE(d.records.size(), expected);
        std::map<int32_t, int64_t> next = from;
        for (const Record& r : d.records) {
            QCOMPARE(r.offset, next[r.partition]);
            ++next[r.partition];
            QCOMPARE(std::count(r.value.begin(), r.value.end(), ','), 3);
        }
        for (const auto& [p, w] : marks)
            QCOMPARE(next[p], w.high);
    }

    void assignAtHighWatermarkWaitsForNewMessages() {
        QVERIFY(m_broker->createTopic("tail", 1).ok());
        QVERIFY(produce("tail", 10).ok());
        auto source = open("tail");
        QVERIFY2(source.ok(), text(source.status()));
        KafkaSource& src = **source;
        QVERIFY(src.assign({{0, 10}}).ok());
        Drained d = drain(src, [](const Drained& x) {
            return x.countEvents(PartitionEvent::Kind::PartitionEof) > 0;
        });
        QVERIFY2(d.failure.ok(), text(d.failure));
        QCOMPARE(d.records.size(), size_t(0));
        QCOMPARE(d.events.size(), size_t(1));
        QCOMPARE(d.events[0].offset, int64_t(10));

        ProduceOptions more;
        more.bootstrap = m_bootstrap;
        more.topic = "tail";
        more.count = 5;
        more.startId = 11;
        QVERIFY(producePayments(more).ok());
        drainInto(src, d, [](const Drained& x) { return x.records.size() >= 5; });
        QCOMPARE(d.records.size(), size_t(5));
        QCOMPARE(d.records.front().offset, int64_t(10));
        QVERIFY(QByteArray::fromStdString(d.records.front().value).startsWith("11,"));
    }

    void offsetBeyondHighWatermarkIsOutOfRange() {
        QVERIFY(m_broker->createTopic("beyond", 1).ok());
        QVERIFY(produce("beyond", 20).ok());
        auto source = open("beyond");
        QVERIFY2(source.ok(), text(source.status()));
        KafkaSource& src = **source;
        QVERIFY(src.assign({{0, 1020}}).ok());
        Drained d = drain(src, [](const Drained& x) { return !x.events.empty(); });
        QVERIFY2(d.failure.ok(), text(d.failure));
        QCOMPARE(d.records.size(), size_t(0));
        QCOMPARE(d.events.size(), size_t(1));
        QCOMPARE(d.events[0].kind, PartitionEvent::Kind::OffsetOutOfRange);
        QCOMPARE(d.events[0].partition, 0);
        QCOMPARE(d.events[0].offset, int64_t(1020));
        QVERIFY(!d.events[0].message.empty());
    }

    // The mock keeps ~5 MiB per partition: 7 MiB of incompressible data pushes the low
    // watermark up, like retention on a real broker.
    void offsetBelowLowWatermarkIsOutOfRange() {
        QVERIFY(m_broker->createTopic("retention", 1).ok());
        Status produced = produceRaw(m_bootstrap, "retention", 700, 10 * 1024);
        QVERIFY2(produced.ok(), text(produced));
        auto source = open("retention");
        QVERIFY2(source.ok(), text(source.status()));
        KafkaSource& src = **source;
        auto w = src.queryWatermarks(0, kMetadataTimeoutMs);
        QVERIFY2(w.ok(), text(w.status()));
        QCOMPARE(w->high, int64_t(700));
        QVERIFY2(w->low > 0, "the mock kept everything; nothing to test");
        auto all = src.watermarks(kMetadataTimeoutMs);
        QVERIFY2(all.ok(), text(all.status()));
        QCOMPARE(all->at(0).low, w->low);
        QCOMPARE(all->at(0).high, w->high);

        QVERIFY(src.assign({{0, 0}}).ok());
        Drained lost = drain(src, [](const Drained& x) { return !x.events.empty(); });
        QVERIFY2(lost.failure.ok(), text(lost.failure));
        QCOMPARE(lost.records.size(), size_t(0));
        QCOMPARE(lost.events.size(), size_t(1));
        QCOMPARE(lost.events[0].kind, PartitionEvent::Kind::OffsetOutOfRange);
        QCOMPARE(lost.events[0].partition, 0);
        QCOMPARE(lost.events[0].offset, int64_t(0));

        // From the low watermark everything that is left arrives.
        QVERIFY(src.assign({{0, w->low}}).ok());
        Drained rest = drain(src, [&](const Drained& x) {
            return x.countEvents(PartitionEvent::Kind::PartitionEof) > 0;
        });
        QVERIFY2(rest.failure.ok(), text(rest.failure));
        QCOMPARE(int64_t(rest.records.size()), w->high - w->low);
        QCOMPARE(rest.records.front().offset, w->low);
        QCOMPARE(rest.records.front().value.size(), size_t(10 * 1024));
    }

    void pauseKeepsPosition() {
        QVERIFY(m_broker->createTopic("paused", 2).ok());
        QVERIFY(produce("paused", 2000).ok());
        auto source = open("paused");
        QVERIFY2(source.ok(), text(source.status()));
        KafkaSource& src = **source;
        const auto marks = watermarks(src);
        QCOMPARE(marks.size(), size_t(2));
        QVERIFY(marks.at(0).high > 10 && marks.at(1).high > 10);
        QVERIFY(src.assign({{0, 0}, {1, 0}}).ok());

        // Small polls, so partition 0 is paused part-way through.
        Drained d;
        auto countOf = [](const Drained& x, int32_t p) {
            return size_t(std::count_if(x.records.begin(), x.records.end(),
                                        [p](const Record& r) { return r.partition == p; }));
        };
        drainInto(
            src, d, [&](const Drained& x) { return countOf(x, 0) > 0; }, 5);
        QVERIFY(countOf(d, 0) > 0);
        QVERIFY(src.pause(0).ok());
        const size_t beforePause = countOf(d, 0);
        QVERIFY2(beforePause < size_t(marks.at(0).high), "partition 0 finished before the pause");

        drainInto(src, d, [&](const Drained& x) {
            return x.countEvents(PartitionEvent::Kind::PartitionEof, 1) > 0;
        });
        QCOMPARE(countOf(d, 1), size_t(marks.at(1).high));
        QCOMPARE(countOf(d, 0), beforePause); // nothing from the paused partition

        QVERIFY(src.resume(0).ok());
        drainInto(src, d, [&](const Drained& x) {
            return x.countEvents(PartitionEvent::Kind::PartitionEof, 0) > 0;
        });
        QVERIFY2(d.failure.ok(), text(d.failure));
        std::map<int32_t, int64_t> next;
        for (const Record& r : d.records) {
            QCOMPARE(r.offset, next[r.partition]);
            ++next[r.partition];
        }
        QCOMPARE(next[0], marks.at(0).high);
        QCOMPARE(next[1], marks.at(1).high);
    }

    // A broker outage is not an error of the source: poll() keeps returning ok without data,
    // and the messages arrive once the broker is back.
    void brokerOutageStallsAndRecovers() {
        auto started = MockBroker::start(1);
        QVERIFY2(started.ok(), text(started.status()));
        MockBroker& broker = **started;
        QVERIFY(broker.createTopic("outage", 2).ok());
        ProduceOptions options;
        options.bootstrap = broker.bootstraps();
        options.topic = "outage";
        options.count = 100;
        QVERIFY(producePayments(options).ok());

        KafkaSourceOptions sourceOptions;
        sourceOptions.brokers = broker.bootstraps();
        sourceOptions.topic = "outage";
        auto source = KafkaSource::open(sourceOptions);
        QVERIFY2(source.ok(), text(source.status()));
        KafkaSource& src = **source;
        QVERIFY(broker.setBrokerDown(1, true).ok());
        QVERIFY(src.assign({{0, 0}, {1, 0}}).ok());
        Drained d = drain(src, [&](const Drained&) { return !src.lastConsumerError().empty(); });
        QVERIFY2(d.failure.ok(), text(d.failure));
        QVERIFY(!src.lastConsumerError().empty());
        qInfo("consumer error while the broker was down: %s", src.lastConsumerError().c_str());
        QCOMPARE(d.records.size(), size_t(0));
        QCOMPARE(d.countEvents(PartitionEvent::Kind::Error), size_t(0));

        QVERIFY(broker.setBrokerDown(1, false).ok());
        drainInto(src, d, [](const Drained& x) { return x.records.size() >= 100; });
        QVERIFY2(d.failure.ok(), text(d.failure));
        QCOMPARE(d.records.size(), size_t(100));
    }

    void rejectsBadConfig_data() {
        QTest::addColumn<QString>("config");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("not json") << "fetch.wait.max.ms=5"
                                  << "CONFIG";
        QTest::newRow("nested") << "{\"x\":{\"y\":1}}"
                                << "\"x\"";
        QTest::newRow("unknown property") << "{\"no.such.property\":\"1\"}"
                                          << "'no.such.property'";
        QTest::newRow("bad value") << "{\"fetch.wait.max.ms\":\"soon\"}"
                                   << "'fetch.wait.max.ms'";
        QTest::newRow("managed") << "{\"auto.offset.reset\":\"earliest\"}"
                                 << "'auto.offset.reset'";
    }
    void rejectsBadConfig() {
        QFETCH(QString, config);
        QFETCH(QString, mentions);
        auto source = open("payments", config.toStdString());
        QVERIFY(!source.ok());
        QCOMPARE(source.status().code(), ErrorCode::InvalidArgument);
        QVERIFY2(QString::fromStdString(source.status().message()).contains(mentions),
                 text(source.status()));
    }

    void acceptsGoodConfig() {
        auto source = open("payments", "{\"fetch.wait.max.ms\": 20, \"check.crcs\": true}");
        QVERIFY2(source.ok(), text(source.status()));
        auto parts = (*source)->partitions(kMetadataTimeoutMs);
        QVERIFY2(parts.ok(), text(parts.status()));
    }

    void credentialsNeverInErrors_data() {
        QTest::addColumn<QString>("credentials");
        QTest::newRow("unknown property") << "{\"bogus.password\":\"Sup3rS3cret\"}";
        QTest::newRow("invalid value") << "{\"security.protocol\":\"Sup3rS3cret\"}";
        QTest::newRow("rejected by librdkafka")
            << "{\"security.protocol\":\"sasl_plaintext\",\"sasl.mechanisms\":\"Sup3rS3cret\"}";
        QTest::newRow("unterminated") << "{\"sasl.password\":\"Sup3rS3cret";
        QTest::newRow("nested") << "{\"sasl.password\":{\"v\":\"Sup3rS3cret\"}}";
        QTest::newRow("managed") << "{\"auto.offset.reset\":\"Sup3rS3cret\"}";
    }
    void credentialsNeverInErrors() {
        QFETCH(QString, credentials);
        auto source = open("payments", "{}", credentials.toStdString());
        QVERIFY(!source.ok());
        QCOMPARE(source.status().code(), ErrorCode::InvalidArgument);
        QVERIFY2(source.status().toString().find("Sup3rS3cret") == std::string::npos,
                 text(source.status()));
        QVERIFY2(source.status().message().find("CREDENTIALS") != std::string::npos,
                 text(source.status()));
    }

    // SASL against the mock fails at connect time; what librdkafka says about it reaches us
    // masked.
    void credentialsNeverInConsumerErrors() {
        auto source =
            open("payments", {},
                 "{\"security.protocol\":\"sasl_plaintext\",\"sasl.mechanisms\":\"PLAIN\","
                 "\"sasl.username\":\"Sup3rS3cret-user\",\"sasl.password\":\"Sup3rS3cret\"}");
        QVERIFY2(source.ok(), text(source.status()));
        KafkaSource& src = **source;
        QVERIFY(src.assign({{0, 0}}).ok());
        Drained d = drain(src, [&](const Drained& x) {
            return !src.lastConsumerError().empty() || !x.events.empty();
        });
        QVERIFY2(!src.lastConsumerError().empty() || !d.events.empty(),
                 "SASL against the mock gave no error to check");
        qInfo("consumer error with SASL against the mock: %s", src.lastConsumerError().c_str());
        QVERIFY2(src.lastConsumerError().find("Sup3rS3cret") == std::string::npos,
                 src.lastConsumerError().c_str());
        for (const PartitionEvent& e : d.events)
            QVERIFY2(e.message.find("Sup3rS3cret") == std::string::npos, e.message.c_str());
        auto parts = src.partitions(2000);
        QVERIFY(parts.status().toString().find("Sup3rS3cret") == std::string::npos);
    }

    void cleanupTestCase() { m_broker.reset(); }
};

QTEST_APPLESS_MAIN(KafkaSourceTest)
#include "tst_KafkaSource.moc"
