#include "format/CsvParser.h"

#include <QTest>

#include <random>
#include <string>
#include <vector>

using namespace sluice;
using namespace sluice::format;
using sluice::sql::CsvOptions;

Q_DECLARE_METATYPE(sluice::sql::CsvOptions)

namespace {

// FORMAT CSV as the pipelines write it: FIELDS TERMINATED BY ',' ENCLOSED BY '"'.
CsvOptions csv() {
    CsvOptions o;
    o.fieldsTerminatedBy = ",";
    o.enclosedBy = "\"";
    o.escapedBy = "\\";
    o.linesTerminatedBy = "\n";
    return o;
}

template <typename F> CsvOptions csvWith(F change) {
    CsvOptions o = csv();
    change(o);
    return o;
}

// "[text]" per field, "(null)" for NULL; bytes outside printable ASCII as <hh>.
QString renderField(const Field& f) {
    if (f.isNull)
        return QStringLiteral("(null)");
    QString out = QStringLiteral("[");
    for (char ch : f.text) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c >= 0x7f)
            out += QStringLiteral("<%1>").arg(c, 2, 16, QLatin1Char('0'));
        else
            out += QLatin1Char(static_cast<char>(c));
    }
    return out + QLatin1Char(']');
}

// Each record as "index:[f1][f2]".
class RenderSink : public RecordSink {
public:
    bool onRecord(std::span<const Field> fields, size_t recordIndex) override {
        QString r = QString::number(recordIndex) + QLatin1Char(':');
        for (const Field& f : fields)
            r += renderField(f);
        records << r;
        return stopAfter < 0 || records.size() < stopAfter;
    }
    QStringList records;
    qsizetype stopAfter = -1;
};

// Keeps every field's view (not a copy) to check that views outlive their record.
class ViewSink : public RecordSink {
public:
    bool onRecord(std::span<const Field> fields, size_t) override {
        records.emplace_back(fields.begin(), fields.end());
        return true;
    }
    std::vector<std::vector<Field>> records;
};

struct FuzzField {
    std::string text;
    bool isNull = false;
};

// Writes records the way MySQL's SELECT ... INTO OUTFILE would, choosing per field at random
// whether to enclose it; single-byte enclosure and escape, any terminators.
std::string encode(const std::vector<std::vector<FuzzField>>& records, const CsvOptions& o,
                   std::mt19937& rng) {
    const char enc = o.enclosedBy[0];
    const char esc = o.escapedBy[0];
    auto special = [&](char c) {
        return c == esc || o.fieldsTerminatedBy.find(c) != std::string::npos ||
               o.linesTerminatedBy.find(c) != std::string::npos;
    };
    std::string out;
    for (const auto& record : records) {
        for (size_t i = 0; i < record.size(); ++i) {
            if (i > 0)
                out += o.fieldsTerminatedBy;
            const FuzzField& f = record[i];
            if (f.isNull) {
                out += esc;
                out += 'N';
                continue;
            }
            if (rng() % 2) {
                out += enc;
                for (char c : f.text) {
                    if (c == enc) {
                        out += (rng() % 2) ? std::string{enc, enc} : std::string{esc, enc};
                    } else if (c == esc) {
                        out += std::string{esc, esc};
                    } else if (c == '\0') {
                        out += std::string{esc, '0'};
                    } else {
                        out += c;
                    }
                }
                out += enc;
            } else {
                for (size_t k = 0; k < f.text.size(); ++k) {
                    const char c = f.text[k];
                    if (c == '\0') {
                        out += std::string{esc, '0'};
                    } else if (special(c) || (k == 0 && c == enc)) {
                        out += esc;
                        out += c;
                    } else {
                        out += c;
                    }
                }
            }
        }
        out += o.linesTerminatedBy;
    }
    return out;
}

} // namespace

