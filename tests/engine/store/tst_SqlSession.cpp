// SqlSession: the shard layer. Every test works on a fresh store in a QTemporaryDir and checks
// the shard files directly with its own SQLite connections, so what is asserted is where rows
// really live, not only what the union views show.
#include "store/ShardRouter.h"
#include "store/SqlSession.h"
#include "store/Store.h"

#include <sqlite3.h>

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

using namespace sluice;
using namespace sluice::store;

namespace {

struct DbCloser {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Db = std::unique_ptr<sqlite3, DbCloser>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// A result set as comparable text: column names, then rows of type-tagged values.
struct Rows {
    bool ok = false;
    std::string error;
    std::vector<std::string> columns;
    std::vector<std::vector<std::string>> rows;
};

std::string tagged(int type, const std::string& text, int64_t i, double d) {
    char buf[48];
    switch (type) {
    case SQLITE_INTEGER:
        return "i:" + std::to_string(i);
    case SQLITE_FLOAT:
        std::snprintf(buf, sizeof buf, "r:%.17g", d);
        return buf;
    case SQLITE_TEXT:
        return "t:" + text;
    case SQLITE_BLOB:
        return "b:" + text;
    default:
        return "null";
    }
}

std::string tagged(const Value& v) {
    switch (v.type) {
    case Value::Type::Integer:
        return tagged(SQLITE_INTEGER, {}, v.i, 0);
    case Value::Type::Real:
        return tagged(SQLITE_FLOAT, {}, 0, v.d);
    case Value::Type::Text:
        return tagged(SQLITE_TEXT, v.s, 0, 0);
    case Value::Type::Blob:
        return tagged(SQLITE_BLOB, v.s, 0, 0);
    case Value::Type::Null:
        break;
    }
    return "null";
}

Rows query(sqlite3* db, const std::string& sql) {
    Rows out;
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) {
        out.error = sqlite3_errmsg(db);
        return out;
    }
    StmtPtr st(raw);
    const int n = sqlite3_column_count(raw);
    for (int c = 0; c < n; ++c)
        out.columns.emplace_back(sqlite3_column_name(raw, c));
    int rc;
    while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
        std::vector<std::string> row;
        for (int c = 0; c < n; ++c) {
            const int type = sqlite3_column_type(raw, c);
            std::string text;
            if (type == SQLITE_TEXT || type == SQLITE_BLOB)
                text.assign(static_cast<const char*>(sqlite3_column_blob(raw, c)),
                            size_t(sqlite3_column_bytes(raw, c)));
            row.push_back(
                tagged(type, text, sqlite3_column_int64(raw, c), sqlite3_column_double(raw, c)));
        }
        out.rows.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) {
        out.error = sqlite3_errmsg(db);
        return out;
    }
    out.ok = true;
    return out;
}

Db openFile(const std::string& path) {
    sqlite3* raw = nullptr;
    sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    Db db(raw);
    sqlite3_busy_timeout(raw, 5000);
    return db;
}

int64_t scalar(const std::string& path, const std::string& sql) {
    Db db = openFile(path);
    Rows r = query(db.get(), sql);
    if (!r.ok || r.rows.empty() || r.rows[0].empty() || r.rows[0][0].rfind("i:", 0) != 0)
        return -1;
    return std::stoll(r.rows[0][0].substr(2));
}

bool execFile(const std::string& path, const std::string& sql) {
    Db db = openFile(path);
    return sqlite3_exec(db.get(), sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
}

Rows fromResult(const Result<ExecResult>& r) {
    Rows out;
    if (!r.ok()) {
        out.error = r.status().message();
        return out;
    }
    out.ok = true;
    out.columns = r->columns;
    for (auto& row : r->rows) {
        std::vector<std::string> v;
        for (auto& x : row)
            v.push_back(tagged(x));
        out.rows.push_back(std::move(v));
    }
    return out;
}

QString describe(const Rows& r, size_t maxRows = 5) {
    QString s = QString::fromStdString(r.error) + " [";
    for (auto& c : r.columns)
        s += QString::fromStdString(c) + ",";
    s += "] ";
    for (size_t i = 0; i < r.rows.size() && i < maxRows; ++i) {
        s += "(";
        for (auto& v : r.rows[i])
            s += QString::fromStdString(v) + " ";
        s += ") ";
    }
    return s + QString("... %1 rows").arg(r.rows.size());
}

// A fresh store with an open session.
struct Fixture {
    QTemporaryDir tmp;
    std::shared_ptr<Store> store;
    std::unique_ptr<SqlSession> session;
    QString error;

    explicit Fixture(int shards = 4) {
        auto s = Store::open((tmp.path() + "/store").toStdString(), {shards, true});
        if (!s.ok()) {
            error = QString::fromStdString(s.status().message());
            return;
        }
        store = *s;
        auto ss = SqlSession::open(store);
        if (!ss.ok()) {
            error = QString::fromStdString(ss.status().message());
            return;
        }
        session = std::move(*ss);
    }
    bool ok() const { return session != nullptr; }
    std::string shard(int i) const { return store->shardPath(i); }
    int64_t shardCount(int i, const std::string& table) const {
        return scalar(shard(i), "SELECT count(*) FROM \"" + table + "\"");
    }
    bool shardHas(int i, const std::string& type, const std::string& name) const {
        return scalar(shard(i), "SELECT count(*) FROM sqlite_master WHERE type = '" + type +
                                    "' AND name = '" + name + "'") == 1;
    }
};

#define FIXTURE(f, n)                                                                              \
    Fixture f(n);                                                                                  \
    QVERIFY2(f.ok(), qPrintable(f.error))

#define EXEC(f, sql)                                                                               \
    [&] {                                                                                          \
        auto r_ = (f).session->execute(sql);                                                       \
        if (!r_.ok())                                                                              \
            qWarning("statement failed: %s: %s", std::string(sql).c_str(),                         \
                     r_.status().message().c_str());                                               \
        return r_;                                                                                 \
    }()

#define EXEC_OK(f, sql)                                                                            \
    do {                                                                                           \
        auto r_ = (f).session->execute(sql);                                                       \
        QVERIFY2(r_.ok(), qPrintable(QString::fromStdString(std::string(sql) + " -> " +            \
                                                            r_.status().message())));              \
    } while (0)

int64_t count(Fixture& f, const std::string& sql) {
    auto r = f.session->execute(sql);
    if (!r.ok() || r->rows.empty() || r->rows[0].empty() ||
        r->rows[0][0].type != Value::Type::Integer)
        return -1;
    return r->rows[0][0].i;
}

// ---- the oracle data set -------------------------------------------------------------------

struct DataSet {
    std::vector<std::string> ddlStore;
    std::vector<std::string> ddlOracle;
    std::vector<std::string> inserts;
};

DataSet makeDataSet() {
    DataSet d;
    d.ddlStore = {
        "CREATE REFERENCE TABLE regions (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
        "CREATE TABLE customers (id INTEGER NOT NULL, name TEXT, region_id INTEGER, score REAL, "
        "PRIMARY KEY (id), SHARD KEY (id))",
        "CREATE TABLE orders (order_id INTEGER NOT NULL, customer_id INTEGER NOT NULL, "
        "amount INTEGER, note TEXT, SHARD KEY (customer_id))",
    };
    d.ddlOracle = {
        "CREATE TABLE regions (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
        "CREATE TABLE customers (id INTEGER NOT NULL, name TEXT, region_id INTEGER, score REAL, "
        "PRIMARY KEY (id))",
        "CREATE TABLE orders (order_id INTEGER NOT NULL, customer_id INTEGER NOT NULL, "
        "amount INTEGER, note TEXT)",
    };
    std::mt19937 rng(20240611);
    auto pick = [&](int lo, int hi) { return lo + int(rng() % unsigned(hi - lo + 1)); };
    std::string regions = "INSERT INTO regions VALUES ";
    const char* names[] = {"north", "south", "east", "west", "centre", "islands", "coast", "hills"};
    for (int i = 1; i <= 8; ++i)
        regions +=
            std::string(i > 1 ? ", " : "") + "(" + std::to_string(i) + ", '" + names[i - 1] + "')";
    d.inserts.push_back(regions);
    // 500 customers; scores are multiples of 1/4 so sums are exact in any order.
    const int kCustomers = 500;
    for (int start = 1; start <= kCustomers; start += 100) {
        std::string s = "INSERT INTO customers (id, name, region_id, score) VALUES ";
        for (int id = start; id < start + 100; ++id) {
            const int region = pick(0, 9); // 9 has no region row, 0 is NULL
            const int score = pick(0, 400);
            s += std::string(id > start ? ", " : "") + "(" + std::to_string(id) + ", 'cust" +
                 std::to_string(pick(0, 999)) + "', " +
                 (region == 0 ? std::string("NULL") : std::to_string(region)) + ", " +
                 (score == 0 ? std::string("NULL") : std::to_string(score / 4.0)) + ")";
        }
        d.inserts.push_back(s);
    }
    // 1500 orders over customers 1..520 (some customers have none; ids above 500 have no
    // customer row).
    int orderId = 1;
    for (int batch = 0; batch < 15; ++batch) {
        std::string s = "INSERT INTO orders VALUES ";
        for (int k = 0; k < 100; ++k, ++orderId) {
            const int cust = pick(1, 520);
            const int amount = pick(0, 1000);
            const int note = pick(0, 5);
            s += std::string(k ? ", " : "") + "(" + std::to_string(orderId) + ", " +
                 std::to_string(cust) + ", " +
                 (amount == 1000 ? std::string("NULL") : std::to_string(amount)) + ", " +
                 (note == 0 ? std::string("NULL") : "'note " + std::to_string(note) + "'") + ")";
        }
        d.inserts.push_back(s);
    }
    return d;
}

} // namespace

