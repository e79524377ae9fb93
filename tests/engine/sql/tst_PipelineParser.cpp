#include "sql/Lexer.h"
#include "sql/PipelineStatement.h"

#include <QDir>
#include <QFile>
#include <QTest>

using namespace sluice;
using namespace sluice::sql;

Q_DECLARE_METATYPE(sluice::sql::PipelineStatement)
Q_DECLARE_METATYPE(sluice::sql::PipelineSpec)

namespace {

// The spec of `CREATE PIPELINE p AS LOAD DATA KAFKA 'h:9092/t' INTO TABLE t`.
PipelineSpec baseSpec() {
    PipelineSpec s;
    s.name = "p";
    s.brokers = "h:9092";
    s.topic = "t";
    s.target = "t";
    return s;
}

template <typename Edit> PipelineSpec spec(Edit edit) {
    PipelineSpec s = baseSpec();
    edit(s);
    return s;
}

PipelineStatement create(PipelineSpec s, bool orReplace = false, bool ifNotExists = false) {
    return CreatePipeline{orReplace, ifNotExists, std::move(s)};
}

const QString kHead = "CREATE PIPELINE p AS LOAD DATA KAFKA 'h:9092/t' ";
const QString kInto = kHead + "INTO TABLE t ";

QByteArray show(const PipelineStatement& st) {
    if (const auto* c = std::get_if<CreatePipeline>(&st))
        return QByteArray::fromStdString(toSql(c->spec, false));
    return "statement kind #" + QByteArray::number(static_cast<int>(st.index()));
}

// parse(sql) must give a CreatePipeline; its spec, or a failure naming the SQL.
std::optional<PipelineSpec> parseSpec(const std::string& sql, QByteArray& why) {
    auto r = parsePipelineStatement(sql);
    if (!r.ok()) {
        why = QByteArray::fromStdString(r.status().message() + "\n" + sql);
        return std::nullopt;
    }
    const auto* c = std::get_if<CreatePipeline>(&*r);
    if (!c) {
        why = "not a CREATE PIPELINE: " + QByteArray::fromStdString(sql);
        return std::nullopt;
    }
    return c->spec;
}

// toSql(spec) parses back to spec, and printing that again gives the same text.
bool roundTrips(const PipelineSpec& s, QByteArray& why) {
    const std::string sql = toSql(s, false);
    auto back = parseSpec(sql, why);
    if (!back)
        return false;
    if (!(*back == s)) {
        why = "round trip changed the spec:\n" + QByteArray::fromStdString(sql) + "\n---\n" +
              QByteArray::fromStdString(toSql(*back, false));
        return false;
    }
    if (toSql(*back, false) != sql) {
        why = "toSql is not stable:\n" + QByteArray::fromStdString(sql);
        return false;
    }
    return true;
}

// A JSON string's contents for text (CONFIG values in the tests).
std::string jsonEscaped(const std::string& text) {
    std::string out;
    for (char c : text) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            out += c;
            break;
        }
    }
    return out;
}

} // namespace

class PipelineParserTest : public QObject {
    Q_OBJECT
private slots:
    void statements_data();
    void statements();
    void createSpecs_data();
    void createSpecs();
    void errors_data();
    void errors();
    void exampleScriptsRoundTrip();
    void generatedVariationsRoundTrip();
    void identifiersRoundTrip_data();
    void identifiersRoundTrip();
    void stringsRoundTrip_data();
    void stringsRoundTrip();
    void printsOnlyWhatWasWritten_data();
    void printsOnlyWhatWasWritten();
    void redactsCredentials();
    void everyPrefixFailsCleanly();
};

void PipelineParserTest::statements_data() {
    QTest::addColumn<QString>("sql");
    QTest::addColumn<PipelineStatement>("expected");

    QTest::newRow("create") << kInto << create(baseSpec());
    QTest::newRow("create or replace if not exists")
        << "create or replace pipeline if not exists p as load data kafka 'h:9092/t' "
           "into table t"
        << create(baseSpec(), true, true);
    QTest::newRow("start") << "START PIPELINE p"
                           << PipelineStatement(StartPipeline{"p", false, false, std::nullopt});
    QTest::newRow("start if not running foreground limit")
        << "start pipeline if not running p foreground limit 3 batches"
        << PipelineStatement(StartPipeline{"p", true, true, 3});
    QTest::newRow("start foreground")
        << "START PIPELINE `my p` FOREGROUND"
        << PipelineStatement(StartPipeline{"my p", false, true, std::nullopt});
    QTest::newRow("stop") << "STOP PIPELINE p" << PipelineStatement(StopPipeline{"p", false});
    QTest::newRow("stop if running")
        << "STOP PIPELINE IF RUNNING \"p q\"" << PipelineStatement(StopPipeline{"p q", true});
    QTest::newRow("drop") << "DROP PIPELINE p" << PipelineStatement(DropPipeline{"p", false});
    QTest::newRow("drop if exists")
        << "Drop Pipeline If Exists p" << PipelineStatement(DropPipeline{"p", true});
    QTest::newRow("offsets earliest")
        << "ALTER PIPELINE p SET OFFSETS EARLIEST"
        << PipelineStatement(AlterOffsets{"p", AlterOffsets::Kind::Earliest, {}, {}});
    QTest::newRow("offsets latest")
        << "alter pipeline p set offsets latest"
        << PipelineStatement(AlterOffsets{"p", AlterOffsets::Kind::Latest, {}, {}});
    QTest::newRow("offsets explicit")
        << "ALTER PIPELINE p SET OFFSETS '{\"0\":123,\"1\":456}'"
        << PipelineStatement(
               AlterOffsets{"p", AlterOffsets::Kind::Explicit, {{0, 123}, {1, 456}}, {}});
    QTest::newRow("offsets explicit spaced")
        << "ALTER PIPELINE p SET OFFSETS ' { \"12\" : 0 ,\n \"3\":9007199254740993 } '"
        << PipelineStatement(AlterOffsets{
               "p", AlterOffsets::Kind::Explicit, {{12, 0}, {3, 9007199254740993LL}}, {}});
    QTest::newRow("offsets at time")
        << "ALTER PIPELINE p SET OFFSETS AT '2026-11-23 10:00:00'"
        << PipelineStatement(
               AlterOffsets{"p", AlterOffsets::Kind::AtTime, {}, "2026-11-23 10:00:00"});
    QTest::newRow("alter one option")
        << "ALTER PIPELINE p SET BATCH_INTERVAL 100"
        << PipelineStatement(AlterOptions{"p", {{"BATCH_INTERVAL", 100}}});
    QTest::newRow("alter all options")
        << "alter pipeline p set max_retries_per_batch_partition 1, batch_interval 0, "
           "MAX_PARTITIONS_PER_BATCH 2, MAX_OFFSETS_PER_BATCH_PARTITION 10"
        << PipelineStatement(AlterOptions{"p",
                                          {{"BATCH_INTERVAL", 0},
                                           {"MAX_PARTITIONS_PER_BATCH", 2},
                                           {"MAX_OFFSETS_PER_BATCH_PARTITION", 10},
                                           {"MAX_RETRIES_PER_BATCH_PARTITION", 1}}});
    QTest::newRow("alter transform")
        << "ALTER PIPELINE p SET TRANSFORM ('t/x.py', '', '--a 1')"
        << PipelineStatement(AlterTransform{"p", false, TransformSpec{"t/x.py", "", "--a 1"}});
    QTest::newRow("reload transform") << "ALTER PIPELINE p RELOAD TRANSFORM"
                                      << PipelineStatement(AlterTransform{"p", true, std::nullopt});
    QTest::newRow("show pipelines") << "SHOW PIPELINES" << PipelineStatement(ShowPipelines{});
    QTest::newRow("show create") << "show create pipeline p"
                                 << PipelineStatement(ShowCreatePipeline{"p"});
    QTest::newRow("test") << "TEST PIPELINE p"
                          << PipelineStatement(TestPipeline{"p", std::nullopt});
    QTest::newRow("test limit") << "TEST PIPELINE p LIMIT 10"
                                << PipelineStatement(TestPipeline{"p", 10});
    QTest::newRow("extract") << "EXTRACT PIPELINE p INTO OUTFILE '/tmp/p.out'"
                             << PipelineStatement(ExtractPipeline{"p", "/tmp/p.out"});
    QTest::newRow("comments and line breaks")
        << "-- lead\nSTOP /* inline */ PIPELINE\n# mysql comment\n p"
        << PipelineStatement(StopPipeline{"p", false});
}

