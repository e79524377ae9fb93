#pragma once
// ShardWriter: one shard file's connection for a pipeline. commit() writes a batch's rows and
// the batch marker in one transaction (exactly-once, step 3), or does nothing when the marker is
// already there (the batch was applied before a crash).
//
// Threading: one thread at a time; different ShardWriters run in parallel.

#include "common/Result.h"
#include "pipeline/RowBuilder.h"
#include "store/Sqlite.h"

#include <map>
#include <string>
#include <vector>

namespace sluice::pipeline {

class ShardWriter {
public:
    static Result<std::unique_ptr<ShardWriter>> open(const std::string& path);

    // Returns true when the rows were written, false when the marker showed the batch applied.
    // conflict: "", "OR IGNORE" or "OR REPLACE".
    Result<bool> commit(const std::string& pipeline, int64_t batchId, const std::string& table,
                        const std::vector<std::string>& columns, const std::string& conflict,
                        const ShardRows& rows);
    // True when this shard holds the batch's marker.
    Result<bool> hasMarker(int64_t batchId);

private:
    ShardWriter() = default;
    Result<store::Stmt*> insertStatement(const std::string& table, const std::vector<std::string>& columns,
                                         const std::string& conflict, size_t rows);
    store::DbHandle m_db;
    store::Stmt m_marker;
    store::Stmt m_hasMarker;
    store::Stmt m_prune;
    std::map<std::string, store::Stmt> m_inserts;
};

} // namespace sluice::pipeline
