#include "pipeline/ShardWriter.h"

#include "sql/Lexer.h"

#include <algorithm>

namespace sluice::pipeline {

using store::Stmt;

namespace {
constexpr size_t kMaxRowsPerStatement = 128;
}

Result<std::unique_ptr<ShardWriter>> ShardWriter::open(const std::string& path) {
    auto db = store::openDb(path, false);
    if (!db.ok())
        return db.status();
    std::unique_ptr<ShardWriter> w(new ShardWriter());
    w->m_db = std::move(*db);
    // FULL: a batch's shard commit must survive power loss once the catalog says it succeeded.
    // wal_autocheckpoint: the checkpoint runs inside the commit that crosses the threshold, on
    // the loader's thread; every 16 MiB of WAL instead of every 4 MiB means one checkpoint per few
    // batches rather than one per batch (a batch writes several MiB per shard), at the price of a
    // larger -wal file. The threshold counts pages, so it follows the file's page size.
    SLUICE_TRY(store::exec(w->m_db.get(), "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"));
    {
        auto ps = Stmt::prepare(w->m_db.get(), "PRAGMA page_size");
        if (!ps.ok())
            return ps.status();
        auto row = ps->step();
        if (!row.ok())
            return row.status();
        const int64_t pageSize = *row ? sqlite3_column_int64(ps->get(), 0) : 4096;
        const int64_t pages = std::max<int64_t>(100, (int64_t{16} << 20) / std::max<int64_t>(512, pageSize));
        SLUICE_TRY(store::exec(w->m_db.get(), "PRAGMA wal_autocheckpoint=" + std::to_string(pages)));
    }
    auto m = Stmt::prepare(w->m_db.get(), "INSERT INTO _sluice_batches(batch_id, pipeline, committed_at) "
                                          "VALUES (?1, ?2, ?3)");
    auto h = Stmt::prepare(w->m_db.get(), "SELECT 1 FROM _sluice_batches WHERE batch_id = ?1");
    auto p = Stmt::prepare(w->m_db.get(), "DELETE FROM _sluice_batches WHERE pipeline = ?1 AND batch_id < ?2");
    if (!m.ok())
        return m.status();
    if (!h.ok())
        return h.status();
    if (!p.ok())
        return p.status();
    w->m_marker = std::move(*m);
    w->m_hasMarker = std::move(*h);
    w->m_prune = std::move(*p);
    return w;
}

Result<bool> ShardWriter::hasMarker(int64_t batchId) {
    m_hasMarker.bind(1, batchId);
    auto r = m_hasMarker.step();
    m_hasMarker.reset();
    return r;
}

Result<Stmt*> ShardWriter::insertStatement(const std::string& table, const std::vector<std::string>& columns,
                                           const std::string& conflict, size_t rows) {
    std::string key = table + "\x1f" + conflict + "\x1f" + std::to_string(rows);
    for (auto& c : columns)
        key += "\x1f" + c;
    auto it = m_inserts.find(key);
    if (it != m_inserts.end())
        return &it->second;
    std::string sqlText = "INSERT " + conflict + " INTO " + sql::quoteIdentifier(table) + " (";
    std::string tuple = "(";
    for (size_t i = 0; i < columns.size(); ++i) {
        sqlText += (i ? ", " : "") + sql::quoteIdentifier(columns[i]);
        tuple += i ? ",?" : "?";
    }
    tuple += ")";
    sqlText += ") VALUES ";
    for (size_t r = 0; r < rows; ++r)
        sqlText += (r ? "," : "") + tuple;
    auto st = Stmt::prepare(m_db.get(), sqlText);
    if (!st.ok())
        return st.status();
    auto [pos, _] = m_inserts.emplace(key, std::move(*st));
    return &pos->second;
}

Result<bool> ShardWriter::commit(const std::string& pipeline, int64_t batchId, const std::string& table,
                                 const std::vector<std::string>& columns, const std::string& conflict,
                                 const ShardRows& rows) {
    sqlite3* db = m_db.get();
    store::Transaction tx(db);
    SLUICE_TRY(tx.began());
    auto has = hasMarker(batchId);
    if (!has.ok())
        return has.status();
    if (*has)
        return false;
    const size_t ncol = columns.size();
    size_t done = 0;
    while (done < rows.rows) {
        size_t n = std::min(kMaxRowsPerStatement, rows.rows - done);
        if (n < kMaxRowsPerStatement && n > 8)
            n = n >= 32 ? 32 : 8; // a few cached statement sizes, not one per remainder
        if (n > rows.rows - done)
            n = 1;
        auto st = insertStatement(table, columns, conflict, n);
        if (!st.ok())
            return st.status();
        sqlite3_stmt* s = (*st)->get();
        int idx = 1;
        for (size_t r = 0; r < n; ++r) {
            const Cell* row = &rows.cells[(done + r) * ncol];
            for (size_t c = 0; c < ncol; ++c, ++idx) {
                const Cell& cell = row[c];
                switch (cell.kind) {
                case Cell::Kind::Null: sqlite3_bind_null(s, idx); break;
                case Cell::Kind::Int: sqlite3_bind_int64(s, idx, cell.i); break;
                case Cell::Kind::Real: sqlite3_bind_double(s, idx, cell.d); break;
                case Cell::Kind::Text: {
                    const std::string_view text = cell.text();
                    sqlite3_bind_text(s, idx, text.data(), static_cast<int>(text.size()),
                                      SQLITE_STATIC);
                    break;
                }
                }
            }
        }
        int rc = sqlite3_step(s);
        sqlite3_reset(s);
        if (rc != SQLITE_DONE)
            return store::sqliteError(db, "loading table " + table);
        done += n;
    }
    m_marker.bind(1, batchId).bind(2, pipeline).bind(3, store::nowSeconds());
    SLUICE_TRY(m_marker.run());
    // Markers of earlier batches of this pipeline are no longer needed: a batch's shard commits
    // start only after every earlier batch committed in the catalog (RunnerImpl.h, "Pipelining";
    // a failed batch holds no marker).
    m_prune.bind(1, pipeline).bind(2, batchId);
    SLUICE_TRY(m_prune.run());
    SLUICE_TRY(tx.commit());
    return true;
}

} // namespace sluice::pipeline