class CsvParserTest : public QObject {
    Q_OBJECT
private slots:
    void parses_data() {
        QTest::addColumn<CsvOptions>("options");
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<QStringList>("records");

        QTest::newRow("comma") << csv() << QByteArray("a,b,c\n1,2,3\n")
                               << QStringList{"0:[a][b][c]", "1:[1][2][3]"};
        QTest::newRow("tab default") << CsvOptions{} << QByteArray("a\tb c\n1\t2\n")
                                     << QStringList{"0:[a][b c]", "1:[1][2]"};
        QTest::newRow("default has no enclosure")
            << CsvOptions{} << QByteArray("\"a\tb\"\n") << QStringList{"0:[\"a][b\"]"};
        QTest::newRow("multi-char field terminator")
            << csvWith([](CsvOptions& o) { o.fieldsTerminatedBy = "||"; })
            << QByteArray("a||b|c||\n|x||y|\n") << QStringList{"0:[a][b|c][]", "1:[|x][y|]"};
        QTest::newRow("multi-char terminator cut at the end")
            << csvWith([](CsvOptions& o) { o.fieldsTerminatedBy = "||"; }) << QByteArray("a|")
            << QStringList{"0:[a|]"};
        QTest::newRow("crlf") << csvWith([](CsvOptions& o) { o.linesTerminatedBy = "\r\n"; })
                              << QByteArray("a,b\r\nc\rd,e\nf\r\n")
                              << QStringList{"0:[a][b]", "1:[c<0d>d][e<0a>f]"};
        QTest::newRow("crlf data with lf terminator keeps the cr")
            << csv() << QByteArray("a,b\r\n") << QStringList{"0:[a][b<0d>]"};
        QTest::newRow("crlf enclosed")
            << csvWith([](CsvOptions& o) { o.linesTerminatedBy = "\r\n"; })
            << QByteArray("\"a\r\nb\",\"c\"\r\n\"d\"") << QStringList{"0:[a<0d><0a>b][c]", "1:[d]"};
        QTest::newRow("three-byte line terminator")
            << csvWith([](CsvOptions& o) { o.linesTerminatedBy = "<|>"; })
            << QByteArray("a,b<|>c<|d<|>") << QStringList{"0:[a][b]", "1:[c<|d]"};
        QTest::newRow("enclosed with terminators")
            << csv() << QByteArray("\"a,b\",\"c\nd\",e\n") << QStringList{"0:[a,b][c<0a>d][e]"};
        QTest::newRow("doubled enclosure")
            << csv() << QByteArray("\"say \"\"hi\"\"\",x\n\"\"\"\"\n")
            << QStringList{"0:[say \"hi\"][x]", "1:[\"]"};
        QTest::newRow("optionally enclosed")
            << csvWith([](CsvOptions& o) { o.optionallyEnclosed = true; })
            << QByteArray("\"a\",2,\"c\"\n1,\"b\",3\n")
            << QStringList{"0:[a][2][c]", "1:[1][b][3]"};
        QTest::newRow("enclosure inside unenclosed field is data")
            << csv() << QByteArray("ab\"c,d\"\n") << QStringList{"0:[ab\"c][d\"]"};
        QTest::newRow("lone enclosure inside enclosed field is data")
            << csv() << QByteArray("\"a\"b\",c\n") << QStringList{"0:[a\"b][c]"};
        QTest::newRow("empty enclosed")
            << csv() << QByteArray("\"\",x,\"\"\n") << QStringList{"0:[][x][]"};
        QTest::newRow("enclosed last field without newline")
            << csv() << QByteArray("a,\"b\"") << QStringList{"0:[a][b]"};
        QTest::newRow("space before enclosure is not enclosed")
            << csv() << QByteArray(" \"a,b\"\n") << QStringList{"0:[ \"a][b\"]"};
        QTest::newRow("escapes")
            << csv() << QByteArray("a\\tb,c\\\\d,e\\,f,\\\"g,h\\\"i\n\\0\\b\\n\\r\\Z\\q\n")
            << QStringList{"0:[a<09>b][c\\d][e,f][\"g][h\"i]", "1:[<00><08><0a><0d><1a>q]"};
        QTest::newRow("escaped line terminator")
            << csv() << QByteArray("a\\\nb,c\n") << QStringList{"0:[a<0a>b][c]"};
        QTest::newRow("escapes inside enclosure")
            << csv() << QByteArray("\"a\\\"b\\tc\\\\\",d\n") << QStringList{"0:[a\"b<09>c\\][d]"};
        QTest::newRow("escape as last byte is data")
            << csv() << QByteArray("a,b\\") << QStringList{"0:[a][b\\]"};
        QTest::newRow("null and look-alikes")
            << csv() << QByteArray("\\N,N,\"\\N\",\\\\N,\\Nx,NULL,\"NULL\"\n")
            << QStringList{"0:(null)[N][N][\\N][Nx][NULL][NULL]"};
        QTest::newRow("null alone on a line")
            << csv() << QByteArray("\\N") << QStringList{"0:(null)"};
        QTest::newRow("no escape character")
            << csvWith([](CsvOptions& o) { o.escapedBy.clear(); })
            << QByteArray("a\\tb,\\N,\"c\\\"\n") << QStringList{"0:[a\\tb][\\N][c\\]"};
        QTest::newRow("escape equals enclosure")
            << csvWith([](CsvOptions& o) { o.escapedBy = "\""; })
            << QByteArray("\"a\"\"b\",\"c\",d\"\"e,x\"N\n")
            << QStringList{"0:[a\"b][c][d\"e][x\"N]"};
        QTest::newRow("no trailing newline")
            << csv() << QByteArray("a,b\nc,d") << QStringList{"0:[a][b]", "1:[c][d]"};
        QTest::newRow("empty input") << csv() << QByteArray() << QStringList{};
        QTest::newRow("only newline") << csv() << QByteArray("\n") << QStringList{"0:[]"};
        QTest::newRow("blank line in the middle")
            << csv() << QByteArray("a\n\nb\n") << QStringList{"0:[a]", "1:[]", "2:[b]"};
        QTest::newRow("trailing field terminator")
            << csv() << QByteArray("a,\n,\nx,") << QStringList{"0:[a][]", "1:[][]", "2:[x][]"};
        QTest::newRow("ignore 1 lines")
            << csvWith([](CsvOptions& o) { o.ignoreLines = 1; })
            << QByteArray("id,name\n1,\"a\nb\"\n2,c\n") << QStringList{"1:[1][a<0a>b]", "2:[2][c]"};
        QTest::newRow("ignore more lines than there are")
            << csvWith([](CsvOptions& o) { o.ignoreLines = 5; }) << QByteArray("a\nb\n")
            << QStringList{};
        QTest::newRow("lines starting by (MySQL manual)")
            << csvWith([](CsvOptions& o) { o.linesStartingBy = "xxx"; })
            << QByteArray("xxx\"abc\",1\nsomething xxx\"def\",2\n\"ghi\",3")
            << QStringList{"0:[abc][1]", "1:[def][2]"};
        QTest::newRow("lines starting by, ignore counts prefixed records")
            << csvWith([](CsvOptions& o) {
                   o.linesStartingBy = "> ";
                   o.ignoreLines = 1;
               })
            << QByteArray("junk\n> h\n> 1,2\nnoise\n> 3,4\n")
            << QStringList{"1:[1][2]", "2:[3][4]"};
        QTest::newRow("empty line terminator: one record")
            << csvWith([](CsvOptions& o) { o.linesTerminatedBy.clear(); }) << QByteArray("a,b\nc")
            << QStringList{"0:[a][b<0a>c]"};
        QTest::newRow("empty field terminator: one field")
            << csvWith([](CsvOptions& o) { o.fieldsTerminatedBy.clear(); })
            << QByteArray("a,b\n\"c\"\n") << QStringList{"0:[a,b]", "1:[c]"};
        QTest::newRow("utf-8 passes through")
            << csv() << QByteArray("\xc3\xa9t\xc3\xa9,\"\xe2\x82\xac\"\n")
            << QStringList{"0:[<c3><a9>t<c3><a9>][<e2><82><ac>]"};
        QTest::newRow("payments") << csv() << QByteArray("1,user-0001,1250,1700000000000\n")
                                  << QStringList{"0:[1][user-0001][1250][1700000000000]"};
    }
    void parses() {
        QFETCH(CsvOptions, options);
        QFETCH(QByteArray, input);
        QFETCH(QStringList, records);
        CsvParser parser(options);
        RenderSink sink;
        const Status st = parser.parse(std::string_view(input.constData(), input.size()), sink);
        QVERIFY2(st.ok(), st.message().c_str());
        QCOMPARE(sink.records, records);
    }

