#include "sql/Lexer.h"

#include <cctype>

namespace sluice::sql {

namespace {

bool isIdentStart(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
           static_cast<unsigned char>(c) >= 0x80;
}
bool isIdentChar(char c) {
    return isIdentStart(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '$';
}

bool equalsUpper(std::string_view word, std::string_view upper) {
    if (word.size() != upper.size())
        return false;
    for (size_t i = 0; i < word.size(); ++i)
        if (std::toupper(static_cast<unsigned char>(word[i])) != upper[i])
            return false;
    return true;
}

class Scanner {
public:
    Scanner(std::string_view in, StringEscapes esc) : m_in(in), m_esc(esc) {}

    Result<Token> next() {
        skipSpaceAndComments();
        if (!m_error.ok())
            return m_error;
        Token t;
        t.offset = m_pos;
        t.line = m_line;
        t.column = static_cast<int>(m_pos - m_lineStart) + 1;
        if (m_pos >= m_in.size()) {
            t.kind = TokenKind::End;
            return t;
        }
        char c = m_in[m_pos];
        if (isIdentStart(c)) {
            size_t s = m_pos;
            while (m_pos < m_in.size() && isIdentChar(m_in[m_pos]))
                ++m_pos;
            t.kind = TokenKind::Identifier;
            t.text = m_in.substr(s, m_pos - s);
            t.value = std::string(t.text);
            return t;
        }
        if (std::isdigit(static_cast<unsigned char>(c)) ||
            (c == '.' && m_pos + 1 < m_in.size() &&
             std::isdigit(static_cast<unsigned char>(m_in[m_pos + 1])))) {
            size_t s = m_pos;
            if (c == '0' && m_pos + 1 < m_in.size() && (m_in[m_pos + 1] == 'x' || m_in[m_pos + 1] == 'X')) {
                m_pos += 2;
                while (m_pos < m_in.size() && std::isxdigit(static_cast<unsigned char>(m_in[m_pos])))
                    ++m_pos;
            } else {
                while (m_pos < m_in.size() &&
                       (std::isdigit(static_cast<unsigned char>(m_in[m_pos])) || m_in[m_pos] == '.'))
                    ++m_pos;
                if (m_pos < m_in.size() && (m_in[m_pos] == 'e' || m_in[m_pos] == 'E')) {
                    size_t save = m_pos++;
                    if (m_pos < m_in.size() && (m_in[m_pos] == '+' || m_in[m_pos] == '-'))
                        ++m_pos;
                    if (m_pos < m_in.size() && std::isdigit(static_cast<unsigned char>(m_in[m_pos]))) {
                        while (m_pos < m_in.size() && std::isdigit(static_cast<unsigned char>(m_in[m_pos])))
                            ++m_pos;
                    } else {
                        m_pos = save;
                    }
                }
            }
            t.kind = TokenKind::Number;
            t.text = m_in.substr(s, m_pos - s);
            t.value = std::string(t.text);
            return t;
        }
        if (c == '\'')
            return quoted(t, '\'', TokenKind::String, m_esc == StringEscapes::MySql);
        if (c == '"')
            return quoted(t, '"', TokenKind::QuotedIdentifier, false);
        if (c == '`')
            return quoted(t, '`', TokenKind::QuotedIdentifier, false);
        if (c == '[' && m_esc == StringEscapes::Sql) {
            size_t s = m_pos;
            size_t e = m_in.find(']', m_pos);
            if (e == std::string_view::npos)
                return fail(t, "unterminated quoted identifier");
            m_pos = e + 1;
            t.kind = TokenKind::QuotedIdentifier;
            t.text = m_in.substr(s, m_pos - s);
            t.value = std::string(m_in.substr(s + 1, e - s - 1));
            return t;
        }
        if (c == '@' || c == '$' || c == ':' ) {
            // @var (SingleStore), and SQLite's :name / $name parameters.
            if (m_pos + 1 < m_in.size() && isIdentStart(m_in[m_pos + 1])) {
                size_t s = m_pos++;
                while (m_pos < m_in.size() && isIdentChar(m_in[m_pos]))
                    ++m_pos;
                t.kind = TokenKind::Variable;
                t.text = m_in.substr(s, m_pos - s);
                t.value = std::string(t.text.substr(1));
                return t;
            }
        }
        static constexpr std::string_view kTwo[] = {"<-", "::", "<=", ">=", "<>", "!=", "||",
                                                    "==", "<<", ">>", "->"};
        for (auto op : kTwo) {
            if (m_in.substr(m_pos, 2) == op) {
                if (op == "->" && m_in.substr(m_pos, 3) == "->>") {
                    t.kind = TokenKind::Symbol;
                    t.text = m_in.substr(m_pos, 3);
                    m_pos += 3;
                    return t;
                }
                t.kind = TokenKind::Symbol;
                t.text = m_in.substr(m_pos, 2);
                m_pos += 2;
                return t;
            }
        }
        t.kind = TokenKind::Symbol;
        t.text = m_in.substr(m_pos, 1);
        ++m_pos;
        return t;
    }

private:
    Result<Token> quoted(Token& t, char q, TokenKind kind, bool backslash) {
        size_t s = m_pos++;
        std::string value;
        while (true) {
            if (m_pos >= m_in.size())
                return fail(t, kind == TokenKind::String ? "unterminated string literal"
                                                         : "unterminated quoted identifier");
            char c = m_in[m_pos];
            if (c == '\n') {
                ++m_line;
                m_lineStart = m_pos + 1;
            }
            if (backslash && c == '\\' && m_pos + 1 < m_in.size()) {
                char n = m_in[m_pos + 1];
                switch (n) {
                case 'n': value += '\n'; break;
                case 't': value += '\t'; break;
                case 'r': value += '\r'; break;
                case '0': value += '\0'; break;
                case 'b': value += '\b'; break;
                case 'Z': value += '\x1a'; break;
                default: value += n; break;
                }
                m_pos += 2;
                continue;
            }
            if (c == q) {
                if (m_pos + 1 < m_in.size() && m_in[m_pos + 1] == q) {
                    value += q;
                    m_pos += 2;
                    continue;
                }
                ++m_pos;
                break;
            }
            value += c;
            ++m_pos;
        }
        t.kind = kind;
        t.text = m_in.substr(s, m_pos - s);
        t.value = std::move(value);
        return t;
    }

    Status fail(const Token& t, const std::string& what) {
        return Status(ErrorCode::Syntax, what + " starting at line " + std::to_string(t.line) +
                                             " column " + std::to_string(t.column));
    }

    void skipSpaceAndComments() {
        while (m_pos < m_in.size()) {
            char c = m_in[m_pos];
            if (c == '\n') {
                ++m_pos;
                ++m_line;
                m_lineStart = m_pos;
            } else if (std::isspace(static_cast<unsigned char>(c))) {
                ++m_pos;
            } else if (c == '-' && m_in.substr(m_pos, 2) == "--") {
                while (m_pos < m_in.size() && m_in[m_pos] != '\n')
                    ++m_pos;
            } else if (c == '#' && m_esc == StringEscapes::MySql) {
                while (m_pos < m_in.size() && m_in[m_pos] != '\n')
                    ++m_pos;
            } else if (c == '/' && m_in.substr(m_pos, 2) == "/*") {
                int line = m_line;
                int col = static_cast<int>(m_pos - m_lineStart) + 1;
                size_t e = m_in.find("*/", m_pos + 2);
                if (e == std::string_view::npos) {
                    m_error = Status(ErrorCode::Syntax, "unterminated comment starting at line " +
                                                            std::to_string(line) + " column " +
                                                            std::to_string(col));
                    m_pos = m_in.size();
                    return;
                }
                for (size_t i = m_pos; i < e; ++i)
                    if (m_in[i] == '\n') {
                        ++m_line;
                        m_lineStart = i + 1;
                    }
                m_pos = e + 2;
            } else {
                return;
            }
        }
    }

    std::string_view m_in;
    StringEscapes m_esc;
    size_t m_pos = 0;
    int m_line = 1;
    size_t m_lineStart = 0;
    Status m_error;
};

} // namespace

bool Token::isKeyword(std::string_view upperWord) const {
    return kind == TokenKind::Identifier && equalsUpper(text, upperWord);
}

std::string Token::describe() const {
    if (kind == TokenKind::End)
        return "end of input";
    return "'" + std::string(text) + "'";
}

Result<std::vector<Token>> tokenize(std::string_view input, StringEscapes escapes) {
    Scanner s(input, escapes);
    std::vector<Token> out;
    while (true) {
        auto t = s.next();
        if (!t.ok())
            return t.status();
        bool end = t->isEnd();
        out.push_back(std::move(*t));
        if (end)
            break;
    }
    return out;
}

bool isPipelineStatement(std::string_view statement) {
    Scanner s(statement, StringEscapes::Sql);
    std::vector<Token> head;
    for (int i = 0; i < 4; ++i) {
        auto t = s.next();
        if (!t.ok() || t->isEnd())
            break;
        head.push_back(std::move(*t));
    }
    auto kw = [&](size_t i, std::string_view w) { return i < head.size() && head[i].isKeyword(w); };
    if (kw(0, "CREATE"))
        return kw(1, "PIPELINE") || (kw(1, "OR") && kw(2, "REPLACE") && kw(3, "PIPELINE"));
    if (kw(0, "START") || kw(0, "STOP") || kw(0, "DROP") || kw(0, "ALTER") || kw(0, "TEST") ||
        kw(0, "EXTRACT"))
        return kw(1, "PIPELINE");
    if (kw(0, "SHOW"))
        return kw(1, "PIPELINES") || (kw(1, "CREATE") && kw(2, "PIPELINE"));
    return false;
}

Result<std::vector<StatementText>> splitStatements(std::string_view script) {
    std::vector<StatementText> out;
    size_t pos = 0;
    int line = 1;
    while (pos < script.size()) {
        std::string_view rest = script.substr(pos);
        StringEscapes esc = isPipelineStatement(rest) ? StringEscapes::MySql : StringEscapes::Sql;
        Scanner s(rest, esc);
        bool isTrigger = false;
        bool inBody = false;
        int tokenIndex = 0;
        size_t firstOffset = std::string::npos;
        int firstLine = 0;
        Token prev;
        size_t endOffset = rest.size();
        size_t consumed = rest.size();
        while (true) {
            auto t = s.next();
            if (!t.ok()) {
                Status st = t.status();
                return Status(ErrorCode::Syntax, st.message());
            }
            if (t->isEnd())
                break;
            if (firstOffset == std::string::npos) {
                firstOffset = t->offset;
                firstLine = t->line;
            }
            if (tokenIndex < 4 && t->isKeyword("TRIGGER") && prev.kind == TokenKind::Identifier)
                isTrigger = true;
            if (isTrigger && t->isKeyword("BEGIN"))
                inBody = true;
            if (t->isSymbol(";")) {
                if (!inBody || prev.isKeyword("END")) {
                    endOffset = t->offset;
                    consumed = t->offset + 1;
                    break;
                }
            }
            prev = std::move(*t);
            ++tokenIndex;
        }
        if (firstOffset != std::string::npos && firstOffset < endOffset) {
            std::string_view text = rest.substr(firstOffset, endOffset - firstOffset);
            while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
                text.remove_suffix(1);
            out.push_back({text, pos + firstOffset, line + firstLine - 1});
        }
        for (size_t i = 0; i < consumed; ++i)
            if (rest[i] == '\n')
                ++line;
        pos += consumed;
    }
    return out;
}

std::string quoteIdentifier(std::string_view name) {
    std::string out = "\"";
    for (char c : name) {
        if (c == '"')
            out += '"';
        out += c;
    }
    out += '"';
    return out;
}

std::string quoteString(std::string_view text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'')
            out += '\'';
        out += c;
    }
    out += '\'';
    return out;
}

} // namespace sluice::sql