void PipelineParserTest::statements() {
    QFETCH(QString, sql);
    QFETCH(PipelineStatement, expected);
    auto r = parsePipelineStatement(sql.toStdString());
    QVERIFY2(r.ok(), r.status().message().c_str());
    QCOMPARE(r->index(), expected.index());
    QVERIFY2(*r == expected, show(*r).constData());
}

void PipelineParserTest::createSpecs_data() {
    QTest::addColumn<QString>("sql");
    QTest::addColumn<PipelineSpec>("expected");

    QTest::newRow("lower case") << "create pipeline p as load data kafka 'h:9092/t' into table t"
                                << baseSpec();
    QTest::newRow("brokers split at last slash")
        << "CREATE PIPELINE p AS LOAD DATA KAFKA 'b1:9092,b2:9093/orders' INTO TABLE t"
        << spec([](PipelineSpec& s) {
               s.brokers = "b1:9092,b2:9093";
               s.topic = "orders";
           });
    QTest::newRow("fs") << "CREATE PIPELINE p AS LOAD DATA FS '/data/in/*.csv' INTO TABLE t"
                        << spec([](PipelineSpec& s) {
                               s.sourceType = SourceType::Fs;
                               s.brokers.clear();
                               s.topic.clear();
                               s.fsPath = "/data/in/*.csv";
                           });
    auto allOptions = [](PipelineSpec& s) {
        s.options = {0, 3, 500, 7};
        s.explicitBatchInterval = s.explicitMaxPartitions = true;
        s.explicitMaxOffsets = s.explicitMaxRetries = true;
    };
    QTest::newRow("options in order")
        << kHead + "BATCH_INTERVAL 0 MAX_PARTITIONS_PER_BATCH 3 MAX_OFFSETS_PER_BATCH_PARTITION "
                   "500 MAX_RETRIES_PER_BATCH_PARTITION 7 INTO TABLE t"
        << spec(allOptions);
    QTest::newRow("options reversed")
        << kHead + "max_retries_per_batch_partition 7 max_offsets_per_batch_partition 500 "
                   "max_partitions_per_batch 3 batch_interval 0 INTO TABLE t"
        << spec(allOptions);
    QTest::newRow("option equal to default is kept")
        << kHead + "MAX_RETRIES_PER_BATCH_PARTITION 4 INTO TABLE t"
        << spec([](PipelineSpec& s) { s.explicitMaxRetries = true; });
    QTest::newRow("config and credentials")
        << kHead + "CREDENTIALS '{\"sasl.password\": \"x\"}' CONFIG ' {\"a\": {\"b\": [1, -2.5e3, "
                   "true, null, \"s\\\\\\\"q\"]}} ' INTO TABLE t"
        << spec([](PipelineSpec& s) {
               s.credentialsJson = "{\"sasl.password\": \"x\"}";
               s.configJson = " {\"a\": {\"b\": [1, -2.5e3, true, null, \"s\\\"q\"]}} ";
           });
    QTest::newRow("transform") << kHead +
                                      "WITH TRANSFORM ('scripts/t.py', '', '-a -b') INTO TABLE t"
                               << spec([](PipelineSpec& s) {
                                      s.transform = TransformSpec{"scripts/t.py", "", "-a -b"};
                                  });
    QTest::newRow("transform path only")
        << kHead + "BATCH_INTERVAL 5 WITH TRANSFORM ('t.sh') INTO TABLE t"
        << spec([](PipelineSpec& s) {
               s.options.batchIntervalMs = 5;
               s.explicitBatchInterval = true;
               s.transform = TransformSpec{"t.sh", "", ""};
           });
    const std::pair<const char*, ErrorPolicy> policies[] = {
        {"REPLACE", ErrorPolicy::Replace},
        {"IGNORE", ErrorPolicy::Ignore},
        {"SKIP ALL ERRORS", ErrorPolicy::SkipAll},
        {"skip duplicate key errors", ErrorPolicy::SkipDuplicateKey},
        {"SKIP PARSER ERRORS", ErrorPolicy::SkipParser}};
    for (const auto& [words, policy] : policies)
        QTest::newRow(words) << kHead + words + " INTO TABLE t"
                             << spec([p = policy](PipelineSpec& s) { s.errorPolicy = p; });
    QTest::newRow("procedure") << kHead + "INTO PROCEDURE load_rows" << spec([](PipelineSpec& s) {
        s.targetKind = TargetKind::Procedure;
        s.target = "load_rows";
    });
    QTest::newRow("quoted names")
        << "CREATE PIPELINE `my pipe` AS LOAD DATA KAFKA 'h:9092/t' INTO TABLE \"order\""
        << spec([](PipelineSpec& s) {
               s.name = "my pipe";
               s.target = "order";
           });
    QTest::newRow("comments")
        << "CREATE PIPELINE p -- name\nAS /* source: */ LOAD DATA KAFKA 'h:9092/t'\n# target\n"
           "INTO TABLE t"
        << baseSpec();

    QTest::newRow("format csv") << kInto + "FORMAT CSV" << spec([](PipelineSpec& s) {
        s.csv.formatCsvKeyword = true;
        s.csv.fieldsTerminatedBy = ",";
    });
    QTest::newRow("fields terminated")
        << kInto + "FIELDS TERMINATED BY '|'" << spec([](PipelineSpec& s) {
               s.csv.fieldsClauseGiven = true;
               s.csv.fieldsTerminatedBy = "|";
           });
    QTest::newRow("columns terminated")
        << kInto + "COLUMNS TERMINATED BY '\\t'" << spec([](PipelineSpec& s) {
               s.csv.fieldsClauseGiven = true;
               s.csv.fieldsTerminatedBy = "\t";
           });
    QTest::newRow("enclosed keeps tab default")
        << kInto + "FIELDS ENCLOSED BY '\"'" << spec([](PipelineSpec& s) {
               s.csv.fieldsClauseGiven = true;
               s.csv.enclosedBy = "\"";
           });
    QTest::newRow("optionally enclosed")
        << kInto + "FORMAT CSV FIELDS OPTIONALLY ENCLOSED BY ''''" << spec([](PipelineSpec& s) {
               s.csv.formatCsvKeyword = s.csv.fieldsClauseGiven = true;
               s.csv.fieldsTerminatedBy = ",";
               s.csv.enclosedBy = "'";
               s.csv.optionallyEnclosed = true;
           });
    QTest::newRow("escaped by backslash")
        << kInto + "FIELDS ESCAPED BY '\\\\'"
        << spec([](PipelineSpec& s) { s.csv.fieldsClauseGiven = true; });
    QTest::newRow("no escape") << kInto + "FIELDS ESCAPED BY ''" << spec([](PipelineSpec& s) {
        s.csv.fieldsClauseGiven = true;
        s.csv.escapedBy.clear();
    });
    QTest::newRow("fields parts in any order")
        << kInto + "FIELDS ESCAPED BY '^' ENCLOSED BY '\"' TERMINATED BY ';'"
        << spec([](PipelineSpec& s) {
               s.csv.fieldsClauseGiven = true;
               s.csv.escapedBy = "^";
               s.csv.enclosedBy = "\"";
               s.csv.fieldsTerminatedBy = ";";
           });
    QTest::newRow("lines terminated")
        << kInto + "LINES TERMINATED BY '\\r\\n'" << spec([](PipelineSpec& s) {
               s.csv.linesClauseGiven = true;
               s.csv.linesTerminatedBy = "\r\n";
           });
    QTest::newRow("lines starting and terminated")
        << kInto + "LINES STARTING BY '>>' TERMINATED BY '|\\n'" << spec([](PipelineSpec& s) {
               s.csv.linesClauseGiven = true;
               s.csv.linesStartingBy = ">>";
               s.csv.linesTerminatedBy = "|\n";
           });
    QTest::newRow("ignore lines") << kInto + "IGNORE 2 LINES"
                                  << spec([](PipelineSpec& s) { s.csv.ignoreLines = 2; });
    QTest::newRow("all csv options")
        << kInto + "FORMAT CSV COLUMNS TERMINATED BY '\\t' OPTIONALLY ENCLOSED BY '\"' ESCAPED "
                   "BY '' LINES STARTING BY 'x' TERMINATED BY ';' IGNORE 1 ROWS (a, `b c`, @d)"
        << spec([](PipelineSpec& s) {
               s.csv = {"\t", "\"", true, "", ";", "x", 1, true, true, true};
               s.columns = {"a", "b c", "@d"};
           });
    QTest::newRow("set and where with nested commas")
        << kInto + "FORMAT CSV (a, @x, @y) SET a = coalesce(@x, 'a,b'), "
                   "b = get_kafka_pipeline_prop('prop_offset') "
                   "WHERE (a > 0 AND f(@y, (1, 2)) = 3) OR @y IN ('x,y', 'WHERE')"
        << spec([](PipelineSpec& s) {
               s.csv.formatCsvKeyword = true;
               s.csv.fieldsTerminatedBy = ",";
               s.columns = {"a", "@x", "@y"};
               s.set = {{"a", "coalesce(@x, 'a,b')"},
                        {"b", "get_kafka_pipeline_prop('prop_offset')"}};
               s.whereExpr = "(a > 0 AND f(@y, (1, 2)) = 3) OR @y IN ('x,y', 'WHERE')";
           });
    QTest::newRow("expression text is verbatim")
        << kInto + "(@x)\nSET a =   upper( @x )\n  ||'-'||  \"Quoted\" ,b=(SELECT max(v) FROM m "
                   "WHERE k = 1 ON CONFLICT)\nWHERE\n  a <> 'it\\'s'"
        << spec([](PipelineSpec& s) {
               s.columns = {"@x"};
               s.set = {{"a", "upper( @x )\n  ||'-'||  \"Quoted\""},
                        {"b", "(SELECT max(v) FROM m WHERE k = 1 ON CONFLICT)"}};
               s.whereExpr = "a <> 'it\\'s'";
           });
    QTest::newRow("on duplicate key update")
        << kInto + "SET a = 1 WHERE b > 2 ON DUPLICATE KEY UPDATE a = a + 1, b = concat(b, ',')"
        << spec([](PipelineSpec& s) {
               s.set = {{"a", "1"}};
               s.whereExpr = "b > 2";
               s.onDuplicateKeyUpdate = {{"a", "a + 1"}, {"b", "concat(b, ',')"}};
           });
    QTest::newRow("json mappings")
        << kInto + "FORMAT JSON (id <- id, name <- user::name DEFAULT 'anon', `a b` <- `x y`::z "
                   "DEFAULT coalesce(NULL, 1), @raw <- %, first_tag <- tags::0) SET c = @raw"
        << spec([](PipelineSpec& s) {
               s.format = DataFormat::Json;
               s.fieldMappings = {{"id", {"id"}, std::nullopt},
                                  {"name", {"user", "name"}, "'anon'"},
                                  {"a b", {"x y", "z"}, "coalesce(NULL, 1)"},
                                  {"@raw", {"%"}, std::nullopt},
                                  {"first_tag", {"tags", "0"}, std::nullopt}};
               s.set = {{"c", "@raw"}};
           });
    QTest::newRow("avro with schema")
        << kInto + "FORMAT AVRO SCHEMA '{\"type\":\"record\"}' (id <- %::id, name <- "
                   "%::user::name DEFAULT NULL)"
        << spec([](PipelineSpec& s) {
               s.format = DataFormat::Avro;
               s.avroSchema = "{\"type\":\"record\"}";
               s.fieldMappings = {{"id", {"%", "id"}, std::nullopt},
                                  {"name", {"%", "user", "name"}, "NULL"}};
           });
    QTest::newRow("avro without schema")
        << kInto + "FORMAT AVRO (id <- %::id)" << spec([](PipelineSpec& s) {
               s.format = DataFormat::Avro;
               s.fieldMappings = {{"id", {"%", "id"}, std::nullopt}};
           });
}