class TestSqlSession : public QObject {
    Q_OBJECT

private slots:
    void createTableInEveryShard();
    void rowsRoutedByShardKey();
    void primaryKeyIsFallbackShardKey();
    void autoAssignedIntegerPrimaryKey();
    void roundRobinWithoutKeys();
    void unionReadsMatchOracle_data();
    void unionReadsMatchOracle();
    void referenceTableCopiedToEveryShard();
    void updateAndDeleteReachEveryShard_data();
    void updateAndDeleteReachEveryShard();
    void updateOfShardKeyRefused_data();
    void updateOfShardKeyRefused();
    void updateMentioningShardKeyOutsideTargets();
    void dropTableReachesEveryShard();
    void alterTableAddColumnReachesEveryShard();
    void alterTableRenameReachesEveryShard();
    void createIndexOnEveryShard();
    void createViewSurvivesNewSession();
    void failedInsertKeepsNothing_data();
    void failedInsertKeepsNothing();
    void failedAlterNotPartiallyApplied();
    void failedCreateNotPartiallyApplied();
    void syntaxErrorNamesToken_data();
    void syntaxErrorNamesToken();
    void shardKeyMissingColumn();
    void primaryKeyMustContainShardKey();
    void pipelinesViewExistsAndIsEmpty();
    void secondSessionSeesNewTable();
};

void TestSqlSession::createTableInEveryShard() {
    FIXTURE(f, 4);
    auto r = EXEC(f, "CREATE TABLE events (id INTEGER, user TEXT, v INTEGER, SHARD KEY (user))");
    QVERIFY(r.ok());
    QVERIFY(!r->hasResultSet);
    for (int i = 0; i < 4; ++i)
        QVERIFY2(f.shardHas(i, "table", "events"), qPrintable(QString("shard %1").arg(i)));
    QVERIFY(!QFile::exists(QString::fromStdString(f.store->shardPath(4))));
    auto tables = f.session->tables();
    QVERIFY(tables.ok());
    QCOMPARE(int(tables->size()), 1);
    QCOMPARE(QString::fromStdString(tables->at(0).name), QString("events"));
    QVERIFY(tables->at(0).kind == TableKind::Sharded);
    QCOMPARE(tables->at(0).shardKey, std::vector<std::string>{"user"});
    // Creating it twice is an error; IF NOT EXISTS is not.
    QVERIFY(!f.session->execute("CREATE TABLE events (x INTEGER)").ok());
    EXEC_OK(f, "CREATE TABLE IF NOT EXISTS events (x INTEGER)");
    QCOMPARE(count(f, "SELECT count(*) FROM events"), int64_t(0));
}

void TestSqlSession::rowsRoutedByShardKey() {
    FIXTURE(f, 4);
    EXEC_OK(f, "CREATE TABLE events (id INTEGER, user TEXT, v INTEGER, SHARD KEY (user))");
    std::string ins = "INSERT INTO events VALUES ";
    for (int i = 0; i < 400; ++i) {
        char user[32];
        std::snprintf(user, sizeof user, "user-%04d", i % 100 + 1);
        ins += std::string(i ? ", " : "") + "(" + std::to_string(i) + ", '" + user + "', " +
               std::to_string(i * 3) + ")";
    }
    auto r = EXEC(f, ins);
    QVERIFY(r.ok());
    QCOMPARE(r->changes, int64_t(400));
    QCOMPARE(count(f, "SELECT count(*) FROM events"), int64_t(400));
    std::map<std::string, std::set<int>> shardsOfUser;
    int64_t total = 0;
    for (int s = 0; s < 4; ++s) {
        const int64_t n = f.shardCount(s, "events");
        QVERIFY2(n > 0, qPrintable(QString("shard %1 has no rows").arg(s)));
        total += n;
        Db db = openFile(f.shard(s));
        Rows users = query(db.get(), "SELECT DISTINCT user FROM events");
        QVERIFY(users.ok);
        for (auto& u : users.rows) {
            const std::string user = u[0].substr(2);
            shardsOfUser[user].insert(s);
            // Placement is the documented hash, the one pipelines use for text fields.
            KeyHash h;
            h.addText(user, Affinity::Text);
            QCOMPARE(h.shard(4), s);
        }
    }
    QCOMPARE(total, int64_t(400));
    QCOMPARE(int(shardsOfUser.size()), 100);
    for (auto& [user, shards] : shardsOfUser)
        QVERIFY2(shards.size() == 1, user.c_str());
    // Routing also holds for single-row inserts and INSERT ... SELECT.
    EXEC_OK(f, "INSERT INTO events (id, user, v) VALUES (1000, 'user-0001', 1)");
    EXEC_OK(f, "CREATE TABLE copy (id INTEGER, user TEXT, v INTEGER, SHARD KEY (user))");
    r = EXEC(f, "INSERT INTO copy SELECT * FROM events WHERE v % 2 = 0");
    QVERIFY(r.ok());
    QCOMPARE(r->changes, count(f, "SELECT count(*) FROM events WHERE v % 2 = 0"));
    KeyHash one;
    one.addText("user-0001", Affinity::Text);
    QCOMPARE(scalar(f.shard(one.shard(4)), "SELECT count(*) FROM events WHERE user = 'user-0001'"),
             int64_t(5));
    for (int s = 0; s < 4; ++s) {
        Db db = openFile(f.shard(s));
        Rows users = query(db.get(), "SELECT DISTINCT user FROM copy");
        for (auto& u : users.rows) {
            KeyHash h;
            h.addText(u[0].substr(2), Affinity::Text);
            QCOMPARE(h.shard(4), s);
        }
    }
}

