#include "sql/Lexer.h"

#include <QTest>

using namespace sluice::sql;

class LexerTest : public QObject {
    Q_OBJECT
private slots:
    void splitsStatements_data() {
        QTest::addColumn<QString>("script");
        QTest::addColumn<QStringList>("statements");
        QTest::newRow("two") << "SELECT 1; SELECT 2" << QStringList{"SELECT 1", "SELECT 2"};
        QTest::newRow("semicolon in string") << "SELECT ';'; SELECT 2;"
                                             << QStringList{"SELECT ';'", "SELECT 2"};
        QTest::newRow("empty statements") << ";;SELECT 1;;" << QStringList{"SELECT 1"};
        QTest::newRow("comments") << "-- a;\nSELECT 1 /* ; */;" << QStringList{"SELECT 1 /* ; */"};
        QTest::newRow("trigger body")
            << "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; SELECT 2; END; SELECT 3"
            << QStringList{"CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; SELECT 2; END",
                           "SELECT 3"};
        QTest::newRow("pipeline backslash")
            << "CREATE PIPELINE p AS LOAD DATA KAFKA 'h/t' INTO TABLE t FIELDS ESCAPED BY '\\\\'; "
               "SELECT 1"
            << QStringList{"CREATE PIPELINE p AS LOAD DATA KAFKA 'h/t' INTO TABLE t FIELDS "
                           "ESCAPED BY '\\\\'",
                           "SELECT 1"};
    }
    void splitsStatements() {
        QFETCH(QString, script);
        QFETCH(QStringList, statements);
        std::string s = script.toStdString();
        auto r = splitStatements(s);
        QVERIFY(r.ok());
        QStringList got;
        for (auto& st : *r)
            got << QString::fromStdString(std::string(st.text));
        QCOMPARE(got, statements);
    }

    void unterminatedStringIsAnError() {
        auto r = tokenize("SELECT 'abc", StringEscapes::Sql);
        QVERIFY(!r.ok());
        QVERIFY(r.status().message().find("line 1 column 8") != std::string::npos);
    }

    void mysqlEscapes() {
        auto r = tokenize(R"('a\tb' 'it''s' "q")", StringEscapes::MySql);
        QVERIFY(r.ok());
        QCOMPARE(QString::fromStdString((*r)[0].value), QString("a\tb"));
        QCOMPARE(QString::fromStdString((*r)[1].value), QString("it's"));
        QCOMPARE((*r)[2].kind, TokenKind::QuotedIdentifier);
    }

    void classifiesPipelineStatements_data() {
        QTest::addColumn<QString>("sql");
        QTest::addColumn<bool>("pipeline");
        QTest::newRow("create") << "create pipeline p as" << true;
        QTest::newRow("create or replace") << "CREATE OR REPLACE PIPELINE p" << true;
        QTest::newRow("show") << "SHOW PIPELINES" << true;
        QTest::newRow("show create") << "show create pipeline p" << true;
        QTest::newRow("table") << "CREATE TABLE pipeline (a)" << false;
        QTest::newRow("select") << "SELECT * FROM pipeline" << false;
        QTest::newRow("alter table") << "ALTER TABLE t ADD COLUMN c" << false;
    }
    void classifiesPipelineStatements() {
        QFETCH(QString, sql);
        QFETCH(bool, pipeline);
        QCOMPARE(isPipelineStatement(sql.toStdString()), pipeline);
    }
};

QTEST_APPLESS_MAIN(LexerTest)
#include "tst_Lexer.moc"
