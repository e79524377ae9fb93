#include "store/TableDdl.h"

#include <algorithm>
#include <cctype>

namespace sluice::store {

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

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

size_t matchParen(const std::vector<Token>& toks, size_t open) {
    int depth = 0;
    for (size_t i = open; i < toks.size(); ++i) {
        if (toks[i].isSymbol("("))
            ++depth;
        else if (toks[i].isSymbol(")") && --depth == 0)
            return i;
    }
    return std::string::npos;
}

std::string join(const std::vector<Token>& toks, size_t from, size_t to) {
    std::string out;
    for (size_t i = from; i < to && i < toks.size() && !toks[i].isEnd(); ++i) {
        if (!out.empty() && !toks[i].isSymbol(",") && !toks[i].isSymbol(")") &&
            !toks[i - 1].isSymbol("("))
            out += ' ';
        out += toks[i].text;
    }
    return out;
}

// Column names inside ( ... ) at [open, close], ignoring ASC/DESC and prefix lengths.
Result<std::vector<std::string>> columnList(const std::vector<Token>& toks, size_t open, size_t close) {
    std::vector<std::string> out;
    bool expectName = true;
    for (size_t i = open + 1; i < close; ++i) {
        const Token& tk = toks[i];
        if (tk.isSymbol(",")) {
            expectName = true;
            continue;
        }
        if (tk.isSymbol("(")) {
            size_t e = matchParen(toks, i);
            if (e == std::string::npos || e > close)
                return syntaxAt(tk, "')'");
            i = e;
            continue;
        }
        if (expectName) {
            if (!isName(tk))
                return syntaxAt(tk, "a column name");
            out.push_back(tk.value);
            expectName = false;
        }
    }
    return out;
}

} // namespace

