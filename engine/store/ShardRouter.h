#pragma once
// Routing of rows to shards: a stable hash of the shard key's canonical value.
//
// The hash is defined on bytes (FNV-1a 64 followed by a 64-bit finalizer), so the same key goes
// to the same shard on every machine and in every release for a given shard count. Values are
// canonicalized first so that the SQL path (typed sqlite3_value) and the pipeline path (text
// fields bound to a typed column) agree: integers and integral reals hash as their decimal
// text, other reals as "%.17g", text and blobs as their bytes, NULL as a fixed marker.

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::store {

enum class Affinity { Integer, Text, Blob, Real, Numeric };

// SQLite's affinity rules for a declared column type.
Affinity affinityOf(std::string_view declaredType);

uint64_t hashBytes(std::string_view bytes);

// Incremental hash over the columns of a (possibly composite) shard key.
class KeyHash {
public:
    void addCanonical(std::string_view canonical);
    void addNull();
    void addValue(sqlite3_value* v);
    // A text field about to be stored in a column of this affinity.
    void addText(std::string_view text, Affinity affinity);
    uint64_t value() const { return m_h; }
    // m_h % shardCount; a mask when shardCount is a power of two (the same value, no division).
    int shard(int shardCount) const {
        const auto n = static_cast<uint64_t>(shardCount);
        return static_cast<int>((n & (n - 1)) == 0 ? m_h & (n - 1) : m_h % n);
    }

private:
    uint64_t m_h = 0x9e3779b97f4a7c15ULL;
};

// Canonical text of a value as described above (exposed for tests).
std::string canonicalText(std::string_view text, Affinity affinity);

} // namespace sluice::store
