// PipelineSpec -> CREATE PIPELINE text. The output is what the catalog stores and what SHOW CREATE
// PIPELINE prints, so it must parse back to an equal spec (the parser is the other half of this
// contract). Clauses are written when the spec says they were written (the bookkeeping flags) or
// when their value differs from the default, one clause per line.

#include "sql/PipelineStatement.h"

#include <algorithm>
#include <cctype>
#include <iterator>

namespace sluice::sql {

namespace {

// MySQL reserved words that the pipeline grammar uses, or that would read as SQL structure.
constexpr std::string_view kReserved[] = {
    "ALL",     "ALTER",  "AND",      "AS",         "BY",     "CASE",       "CREATE",
    "DEFAULT", "DELETE", "DISTINCT", "DROP",       "ELSE",   "ENCLOSED",   "ESCAPED",
    "EXISTS",  "FROM",   "GROUP",    "IF",         "IGNORE", "IN",         "INSERT",
    "INTO",    "IS",     "JOIN",     "LIKE",       "LIMIT",  "LINES",      "LOAD",
    "NOT",     "NULL",   "ON",       "OPTIONALLY", "OR",     "ORDER",      "PROCEDURE",
    "REPLACE", "SELECT", "SET",      "STARTING",   "TABLE",  "TERMINATED", "THEN",
    "UPDATE",  "WHEN",   "WHERE",    "WITH"};

bool isIdentStart(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
           static_cast<unsigned char>(c) >= 0x80;
}
bool isIdentChar(char c) {
    return isIdentStart(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '$';
}

// A target column or "@var" as written in a column list or a mapping.
std::string columnSql(const std::string& column) {
    if (column.size() > 1 && column[0] == '@' && isIdentStart(column[1]) &&
        std::all_of(column.begin() + 1, column.end(), isIdentChar))
        return column;
    return quotePipelineIdentifier(column);
}

std::string pathSql(const std::vector<std::string>& path) {
    std::string out;
    for (size_t i = 0; i < path.size(); ++i) {
        if (i > 0)
            out += "::";
        out += i == 0 && path[i] == "%" ? std::string("%") : quotePipelineIdentifier(path[i]);
    }
    return out;
}

std::string assignmentsSql(const std::vector<Assignment>& list) {
    std::string out;
    for (size_t i = 0; i < list.size(); ++i) {
        if (i > 0)
            out += ",\n    ";
        out += quotePipelineIdentifier(list[i].column) + " = " + list[i].expr;
    }
    return out;
}

void appendCsv(std::string& out, const PipelineSpec& spec) {
    const CsvOptions& csv = spec.csv;
    const CsvOptions defaults;
    if (csv.formatCsvKeyword)
        out += "\nFORMAT CSV";
    const std::string defaultTerminator = csv.formatCsvKeyword ? "," : defaults.fieldsTerminatedBy;
    const bool writeEnclosed = !csv.enclosedBy.empty() || csv.optionallyEnclosed;
    const bool writeEscaped = csv.escapedBy != defaults.escapedBy;
    bool writeTerminated = csv.fieldsTerminatedBy != defaultTerminator;
    if (csv.fieldsClauseGiven || writeTerminated || writeEnclosed || writeEscaped) {
        // A FIELDS clause needs at least one part; TERMINATED BY is the one users expect.
        writeTerminated = writeTerminated || (!writeEnclosed && !writeEscaped);
        out += "\nFIELDS";
        if (writeTerminated)
            out += " TERMINATED BY " + quotePipelineString(csv.fieldsTerminatedBy);
        if (writeEnclosed)
            out += std::string(csv.optionallyEnclosed ? " OPTIONALLY" : "") + " ENCLOSED BY " +
                   quotePipelineString(csv.enclosedBy);
        if (writeEscaped)
            out += " ESCAPED BY " + quotePipelineString(csv.escapedBy);
    }
    const bool writeStarting = !csv.linesStartingBy.empty();
    bool writeLinesTerminated = csv.linesTerminatedBy != defaults.linesTerminatedBy;
    if (csv.linesClauseGiven || writeStarting || writeLinesTerminated) {
        writeLinesTerminated = writeLinesTerminated || !writeStarting;
        out += "\nLINES";
        if (writeStarting)
            out += " STARTING BY " + quotePipelineString(csv.linesStartingBy);
        if (writeLinesTerminated)
            out += " TERMINATED BY " + quotePipelineString(csv.linesTerminatedBy);
    }
    if (csv.ignoreLines != 0)
        out += "\nIGNORE " + std::to_string(csv.ignoreLines) + " LINES";
    if (!spec.columns.empty()) {
        out += "\n(";
        for (size_t i = 0; i < spec.columns.size(); ++i)
            out += (i > 0 ? ", " : "") + columnSql(spec.columns[i]);
        out += ")";
    }
}

void appendMappings(std::string& out, const PipelineSpec& spec) {
    out += spec.format == DataFormat::Json ? "\nFORMAT JSON" : "\nFORMAT AVRO";
    if (spec.format == DataFormat::Avro && !spec.avroSchema.empty())
        out += "\nSCHEMA " + quotePipelineString(spec.avroSchema);
    out += "\n(";
    for (size_t i = 0; i < spec.fieldMappings.size(); ++i) {
        const FieldMapping& m = spec.fieldMappings[i];
        out += (i > 0 ? ",\n    " : "\n    ") + columnSql(m.column) + " <- " + pathSql(m.path);
        if (m.defaultValue)
            out += " DEFAULT " + *m.defaultValue;
    }
    out += "\n)";
}

} // namespace

bool isPipelineReservedWord(std::string_view word) {
    std::string upper(word);
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return std::find(std::begin(kReserved), std::end(kReserved), upper) != std::end(kReserved);
}

std::string quotePipelineIdentifier(std::string_view name) {
    const bool plain = !name.empty() && isIdentStart(name.front()) &&
                       std::all_of(name.begin(), name.end(), isIdentChar) &&
                       !isPipelineReservedWord(name);
    if (plain)
        return std::string(name);
    std::string out = "`";
    for (char c : name) {
        if (c == '`')
            out += '`';
        out += c;
    }
    return out + "`";
}

std::string quotePipelineString(std::string_view text) {
    std::string out = "'";
    for (char c : text) {
        switch (c) {
        case '\\':
            out += "\\\\";
            break;
        case '\'':
            out += "\\'";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\t':
            out += "\\t";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\0':
            out += "\\0";
            break;
        default:
            out += c;
            break;
        }
    }
    return out + "'";
}

std::string toSql(const PipelineSpec& spec, bool redactCredentials) {
    std::string out = "CREATE PIPELINE " + quotePipelineIdentifier(spec.name) + " AS\nLOAD DATA ";
    if (spec.sourceType == SourceType::Kafka)
        out += "KAFKA " + quotePipelineString(spec.brokers + "/" + spec.topic);
    else
        out += "FS " + quotePipelineString(spec.fsPath);
    if (!spec.configJson.empty())
        out += "\nCONFIG " + quotePipelineString(spec.configJson);
    if (!spec.credentialsJson.empty())
        out += "\nCREDENTIALS " + (redactCredentials ? std::string("'<redacted>'")
                                                     : quotePipelineString(spec.credentialsJson));

    const PipelineOptions defaults;
    auto option = [&](std::string_view name, bool given, int64_t value, int64_t defaultValue) {
        if (given || value != defaultValue)
            out += "\n" + std::string(name) + " " + std::to_string(value);
    };
    option("BATCH_INTERVAL", spec.explicitBatchInterval, spec.options.batchIntervalMs,
           defaults.batchIntervalMs);
    option("MAX_PARTITIONS_PER_BATCH", spec.explicitMaxPartitions,
           spec.options.maxPartitionsPerBatch, defaults.maxPartitionsPerBatch);
    option("MAX_OFFSETS_PER_BATCH_PARTITION", spec.explicitMaxOffsets,
           spec.options.maxOffsetsPerBatchPartition, defaults.maxOffsetsPerBatchPartition);
    option("MAX_RETRIES_PER_BATCH_PARTITION", spec.explicitMaxRetries,
           spec.options.maxRetriesPerBatchPartition, defaults.maxRetriesPerBatchPartition);

    if (spec.transform)
        out += "\nWITH TRANSFORM (" + quotePipelineString(spec.transform->uri) + ", " +
               quotePipelineString(spec.transform->unused) + ", " +
               quotePipelineString(spec.transform->args) + ")";

    switch (spec.errorPolicy) {
    case ErrorPolicy::Default:
        break;
    case ErrorPolicy::Replace:
        out += "\nREPLACE";
        break;
    case ErrorPolicy::Ignore:
        out += "\nIGNORE";
        break;
    case ErrorPolicy::SkipAll:
        out += "\nSKIP ALL ERRORS";
        break;
    case ErrorPolicy::SkipDuplicateKey:
        out += "\nSKIP DUPLICATE KEY ERRORS";
        break;
    case ErrorPolicy::SkipParser:
        out += "\nSKIP PARSER ERRORS";
        break;
    }

    out += spec.targetKind == TargetKind::Table ? "\nINTO TABLE " : "\nINTO PROCEDURE ";
    out += quotePipelineIdentifier(spec.target);

    if (spec.format == DataFormat::Csv)
        appendCsv(out, spec);
    else
        appendMappings(out, spec);

    if (!spec.set.empty())
        out += "\nSET " + assignmentsSql(spec.set);
    if (!spec.whereExpr.empty())
        out += "\nWHERE " + spec.whereExpr;
    if (!spec.onDuplicateKeyUpdate.empty())
        out += "\nON DUPLICATE KEY UPDATE " + assignmentsSql(spec.onDuplicateKeyUpdate);
    return out;
}

} // namespace sluice::sql