Result<CreateTablePlan> planCreateTable(const std::vector<Token>& t, size_t i, bool reference,
                                        std::string_view statement) {
    CreateTablePlan plan;
    plan.reference = reference;
    auto kw = [&](size_t k, std::string_view w) { return k < t.size() && t[k].isKeyword(w); };
    if (kw(i, "IF")) {
        if (!kw(i + 1, "NOT") || !kw(i + 2, "EXISTS"))
            return syntaxAt(t[std::min(i + 1, t.size() - 1)], "IF NOT EXISTS");
        plan.ifNotExists = true;
        i += 3;
    }
    if (i >= t.size() || !isName(t[i]))
        return syntaxAt(t[std::min(i, t.size() - 1)], "a table name");
    if (i + 1 < t.size() && t[i + 1].isSymbol("."))
        return Status(ErrorCode::InvalidArgument,
                      "table names cannot be qualified with a schema here: " + t[i].value + "." +
                          (i + 2 < t.size() ? std::string(t[i + 2].text) : std::string()));
    plan.table = t[i].value;
    if (plan.table.empty())
        return syntaxAt(t[i], "a table name");
    if (lower(plan.table).rfind("_sluice", 0) == 0 || lower(plan.table).rfind("sqlite_", 0) == 0)
        return Status(ErrorCode::InvalidArgument,
                      "table name '" + plan.table + "' is reserved (starts with _sluice or sqlite_)");
    ++i;
    if (kw(i, "AS")) {
        size_t from = t[i + 1].offset;
        plan.asSelect = std::string(statement.substr(from));
        return plan;
    }
    if (i >= t.size() || !t[i].isSymbol("("))
        return syntaxAt(t[std::min(i, t.size() - 1)], "'(' or AS");
    size_t close = matchParen(t, i);
    if (close == std::string::npos)
        return syntaxAt(t.back(), "')' closing the column list");

    std::vector<std::string> items;
    std::vector<std::string> pk;
    std::vector<std::string> explicitShard;
    std::vector<std::vector<std::string>> uniqueKeys; // UNIQUE constraints, column sets
    bool shardKeyGiven = false;
    size_t itemStart = i + 1;
    for (size_t k = i + 1; k <= close; ++k) {
        if (t[k].isSymbol("(")) {
            k = matchParen(t, k);
            continue;
        }
        if (!(t[k].isSymbol(",") || k == close))
            continue;
        size_t a = itemStart;
        size_t b = k; // [a, b)
        itemStart = k + 1;
        if (a >= b)
            return syntaxAt(t[a], "a column definition");
        auto ikw = [&](size_t off, std::string_view w) { return a + off < b && t[a + off].isKeyword(w); };
        auto parenAfter = [&](size_t from) -> size_t {
            for (size_t m = from; m < b; ++m)
                if (t[m].isSymbol("("))
                    return m;
            return std::string::npos;
        };
        if (ikw(0, "SHARD") && ikw(1, "KEY")) {
            size_t open = parenAfter(a + 2);
            if (open == std::string::npos)
                return syntaxAt(t[std::min(a + 2, b)], "'(' after SHARD KEY");
            auto cols = columnList(t, open, matchParen(t, open));
            if (!cols.ok())
                return cols.status();
            explicitShard = *cols;
            shardKeyGiven = true;
            continue;
        }
        if (ikw(0, "SORT") && ikw(1, "KEY"))
            continue; // columnstore ordering: no meaning in SQLite
        if (ikw(0, "KEY") || ikw(0, "INDEX") || ((ikw(0, "UNIQUE")) && (ikw(1, "KEY") || ikw(1, "INDEX")))) {
            bool unique = ikw(0, "UNIQUE");
            size_t open = parenAfter(a);
            if (open == std::string::npos)
                return syntaxAt(t[a], "'(' with the key's columns");
            size_t pclose = matchParen(t, open);
            auto cols = columnList(t, open, pclose);
            if (!cols.ok())
                return cols.status();
            std::string colText = join(t, open, pclose + 1);
            if (unique) {
                uniqueKeys.push_back(*cols);
                items.push_back("UNIQUE " + colText);
            } else {
                std::string idxName;
                size_t nameAt = a + 1;
                if (nameAt < open && isName(t[nameAt]))
                    idxName = t[nameAt].value;
                if (idxName.empty()) {
                    idxName = plan.table;
                    for (auto& c : *cols)
                        idxName += "_" + c;
                } else {
                    idxName = plan.table + "_" + idxName;
                }
                plan.indexDefs.push_back({idxName, colText});
            }
            continue;
        }
        if (ikw(0, "PRIMARY") && ikw(1, "KEY")) {
            size_t open = parenAfter(a + 2);
            if (open == std::string::npos)
                return syntaxAt(t[std::min(a + 2, b)], "'(' after PRIMARY KEY");
            auto cols = columnList(t, open, matchParen(t, open));
            if (!cols.ok())
                return cols.status();
            pk = *cols;
            items.push_back(join(t, a, b));
            continue;
        }
        if (ikw(0, "CONSTRAINT") || ikw(0, "UNIQUE") || ikw(0, "CHECK") || ikw(0, "FOREIGN")) {
            for (size_t m = a; m < b; ++m)
                if (t[m].isKeyword("UNIQUE")) {
                    size_t open = parenAfter(m);
                    if (open == std::string::npos)
                        return syntaxAt(t[m], "'(' after UNIQUE");
                    auto cols = columnList(t, open, matchParen(t, open));
                    if (!cols.ok())
                        return cols.status();
                    uniqueKeys.push_back(*cols);
                }
            items.push_back(join(t, a, b));
            continue;
        }
        // A column definition.
        if (!isName(t[a]))
            return syntaxAt(t[a], "a column name");
        plan.columns.push_back(t[a].value);
        std::string def;
        for (size_t m = a; m < b; ++m) {
            if (t[m].isKeyword("AUTO_INCREMENT"))
                continue; // SQLite assigns rowids itself
            if (t[m].isKeyword("PRIMARY") && m + 1 < b && t[m + 1].isKeyword("KEY"))
                pk = {t[a].value};
            if (t[m].isKeyword("UNIQUE"))
                uniqueKeys.push_back({t[a].value});
            if (!def.empty() && !t[m].isSymbol(",") && !t[m].isSymbol(")") && !t[m - 1].isSymbol("("))
                def += ' ';
            def += t[m].text;
        }
        items.push_back(std::move(def));
    }
    if (plan.columns.empty())
        return syntaxAt(t[close], "at least one column");

    auto hasColumn = [&](const std::string& c) {
        return std::any_of(plan.columns.begin(), plan.columns.end(),
                           [&](const std::string& x) { return lower(x) == lower(c); });
    };
    for (auto& c : explicitShard)
        if (!hasColumn(c))
            return Status(ErrorCode::InvalidArgument,
                          "SHARD KEY column '" + c + "' is not a column of table '" + plan.table + "'");
    if (!reference) {
        if (shardKeyGiven && !pk.empty()) {
            for (auto& c : explicitShard) {
                bool inPk = std::any_of(pk.begin(), pk.end(),
                                        [&](const std::string& x) { return lower(x) == lower(c); });
                if (!inPk)
                    return Status(ErrorCode::InvalidArgument,
                                  "the PRIMARY KEY of '" + plan.table +
                                      "' must contain the SHARD KEY column '" + c +
                                      "' (rows with one key must live on one shard)");
            }
        }
        plan.shardKey = shardKeyGiven ? explicitShard : pk;
        // As in SingleStore: a unique key is checked inside one shard, so it must contain the
        // shard key for equal values to meet there.
        for (auto& u : uniqueKeys) {
            if (plan.shardKey.empty())
                return Status(ErrorCode::InvalidArgument,
                              "table '" + plan.table + "' has a UNIQUE key but no SHARD KEY or PRIMARY "
                              "KEY: a unique key must contain the shard key");
            for (auto& k : plan.shardKey) {
                bool in = std::any_of(u.begin(), u.end(),
                                      [&](const std::string& x) { return lower(x) == lower(k); });
                if (!in)
                    return Status(ErrorCode::InvalidArgument,
                                  "the UNIQUE key (" + [&] {
                                      std::string j;
                                      for (auto& c : u)
                                          j += (j.empty() ? "" : ", ") + c;
                                      return j;
                                  }() + ") of '" + plan.table + "' must contain the SHARD KEY column '" + k +
                                      "' (otherwise it is only enforced per shard)");
            }
        }
    }

    std::string def = "(";
    for (size_t k = 0; k < items.size(); ++k) {
        if (k)
            def += ", ";
        def += items[k];
    }
    def += ")";
    if (close + 1 < t.size() && !t[close + 1].isEnd())
        def += " " + join(t, close + 1, t.size());
    plan.definition = std::move(def);
    return plan;
}

} // namespace sluice::store
