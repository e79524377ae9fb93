// ShardRouter: the hash that places rows on shards must never change (stored data depends on it),
// must agree between the SQL path (typed sqlite3_value) and the pipeline path (text bound to a
// typed column), and must spread realistic keys evenly.
#include "store/ShardRouter.h"

#include <sqlite3.h>

#include <QTest>

#include <array>
#include <cstdio>
#include <memory>
#include <set>
#include <string>

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

Db memoryDb() {
    sqlite3* raw = nullptr;
    sqlite3_open(":memory:", &raw);
    return Db(raw);
}

// The shard of the value SQLite yields for `expr` (a literal, possibly stored through a column
// of a declared type first so that the column's affinity applies), as the SQL path hashes it.
int sqlShard(sqlite3* db, const std::string& declaredType, const std::string& literal, int shards) {
    std::string ddl = "DROP TABLE IF EXISTS v; CREATE TABLE v (c " + declaredType + "); " +
                      "INSERT INTO v VALUES (" + literal + ")";
    if (sqlite3_exec(db, ddl.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK)
        return -100;
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT c FROM v", -1, &raw, nullptr) != SQLITE_OK)
        return -101;
    StmtPtr st(raw);
    if (sqlite3_step(raw) != SQLITE_ROW)
        return -102;
    KeyHash h;
    h.addValue(sqlite3_column_value(raw, 0));
    return h.shard(shards);
}

uint64_t valueHash(sqlite3* db, const std::string& literal) {
    sqlite3_stmt* raw = nullptr;
    std::string q = "SELECT " + literal;
    if (sqlite3_prepare_v2(db, q.c_str(), -1, &raw, nullptr) != SQLITE_OK)
        return 0;
    StmtPtr st(raw);
    if (sqlite3_step(raw) != SQLITE_ROW)
        return 0;
    KeyHash h;
    h.addValue(sqlite3_column_value(raw, 0));
    return h.value();
}

uint64_t textHash(const std::string& text, Affinity a) {
    KeyHash h;
    h.addText(text, a);
    return h.value();
}

} // namespace

class TestShardRouter : public QObject {
    Q_OBJECT

private slots:
    void stability_data();
    void stability();
    void hashBytesIsPinned();
    void compositeAndNullArePinned();
    void affinityRules_data();
    void affinityRules();
    void canonicalText_data();
    void canonicalText();
    void integerLikeValuesRouteAlike();
    void textPathMatchesSqlPath_data();
    void textPathMatchesSqlPath();
    void textAndBlobWithSameBytes();
    void distinctTextsDiffer();
    void spread();
};

// Computed once from the implementation: a change of hash or finalizer breaks this test, which
// is the point (data already stored would be found on the wrong shard).
void TestShardRouter::stability_data() {
    QTest::addColumn<QString>("key");
    QTest::addColumn<int>("shardOf4");
    QTest::addColumn<int>("shardOf3");
    QTest::addColumn<quint64>("hash");
    QTest::newRow("user-0001") << "user-0001" << 3 << 1 << quint64(0xb9abae288e5a2d57ULL);
    QTest::newRow("user-0002") << "user-0002" << 0 << 2 << quint64(0xf87a78c24af15e1cULL);
    QTest::newRow("user-0003") << "user-0003" << 3 << 2 << quint64(0x074a2b410c991a1bULL);
    QTest::newRow("user-0500") << "user-0500" << 1 << 1 << quint64(0x8111bdcd56610c49ULL);
    QTest::newRow("user-1000") << "user-1000" << 1 << 2 << quint64(0xa537c74a40625161ULL);
    QTest::newRow("alice") << "alice" << 2 << 0 << quint64(0x63ea780dfb2ae44eULL);
    QTest::newRow("bob") << "bob" << 2 << 1 << quint64(0x00517a8e6d8d62e2ULL);
    QTest::newRow("empty") << "" << 0 << 2 << quint64(0x43b709196a2e0b5cULL);
    QTest::newRow("42") << "42" << 0 << 0 << quint64(0xba5147dc2be4b408ULL);
    QTest::newRow("-7") << "-7" << 3 << 2 << quint64(0x66febd0cff73c7a3ULL);
    QTest::newRow("3.5") << "3.5" << 3 << 0 << quint64(0x5bb05da22d934e6fULL);
    QTest::newRow("payments") << "payments" << 3 << 1 << quint64(0x3e75427f337a1be3ULL);
}

