#pragma once
// StatementExecutor: runs any statement of Sluice's SQL surface against a store. Pipeline
// statements (CREATE/START/STOP/DROP/ALTER/SHOW/TEST/EXTRACT PIPELINE) act on the catalog;
// everything else goes to the shard layer (SqlSession).
//
// Threading: one thread at a time; interrupt() from any thread.

#include "common/Result.h"
#include "store/SqlSession.h"
#include "store/Store.h"

#include <functional>
#include <memory>
#include <string_view>

namespace sluice::pipeline {

class StatementExecutor {
public:
    static Result<std::unique_ptr<StatementExecutor>> open(std::shared_ptr<store::Store> store);

    // One statement (no trailing ';').
    Result<store::ExecResult> execute(std::string_view statement, size_t maxRows = SIZE_MAX);

    // Splits a script and runs its statements in order, calling onResult after each one; stops
    // at the first error, which is returned with the statement's line.
    Status executeScript(std::string_view script,
                         const std::function<void(const store::ExecResult&)>& onResult);

    void interrupt() { m_session->interrupt(); }
    store::SqlSession& session() { return *m_session; }
    const std::shared_ptr<store::Store>& store() const { return m_store; }

private:
    Result<store::ExecResult> executePipelineStatement(std::string_view statement);
    std::shared_ptr<store::Store> m_store;
    std::unique_ptr<store::SqlSession> m_session;
};

} // namespace sluice::pipeline