    void unterminatedEnclosureIsAnError_data() {
        QTest::addColumn<CsvOptions>("options");
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<QString>("where");
        QTest::newRow("first byte")
            << csv() << QByteArray("\"abc") << "record 0: \" opened at byte 0 ";
        QTest::newRow("second record")
            << csv() << QByteArray("a\nx,\"b,c\n") << "record 1: \" opened at byte 4 ";
        QTest::newRow("doubled enclosure at the end")
            << csv() << QByteArray("\"a\"\"") << "record 0: \" opened at byte 0 ";
        QTest::newRow("escaped closing enclosure")
            << csv() << QByteArray("\"a\\\"\n") << "record 0: \" opened at byte 0 ";
        QTest::newRow("escape is the last byte")
            << csv() << QByteArray("\"a\\") << "record 0: \" opened at byte 0 ";
        QTest::newRow("enclosure followed by data")
            << csv() << QByteArray("\"a\"b,c\nd\n") << "record 0: \" opened at byte 0 ";
        QTest::newRow("in an ignored record")
            << csvWith([](CsvOptions& o) { o.ignoreLines = 1; }) << QByteArray("\"h")
            << "record 0: \" opened at byte 0 ";
        QTest::newRow("after a line prefix") << csvWith([](CsvOptions& o) {
            o.linesStartingBy = "> ";
            o.enclosedBy = "'";
        }) << QByteArray("> 1\n> 'x\n") << "record 1: ' opened at byte 6 ";
    }
    void unterminatedEnclosureIsAnError() {
        QFETCH(CsvOptions, options);
        QFETCH(QByteArray, input);
        QFETCH(QString, where);
        CsvParser parser(options);
        RenderSink sink;
        const Status st = parser.parse(std::string_view(input.constData(), input.size()), sink);
        QCOMPARE(st.code(), ErrorCode::Parse);
        QVERIFY2(QString::fromStdString(st.message()).contains(where), st.message().c_str());
        QVERIFY(QString::fromStdString(st.message()).startsWith("unterminated enclosure"));
    }

