// PipelineDocument's conversions to and from SQL: the spec <-> node properties mapping, the
// CREATE TABLE split used by the Table node, and script parsing.

#include "PipelineDocument.h"

#include "PipelineDocumentPrivate.h"

#include "sql/Lexer.h"

#include <QJsonArray>

#include <algorithm>
#include <cctype>
#include <optional>

namespace sluice::ui::designer {

namespace {

using sql::PipelineSpec;

std::string str(const QVariant& v) {
    return v.toString().toStdString();
}
QString qstr(const std::string& s) {
    return QString::fromStdString(s);
}

// A target column or "@var" as toSql writes it.
std::string columnSql(const std::string& column) {
    const bool variable = column.size() > 1 && column[0] == '@' &&
                          sql::quotePipelineIdentifier(column.substr(1)) == column.substr(1);
    return variable ? column : sql::quotePipelineIdentifier(column);
}

std::string columnsText(const std::vector<std::string>& columns) {
    std::string out;
    for (size_t i = 0; i < columns.size(); ++i)
        out += (i > 0 ? ", " : "") + columnSql(columns[i]);
    return out;
}

std::string mappingsText(const std::vector<sql::FieldMapping>& mappings) {
    std::string out;
    for (size_t i = 0; i < mappings.size(); ++i) {
        const sql::FieldMapping& m = mappings[i];
        out += (i > 0 ? ",\n" : "") + columnSql(m.column) + " <- ";
        for (size_t p = 0; p < m.path.size(); ++p) {
            if (p > 0)
                out += "::";
            out += p == 0 && m.path[p] == "%" ? std::string("%")
                                              : sql::quotePipelineIdentifier(m.path[p]);
        }
        if (m.defaultValue)
            out += " DEFAULT " + *m.defaultValue;
    }
    return out;
}

std::string assignmentsText(const std::vector<sql::Assignment>& list) {
    std::string out;
    for (size_t i = 0; i < list.size(); ++i)
        out += (i > 0 ? ",\n" : "") + sql::quotePipelineIdentifier(list[i].column) + " = " +
               list[i].expr;
    return out;
}

bool blank(const std::string& text) {
    return std::all_of(text.begin(), text.end(),
                       [](unsigned char c) { return std::isspace(c) != 0; });
}

// Parses one clause of the pipeline grammar by wrapping it in a minimal statement, so the
// designer accepts exactly what the engine's parser accepts.
Result<PipelineSpec> parseClause(const std::string& clause) {
    auto parsed = sql::parsePipelineStatement(
        "CREATE PIPELINE p AS LOAD DATA KAFKA 'localhost:9092/t' INTO TABLE t " + clause);
    if (!parsed)
        return parsed.status();
    return std::get<sql::CreatePipeline>(parsed.value()).spec;
}

Status clauseError(const char* where, const Status& status) {
    return {ErrorCode::InvalidArgument, std::string(where) + ": " + status.message()};
}

int64_t number(const QVariantMap& props, const char* key) {
    return props.value(key).toLongLong();
}

} // namespace

Result<TableDefinition> parseCreateTable(std::string_view statement) {
    auto tokens = sql::tokenize(statement, sql::StringEscapes::Sql);
    if (!tokens)
        return tokens.status();
    const std::vector<sql::Token>& t = tokens.value();
    size_t i = 0;
    auto fail = [&](const char* expected) {
        const sql::Token& tok = t[std::min(i, t.size() - 1)];
        return Status(ErrorCode::Syntax, "syntax error at line " + std::to_string(tok.line) +
                                             " column " + std::to_string(tok.column) + " near " +
                                             tok.describe() + ": expected " + expected);
    };
    TableDefinition table;
    if (!t[i].isKeyword("CREATE"))
        return fail("CREATE");
    ++i;
    if (t[i].isKeyword("REFERENCE")) {
        table.reference = true;
        ++i;
    }
    if (!t[i].isKeyword("TABLE"))
        return fail("TABLE");
    ++i;
    if (t[i].isKeyword("IF")) {
        if (!t[i + 1].isKeyword("NOT") || !t[i + 2].isKeyword("EXISTS"))
            return fail("IF NOT EXISTS");
        i += 3;
    }
    if (t[i].kind != sql::TokenKind::Identifier && t[i].kind != sql::TokenKind::QuotedIdentifier)
        return fail("a table name");
    table.name = t[i].value.empty() ? std::string(t[i].text) : t[i].value;
    ++i;
    if (!t[i].isSymbol("("))
        return fail("'('");
    ++i;
    // Split the definitions at top-level commas, keeping each one's text as written.
    size_t start = i;
    int depth = 0;
    for (; !t[i].isEnd(); ++i) {
        if (t[i].isSymbol("(")) {
            ++depth;
        } else if (t[i].isSymbol(")") && depth > 0) {
            --depth;
        } else if ((t[i].isSymbol(",") || t[i].isSymbol(")")) && depth == 0) {
            if (i == start)
                return fail("a column definition");
            if (t[start].isKeyword("SHARD")) {
                size_t k = start + 1;
                if (t[k].isKeyword("KEY"))
                    ++k;
                if (!t[k].isSymbol("("))
                    return fail("SHARD KEY (column, ...)");
                for (++k; k < i && !t[k].isSymbol(")"); ++k) {
                    if (!t[k].isSymbol(","))
                        table.shardKey.push_back(t[k].value.empty() ? std::string(t[k].text)
                                                                    : t[k].value);
                }
            } else {
                const size_t from = t[start].offset;
                const size_t to = t[i - 1].offset + t[i - 1].text.size();
                table.definitions.emplace_back(statement.substr(from, to - from));
            }
            if (t[i].isSymbol(")"))
                break;
            start = i + 1;
        }
    }
    if (t[i].isEnd())
        return fail("')'");
    if (!t[i + 1].isEnd()) {
        ++i;
        return fail("end of statement");
    }
    return table;
}

std::string createTableSql(const TableDefinition& table) {
    std::string out = std::string("CREATE ") + (table.reference ? "REFERENCE " : "") + "TABLE " +
                      sql::quotePipelineIdentifier(table.name) + " (";
    bool first = true;
    for (const std::string& d : table.definitions) {
        out += std::string(first ? "" : ",") + "\n    " + d;
        first = false;
    }
    if (!table.shardKey.empty()) {
        out += std::string(first ? "" : ",") + "\n    SHARD KEY (";
        for (size_t i = 0; i < table.shardKey.size(); ++i)
            out += (i > 0 ? ", " : "") + sql::quotePipelineIdentifier(table.shardKey[i]);
        out += ")";
    }
    return out + "\n)";
}

Result<PipelineSpec> PipelineDocument::toSpec() const {
    auto missing = [](const QString& what) {
        return Status(ErrorCode::InvalidArgument, what.toStdString());
    };
    const int sourceId = nodeOf(NodeKind::Source);
    if (sourceId == 0)
        return missing(tr("add a Source node"));
    const int formatId = successor(sourceId);
    if (formatId == 0)
        return missing(tr("connect Source → Format"));
    int next = successor(formatId);
    if (next == 0)
        return missing(tr("connect Format → Table"));
    int transformId = 0;
    if (node(next)->kind == NodeKind::Transform) {
        transformId = next;
        next = successor(next);
        if (next == 0)
            return missing(tr("connect Transform → Table"));
    }
    const int tableId = next;

    PipelineSpec spec;
    const QVariantMap& src = node(sourceId)->props;
    spec.sourceType =
        src.value("sourceType").toString() == "FS" ? sql::SourceType::Fs : sql::SourceType::Kafka;
    spec.brokers = str(src.value("brokers"));
    spec.topic = str(src.value("topic"));
    spec.fsPath = str(src.value("fsPath"));
    spec.configJson = str(src.value("config"));
    spec.credentialsJson = str(src.value("credentials"));
    if (spec.sourceType == sql::SourceType::Kafka && (spec.brokers.empty() || spec.topic.empty()))
        return missing(tr("Source: brokers and topic are required"));
    if (spec.sourceType == sql::SourceType::Fs && spec.fsPath.empty())
        return missing(tr("Source: a file path is required"));

    const QVariantMap& fmt = node(formatId)->props;
    const QString format = fmt.value("format").toString();
    spec.format = format == "JSON"   ? sql::DataFormat::Json
                  : format == "AVRO" ? sql::DataFormat::Avro
                                     : sql::DataFormat::Csv;
    spec.csv.fieldsTerminatedBy = str(fmt.value("fieldsTerminatedBy"));
    spec.csv.enclosedBy = str(fmt.value("enclosedBy"));
    spec.csv.optionallyEnclosed = fmt.value("optionallyEnclosed").toBool();
    spec.csv.escapedBy = str(fmt.value("escapedBy"));
    spec.csv.linesTerminatedBy = str(fmt.value("linesTerminatedBy"));
    spec.csv.linesStartingBy = str(fmt.value("linesStartingBy"));
    spec.csv.ignoreLines = number(fmt, "ignoreLines");
    spec.csv.formatCsvKeyword = fmt.value("formatCsvKeyword").toBool();
    spec.csv.fieldsClauseGiven = fmt.value("fieldsClauseGiven").toBool();
    spec.csv.linesClauseGiven = fmt.value("linesClauseGiven").toBool();
    if (spec.format != sql::DataFormat::Csv) {
        // The parser leaves CSV options at their defaults for JSON and AVRO.
        spec.csv = sql::CsvOptions();
        const std::string mappings = str(fmt.value("mappings"));
        if (!blank(mappings)) {
            auto parsed = parseClause(
                (spec.format == sql::DataFormat::Json ? "FORMAT JSON (" : "FORMAT AVRO (") +
                mappings + ")");
            if (!parsed)
                return clauseError("Format mappings", parsed.status());
            spec.fieldMappings = parsed->fieldMappings;
        }
        if (spec.format == sql::DataFormat::Avro)
            spec.avroSchema = str(fmt.value("avroSchema"));
    }

    if (transformId != 0) {
        const QVariantMap& t = node(transformId)->props;
        spec.transform =
            sql::TransformSpec{str(t.value("uri")), str(t.value("unused")), str(t.value("args"))};
        if (spec.transform->uri.empty())
            return missing(tr("Transform: a script path is required"));
    }

    const QVariantMap& tab = node(tableId)->props;
    spec.targetKind = tab.value("targetKind").toString() == "Procedure" ? sql::TargetKind::Procedure
                                                                        : sql::TargetKind::Table;
    spec.target = str(tab.value("name"));
    if (spec.target.empty())
        return missing(tr("Table: a name is required"));
    const std::string loadColumns = str(tab.value("loadColumns"));
    if (!blank(loadColumns)) {
        auto parsed = parseClause("(" + loadColumns + ")");
        if (!parsed)
            return clauseError("Table load columns", parsed.status());
        spec.columns = parsed->columns;
    }
    const std::string set = str(tab.value("set"));
    if (!blank(set)) {
        auto parsed = parseClause("SET " + set);
        if (!parsed)
            return clauseError("Table SET", parsed.status());
        spec.set = parsed->set;
    }
    const std::string where = str(tab.value("where"));
    if (!blank(where)) {
        auto parsed = parseClause("WHERE " + where);
        if (!parsed)
            return clauseError("Table WHERE", parsed.status());
        spec.whereExpr = parsed->whereExpr;
    }
    const std::string dup = str(tab.value("onDuplicate"));
    if (!blank(dup)) {
        auto parsed = parseClause("ON DUPLICATE KEY UPDATE " + dup);
        if (!parsed)
            return clauseError("Table ON DUPLICATE KEY UPDATE", parsed.status());
        spec.onDuplicateKeyUpdate = parsed->onDuplicateKeyUpdate;
    }

    const int optionsId = nodeOf(NodeKind::Options);
    if (optionsId == 0) {
        spec.name = spec.target;
        return spec;
    }
    const QVariantMap& opt = node(optionsId)->props;
    spec.name = str(opt.value("pipeline"));
    if (spec.name.empty())
        return missing(tr("Options: a pipeline name is required"));
    const sql::PipelineOptions defaults;
    spec.options.batchIntervalMs = number(opt, "batchInterval");
    spec.options.maxPartitionsPerBatch = number(opt, "maxPartitions");
    spec.options.maxOffsetsPerBatchPartition = number(opt, "maxOffsets");
    spec.options.maxRetriesPerBatchPartition = number(opt, "maxRetries");
    spec.explicitBatchInterval = opt.value("explicitBatchInterval").toBool() ||
                                 spec.options.batchIntervalMs != defaults.batchIntervalMs;
    spec.explicitMaxPartitions =
        opt.value("explicitMaxPartitions").toBool() ||
        spec.options.maxPartitionsPerBatch != defaults.maxPartitionsPerBatch;
    spec.explicitMaxOffsets =
        opt.value("explicitMaxOffsets").toBool() ||
        spec.options.maxOffsetsPerBatchPartition != defaults.maxOffsetsPerBatchPartition;
    spec.explicitMaxRetries =
        opt.value("explicitMaxRetries").toBool() ||
        spec.options.maxRetriesPerBatchPartition != defaults.maxRetriesPerBatchPartition;
    spec.errorPolicy = detail::errorPolicyValue(
        detail::errorPolicyNames().indexOf(opt.value("errorPolicy").toString()));
    return spec;
}

std::string PipelineDocument::createTableSql() const {
    const int tableId = nodeOf(NodeKind::Table);
    if (tableId == 0)
        return {};
    const QVariantMap& tab = node(tableId)->props;
    if (tab.value("targetKind").toString() == "Procedure")
        return {};
    TableDefinition table;
    table.name = str(tab.value("name"));
    table.reference = tab.value("reference").toBool();
    for (const QString& line : tab.value("columns").toString().split('\n', Qt::SkipEmptyParts)) {
        QString d = line.trimmed();
        if (d.endsWith(','))
            d.chop(1);
        if (!d.isEmpty())
            table.definitions.push_back(d.toStdString());
    }
    for (const QString& key : tab.value("shardKey").toString().split(',', Qt::SkipEmptyParts)) {
        if (!key.trimmed().isEmpty())
            table.shardKey.push_back(key.trimmed().toStdString());
    }
    if (table.name.empty() || table.definitions.empty())
        return {};
    return sluice::ui::designer::createTableSql(table);
}

Result<std::string> PipelineDocument::toSqlScript(bool redactCredentials) const {
    auto spec = toSpec();
    if (!spec)
        return spec.status();
    std::string out;
    const std::string table = createTableSql();
    if (!table.empty())
        out += table + ";\n\n";
    return out + sql::toSql(spec.value(), redactCredentials) + ";\n";
}

Status PipelineDocument::fromSpec(const PipelineSpec& spec, std::string_view tableSql) {
    TableDefinition table;
    table.name = spec.target;
    if (!blank(std::string(tableSql))) {
        auto parsed = parseCreateTable(tableSql);
        if (!parsed)
            return parsed.status();
        table = parsed.value();
    }
    QVariantMap src{{"sourceType", spec.sourceType == sql::SourceType::Fs ? "FS" : "Kafka"},
                    {"brokers", qstr(spec.brokers)},
                    {"topic", qstr(spec.topic)},
                    {"fsPath", qstr(spec.fsPath)},
                    {"config", qstr(spec.configJson)},
                    {"credentials", qstr(spec.credentialsJson)}};
    const char* format = spec.format == sql::DataFormat::Json   ? "JSON"
                         : spec.format == sql::DataFormat::Avro ? "AVRO"
                                                                : "CSV";
    QVariantMap fmt{{"format", format},
                    {"fieldsTerminatedBy", qstr(spec.csv.fieldsTerminatedBy)},
                    {"enclosedBy", qstr(spec.csv.enclosedBy)},
                    {"optionallyEnclosed", spec.csv.optionallyEnclosed},
                    {"escapedBy", qstr(spec.csv.escapedBy)},
                    {"linesTerminatedBy", qstr(spec.csv.linesTerminatedBy)},
                    {"linesStartingBy", qstr(spec.csv.linesStartingBy)},
                    {"ignoreLines", qint64(spec.csv.ignoreLines)},
                    {"mappings", qstr(mappingsText(spec.fieldMappings))},
                    {"avroSchema", qstr(spec.avroSchema)},
                    {"formatCsvKeyword", spec.csv.formatCsvKeyword},
                    {"fieldsClauseGiven", spec.csv.fieldsClauseGiven},
                    {"linesClauseGiven", spec.csv.linesClauseGiven}};
    QString columns;
    for (const std::string& d : table.definitions)
        columns += qstr(d) + "\n";
    columns.chop(1);
    QStringList shardKey;
    for (const std::string& k : table.shardKey)
        shardKey << qstr(k);
    QVariantMap tab{
        {"targetKind", spec.targetKind == sql::TargetKind::Procedure ? "Procedure" : "Table"},
        {"name", qstr(spec.target)},
        {"reference", table.reference},
        {"columns", columns},
        {"shardKey", shardKey.join(", ")},
        {"loadColumns", qstr(columnsText(spec.columns))},
        {"set", qstr(assignmentsText(spec.set))},
        {"where", qstr(spec.whereExpr)},
        {"onDuplicate", qstr(assignmentsText(spec.onDuplicateKeyUpdate))}};
    qsizetype policy = 0;
    for (qsizetype i = 0; i < detail::errorPolicyNames().size(); ++i) {
        if (detail::errorPolicyValue(i) == spec.errorPolicy)
            policy = i;
    }
    QVariantMap opt{{"pipeline", qstr(spec.name)},
                    {"batchInterval", qint64(spec.options.batchIntervalMs)},
                    {"maxPartitions", qint64(spec.options.maxPartitionsPerBatch)},
                    {"maxOffsets", qint64(spec.options.maxOffsetsPerBatchPartition)},
                    {"maxRetries", qint64(spec.options.maxRetriesPerBatchPartition)},
                    {"errorPolicy", detail::errorPolicyNames()[policy]},
                    {"explicitBatchInterval", spec.explicitBatchInterval},
                    {"explicitMaxPartitions", spec.explicitMaxPartitions},
                    {"explicitMaxOffsets", spec.explicitMaxOffsets},
                    {"explicitMaxRetries", spec.explicitMaxRetries}};

    // Left to right on the grid; Options below the source.
    constexpr double kStep = 12 * kGrid;
    constexpr double kRow = 5 * kGrid;
    QJsonArray nodes;
    QJsonArray edges;
    int id = 1;
    auto add = [&](NodeKind kind, double x, double y, const QVariantMap& props) {
        nodes.append(QJsonObject{{"id", id},
                                 {"kind", nodeKindName(kind)},
                                 {"x", x},
                                 {"y", y},
                                 {"props", QJsonObject::fromVariantMap(props)}});
        if (hasInputPort(kind))
            edges.append(QJsonObject{{"from", id - 1}, {"to", id}});
        return id++;
    };
    double x = 0;
    add(NodeKind::Source, x, kRow, src);
    add(NodeKind::Format, x += kStep, kRow, fmt);
    if (spec.transform) {
        QVariantMap t{{"uri", qstr(spec.transform->uri)},
                      {"unused", qstr(spec.transform->unused)},
                      {"args", qstr(spec.transform->args)},
                      {"script", ""}};
        add(NodeKind::Transform, x += kStep, kRow, t);
    }
    add(NodeKind::Table, x + kStep, kRow, tab);
    add(NodeKind::Options, 0, 2 * kRow + 2 * kGrid, opt);
    fromJson(QJsonObject{{"version", 1}, {"nodes", nodes}, {"edges", edges}});
    return {};
}

Result<sql::PipelineStatement> parsePipelineAllowingRedacted(std::string_view statement) {
    auto tokens = sql::tokenize(statement, sql::StringEscapes::MySql);
    if (!tokens)
        return sql::parsePipelineStatement(statement);
    const std::vector<sql::Token>& t = tokens.value();
    for (size_t i = 0; i + 1 < t.size(); ++i) {
        if (!t[i].isKeyword("CREDENTIALS") || t[i + 1].kind != sql::TokenKind::String ||
            t[i + 1].value != kRedactedCredentials)
            continue;
        // An empty object padded to the same length, so error positions stay right.
        std::string patched(statement);
        const size_t length = t[i + 1].text.size();
        patched.replace(t[i + 1].offset, length, "'{}'" + std::string(length - 4, ' '));
        auto parsed = sql::parsePipelineStatement(patched);
        if (parsed) {
            if (auto* create = std::get_if<sql::CreatePipeline>(&parsed.value()))
                create->spec.credentialsJson = kRedactedCredentials;
        }
        return parsed;
    }
    return sql::parsePipelineStatement(statement);
}

Status PipelineDocument::fromSqlScript(std::string_view script) {
    auto statements = sql::splitStatements(script);
    if (!statements)
        return statements.status();
    std::optional<PipelineSpec> spec;
    std::string tableSql;
    for (const sql::StatementText& s : statements.value()) {
        auto where = [&](const Status& st) {
            return Status(st.code(),
                          "statement at line " + std::to_string(s.line) + ": " + st.message());
        };
        if (sql::isPipelineStatement(s.text)) {
            auto parsed = parsePipelineAllowingRedacted(s.text);
            if (!parsed)
                return where(parsed.status());
            if (!std::holds_alternative<sql::CreatePipeline>(parsed.value()))
                return where({ErrorCode::InvalidArgument, "only CREATE PIPELINE belongs here"});
            if (spec)
                return where({ErrorCode::InvalidArgument, "one CREATE PIPELINE per design"});
            spec = std::get<sql::CreatePipeline>(parsed.value()).spec;
            continue;
        }
        auto table = parseCreateTable(s.text);
        if (!table)
            return where(table.status());
        if (!tableSql.empty())
            return where({ErrorCode::InvalidArgument, "one CREATE TABLE per design"});
        tableSql = std::string(s.text);
    }
    if (!spec)
        return {ErrorCode::InvalidArgument, "no CREATE PIPELINE statement"};
    if (!tableSql.empty()) {
        auto table = parseCreateTable(tableSql);
        if (qstr(table->name).compare(qstr(spec->target), Qt::CaseInsensitive) != 0)
            return {ErrorCode::InvalidArgument, "CREATE TABLE " + table->name +
                                                    " is not the pipeline's target " +
                                                    spec->target};
    }
    return fromSpec(*spec, tableSql);
}

} // namespace sluice::ui::designer