void PipelineParserTest::createSpecs() {
    QFETCH(QString, sql);
    QFETCH(PipelineSpec, expected);
    QByteArray why;
    auto got = parseSpec(sql.toStdString(), why);
    QVERIFY2(got, why.constData());
    QVERIFY2(*got == expected,
             ("got:\n" + toSql(*got, false) + "\nexpected:\n" + toSql(expected, false)).c_str());
    QVERIFY2(roundTrips(*got, why), why.constData());
}

void PipelineParserTest::errors_data() {
    QTest::addColumn<QString>("sql");
    QTest::addColumn<QString>("message");

    const QString options = "BATCH_INTERVAL, MAX_PARTITIONS_PER_BATCH, "
                            "MAX_OFFSETS_PER_BATCH_PARTITION, MAX_RETRIES_PER_BATCH_PARTITION";
    const QString optionChoice = "BATCH_INTERVAL, MAX_PARTITIONS_PER_BATCH, "
                                 "MAX_OFFSETS_PER_BATCH_PARTITION or "
                                 "MAX_RETRIES_PER_BATCH_PARTITION";
    auto at = [](int line, int column, const QString& near, const QString& expected) {
        return QString("syntax error at line %1 column %2 near %3: expected %4")
            .arg(line)
            .arg(column)
            .arg(near, expected);
    };
    QTest::newRow("empty") << ""
                           << at(1, 1, "end of input",
                                 "CREATE, START, STOP, DROP, ALTER, SHOW, TEST or EXTRACT");
    QTest::newRow("unknown statement")
        << "LAUNCH PIPELINE p"
        << at(1, 1, "'LAUNCH'", "CREATE, START, STOP, DROP, ALTER, SHOW, TEST or EXTRACT");
    QTest::newRow("misspelt keyword")
        << "CREATE OR REPLACE PIPELIN p" << at(1, 19, "'PIPELIN'", "PIPELINE");
    QTest::newRow("missing name") << "CREATE PIPELINE AS LOAD DATA KAFKA 'h/t' INTO TABLE t"
                                  << at(1, 17, "'AS'", "a pipeline name");
    QTest::newRow("if exists on create")
        << "CREATE PIPELINE IF EXISTS p" << at(1, 20, "'EXISTS'", "NOT");
    QTest::newRow("kafka without topic")
        << "CREATE PIPELINE p AS LOAD DATA KAFKA 'localhost:9092' INTO TABLE t"
        << at(1, 38, "''localhost:9092''",
              "'host:port[,host:port]/topic' (a Kafka source needs brokers before the last '/' "
              "and a topic after it)");
    QTest::newRow("kafka empty topic")
        << "CREATE PIPELINE p AS LOAD DATA KAFKA 'h:1/' INTO TABLE t"
        << at(1, 38, "''h:1/''",
              "'host:port[,host:port]/topic' (a Kafka source needs brokers before the last '/' "
              "and a topic after it)");
    QTest::newRow("kafka empty brokers")
        << "CREATE PIPELINE p AS\n  LOAD DATA KAFKA '/t' INTO TABLE t"
        << at(2, 19, "''/t''",
              "'host:port[,host:port]/topic' (a Kafka source needs brokers before the last '/' "
              "and a topic after it)");
    QTest::newRow("unknown source") << "CREATE PIPELINE p AS LOAD DATA S3 'b/k' INTO TABLE t"
                                    << at(1, 32, "'S3'", "KAFKA or FS");
    QTest::newRow("unknown option")
        << "CREATE PIPELINE p AS LOAD DATA KAFKA 'h/t' BATCH_INTERVALL 500 INTO TABLE t"
        << at(1, 44, "'BATCH_INTERVALL'",
              options + ", WITH TRANSFORM, REPLACE, IGNORE, SKIP ... ERRORS or INTO");
    QTest::newRow("unknown option after policy")
        << "CREATE PIPELINE p AS LOAD DATA KAFKA 'h/t' IGNORE BATCH_INTERVAL 5 INTO TABLE t"
        << at(1, 51, "'BATCH_INTERVAL'", "INTO");
    QTest::newRow("negative number")
        << "CREATE PIPELINE p AS LOAD DATA KAFKA 'h/t' BATCH_INTERVAL -5 INTO TABLE t"
        << at(1, 59, "'-'", "a non-negative integer for BATCH_INTERVAL");
    QTest::newRow("fraction")
        << "CREATE PIPELINE p AS LOAD DATA KAFKA 'h/t' MAX_PARTITIONS_PER_BATCH 1.5 INTO TABLE t"
        << at(1, 69, "'1.5'", "a non-negative integer for MAX_PARTITIONS_PER_BATCH");
    QTest::newRow("option twice")
        << "CREATE PIPELINE p AS LOAD DATA KAFKA 'h/t' BATCH_INTERVAL 1\nBATCH_INTERVAL 2 INTO "
           "TABLE t"
        << at(2, 1, "'BATCH_INTERVAL'", "BATCH_INTERVAL only once");
    QTest::newRow("config not json")
        << "CREATE PIPELINE p AS LOAD DATA KAFKA 'h/t' CONFIG 'fetch.wait.max.ms=5' INTO TABLE t"
        << at(1, 51, "''fetch.wait.max.ms=5''", "a JSON object for CONFIG");
    QTest::newRow("config broken json")
        << "CREATE PIPELINE p AS LOAD DATA KAFKA 'h/t' CONFIG '{\"a\": 1,}' INTO TABLE t"
        << at(1, 51, "''{\"a\": 1,}''", "a JSON object for CONFIG");
    QTest::newRow("credentials array")
        << "CREATE PIPELINE p AS LOAD DATA KAFKA 'h/t' CREDENTIALS '[1]' INTO TABLE t"
        << at(1, 56, "''[1]''", "a JSON object for CREDENTIALS");
    QTest::newRow("empty transform")
        << "CREATE PIPELINE p AS LOAD DATA KAFKA 'h/t' WITH TRANSFORM () INTO TABLE t"
        << at(1, 60, "')'", "a non-empty transform program path string");
    QTest::newRow("unknown skip")
        << "CREATE PIPELINE p AS LOAD DATA KAFKA 'h/t' SKIP SOME ERRORS INTO TABLE t"
        << at(1, 49, "'SOME'", "ALL, DUPLICATE KEY or PARSER");
    QTest::newRow("unknown target") << "CREATE PIPELINE p AS LOAD DATA KAFKA 'h/t' INTO VIEW t"
                                    << at(1, 49, "'VIEW'", "TABLE or PROCEDURE");
    QTest::newRow("unknown format")
        << "CREATE PIPELINE p AS LOAD DATA KAFKA 'h/t' INTO TABLE t FORMAT XML"
        << at(1, 64, "'XML'", "CSV, JSON or AVRO");
    QTest::newRow("terminated without by")
        << "CREATE PIPELINE p AS LOAD DATA KAFKA 'h/t' INTO TABLE t FIELDS TERMINATED ','"
        << at(1, 75, "'',''", "BY");
    QTest::newRow("empty fields clause")
        << "CREATE PIPELINE p AS LOAD DATA KAFKA 'h/t' INTO TABLE t FIELDS"
        << at(1, 63, "end of input", "TERMINATED BY, ENCLOSED BY or ESCAPED BY");
    QTest::newRow("long enclosure")
        << "CREATE PIPELINE p AS LOAD DATA KAFKA 'h/t' INTO TABLE t FIELDS ENCLOSED BY '<<'"
        << at(1, 76, "''<<''", "a single character for ENCLOSED BY");
    QTest::newRow("clauses out of order")
        << "CREATE PIPELINE p AS LOAD DATA KAFKA 'h/t' INTO TABLE t LINES TERMINATED BY 'x' "
           "FIELDS TERMINATED BY ','"
        << at(1, 81, "'FIELDS'", "end of statement");
    QTest::newRow("unclosed column list")
        << "CREATE PIPELINE p AS LOAD DATA KAFKA 'h/t' INTO TABLE t (a, @b"
        << at(1, 63, "end of input", "')'");
    QTest::newRow("parameter as column")
        << "CREATE PIPELINE p AS LOAD DATA KAFKA 'h/t' INTO TABLE t ($x)"
        << at(1, 58, "'$x'", "a column name or @variable");
    QTest::newRow("unclosed call in set")
        << "CREATE PIPELINE p AS LOAD DATA KAFKA 'h/t' INTO TABLE t SET a = coalesce(@x, 1"
        << at(1, 79, "end of input", "')'");
    QTest::newRow("missing expression")
        << "CREATE PIPELINE p AS LOAD DATA KAFKA 'h/t' INTO TABLE t SET a = WHERE b"
        << at(1, 65, "'WHERE'", "an expression");
    QTest::newRow("reserved column")
        << "CREATE PIPELINE p AS LOAD DATA KAFKA 'h/t' INTO TABLE t SET a = 1, WHERE b"
        << at(1, 68, "'WHERE'", "a column name");
    QTest::newRow("json path missing field")
        << "CREATE PIPELINE p AS\nLOAD DATA KAFKA 'h/t'\nINTO TABLE t\nFORMAT JSON (a <- b::)"
        << at(4, 22, "')'", "a field name after '::'");
    QTest::newRow("json mapping junk")
        << "CREATE PIPELINE p AS\nLOAD DATA KAFKA 'h/t'\nINTO TABLE t\nFORMAT JSON (a <- b c)"
        << at(4, 21, "'c'", "')'");
    QTest::newRow("json without mappings")
        << "CREATE PIPELINE p AS LOAD DATA KAFKA 'h/t' INTO TABLE t FORMAT JSON SET a = 1"
        << at(1, 69, "'SET'", "'(' starting the JSON field mappings");
    QTest::newRow("avro path without root")
        << "CREATE PIPELINE p AS LOAD DATA KAFKA 'h/t' INTO TABLE t FORMAT AVRO (a <- b)"
        << at(1, 75, "'b'", "'%' (Avro paths start at the record root, as in %::field)");
    QTest::newRow("trailing token")
        << "SHOW PIPELINES extra" << at(1, 16, "'extra'", "end of statement");
    QTest::newRow("trailing semicolon")
        << "DROP PIPELINE p;" << at(1, 16, "';'", "end of statement");
    QTest::newRow("limit zero") << "START PIPELINE p FOREGROUND LIMIT 0 BATCHES"
                                << at(1, 35, "'0'", "a positive number of batches");
    QTest::newRow("limit without batches")
        << "START PIPELINE p FOREGROUND LIMIT 2" << at(1, 36, "end of input", "BATCHES");
    QTest::newRow("offsets bad json")
        << "ALTER PIPELINE p SET OFFSETS '{\"a\":1}'"
        << at(1, 30, "''{\"a\":1}''",
              "a JSON object of partition offsets such as '{\"0\":123,\"1\":456}'");
    QTest::newRow("offsets negative")
        << "ALTER PIPELINE p SET OFFSETS '{\"0\":-1}'"
        << at(1, 30, "''{\"0\":-1}''",
              "a JSON object of partition offsets such as '{\"0\":123,\"1\":456}'");
    QTest::newRow("alter unknown option")
        << "ALTER PIPELINE p SET BATCH_SIZE 3"
        << at(1, 22, "'BATCH_SIZE'", "OFFSETS, TRANSFORM, " + optionChoice);
    QTest::newRow("alter unknown second option")
        << "ALTER PIPELINE p SET BATCH_INTERVAL 1, FOO 2" << at(1, 40, "'FOO'", optionChoice);
    QTest::newRow("alter nothing")
        << "ALTER PIPELINE p" << at(1, 17, "end of input", "SET or RELOAD TRANSFORM");
    QTest::newRow("show what") << "SHOW PIPELINE"
                               << at(1, 6, "'PIPELINE'", "PIPELINES or CREATE PIPELINE");
    QTest::newRow("test without name")
        << "TEST PIPELINE" << at(1, 14, "end of input", "a pipeline name");
    QTest::newRow("extract empty file") << "EXTRACT PIPELINE p INTO OUTFILE ''"
                                        << at(1, 33, "''''", "a non-empty file name string");
    QTest::newRow("unterminated string")
        << "CREATE PIPELINE p AS LOAD DATA KAFKA 'h/t"
        << "syntax error: unterminated string literal starting at line 1 column 38";
}

