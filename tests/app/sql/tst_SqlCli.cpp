// `sluicectl sql` as a process: output formats, script sources (-e, FILE, stdin), errors on
// stderr with exit 1, and that a failed statement leaves the store's data unchanged.
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

namespace {

const QString kCtl = QStringLiteral(SLUICECTL_PATH);
constexpr int kBoundMs = 60000;

struct Run {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

Run runCtl(const QStringList& args, const QByteArray& input = {}) {
    QProcess p;
    p.start(kCtl, args);
    Run r;
    if (!p.waitForStarted(kBoundMs)) {
        r.err = "did not start";
        return r;
    }
    if (!input.isEmpty())
        p.write(input);
    p.closeWriteChannel();
    if (!p.waitForFinished(kBoundMs)) {
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

QString show(const Run& r) {
    return QString("exit %1\nstdout: %2\nstderr: %3")
        .arg(r.exitCode)
        .arg(QString::fromUtf8(r.out), QString::fromUtf8(r.err));
}

const QStringList kSetup = {
    "-e",
    "CREATE TABLE t (id INTEGER NOT NULL, name TEXT NOT NULL, score REAL, SHARD KEY (id))",
    "-e",
    "INSERT INTO t VALUES (1, 'a', 1.5), (2, 'b,c', NULL), (3, 'say \"hi\"', 3)",
};

} // namespace

class TestSqlCli : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void csvOutput();
    void jsonOutput();
    void tableOutput();
    void repeatedDashE();
    void fileArgument();
    void stdinDash();
    void errors_data();
    void errors();
    void failedStatementLeavesDataUnchanged();
    void shardsOptionOnNewAndExistingStore();
};

void TestSqlCli::initTestCase() {
    QVERIFY2(QFile::exists(kCtl), qPrintable(kCtl));
}

void TestSqlCli::csvOutput() {
    QTemporaryDir tmp;
    const QString store = tmp.path() + "/s";
    Run r =
        runCtl(QStringList{"sql", "--store", store} + kSetup +
               QStringList{"-e", "SELECT id, name, score FROM t ORDER BY id", "--format", "csv"});
    QVERIFY2(r.exitCode == 0, qPrintable(show(r)));
    QCOMPARE(QString::fromUtf8(r.out),
             QString("id,name,score\n1,a,1.5\n2,\"b,c\",\n3,\"say \"\"hi\"\"\",3.0\n")
                 .replace("3.0\n", "3\n"));
    QVERIFY2(r.err.isEmpty(), r.err.constData());
    // A statement without a result set prints nothing; an empty result set prints the header.
    r = runCtl({"sql", "--store", store, "--format", "csv", "-e",
                "SELECT id AS \"the id\" FROM t WHERE id > 100"});
    QVERIFY2(r.exitCode == 0, qPrintable(show(r)));
    QCOMPARE(QString::fromUtf8(r.out), QString("the id\n"));
}

void TestSqlCli::jsonOutput() {
    QTemporaryDir tmp;
    const QString store = tmp.path() + "/s";
    Run r = runCtl(QStringList{"sql", "--store", store, "--format", "json"} + kSetup +
                   QStringList{"-e", "SELECT id, name, score FROM t ORDER BY id"});
    QVERIFY2(r.exitCode == 0, qPrintable(show(r)));
    QJsonParseError err{};
    QJsonDocument doc = QJsonDocument::fromJson(r.out, &err);
    QVERIFY2(err.error == QJsonParseError::NoError, qPrintable(err.errorString() + "\n" + show(r)));
    QVERIFY(doc.isArray());
    QJsonArray a = doc.array();
    QCOMPARE(a.size(), 3);
    QCOMPARE(a[0].toObject().value("id").toInt(), 1);
    QVERIFY(a[0].toObject().value("id").isDouble()); // a number, not a string
    QCOMPARE(a[0].toObject().value("name").toString(), QString("a"));
    QCOMPARE(a[0].toObject().value("score").toDouble(), 1.5);
    QCOMPARE(a[1].toObject().value("name").toString(), QString("b,c"));
    QVERIFY(a[1].toObject().value("score").isNull());
    QCOMPARE(a[2].toObject().value("name").toString(), QString("say \"hi\""));
    QCOMPARE(a[2].toObject().keys().size(), 3);
    // An empty result is an empty array.
    r = runCtl({"sql", "--store", store, "--format", "json", "-e", "SELECT * FROM t WHERE id < 0"});
    QVERIFY2(r.exitCode == 0, qPrintable(show(r)));
    doc = QJsonDocument::fromJson(r.out, &err);
    QVERIFY2(err.error == QJsonParseError::NoError, r.out.constData());
    QVERIFY(doc.isArray() && doc.array().isEmpty());
}

void TestSqlCli::tableOutput() {
    QTemporaryDir tmp;
    const QString store = tmp.path() + "/s";
    Run r = runCtl(QStringList{"sql", "--store", store} + kSetup +
                   QStringList{"-e", "SELECT id, name FROM t ORDER BY id"});
    QVERIFY2(r.exitCode == 0, qPrintable(show(r)));
    const QStringList lines = QString::fromUtf8(r.out).split('\n', Qt::SkipEmptyParts);
    QVERIFY2(lines.size() == 8, qPrintable(show(r)));
    // Columns as wide as their widest cell; numbers right-aligned, text left-aligned.
    QCOMPARE(lines[0], QString("+----+----------+"));
    QCOMPARE(lines[1], QString("| id | name     |"));
    QCOMPARE(lines[2], lines[0]);
    QCOMPARE(lines[3], QString("|  1 | a        |"));
    QCOMPARE(lines[4], QString("|  2 | b,c      |"));
    QCOMPARE(lines[5], QString("|  3 | say \"hi\" |"));
    QCOMPARE(lines[6], lines[0]);
    QCOMPARE(lines[7], QString("3 rows"));
}

void TestSqlCli::repeatedDashE() {
    QTemporaryDir tmp;
    const QString store = tmp.path() + "/s";
    Run r =
        runCtl(QStringList{"sql", "--store", store, "--format", "csv"} + kSetup +
               QStringList{"-e", "SELECT count(*) AS n FROM t", "-e", "SELECT max(id) AS m FROM t",
                           "-e", "SELECT 'x' AS a; SELECT 'y' AS b"});
    QVERIFY2(r.exitCode == 0, qPrintable(show(r)));
    QCOMPARE(QString::fromUtf8(r.out), QString("n\n3\nm\n3\na\nx\nb\ny\n"));
}

void TestSqlCli::fileArgument() {
    QTemporaryDir tmp;
    const QString store = tmp.path() + "/s";
    const QString script = tmp.path() + "/script.sql";
    {
        QFile f(script);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("-- a script\n"
                "CREATE TABLE k (id INTEGER, v TEXT, SHARD KEY (id));\n"
                "INSERT INTO k VALUES (1, 'one;with semicolon'), (2, 'two');\n"
                "\n"
                "SELECT id, v FROM k ORDER BY id;\n");
    }
    Run r = runCtl({"sql", "--store", store, "--format", "csv", script});
    QVERIFY2(r.exitCode == 0, qPrintable(show(r)));
    QCOMPARE(QString::fromUtf8(r.out), QString("id,v\n1,one;with semicolon\n2,two\n"));
    // The data is persistent: a second run sees it.
    r = runCtl({"sql", "--store", store, "--format", "csv", "-e", "SELECT count(*) AS c FROM k"});
    QVERIFY2(r.exitCode == 0, qPrintable(show(r)));
    QCOMPARE(QString::fromUtf8(r.out), QString("c\n2\n"));
    // A missing file is an error.
    r = runCtl({"sql", "--store", store, tmp.path() + "/missing.sql"});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.startsWith("error: ") && r.err.contains("missing.sql"), qPrintable(show(r)));
}

void TestSqlCli::stdinDash() {
    QTemporaryDir tmp;
    const QString store = tmp.path() + "/s";
    Run r = runCtl({"sql", "--store", store, "--format", "csv", "-"},
                   "CREATE TABLE s (id INTEGER, SHARD KEY (id));\n"
                   "INSERT INTO s VALUES (10), (20), (30);\n"
                   "SELECT sum(id) AS total FROM s;\n");
    QVERIFY2(r.exitCode == 0, qPrintable(show(r)));
    QCOMPARE(QString::fromUtf8(r.out), QString("total\n60\n"));
    // -e and - combine in command-line order.
    r = runCtl({"sql", "--store", store, "--format", "csv", "-e", "SELECT 1 AS first", "-"},
               "SELECT 2 AS second");
    QVERIFY2(r.exitCode == 0, qPrintable(show(r)));
    QCOMPARE(QString::fromUtf8(r.out), QString("first\n1\nsecond\n2\n"));
}

void TestSqlCli::errors_data() {
    QTest::addColumn<QStringList>("args"); // %S is replaced by a fresh store folder
    QTest::addColumn<QString>("mentions");
    QTest::newRow("syntax error") << QStringList{"--store", "%S", "-e", "SELEKT 1"} << "SELEKT";
    QTest::newRow("bad format") << QStringList{"--store", "%S", "--format", "xml", "-e", "SELECT 1"}
                                << "xml";
    QTest::newRow("shards 9") << QStringList{"--store", "%S", "--shards", "9", "-e", "SELECT 1"}
                              << "9";
    QTest::newRow("shards 0") << QStringList{"--store", "%S", "--shards", "0", "-e", "SELECT 1"}
                              << "shards";
    QTest::newRow("shards text") << QStringList{"--store", "%S", "--shards",
                                                "four",    "-e", "SELECT 1"}
                                 << "four";
    QTest::newRow("not a store") << QStringList{"--store", "%N", "-e", "SELECT 1"}
                                 << "not a Sluice store";
    QTest::newRow("regular file") << QStringList{"--store", "%F", "-e", "SELECT 1"}
                                  << "not a folder";
    QTest::newRow("missing store") << QStringList{"-e", "SELECT 1"} << "--store";
    QTest::newRow("unknown option")
        << QStringList{"--store", "%S", "--frmat", "csv", "-e", "SELECT 1"} << "--frmat";
    QTest::newRow("no such table")
        << QStringList{"--store", "%S", "-e", "SELECT * FROM nope"} << "nope";
    QTest::newRow("bad shard key")
        << QStringList{"--store", "%S", "-e", "CREATE TABLE t (a INTEGER, SHARD KEY (b))"} << "'b'";
}

void TestSqlCli::errors() {
    QFETCH(QStringList, args);
    QFETCH(QString, mentions);
    QTemporaryDir tmp;
    const QString notStore = tmp.path() + "/notastore";
    QVERIFY(QDir().mkpath(notStore));
    {
        QFile f(notStore + "/data.txt");
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("x");
        QFile g(tmp.path() + "/file");
        QVERIFY(g.open(QIODevice::WriteOnly));
        g.write("x");
    }
    for (QString& a : args) {
        a.replace("%S", tmp.path() + "/store");
        a.replace("%N", notStore);
        a.replace("%F", tmp.path() + "/file");
    }
    Run r = runCtl(QStringList{"sql"} + args);
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.startsWith("error: "), qPrintable(show(r)));
    QVERIFY2(QString::fromUtf8(r.err).contains(mentions), qPrintable(show(r)));
    QVERIFY2(r.out.isEmpty(), qPrintable(show(r)));
    QVERIFY2(!QFile::exists(notStore + "/catalog.db"), "a refused folder gets no files");
}

