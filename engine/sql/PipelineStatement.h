#pragma once
// The pipeline statements of Sluice's SQL surface (a SingleStore-compatible subset) as values.
// PipelineSpec is what CREATE PIPELINE defines and what the engine runs; it is stored in the
// catalog as its SQL text (toSql) and parsed back when loaded.

#include "common/Result.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sluice::sql {

enum class SourceType { Kafka, Fs };
enum class DataFormat { Csv, Json, Avro };
enum class TargetKind { Table, Procedure };

// REPLACE | IGNORE | SKIP {ALL | DUPLICATE KEY | PARSER} ERRORS
enum class ErrorPolicy { Default, Replace, Ignore, SkipAll, SkipDuplicateKey, SkipParser };

struct CsvOptions {
    std::string fieldsTerminatedBy = "\t"; // SingleStore/MySQL default; FORMAT CSV implies ","
    std::string enclosedBy;                // empty: no enclosure
    bool optionallyEnclosed = false;
    std::string escapedBy = "\\";          // empty: no escape character
    std::string linesTerminatedBy = "\n";
    std::string linesStartingBy;
    int64_t ignoreLines = 0;
    bool formatCsvKeyword = false;         // FORMAT CSV was written (kept for the round trip)
    bool fieldsClauseGiven = false;        // a FIELDS/COLUMNS clause was written
    bool linesClauseGiven = false;         // a LINES clause was written

    bool operator==(const CsvOptions&) const = default;
};

// JSON: col <- path::to::field [DEFAULT v]; Avro: col <- %::field
struct FieldMapping {
    std::string column;             // target column, or "@var"
    std::vector<std::string> path;  // path segments; Avro paths start with "%"
    std::optional<std::string> defaultValue; // SQL literal text as written

    bool operator==(const FieldMapping&) const = default;
};

struct TransformSpec {
    std::string uri;     // program path (or URL in SingleStore; we run local paths)
    std::string unused;  // SingleStore's second argument (executable name inside an archive)
    std::string args;    // argument string, split on spaces

    bool operator==(const TransformSpec&) const = default;
};

struct Assignment {
    std::string column;
    std::string expr; // SQL expression text as written (may use @vars and functions)

    bool operator==(const Assignment&) const = default;
};

struct PipelineOptions {
    int64_t batchIntervalMs = 2500;
    int64_t maxPartitionsPerBatch = 0;          // 0: no limit
    int64_t maxOffsetsPerBatchPartition = 1000000;
    int64_t maxRetriesPerBatchPartition = 4;

    bool operator==(const PipelineOptions&) const = default;
};

struct PipelineSpec {
    std::string name;
    SourceType sourceType = SourceType::Kafka;
    std::string brokers;         // Kafka: "host:port[,host:port]"
    std::string topic;           // Kafka topic
    std::string fsPath;          // FS: path with glob
    std::string configJson;      // CONFIG '{...}' as written (librdkafka properties)
    std::string credentialsJson; // CREDENTIALS '{...}': never printed
    PipelineOptions options;
    bool explicitBatchInterval = false; // which options were written (for a faithful toSql)
    bool explicitMaxPartitions = false;
    bool explicitMaxOffsets = false;
    bool explicitMaxRetries = false;
    std::optional<TransformSpec> transform;
    ErrorPolicy errorPolicy = ErrorPolicy::Default;
    TargetKind targetKind = TargetKind::Table;
    std::string target;          // table or procedure name
    DataFormat format = DataFormat::Csv;
    CsvOptions csv;
    std::vector<FieldMapping> fieldMappings; // JSON / AVRO
    std::string avroSchema;
    std::vector<std::string> columns;        // the (col | @var, ...) list; "@x" for variables
    std::vector<Assignment> set;             // SET col = expr, ...
    std::string whereExpr;                   // WHERE expr (text), empty when absent
    std::vector<Assignment> onDuplicateKeyUpdate;

    // Field by field, the bookkeeping flags included: parsePipelineStatement(toSql(s)) == s.
    bool operator==(const PipelineSpec&) const = default;
};

// Renders a CREATE PIPELINE statement that parses back to an equal spec. With
// redactCredentials the CREDENTIALS clause shows '<redacted>' (SHOW CREATE PIPELINE).
std::string toSql(const PipelineSpec& spec, bool redactCredentials);

// Words that name nothing unless back-quoted in a pipeline statement (AS, INTO, SET, WHERE, ...);
// case-insensitive.
bool isPipelineReservedWord(std::string_view word);
// How toSql writes a name: bare when it lexes as one plain identifier and is not reserved,
// else `back-quoted` with ` doubled.
std::string quotePipelineIdentifier(std::string_view name);
// How toSql writes a string: 'text' with MySQL backslash escapes (\\, \', \n, \t, \r, \0).
std::string quotePipelineString(std::string_view text);

struct CreatePipeline {
    bool orReplace = false;
    bool ifNotExists = false;
    PipelineSpec spec;

    bool operator==(const CreatePipeline&) const = default;
};
struct StartPipeline {
    std::string name;
    bool ifNotRunning = false;
    bool foreground = false;
    std::optional<int64_t> limitBatches;

    bool operator==(const StartPipeline&) const = default;
};
struct StopPipeline {
    std::string name;
    bool ifRunning = false;

    bool operator==(const StopPipeline&) const = default;
};
struct DropPipeline {
    std::string name;
    bool ifExists = false;

    bool operator==(const DropPipeline&) const = default;
};
// ALTER PIPELINE p SET OFFSETS EARLIEST | LATEST | '{"0":1}' | AT 'timestamp'
struct AlterOffsets {
    enum class Kind { Earliest, Latest, Explicit, AtTime };
    std::string name;
    Kind kind = Kind::Earliest;
    std::map<int32_t, int64_t> offsets; // Explicit: partition -> next offset to read
    std::string atTime;                 // AtTime: as written

    bool operator==(const AlterOffsets&) const = default;
};
// ALTER PIPELINE p SET BATCH_INTERVAL 100 [, MAX_... n]...
struct AlterOptions {
    std::string name;
    std::map<std::string, int64_t> values; // upper-case option name -> value

    bool operator==(const AlterOptions&) const = default;
};
// ALTER PIPELINE p SET TRANSFORM (...) | RELOAD TRANSFORM
struct AlterTransform {
    std::string name;
    bool reload = false;
    std::optional<TransformSpec> transform;

    bool operator==(const AlterTransform&) const = default;
};
struct ShowPipelines {
    bool operator==(const ShowPipelines&) const = default;
};
struct ShowCreatePipeline {
    std::string name;

    bool operator==(const ShowCreatePipeline&) const = default;
};
struct TestPipeline {
    std::string name;
    std::optional<int64_t> limit;

    bool operator==(const TestPipeline&) const = default;
};
struct ExtractPipeline {
    std::string name;
    std::string outfile;

    bool operator==(const ExtractPipeline&) const = default;
};

using PipelineStatement =
    std::variant<CreatePipeline, StartPipeline, StopPipeline, DropPipeline, AlterOffsets,
                 AlterOptions, AlterTransform, ShowPipelines, ShowCreatePipeline, TestPipeline,
                 ExtractPipeline>;

// Parses one pipeline statement (no trailing ';'). Errors are ErrorCode::Syntax and name the
// offending token with its line and column, e.g.
//   syntax error at line 1 column 18 near 'PIPELIN': expected PIPELINE
Result<PipelineStatement> parsePipelineStatement(std::string_view statement);

} // namespace sluice::sql
