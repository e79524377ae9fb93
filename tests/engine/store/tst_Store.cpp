// Store: opening and creating store folders, shard counts, refusal of folders that are not
// stores, and the runner lock (one pipeline runner per store; readers never refused).
#include "store/SqlSession.h"
#include "store/Store.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <filesystem>
#include <string>

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace sluice;
using namespace sluice::store;

namespace {

int shardFilesIn(const QString& dir) {
    return int(QDir(dir).entryList({"shard-*.db"}, QDir::Files).size());
}

// A child process that holds the runner lock until it is killed.
class LockHolder {
public:
    bool start(const Store& store) {
        int ready[2];
        if (::pipe(ready) != 0)
            return false;
        m_pid = ::fork();
        if (m_pid < 0)
            return false;
        if (m_pid == 0) {
            ::close(ready[0]);
            auto lock = RunnerLock::acquire(store, "test child");
            char c = lock.ok() ? 'y' : 'n';
            if (::write(ready[1], &c, 1) != 1)
                ::_exit(2);
            ::close(ready[1]);
            while (true)
                ::pause();
        }
        ::close(ready[1]);
        char c = 0;
        ssize_t n = ::read(ready[0], &c, 1);
        ::close(ready[0]);
        return n == 1 && c == 'y';
    }
    pid_t pid() const { return m_pid; }
    void kill() {
        if (m_pid > 0) {
            ::kill(m_pid, SIGKILL);
            int status = 0;
            ::waitpid(m_pid, &status, 0);
            m_pid = -1;
        }
    }
    ~LockHolder() { kill(); }

private:
    pid_t m_pid = -1;
};

} // namespace

class TestStore : public QObject {
    Q_OBJECT

private slots:
    void createsWithShardCount_data();
    void createsWithShardCount();
    void shardsOutOfRange_data();
    void shardsOutOfRange();
    void existingStoreKeepsShardCount();
    void emptyExistingFolderBecomesStore();
    void nonEmptyFolderIsRefused();
    void regularFileIsRefused();
    void missingStoreWithoutCreate();
    void runnerLockInProcess();
    void runnerLockHeldByChild();
    void readersNotRefusedWhileLocked();
};

void TestStore::createsWithShardCount_data() {
    QTest::addColumn<int>("requested");
    QTest::addColumn<int>("expected");
    QTest::newRow("default") << 0 << kDefaultShards;
    QTest::newRow("1") << 1 << 1;
    QTest::newRow("3") << 3 << 3;
    QTest::newRow("8") << 8 << 8;
}

void TestStore::createsWithShardCount() {
    QFETCH(int, requested);
    QFETCH(int, expected);
    QTemporaryDir tmp;
    const QString dir = tmp.path() + "/store";
    auto s = Store::open(dir.toStdString(), {requested, true});
    QVERIFY2(s.ok(), s.status().message().c_str());
    QCOMPARE((*s)->shardCount(), expected);
    QVERIFY(!(*s)->shardCountIgnored());
    QVERIFY(QFile::exists(dir + "/catalog.db"));
    QCOMPARE(shardFilesIn(dir), expected);
    for (int i = 0; i < expected; ++i)
        QVERIFY(QFile::exists(QString::fromStdString((*s)->shardPath(i))));
    QCOMPARE(QString::fromStdString((*s)->shardPath(0)), dir + "/shard-00.db");
}

void TestStore::shardsOutOfRange_data() {
    QTest::addColumn<int>("shards");
    QTest::newRow("9") << 9;
    QTest::newRow("-1") << -1;
    QTest::newRow("100") << 100;
}

void TestStore::shardsOutOfRange() {
    QFETCH(int, shards);
    QTemporaryDir tmp;
    const QString dir = tmp.path() + "/store";
    auto s = Store::open(dir.toStdString(), {shards, true});
    QVERIFY(!s.ok());
    QCOMPARE(s.status().code(), ErrorCode::InvalidArgument);
    const QString msg = QString::fromStdString(s.status().message());
    QVERIFY2(msg.contains("1 and 8") && msg.contains(QString::number(shards)), qPrintable(msg));
    QVERIFY2(!QFileInfo::exists(dir), "a refused store must not be created");
}