    void recordsBeforeAnErrorAreDelivered() {
        CsvParser parser(csv());
        RenderSink sink;
        const std::string text = "1,a\n2,\"b\n";
        QCOMPARE(parser.parse(text, sink).code(), ErrorCode::Parse);
        QCOMPARE(sink.records, QStringList{"0:[1][a]"});
    }

    void sinkReturningFalseStops() {
        CsvParser parser(csv());
        RenderSink sink;
        sink.stopAfter = 2;
        // The third record is malformed: stopping before it means no error.
        const Status st = parser.parse("a\nb\n\"c\nd\n", sink);
        QVERIFY(st.ok());
        QCOMPARE(sink.records, (QStringList{"0:[a]", "1:[b]"}));
    }

    void fieldsAreInPlaceUnlessChanged() {
        CsvParser parser(csv());
        const std::string text = "plain,\"quoted\",\"dou\"\"bled\",esc\\,aped\n";
        ViewSink sink;
        QVERIFY(parser.parse(text, sink).ok());
        QCOMPARE(sink.records.size(), size_t(1));
        const auto& f = sink.records[0];
        QCOMPARE(f.size(), size_t(4));
        auto inInput = [&](const Field& field) {
            return field.text.data() >= text.data() &&
                   field.text.data() + field.text.size() <= text.data() + text.size();
        };
        QVERIFY(inInput(f[0]));
        QVERIFY(inInput(f[1]));
        QCOMPARE(f[1].text, std::string_view("quoted"));
        QVERIFY(!inInput(f[2]));
        QCOMPARE(f[2].text, std::string_view("dou\"bled"));
        QVERIFY(!inInput(f[3]));
        QCOMPARE(f[3].text, std::string_view("esc,aped"));
    }