void TestSqlSession::primaryKeyIsFallbackShardKey() {
    FIXTURE(f, 4);
    EXEC_OK(f, "CREATE TABLE p (id INTEGER PRIMARY KEY, v TEXT)");
    EXEC_OK(f, "CREATE TABLE q (a TEXT, b INTEGER, v TEXT, PRIMARY KEY (a, b))");
    auto tables = f.session->tables();
    QVERIFY(tables.ok());
    std::map<std::string, std::vector<std::string>> keys;
    for (auto& t : *tables)
        keys[t.name] = t.shardKey;
    QCOMPARE(keys["p"], std::vector<std::string>{"id"});
    QCOMPARE(keys["q"], (std::vector<std::string>{"a", "b"}));

    std::string ins = "INSERT INTO p VALUES ";
    std::string insq = "INSERT INTO q VALUES ";
    for (int i = 1; i <= 200; ++i) {
        ins += std::string(i > 1 ? ", " : "") + "(" + std::to_string(i) + ", 'v')";
        insq += std::string(i > 1 ? ", " : "") + "('k" + std::to_string(i % 7) + "', " +
                std::to_string(i) + ", 'v')";
    }
    EXEC_OK(f, ins);
    EXEC_OK(f, insq);
    for (int s = 0; s < 4; ++s) {
        QVERIFY(f.shardCount(s, "p") > 0);
        QVERIFY(f.shardCount(s, "q") > 0);
        Db db = openFile(f.shard(s));
        Rows ids = query(db.get(), "SELECT id FROM p");
        for (auto& row : ids.rows) {
            KeyHash h;
            h.addText(row[0].substr(2), Affinity::Integer);
            QCOMPARE(h.shard(4), s);
        }
        Rows ab = query(db.get(), "SELECT a, b FROM q");
        for (auto& row : ab.rows) {
            KeyHash h;
            h.addText(row[0].substr(2), Affinity::Text);
            h.addText(row[1].substr(2), Affinity::Integer);
            QCOMPARE(h.shard(4), s);
        }
    }
    // A duplicate primary key is caught because equal keys meet on one shard.
    auto dup = f.session->execute("INSERT INTO p VALUES (17, 'again')");
    QVERIFY(!dup.ok());
    QCOMPARE(count(f, "SELECT count(*) FROM p"), int64_t(200));
    // INSERT OR REPLACE replaces it.
    auto rep = EXEC(f, "INSERT OR REPLACE INTO p VALUES (17, 'replaced')");
    QVERIFY(rep.ok());
    QCOMPARE(count(f, "SELECT count(*) FROM p"), int64_t(200));
    QCOMPARE(count(f, "SELECT count(*) FROM p WHERE v = 'replaced'"), int64_t(1));
}

void TestSqlSession::autoAssignedIntegerPrimaryKey() {
    FIXTURE(f, 4);
    EXEC_OK(f, "CREATE TABLE a (id INTEGER PRIMARY KEY, v TEXT)");
    // Ids left to SQLite would be assigned by whichever shard a NULL routes to, so they could
    // repeat across shards: the statement is refused, and nothing of it is kept.
    EXEC_OK(f, "INSERT INTO a VALUES (1, 'one'), (2, 'two')");
    auto r = f.session->execute("INSERT INTO a (v) VALUES ('x'), ('y')");
    QVERIFY(!r.ok());
    QVERIFY2(r.status().message().find("SHARD KEY column 'id'") != std::string::npos,
             r.status().message().c_str());
    QCOMPARE(count(f, "SELECT count(*) FROM a"), int64_t(2));
    auto dup = f.session->execute("INSERT INTO a VALUES (2, 'explicit')");
    QVERIFY(!dup.ok());
    QCOMPARE(count(f, "SELECT count(*) - count(DISTINCT id) FROM a"), int64_t(0));
}

void TestSqlSession::roundRobinWithoutKeys() {
    FIXTURE(f, 4);
    EXEC_OK(f, "CREATE TABLE logs (msg TEXT, n INTEGER)");
    auto tables = f.session->tables();
    QVERIFY(tables.ok());
    QCOMPARE(int(tables->size()), 1);
    QVERIFY(tables->at(0).shardKey.empty());
    // One row per statement: round-robin still visits every shard.
    for (int i = 0; i < 8; ++i)
        EXEC_OK(f, "INSERT INTO logs VALUES ('single', " + std::to_string(i) + ")");
    for (int s = 0; s < 4; ++s)
        QCOMPARE(f.shardCount(s, "logs"), int64_t(2));
    // Many rows in one statement.
    std::string ins = "INSERT INTO logs VALUES ";
    for (int i = 0; i < 100; ++i)
        ins += std::string(i ? ", " : "") + "('many', " + std::to_string(i) + ")";
    auto r = EXEC(f, ins);
    QVERIFY(r.ok());
    QCOMPARE(r->changes, int64_t(100));
    for (int s = 0; s < 4; ++s)
        QCOMPARE(f.shardCount(s, "logs"), int64_t(2 + 25));
    QCOMPARE(count(f, "SELECT count(*) FROM logs"), int64_t(108));
    QCOMPARE(count(f, "SELECT sum(n) FROM logs WHERE msg = 'many'"), int64_t(4950));
}