void PipelineParserTest::errors() {
    QFETCH(QString, sql);
    QFETCH(QString, message);
    auto r = parsePipelineStatement(sql.toStdString());
    QVERIFY2(!r.ok(), show(r.ok() ? *r : PipelineStatement{}).constData());
    QCOMPARE(r.status().code(), ErrorCode::Syntax);
    QCOMPARE(QString::fromStdString(r.status().message()), message);
}

void PipelineParserTest::exampleScriptsRoundTrip() {
    QDir dir(QStringLiteral(SLUICE_SOURCE_DIR "/resources/pipelines"));
    const QStringList files = dir.entryList({"*.sql"}, QDir::Files, QDir::Name);
    QVERIFY2(files.size() >= 4, qPrintable(dir.path()));
    std::vector<PipelineSpec> specs;
    for (const QString& name : files) {
        QFile file(dir.filePath(name));
        QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(name));
        const std::string script = file.readAll().toStdString();
        auto statements = splitStatements(script);
        QVERIFY2(statements.ok(), qPrintable(name));
        int tables = 0;
        int pipelines = 0;
        for (const StatementText& st : *statements) {
            if (!isPipelineStatement(st.text)) {
                auto tokens = tokenize(st.text, StringEscapes::Sql);
                QVERIFY(tokens.ok() && tokens->size() > 2);
                tables += (*tokens)[0].isKeyword("CREATE") && (*tokens)[1].isKeyword("TABLE");
                continue;
            }
            QByteArray why;
            auto parsed = parseSpec(std::string(st.text), why);
            QVERIFY2(parsed, (name.toUtf8() + ": " + why).constData());
            QVERIFY2(roundTrips(*parsed, why), (name.toUtf8() + ": " + why).constData());
            specs.push_back(*parsed);
            ++pipelines;
        }
        QVERIFY2(tables >= 1 && pipelines >= 1, qPrintable(name));
    }

    // The examples together show the whole grammar.
    auto any = [&](auto pred) { return std::any_of(specs.begin(), specs.end(), pred); };
    QVERIFY(any([](const PipelineSpec& s) { return s.transform.has_value(); }));
    QVERIFY(any([](const PipelineSpec& s) {
        return !s.whereExpr.empty() && !s.set.empty() &&
               std::any_of(s.set.begin(), s.set.end(), [](const Assignment& a) {
                   return a.expr.find("get_kafka_pipeline_prop(") != std::string::npos;
               });
    }));
    QVERIFY(any(
        [](const PipelineSpec& s) { return !s.configJson.empty() && !s.credentialsJson.empty(); }));
    QVERIFY(any([](const PipelineSpec& s) {
        return !s.csv.enclosedBy.empty() && s.csv.fieldsClauseGiven && s.csv.linesClauseGiven &&
               s.csv.ignoreLines > 0;
    }));
    QVERIFY(any([](const PipelineSpec& s) { return s.errorPolicy == ErrorPolicy::SkipParser; }));
    QVERIFY(any([](const PipelineSpec& s) { return s.format == DataFormat::Json; }));
    QVERIFY(any([](const PipelineSpec& s) { return s.format == DataFormat::Avro; }));

    // The demo pipeline, exactly.
    PipelineSpec payments = baseSpec();
    payments.name = "payments";
    payments.brokers = "127.0.0.1:9092";
    payments.topic = "payments";
    payments.options.batchIntervalMs = 500;
    payments.explicitBatchInterval = true;
    payments.target = "payments";
    payments.csv.fieldsClauseGiven = true;
    payments.csv.fieldsTerminatedBy = ",";
    payments.columns = {"id", "user", "amount", "ts"};
    QVERIFY(any([&](const PipelineSpec& s) { return s == payments; }));
}

