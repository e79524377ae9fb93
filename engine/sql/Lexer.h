#pragma once
// Tokenizer shared by the SQL front end (statement splitting, pipeline statements, DDL rewriting).
// Tokens are slices of the input; the input must outlive them.

#include "common/Result.h"

#include <string>
#include <string_view>
#include <vector>

namespace sluice::sql {

enum class TokenKind {
    Identifier,       // bare word, keywords included (case is kept; compare with isKeyword)
    QuotedIdentifier, // `name` or "name" or [name]; value() has the quotes removed
    String,           // 'text'; value() has quotes and escapes resolved
    Number,           // 12, 1.5, 1e3, 0x1F
    Variable,         // @name
    Symbol,           // punctuation and operators: ( ) , ; . = <- :: <= >= <> != || etc.
    End,
};

enum class StringEscapes {
    Sql,   // SQLite: '' only
    MySql, // SingleStore: '' and backslash escapes
};

struct Token {
    TokenKind kind = TokenKind::End;
    std::string_view text; // the raw slice, quotes included
    std::string value;     // unquoted / unescaped text for identifiers and strings
    size_t offset = 0;     // byte offset in the input
    int line = 1;          // 1-based
    int column = 1;        // 1-based

    bool isKeyword(std::string_view upperWord) const; // bare identifier, case-insensitive
    bool isSymbol(std::string_view symbol) const { return kind == TokenKind::Symbol && text == symbol; }
    bool isEnd() const { return kind == TokenKind::End; }
    // How an error message names this token: 'FOO' or "end of input".
    std::string describe() const;
};

// Tokenizes the whole input; comments (-- ..., /* ... */, # ...) and white space are dropped.
// Errors: an unterminated string, quoted identifier or comment, with line and column.
Result<std::vector<Token>> tokenize(std::string_view input, StringEscapes escapes);

// One statement of a script: its text (without the trailing ';') and where it starts.
struct StatementText {
    std::string_view text;
    size_t offset = 0;
    int line = 1;
};

// Splits a script into statements at top-level ';'. Pipeline statements are lexed with MySQL
// string escapes, everything else with SQLite's rules; CREATE TRIGGER bodies stay whole.
// Empty statements are dropped.
Result<std::vector<StatementText>> splitStatements(std::string_view script);

// True when the statement's leading keywords make it a Sluice pipeline statement
// (CREATE [OR REPLACE] PIPELINE, START/STOP/DROP/ALTER/TEST/EXTRACT PIPELINE, SHOW PIPELINES,
// SHOW CREATE PIPELINE).
bool isPipelineStatement(std::string_view statement);

// Quotes an identifier for SQLite: "na""me".
std::string quoteIdentifier(std::string_view name);
// Quotes a string literal for SQLite: 'it''s'.
std::string quoteString(std::string_view text);

} // namespace sluice::sql