void TestSqlSession::unionReadsMatchOracle_data() {
    QTest::addColumn<QString>("sql");
    QTest::addColumn<bool>("ordered"); // false: compare as multisets
    QTest::newRow("count") << "SELECT count(*) FROM orders" << true;
    QTest::newRow("aggregates")
        << "SELECT count(*), count(amount), count(note), sum(amount), avg(amount), min(amount), "
           "max(amount), total(amount) FROM orders"
        << true;
    QTest::newRow("real aggregates")
        << "SELECT count(score), sum(score), avg(score), min(score), max(score) FROM customers"
        << true;
    QTest::newRow("all rows unordered") << "SELECT * FROM orders" << false;
    QTest::newRow("filter unordered")
        << "SELECT customer_id, amount FROM orders WHERE amount BETWEEN 100 AND 200" << false;
    QTest::newRow("sharded x reference")
        << "SELECT r.name, count(*), sum(o.amount) FROM orders o "
           "JOIN customers c ON c.id = o.customer_id JOIN regions r ON r.id = c.region_id "
           "GROUP BY r.name ORDER BY r.name"
        << true;
    QTest::newRow("reference left join aggregates")
        << "SELECT r.id, r.name, count(c.id), avg(c.score), total(c.score) FROM regions r "
           "LEFT JOIN customers c ON c.region_id = r.id GROUP BY r.id ORDER BY r.id"
        << true;
    QTest::newRow("sharded x sharded on shard key")
        << "SELECT c.id, c.name, count(o.order_id), sum(o.amount) FROM customers c "
           "LEFT JOIN orders o ON o.customer_id = c.id GROUP BY c.id ORDER BY c.id"
        << true;
    QTest::newRow("sharded x sharded other column")
        << "SELECT c1.region_id, count(*) FROM customers c1 JOIN customers c2 "
           "ON c1.region_id = c2.region_id AND c1.id < c2.id GROUP BY c1.region_id "
           "ORDER BY c1.region_id"
        << true;
    QTest::newRow("sharded x sharded on non-key expression")
        << "SELECT o.order_id, c.id FROM orders o JOIN customers c ON c.region_id = o.amount % 10 "
           "WHERE o.order_id <= 40"
        << false;
    QTest::newRow("group by having order limit")
        << "SELECT customer_id, count(*) AS n, sum(amount) FROM orders GROUP BY customer_id "
           "HAVING count(*) >= 4 ORDER BY n DESC, customer_id LIMIT 20"
        << true;
    QTest::newRow("order by limit offset")
        << "SELECT order_id, amount FROM orders ORDER BY amount DESC, order_id LIMIT 10 OFFSET 5"
        << true;
    QTest::newRow("order by nulls")
        << "SELECT order_id, note FROM orders ORDER BY note, order_id DESC LIMIT 30" << true;
    QTest::newRow("distinct") << "SELECT DISTINCT region_id FROM customers ORDER BY region_id"
                              << true;
    QTest::newRow("distinct unordered") << "SELECT DISTINCT note FROM orders" << false;
    QTest::newRow("count distinct")
        << "SELECT count(DISTINCT customer_id), count(DISTINCT note) FROM orders" << true;
    QTest::newRow("in subquery")
        << "SELECT id, name FROM customers WHERE id IN "
           "(SELECT customer_id FROM orders WHERE amount > 900) ORDER BY id"
        << true;
    QTest::newRow("correlated subquery")
        << "SELECT c.id, (SELECT max(amount) FROM orders o WHERE o.customer_id = c.id) "
           "FROM customers c ORDER BY c.id LIMIT 60"
        << true;
    QTest::newRow("not exists")
        << "SELECT c.id FROM customers c WHERE NOT EXISTS "
           "(SELECT 1 FROM orders o WHERE o.customer_id = c.id) ORDER BY c.id"
        << true;
    QTest::newRow("orphans") << "SELECT o.order_id FROM orders o LEFT JOIN customers c "
                                "ON c.id = o.customer_id WHERE c.id IS NULL ORDER BY 1"
                             << true;
    QTest::newRow("derived table")
        << "SELECT avg(s), max(s), min(s), count(*) FROM "
           "(SELECT customer_id, sum(amount) AS s FROM orders GROUP BY customer_id)"
        << true;
    QTest::newRow("cte")
        << "WITH t AS (SELECT customer_id, sum(amount) AS s FROM orders GROUP BY customer_id) "
           "SELECT c.region_id, sum(t.s) FROM t JOIN customers c ON c.id = t.customer_id "
           "GROUP BY c.region_id ORDER BY c.region_id"
        << true;
    QTest::newRow("window row_number")
        << "SELECT order_id, customer_id, amount, row_number() OVER "
           "(PARTITION BY customer_id ORDER BY amount DESC, order_id) AS rn, "
           "sum(amount) OVER (PARTITION BY customer_id) FROM orders ORDER BY customer_id, rn"
        << true;
    QTest::newRow("window rank")
        << "SELECT id, score, rank() OVER (ORDER BY score DESC), dense_rank() OVER "
           "(ORDER BY region_id) FROM customers ORDER BY id"
        << true;
    QTest::newRow("window running total")
        << "SELECT order_id, sum(amount) OVER (ORDER BY order_id ROWS BETWEEN UNBOUNDED "
           "PRECEDING AND CURRENT ROW), lag(amount) OVER (ORDER BY order_id) FROM orders "
           "ORDER BY order_id"
        << true;
    QTest::newRow("union") << "SELECT customer_id FROM orders UNION SELECT id FROM customers "
                              "ORDER BY 1"
                           << true;
    QTest::newRow("like and functions")
        << "SELECT upper(name), length(name), id % 7 FROM customers WHERE name LIKE 'cust1%' "
           "ORDER BY id"
        << true;
    QTest::newRow("case group")
        << "SELECT CASE WHEN amount IS NULL THEN 'none' WHEN amount < 500 THEN 'small' "
           "ELSE 'big' END AS k, count(*), sum(amount) FROM orders GROUP BY k ORDER BY k"
        << true;
    QTest::newRow("group_concat ordered")
        << "SELECT customer_id, group_concat(order_id, ';') FROM "
           "(SELECT customer_id, order_id FROM orders ORDER BY order_id) GROUP BY customer_id "
           "ORDER BY customer_id"
        << true;
}