void PipelineParserTest::generatedVariationsRoundTrip() {
    // Every combination of source, options, transform/config, error policy, target, format and
    // the trailing clauses; each is printed, parsed back and compared.
    constexpr int kFormats = 7;
    int checked = 0;
    for (int source = 0; source < 2; ++source)
        for (int optionMask = 0; optionMask < 16; ++optionMask)
            for (int extras = 0; extras < 4; ++extras)
                for (int policy = 0; policy < 6; ++policy)
                    for (int target = 0; target < 2; ++target)
                        for (int format = 0; format < kFormats; ++format)
                            for (int clauses = 0; clauses < 16; ++clauses) {
                                PipelineSpec s;
                                s.name = "gen_" + std::to_string(checked % 97);
                                if (source == 0) {
                                    s.brokers = "b1:9092,b2:9092";
                                    s.topic = "topic." + std::to_string(optionMask);
                                } else {
                                    s.sourceType = SourceType::Fs;
                                    s.fsPath = "/in/dir " + std::to_string(format) + "/*.csv";
                                }
                                bool* given[] = {&s.explicitBatchInterval, &s.explicitMaxPartitions,
                                                 &s.explicitMaxOffsets, &s.explicitMaxRetries};
                                int64_t* values[] = {&s.options.batchIntervalMs,
                                                     &s.options.maxPartitionsPerBatch,
                                                     &s.options.maxOffsetsPerBatchPartition,
                                                     &s.options.maxRetriesPerBatchPartition};
                                for (int i = 0; i < 4; ++i)
                                    if (optionMask & (1 << i)) {
                                        *given[i] = true;
                                        *values[i] = (optionMask * 37 + i) % 5 == 0
                                                         ? 0
                                                         : optionMask * 1000 + i;
                                    }
                                if (extras & 1)
                                    s.transform = TransformSpec{"tr/" + std::to_string(policy),
                                                                extras & 2 ? "x" : "", "--n 1 'q'"};
                                if (extras & 2) {
                                    s.configJson = "{\"client.id\": \"c\"}";
                                    s.credentialsJson = "{\"sasl.password\": \"p'w\\\\\"}";
                                }
                                s.errorPolicy = static_cast<ErrorPolicy>(policy);
                                s.targetKind = target ? TargetKind::Procedure : TargetKind::Table;
                                s.target = target ? "proc" : "tbl";
                                CsvOptions& csv = s.csv;
                                switch (format) {
                                case 0:
                                    break;
                                case 1:
                                    csv.formatCsvKeyword = true;
                                    csv.fieldsTerminatedBy = ",";
                                    break;
                                case 2:
                                    csv.fieldsClauseGiven = true;
                                    csv.fieldsTerminatedBy = ";";
                                    csv.enclosedBy = "\"";
                                    csv.optionallyEnclosed = clauses % 2;
                                    csv.escapedBy = clauses % 3 ? "" : "\\";
                                    break;
                                case 3:
                                    csv.formatCsvKeyword = csv.linesClauseGiven = true;
                                    csv.fieldsTerminatedBy = ",";
                                    csv.linesStartingBy = clauses % 2 ? "" : "#";
                                    csv.linesTerminatedBy = clauses % 3 ? "\r\n" : "\n";
                                    csv.ignoreLines = clauses;
                                    break;
                                case 4:
                                    csv.formatCsvKeyword = csv.fieldsClauseGiven = true;
                                    csv.fieldsTerminatedBy = "\t";
                                    csv.escapedBy = "^";
                                    csv.ignoreLines = 1;
                                    break;
                                case 5:
                                    s.format = DataFormat::Json;
                                    s.fieldMappings = {
                                        {"a", {"x"}, std::nullopt},
                                        {"@v", {"y", "z z"}, "'d,1'"},
                                        {"c", {"%"}, clauses % 2 ? "NULL" : "coalesce(1, 2)"}};
                                    break;
                                case 6:
                                    s.format = DataFormat::Avro;
                                    s.avroSchema = clauses % 2 ? "" : "{\"type\": \"record\"}";
                                    s.fieldMappings = {{"a", {"%", "x"}, std::nullopt},
                                                       {"@v", {"%", "y", "z"}, "0"}};
                                    break;
                                }
                                if ((clauses & 1) && s.format == DataFormat::Csv)
                                    s.columns = {"a", "@v", "c"};
                                if (clauses & 2)
                                    s.set = {{"b", "upper(@v) || ','"},
                                             {"d", "get_kafka_pipeline_prop('prop_offset')"}};
                                if (clauses & 4)
                                    s.whereExpr = "a > (SELECT min(x) FROM t WHERE y IN (1, 2))";
                                if (clauses & 8)
                                    s.onDuplicateKeyUpdate = {{"a", "a + 1"}};
                                QByteArray why;
                                if (!roundTrips(s, why))
                                    QFAIL(why.constData());
                                ++checked;
                            }
    QCOMPARE(checked, 2 * 16 * 4 * 6 * 2 * kFormats * 16);
}

