// `sluicectl broker` and `sluicectl produce` as processes: the broker serves over loopback, what
// produce reports is really in the topic (read back with KafkaSource and, when installed, kcat).
#include "source/KafkaSource.h"

#include <QFile>
#include <QProcess>
#include <QTest>

#include <chrono>
#include <csignal>
#include <set>
#include <sys/types.h>

using namespace sluice;
using namespace sluice::source;

namespace {

constexpr int kBoundMs = 30000;
const QString kCtl = QStringLiteral(SLUICECTL_PATH);

struct Run {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

Run runCtl(const QStringList& args, int boundMs = 60000) {
    QProcess p;
    p.start(kCtl, args);
    Run r;
    if (!p.waitForFinished(boundMs)) {
        p.kill();
        p.waitForFinished();
        r.err = "timed out";
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

QByteArray lastLine(const QByteArray& out) {
    return out.trimmed().split('\n').last();
}

// The first stdout line of a running process; empty if it ends or stays silent too long.
QByteArray firstLine(QProcess& p) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kBoundMs);
    while (!p.canReadLine() && p.state() == QProcess::Running &&
           std::chrono::steady_clock::now() < deadline)
        p.waitForReadyRead(100);
    return p.canReadLine() ? p.readLine().trimmed() : QByteArray();
}

// Reads every message of topic from offset 0 until each partition reports its end.
std::vector<std::string> readTopic(const std::string& bootstrap, const std::string& topic,
                                   size_t partitionsExpected) {
    std::vector<std::string> values;
    KafkaSourceOptions options;
    options.brokers = bootstrap;
    options.topic = topic;
    auto source = KafkaSource::open(options);
    if (!source)
        return values;
    auto parts = (*source)->partitions(10000);
    if (!parts || parts->size() != partitionsExpected)
        return values;
    std::map<int32_t, int64_t> from;
    for (int32_t p : *parts)
        from[p] = 0;
    if (!(*source)->assign(from).ok())
        return values;
    std::set<int32_t> ended;
    std::vector<KafkaMessage> batch;
    std::vector<PartitionEvent> events;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kBoundMs);
    while (ended.size() < from.size() && std::chrono::steady_clock::now() < deadline) {
        batch.clear();
        events.clear();
        if (!(*source)->poll(batch, 1000, 100, events).ok())
            break;
        for (const KafkaMessage& m : batch)
            values.emplace_back(m.value());
        for (const PartitionEvent& e : events) {
            if (e.kind == PartitionEvent::Kind::PartitionEof)
                ended.insert(e.partition);
        }
    }
    return values;
}

} // namespace

class BrokerCliTest : public QObject {
    Q_OBJECT

    QProcess m_broker;
    std::string m_bootstrap;

private slots:
    void initTestCase() {
        QVERIFY2(QFile::exists(kCtl), qPrintable(kCtl));
        m_broker.start(kCtl,
                       {"broker", "--topic", "payments:3", "--topic", "json", "--brokers", "2"});
        QVERIFY(m_broker.waitForStarted(kBoundMs));
        const QByteArray line = firstLine(m_broker);
        QVERIFY2(line.startsWith("bootstrap=127.0.0.1:"), line.constData());
        m_bootstrap = line.mid(int(qstrlen("bootstrap="))).toStdString();
        QCOMPARE(QByteArray::fromStdString(m_bootstrap).count(','), 1); // two brokers
    }