void TestStore::existingStoreKeepsShardCount() {
    QTemporaryDir tmp;
    const std::string dir = (tmp.path() + "/store").toStdString();
    {
        auto s = Store::open(dir, {2, true});
        QVERIFY2(s.ok(), s.status().message().c_str());
        QCOMPARE((*s)->shardCount(), 2);
    }
    auto again = Store::open(dir, {6, true});
    QVERIFY2(again.ok(), again.status().message().c_str());
    QCOMPARE((*again)->shardCount(), 2);
    QVERIFY((*again)->shardCountIgnored());
    QCOMPARE(shardFilesIn(tmp.path() + "/store"), 2);

    auto same = Store::open(dir, {2, true});
    QVERIFY(same.ok());
    QVERIFY(!(*same)->shardCountIgnored());
    auto dflt = Store::open(dir);
    QVERIFY(dflt.ok());
    QCOMPARE((*dflt)->shardCount(), 2);
    QVERIFY(!(*dflt)->shardCountIgnored());
    // Opening an existing store with create=false works too.
    auto noCreate = Store::open(dir, {0, false});
    QVERIFY(noCreate.ok());
    QCOMPARE((*noCreate)->shardCount(), 2);
    // A trailing slash names the same store.
    auto slash = Store::open(dir + "/", {});
    QVERIFY(slash.ok());
    QCOMPARE((*slash)->shardCount(), 2);
    QCOMPARE((*slash)->dir(), (*dflt)->dir());
}

void TestStore::emptyExistingFolderBecomesStore() {
    QTemporaryDir tmp;
    auto s = Store::open(tmp.path().toStdString(), {3, true});
    QVERIFY2(s.ok(), s.status().message().c_str());
    QCOMPARE((*s)->shardCount(), 3);
    QVERIFY(QFile::exists(tmp.path() + "/catalog.db"));
}

void TestStore::nonEmptyFolderIsRefused() {
    QTemporaryDir tmp;
    {
        QFile f(tmp.path() + "/notes.txt");
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("not a store\n");
    }
    auto s = Store::open(tmp.path().toStdString(), {});
    QVERIFY(!s.ok());
    QCOMPARE(s.status().code(), ErrorCode::InvalidArgument);
    const QString msg = QString::fromStdString(s.status().message());
    QVERIFY2(msg.contains("not a Sluice store") && msg.contains(tmp.path()), qPrintable(msg));
    QVERIFY2(!QFile::exists(tmp.path() + "/catalog.db"), "nothing may be written into it");
    QCOMPARE(shardFilesIn(tmp.path()), 0);
}

void TestStore::regularFileIsRefused() {
    QTemporaryDir tmp;
    const QString path = tmp.path() + "/file.db";
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("x");
    }
    auto s = Store::open(path.toStdString(), {});
    QVERIFY(!s.ok());
    QCOMPARE(s.status().code(), ErrorCode::InvalidArgument);
    const QString msg = QString::fromStdString(s.status().message());
    QVERIFY2(msg.contains(path) && msg.contains("not a folder"), qPrintable(msg));
    QCOMPARE(QFileInfo(path).size(), 1); // untouched
}

void TestStore::missingStoreWithoutCreate() {
    QTemporaryDir tmp;
    const QString dir = tmp.path() + "/nothing";
    auto s = Store::open(dir.toStdString(), {0, false});
    QVERIFY(!s.ok());
    QCOMPARE(s.status().code(), ErrorCode::NotFound);
    QVERIFY(!QFileInfo::exists(dir));
}