    // Views into the scratch buffer must survive later records of the same parse() call, and
    // a parser must work again after a smaller and after a larger input.
    void viewsStayValidUntilNextParse() {
        CsvParser parser(csv());
        for (int round : {1, 2000, 10}) {
            std::string text;
            std::vector<std::string> expected;
            for (int i = 0; i < round; ++i) {
                const std::string v = "v" + std::to_string(i) + "\t\"x\"";
                expected.push_back(v);
                expected.push_back(std::to_string(i));
                text += "\"v" + std::to_string(i) + "\\t\"\"x\"\"\"," + std::to_string(i) + "\n";
            }
            ViewSink sink;
            QVERIFY(parser.parse(text, sink).ok());
            QCOMPARE(sink.records.size(), size_t(round));
            for (int i = 0; i < round; ++i) {
                QCOMPARE(sink.records[i][0].text, std::string_view(expected[2 * i]));
                QCOMPARE(sink.records[i][1].text, std::string_view(expected[2 * i + 1]));
            }
        }
    }

    // Random fields (every special byte included) written like SELECT INTO OUTFILE read back
    // unchanged.
    void roundTripsRandomRecords_data() {
        QTest::addColumn<CsvOptions>("options");
        QTest::newRow("csv") << csv();
        QTest::newRow("multi-char terminators") << csvWith([](CsvOptions& o) {
            o.fieldsTerminatedBy = "|#";
            o.linesTerminatedBy = "\r\n";
            o.enclosedBy = "'";
        });
        QTest::newRow("tab and escape-like enclosure") << csvWith([](CsvOptions& o) {
            o.fieldsTerminatedBy = "\t";
            o.escapedBy = "^";
        });
    }
    void roundTripsRandomRecords() {
        QFETCH(CsvOptions, options);
        std::mt19937 rng(20240611);
        const std::string alphabet = std::string("ab,|#\t\r\n\"'\\^N ") + '\0';
        std::vector<std::vector<FuzzField>> records;
        for (int r = 0; r < 3000; ++r) {
            std::vector<FuzzField> record(1 + rng() % 5);
            for (FuzzField& f : record) {
                if (rng() % 10 == 0) {
                    f.isNull = true;
                    continue;
                }
                // Mostly short fields; some long runs of plain bytes with the odd special one,
                // so that fields cross the parser's 16-byte scan steps and 64-byte bitmap words.
                const bool longField = rng() % 6 == 0;
                const size_t len = longField ? rng() % 150 : rng() % 8;
                for (size_t k = 0; k < len; ++k)
                    f.text += longField && rng() % 12 != 0
                                  ? static_cast<char>('c' + rng() % 20)
                                  : alphabet[rng() % alphabet.size()];
            }
            records.push_back(std::move(record));
        }
        auto expectRecords = [](const ViewSink& sink, const auto& expected) {
            QCOMPARE(sink.records.size(), expected.size());
            for (size_t r = 0; r < expected.size(); ++r) {
                QCOMPARE(sink.records[r].size(), expected[r].size());
                for (size_t i = 0; i < expected[r].size(); ++i) {
                    QCOMPARE(sink.records[r][i].isNull, expected[r][i].isNull);
                    QCOMPARE(sink.records[r][i].text, std::string_view(expected[r][i].text));
                }
            }
        };
        CsvParser parser(options);
        {
            const std::string text = encode(records, options, rng);
            ViewSink sink;
            const Status st = parser.parse(text, sink);
            QVERIFY2(st.ok(), st.message().c_str());
            expectRecords(sink, records);
        }
        // One record per parse() call, as Kafka messages come: every length of text ends in a
        // partial scan step somewhere.
        for (size_t r = 0; r < records.size(); r += 7) {
            const std::vector<std::vector<FuzzField>> one{records[r]};
            const std::string text = encode(one, options, rng);
            ViewSink sink;
            const Status st = parser.parse(text, sink);
            QVERIFY2(st.ok(), st.message().c_str());
            expectRecords(sink, one);
        }
    }
};

QTEST_APPLESS_MAIN(CsvParserTest)
#include "tst_CsvParser.moc"