    void producesCsvThatIsReallyThere() {
        const Run r = runCtl({"produce", "--bootstrap", QString::fromStdString(m_bootstrap),
                              "--topic", "payments", "--count", "2500"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(lastLine(r.out), QByteArray("produced=2500"));

        const auto values = readTopic(m_bootstrap, "payments", 3);
        QCOMPARE(values.size(), size_t(2500));
        std::set<int64_t> ids;
        for (const std::string& v : values) {
            const QList<QByteArray> fields = QByteArray::fromStdString(v).split(',');
            QCOMPARE(fields.size(), 4);
            QVERIFY(ids.insert(fields[0].toLongLong()).second);
            QVERIFY(fields[1].startsWith("user-"));
            QVERIFY(fields[2].toLongLong() >= 1);
            QVERIFY(fields[3].toLongLong() > 1600000000000LL); // epoch ms
        }
        QCOMPARE(*ids.begin(), int64_t(1));
        QCOMPARE(*ids.rbegin(), int64_t(2500));
    }

    void producesJsonWithRateAndStartId() {
        const Run r = runCtl({"produce", "--bootstrap", QString::fromStdString(m_bootstrap),
                              "--topic", "json", "--count", "40", "--rate", "200", "--format",
                              "json", "--start-id", "1001"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(lastLine(r.out), QByteArray("produced=40"));

        const auto values = readTopic(m_bootstrap, "json", 4); // default partition count
        QCOMPARE(values.size(), size_t(40));
        std::set<int64_t> ids;
        for (const std::string& v : values) {
            auto fields = parseFlatJsonObject(v);
            QVERIFY2(fields.ok(), v.c_str());
            QCOMPARE(fields->size(), size_t(4));
            ids.insert(std::stoll(fields->at("id")));
        }
        QCOMPARE(ids.size(), size_t(40));
        QCOMPARE(*ids.begin(), int64_t(1001));
        QCOMPARE(*ids.rbegin(), int64_t(1040));
    }

    // Topics nobody created are auto-created by the mock with 4 partitions.
    void autoCreatesTopics() {
        const Run r = runCtl({"produce", "--bootstrap", QString::fromStdString(m_bootstrap),
                              "--topic", "adhoc", "--count", "10"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(lastLine(r.out), QByteArray("produced=10"));
        QCOMPARE(readTopic(m_bootstrap, "adhoc", 4).size(), size_t(10));
    }

    // Any Kafka client reaches the broker over loopback, not only librdkafka in-process.
    void kcatReadsTheTopic() {
        if (!QFile::exists("/usr/bin/kcat"))
            QSKIP("kcat is not installed");
        const Run produced = runCtl({"produce", "--bootstrap", QString::fromStdString(m_bootstrap),
                                     "--topic", "forkcat", "--count", "300", "--format", "json"});
        QVERIFY2(produced.exitCode == 0, produced.err.constData());
        QCOMPARE(lastLine(produced.out), QByteArray("produced=300"));

        QProcess kcat;
        kcat.start("/usr/bin/kcat",
                   {"-C", "-b", QString::fromStdString(m_bootstrap), "-t", "forkcat", "-e", "-q"});
        QVERIFY(kcat.waitForFinished(kBoundMs));
        QCOMPARE(kcat.exitCode(), 0);
        const QList<QByteArray> lines = kcat.readAllStandardOutput().trimmed().split('\n');
        QCOMPARE(lines.size(), 300);
        std::set<QByteArray> ids;
        for (const QByteArray& line : lines) {
            QVERIFY2(line.startsWith("{\"id\":"), line.constData());
            ids.insert(line.mid(6, line.indexOf(',') - 6));
        }
        QCOMPARE(ids.size(), size_t(300));
    }

    void rejectsBadArguments_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("zero partitions") << QStringList{"broker", "--topic", "x:0"} << "x:0";
        QTest::newRow("bad partitions") << QStringList{"broker", "--topic", "x:abc"} << "x:abc";
        QTest::newRow("no topic name") << QStringList{"broker", "--topic", ":3"} << "name";
        QTest::newRow("too many brokers") << QStringList{"broker", "--brokers", "9"} << "--brokers";
        QTest::newRow("no brokers") << QStringList{"broker", "--brokers", "0"} << "--brokers";
        QTest::newRow("duplicate topic")
            << QStringList{"broker", "--topic", "t", "--topic", "t:2"} << "already exists";
        QTest::newRow("broker unknown flag") << QStringList{"broker", "--bogus"} << "--bogus";
        QTest::newRow("produce no bootstrap")
            << QStringList{"produce", "--topic", "t"} << "--bootstrap";
        QTest::newRow("produce no topic")
            << QStringList{"produce", "--bootstrap", "127.0.0.1:1"} << "--topic";
        QTest::newRow("produce bad format")
            << QStringList{"produce", "--bootstrap", "b:1", "--topic", "t", "--format", "xml"}
            << "xml";
        QTest::newRow("produce bad rate")
            << QStringList{"produce", "--bootstrap", "b:1", "--topic", "t", "--rate", "0"}
            << "--rate";
        QTest::newRow("produce bad count")
            << QStringList{"produce", "--bootstrap", "b:1", "--topic", "t", "--count", "ten"}
            << "--count";
    }
    void rejectsBadArguments() {
        QFETCH(QStringList, args);
        QFETCH(QString, mentions);
        const Run r = runCtl(args);
        QCOMPARE(r.exitCode, 1);
        QVERIFY(r.out.isEmpty());
        QVERIFY2(r.err.startsWith("error: "), r.err.constData());
        QVERIFY2(QString::fromUtf8(r.err).contains(mentions), r.err.constData());
    }

    // Nothing listens on port 1: produce gives up after a bounded wait.
    void produceFailsWhenBrokerUnreachable() {
        const Run r =
            runCtl({"produce", "--bootstrap", "127.0.0.1:1", "--topic", "t", "--count", "5"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY(!r.out.contains("produced="));
        QVERIFY2(r.err.contains("error: "), r.err.constData());
        QVERIFY2(r.err.contains("127.0.0.1:1"), r.err.constData());
    }

    void brokerStopsCleanlyOnSigterm() {
        QCOMPARE(m_broker.state(), QProcess::Running);
        m_broker.terminate(); // SIGTERM
        QVERIFY(m_broker.waitForFinished(kBoundMs));
        QCOMPARE(m_broker.exitStatus(), QProcess::NormalExit);
        QCOMPARE(m_broker.exitCode(), 0);
    }

    void brokerStopsCleanlyOnSigint() {
        QProcess broker;
        broker.start(kCtl, {"broker"});
        QVERIFY(broker.waitForStarted(kBoundMs));
        QVERIFY(firstLine(broker).startsWith("bootstrap=127.0.0.1:"));
        ::kill(pid_t(broker.processId()), SIGINT);
        QVERIFY(broker.waitForFinished(kBoundMs));
        QCOMPARE(broker.exitStatus(), QProcess::NormalExit);
        QCOMPARE(broker.exitCode(), 0);
        QVERIFY(broker.readAllStandardOutput().trimmed().isEmpty()); // exactly one line
    }

    void cleanupTestCase() {
        if (m_broker.state() != QProcess::NotRunning) {
            m_broker.kill();
            m_broker.waitForFinished();
        }
    }
};

QTEST_GUILESS_MAIN(BrokerCliTest)
#include "tst_BrokerCli.moc"