void TestShardRouter::stability() {
    QFETCH(QString, key);
    QFETCH(int, shardOf4);
    QFETCH(int, shardOf3);
    QFETCH(quint64, hash);
    const std::string k = key.toStdString();
    KeyHash h;
    h.addText(k, Affinity::Text);
    QCOMPARE(quint64(h.value()), hash);
    QCOMPARE(h.shard(4), shardOf4);
    QCOMPARE(h.shard(3), shardOf3);
    // The same key through addCanonical and through addText with BLOB affinity.
    KeyHash c;
    c.addCanonical(k);
    QCOMPARE(quint64(c.value()), hash);
    KeyHash b;
    b.addText(k, Affinity::Blob);
    QCOMPARE(quint64(b.value()), hash);
    // shard(1) is always 0.
    QCOMPARE(h.shard(1), 0);
}

void TestShardRouter::hashBytesIsPinned() {
    QCOMPARE(quint64(hashBytes("abc")), quint64(0x33ebaf9927cbc5bdULL));
    QCOMPARE(quint64(hashBytes("")), quint64(0xefd01f60ba992926ULL));
    QVERIFY(hashBytes("abc") != hashBytes("abd"));
    // Bytes, not C strings: an embedded NUL is part of the key.
    QVERIFY(hashBytes(std::string_view("a\0b", 3)) != hashBytes(std::string_view("a", 1)));
}

void TestShardRouter::compositeAndNullArePinned() {
    KeyHash c;
    c.addText("7", Affinity::Integer);
    c.addText("x", Affinity::Text);
    QCOMPARE(c.shard(4), 2);
    QCOMPARE(c.shard(3), 1);
    // Order of the key columns matters.
    KeyHash r;
    r.addText("x", Affinity::Text);
    r.addText("7", Affinity::Integer);
    QVERIFY(r.value() != c.value());
    // (a, b) must not collide with the concatenation a||b.
    KeyHash ab;
    ab.addText("ab", Affinity::Text);
    KeyHash a_b;
    a_b.addText("a", Affinity::Text);
    a_b.addText("b", Affinity::Text);
    QVERIFY(ab.value() != a_b.value());

    KeyHash n;
    n.addNull();
    QCOMPARE(n.shard(4), 3);
    QCOMPARE(n.shard(3), 0);
    // NULL differs from the text 'NULL' and from the empty string.
    QVERIFY(n.value() != textHash("NULL", Affinity::Text));
    QVERIFY(n.value() != textHash("", Affinity::Text));
    auto db = memoryDb();
    QCOMPARE(quint64(valueHash(db.get(), "NULL")), quint64(n.value()));
}

void TestShardRouter::affinityRules_data() {
    QTest::addColumn<QString>("type");
    QTest::addColumn<int>("affinity");
    QTest::newRow("INTEGER") << "INTEGER" << int(Affinity::Integer);
    QTest::newRow("bigint") << "bigint" << int(Affinity::Integer);
    QTest::newRow("POINT") << "POINT" << int(Affinity::Integer); // SQLite: contains INT
    QTest::newRow("VARCHAR(20)") << "VARCHAR(20)" << int(Affinity::Text);
    QTest::newRow("text") << "text" << int(Affinity::Text);
    QTest::newRow("CLOB") << "CLOB" << int(Affinity::Text);
    QTest::newRow("BLOB") << "BLOB" << int(Affinity::Blob);
    QTest::newRow("none") << "" << int(Affinity::Blob);
    QTest::newRow("REAL") << "REAL" << int(Affinity::Real);
    QTest::newRow("DOUBLE") << "DOUBLE PRECISION" << int(Affinity::Real);
    QTest::newRow("float") << "float" << int(Affinity::Real);
    QTest::newRow("NUMERIC") << "NUMERIC" << int(Affinity::Numeric);
    QTest::newRow("DECIMAL(10,2)") << "DECIMAL(10,2)" << int(Affinity::Numeric);
    QTest::newRow("DATETIME") << "DATETIME" << int(Affinity::Numeric);
}

