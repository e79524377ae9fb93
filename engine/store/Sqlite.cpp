#include "store/Sqlite.h"

#include <chrono>
#include <mutex>

namespace sluice::store {

void configureSqliteOnce() {
    static std::once_flag once;
    std::call_once(once, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

Result<DbHandle> openDb(const std::string& path, bool create, bool readOnly) {
    configureSqliteOnce();
    sqlite3* raw = nullptr;
    int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
    flags |= readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    if (create && !readOnly)
        flags |= SQLITE_OPEN_CREATE;
    int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    DbHandle db(raw);
    if (rc != SQLITE_OK) {
        std::string msg = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
        return Status(rc == SQLITE_READONLY ? ErrorCode::ReadOnly : ErrorCode::Io,
                      "cannot open " + path + ": " + msg);
    }
    sqlite3_extended_result_codes(raw, 1);
    sqlite3_busy_timeout(raw, 10000);
    return db;
}

Status sqliteError(sqlite3* db, const std::string& what) {
    std::string msg = sqlite3_errmsg(db);
    int code = sqlite3_extended_errcode(db);
    ErrorCode ec = ErrorCode::Sqlite;
    if ((code & 0xff) == SQLITE_READONLY)
        ec = ErrorCode::ReadOnly;
    else if ((code & 0xff) == SQLITE_FULL || (code & 0xff) == SQLITE_IOERR)
        ec = ErrorCode::Io;
    else if ((code & 0xff) == SQLITE_INTERRUPT)
        ec = ErrorCode::Cancelled;
    return Status(ec, what.empty() ? msg : what + ": " + msg);
}

Status exec(sqlite3* db, std::string_view sql) {
    std::string s(sql);
    char* err = nullptr;
    if (sqlite3_exec(db, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err ? err : sqlite3_errmsg(db);
        sqlite3_free(err);
        Status st = sqliteError(db);
        return Status(st.code(), msg);
    }
    return {};
}

Result<Stmt> Stmt::prepare(sqlite3* db, std::string_view sql) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &raw, nullptr) != SQLITE_OK)
        return sqliteError(db);
    Stmt s;
    s.m_stmt.reset(raw);
    return s;
}

Stmt& Stmt::bind(int i, int64_t v) {
    sqlite3_bind_int64(m_stmt.get(), i, v);
    return *this;
}
Stmt& Stmt::bind(int i, double v) {
    sqlite3_bind_double(m_stmt.get(), i, v);
    return *this;
}
Stmt& Stmt::bind(int i, std::string_view v) {
    sqlite3_bind_text(m_stmt.get(), i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
}
Stmt& Stmt::bindStatic(int i, std::string_view v) {
    sqlite3_bind_text(m_stmt.get(), i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
}
Stmt& Stmt::bindNull(int i) {
    sqlite3_bind_null(m_stmt.get(), i);
    return *this;
}

Result<bool> Stmt::step() {
    int rc = sqlite3_step(m_stmt.get());
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    Status st = sqliteError(sqlite3_db_handle(m_stmt.get()));
    sqlite3_reset(m_stmt.get());
    return st;
}

Status Stmt::run() {
    while (true) {
        auto r = step();
        if (!r.ok())
            return r.status();
        if (!*r)
            break;
    }
    reset();
    return {};
}

void Stmt::reset() {
    sqlite3_reset(m_stmt.get());
    sqlite3_clear_bindings(m_stmt.get());
}

std::string Stmt::text(int col) const {
    auto* p = sqlite3_column_text(m_stmt.get(), col);
    if (!p)
        return {};
    return std::string(reinterpret_cast<const char*>(p),
                       static_cast<size_t>(sqlite3_column_bytes(m_stmt.get(), col)));
}

Transaction::Transaction(sqlite3* db, bool immediate) : m_db(db) {
    m_began = exec(db, immediate ? "BEGIN IMMEDIATE" : "BEGIN");
    m_open = m_began.ok();
}

Transaction::~Transaction() {
    if (m_open)
        sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
}

Status Transaction::commit() {
    if (!m_open)
        return m_began.ok() ? Status(ErrorCode::Internal, "transaction already ended") : m_began;
    Status st = exec(m_db, "COMMIT");
    if (st.ok())
        m_open = false;
    return st;
}

double nowSeconds() {
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

} // namespace sluice::store
