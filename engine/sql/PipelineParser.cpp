// Recursive-descent parser for the pipeline statements (see PipelineStatement.h and the
// "SQL surface" section of the design notes). The statement is tokenized once with MySQL string
// escapes; expressions (SET, WHERE, ON DUPLICATE KEY UPDATE, DEFAULT) are not parsed but kept as
// the exact slice of the input from their first to their last token, because SQLite evaluates
// them later.

#include "sql/JsonReader.h"
#include "sql/Lexer.h"
#include "sql/PipelineStatement.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <initializer_list>

namespace sluice::sql {

namespace {

constexpr std::array<std::string_view, 4> kOptionNames = {
    "BATCH_INTERVAL", "MAX_PARTITIONS_PER_BATCH", "MAX_OFFSETS_PER_BATCH_PARTITION",
    "MAX_RETRIES_PER_BATCH_PARTITION"};

std::string_view trim(std::string_view s) {
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (!s.empty() && space(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && space(s.back()))
        s.remove_suffix(1);
    return s;
}

using detail::JsonReader;
using detail::parseUnsigned;

std::string joinAlternatives(const std::vector<std::string>& words) {
    std::string out;
    for (size_t i = 0; i < words.size(); ++i) {
        if (i > 0)
            out += i + 1 == words.size() ? " or " : ", ";
        out += words[i];
    }
    return out;
}

// One statement's tokens with a cursor. Every parse function returns a Status; on error the
// message names the token where the parse stopped and what would have been accepted there.
class Parser {
public:
    Parser(std::string_view input, std::vector<Token> tokens)
        : m_input(input), m_tokens(std::move(tokens)) {}

    Result<PipelineStatement> parse() {
        PipelineStatement statement;
        Status st = parseStatement(statement);
        if (!st.ok())
            return st;
        if (!peek().isEnd())
            return error(peek(), "end of statement");
        return statement;
    }

private:
    enum class ExprEnd { Item, Clause };

    const Token& peek(size_t ahead = 0) const {
        return m_tokens[std::min(m_pos + ahead, m_tokens.size() - 1)];
    }
    const Token& next() {
        const Token& t = peek();
        if (!t.isEnd())
            ++m_pos;
        return t;
    }
    bool accept(std::string_view keyword) {
        if (!peek().isKeyword(keyword))
            return false;
        ++m_pos;
        return true;
    }
    bool acceptSymbol(std::string_view symbol) {
        if (!peek().isSymbol(symbol))
            return false;
        ++m_pos;
        return true;
    }
    Status expect(std::string_view keyword) {
        return accept(keyword) ? Status() : error(peek(), keyword);
    }
    Status expectSymbol(std::string_view symbol) {
        return acceptSymbol(symbol) ? Status() : error(peek(), "'" + std::string(symbol) + "'");
    }

    Status error(const Token& at, std::string_view expected) const {
        return Status(ErrorCode::Syntax, "syntax error at line " + std::to_string(at.line) +
                                             " column " + std::to_string(at.column) + " near " +
                                             at.describe() + ": expected " + std::string(expected));
    }

    // IF starts an IF [NOT] EXISTS / RUNNING clause; IF is reserved, so it cannot be a name.
    Status ifClause(bool& given, bool withNot, std::string_view word) {
        if (!accept("IF"))
            return {};
        if (withNot)
            SLUICE_TRY(expect("NOT"));
        SLUICE_TRY(expect(word));
        given = true;
        return {};
    }

    Status name(std::string& out, std::string_view what) {
        const Token& t = peek();
        const bool bare = t.kind == TokenKind::Identifier && !isPipelineReservedWord(t.text);
        const bool quoted = t.kind == TokenKind::QuotedIdentifier && !t.value.empty();
        if (!bare && !quoted)
            return error(t, what);
        out = t.value;
        next();
        return {};
    }

    // A column or an @variable (stored as "@name").
    Status columnOrVariable(std::string& out) {
        if (peek().kind == TokenKind::Variable && peek().text.front() == '@') {
            out = std::string(next().text);
            return {};
        }
        return name(out, "a column name or @variable");
    }

    Status string(std::string& out, std::string_view what, bool allowEmpty = true) {
        const Token& t = peek();
        if (t.kind != TokenKind::String || (!allowEmpty && t.value.empty()))
            return error(t, what);
        out = t.value;
        next();
        return {};
    }

    Status integer(int64_t& out, std::string_view what, int64_t min = 0) {
        const Token& t = peek();
        if (t.kind != TokenKind::Number || !parseUnsigned(t.text, out) || out < min)
            return error(t, what);
        next();
        return {};
    }

    // The source text of an expression, which runs up to a top-level ',' or ')', the WHERE or
    // ON DUPLICATE that starts the next clause, or the end of the statement.
    Status expression(std::string& out) {
        const size_t first = m_pos;
        int depth = 0;
        while (!peek().isEnd()) {
            const Token& t = peek();
            if (depth == 0 &&
                (t.isSymbol(",") || t.isSymbol(")") || t.isSymbol(";") || t.isKeyword("WHERE") ||
                 (t.isKeyword("ON") && peek(1).isKeyword("DUPLICATE"))))
                break;
            if (t.isSymbol("("))
                ++depth;
            else if (t.isSymbol(")"))
                --depth;
            next();
        }
        if (depth > 0)
            return error(peek(), "')'");
        if (m_pos == first)
            return error(peek(), "an expression");
        const Token& begin = m_tokens[first];
        const Token& last = m_tokens[m_pos - 1];
        out = std::string(
            m_input.substr(begin.offset, last.offset + last.text.size() - begin.offset));
        return {};
    }

    Status parseStatement(PipelineStatement& out) {
        const Token& first = peek();
        if (accept("CREATE"))
            return parseCreate(out);
        if (accept("START"))
            return parseStart(out);
        if (accept("STOP"))
            return parseStop(out);
        if (accept("DROP"))
            return parseDrop(out);
        if (accept("ALTER"))
            return parseAlter(out);
        if (accept("SHOW"))
            return parseShow(out);
        if (accept("TEST"))
            return parseTest(out);
        if (accept("EXTRACT"))
            return parseExtract(out);
        return error(first, "CREATE, START, STOP, DROP, ALTER, SHOW, TEST or EXTRACT");
    }

    Status parseCreate(PipelineStatement& out) {
        CreatePipeline create;
        if (accept("OR")) {
            SLUICE_TRY(expect("REPLACE"));
            create.orReplace = true;
        }
        SLUICE_TRY(expect("PIPELINE"));
        SLUICE_TRY(ifClause(create.ifNotExists, true, "EXISTS"));
        PipelineSpec& spec = create.spec;
        SLUICE_TRY(name(spec.name, "a pipeline name"));
        SLUICE_TRY(expect("AS"));
        SLUICE_TRY(expect("LOAD"));
        SLUICE_TRY(expect("DATA"));
        SLUICE_TRY(parseSource(spec));
        SLUICE_TRY(parseOptions(spec));
        if (accept("WITH")) {
            SLUICE_TRY(expect("TRANSFORM"));
            spec.transform.emplace();
            SLUICE_TRY(parseTransform(*spec.transform));
        }
        SLUICE_TRY(parseErrorPolicy(spec));
        if (!accept("INTO")) {
            std::vector<std::string> words;
            if (!spec.transform && spec.errorPolicy == ErrorPolicy::Default) {
                const bool seen[] = {spec.explicitBatchInterval, spec.explicitMaxPartitions,
                                     spec.explicitMaxOffsets, spec.explicitMaxRetries};
                for (size_t i = 0; i < kOptionNames.size(); ++i)
                    if (!seen[i])
                        words.emplace_back(kOptionNames[i]);
                words.emplace_back("WITH TRANSFORM");
            }
            if (spec.errorPolicy == ErrorPolicy::Default)
                words.insert(words.end(), {"REPLACE", "IGNORE", "SKIP ... ERRORS"});
            words.emplace_back("INTO");
            return error(peek(), joinAlternatives(words));
        }
        if (accept("TABLE"))
            spec.targetKind = TargetKind::Table;
        else if (accept("PROCEDURE"))
            spec.targetKind = TargetKind::Procedure;
        else
            return error(peek(), "TABLE or PROCEDURE");
        SLUICE_TRY(name(spec.target, spec.targetKind == TargetKind::Table ? "a table name"
                                                                          : "a procedure name"));
        SLUICE_TRY(parseFormat(spec));
        SLUICE_TRY(parseAssignments(spec));
        out = std::move(create);
        return {};
    }

    Status parseSource(PipelineSpec& spec) {
        if (accept("KAFKA")) {
            spec.sourceType = SourceType::Kafka;
            const Token& t = peek();
            std::string location;
            SLUICE_TRY(string(location, "a string 'host:port[,host:port]/topic'"));
            const size_t slash = location.rfind('/');
            if (slash == std::string::npos || slash == 0 || slash + 1 == location.size())
                return error(t, "'host:port[,host:port]/topic' (a Kafka source needs brokers "
                                "before the last '/' and a topic after it)");
            spec.brokers = location.substr(0, slash);
            spec.topic = location.substr(slash + 1);
        } else if (accept("FS")) {
            spec.sourceType = SourceType::Fs;
            SLUICE_TRY(string(spec.fsPath, "a non-empty path string", false));
        } else {
            return error(peek(), "KAFKA or FS");
        }
        bool config = false;
        bool credentials = false;
        while (peek().isKeyword("CONFIG") || peek().isKeyword("CREDENTIALS")) {
            const bool isConfig = peek().isKeyword("CONFIG");
            bool& seen = isConfig ? config : credentials;
            const std::string clause = isConfig ? "CONFIG" : "CREDENTIALS";
            if (seen)
                return error(peek(), clause + " only once");
            seen = true;
            next();
            const Token& t = peek();
            std::string& json = isConfig ? spec.configJson : spec.credentialsJson;
            SLUICE_TRY(string(json, "a JSON object string for " + clause));
            if (!JsonReader(trim(json)).isObject())
                return error(t, "a JSON object for " + clause);
        }
        return {};
    }

    // The four numeric options, in any order, each at most once. Reads one option if the next
    // token names one; returns its index in kOptionNames, or -1.
    Status parseOption(int& index, int64_t& value) {
        index = -1;
        for (size_t i = 0; i < kOptionNames.size(); ++i) {
            if (peek().isKeyword(kOptionNames[i])) {
                index = static_cast<int>(i);
                break;
            }
        }
        if (index < 0)
            return {};
        next();
        return integer(value, "a non-negative integer for " + std::string(kOptionNames[index]));
    }

    Status parseOptions(PipelineSpec& spec) {
        std::array<bool*, 4> given = {&spec.explicitBatchInterval, &spec.explicitMaxPartitions,
                                      &spec.explicitMaxOffsets, &spec.explicitMaxRetries};
        std::array<int64_t*, 4> values = {
            &spec.options.batchIntervalMs, &spec.options.maxPartitionsPerBatch,
            &spec.options.maxOffsetsPerBatchPartition, &spec.options.maxRetriesPerBatchPartition};
        while (true) {
            const Token& at = peek();
            int index = -1;
            int64_t value = 0;
            SLUICE_TRY(parseOption(index, value));
            if (index < 0)
                return {};
            if (*given[index])
                return error(at, std::string(kOptionNames[index]) + " only once");
            *given[index] = true;
            *values[index] = value;
        }
    }

    // ('program', 'unused', 'args'); the last two may be left out.
    Status parseTransform(TransformSpec& transform) {
        SLUICE_TRY(expectSymbol("("));
        SLUICE_TRY(string(transform.uri, "a non-empty transform program path string", false));
        if (acceptSymbol(",")) {
            SLUICE_TRY(string(transform.unused, "a string"));
            if (acceptSymbol(","))
                SLUICE_TRY(string(transform.args, "an argument string"));
        }
        return expectSymbol(")");
    }

    Status parseErrorPolicy(PipelineSpec& spec) {
        if (accept("REPLACE")) {
            spec.errorPolicy = ErrorPolicy::Replace;
        } else if (accept("IGNORE")) {
            spec.errorPolicy = ErrorPolicy::Ignore;
        } else if (accept("SKIP")) {
            if (accept("ALL")) {
                spec.errorPolicy = ErrorPolicy::SkipAll;
            } else if (accept("DUPLICATE")) {
                SLUICE_TRY(expect("KEY"));
                spec.errorPolicy = ErrorPolicy::SkipDuplicateKey;
            } else if (accept("PARSER")) {
                spec.errorPolicy = ErrorPolicy::SkipParser;
            } else {
                return error(peek(), "ALL, DUPLICATE KEY or PARSER");
            }
            SLUICE_TRY(expect("ERRORS"));
        }
        return {};
    }

    Status parseFormat(PipelineSpec& spec) {
        if (accept("FORMAT")) {
            if (accept("CSV")) {
                spec.format = DataFormat::Csv;
                spec.csv.formatCsvKeyword = true;
                spec.csv.fieldsTerminatedBy = ",";
            } else if (accept("JSON")) {
                spec.format = DataFormat::Json;
            } else if (accept("AVRO")) {
                spec.format = DataFormat::Avro;
            } else {
                return error(peek(), "CSV, JSON or AVRO");
            }
        }
        if (spec.format == DataFormat::Csv) {
            SLUICE_TRY(parseFieldsClause(spec.csv));
            SLUICE_TRY(parseLinesClause(spec.csv));
            if (accept("IGNORE")) {
                SLUICE_TRY(integer(spec.csv.ignoreLines, "a non-negative number of lines"));
                if (!accept("ROWS"))
                    SLUICE_TRY(expect("LINES"));
            }
            if (acceptSymbol("(")) {
                do {
                    SLUICE_TRY(columnOrVariable(spec.columns.emplace_back()));
                } while (acceptSymbol(","));
                SLUICE_TRY(expectSymbol(")"));
            }
            return {};
        }
        if (spec.format == DataFormat::Avro && accept("SCHEMA"))
            SLUICE_TRY(string(spec.avroSchema, "a non-empty Avro schema string", false));
        return parseMappings(spec);
    }

    // A single-character string (ENCLOSED BY, ESCAPED BY) or the empty string for "none".
    Status character(std::string& out, std::string_view clause) {
        const Token& t = peek();
        SLUICE_TRY(string(out, "a string for " + std::string(clause)));
        if (out.size() > 1)
            return error(t, "a single character for " + std::string(clause));
        return {};
    }

    Status parseFieldsClause(CsvOptions& csv) {
        if (!accept("FIELDS") && !accept("COLUMNS"))
            return {};
        csv.fieldsClauseGiven = true;
        bool terminated = false;
        bool enclosed = false;
        bool escaped = false;
        while (true) {
            const Token& at = peek();
            auto once = [&](bool& seen, std::string_view clause) {
                if (seen)
                    return error(at, std::string(clause) + " only once");
                seen = true;
                return Status();
            };
            if (accept("TERMINATED")) {
                SLUICE_TRY(once(terminated, "TERMINATED BY"));
                SLUICE_TRY(expect("BY"));
                SLUICE_TRY(string(csv.fieldsTerminatedBy,
                                  "a non-empty string for FIELDS TERMINATED BY", false));
            } else if (peek().isKeyword("OPTIONALLY") || peek().isKeyword("ENCLOSED")) {
                SLUICE_TRY(once(enclosed, "ENCLOSED BY"));
                csv.optionallyEnclosed = accept("OPTIONALLY");
                SLUICE_TRY(expect("ENCLOSED"));
                SLUICE_TRY(expect("BY"));
                SLUICE_TRY(character(csv.enclosedBy, "ENCLOSED BY"));
            } else if (accept("ESCAPED")) {
                SLUICE_TRY(once(escaped, "ESCAPED BY"));
                SLUICE_TRY(expect("BY"));
                SLUICE_TRY(character(csv.escapedBy, "ESCAPED BY"));
            } else {
                break;
            }
        }
        if (!terminated && !enclosed && !escaped)
            return error(peek(), "TERMINATED BY, ENCLOSED BY or ESCAPED BY");
        return {};
    }

    Status parseLinesClause(CsvOptions& csv) {
        if (!accept("LINES"))
            return {};
        csv.linesClauseGiven = true;
        bool starting = false;
        bool terminated = false;
        while (true) {
            const Token& at = peek();
            if (accept("STARTING")) {
                if (starting)
                    return error(at, "STARTING BY only once");
                starting = true;
                SLUICE_TRY(expect("BY"));
                SLUICE_TRY(string(csv.linesStartingBy, "a string for LINES STARTING BY"));
            } else if (accept("TERMINATED")) {
                if (terminated)
                    return error(at, "TERMINATED BY only once");
                terminated = true;
                SLUICE_TRY(expect("BY"));
                SLUICE_TRY(string(csv.linesTerminatedBy,
                                  "a non-empty string for LINES TERMINATED BY", false));
            } else {
                break;
            }
        }
        if (!starting && !terminated)
            return error(peek(), "STARTING BY or TERMINATED BY");
        return {};
    }

    // (col <- a::b [DEFAULT v], ...) for JSON; Avro paths start at the record root '%'.
    Status parseMappings(PipelineSpec& spec) {
        const bool avro = spec.format == DataFormat::Avro;
        if (!acceptSymbol("("))
            return error(peek(), avro ? "SCHEMA or '(' starting the Avro field mappings"
                                      : "'(' starting the JSON field mappings");
        do {
            FieldMapping& mapping = spec.fieldMappings.emplace_back();
            SLUICE_TRY(columnOrVariable(mapping.column));
            SLUICE_TRY(expectSymbol("<-"));
            do {
                const Token& t = peek();
                const bool root = mapping.path.empty();
                if (t.isSymbol("%") && root) {
                    mapping.path.emplace_back("%");
                } else if (avro && root) {
                    return error(t, "'%' (Avro paths start at the record root, as in %::field)");
                } else if (t.kind == TokenKind::Identifier ||
                           (t.kind == TokenKind::QuotedIdentifier && !t.value.empty())) {
                    mapping.path.push_back(t.value);
                } else if (int64_t index = 0;
                           t.kind == TokenKind::Number && parseUnsigned(t.text, index)) {
                    mapping.path.push_back(t.value);
                } else {
                    return error(t, root ? "a field path" : "a field name after '::'");
                }
                next();
            } while (acceptSymbol("::"));
            if (accept("DEFAULT"))
                SLUICE_TRY(expression(mapping.defaultValue.emplace()));
        } while (acceptSymbol(","));
        return expectSymbol(")");
    }

    Status parseAssignmentList(std::vector<Assignment>& out) {
        do {
            Assignment& a = out.emplace_back();
            SLUICE_TRY(name(a.column, "a column name"));
            SLUICE_TRY(expectSymbol("="));
            SLUICE_TRY(expression(a.expr));
        } while (acceptSymbol(","));
        return {};
    }

    Status parseAssignments(PipelineSpec& spec) {
        if (accept("SET"))
            SLUICE_TRY(parseAssignmentList(spec.set));
        if (accept("WHERE"))
            SLUICE_TRY(expression(spec.whereExpr));
        if (accept("ON")) {
            SLUICE_TRY(expect("DUPLICATE"));
            SLUICE_TRY(expect("KEY"));
            SLUICE_TRY(expect("UPDATE"));
            SLUICE_TRY(parseAssignmentList(spec.onDuplicateKeyUpdate));
        }
        return {};
    }

    Status parseStart(PipelineStatement& out) {
        StartPipeline start;
        SLUICE_TRY(expect("PIPELINE"));
        SLUICE_TRY(ifClause(start.ifNotRunning, true, "RUNNING"));
        SLUICE_TRY(name(start.name, "a pipeline name"));
        if (accept("FOREGROUND")) {
            start.foreground = true;
            if (accept("LIMIT")) {
                SLUICE_TRY(
                    integer(start.limitBatches.emplace(), "a positive number of batches", 1));
                SLUICE_TRY(expect("BATCHES"));
            }
        }
        out = std::move(start);
        return {};
    }

    Status parseStop(PipelineStatement& out) {
        StopPipeline stop;
        SLUICE_TRY(expect("PIPELINE"));
        SLUICE_TRY(ifClause(stop.ifRunning, false, "RUNNING"));
        SLUICE_TRY(name(stop.name, "a pipeline name"));
        out = std::move(stop);
        return {};
    }

    Status parseDrop(PipelineStatement& out) {
        DropPipeline drop;
        SLUICE_TRY(expect("PIPELINE"));
        SLUICE_TRY(ifClause(drop.ifExists, false, "EXISTS"));
        SLUICE_TRY(name(drop.name, "a pipeline name"));
        out = std::move(drop);
        return {};
    }

    Status parseAlter(PipelineStatement& out) {
        std::string pipeline;
        SLUICE_TRY(expect("PIPELINE"));
        SLUICE_TRY(name(pipeline, "a pipeline name"));
        if (accept("RELOAD")) {
            SLUICE_TRY(expect("TRANSFORM"));
            out = AlterTransform{pipeline, true, std::nullopt};
            return {};
        }
        if (!accept("SET"))
            return error(peek(), "SET or RELOAD TRANSFORM");
        if (accept("OFFSETS")) {
            AlterOffsets alter;
            alter.name = pipeline;
            const Token& t = peek();
            if (accept("EARLIEST")) {
                alter.kind = AlterOffsets::Kind::Earliest;
            } else if (accept("LATEST")) {
                alter.kind = AlterOffsets::Kind::Latest;
            } else if (accept("AT")) {
                alter.kind = AlterOffsets::Kind::AtTime;
                SLUICE_TRY(string(alter.atTime, "a non-empty timestamp string", false));
            } else if (t.kind == TokenKind::String) {
                alter.kind = AlterOffsets::Kind::Explicit;
                if (!JsonReader(t.value).offsetMap(alter.offsets))
                    return error(t, "a JSON object of partition offsets such as "
                                    "'{\"0\":123,\"1\":456}'");
                next();
            } else {
                return error(t, "EARLIEST, LATEST, AT 'timestamp' or a JSON object of "
                                "partition offsets");
            }
            out = std::move(alter);
            return {};
        }
        if (accept("TRANSFORM")) {
            AlterTransform alter{pipeline, false, TransformSpec{}};
            SLUICE_TRY(parseTransform(*alter.transform));
            out = std::move(alter);
            return {};
        }
        AlterOptions alter;
        alter.name = pipeline;
        do {
            const Token& at = peek();
            int index = -1;
            int64_t value = 0;
            SLUICE_TRY(parseOption(index, value));
            if (index < 0) {
                std::vector<std::string> words(kOptionNames.begin(), kOptionNames.end());
                if (alter.values.empty())
                    words.insert(words.begin(), {"OFFSETS", "TRANSFORM"});
                return error(at, joinAlternatives(words));
            }
            if (!alter.values.emplace(kOptionNames[index], value).second)
                return error(at, std::string(kOptionNames[index]) + " only once");
        } while (acceptSymbol(","));
        out = std::move(alter);
        return {};
    }

    Status parseShow(PipelineStatement& out) {
        if (accept("PIPELINES")) {
            out = ShowPipelines{};
            return {};
        }
        if (!accept("CREATE"))
            return error(peek(), "PIPELINES or CREATE PIPELINE");
        ShowCreatePipeline show;
        SLUICE_TRY(expect("PIPELINE"));
        SLUICE_TRY(name(show.name, "a pipeline name"));
        out = std::move(show);
        return {};
    }

    Status parseTest(PipelineStatement& out) {
        TestPipeline test;
        SLUICE_TRY(expect("PIPELINE"));
        SLUICE_TRY(name(test.name, "a pipeline name"));
        if (accept("LIMIT"))
            SLUICE_TRY(integer(test.limit.emplace(), "a positive number of rows", 1));
        out = std::move(test);
        return {};
    }

    Status parseExtract(PipelineStatement& out) {
        ExtractPipeline extract;
        SLUICE_TRY(expect("PIPELINE"));
        SLUICE_TRY(name(extract.name, "a pipeline name"));
        SLUICE_TRY(expect("INTO"));
        SLUICE_TRY(expect("OUTFILE"));
        SLUICE_TRY(string(extract.outfile, "a non-empty file name string", false));
        out = std::move(extract);
        return {};
    }

    std::string_view m_input;
    std::vector<Token> m_tokens; // ends with the End token
    size_t m_pos = 0;
};

} // namespace

Result<PipelineStatement> parsePipelineStatement(std::string_view statement) {
    auto tokens = tokenize(statement, StringEscapes::MySql);
    if (!tokens.ok())
        return Status(ErrorCode::Syntax, "syntax error: " + tokens.status().message());
    return Parser(statement, std::move(*tokens)).parse();
}

} // namespace sluice::sql