void TestShardRouter::affinityRules() {
    QFETCH(QString, type);
    QFETCH(int, affinity);
    QCOMPARE(int(affinityOf(type.toStdString())), affinity);
}

void TestShardRouter::canonicalText_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("affinity");
    QTest::addColumn<QString>("canonical");
    const int I = int(Affinity::Integer);
    const int R = int(Affinity::Real);
    const int N = int(Affinity::Numeric);
    const int T = int(Affinity::Text);
    QTest::newRow("int") << "5" << I << "5";
    QTest::newRow("int plus") << "+5" << I << "5";
    QTest::newRow("int spaces") << " 5 " << I << "5";
    QTest::newRow("int leading zero") << "007" << I << "7";
    QTest::newRow("int as real") << "5.0" << I << "5";
    QTest::newRow("int exp") << "1e3" << I << "1000";
    QTest::newRow("int fraction") << "5.5" << I << "5.5";
    QTest::newRow("int negative zero") << "-0" << I << "0";
    QTest::newRow("int not a number") << "abc" << I << "abc";
    QTest::newRow("int hex stays text") << "0x10" << I << "0x10";
    QTest::newRow("real integral") << "5" << R << "5";
    QTest::newRow("real") << "0.1" << R << "0.10000000000000001";
    QTest::newRow("numeric") << "12.50" << N << "12.5";
    QTest::newRow("text keeps digits") << "5.0" << T << "5.0";
    QTest::newRow("text keeps spaces") << " 5 " << T << " 5 ";
}

void TestShardRouter::canonicalText() {
    QFETCH(QString, text);
    QFETCH(int, affinity);
    QFETCH(QString, canonical);
    QCOMPARE(QString::fromStdString(
                 sluice::store::canonicalText(text.toStdString(), Affinity(affinity))),
             canonical);
}

void TestShardRouter::integerLikeValuesRouteAlike() {
    auto db = memoryDb();
    const uint64_t five = valueHash(db.get(), "5");
    QVERIFY(five != 0);
    // integer 5, real 5.0, text '5' stored in an INTEGER column, and the pipeline's text "5"
    // bound to an INTEGER / REAL / NUMERIC column all hash alike.
    QCOMPARE(quint64(valueHash(db.get(), "5.0")), quint64(five));
    QCOMPARE(quint64(valueHash(db.get(), "CAST('5' AS INTEGER)")), quint64(five));
    QCOMPARE(quint64(textHash("5", Affinity::Integer)), quint64(five));
    QCOMPARE(quint64(textHash("5.0", Affinity::Integer)), quint64(five));
    QCOMPARE(quint64(textHash("5", Affinity::Real)), quint64(five));
    QCOMPARE(quint64(textHash("5", Affinity::Numeric)), quint64(five));
    for (int shards : {2, 3, 4, 5, 8}) {
        KeyHash h;
        h.addText("5", Affinity::Integer);
        const int expected = h.shard(shards);
        QCOMPARE(sqlShard(db.get(), "INTEGER", "5", shards), expected);
        QCOMPARE(sqlShard(db.get(), "INTEGER", "'5'", shards), expected);
        QCOMPARE(sqlShard(db.get(), "INTEGER", "5.0", shards), expected);
        QCOMPARE(sqlShard(db.get(), "REAL", "5", shards), expected);
        QCOMPARE(sqlShard(db.get(), "NUMERIC", "'5.0'", shards), expected);
    }
    // 5.5 is not 5.
    QVERIFY(valueHash(db.get(), "5.5") != five);
}

// Whatever SQLite stores for a text field in a column of a declared type, the pipeline's
// addText(text, affinityOf(type)) must route it to the same shard as the SQL path.
void TestShardRouter::textPathMatchesSqlPath_data() {
    QTest::addColumn<QString>("type");
    QTest::addColumn<QString>("text");
    const char* types[] = {"INTEGER", "REAL", "NUMERIC", "TEXT", "BLOB"};
    const char* texts[] = {"5",
                           "-12",
                           "5.0",
                           "5.25",
                           "1e3",
                           " 42 ",
                           "abc",
                           "user-0001",
                           "0.1",
                           "9223372036854775807",
                           "9223372036854775808",
                           "007",
                           "9007199254740993",
                           "9.21e18",
                           "-9223372036854775808",
                           "1e20",
                           "-0"};
    for (const char* ty : types)
        for (const char* tx : texts)
            QTest::newRow((std::string(ty) + " '" + tx + "'").c_str()) << ty << tx;
}