void PipelineParserTest::identifiersRoundTrip_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("written");
    QTest::newRow("plain") << "payments"
                           << "payments";
    QTest::newRow("underscore dollar digits") << "_x$1"
                                              << "_x$1";
    QTest::newRow("unreserved keyword") << "format"
                                        << "format";
    QTest::newRow("space") << "my table"
                           << "`my table`";
    QTest::newRow("reserved") << "where"
                              << "`where`";
    QTest::newRow("reserved upper") << "TABLE"
                                    << "`TABLE`";
    QTest::newRow("backtick") << "a`b"
                              << "`a``b`";
    QTest::newRow("leading digit") << "1abc"
                                   << "`1abc`";
    QTest::newRow("dash") << "a-b"
                          << "`a-b`";
    QTest::newRow("non-ascii") << QString::fromUtf8("zähler") << QString::fromUtf8("zähler");
}

void PipelineParserTest::identifiersRoundTrip() {
    QFETCH(QString, name);
    QFETCH(QString, written);
    const std::string n = name.toStdString();
    QCOMPARE(QString::fromStdString(quotePipelineIdentifier(n)), written);

    PipelineSpec csv = baseSpec();
    csv.name = csv.target = n;
    csv.columns = {n, "@v"};
    csv.set = {{n, "@v"}};
    csv.onDuplicateKeyUpdate = {{n, "1"}};
    QByteArray why;
    QVERIFY2(roundTrips(csv, why), why.constData());
    const std::string sql = toSql(csv, false);
    QVERIFY2(sql.find("CREATE PIPELINE " + written.toStdString() + " AS") == 0, sql.c_str());

    PipelineSpec json = baseSpec();
    json.format = DataFormat::Json;
    json.fieldMappings = {{n, {n, n}, std::nullopt}};
    QVERIFY2(roundTrips(json, why), why.constData());
}