void TestStore::runnerLockInProcess() {
    QTemporaryDir tmp;
    auto s = Store::open(tmp.path().toStdString(), {});
    QVERIFY(s.ok());
    const Store& store = **s;
    QVERIFY(!RunnerLock::isHeld(store));

    auto first = RunnerLock::acquire(store, "first runner");
    QVERIFY2(first.ok(), first.status().message().c_str());
    int pid = 0;
    QVERIFY(RunnerLock::isHeld(store, &pid));
    QCOMPARE(pid, int(::getpid()));

    auto second = RunnerLock::acquire(store, "second runner");
    QVERIFY(!second.ok());
    QCOMPARE(second.status().code(), ErrorCode::Locked);
    const QString msg = QString::fromStdString(second.status().message());
    QVERIFY2(msg.contains(QString("pid %1").arg(::getpid())), qPrintable(msg));
    QVERIFY2(msg.contains("first runner"), qPrintable(msg));
    QVERIFY2(msg.contains(QString::fromStdString(store.dir())), qPrintable(msg));
    // The refused attempt does not disturb the holder.
    QVERIFY(RunnerLock::isHeld(store, &pid));
    QCOMPARE(pid, int(::getpid()));

    first = Status(ErrorCode::Cancelled, "released"); // destroys the lock
    QVERIFY(!RunnerLock::isHeld(store));
    auto third = RunnerLock::acquire(store, "third runner");
    QVERIFY2(third.ok(), third.status().message().c_str());
}

void TestStore::runnerLockHeldByChild() {
    QTemporaryDir tmp;
    auto s = Store::open(tmp.path().toStdString(), {});
    QVERIFY(s.ok());
    const Store& store = **s;
    LockHolder child;
    QVERIFY(child.start(store));
    int pid = 0;
    QVERIFY(RunnerLock::isHeld(store, &pid));
    QCOMPARE(pid, int(child.pid()));
    auto mine = RunnerLock::acquire(store, "parent");
    QVERIFY(!mine.ok());
    QCOMPARE(mine.status().code(), ErrorCode::Locked);
    const QString msg = QString::fromStdString(mine.status().message());
    QVERIFY2(msg.contains(QString("pid %1").arg(child.pid())) && msg.contains("test child"),
             qPrintable(msg));
    // The lock dies with its process (SIGKILL: no clean-up code runs).
    child.kill();
    QVERIFY(!RunnerLock::isHeld(store));
    auto after = RunnerLock::acquire(store, "parent");
    QVERIFY2(after.ok(), after.status().message().c_str());
}

void TestStore::readersNotRefusedWhileLocked() {
    QTemporaryDir tmp;
    auto s = Store::open(tmp.path().toStdString(), {});
    QVERIFY(s.ok());
    LockHolder child;
    QVERIFY(child.start(**s));
    QVERIFY(RunnerLock::isHeld(**s));
    // Opening the store again and querying it works while another process holds the lock.
    auto again = Store::open(tmp.path().toStdString(), {});
    QVERIFY2(again.ok(), again.status().message().c_str());
    auto session = SqlSession::open(*again);
    QVERIFY2(session.ok(), session.status().message().c_str());
    auto r = (*session)->execute("CREATE TABLE t (id INTEGER, SHARD KEY (id))");
    QVERIFY2(r.ok(), r.status().message().c_str());
    r = (*session)->execute("INSERT INTO t VALUES (1), (2), (3)");
    QVERIFY2(r.ok(), r.status().message().c_str());
    r = (*session)->execute("SELECT count(*) FROM t");
    QVERIFY2(r.ok(), r.status().message().c_str());
    QCOMPARE(r->rows.at(0).at(0).i, int64_t(3));
    r = (*session)->execute("SELECT count(*) FROM information_schema.PIPELINES");
    QVERIFY2(r.ok(), r.status().message().c_str());
    QVERIFY(RunnerLock::isHeld(**s));
}

QTEST_APPLESS_MAIN(TestStore)
#include "tst_Store.moc"
