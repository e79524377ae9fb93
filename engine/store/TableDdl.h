#pragma once
// Translation of SingleStore-style CREATE TABLE into what each SQLite shard runs.
// Pure functions over tokens: no database access.

#include "common/Result.h"
#include "sql/Lexer.h"
#include "store/Store.h"

#include <string>
#include <vector>

namespace sluice::store {

struct CreateTablePlan {
    std::string table;
    bool ifNotExists = false;
    bool reference = false;
    std::vector<std::string> columns;       // declared column names, in order
    std::vector<std::string> shardKey;      // resolved: SHARD KEY, else PRIMARY KEY, else empty
    std::string definition;                 // "(col defs...) [table options]" for SQLite
    std::string asSelect;                   // CREATE TABLE t AS SELECT ...: the SELECT text
    struct IndexDef {
        std::string name;    // index name (unique per shard file)
        std::string columns; // "(a, b)"
    };
    std::vector<IndexDef> indexDefs; // SingleStore KEY/INDEX items, created after the table
};

// tokens: the whole statement; start: the index just after the TABLE keyword.
// Errors name the token (e.g. SHARD KEY column 'x' is not a column of table 't').
Result<CreateTablePlan> planCreateTable(const std::vector<sql::Token>& tokens, size_t start,
                                        bool reference, std::string_view statement);

} // namespace sluice::store