void PipelineParserTest::stringsRoundTrip_data() {
    QTest::addColumn<QString>("text");
    QTest::newRow("quote") << "it's";
    QTest::newRow("backslash") << "C:\\in\\*.csv";
    QTest::newRow("trailing backslash") << "x\\";
    QTest::newRow("control") << "a\tb\r\nc";
    QTest::newRow("double quote") << "say \"hi\"";
    QTest::newRow("percent underscore") << "%_";
}

void PipelineParserTest::stringsRoundTrip() {
    QFETCH(QString, text);
    const std::string t = text.toStdString();
    PipelineSpec s = baseSpec();
    s.sourceType = SourceType::Fs;
    s.brokers.clear();
    s.topic.clear();
    s.fsPath = t;
    s.transform = TransformSpec{t, t, t};
    s.configJson = "{\"v\": \"" + jsonEscaped(t) + "\"}";
    s.csv.fieldsClauseGiven = s.csv.linesClauseGiven = true;
    s.csv.fieldsTerminatedBy = t;
    s.csv.linesTerminatedBy = t;
    s.csv.linesStartingBy = t;
    QByteArray why;
    QVERIFY2(roundTrips(s, why), why.constData());

    // Also with a NUL byte, which MySQL writes as \0.
    s.csv.linesStartingBy = t + std::string(1, '\0');
    QVERIFY2(roundTrips(s, why), why.constData());
}

