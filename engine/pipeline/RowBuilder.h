#pragma once
// RowBuilder: turns a pipeline's input text (a Kafka message value or a transform's output)
// into rows of the target table, routed to shards. Applies the pipeline's FORMAT (CSV), its
// column list with @variables, SET expressions and WHERE (evaluated by a private in-memory
// SQLite connection), and Kafka metadata (get_kafka_pipeline_prop, pipeline_batch_id).
//
// Threading: one thread at a time (owns a parser and an SQLite connection).

#include "common/Result.h"
#include "format/CsvParser.h"
#include "sql/PipelineStatement.h"
#include "store/ShardRouter.h"
#include "store/Sqlite.h"
#include "store/Store.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::pipeline {

// One value of a row in 16 bytes (a batch holds millions of cells): Text points into the
// message or the batch's TextArena and is shorter than 4 GiB; Int and Real share its storage.
struct Cell {
    enum class Kind : uint8_t { Null, Text, Int, Real };
    union {
        const char* p = nullptr; // Text
        int64_t i;               // Int
        double d;                // Real
    };
    uint32_t size = 0; // Text: bytes at p
    Kind kind = Kind::Null;

    static constexpr size_t kMaxText = UINT32_MAX;
    // Text only.
    std::string_view text() const { return {p ? p : "", size}; }
    void setNull() {
        kind = Kind::Null;
        p = nullptr;
        size = 0;
    }
    // s.size() <= kMaxText.
    void setText(std::string_view s) {
        kind = Kind::Text;
        p = s.data();
        size = static_cast<uint32_t>(s.size());
    }
    void setInt(int64_t v) {
        kind = Kind::Int;
        i = v;
    }
    void setReal(double v) {
        kind = Kind::Real;
        d = v;
    }
};
static_assert(sizeof(Cell) == 16);

// Append-only byte storage for the values of one batch; emptied as a whole (its chunks are kept
// for the next batch).
class TextArena {
public:
    std::string_view copy(std::string_view s);
    void clear();
    size_t bytes() const { return m_total; }

private:
    std::vector<std::unique_ptr<char[]>> m_chunks;
    std::vector<size_t> m_sizes; // capacity of each chunk
    size_t m_current = 0;        // index of the chunk being filled (valid when m_capacity > 0)
    size_t m_used = 0;
    size_t m_capacity = 0;
    size_t m_total = 0;
};

// The rows of one batch destined for one shard, row-major (columns() cells per row).
struct ShardRows {
    std::vector<Cell> cells;
    size_t rows = 0;
    void clear() {
        cells.clear();
        rows = 0;
    }
};

struct TableSchema {
    std::string name;
    store::TableKind kind = store::TableKind::Sharded;
    std::vector<std::string> columns;
    std::vector<store::Affinity> affinities;
    std::vector<std::string> shardKey;
};

// Reads a table's columns (from shard 0) and shard key (from the catalog).
Result<TableSchema> loadTableSchema(const store::Store& store, const std::string& table);

struct MessageMeta {
    int32_t partition = -1;
    int64_t offset = -1;
    int64_t timestampMs = -1;
    std::string_view key;
    std::string_view topic;
    int64_t batchId = 0;
};

class RowBuilder {
public:
    static Result<std::unique_ptr<RowBuilder>> create(const sql::PipelineSpec& spec,
                                                      TableSchema table, int shardCount);

    // The columns every produced row has, in order (the INSERT column list).
    const std::vector<std::string>& targetColumns() const { return m_target; }
    const TableSchema& table() const { return m_table; }
    // True when SET/WHERE may read a message's timestamp or key (MessageMeta.timestampMs / key);
    // otherwise only partition, offset and batchId are used, and the others need not be filled.
    bool usesMessageMeta() const { return m_evaluate; }

    // Parses text and appends its rows to out (one ShardRows per shard). On error nothing of
    // this text is kept in out; the error (ErrorCode::Parse) names the record and the problem.
    // rowsAdded counts the rows appended (rows dropped by WHERE are not counted). Text cells
    // point into text itself where possible, unless copyText: then every value is copied into
    // the arena and text may be freed as soon as add() returns.
    Status add(std::string_view text, const MessageMeta& meta, std::vector<ShardRows>& out,
               TextArena& arena, size_t& rowsAdded, bool copyText = false);

private:
    RowBuilder() = default;
    class Sink;
    friend class Sink;
    Status addRecord(std::span<const format::Field> fields, const MessageMeta& meta,
                     size_t recordIndex, std::vector<ShardRows>& out, TextArena& arena, bool& kept);

    sql::PipelineSpec m_spec;
    TableSchema m_table;
    int m_shards = 1;
    std::unique_ptr<format::CsvParser> m_parser;
    std::vector<std::string> m_target;
    size_t m_inputFields = 0;                // fields expected per record
    std::vector<int> m_fieldToTarget;        // fast path: field index -> target index or -1
    std::vector<int> m_shardKeyTarget;       // target indexes of the shard key columns
    std::vector<store::Affinity> m_targetAffinity;
    bool m_evaluate = false;                 // SET or WHERE present
    store::DbHandle m_evalDb;
    store::Stmt m_eval;
    std::string_view m_input; // the text being parsed: its bytes outlive the batch
    bool m_copyText = false;  // add(copyText): m_input does not outlive add()
    std::vector<Cell> m_rowScratch;
    std::vector<std::pair<size_t, size_t>> m_marks; // add(): per shard (cells, rows) to undo to
    std::vector<uint8_t> m_integerTarget; // target index -> INTEGER/NUMERIC affinity (bind as int)
};

} // namespace sluice::pipeline
