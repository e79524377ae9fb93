#pragma once
// A store is a folder: catalog.db (tables, pipelines, cursors, batch log, errors) plus
// shard-00.db .. shard-NN.db, each holding a slice of every sharded table and a whole copy of
// every reference table, all in WAL mode. See engine/README.md.
//
// Store objects are cheap descriptions (paths, shard count); connections are opened by the
// users (SqlSession for SQL, the pipeline engine's writers). Any number of processes may read
// and write through SQL at once (SQLite's locking); only the holder of the runner lock runs
// pipelines.

#include "common/Result.h"

#include <memory>
#include <string>
#include <vector>

struct sqlite3;

namespace sluice::store {

inline constexpr int kDefaultShards = 4;
inline constexpr int kMaxShards = 8;

struct StoreOptions {
    int shards = 0;      // for a new store: 1..kMaxShards, 0 means kDefaultShards
    bool create = true;  // create the folder and files when missing
};

enum class TableKind { Sharded, Reference };

struct TableInfo {
    std::string name;
    TableKind kind = TableKind::Sharded;
    std::vector<std::string> shardKey; // empty: round-robin
};

class Store {
public:
    // Opens or creates a store. Errors: InvalidArgument (shard count out of range, a folder
    // that is not a store), Io / ReadOnly (cannot create or write the folder).
    static Result<std::shared_ptr<Store>> open(const std::string& dir, const StoreOptions& options = {});

    const std::string& dir() const { return m_dir; }
    int shardCount() const { return m_shards; }
    std::string catalogPath() const;
    std::string shardPath(int shard) const;
    std::string lockPath() const;
    // True when --shards asked for a count other than the one the existing store has.
    bool shardCountIgnored() const { return m_shardCountIgnored; }

private:
    Store() = default;
    std::string m_dir;
    int m_shards = 0;
    bool m_shardCountIgnored = false;
};

// Schema of catalog.db, applied idempotently when a store is opened.
Status ensureCatalogSchema(::sqlite3* catalog);
// Internal tables of a shard file (the batch markers of the exactly-once protocol).
Status ensureShardSchema(::sqlite3* shard);

// Exclusive lock of the folder for running pipelines (flock on sluice.lock, released when the
// process dies). Readers never take it.
class RunnerLock {
public:
    // Errors: Locked, "store DIR is locked by pid N (WHAT)".
    static Result<std::unique_ptr<RunnerLock>> acquire(const Store& store, const std::string& what);
    // True when some live process holds the lock now.
    static bool isHeld(const Store& store, int* holderPid = nullptr);
    ~RunnerLock();
    RunnerLock(const RunnerLock&) = delete;
    RunnerLock& operator=(const RunnerLock&) = delete;

private:
    explicit RunnerLock(int fd) : m_fd(fd) {}
    int m_fd = -1;
};

} // namespace sluice::store
