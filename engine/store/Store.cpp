#include "store/Store.h"

#include "store/Sqlite.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace sluice::store {

namespace {

constexpr const char* kCatalogSchema = R"SQL(
CREATE TABLE IF NOT EXISTS store_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS table_registry(
    name TEXT PRIMARY KEY COLLATE NOCASE,
    kind TEXT NOT NULL CHECK (kind IN ('sharded', 'reference')),
    shard_key TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS user_views(name TEXT PRIMARY KEY COLLATE NOCASE, sql TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pipeline_defs(
    name TEXT PRIMARY KEY,
    state TEXT NOT NULL DEFAULT 'Stopped',
    spec_sql TEXT NOT NULL,
    config_json TEXT NOT NULL DEFAULT '{}',
    create_time REAL NOT NULL,
    alter_time REAL NOT NULL,
    layout TEXT NOT NULL DEFAULT '',
    generation INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS pipeline_credentials(
    pipeline TEXT PRIMARY KEY, credentials TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cursors(
    pipeline TEXT NOT NULL,
    partition_id INTEGER NOT NULL,
    earliest INTEGER NOT NULL DEFAULT 0,
    latest INTEGER NOT NULL DEFAULT 0,
    cursor INTEGER NOT NULL DEFAULT 0,
    successful_cursor INTEGER NOT NULL DEFAULT 0,
    latest_time REAL NOT NULL DEFAULT 0,
    updated REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (pipeline, partition_id));
CREATE TABLE IF NOT EXISTS batches(
    batch_id INTEGER PRIMARY KEY AUTOINCREMENT,
    pipeline TEXT NOT NULL,
    state TEXT NOT NULL,
    start_time REAL NOT NULL,
    extractor_wait REAL NOT NULL DEFAULT 0,
    transform_wait REAL NOT NULL DEFAULT 0,
    load_time REAL NOT NULL DEFAULT 0,
    batch_time REAL NOT NULL DEFAULT 0,
    rows INTEGER NOT NULL DEFAULT 0,
    bytes INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS batches_by_pipeline ON batches(pipeline, batch_id);
CREATE TABLE IF NOT EXISTS batch_partitions(
    batch_id INTEGER NOT NULL,
    partition_id INTEGER NOT NULL,
    start_offset INTEGER NOT NULL,
    end_offset INTEGER NOT NULL,
    rows INTEGER NOT NULL DEFAULT 0,
    bytes INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (batch_id, partition_id));
CREATE TABLE IF NOT EXISTS errors(
    error_id INTEGER PRIMARY KEY AUTOINCREMENT,
    pipeline TEXT NOT NULL,
    ts REAL NOT NULL,
    type TEXT NOT NULL DEFAULT 'Error',
    code INTEGER NOT NULL DEFAULT 0,
    message TEXT NOT NULL,
    std_error TEXT NOT NULL DEFAULT '',
    load_data_line TEXT,
    batch_id INTEGER,
    partition_id INTEGER,
    earliest_offset INTEGER,
    latest_offset INTEGER);
CREATE INDEX IF NOT EXISTS errors_by_pipeline ON errors(pipeline, error_id);
CREATE TABLE IF NOT EXISTS offset_requests(
    request_id INTEGER PRIMARY KEY AUTOINCREMENT,
    pipeline TEXT NOT NULL,
    offsets_json TEXT NOT NULL,
    created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS files(
    pipeline TEXT NOT NULL, file_name TEXT NOT NULL, file_size INTEGER NOT NULL DEFAULT 0,
    file_state TEXT NOT NULL DEFAULT 'Unloaded', PRIMARY KEY (pipeline, file_name));

CREATE VIEW IF NOT EXISTS PIPELINES AS
  SELECT 'sluice' AS DATABASE_NAME, name AS PIPELINE_NAME, config_json AS CONFIG_JSON,
         state AS STATE, datetime(create_time, 'unixepoch') AS CREATE_TIME,
         datetime(alter_time, 'unixepoch') AS ALTER_TIME
  FROM pipeline_defs;
CREATE VIEW IF NOT EXISTS PIPELINES_CURSORS AS
  SELECT 'sluice' AS DATABASE_NAME, c.pipeline AS PIPELINE_NAME,
         CASE WHEN p.spec_sql LIKE '% FS %' THEN 'FS' ELSE 'KAFKA' END AS SOURCE_TYPE,
         c.partition_id AS SOURCE_PARTITION_ID, c.earliest AS EARLIEST_OFFSET,
         c.latest AS LATEST_OFFSET, c.cursor AS CURSOR_OFFSET,
         c.successful_cursor AS SUCCESSFUL_CURSOR_OFFSET,
         max(0, c.latest - c.cursor) AS LAG, c.updated AS UPDATED_UNIX_TIMESTAMP
  FROM cursors c LEFT JOIN pipeline_defs p ON p.name = c.pipeline;
CREATE VIEW IF NOT EXISTS PIPELINES_BATCHES_SUMMARY AS
  SELECT 'sluice' AS DATABASE_NAME, pipeline AS PIPELINE_NAME, batch_id AS BATCH_ID,
         CASE state WHEN 'succeeded' THEN 'Succeeded' WHEN 'failed' THEN 'Failed'
                    WHEN 'planned' THEN 'In Progress' WHEN 'empty' THEN 'No Data'
                    ELSE state END AS BATCH_STATE,
         strftime('%Y-%m-%d %H:%M:%f', start_time, 'unixepoch') AS START_TIME,
         extractor_wait AS EXTRACTOR_WAIT_TIME, transform_wait AS TRANSFORM_WAIT_TIME,
         batch_time AS BATCH_TIME, rows AS ROWS_STREAMED,
         CASE WHEN batch_time > 0 THEN rows / batch_time ELSE 0 END AS ROWS_PER_SEC,
         bytes / 1048576.0 AS MB_STREAMED,
         CASE WHEN batch_time > 0 THEN bytes / 1048576.0 / batch_time ELSE 0 END AS MB_PER_SEC
  FROM batches;
CREATE VIEW IF NOT EXISTS PIPELINES_BATCHES AS
  SELECT 'sluice' AS DATABASE_NAME, b.pipeline AS PIPELINE_NAME, bp.batch_id AS BATCH_ID,
         CASE b.state WHEN 'succeeded' THEN 'Succeeded' WHEN 'failed' THEN 'Failed'
                      WHEN 'planned' THEN 'In Progress' ELSE b.state END AS BATCH_STATE,
         bp.partition_id AS BATCH_SOURCE_PARTITION_ID,
         bp.start_offset AS BATCH_EARLIEST_OFFSET, bp.end_offset AS BATCH_LATEST_OFFSET,
         bp.rows AS BATCH_PARTITION_PARSED_ROWS, bp.bytes AS BATCH_PARTITION_EXTRACTED_BYTES
  FROM batch_partitions bp JOIN batches b ON b.batch_id = bp.batch_id;
CREATE VIEW IF NOT EXISTS PIPELINES_ERRORS AS
  SELECT 'sluice' AS DATABASE_NAME, pipeline AS PIPELINE_NAME, error_id AS ERROR_ID,
         ts AS ERROR_UNIX_TIMESTAMP, type AS ERROR_TYPE, code AS ERROR_CODE,
         message AS ERROR_MESSAGE, std_error AS STD_ERROR, load_data_line AS LOAD_DATA_LINE,
         batch_id AS BATCH_ID, partition_id AS BATCH_SOURCE_PARTITION_ID,
         earliest_offset AS BATCH_EARLIEST_OFFSET, latest_offset AS BATCH_LATEST_OFFSET
  FROM errors;
CREATE VIEW IF NOT EXISTS PIPELINES_FILES AS
  SELECT 'sluice' AS DATABASE_NAME, pipeline AS PIPELINE_NAME, file_name AS FILE_NAME,
         file_size AS FILE_SIZE, file_state AS FILE_STATE
  FROM files;
)SQL";

constexpr const char* kShardSchema = R"SQL(
CREATE TABLE IF NOT EXISTS _sluice_batches(
    batch_id INTEGER PRIMARY KEY, pipeline TEXT NOT NULL, committed_at REAL NOT NULL);
)SQL";

std::string shardFileName(int i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "shard-%02d.db", i);
    return buf;
}

} // namespace

Status ensureCatalogSchema(sqlite3* catalog) {
    SLUICE_TRY(exec(catalog, "PRAGMA journal_mode=WAL"));
    SLUICE_TRY(exec(catalog, "PRAGMA synchronous=FULL"));
    Transaction tx(catalog);
    SLUICE_TRY(tx.began());
    SLUICE_TRY(exec(catalog, kCatalogSchema));
    return tx.commit();
}

Status ensureShardSchema(sqlite3* shard) {
    // 32 KiB pages for new shard files (no effect on existing ones): bulk appends write an
    // eighth as many WAL frames and pages as with 4 KiB, which measured about half the CPU per
    // inserted row (sluicectl bench, raw insert: 0.60 s per million rows at 4 KiB, 0.36 at 16 KiB,
    // 0.31 at 32 KiB, no better at 64 KiB).
    SLUICE_TRY(exec(shard, "PRAGMA page_size=32768"));
    SLUICE_TRY(exec(shard, "PRAGMA journal_mode=WAL"));
    return exec(shard, kShardSchema);
}

std::string Store::catalogPath() const { return m_dir + "/catalog.db"; }
std::string Store::shardPath(int shard) const { return m_dir + "/" + shardFileName(shard); }
std::string Store::lockPath() const { return m_dir + "/sluice.lock"; }

Result<std::shared_ptr<Store>> Store::open(const std::string& dirArg, const StoreOptions& options) {
    if (options.shards < 0 || options.shards > kMaxShards)
        return Status(ErrorCode::InvalidArgument,
                      "--shards must be between 1 and " + std::to_string(kMaxShards) + " (got " +
                          std::to_string(options.shards) + ")");
    if (dirArg.empty())
        return Status(ErrorCode::InvalidArgument, "no store folder given");
    std::error_code ec;
    fs::path dir = fs::absolute(dirArg, ec).lexically_normal();
    std::string dirStr = dir.string();
    if (dirStr.size() > 1 && dirStr.back() == '/')
        dirStr.pop_back();

    auto status = fs::status(dir, ec);
    bool exists = fs::exists(status);
    if (exists && !fs::is_directory(status))
        return Status(ErrorCode::InvalidArgument, dirArg + " is not a folder");
    bool hasCatalog = exists && fs::exists(dir / "catalog.db", ec);
    if (exists && !hasCatalog) {
        bool empty = fs::is_empty(dir, ec);
        if (ec)
            return Status(ErrorCode::Io, "cannot read " + dirArg + ": " + ec.message());
        if (!empty)
            return Status(ErrorCode::InvalidArgument,
                          dirArg + " is not a Sluice store (no catalog.db) and is not empty");
    }
    if (!hasCatalog && !options.create)
        return Status(ErrorCode::NotFound, dirArg + " is not a Sluice store (no catalog.db)");
    if (!exists) {
        fs::create_directories(dir, ec);
        if (ec)
            return Status(ErrorCode::Io, "cannot create store folder " + dirArg + ": " + ec.message());
    }
    if (::access(dirStr.c_str(), W_OK) != 0)
        return Status(ErrorCode::ReadOnly,
                      "store folder " + dirArg + " is not writable: " + std::strerror(errno));

    std::shared_ptr<Store> store(new Store());
    store->m_dir = dirStr;

    auto catalog = openDb(store->catalogPath(), true);
    if (!catalog.ok())
        return catalog.status();
    sqlite3* cdb = catalog->get();
    if (Status st = ensureCatalogSchema(cdb); !st.ok())
        return Status(st.code(), "cannot initialise " + store->catalogPath() + ": " + st.message());

    // The shard count is decided once, under the catalog's write lock, so that two processes
    // creating the same store agree.
    Transaction tx(cdb);
    SLUICE_TRY(tx.began());
    auto q = Stmt::prepare(cdb, "SELECT value FROM store_meta WHERE key = 'shards'");
    if (!q.ok())
        return q.status();
    auto row = q->step();
    if (!row.ok())
        return row.status();
    int shards = 0;
    if (*row) {
        shards = std::stoi(q->text(0));
        store->m_shardCountIgnored = options.shards != 0 && options.shards != shards;
    } else {
        shards = options.shards == 0 ? kDefaultShards : options.shards;
        auto ins = Stmt::prepare(cdb, "INSERT INTO store_meta(key, value) VALUES ('shards', ?1), "
                                      "('format', '1')");
        if (!ins.ok())
            return ins.status();
        ins->bind(1, std::to_string(shards));
        SLUICE_TRY(ins->run());
    }
    q = Stmt();
    for (int i = 0; i < shards; ++i) {
        auto shard = openDb(store->shardPath(i), true);
        if (!shard.ok())
            return shard.status();
        if (Status st = ensureShardSchema(shard->get()); !st.ok())
            return Status(st.code(), "cannot initialise " + store->shardPath(i) + ": " + st.message());
    }
    SLUICE_TRY(tx.commit());
    store->m_shards = shards;
    return store;
}

Result<std::unique_ptr<RunnerLock>> RunnerLock::acquire(const Store& store, const std::string& what) {
    int fd = ::open(store.lockPath().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return Status(ErrorCode::Io, "cannot open " + store.lockPath() + ": " + std::strerror(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char buf[256] = {};
        ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
        ::close(fd);
        std::string holder = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "another process";
        while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' '))
            holder.pop_back();
        return Status(ErrorCode::Locked,
                      "store " + store.dir() + " is locked by " + holder +
                          "; only one process runs a store's pipelines at a time");
    }
    std::string me = "pid " + std::to_string(::getpid()) + " (" + what + ")\n";
    if (::ftruncate(fd, 0) != 0 ||
        ::pwrite(fd, me.data(), me.size(), 0) != static_cast<ssize_t>(me.size())) {
        ::close(fd);
        return Status(ErrorCode::Io, "cannot write " + store.lockPath());
    }
    return std::unique_ptr<RunnerLock>(new RunnerLock(fd));
}

bool RunnerLock::isHeld(const Store& store, int* holderPid) {
    int fd = ::open(store.lockPath().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0;
    if (held && holderPid) {
        char buf[64] = {};
        if (::pread(fd, buf, sizeof buf - 1, 0) > 4)
            *holderPid = std::atoi(buf + 4);
    }
    ::close(fd);
    return held;
}

RunnerLock::~RunnerLock() {
    if (m_fd >= 0) {
        if (::ftruncate(m_fd, 0) != 0) {
            // The lock is released by close() whatever the file says.
        }
        ::flock(m_fd, LOCK_UN);
        ::close(m_fd);
    }
}

} // namespace sluice::store
