#pragma once
// Thin RAII owners for sqlite3 handles and helpers that turn SQLite errors into Status values.
// A Db and its statements belong to one thread at a time.

#include "common/Result.h"

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::store {

struct DbCloser {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using DbHandle = std::unique_ptr<sqlite3, DbCloser>;
using StmtHandle = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// Turns off SQLite's global memory statistics (a global mutex that halves parallel shard
// writes, see platform notes). Call before the first connection opens; later calls are no-ops.
void configureSqliteOnce();

// Opens (creating when allowed) a database file with a busy timeout and extended result codes.
Result<DbHandle> openDb(const std::string& path, bool create, bool readOnly = false);

// Runs one or more statements without results.
Status exec(sqlite3* db, std::string_view sql);

// A prepared statement with typed binders and readers.
class Stmt {
public:
    Stmt() = default;
    static Result<Stmt> prepare(sqlite3* db, std::string_view sql);

    sqlite3_stmt* get() const { return m_stmt.get(); }
    explicit operator bool() const { return static_cast<bool>(m_stmt); }

    Stmt& bind(int i, int64_t v);
    Stmt& bind(int i, int v) { return bind(i, static_cast<int64_t>(v)); }
    Stmt& bind(int i, double v);
    Stmt& bind(int i, std::string_view v); // SQLITE_TRANSIENT copy
    Stmt& bindStatic(int i, std::string_view v); // caller keeps the bytes alive until step()
    Stmt& bindNull(int i);

    // SQLITE_ROW -> true, SQLITE_DONE -> false, else an error Status.
    Result<bool> step();
    // Steps to completion, then resets; for INSERT/UPDATE.
    Status run();
    // Steps through every row, calling onRow for each; stops at the first error (SQLite's or
    // onRow's), then resets.
    template <typename Fn> Status forEachRow(Fn&& onRow) {
        while (true) {
            auto r = step();
            if (!r.ok())
                return r.status();
            if (!*r)
                break;
            if (Status st = onRow(*this); !st.ok()) {
                reset();
                return st;
            }
        }
        reset();
        return {};
    }
    void reset();

    int64_t int64(int col) const { return sqlite3_column_int64(m_stmt.get(), col); }
    double real(int col) const { return sqlite3_column_double(m_stmt.get(), col); }
    std::string text(int col) const;
    bool isNull(int col) const { return sqlite3_column_type(m_stmt.get(), col) == SQLITE_NULL; }

private:
    StmtHandle m_stmt;
};

// Status for the last error of db, prefixed with what was being done.
Status sqliteError(sqlite3* db, const std::string& what = {});

// RAII transaction: BEGIN [IMMEDIATE] on construction, ROLLBACK unless commit() succeeded.
class Transaction {
public:
    Transaction(sqlite3* db, bool immediate = true);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    const Status& began() const { return m_began; }
    Status commit();

private:
    sqlite3* m_db;
    Status m_began;
    bool m_open = false;
};

double nowSeconds(); // wall clock, seconds since the epoch, with fractions

} // namespace sluice::store
