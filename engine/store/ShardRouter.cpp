#include "store/ShardRouter.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

namespace sluice::store {

namespace {

uint64_t fmix64(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

bool containsUpper(std::string_view hay, std::string_view needle) {
    if (needle.size() > hay.size())
        return false;
    for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
        bool eq = true;
        for (size_t j = 0; j < needle.size() && eq; ++j)
            eq = std::toupper(static_cast<unsigned char>(hay[i + j])) == needle[j];
        if (eq)
            return true;
    }
    return false;
}

// Integral reals in int64 range hash like the integer SQLite would store for them in an
// INTEGER column ([-2^63, 2^63) exactly, so that no integral value has two spellings).
std::string realCanonical(double d) {
    if (std::isfinite(d) && d == std::floor(d) && d >= -9223372036854775808.0 &&
        d < 9223372036854775808.0)
        return std::to_string(static_cast<int64_t>(d));
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", d);
    return buf;
}

// Trims spaces the way SQLite does before numeric conversion.
std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
        s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
        s.remove_suffix(1);
    return s;
}

} // namespace

Affinity affinityOf(std::string_view t) {
    if (containsUpper(t, "INT"))
        return Affinity::Integer;
    if (containsUpper(t, "CHAR") || containsUpper(t, "CLOB") || containsUpper(t, "TEXT"))
        return Affinity::Text;
    if (t.empty() || containsUpper(t, "BLOB"))
        return Affinity::Blob;
    if (containsUpper(t, "REAL") || containsUpper(t, "FLOA") || containsUpper(t, "DOUB"))
        return Affinity::Real;
    return Affinity::Numeric;
}

uint64_t hashBytes(std::string_view bytes) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : bytes) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    return fmix64(h);
}

std::string canonicalText(std::string_view text, Affinity affinity) {
    if (affinity == Affinity::Text || affinity == Affinity::Blob)
        return std::string(text);
    std::string_view t = trim(text);
    if (t.empty())
        return std::string(text);
    int64_t i = 0;
    const char* b = t.data();
    const char* e = t.data() + t.size();
    if (*b == '+')
        ++b;
    // A REAL column stores every number as a double, so an integer text is rounded too.
    if (affinity != Affinity::Real) {
        auto [p, ec] = std::from_chars(b, e, i);
        if (ec == std::errc() && p == e)
            return std::to_string(i);
    }
    double d = 0;
    auto [p2, ec2] = std::from_chars(b, e, d);
    if (ec2 == std::errc() && p2 == e)
        return realCanonical(d);
    return std::string(text);
}

void KeyHash::addCanonical(std::string_view canonical) {
    m_h = fmix64(m_h ^ hashBytes(canonical)) + 0x632be59bd9b4e019ULL;
}

void KeyHash::addNull() { addCanonical(std::string_view("\0NULL", 5)); }

void KeyHash::addValue(sqlite3_value* v) {
    switch (sqlite3_value_type(v)) {
    case SQLITE_NULL: addNull(); break;
    case SQLITE_INTEGER: addCanonical(std::to_string(sqlite3_value_int64(v))); break;
    case SQLITE_FLOAT: addCanonical(realCanonical(sqlite3_value_double(v))); break;
    default: {
        const void* p = sqlite3_value_blob(v);
        int n = sqlite3_value_bytes(v);
        addCanonical(std::string_view(static_cast<const char*>(p), static_cast<size_t>(n)));
    }
    }
}

void KeyHash::addText(std::string_view text, Affinity affinity) {
    if (affinity == Affinity::Text || affinity == Affinity::Blob)
        addCanonical(text);
    else
        addCanonical(canonicalText(text, affinity));
}

} // namespace sluice::store