void PipelineParserTest::printsOnlyWhatWasWritten_data() {
    QTest::addColumn<QString>("sql");
    QTest::addColumn<QString>("printed");
    const QString head = "CREATE PIPELINE p AS\nLOAD DATA KAFKA 'h:9092/t'\n";
    QTest::newRow("minimal") << kInto << head + "INTO TABLE t";
    QTest::newRow("demo")
        << "create pipeline payments as load data kafka '127.0.0.1:9092/payments' "
           "batch_interval 500 into table payments fields terminated by ',' (id, user, amount, ts)"
        << "CREATE PIPELINE payments AS\nLOAD DATA KAFKA '127.0.0.1:9092/payments'\n"
           "BATCH_INTERVAL 500\nINTO TABLE payments\nFIELDS TERMINATED BY ','\n"
           "(id, user, amount, ts)";
    QTest::newRow("format csv alone") << kInto + "FORMAT CSV" << head + "INTO TABLE t\nFORMAT CSV";
    QTest::newRow("enclosure only")
        << kInto + "FIELDS ENCLOSED BY '\"'" << head + "INTO TABLE t\nFIELDS ENCLOSED BY '\"'";
    QTest::newRow("default terminator kept")
        << kInto + "FORMAT CSV FIELDS TERMINATED BY ','"
        << head + "INTO TABLE t\nFORMAT CSV\nFIELDS TERMINATED BY ','";
    QTest::newRow("lines") << kInto + "LINES TERMINATED BY '\\n' IGNORE 3 LINES"
                           << head + "INTO TABLE t\nLINES TERMINATED BY '\\n'\nIGNORE 3 LINES";
    QTest::newRow("options and policy")
        << kHead + "MAX_RETRIES_PER_BATCH_PARTITION 1 BATCH_INTERVAL 0 SKIP ALL ERRORS INTO TABLE t"
        << head + "BATCH_INTERVAL 0\nMAX_RETRIES_PER_BATCH_PARTITION 1\nSKIP ALL ERRORS\n"
                  "INTO TABLE t";
}

void PipelineParserTest::printsOnlyWhatWasWritten() {
    QFETCH(QString, sql);
    QFETCH(QString, printed);
    QByteArray why;
    auto s = parseSpec(sql.toStdString(), why);
    QVERIFY2(s, why.constData());
    QCOMPARE(QString::fromStdString(toSql(*s, false)), printed);
}

void PipelineParserTest::redactsCredentials() {
    const std::string secret = "{\"sasl.username\": \"u\", \"sasl.password\": \"s3cr3t\"}";
    PipelineSpec s = baseSpec();
    s.configJson = "{\"security.protocol\": \"SASL_SSL\"}";
    s.credentialsJson = secret;

    const std::string shown = toSql(s, true);
    QVERIFY2(shown.find("s3cr3t") == std::string::npos, shown.c_str());
    QVERIFY2(shown.find("\nCREDENTIALS '<redacted>'\n") != std::string::npos, shown.c_str());
    QVERIFY2(shown.find("SASL_SSL") != std::string::npos, shown.c_str());

    const std::string stored = toSql(s, false);
    QVERIFY2(stored.find("s3cr3t") != std::string::npos, stored.c_str());
    QByteArray why;
    QVERIFY2(roundTrips(s, why), why.constData());

    // A redacted statement cannot be re-run by mistake with fake credentials.
    auto r = parsePipelineStatement(shown);
    QVERIFY(!r.ok());
    QVERIFY2(r.status().message().find("near ''<redacted>'': expected a JSON object for "
                                       "CREDENTIALS") != std::string::npos,
             r.status().message().c_str());
}

void PipelineParserTest::everyPrefixFailsCleanly() {
    // Cutting a valid statement anywhere gives a syntax error with a position (or, where the
    // cut leaves a complete statement, a parse), never a crash or a wrong error code.
    PipelineSpec s = baseSpec();
    s.configJson = "{\"a\": [1, {\"b\": \"c\"}]}";
    s.options.batchIntervalMs = 7;
    s.transform = TransformSpec{"t.py", "", "-x"};
    s.errorPolicy = ErrorPolicy::SkipDuplicateKey;
    s.csv = {";", "\"", true, "", "\r\n", "#", 2, true, true, true};
    s.columns = {"a", "@b"};
    s.set = {{"c", "coalesce(@b, 'x,y')"}};
    s.whereExpr = "a IN (1, 2)";
    s.onDuplicateKeyUpdate = {{"a", "a + 1"}};
    PipelineSpec json = baseSpec();
    json.format = DataFormat::Avro;
    json.avroSchema = "{}";
    json.fieldMappings = {{"a", {"%", "b"}, "'d'"}};
    const std::string statements[] = {toSql(s, false), toSql(json, false),
                                      "ALTER PIPELINE p SET OFFSETS '{\"0\":1}'",
                                      "START PIPELINE IF NOT RUNNING p FOREGROUND LIMIT 2 BATCHES"};
    int parsed = 0;
    for (const std::string& full : statements) {
        for (size_t n = 0; n < full.size(); ++n) {
            auto r = parsePipelineStatement(std::string_view(full).substr(0, n));
            if (r.ok()) {
                ++parsed;
                continue;
            }
            QCOMPARE(r.status().code(), ErrorCode::Syntax);
            QVERIFY2(r.status().message().rfind("syntax error", 0) == 0,
                     r.status().message().c_str());
        }
        QVERIFY(parsePipelineStatement(full).ok());
    }
    QVERIFY(parsed > 0);
}

QTEST_APPLESS_MAIN(PipelineParserTest)
#include "tst_PipelineParser.moc"
