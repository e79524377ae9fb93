#pragma once
// SqlSession: one SQLite connection that sees the whole store as one database.
//
// The main database is in memory; every shard is attached as s0..sN-1 and the catalog as
// `information_schema`. Each sharded table is exposed as a TEMP VIEW (UNION ALL over the
// shards) and each reference table as a view over shard 0, so SELECT works unchanged, joins and
// aggregates included. Writes are translated:
//   CREATE TABLE ... [SHARD KEY (c)]  -> the table in every shard + a catalog entry
//   INSERT / REPLACE                  -> rows staged in a temp table, then routed by shard key
//                                        (reference tables: copied to every shard)
//   UPDATE / DELETE / ALTER TABLE / DROP TABLE / CREATE INDEX -> run on every shard
// Each translated statement runs inside a savepoint, so a failure leaves the store as it was.
//
// Threading: a session belongs to one thread; interrupt() may be called from any thread.

#include "common/Result.h"
#include "store/Store.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;

namespace sluice::store {

struct Value {
    enum class Type { Null, Integer, Real, Text, Blob };
    Type type = Type::Null;
    int64_t i = 0;
    double d = 0;
    std::string s; // Text and Blob bytes

    std::string toString() const; // NULL -> "NULL"
};

struct ExecResult {
    bool hasResultSet = false;
    std::vector<std::string> columns;
    std::vector<std::vector<Value>> rows;
    int64_t changes = 0;     // rows inserted, updated or deleted
    bool truncated = false;  // more rows than maxRows
};

class SqlSession {
public:
    static Result<std::unique_ptr<SqlSession>> open(std::shared_ptr<Store> store);
    ~SqlSession();
    SqlSession(const SqlSession&) = delete;
    SqlSession& operator=(const SqlSession&) = delete;

    // Runs one plain SQL statement (not a pipeline statement; no trailing ';').
    // Errors name the token where SQLite or the shard layer does (near "X": syntax error).
    Result<ExecResult> execute(std::string_view statement, size_t maxRows = SIZE_MAX);

    // Cancels the statement running now (sqlite3_interrupt). Any thread.
    void interrupt();

    // Tables known to the catalog (reloaded when the catalog changes).
    Result<std::vector<TableInfo>> tables();

    // Rebuilds the temp views from the catalog.
    Status refreshSchema();

    sqlite3* db() const;
    const std::shared_ptr<Store>& store() const { return m_store; }

private:
    SqlSession() = default;
    struct Impl;
    std::unique_ptr<Impl> m_impl;
    std::shared_ptr<Store> m_store;
};

// ASCII lower case (identifiers compare case-insensitively).
std::string lowerAscii(std::string_view s);

// User SQL may not read or change the catalog's credentials table (information_schema.
// pipeline_credentials): an SqlSession refuses it unless an InternalCatalogAccess object lives on
// the calling thread, as it does inside PipelineCatalog.
class InternalCatalogAccess {
public:
    InternalCatalogAccess();
    ~InternalCatalogAccess();
    InternalCatalogAccess(const InternalCatalogAccess&) = delete;
    InternalCatalogAccess& operator=(const InternalCatalogAccess&) = delete;
    static bool active();
};

// Reads the table registry of a catalog connection (schema name given, e.g. "main").
Result<std::vector<TableInfo>> readTableRegistry(sqlite3* db, const std::string& schema);

} // namespace sluice::store
