#pragma once
// Private to engine/sql: the small JSON reader the pipeline parser uses for CONFIG/CREDENTIALS
// (validation) and SET OFFSETS (a partition -> offset map).

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace sluice::sql::detail {

// Digits only, no sign, no fraction; false on overflow.
template <typename Int> bool parseUnsigned(std::string_view digits, Int& out) {
    if (digits.empty() ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return false;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
    return ec == std::errc() && end == digits.data() + digits.size();
}

// Just enough JSON for the pipeline clauses: validating an object (CONFIG, CREDENTIALS) and
// reading a partition -> offset map (ALTER PIPELINE ... SET OFFSETS '{"0":123}').
class JsonReader {
public:
    explicit JsonReader(std::string_view text) : m_text(text) {}

    bool isObject() {
        skipSpace();
        if (peek() != '{' || !value(0))
            return false;
        skipSpace();
        return m_pos == m_text.size();
    }

    // A non-empty object of "partition": offset with non-negative integers, no duplicates.
    bool offsetMap(std::map<int32_t, int64_t>& out) {
        skipSpace();
        if (!consume('{'))
            return false;
        while (true) {
            skipSpace();
            std::string key;
            int32_t partition = 0;
            if (!string(&key) || !parseUnsigned(key, partition))
                return false;
            skipSpace();
            if (!consume(':'))
                return false;
            skipSpace();
            size_t start = m_pos;
            while (m_pos < m_text.size() && m_text[m_pos] >= '0' && m_text[m_pos] <= '9')
                ++m_pos;
            int64_t offset = 0;
            if (!parseUnsigned(m_text.substr(start, m_pos - start), offset) ||
                !out.emplace(partition, offset).second)
                return false;
            skipSpace();
            if (consume('}'))
                break;
            if (!consume(','))
                return false;
        }
        skipSpace();
        return m_pos == m_text.size();
    }

private:
    static constexpr int kMaxDepth = 64;

    char peek() const { return m_pos < m_text.size() ? m_text[m_pos] : '\0'; }
    bool consume(char c) {
        if (m_pos >= m_text.size() || m_text[m_pos] != c)
            return false;
        ++m_pos;
        return true;
    }
    void skipSpace() {
        while (m_pos < m_text.size() && (m_text[m_pos] == ' ' || m_text[m_pos] == '\t' ||
                                         m_text[m_pos] == '\n' || m_text[m_pos] == '\r'))
            ++m_pos;
    }

    bool value(int depth) {
        if (depth > kMaxDepth)
            return false;
        skipSpace();
        char c = peek();
        if (c == '{' || c == '[') {
            const char close = c == '{' ? '}' : ']';
            ++m_pos;
            skipSpace();
            if (consume(close))
                return true;
            while (true) {
                skipSpace();
                if (c == '{') {
                    if (!string(nullptr))
                        return false;
                    skipSpace();
                    if (!consume(':'))
                        return false;
                }
                if (!value(depth + 1))
                    return false;
                skipSpace();
                if (consume(close))
                    return true;
                if (!consume(','))
                    return false;
            }
        }
        if (c == '"')
            return string(nullptr);
        if (c == 't')
            return literal("true");
        if (c == 'f')
            return literal("false");
        if (c == 'n')
            return literal("null");
        return number();
    }

    bool literal(std::string_view word) {
        if (m_text.substr(m_pos, word.size()) != word)
            return false;
        m_pos += word.size();
        return true;
    }

    bool digits() {
        size_t start = m_pos;
        while (m_pos < m_text.size() && m_text[m_pos] >= '0' && m_text[m_pos] <= '9')
            ++m_pos;
        return m_pos > start;
    }

    bool number() {
        consume('-');
        if (!consume('0') && !digits())
            return false;
        if (consume('.') && !digits())
            return false;
        if (consume('e') || consume('E')) {
            if (!consume('+'))
                consume('-');
            if (!digits())
                return false;
        }
        return true;
    }

    // A JSON string; *out (when given) receives its raw contents, escapes not resolved (the
    // callers only need keys made of digits).
    bool string(std::string* out) {
        if (!consume('"'))
            return false;
        size_t start = m_pos;
        while (m_pos < m_text.size()) {
            const auto c = static_cast<unsigned char>(m_text[m_pos]);
            if (c == '"') {
                if (out)
                    *out = std::string(m_text.substr(start, m_pos - start));
                ++m_pos;
                return true;
            }
            if (c < 0x20)
                return false;
            if (c == '\\') {
                ++m_pos;
                const char e = peek();
                if (e == 'u') {
                    for (int i = 1; i <= 4; ++i)
                        if (!std::isxdigit(static_cast<unsigned char>(
                                m_pos + i < m_text.size() ? m_text[m_pos + i] : 'g')))
                            return false;
                    m_pos += 4;
                } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
                    return false;
                }
            }
            ++m_pos;
        }
        return false;
    }

    std::string_view m_text;
    size_t m_pos = 0;
};

} // namespace sluice::sql::detail