void TestSqlCli::failedStatementLeavesDataUnchanged() {
    QTemporaryDir tmp;
    const QString store = tmp.path() + "/s";
    Run r = runCtl(QStringList{"sql", "--store", store} + kSetup);
    QVERIFY2(r.exitCode == 0, qPrintable(show(r)));
    auto countRows = [&] {
        Run c = runCtl({"sql", "--store", store, "--format", "csv", "-e",
                        "SELECT count(*) AS n, sum(id) AS s FROM t"});
        return c.exitCode == 0 ? QString::fromUtf8(c.out) : QString("failed: ") + show(c);
    };
    const QString before = countRows();
    QCOMPARE(before, QString("n,s\n3,6\n"));
    // Third row violates NOT NULL.
    r = runCtl({"sql", "--store", store, "-e",
                "INSERT INTO t VALUES (4, 'd', 1), (5, 'e', 2), (6, NULL, 3)"});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.startsWith("error: ") && r.err.contains("NOT NULL"), qPrintable(show(r)));
    QCOMPARE(countRows(), before);
    // Refused UPDATE of the shard key.
    r = runCtl({"sql", "--store", store, "-e", "UPDATE t SET id = id + 10"});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.startsWith("error: "), qPrintable(show(r)));
    QCOMPARE(countRows(), before);
    // A failing UPDATE on every shard (NOT NULL) changes nothing.
    r = runCtl({"sql", "--store", store, "-e", "UPDATE t SET name = NULL WHERE id >= 2"});
    QCOMPARE(r.exitCode, 1);
    Run names = runCtl({"sql", "--store", store, "--format", "csv", "-e",
                        "SELECT count(*) AS n FROM t WHERE name IS NOT NULL"});
    QCOMPARE(QString::fromUtf8(names.out), QString("n\n3\n"));
    QCOMPARE(countRows(), before);
}

void TestSqlCli::shardsOptionOnNewAndExistingStore() {
    QTemporaryDir tmp;
    const QString store = tmp.path() + "/s";
    Run r = runCtl({"sql", "--store", store, "--shards", "2", "-e", "SELECT 1"});
    QVERIFY2(r.exitCode == 0, qPrintable(show(r)));
    QVERIFY(QFile::exists(store + "/shard-01.db"));
    QVERIFY(!QFile::exists(store + "/shard-02.db"));
    // An existing store keeps its count; a different --shards is reported, not applied.
    r = runCtl(
        {"sql", "--store", store, "--shards", "6", "--format", "csv", "-e", "SELECT 1 AS x"});
    QVERIFY2(r.exitCode == 0, qPrintable(show(r)));
    QCOMPARE(QString::fromUtf8(r.out), QString("x\n1\n"));
    QVERIFY2(r.err.contains("2 shards"), qPrintable(show(r)));
    QVERIFY(!QFile::exists(store + "/shard-02.db"));
}

QTEST_MAIN(TestSqlCli)
#include "tst_SqlCli.moc"