void TestShardRouter::textPathMatchesSqlPath() {
    QFETCH(QString, type);
    QFETCH(QString, text);
    auto db = memoryDb();
    // Bind the text as SQLite text, like the pipeline writer does.
    const std::string ty = type.toStdString();
    const std::string tx = text.toStdString();
    std::string ddl = "CREATE TABLE v (c " + ty + ")";
    QCOMPARE(sqlite3_exec(db.get(), ddl.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_stmt* raw = nullptr;
    QCOMPARE(sqlite3_prepare_v2(db.get(), "INSERT INTO v VALUES (?1)", -1, &raw, nullptr),
             SQLITE_OK);
    StmtPtr ins(raw);
    sqlite3_bind_text(raw, 1, tx.data(), int(tx.size()), SQLITE_TRANSIENT);
    QCOMPARE(sqlite3_step(raw), SQLITE_DONE);
    QCOMPARE(sqlite3_prepare_v2(db.get(), "SELECT c FROM v", -1, &raw, nullptr), SQLITE_OK);
    StmtPtr sel(raw);
    QCOMPARE(sqlite3_step(raw), SQLITE_ROW);
    KeyHash fromSql;
    fromSql.addValue(sqlite3_column_value(raw, 0));
    KeyHash fromText;
    fromText.addText(tx, affinityOf(ty));
    QCOMPARE(quint64(fromText.value()), quint64(fromSql.value()));
}

void TestShardRouter::textAndBlobWithSameBytes() {
    // Documented: text and blobs hash as their bytes, so 'abc' and x'616263' route alike, and
    // both differ from other bytes.
    auto db = memoryDb();
    const uint64_t text = valueHash(db.get(), "'abc'");
    const uint64_t blob = valueHash(db.get(), "x'616263'");
    QCOMPARE(quint64(blob), quint64(text));
    QCOMPARE(quint64(textHash("abc", Affinity::Text)), quint64(text));
    QCOMPARE(quint64(textHash("abc", Affinity::Blob)), quint64(text));
    QVERIFY(valueHash(db.get(), "x'616264'") != text);
    QVERIFY(valueHash(db.get(), "'ABC'") != text); // case matters
}

void TestShardRouter::distinctTextsDiffer() {
    // No collisions among a few thousand short keys (64-bit hash).
    std::set<uint64_t> seen;
    for (int i = 0; i < 5000; ++i)
        seen.insert(textHash("k" + std::to_string(i), Affinity::Text));
    QCOMPARE(int(seen.size()), 5000);
}

void TestShardRouter::spread() {
    std::array<int, 4> counts{};
    const int n = 10000;
    for (int i = 1; i <= n; ++i) {
        char key[32];
        std::snprintf(key, sizeof key, "user-%04d", i);
        KeyHash h;
        h.addText(key, Affinity::Text);
        const int s = h.shard(4);
        QVERIFY(s >= 0 && s < 4);
        ++counts[size_t(s)];
    }
    for (int s = 0; s < 4; ++s) {
        const double share = double(counts[size_t(s)]) / n;
        QVERIFY2(
            share >= 0.20 && share <= 0.30,
            qPrintable(QString("shard %1 got %2 of %3 keys").arg(s).arg(counts[size_t(s)]).arg(n)));
    }
    // Integer keys 1..10000 too.
    std::array<int, 4> ints{};
    for (int i = 1; i <= n; ++i) {
        KeyHash h;
        h.addText(std::to_string(i), Affinity::Integer);
        ++ints[size_t(h.shard(4))];
    }
    for (int s = 0; s < 4; ++s)
        QVERIFY2(ints[size_t(s)] >= 2000 && ints[size_t(s)] <= 3000,
                 qPrintable(QString("shard %1 got %2 integer keys").arg(s).arg(ints[size_t(s)])));
}

QTEST_APPLESS_MAIN(TestShardRouter)
#include "tst_ShardRouter.moc"
