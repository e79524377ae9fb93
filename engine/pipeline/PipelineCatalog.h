#pragma once
// PipelineCatalog: the pipeline tables of catalog.db (definitions, state, cursors, batch log,
// errors, offset requests), read and written through one connection. The schema name is
// "main" for a connection opened on catalog.db and "information_schema" for an SqlSession.
//
// Threading: like the connection it wraps, one thread at a time.

#include "common/Result.h"
#include "sql/PipelineStatement.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace sluice::pipeline {

inline constexpr const char* kStateRunning = "Running";
inline constexpr const char* kStateStopped = "Stopped";
inline constexpr const char* kStateError = "Error";

// How many error rows a pipeline keeps (older ones are deleted as new ones arrive).
inline constexpr int64_t kErrorRetention = 1000;
// How many batch log rows a pipeline keeps.
inline constexpr int64_t kBatchRetention = 20000;

struct PipelineRow {
    std::string name;
    std::string state;
    std::string specSql;     // credentials redacted
    std::string credentials; // the CREDENTIALS JSON, kept apart
    int64_t generation = 0;  // bumped by every ALTER; runners reload when it changes
    double createTime = 0;
    double alterTime = 0;
};

struct CursorRow {
    int32_t partition = 0;
    int64_t earliest = 0;
    int64_t latest = 0;
    int64_t cursor = 0;
    int64_t successfulCursor = 0;
};

struct BatchRange {
    int32_t partition = 0;
    int64_t start = 0; // [start, end)
    int64_t end = 0;
    int64_t rows = 0;
    int64_t bytes = 0;
};

struct ErrorRecord {
    std::string type = "Error"; // Error | Warning
    int code = 0;
    std::string message;
    std::string stdError;
    std::optional<std::string> loadDataLine;
    std::optional<int64_t> batchId;
    std::optional<int32_t> partition;
    std::optional<int64_t> earliestOffset;
    std::optional<int64_t> latestOffset;
};

class PipelineCatalog {
public:
    PipelineCatalog(sqlite3* db, std::string schema);

    Result<std::optional<PipelineRow>> get(const std::string& name);
    Result<std::vector<PipelineRow>> list();
    // The spec with credentials put back (for running; never for display).
    static Result<sql::PipelineSpec> specOf(const PipelineRow& row);

    // CREATE [OR REPLACE] PIPELINE [IF NOT EXISTS]. OR REPLACE keeps the cursors and the state.
    // Errors: AlreadyExists, NotFound (target table), InvalidArgument.
    Status create(const sql::CreatePipeline& statement);
    Status setState(const std::string& name, const std::string& state);
    // Replaces the definition (ALTER ... SET); bumps the generation.
    Status saveSpec(const std::string& name, const sql::PipelineSpec& spec);
    Status drop(const std::string& name);

    // The designer's drawing of the pipeline (an opaque JSON text kept with the definition);
    // CREATE OR REPLACE keeps it, DROP removes it. "" when none was saved. Neither bumps the
    // generation. Errors: NotFound (no such pipeline).
    Status setLayout(const std::string& name, const std::string& layoutJson);
    Result<std::string> layout(const std::string& name);

    Result<std::map<int32_t, CursorRow>> cursors(const std::string& name);
    // Sets cursors directly (only when no runner runs the pipeline).
    Status setCursors(const std::string& name, const std::map<int32_t, int64_t>& offsets);
    // Asks the runner to apply offsets at its next batch boundary.
    Status requestOffsets(const std::string& name, const std::map<int32_t, int64_t>& offsets);
    // Takes (and deletes) the oldest pending request, if any.
    Result<std::optional<std::map<int32_t, int64_t>>> takeOffsetRequest(const std::string& name);

    // Exactly-once protocol, step 1: records a planned batch; returns its id.
    Result<int64_t> planBatch(const std::string& name, const std::vector<BatchRange>& ranges,
                              double startTime);
    // Planned batches left by a previous run, oldest first, with their ranges.
    Result<std::vector<std::pair<int64_t, std::vector<BatchRange>>>> plannedBatches(const std::string& name);

    struct BatchStats {
        double extractorWait = 0, transformWait = 0, loadTime = 0, batchTime = 0;
        int64_t rows = 0, bytes = 0;
    };
    // Step 4: cursors := range ends, batch succeeded, per-partition rows/bytes; one transaction.
    // watermarks: latest high watermark per partition (for lag), may be empty.
    Status commitBatch(const std::string& name, int64_t batchId, const std::vector<BatchRange>& ranges,
                       const BatchStats& stats, const std::map<int32_t, std::pair<int64_t, int64_t>>& watermarks);
    Status failBatch(int64_t batchId, const BatchStats& stats);
    // Updates earliest/latest for partitions (creating cursor rows at `start` when missing).
    Status updateWatermarks(const std::string& name,
                            const std::map<int32_t, std::pair<int64_t, int64_t>>& watermarks,
                            int64_t startForNew);

    Status recordError(const std::string& name, const ErrorRecord& error);

    sqlite3* db() const { return m_db; }

private:
    std::string table(const char* name) const { return m_schema + "." + name; }
    sqlite3* m_db;
    std::string m_schema;
};

// "{"0":123,"1":456}" -> {0:123, 1:456}. InvalidArgument naming the bad part.
Result<std::map<int32_t, int64_t>> parseOffsetsJson(std::string_view json);

} // namespace sluice::pipeline
