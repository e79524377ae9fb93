#pragma once
// StoredPipeline: what the designer reads from a store to draw one of its pipelines, and the
// stored credentials Deploy puts back when the drawing holds them redacted.
//
// Plain engine calls on the caller's executor (short catalog and schema reads); the executor's
// thread, which for the designer is the GUI thread. Errors are the engine's (NotFound for a
// pipeline or table that does not exist).

#include "common/Result.h"
#include "sql/PipelineStatement.h"

#include <string>
#include <vector>

namespace sluice::pipeline {
class StatementExecutor;
}
namespace sluice::store {
class SqlSession;
}

namespace sluice::ui::designer {

struct StoredPipeline {
    std::string name;
    std::string createPipelineSql; // SHOW CREATE PIPELINE: credentials redacted
    sql::PipelineSpec spec;        // createPipelineSql parsed
    std::string createTableSql;    // rebuilt from the store; empty when the target is missing
    std::string layoutJson;        // the drawing saved by Deploy; empty when none
};

// The store's pipelines (SHOW PIPELINES), by name.
Result<std::vector<std::string>> storedPipelineNames(pipeline::StatementExecutor& executor);

Result<StoredPipeline> readStoredPipeline(pipeline::StatementExecutor& executor,
                                          const std::string& name);

// CREATE [REFERENCE] TABLE for a store table: column names, types, NOT NULL, DEFAULT and
// PRIMARY KEY from shard 0's schema, the shard key and kind from the catalog. Other
// constraints (UNIQUE, CHECK, foreign keys) and indexes are not reproduced.
Result<std::string> reconstructCreateTable(store::SqlSession& session, const std::string& table);

// Saves the drawing with the pipeline in the catalog (see PipelineCatalog::setLayout).
Status saveStoredLayout(pipeline::StatementExecutor& executor, const std::string& name,
                        const std::string& layoutJson);

// The pipeline's stored CREDENTIALS JSON ("" when it has none). Only for putting the real
// credentials back into a definition that is about to replace the stored one; never display it.
Result<std::string> storedCredentials(pipeline::StatementExecutor& executor,
                                      const std::string& name);

} // namespace sluice::ui::designer
