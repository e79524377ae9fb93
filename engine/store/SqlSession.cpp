#include "store/SqlSession.h"

#include "store/SqlSessionImpl.h"

#include "sql/Lexer.h"
#include "store/ShardRouter.h"
#include "store/Sqlite.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <map>
#include <set>

namespace sluice::store {

using sql::quoteIdentifier;
using sql::quoteString;
using sql::Token;
using sql::TokenKind;

namespace {


// sluice_shard(N, key1, key2, ...) -> shard index of the key, for routing staged rows.
void shardFunction(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
    int n = sqlite3_value_int(argv[0]);
    if (n <= 0) {
        sqlite3_result_error(ctx, "sluice_shard: shard count must be positive", -1);
        return;
    }
    KeyHash h;
    for (int i = 1; i < argc; ++i)
        h.addValue(argv[i]);
    sqlite3_result_int(ctx, h.shard(n));
}

std::vector<std::string> decodeKey(const std::string& s) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start < s.size()) {
        size_t e = s.find(',', start);
        if (e == std::string::npos)
            e = s.size();
        out.push_back(s.substr(start, e - start));
        start = e + 1;
    }
    return out;
}

} // namespace

namespace {
thread_local int t_internalCatalogAccess = 0;

int authorize(void*, int action, const char* a1, const char*, const char*, const char*) {
    const char* table = nullptr;
    switch (action) {
    case SQLITE_READ:
    case SQLITE_INSERT:
    case SQLITE_UPDATE:
    case SQLITE_DELETE: table = a1; break;
    default: return SQLITE_OK;
    }
    if (table && !InternalCatalogAccess::active() &&
        sqlite3_stricmp(table, "pipeline_credentials") == 0)
        return SQLITE_DENY;
    return SQLITE_OK;
}
} // namespace

InternalCatalogAccess::InternalCatalogAccess() { ++t_internalCatalogAccess; }
InternalCatalogAccess::~InternalCatalogAccess() { --t_internalCatalogAccess; }
bool InternalCatalogAccess::active() { return t_internalCatalogAccess > 0; }

