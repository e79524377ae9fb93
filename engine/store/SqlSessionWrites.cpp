// The write translations of SqlSession: DDL on every shard, routed INSERT, UPDATE/DELETE per
// shard. Each function runs inside the savepoint opened by SqlSession::execute.
#include "store/SqlSessionImpl.h"
#include "store/TableDdl.h"

#include <algorithm>

namespace sluice::store {

using sql::quoteIdentifier;
using sql::quoteString;
using sql::Token;
using sql::TokenKind;

namespace {

bool isName(const Token& t) {
    return t.kind == TokenKind::Identifier || t.kind == TokenKind::QuotedIdentifier;
}

Status syntaxAt(const Token& t, const std::string& expected) {
    return Status(ErrorCode::Syntax, "syntax error at line " + std::to_string(t.line) + " column " +
                                         std::to_string(t.column) + " near " + t.describe() +
                                         ": expected " + expected);
}

// The statement with the name token at index n replaced by "schema"."name".
std::string qualifyAt(std::string_view statement, const Token& name, const std::string& schema) {
    std::string out(statement.substr(0, name.offset));
    out += schema + "." + quoteIdentifier(name.value);
    out += statement.substr(name.offset + name.text.size());
    return out;
}

bool containsKey(const std::vector<std::string>& key, const std::string& col) {
    return std::any_of(key.begin(), key.end(),
                       [&](const std::string& k) { return lowerAscii(k) == lowerAscii(col); });
}

std::string encodeKey(const std::vector<std::string>& cols) {
    std::string out;
    for (auto& c : cols) {
        if (!out.empty())
            out += ',';
        out += c;
    }
    return out;
}

// DROP TABLE | VIEW | INDEX [IF EXISTS] name, with nothing after the name.
struct DropTarget {
    const Token* name = nullptr;
    bool ifExists = false;
};
Result<DropTarget> parseDrop(const std::vector<Token>& t, const std::string& what) {
    DropTarget d;
    size_t i = 2;
    if (i < t.size() && t[i].isKeyword("IF")) {
        if (i + 1 >= t.size() || !t[i + 1].isKeyword("EXISTS"))
            return syntaxAt(t[std::min(i + 1, t.size() - 1)], "EXISTS");
        d.ifExists = true;
        i += 2;
    }
    if (i >= t.size() || !isName(t[i]))
        return syntaxAt(t[std::min(i, t.size() - 1)], what);
    if (i + 1 < t.size() && !t[i + 1].isEnd())
        return syntaxAt(t[i + 1], "end of statement");
    d.name = &t[i];
    return d;
}

std::string stageName(const std::string& table) {
    return "_sluice_stage_" + lowerAscii(table);
}

} // namespace

Result<ExecResult> SqlSession::Impl::createTable(std::string_view statement,
                                                 const std::vector<Token>& t, size_t afterTable,
                                                 bool reference) {
    auto planR = planCreateTable(t, afterTable, reference, statement);
    if (!planR.ok())
        return planR.status();
    CreateTablePlan& plan = *planR;
    sqlite3* h = db.get();
    if (findTable(plan.table)) {
        if (plan.ifNotExists)
            return ExecResult{};
        return Status(ErrorCode::AlreadyExists, "table '" + plan.table + "' already exists");
    }
    for (int i = 0; i < shards; ++i) {
        std::string target = shardSchemaName(i) + "." + quoteIdentifier(plan.table);
        std::string ddl = plan.asSelect.empty() ? "CREATE TABLE " + target + " " + plan.definition
                                                : "CREATE TABLE " + target + " AS SELECT * FROM (" +
                                                      plan.asSelect + ") LIMIT 0";
        if (Status st = exec(h, ddl); !st.ok())
            return st;
        for (auto& idx : plan.indexDefs)
            SLUICE_TRY(exec(h, "CREATE INDEX IF NOT EXISTS " + shardSchemaName(i) + "." +
                                   quoteIdentifier(idx.name) + " ON " +
                                   quoteIdentifier(plan.table) + " " + idx.columns));
    }
    auto ins = Stmt::prepare(h, "INSERT INTO information_schema.table_registry(name, kind, "
                                "shard_key, created_at) VALUES (?1, ?2, ?3, ?4)");
    if (!ins.ok())
        return ins.status();
    ins->bind(1, plan.table)
        .bind(2, std::string_view(reference ? "reference" : "sharded"))
        .bind(3, encodeKey(plan.shardKey))
        .bind(4, nowSeconds());
    SLUICE_TRY(ins->run());
    TableInfo info{plan.table, reference ? TableKind::Reference : TableKind::Sharded,
                   plan.shardKey};
    tables.push_back(info);
    if (!plan.asSelect.empty()) {
        auto r =
            routeInsert(info, "INSERT INTO temp.%STAGE% SELECT * FROM (" + plan.asSelect + ")", "");
        if (!r.ok())
            return r.status();
        return *r;
    }
    return ExecResult{};
}

Result<ExecResult> SqlSession::Impl::routeInsert(const TableInfo& table,
                                                 const std::string& stageInsert,
                                                 const std::string& conflict) {
    sqlite3* h = db.get();
    auto cols = columnsOf(table.name);
    if (!cols.ok())
        return cols.status();
    std::string stage = stageName(table.name);
    if (!stages.count(lowerAscii(table.name))) {
        std::string ddl = "CREATE TEMP TABLE IF NOT EXISTS " + quoteIdentifier(stage) + " (";
        for (size_t i = 0; i < cols->size(); ++i) {
            const ColumnInfo& c = (*cols)[i];
            if (i)
                ddl += ", ";
            ddl += quoteIdentifier(c.name) + " " + c.type;
            if (c.hasDefault)
                ddl += " DEFAULT " +
                       (c.dflt.empty() || c.dflt[0] == '(' ? c.dflt : "(" + c.dflt + ")");
        }
        ddl += ")";
        SLUICE_TRY(exec(h, ddl));
        stages.insert(lowerAscii(table.name));
    }
    SLUICE_TRY(exec(h, "DELETE FROM temp." + quoteIdentifier(stage)));
    std::string staged = stageInsert;
    size_t at = staged.find("%STAGE%");
    staged.replace(at, 7, quoteIdentifier(stage));
    SLUICE_TRY(exec(h, staged));
    int64_t stagedRows = sqlite3_changes64(h);

    // An INTEGER PRIMARY KEY left NULL would be assigned by whichever shard the NULL routes to,
    // so ids could repeat across shards: such a shard key must be given.
    if (table.kind == TableKind::Sharded && table.shardKey.size() == 1) {
        int pkColumns = 0;
        const ColumnInfo* keyCol = nullptr;
        for (auto& c : *cols) {
            pkColumns += c.pk > 0;
            if (lowerAscii(c.name) == lowerAscii(table.shardKey[0]))
                keyCol = &c;
        }
        if (keyCol && keyCol->pk == 1 && pkColumns == 1 && lowerAscii(keyCol->type) == "integer") {
            auto q = Stmt::prepare(h, "SELECT count(*) FROM temp." + quoteIdentifier(stage) +
                                          " WHERE " + quoteIdentifier(keyCol->name) + " IS NULL");
            if (!q.ok())
                return q.status();
            auto row = q->step();
            if (!row.ok())
                return row.status();
            if (q->int64(0) > 0)
                return Status(ErrorCode::InvalidArgument,
                              "the SHARD KEY column '" + keyCol->name + "' of table '" +
                                  table.name + "' is NULL in " + std::to_string(q->int64(0)) +
                                  " row(s): rows are routed by it, so give every row a value");
        }
    }

    std::string colList;
    for (size_t i = 0; i < cols->size(); ++i) {
        if (i)
            colList += ", ";
        colList += quoteIdentifier((*cols)[i].name);
    }
    std::string keyArgs;
    for (auto& k : table.shardKey)
        keyArgs += ", " + quoteIdentifier(k);
    int64_t changes = 0;
    for (int i = 0; i < shards; ++i) {
        std::string sqlText = "INSERT " + conflict + " INTO " + shardSchemaName(i) + "." +
                              quoteIdentifier(table.name) + " (" + colList + ") SELECT " + colList +
                              " FROM temp." + quoteIdentifier(stage);
        if (table.kind == TableKind::Sharded) {
            if (table.shardKey.empty())
                sqlText += " WHERE (rowid + " + std::to_string(roundRobin) + ") % " +
                           std::to_string(shards) + " = " + std::to_string(i);
            else
                sqlText += " WHERE sluice_shard(" + std::to_string(shards) + keyArgs +
                           ") = " + std::to_string(i);
        }
        sqlText += " ORDER BY rowid";
        SLUICE_TRY(exec(h, sqlText));
        if (table.kind == TableKind::Sharded || i == 0)
            changes += sqlite3_changes64(h);
    }
    roundRobin += stagedRows;
    SLUICE_TRY(exec(h, "DELETE FROM temp." + quoteIdentifier(stage)));
    ExecResult r;
    r.changes = changes;
    return r;
}

Result<ExecResult> SqlSession::Impl::insert(std::string_view statement,
                                            const std::vector<Token>& t) {
    size_t i = 1;
    std::string conflict;
    if (t[0].isKeyword("REPLACE")) {
        conflict = "OR REPLACE";
    } else if (i < t.size() && t[i].isKeyword("OR")) {
        if (i + 1 >= t.size() || t[i + 1].kind != TokenKind::Identifier)
            return syntaxAt(t[std::min(i + 1, t.size() - 1)], "a conflict resolution");
        conflict = "OR " + std::string(t[i + 1].text);
        i += 2;
    }
    if (i >= t.size() || !t[i].isKeyword("INTO"))
        return syntaxAt(t[std::min(i, t.size() - 1)], "INTO");
    ++i;
    if (i >= t.size() || !isName(t[i]))
        return syntaxAt(t[std::min(i, t.size() - 1)], "a table name");
    if (i + 1 < t.size() && t[i + 1].isSymbol("."))
        return runPlain(db.get(), statement, 0); // explicitly qualified: the user's choice
    const TableInfo* table = findTable(t[i].value);
    if (!table)
        return runPlain(db.get(), statement, 0);
    int depth = 0;
    for (size_t k = i + 1; k < t.size(); ++k) {
        if (t[k].isSymbol("("))
            ++depth;
        else if (t[k].isSymbol(")"))
            --depth;
        else if (depth == 0 &&
                 (t[k].isKeyword("RETURNING") ||
                  (t[k].isKeyword("ON") && k + 1 < t.size() && t[k + 1].isKeyword("CONFLICT"))))
            return Status(ErrorCode::InvalidArgument,
                          "INSERT ... " + std::string(t[k].text) +
                              " is not supported on the sharded table '" + table->name +
                              "'; use INSERT OR REPLACE / INSERT OR IGNORE");
    }
    std::string stageInsert =
        "INSERT INTO temp.%STAGE%" + std::string(statement.substr(t[i].offset + t[i].text.size()));
    TableInfo copy = *table;
    return routeInsert(copy, stageInsert, conflict);
}

Result<ExecResult> SqlSession::Impl::updateOrDelete(std::string_view statement,
                                                    const std::vector<Token>& t) {
    size_t n = 0;
    if (t[0].isKeyword("UPDATE")) {
        n = 1;
        if (n < t.size() && t[n].isKeyword("OR"))
            n += 2;
    } else {
        n = 2; // DELETE FROM name
    }
    if (n >= t.size() || !isName(t[n]))
        return syntaxAt(t[std::min(n, t.size() - 1)], "a table name");
    if (n + 1 < t.size() && t[n + 1].isSymbol("."))
        return runPlain(db.get(), statement, 0);
    const TableInfo* table = findTable(t[n].value);
    if (!table)
        return runPlain(db.get(), statement, 0);
    if (t[0].isKeyword("UPDATE") && table->kind == TableKind::Sharded) {
        // SET targets start an assignment (right after SET or a top-level ',') and are followed
        // by '=': `name =` or `(a, b) =`. A shard key compared inside an expression is no target.
        auto refuse = [&](const Token& col) {
            return Status(ErrorCode::InvalidArgument, "cannot UPDATE the SHARD KEY column '" +
                                                          col.value + "' of table '" + table->name +
                                                          "' (delete and insert the row instead)");
        };
        int depth = 0;
        bool inSet = false;
        for (size_t k = n + 1; k + 1 < t.size(); ++k) {
            const bool startsAssignment =
                inSet && depth == 0 && (t[k - 1].isKeyword("SET") || t[k - 1].isSymbol(","));
            if (startsAssignment && isName(t[k]) && t[k + 1].isSymbol("=") &&
                containsKey(table->shardKey, t[k].value))
                return refuse(t[k]);
            if (startsAssignment && t[k].isSymbol("(")) {
                size_t close = k + 1;
                while (close < t.size() && !t[close].isSymbol(")") && !t[close].isEnd())
                    ++close;
                if (close + 1 < t.size() && t[close + 1].isSymbol("="))
                    for (size_t m = k + 1; m < close; ++m)
                        if (isName(t[m]) && containsKey(table->shardKey, t[m].value))
                            return refuse(t[m]);
            }
            if (t[k].isSymbol("("))
                ++depth;
            else if (t[k].isSymbol(")"))
                --depth;
            else if (depth == 0 && t[k].isKeyword("SET"))
                inSet = true;
            else if (depth == 0 && (t[k].isKeyword("WHERE") || t[k].isKeyword("FROM") ||
                                    t[k].isKeyword("RETURNING")))
                inSet = false;
        }
    }
    ExecResult r;
    for (int i = 0; i < shards; ++i) {
        SLUICE_TRY(exec(db.get(), qualifyAt(statement, t[n], shardSchemaName(i))));
        if (table->kind == TableKind::Sharded || i == 0)
            r.changes += sqlite3_changes64(db.get());
    }
    return r;
}

Result<ExecResult> SqlSession::Impl::dropTable(const std::vector<Token>& t) {
    auto drop = parseDrop(t, "a table name");
    if (!drop.ok())
        return drop.status();
    const Token& nameToken = *drop->name;
    const bool ifExists = drop->ifExists;
    const TableInfo* table = findTable(nameToken.value);
    if (!table) {
        if (ifExists)
            return ExecResult{};
        return Status(ErrorCode::NotFound, "no such table: " + nameToken.value);
    }
    std::string name = table->name;
    for (int s = 0; s < shards; ++s)
        SLUICE_TRY(exec(db.get(), "DROP TABLE IF EXISTS " + shardSchemaName(s) + "." +
                                      quoteIdentifier(name)));
    SLUICE_TRY(exec(db.get(), "DELETE FROM information_schema.table_registry WHERE name = " +
                                  quoteString(name)));
    return ExecResult{};
}

Result<ExecResult> SqlSession::Impl::alterTable(std::string_view statement,
                                                const std::vector<Token>& t) {
    if (t.size() < 3 || !isName(t[2]))
        return syntaxAt(t[std::min<size_t>(2, t.size() - 1)], "a table name");
    if (t.size() > 3 && t[3].isSymbol("."))
        return runPlain(db.get(), statement, 0);
    const TableInfo* table = findTable(t[2].value);
    if (!table)
        return runPlain(db.get(), statement, 0);
    TableInfo info = *table;
    auto kw = [&](size_t k, std::string_view w) { return k < t.size() && t[k].isKeyword(w); };
    std::string newName;
    std::vector<std::string> newKey = info.shardKey;
    if (kw(3, "RENAME") && kw(4, "TO") && t.size() > 5 && isName(t[5])) {
        newName = t[5].value;
        if (findTable(newName))
            return Status(ErrorCode::AlreadyExists, "table '" + newName + "' already exists");
    } else if (kw(3, "DROP")) {
        size_t c = kw(4, "COLUMN") ? 5 : 4;
        if (c < t.size() && isName(t[c]) && containsKey(info.shardKey, t[c].value))
            return Status(ErrorCode::InvalidArgument, "cannot drop the SHARD KEY column '" +
                                                          t[c].value + "' of table '" + info.name +
                                                          "'");
    } else if (kw(3, "RENAME")) {
        size_t c = kw(4, "COLUMN") ? 5 : 4;
        if (c + 2 < t.size() && isName(t[c]) && kw(c + 1, "TO") && isName(t[c + 2]))
            for (auto& k : newKey)
                if (lowerAscii(k) == lowerAscii(t[c].value))
                    k = t[c + 2].value;
    }
    // The temp views span all shards; SQLite re-checks them after each shard's ALTER (DROP or
    // RENAME fails while the shards disagree). The caller's refreshSchema recreates them.
    for (auto& v : views)
        SLUICE_TRY(exec(db.get(), "DROP VIEW IF EXISTS temp." + quoteIdentifier(v)));
    views.clear();
    for (int s = 0; s < shards; ++s)
        SLUICE_TRY(exec(db.get(), qualifyAt(statement, t[2], shardSchemaName(s))));
    if (!newName.empty() || newKey != info.shardKey) {
        auto up = Stmt::prepare(db.get(), "UPDATE information_schema.table_registry SET name = ?1, "
                                          "shard_key = ?2 WHERE name = ?3");
        if (!up.ok())
            return up.status();
        up->bind(1, newName.empty() ? info.name : newName)
            .bind(2, encodeKey(newKey))
            .bind(3, info.name);
        SLUICE_TRY(up->run());
    }
    return ExecResult{};
}

Result<ExecResult> SqlSession::Impl::createIndex(const std::vector<Token>& t, size_t at) {
    size_t i = at;
    if (t[i].isKeyword("UNIQUE"))
        ++i;
    ++i; // INDEX
    if (i < t.size() && t[i].isKeyword("IF"))
        i += 3;
    if (i >= t.size() || !isName(t[i]))
        return syntaxAt(t[std::min(i, t.size() - 1)], "an index name");
    size_t on = i + 1;
    if (on >= t.size() || !t[on].isKeyword("ON") || on + 1 >= t.size() || !isName(t[on + 1]))
        return syntaxAt(t[std::min(on, t.size() - 1)], "ON table");
    const TableInfo* table = findTable(t[on + 1].value);
    if (!table)
        return Status(ErrorCode::NotFound, "no such table: " + t[on + 1].value);
    if (t[at].isKeyword("UNIQUE") && table->kind == TableKind::Sharded) {
        std::vector<std::string> cols;
        size_t open = on + 2;
        if (open < t.size() && t[open].isSymbol("("))
            for (size_t k = open + 1; k < t.size() && !t[k].isSymbol(")"); ++k)
                if (isName(t[k]) && (t[k - 1].isSymbol("(") || t[k - 1].isSymbol(",")))
                    cols.push_back(t[k].value);
        if (table->shardKey.empty())
            return Status(ErrorCode::InvalidArgument, "a UNIQUE index on '" + table->name +
                                                          "', which has no SHARD KEY, would "
                                                          "only be enforced per shard");
        for (auto& k : table->shardKey)
            if (!containsKey(cols, k))
                return Status(ErrorCode::InvalidArgument,
                              "a UNIQUE index on '" + table->name +
                                  "' must contain its SHARD KEY column '" + k +
                                  "' (otherwise it is only enforced per shard)");
    }
    ExecResult r;
    for (int s = 0; s < shards; ++s) {
        std::string sqlText;
        for (size_t k = 0; k < t.size() && !t[k].isEnd(); ++k) {
            if (!sqlText.empty())
                sqlText += ' ';
            if (k == i)
                sqlText += shardSchemaName(s) + "." + quoteIdentifier(t[k].value);
            else
                sqlText += t[k].text;
        }
        SLUICE_TRY(exec(db.get(), sqlText));
    }
    return r;
}

Result<ExecResult> SqlSession::Impl::dropIndex(const std::vector<Token>& t) {
    auto drop = parseDrop(t, "an index name");
    if (!drop.ok())
        return drop.status();
    const Token& nameToken = *drop->name;
    const bool ifExists = drop->ifExists;
    int dropped = 0;
    for (int s = 0; s < shards; ++s) {
        auto q = Stmt::prepare(db.get(), "SELECT count(*) FROM " + shardSchemaName(s) +
                                             ".sqlite_master WHERE type = 'index' AND name = ?1");
        if (!q.ok())
            return q.status();
        q->bind(1, nameToken.value);
        auto row = q->step();
        if (!row.ok())
            return row.status();
        dropped += static_cast<int>(q->int64(0));
        q->reset(); // a pending read of sqlite_master would make the DROP fail as locked
        SLUICE_TRY(exec(db.get(), "DROP INDEX IF EXISTS " + shardSchemaName(s) + "." +
                                      quoteIdentifier(nameToken.value)));
    }
    if (!dropped && !ifExists)
        return Status(ErrorCode::NotFound, "no such index: " + nameToken.value);
    return ExecResult{};
}

Result<ExecResult> SqlSession::Impl::createView(std::string_view statement,
                                                const std::vector<Token>& t, size_t i) {
    bool ifNotExists = false;
    if (i < t.size() && t[i].isKeyword("IF")) {
        ifNotExists = true;
        i += 3;
    }
    if (i >= t.size() || !isName(t[i]))
        return syntaxAt(t[std::min(i, t.size() - 1)], "a view name");
    std::string name = t[i].value;
    if (findTable(name))
        return Status(ErrorCode::AlreadyExists, "a table named '" + name + "' already exists");
    auto q = Stmt::prepare(db.get(),
                           "SELECT count(*) FROM information_schema.user_views WHERE name = ?1");
    if (!q.ok())
        return q.status();
    q->bind(1, name);
    auto row = q->step();
    if (!row.ok())
        return row.status();
    if (q->int64(0) > 0) {
        if (ifNotExists)
            return ExecResult{};
        return Status(ErrorCode::AlreadyExists, "view '" + name + "' already exists");
    }
    std::string body(statement.substr(t[i].offset + t[i].text.size()));
    // Validate by creating it now; refreshSchema recreates it from the catalog.
    SLUICE_TRY(exec(db.get(), "CREATE TEMP VIEW " + quoteIdentifier(name) + " " + body));
    auto ins = Stmt::prepare(
        db.get(), "INSERT INTO information_schema.user_views(name, sql) VALUES (?1, ?2)");
    if (!ins.ok())
        return ins.status();
    ins->bind(1, name).bind(2, body);
    SLUICE_TRY(ins->run());
    views.insert(lowerAscii(name));
    return ExecResult{};
}

Result<ExecResult> SqlSession::Impl::dropView(const std::vector<Token>& t) {
    auto drop = parseDrop(t, "a view name");
    if (!drop.ok())
        return drop.status();
    const Token& nameToken = *drop->name;
    const bool ifExists = drop->ifExists;
    auto del = Stmt::prepare(db.get(), "DELETE FROM information_schema.user_views WHERE name = ?1");
    if (!del.ok())
        return del.status();
    del->bind(1, nameToken.value);
    SLUICE_TRY(del->run());
    if (sqlite3_changes(db.get()) == 0 && !ifExists)
        return Status(ErrorCode::NotFound, "no such view: " + nameToken.value);
    return ExecResult{};
}

} // namespace sluice::store
