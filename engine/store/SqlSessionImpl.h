#pragma once
// Private state of SqlSession, shared by SqlSession.cpp and SqlSessionWrites.cpp.

#include "sql/Lexer.h"
#include "store/SqlSession.h"
#include "store/Sqlite.h"

#include <set>

namespace sluice::store {

std::string lowerAscii(std::string_view s);
std::string shardSchemaName(int shard);

struct SqlSession::Impl {
    DbHandle db;
    int shards = 0;
    std::vector<TableInfo> tables;
    std::set<std::string> views;       // temp views we created (lower-case names)
    std::set<std::string> stages;      // staging tables created (lower-case table names)
    int64_t catalogVersion = -1;
    int64_t roundRobin = 0;

    const TableInfo* findTable(const std::string& name) const {
        std::string l = lowerAscii(name);
        for (auto& t : tables)
            if (lowerAscii(t.name) == l)
                return &t;
        return nullptr;
    }

    // Write translations (SqlSessionWrites.cpp); each runs inside the caller's savepoint.
    Result<ExecResult> createTable(std::string_view statement, const std::vector<sql::Token>& t,
                                   size_t afterTable, bool reference);
    Result<ExecResult> createIndex(const std::vector<sql::Token>& t, size_t at);
    Result<ExecResult> createView(std::string_view statement, const std::vector<sql::Token>& t,
                                  size_t afterView);
    Result<ExecResult> dropTable(const std::vector<sql::Token>& t);
    Result<ExecResult> dropView(const std::vector<sql::Token>& t);
    Result<ExecResult> dropIndex(const std::vector<sql::Token>& t);
    Result<ExecResult> alterTable(std::string_view statement, const std::vector<sql::Token>& t);
    Result<ExecResult> insert(std::string_view statement, const std::vector<sql::Token>& t);
    // Runs stageInsert (an INSERT whose target is written %STAGE%) into the table's temp
    // staging table, then routes the staged rows to the shards with the conflict clause.
    Result<ExecResult> routeInsert(const TableInfo& table, const std::string& stageInsert,
                                   const std::string& conflict);
    Result<ExecResult> updateOrDelete(std::string_view statement, const std::vector<sql::Token>& t);

    Result<int64_t> dataVersion() {
        auto q = Stmt::prepare(db.get(), "PRAGMA information_schema.data_version");
        if (!q.ok())
            return q.status();
        auto r = q->step();
        if (!r.ok())
            return r.status();
        return q->int64(0);
    }

    struct ColumnInfo {
        std::string name;
        std::string type;
        std::string dflt;
        bool hasDefault = false;
        int pk = 0; // position in the primary key, 0 when not part of it
    };

    Result<std::vector<ColumnInfo>> columnsOf(const std::string& table) {
        auto q = Stmt::prepare(db.get(), "SELECT name, type, dflt_value, pk FROM pragma_table_info(" +
                                             sql::quoteString(table) + ", 's0')");
        if (!q.ok())
            return q.status();
        std::vector<ColumnInfo> cols;
        SLUICE_TRY(q->forEachRow([&](Stmt& r) {
            cols.push_back({r.text(0), r.text(1), r.text(2), !r.isNull(2), static_cast<int>(r.int64(3))});
            return Status();
        }));
        return cols;
    }
};


// Runs a plain statement and collects its result set.
Result<ExecResult> runPlain(sqlite3* db, std::string_view text, size_t maxRows);

} // namespace sluice::store