std::string lowerAscii(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string shardSchemaName(int shard) { return "s" + std::to_string(shard); }

std::string Value::toString() const {
    switch (type) {
    case Type::Null: return "NULL";
    case Type::Integer: return std::to_string(i);
    case Type::Real: {
        char buf[40];
        std::snprintf(buf, sizeof buf, "%.15g", d);
        return buf;
    }
    case Type::Text:
    case Type::Blob: return s;
    }
    return {};
}

Result<std::vector<TableInfo>> readTableRegistry(sqlite3* db, const std::string& schema) {
    auto q = Stmt::prepare(db, "SELECT name, kind, shard_key FROM " + schema +
                                   ".table_registry ORDER BY name");
    if (!q.ok())
        return q.status();
    std::vector<TableInfo> out;
    SLUICE_TRY(q->forEachRow([&](Stmt& s) {
        TableInfo t;
        t.name = s.text(0);
        t.kind = s.text(1) == "reference" ? TableKind::Reference : TableKind::Sharded;
        t.shardKey = decodeKey(s.text(2));
        out.push_back(std::move(t));
        return Status();
    }));
    return out;
}

SqlSession::~SqlSession() = default;

sqlite3* SqlSession::db() const { return m_impl->db.get(); }

void SqlSession::interrupt() { sqlite3_interrupt(m_impl->db.get()); }

Result<std::unique_ptr<SqlSession>> SqlSession::open(std::shared_ptr<Store> store) {
    auto db = openDb(":memory:", true);
    if (!db.ok())
        return db.status();
    std::unique_ptr<SqlSession> s(new SqlSession());
    s->m_impl = std::make_unique<Impl>();
    s->m_impl->db = std::move(*db);
    s->m_impl->shards = store->shardCount();
    s->m_store = std::move(store);
    sqlite3* h = s->m_impl->db.get();
    for (int i = 0; i < s->m_impl->shards; ++i)
        SLUICE_TRY(exec(h, "ATTACH DATABASE " + quoteString(s->m_store->shardPath(i)) + " AS " +
                               shardSchemaName(i)));
    SLUICE_TRY(exec(h, "ATTACH DATABASE " + quoteString(s->m_store->catalogPath()) +
                           " AS information_schema"));
    if (sqlite3_create_function_v2(h, "sluice_shard", -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                   nullptr, shardFunction, nullptr, nullptr, nullptr) != SQLITE_OK)
        return sqliteError(h, "cannot register sluice_shard");
    sqlite3_set_authorizer(h, authorize, nullptr);
    SLUICE_TRY(s->refreshSchema());
    return s;
}

Result<std::vector<TableInfo>> SqlSession::tables() {
    auto v = m_impl->dataVersion();
    if (!v.ok())
        return v.status();
    if (*v != m_impl->catalogVersion)
        SLUICE_TRY(refreshSchema());
    return m_impl->tables;
}

Status SqlSession::refreshSchema() {
    Impl& d = *m_impl;
    sqlite3* h = d.db.get();
    auto ver = d.dataVersion();
    if (!ver.ok())
        return ver.status();
    auto reg = readTableRegistry(h, "information_schema");
    if (!reg.ok())
        return reg.status();
    for (auto& v : d.views)
        SLUICE_TRY(exec(h, "DROP VIEW IF EXISTS temp." + quoteIdentifier(v)));
    d.views.clear();
    for (auto& st : d.stages)
        SLUICE_TRY(exec(h, "DROP TABLE IF EXISTS temp." + quoteIdentifier("_sluice_stage_" + st)));
    d.stages.clear();
    d.tables = std::move(*reg);
    for (auto& t : d.tables) {
        std::string body;
        int n = t.kind == TableKind::Reference ? 1 : d.shards;
        for (int i = 0; i < n; ++i) {
            if (i)
                body += " UNION ALL ";
            body += "SELECT * FROM " + shardSchemaName(i) + "." + quoteIdentifier(t.name);
        }
        SLUICE_TRY(exec(h, "CREATE TEMP VIEW " + quoteIdentifier(t.name) + " AS " + body));
        d.views.insert(lowerAscii(t.name));
    }
    auto uv = Stmt::prepare(h, "SELECT name, sql FROM information_schema.user_views ORDER BY rowid");
    if (!uv.ok())
        return uv.status();
    while (true) {
        auto r = uv->step();
        if (!r.ok())
            return r.status();
        if (!*r)
            break;
        std::string name = uv->text(0);
        // A view whose tables are gone is skipped rather than breaking the session.
        SLUICE_TRY(exec(h, "DROP VIEW IF EXISTS temp." + quoteIdentifier(name)));
        if (exec(h, "CREATE TEMP VIEW " + quoteIdentifier(name) + " " + uv->text(1)).ok())
            d.views.insert(lowerAscii(name));
    }
    d.catalogVersion = *ver;
    return {};
}

namespace {

// Runs fn inside a savepoint; rolls everything back when it fails.
template <typename Fn> Result<ExecResult> inSavepoint(sqlite3* db, Fn&& fn) {
    SLUICE_TRY(exec(db, "SAVEPOINT sluice_stmt"));
    Result<ExecResult> r = fn();
    if (!r.ok()) {
        sqlite3_exec(db, "ROLLBACK TO sluice_stmt", nullptr, nullptr, nullptr);
        sqlite3_exec(db, "RELEASE sluice_stmt", nullptr, nullptr, nullptr);
        return r;
    }
    Status st = exec(db, "RELEASE sluice_stmt");
    if (!st.ok()) {
        sqlite3_exec(db, "ROLLBACK TO sluice_stmt", nullptr, nullptr, nullptr);
        sqlite3_exec(db, "RELEASE sluice_stmt", nullptr, nullptr, nullptr);
        return st;
    }
    return r;
}

} // namespace

Result<ExecResult> runPlain(sqlite3* db, std::string_view text, size_t maxRows) {
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    if (sqlite3_prepare_v2(db, text.data(), static_cast<int>(text.size()), &raw, &tail) != SQLITE_OK)
        return sqliteError(db);
    StmtHandle stmt(raw);
    ExecResult out;
    if (!raw)
        return out;
    int ncol = sqlite3_column_count(raw);
    out.hasResultSet = ncol > 0;
    for (int i = 0; i < ncol; ++i)
        out.columns.emplace_back(sqlite3_column_name(raw, i));
    while (true) {
        int rc = sqlite3_step(raw);
        if (rc == SQLITE_DONE)
            break;
        if (rc != SQLITE_ROW)
            return sqliteError(db);
        if (out.rows.size() >= maxRows) {
            out.truncated = true;
            break;
        }
        std::vector<Value> row(static_cast<size_t>(ncol));
        for (int i = 0; i < ncol; ++i) {
            Value& v = row[static_cast<size_t>(i)];
            switch (sqlite3_column_type(raw, i)) {
            case SQLITE_INTEGER:
                v.type = Value::Type::Integer;
                v.i = sqlite3_column_int64(raw, i);
                break;
            case SQLITE_FLOAT:
                v.type = Value::Type::Real;
                v.d = sqlite3_column_double(raw, i);
                break;
            case SQLITE_TEXT:
            case SQLITE_BLOB: {
                v.type = sqlite3_column_type(raw, i) == SQLITE_TEXT ? Value::Type::Text
                                                                     : Value::Type::Blob;
                const void* p = sqlite3_column_blob(raw, i);
                v.s.assign(static_cast<const char*>(p),
                           static_cast<size_t>(sqlite3_column_bytes(raw, i)));
                break;
            }
            default: break;
            }
        }
        out.rows.push_back(std::move(row));
    }
    if (!out.hasResultSet)
        out.changes = sqlite3_changes64(db);
    return out;
}

Result<ExecResult> SqlSession::execute(std::string_view statement, size_t maxRows) {
    Impl& d = *m_impl;
    sqlite3* h = d.db.get();
    auto ver = d.dataVersion();
    if (!ver.ok())
        return ver.status();
    if (*ver != d.catalogVersion)
        SLUICE_TRY(refreshSchema());

    auto toksR = sql::tokenize(statement, sql::StringEscapes::Sql);
    if (!toksR.ok())
        return toksR.status();
    const std::vector<Token>& t = *toksR;
    if (t.empty() || t[0].isEnd())
        return ExecResult{};
    auto kw = [&](size_t i, std::string_view w) { return i < t.size() && t[i].isKeyword(w); };

    // Translated statements run in a savepoint; the views are rebuilt afterwards because this
    // connection's own catalog writes do not change data_version.
    auto translated = [&](auto&& fn) -> Result<ExecResult> {
        Result<ExecResult> r = inSavepoint(h, fn);
        Status st = refreshSchema();
        if (!r.ok())
            return r;
        if (!st.ok())
            return st;
        return r;
    };
    if (kw(0, "CREATE")) {
        size_t i = 1;
        bool reference = false;
        bool temp = false;
        while (kw(i, "REFERENCE") || kw(i, "ROWSTORE") || kw(i, "COLUMNSTORE") || kw(i, "TEMP") ||
               kw(i, "TEMPORARY")) {
            reference |= kw(i, "REFERENCE");
            temp |= kw(i, "TEMP") || kw(i, "TEMPORARY");
            ++i;
        }
        if (temp)
            return runPlain(h, statement, maxRows);
        if (kw(i, "TABLE"))
            return translated([&] { return d.createTable(statement, t, i + 1, reference); });
        if (kw(i, "UNIQUE") || kw(i, "INDEX"))
            return translated([&] { return d.createIndex(t, i); });
        if (kw(i, "VIEW"))
            return translated([&] { return d.createView(statement, t, i + 1); });
    }
    if (kw(0, "DROP") && kw(1, "TABLE"))
        return translated([&] { return d.dropTable(t); });
    if (kw(0, "DROP") && kw(1, "VIEW"))
        return translated([&] { return d.dropView(t); });
    if (kw(0, "DROP") && kw(1, "INDEX"))
        return translated([&] { return d.dropIndex(t); });
    if (kw(0, "ALTER") && kw(1, "TABLE"))
        return translated([&] { return d.alterTable(statement, t); });
    if (kw(0, "INSERT") || kw(0, "REPLACE"))
        return inSavepoint(h, [&] { return d.insert(statement, t); });
    if (kw(0, "UPDATE") || (kw(0, "DELETE") && kw(1, "FROM")))
        return inSavepoint(h, [&] { return d.updateOrDelete(statement, t); });
    return runPlain(h, statement, maxRows);
}

} // namespace sluice::store