void TestSqlSession::unionReadsMatchOracle() {
    QFETCH(QString, sql);
    QFETCH(bool, ordered);
    // The data set is loaded once per test function run and reused across rows.
    static std::unique_ptr<Fixture> f;
    static Db oracle;
    if (!f) {
        f = std::make_unique<Fixture>(4);
        QVERIFY2(f->ok(), qPrintable(f->error));
        const DataSet d = makeDataSet();
        sqlite3* raw = nullptr;
        QCOMPARE(sqlite3_open(":memory:", &raw), SQLITE_OK);
        oracle.reset(raw);
        for (auto& s : d.ddlStore)
            EXEC_OK(*f, s);
        for (auto& s : d.ddlOracle)
            QCOMPARE(sqlite3_exec(oracle.get(), s.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
        for (auto& s : d.inserts) {
            EXEC_OK(*f, s);
            QCOMPARE(sqlite3_exec(oracle.get(), s.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
        }
        // The data really is spread: every shard holds orders and customers.
        for (int s = 0; s < 4; ++s) {
            QVERIFY(f->shardCount(s, "orders") > 100);
            QVERIFY(f->shardCount(s, "customers") > 50);
            QCOMPARE(f->shardCount(s, "regions"), int64_t(8));
        }
    }
    QVERIFY(f && f->ok());
    Rows got = fromResult(f->session->execute(sql.toStdString()));
    Rows want = query(oracle.get(), sql.toStdString());
    QVERIFY2(want.ok, qPrintable("oracle: " + QString::fromStdString(want.error)));
    QVERIFY2(got.ok, qPrintable("store: " + QString::fromStdString(got.error)));
    QVERIFY2(!want.rows.empty(), "the query must return rows to be meaningful");
    QCOMPARE(got.columns, want.columns);
    if (!ordered) {
        std::sort(got.rows.begin(), got.rows.end());
        std::sort(want.rows.begin(), want.rows.end());
    }
    QCOMPARE(got.rows.size(), want.rows.size());
    for (size_t i = 0; i < want.rows.size(); ++i)
        QVERIFY2(got.rows[i] == want.rows[i],
                 qPrintable(QString("row %1 differs\nstore:  %2\noracle: %3")
                                .arg(i)
                                .arg(describe(Rows{true, {}, {}, {got.rows[i]}}))
                                .arg(describe(Rows{true, {}, {}, {want.rows[i]}}))));
    if (QTest::currentDataTag() == QString("group_concat ordered")) {
        f.reset();
        oracle.reset();
    }
}

void TestSqlSession::referenceTableCopiedToEveryShard() {
    FIXTURE(f, 4);
    EXEC_OK(f, "CREATE REFERENCE TABLE regions (id INTEGER PRIMARY KEY, name TEXT)");
    auto tables = f.session->tables();
    QVERIFY(tables.ok());
    QVERIFY(tables->at(0).kind == TableKind::Reference);
    auto r = EXEC(f, "INSERT INTO regions VALUES (1, 'north'), (2, 'south'), (3, 'east'), "
                     "(4, 'west'), (5, 'centre')");
    QVERIFY(r.ok());
    QCOMPARE(r->changes, int64_t(5));
    for (int s = 0; s < 4; ++s) {
        QCOMPARE(f.shardCount(s, "regions"), int64_t(5));
        QCOMPARE(scalar(f.shard(s), "SELECT count(*) FROM regions WHERE id = 3 AND name = 'east'"),
                 int64_t(1));
    }
    QCOMPARE(count(f, "SELECT count(*) FROM regions"), int64_t(5));
    r = EXEC(f, "UPDATE regions SET name = upper(name) WHERE id <= 2");
    QVERIFY(r.ok());
    QCOMPARE(r->changes, int64_t(2));
    r = EXEC(f, "DELETE FROM regions WHERE id = 5");
    QVERIFY(r.ok());
    QCOMPARE(r->changes, int64_t(1));
    for (int s = 0; s < 4; ++s) {
        QCOMPARE(f.shardCount(s, "regions"), int64_t(4));
        QCOMPARE(scalar(f.shard(s), "SELECT count(*) FROM regions WHERE name = 'NORTH'"),
                 int64_t(1));
    }
    // A reference table joins locally with a sharded one.
    EXEC_OK(f, "CREATE TABLE people (id INTEGER, region INTEGER, SHARD KEY (id))");
    EXEC_OK(f, "INSERT INTO people VALUES (1, 1), (2, 1), (3, 2), (4, 3), (5, 4), (6, 4), (7, 9)");
    auto j = f.session->execute("SELECT r.name, count(*) FROM people p JOIN regions r "
                                "ON r.id = p.region GROUP BY r.name ORDER BY r.name");
    QVERIFY(j.ok());
    QCOMPARE(int(j->rows.size()), 4);
    QCOMPARE(QString::fromStdString(j->rows[0][0].s), QString("NORTH"));
    QCOMPARE(j->rows[0][1].i, int64_t(2));
}

void TestSqlSession::updateAndDeleteReachEveryShard_data() {
    QTest::addColumn<QString>("statement");
    QTest::addColumn<int>("changed");
    QTest::addColumn<int>("remaining"); // rows left in the table
    QTest::addColumn<QString>("check"); // count(*) query that must equal `changed` afterwards
    QTest::newRow("update some") << "UPDATE items SET v = -1 WHERE n < 30" << 30 << 100
                                 << "SELECT count(*) FROM items WHERE v = -1";
    QTest::newRow("update all") << "UPDATE items SET v = v + 1000" << 100 << 100
                                << "SELECT count(*) FROM items WHERE v >= 1000";
    QTest::newRow("update none") << "UPDATE items SET v = 0 WHERE n > 1000" << 0 << 100
                                 << "SELECT count(*) FROM items WHERE v = 0 AND n > 0";
    QTest::newRow("update with subquery")
        << "UPDATE items SET v = (SELECT max(n) FROM items) WHERE n % 10 = 0" << 10 << 100
        << "SELECT count(*) FROM items WHERE v = 99 AND n <> 99"; // the global max, per shard too
    QTest::newRow("delete some") << "DELETE FROM items WHERE n >= 75" << 25 << 75
                                 << "SELECT 100 - count(*) FROM items";
    QTest::newRow("delete all") << "DELETE FROM items" << 100 << 0
                                << "SELECT 100 - count(*) FROM items";
    QTest::newRow("delete by key")
        << "DELETE FROM items WHERE k = 'k3'" << 10 << 90 << "SELECT 100 - count(*) FROM items";
}

void TestSqlSession::updateAndDeleteReachEveryShard() {
    QFETCH(QString, statement);
    QFETCH(int, changed);
    QFETCH(int, remaining);
    QFETCH(QString, check);
    FIXTURE(f, 4);
    EXEC_OK(f, "CREATE TABLE items (n INTEGER, k TEXT, v INTEGER, SHARD KEY (k))");
    std::string ins = "INSERT INTO items VALUES ";
    for (int i = 0; i < 100; ++i)
        ins += std::string(i ? ", " : "") + "(" + std::to_string(i) + ", 'k" +
               std::to_string(i % 10) + "', " + std::to_string(i) + ")";
    EXEC_OK(f, ins);
    std::vector<int64_t> before;
    for (int s = 0; s < 4; ++s)
        before.push_back(f.shardCount(s, "items"));
    auto r = EXEC(f, statement.toStdString());
    QVERIFY(r.ok());
    QVERIFY(!r->hasResultSet);
    QCOMPARE(r->changes, int64_t(changed));
    QCOMPARE(count(f, check.toStdString()), int64_t(changed));
    QCOMPARE(count(f, "SELECT count(*) FROM items"), int64_t(remaining));
    int64_t total = 0;
    for (int s = 0; s < 4; ++s)
        total += f.shardCount(s, "items");
    QCOMPARE(total, int64_t(remaining));
    if (statement.startsWith("UPDATE items SET v = v + 1000"))
        for (int s = 0; s < 4; ++s)
            QCOMPARE(scalar(f.shard(s), "SELECT count(*) FROM items WHERE v < 1000"), int64_t(0));
    if (statement == "DELETE FROM items")
        for (int s = 0; s < 4; ++s)
            QVERIFY2(before[size_t(s)] > 0 && f.shardCount(s, "items") == 0,
                     qPrintable(QString("shard %1").arg(s)));
}

void TestSqlSession::updateOfShardKeyRefused_data() {
    QTest::addColumn<QString>("statement");
    QTest::newRow("plain") << "UPDATE items SET k = 'x'";
    QTest::newRow("with where") << "UPDATE items SET k = 'x' WHERE n = 3";
    QTest::newRow("second target") << "UPDATE items SET v = 1, k = 'x' WHERE n = 3";
    QTest::newRow("case of name") << "UPDATE items SET K = 'x'";
    QTest::newRow("quoted") << "UPDATE items SET \"k\" = 'x'";
    QTest::newRow("or ignore") << "UPDATE OR IGNORE items SET k = 'x'";
    QTest::newRow("row value") << "UPDATE items SET (v, k) = (1, 'x')";
    QTest::newRow("after case") << "UPDATE items SET v = CASE WHEN k = 'a' THEN 1 END, k = 'x'";
}

void TestSqlSession::updateOfShardKeyRefused() {
    QFETCH(QString, statement);
    FIXTURE(f, 4);
    EXEC_OK(f, "CREATE TABLE items (n INTEGER, k TEXT, v INTEGER, SHARD KEY (k))");
    EXEC_OK(f, "INSERT INTO items VALUES (1, 'a', 1), (2, 'b', 2), (3, 'c', 3)");
    auto r = f.session->execute(statement.toStdString());
    QVERIFY(!r.ok());
    QCOMPARE(r.status().code(), ErrorCode::InvalidArgument);
    const QString msg = QString::fromStdString(r.status().message());
    QVERIFY2(msg.contains("SHARD KEY") && msg.contains("items"), qPrintable(msg));
    QCOMPARE(count(f, "SELECT count(*) FROM items WHERE k = 'x'"), int64_t(0));
    QCOMPARE(count(f, "SELECT count(*) FROM items WHERE v = 1"), int64_t(1));
}

// The shard key may appear in a SET expression or in WHERE; only assigning it is refused.
void TestSqlSession::updateMentioningShardKeyOutsideTargets() {
    FIXTURE(f, 4);
    EXEC_OK(f, "CREATE TABLE items (n INTEGER, k TEXT, v INTEGER, SHARD KEY (k))");
    EXEC_OK(f, "INSERT INTO items VALUES (1, 'a', 1), (2, 'b', 2), (3, 'c', 3)");
    auto r = EXEC(f, "UPDATE items SET v = length(k) + 10 WHERE k = 'a'");
    QVERIFY(r.ok());
    QCOMPARE(r->changes, int64_t(1));
    r = EXEC(f, "UPDATE items SET v = CASE WHEN k = 'b' THEN 20 ELSE v END");
    QVERIFY2(r.ok(), "a comparison with the shard key inside CASE is not an assignment");
    QCOMPARE(r->changes, int64_t(3));
    QCOMPARE(count(f, "SELECT v FROM items WHERE k = 'b'"), int64_t(20));
    r = EXEC(f, "UPDATE items SET v = (SELECT count(*) FROM items i2 WHERE k = 'c') WHERE n = 3");
    QVERIFY2(r.ok(), "a comparison with the shard key in a subquery is not an assignment");
    QCOMPARE(count(f, "SELECT v FROM items WHERE k = 'c'"), int64_t(1));
    QCOMPARE(count(f, "SELECT count(*) FROM items WHERE k IN ('a', 'b', 'c')"), int64_t(3));
}

void TestSqlSession::dropTableReachesEveryShard() {
    FIXTURE(f, 4);
    EXEC_OK(f, "CREATE TABLE gone (id INTEGER, SHARD KEY (id))");
    EXEC_OK(f, "INSERT INTO gone VALUES (1), (2), (3), (4), (5), (6), (7), (8)");
    EXEC_OK(f, "DROP TABLE gone");
    for (int s = 0; s < 4; ++s)
        QVERIFY(!f.shardHas(s, "table", "gone"));
    auto tables = f.session->tables();
    QVERIFY(tables.ok());
    QVERIFY(tables->empty());
    QVERIFY(!f.session->execute("SELECT * FROM gone").ok());
    QVERIFY(!f.session->execute("DROP TABLE gone").ok());
    EXEC_OK(f, "DROP TABLE IF EXISTS gone");
    // The name can be used again, with a new definition.
    EXEC_OK(f, "CREATE TABLE gone (a TEXT, b TEXT, SHARD KEY (a))");
    EXEC_OK(f, "INSERT INTO gone VALUES ('x', 'y')");
    QCOMPARE(count(f, "SELECT count(*) FROM gone"), int64_t(1));
}

void TestSqlSession::alterTableAddColumnReachesEveryShard() {
    FIXTURE(f, 4);
    EXEC_OK(f, "CREATE TABLE t (id INTEGER, SHARD KEY (id))");
    EXEC_OK(f, "INSERT INTO t VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10)");
    EXEC_OK(f, "ALTER TABLE t ADD COLUMN label TEXT DEFAULT 'none'");
    for (int s = 0; s < 4; ++s)
        QCOMPARE(scalar(f.shard(s), "SELECT count(*) FROM pragma_table_info('t') "
                                    "WHERE name = 'label'"),
                 int64_t(1));
    // The union view sees the new column at once, old rows get the default, new rows route.
    QCOMPARE(count(f, "SELECT count(*) FROM t WHERE label = 'none'"), int64_t(10));
    EXEC_OK(f, "INSERT INTO t (id, label) VALUES (11, 'eleven')");
    EXEC_OK(f, "INSERT INTO t (id) VALUES (12)");
    auto r = f.session->execute("SELECT id, label FROM t WHERE id >= 11 ORDER BY id");
    QVERIFY(r.ok());
    QCOMPARE(int(r->rows.size()), 2);
    QCOMPARE(QString::fromStdString(r->rows[0][1].s), QString("eleven"));
    QCOMPARE(QString::fromStdString(r->rows[1][1].s), QString("none"));
    // Dropping the shard key column is refused; dropping another column works.
    auto bad = f.session->execute("ALTER TABLE t DROP COLUMN id");
    QVERIFY(!bad.ok());
    EXEC_OK(f, "ALTER TABLE t DROP COLUMN label");
    for (int s = 0; s < 4; ++s)
        QCOMPARE(scalar(f.shard(s), "SELECT count(*) FROM pragma_table_info('t')"), int64_t(1));
    QCOMPARE(count(f, "SELECT count(*) FROM t"), int64_t(12));
}

void TestSqlSession::alterTableRenameReachesEveryShard() {
    FIXTURE(f, 4);
    EXEC_OK(f, "CREATE TABLE t (id INTEGER, label TEXT, SHARD KEY (id))");
    EXEC_OK(f, "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e'), (6, 'f')");
    EXEC_OK(f, "ALTER TABLE t RENAME COLUMN label TO tag");
    QCOMPARE(count(f, "SELECT count(tag) FROM t"), int64_t(6));
    // Renaming the shard key column keeps it the shard key.
    EXEC_OK(f, "ALTER TABLE t RENAME COLUMN id TO ident");
    auto tables = f.session->tables();
    QVERIFY(tables.ok());
    QCOMPARE(tables->at(0).shardKey, std::vector<std::string>{"ident"});
    EXEC_OK(f, "INSERT INTO t VALUES (7, 'g')");
    EXEC_OK(f, "ALTER TABLE t RENAME TO renamed");
    for (int s = 0; s < 4; ++s) {
        QVERIFY(f.shardHas(s, "table", "renamed"));
        QVERIFY(!f.shardHas(s, "table", "t"));
        Db db = openFile(f.shard(s));
        Rows ids = query(db.get(), "SELECT ident FROM renamed");
        QVERIFY(ids.ok);
        for (auto& row : ids.rows) {
            KeyHash h;
            h.addText(row[0].substr(2), Affinity::Integer);
            QCOMPARE(h.shard(4), s);
        }
    }
    QCOMPARE(count(f, "SELECT count(*) FROM renamed"), int64_t(7));
    QVERIFY(!f.session->execute("SELECT * FROM t").ok());
    tables = f.session->tables();
    QVERIFY(tables.ok());
    QCOMPARE(QString::fromStdString(tables->at(0).name), QString("renamed"));
}

void TestSqlSession::createIndexOnEveryShard() {
    FIXTURE(f, 4);
    EXEC_OK(f, "CREATE TABLE t (id INTEGER, email TEXT, SHARD KEY (id))");
    EXEC_OK(f, "CREATE INDEX t_email ON t (email)");
    for (int s = 0; s < 4; ++s)
        QVERIFY2(f.shardHas(s, "index", "t_email"), qPrintable(QString("shard %1").arg(s)));
    EXEC_OK(f, "CREATE UNIQUE INDEX IF NOT EXISTS t_id ON t (id)");
    for (int s = 0; s < 4; ++s)
        QVERIFY(f.shardHas(s, "index", "t_id"));
    EXEC_OK(f, "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')");
    // The unique index works (equal ids meet on one shard).
    QVERIFY(!f.session->execute("INSERT INTO t VALUES (2, 'again')").ok());
    QCOMPARE(count(f, "SELECT count(*) FROM t"), int64_t(3));
    // Index on an unknown table is an error.
    QVERIFY(!f.session->execute("CREATE INDEX x ON nope (a)").ok());
    // SingleStore-style KEY in CREATE TABLE becomes an index in every shard.
    EXEC_OK(f, "CREATE TABLE u (id INTEGER, ts INTEGER, KEY (ts), SHARD KEY (id))");
    int indexes = 0;
    for (int s = 0; s < 4; ++s)
        indexes += int(scalar(f.shard(s), "SELECT count(*) FROM sqlite_master WHERE type = "
                                          "'index' AND tbl_name = 'u'"));
    QCOMPARE(indexes, 4);
    EXEC_OK(f, "DROP INDEX t_email");
    for (int s = 0; s < 4; ++s)
        QVERIFY(!f.shardHas(s, "index", "t_email"));
}

void TestSqlSession::createViewSurvivesNewSession() {
    FIXTURE(f, 4);
    EXEC_OK(f, "CREATE TABLE sales (id INTEGER, region TEXT, amount INTEGER, SHARD KEY (id))");
    EXEC_OK(f, "INSERT INTO sales VALUES (1, 'n', 10), (2, 'n', 20), (3, 's', 5), (4, 's', 7), "
               "(5, 'e', 1)");
    EXEC_OK(f, "CREATE VIEW by_region AS SELECT region, sum(amount) AS total FROM sales "
               "GROUP BY region");
    auto r = f.session->execute("SELECT region, total FROM by_region ORDER BY region");
    QVERIFY(r.ok());
    QCOMPARE(int(r->rows.size()), 3);
    QCOMPARE(r->rows[1][1].i, int64_t(30));
    // Views are not copied into the shards.
    for (int s = 0; s < 4; ++s)
        QVERIFY(!f.shardHas(s, "view", "by_region"));
    // A new session (as another process would open) sees the view and new rows through it.
    auto other = SqlSession::open(f.store);
    QVERIFY(other.ok());
    r = (*other)->execute("SELECT total FROM by_region WHERE region = 'n'");
    QVERIFY2(r.ok(), r.status().message().c_str());
    QCOMPARE(r->rows.at(0).at(0).i, int64_t(30));
    EXEC_OK(f, "INSERT INTO sales VALUES (6, 'n', 100)");
    r = (*other)->execute("SELECT total FROM by_region WHERE region = 'n'");
    QVERIFY(r.ok());
    QCOMPARE(r->rows.at(0).at(0).i, int64_t(130));
    // Also after the store is reopened from disk.
    auto reopened = Store::open(f.store->dir(), {});
    QVERIFY(reopened.ok());
    auto third = SqlSession::open(*reopened);
    QVERIFY(third.ok());
    r = (*third)->execute("SELECT count(*) FROM by_region");
    QVERIFY(r.ok());
    QCOMPARE(r->rows.at(0).at(0).i, int64_t(3));
    QVERIFY(!f.session->execute("CREATE VIEW by_region AS SELECT 1").ok());
    EXEC_OK(f, "DROP VIEW by_region");
    QVERIFY(!f.session->execute("SELECT * FROM by_region").ok());
    auto fourth = SqlSession::open(f.store);
    QVERIFY(fourth.ok());
    QVERIFY(!(*fourth)->execute("SELECT * FROM by_region").ok());
}

void TestSqlSession::failedInsertKeepsNothing_data() {
    QTest::addColumn<QString>("statement");
    QTest::newRow("not null in 3rd row")
        << "INSERT INTO acct VALUES (101, 'u101', 1), (102, 'u102', 2), (103, NULL, 3)";
    QTest::newRow("unique in 3rd row")
        << "INSERT INTO acct VALUES (101, 'u101', 1), (102, 'u102', 2), (5, 'dup', 3)";
    QTest::newRow("check in 3rd row")
        << "INSERT INTO acct VALUES (101, 'u101', 1), (102, 'u102', 2), (103, 'u103', -5)";
    QTest::newRow("duplicate within statement")
        << "INSERT INTO acct VALUES (101, 'u101', 1), (102, 'u102', 2), (101, 'u999', 3)";
    QTest::newRow("insert select with bad row")
        << "INSERT INTO acct SELECT id + 1000, CASE WHEN id = 7 THEN NULL ELSE name || 'x' END, "
           "balance FROM acct";
}

void TestSqlSession::failedInsertKeepsNothing() {
    QFETCH(QString, statement);
    FIXTURE(f, 4);
    // A UNIQUE key without the shard key would only be enforced per shard: refused.
    QVERIFY(!f.session->execute("CREATE TABLE bad (id INTEGER PRIMARY KEY, name TEXT UNIQUE)").ok());
    QVERIFY(!f.session->execute("CREATE TABLE bad (id INTEGER, name TEXT, UNIQUE KEY (name), "
                                "SHARD KEY (id))").ok());
    EXEC_OK(f, "CREATE TABLE acct (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
               "balance INTEGER CHECK (balance >= 0), UNIQUE (id, name))");
    std::string ins = "INSERT INTO acct VALUES ";
    for (int i = 1; i <= 20; ++i)
        ins += std::string(i > 1 ? ", " : "") + "(" + std::to_string(i) + ", 'u" +
               std::to_string(i) + "', " + std::to_string(i * 10) + ")";
    EXEC_OK(f, ins);
    std::vector<int64_t> before;
    for (int s = 0; s < 4; ++s)
        before.push_back(f.shardCount(s, "acct"));
    auto r = f.session->execute(statement.toStdString());
    QVERIFY2(!r.ok(), "the statement must fail");
    QVERIFY(!r.status().message().empty());
    QCOMPARE(count(f, "SELECT count(*) FROM acct"), int64_t(20));
    QCOMPARE(count(f, "SELECT count(*) FROM acct WHERE id > 20"), int64_t(0));
    for (int s = 0; s < 4; ++s)
        QCOMPARE(f.shardCount(s, "acct"), before[size_t(s)]);
    // The session is usable afterwards, and the same rows without the bad one go in.
    auto good = EXEC(f, "INSERT INTO acct VALUES (101, 'u101', 1), (102, 'u102', 2)");
    QVERIFY(good.ok());
    QCOMPARE(good->changes, int64_t(2));
    QCOMPARE(count(f, "SELECT count(*) FROM acct"), int64_t(22));
}

void TestSqlSession::failedAlterNotPartiallyApplied() {
    FIXTURE(f, 4);
    EXEC_OK(f, "CREATE TABLE t (id INTEGER, SHARD KEY (id))");
    EXEC_OK(f, "INSERT INTO t VALUES (1), (2), (3), (4), (5), (6), (7), (8)");
    // Make the ALTER fail on the last shard only: the column already exists there.
    f.session.reset();
    QVERIFY(execFile(f.shard(3), "ALTER TABLE t ADD COLUMN extra INTEGER"));
    auto s = SqlSession::open(f.store);
    QVERIFY(s.ok());
    f.session = std::move(*s);
    auto r = f.session->execute("ALTER TABLE t ADD COLUMN extra INTEGER");
    QVERIFY(!r.ok());
    QVERIFY2(QString::fromStdString(r.status().message()).contains("extra"),
             r.status().message().c_str());
    for (int sh = 0; sh < 3; ++sh)
        QVERIFY2(scalar(f.shard(sh), "SELECT count(*) FROM pragma_table_info('t') WHERE name = "
                                     "'extra'") == 0,
                 qPrintable(QString("shard %1 kept the column of a failed ALTER").arg(sh)));
    QVERIFY2(scalar(f.shard(3), "SELECT count(*) FROM pragma_table_info('t') WHERE name = "
                                "'extra'") == 1,
             "the tampered shard keeps its own column");
    // Repair the tampered shard; the store is whole and the same ALTER now works everywhere.
    f.session.reset();
    QVERIFY(execFile(f.shard(3), "ALTER TABLE t DROP COLUMN extra"));
    s = SqlSession::open(f.store);
    QVERIFY(s.ok());
    f.session = std::move(*s);
    QCOMPARE(count(f, "SELECT count(*) FROM t"), int64_t(8));
    EXEC_OK(f, "ALTER TABLE t ADD COLUMN extra INTEGER DEFAULT 7");
    QCOMPARE(count(f, "SELECT sum(extra) FROM t"), int64_t(56));
    // An ALTER that fails on every shard changes nothing either.
    QVERIFY(!f.session->execute("ALTER TABLE t ADD COLUMN bad INTEGER NOT NULL").ok());
    for (int sh = 0; sh < 4; ++sh)
        QCOMPARE(scalar(f.shard(sh), "SELECT count(*) FROM pragma_table_info('t') WHERE name = "
                                     "'bad'"),
                 int64_t(0));
}

void TestSqlSession::failedCreateNotPartiallyApplied() {
    FIXTURE(f, 4);
    f.session.reset();
    QVERIFY(execFile(f.shard(2), "CREATE TABLE clash (x INTEGER)"));
    auto s = SqlSession::open(f.store);
    QVERIFY(s.ok());
    f.session = std::move(*s);
    auto r = f.session->execute("CREATE TABLE clash (id INTEGER, SHARD KEY (id))");
    QVERIFY(!r.ok());
    for (int sh : {0, 1, 3})
        QVERIFY2(!f.shardHas(sh, "table", "clash"),
                 qPrintable(QString("shard %1 kept the table of a failed CREATE").arg(sh)));
    auto tables = f.session->tables();
    QVERIFY(tables.ok());
    QVERIFY(tables->empty());
}

void TestSqlSession::syntaxErrorNamesToken_data() {
    QTest::addColumn<QString>("statement");
    QTest::addColumn<QString>("token");
    QTest::newRow("SELEKT") << "SELEKT * FROM t"
                            << "SELEKT";
    QTest::newRow("FORM") << "SELECT * FORM t"
                          << "FORM";
    QTest::newRow("create table") << "CREATE TABLE x (id INTEGER,, v TEXT)"
                                  << ",";
    QTest::newRow("insert") << "INSERT INTO t VALUSE (1)"
                            << "VALUSE";
    QTest::newRow("update") << "UPDATE t SETT id = 1"
                            << "SETT";
}

void TestSqlSession::syntaxErrorNamesToken() {
    QFETCH(QString, statement);
    QFETCH(QString, token);
    FIXTURE(f, 4);
    EXEC_OK(f, "CREATE TABLE t (id INTEGER, SHARD KEY (id))");
    auto r = f.session->execute(statement.toStdString());
    QVERIFY(!r.ok());
    const QString msg = QString::fromStdString(r.status().message());
    QVERIFY2(msg.contains("\"" + token + "\"") || msg.contains("'" + token + "'"), qPrintable(msg));
    QVERIFY2(msg.contains("syntax error"), qPrintable(msg));
}

void TestSqlSession::shardKeyMissingColumn() {
    FIXTURE(f, 4);
    auto r = f.session->execute("CREATE TABLE t (id INTEGER, v TEXT, SHARD KEY (nope))");
    QVERIFY(!r.ok());
    QCOMPARE(r.status().code(), ErrorCode::InvalidArgument);
    const QString msg = QString::fromStdString(r.status().message());
    QVERIFY2(msg.contains("SHARD KEY") && msg.contains("'nope'") && msg.contains("'t'"),
             qPrintable(msg));
    for (int s = 0; s < 4; ++s)
        QVERIFY(!f.shardHas(s, "table", "t"));
    auto tables = f.session->tables();
    QVERIFY(tables.ok() && tables->empty());
}

void TestSqlSession::primaryKeyMustContainShardKey() {
    FIXTURE(f, 4);
    auto r = f.session->execute(
        "CREATE TABLE t (id INTEGER, user TEXT, PRIMARY KEY (id), SHARD KEY (user))");
    QVERIFY(!r.ok());
    QCOMPARE(r.status().code(), ErrorCode::InvalidArgument);
    const QString msg = QString::fromStdString(r.status().message());
    QVERIFY2(msg.contains("PRIMARY KEY") && msg.contains("user"), qPrintable(msg));
    r = f.session->execute("CREATE TABLE t2 (id INTEGER PRIMARY KEY, user TEXT, SHARD KEY (user))");
    QVERIFY2(!r.ok(), "a column-level PRIMARY KEY without the shard key is refused too");
    for (int s = 0; s < 4; ++s) {
        QVERIFY(!f.shardHas(s, "table", "t"));
        QVERIFY(!f.shardHas(s, "table", "t2"));
    }
    // A primary key that contains the shard key is fine.
    EXEC_OK(f, "CREATE TABLE ok (id INTEGER, user TEXT, PRIMARY KEY (user, id), SHARD KEY (user))");
    auto tables = f.session->tables();
    QVERIFY(tables.ok());
    QCOMPARE(int(tables->size()), 1);
    QCOMPARE(tables->at(0).shardKey, std::vector<std::string>{"user"});
}

void TestSqlSession::pipelinesViewExistsAndIsEmpty() {
    FIXTURE(f, 4);
    auto r = f.session->execute("SELECT * FROM information_schema.PIPELINES");
    QVERIFY2(r.ok(), r.status().message().c_str());
    QVERIFY(r->hasResultSet);
    QVERIFY(r->rows.empty());
    for (const char* c : {"PIPELINE_NAME", "STATE", "CONFIG_JSON", "CREATE_TIME", "ALTER_TIME"})
        QVERIFY2(std::find(r->columns.begin(), r->columns.end(), c) != r->columns.end(), c);
    for (const char* v : {"PIPELINES_BATCHES_SUMMARY", "PIPELINES_BATCHES", "PIPELINES_CURSORS",
                          "PIPELINES_ERRORS", "PIPELINES_FILES"}) {
        auto q = f.session->execute(std::string("SELECT count(*) FROM information_schema.") + v);
        QVERIFY2(q.ok(), v);
        QCOMPARE(q->rows.at(0).at(0).i, int64_t(0));
    }
}

void TestSqlSession::secondSessionSeesNewTable() {
    FIXTURE(f, 4);
    auto other = SqlSession::open(f.store);
    QVERIFY(other.ok());
    EXEC_OK(f, "CREATE TABLE late (id INTEGER, SHARD KEY (id))");
    EXEC_OK(f, "INSERT INTO late VALUES (1), (2), (3)");
    // The other session notices the catalog change and both read and routes writes.
    auto r = (*other)->execute("SELECT count(*) FROM late");
    QVERIFY2(r.ok(), r.status().message().c_str());
    QCOMPARE(r->rows.at(0).at(0).i, int64_t(3));
    r = (*other)->execute("INSERT INTO late VALUES (4), (5)");
    QVERIFY2(r.ok(), r.status().message().c_str());
    QCOMPARE(count(f, "SELECT count(*) FROM late"), int64_t(5));
    for (int s = 0; s < 4; ++s) {
        Db db = openFile(f.shard(s));
        Rows ids = query(db.get(), "SELECT id FROM late");
        for (auto& row : ids.rows) {
            KeyHash h;
            h.addText(row[0].substr(2), Affinity::Integer);
            QCOMPARE(h.shard(4), s);
        }
    }
}

QTEST_APPLESS_MAIN(TestSqlSession)
#include "tst_SqlSession.moc"
