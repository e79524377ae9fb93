#include "pipeline/RowBuilder.h"

#include "sql/Lexer.h"
#include "store/SqlSession.h"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace sluice::pipeline {

using store::Affinity;
using store::lowerAscii;

std::string_view TextArena::copy(std::string_view s) {
    if (s.empty())
        return {};
    if (m_used + s.size() > m_capacity) {
        // The next kept chunk if it is large enough, else a new one.
        size_t next = m_capacity > 0 ? m_current + 1 : 0;
        while (next < m_chunks.size() && m_sizes[next] < s.size())
            ++next;
        if (next >= m_chunks.size()) {
            const size_t cap = std::max<size_t>(1 << 20, s.size());
            // Not zeroed: only bytes written by copy() are ever read.
            m_chunks.push_back(std::make_unique_for_overwrite<char[]>(cap));
            m_sizes.push_back(cap);
            next = m_chunks.size() - 1;
        }
        m_current = next;
        m_capacity = m_sizes[next];
        m_used = 0;
    }
    char* p = m_chunks[m_current].get() + m_used;
    std::memcpy(p, s.data(), s.size());
    m_used += s.size();
    m_total += s.size();
    return {p, s.size()};
}

void TextArena::clear() {
    m_current = 0;
    m_used = m_capacity = m_total = 0;
}

Result<TableSchema> loadTableSchema(const store::Store& st, const std::string& table) {
    auto cat = store::openDb(st.catalogPath(), false);
    if (!cat.ok())
        return cat.status();
    auto reg = store::readTableRegistry(cat->get(), "main");
    if (!reg.ok())
        return reg.status();
    TableSchema schema;
    bool found = false;
    for (auto& t : *reg) {
        if (lowerAscii(t.name) == lowerAscii(table)) {
            schema.name = t.name;
            schema.kind = t.kind;
            schema.shardKey = t.shardKey;
            found = true;
        }
    }
    if (!found)
        return Status(ErrorCode::NotFound, "table '" + table + "' does not exist");
    auto shard = store::openDb(st.shardPath(0), false);
    if (!shard.ok())
        return shard.status();
    auto q = store::Stmt::prepare(shard->get(), "SELECT name, type FROM pragma_table_info(?1)");
    if (!q.ok())
        return q.status();
    q->bind(1, schema.name);
    while (true) {
        auto r = q->step();
        if (!r.ok())
            return r.status();
        if (!*r)
            break;
        schema.columns.push_back(q->text(0));
        schema.affinities.push_back(store::affinityOf(q->text(1)));
    }
    if (schema.columns.empty())
        return Status(ErrorCode::NotFound, "table '" + table + "' has no columns in shard 0");
    return schema;
}

namespace {

int indexOf(const std::vector<std::string>& v, const std::string& name) {
    for (size_t i = 0; i < v.size(); ++i)
        if (lowerAscii(v[i]) == lowerAscii(name))
            return static_cast<int>(i);
    return -1;
}

// Parameter numbers after the input fields, for Kafka metadata.
enum MetaParam { kPartition = 1, kOffset, kTimestamp, kTopic, kKey, kBatchId, kMetaCount = 6 };

// Rewrites a SET / WHERE expression for the evaluator: @vars and column-list names become
// parameters, and so do the metadata functions.
Result<std::string> rewriteExpr(const std::string& expr, const std::vector<std::string>& inputs,
                                size_t fieldCount) {
    auto toks = sql::tokenize(expr, sql::StringEscapes::Sql);
    if (!toks.ok())
        return toks.status();
    const auto& t = *toks;
    std::string out;
    auto param = [&](size_t n) { return "?" + std::to_string(n); };
    for (size_t i = 0; i < t.size() && !t[i].isEnd(); ++i) {
        std::string piece(t[i].text);
        if (t[i].kind == sql::TokenKind::Variable && t[i].text[0] == '@') {
            int idx = indexOf(inputs, "@" + t[i].value);
            if (idx < 0)
                return Status(ErrorCode::InvalidArgument,
                              "variable " + std::string(t[i].text) + " is not in the pipeline's column list");
            piece = param(static_cast<size_t>(idx) + 1);
        } else if (t[i].kind == sql::TokenKind::Identifier && i + 1 < t.size() && t[i + 1].isSymbol("(")) {
            if (t[i].isKeyword("GET_KAFKA_PIPELINE_PROP") && i + 3 < t.size() &&
                t[i + 2].kind == sql::TokenKind::String && t[i + 3].isSymbol(")")) {
                std::string prop = lowerAscii(t[i + 2].value);
                int p = prop == "prop_partition" ? kPartition
                        : prop == "prop_offset"  ? kOffset
                        : prop == "prop_timestamp" ? kTimestamp
                        : prop == "prop_topicname" ? kTopic
                        : prop == "prop_key"     ? kKey
                                                 : 0;
                if (!p)
                    return Status(ErrorCode::InvalidArgument,
                                  "get_kafka_pipeline_prop: unknown property '" + t[i + 2].value +
                                      "' (prop_partition, prop_offset, prop_timestamp, prop_topicname, prop_key)");
                piece = param(fieldCount + static_cast<size_t>(p));
                i += 3;
            } else if (t[i].isKeyword("PIPELINE_BATCH_ID") && i + 2 < t.size() && t[i + 2].isSymbol(")")) {
                piece = param(fieldCount + kBatchId);
                i += 2;
            }
        } else if ((t[i].kind == sql::TokenKind::Identifier || t[i].kind == sql::TokenKind::QuotedIdentifier) &&
                   !(i > 0 && t[i - 1].isSymbol(".")) && !(i + 1 < t.size() && t[i + 1].isSymbol("."))) {
            int idx = indexOf(inputs, t[i].value);
            if (idx >= 0)
                piece = param(static_cast<size_t>(idx) + 1);
        }
        if (!out.empty())
            out += ' ';
        out += piece;
    }
    return out;
}

// A text that SQLite's INTEGER or NUMERIC affinity would store as exactly this integer: an
// optional '-', then 1 to 18 digits without a leading zero (so no overflow, no "-0", no "007"
// whose canonical form differs). Binding the integer instead of the text stores the same value
// and hashes to the same shard (the canonical text of the integer is the text itself).
bool plainInteger(std::string_view s, int64_t& out) {
    size_t i = 0;
    const bool negative = !s.empty() && s[0] == '-';
    if (negative)
        i = 1;
    const size_t digits = s.size() - i;
    if (digits == 0 || digits > 18 || (s[i] == '0' && (digits > 1 || negative)))
        return false;
    int64_t v = 0;
    for (; i < s.size(); ++i) {
        const unsigned d = static_cast<unsigned char>(s[i]) - unsigned('0');
        if (d > 9)
            return false;
        v = v * 10 + static_cast<int64_t>(d);
    }
    out = negative ? -v : v;
    return true;
}

} // namespace

class RowBuilder::Sink : public format::RecordSink {
public:
    Sink(RowBuilder& b, const MessageMeta& meta, std::vector<ShardRows>& out, TextArena& arena)
        : m_b(b), m_meta(meta), m_out(out), m_arena(arena) {}
    bool onRecord(std::span<const format::Field> fields, size_t index) override {
        bool kept = false;
        m_status = m_b.addRecord(fields, m_meta, index, m_out, m_arena, kept);
        if (!m_status.ok())
            return false;
        if (kept)
            ++m_rows;
        return true;
    }
    Status m_status;
    size_t m_rows = 0;

private:
    RowBuilder& m_b;
    const MessageMeta& m_meta;
    std::vector<ShardRows>& m_out;
    TextArena& m_arena;
};

Result<std::unique_ptr<RowBuilder>> RowBuilder::create(const sql::PipelineSpec& spec, TableSchema table,
                                                       int shardCount) {
    std::unique_ptr<RowBuilder> b(new RowBuilder());
    b->m_spec = spec;
    b->m_table = std::move(table);
    b->m_shards = shardCount;
    b->m_parser = std::make_unique<format::CsvParser>(spec.csv);
    const auto& cols = b->m_table.columns;

    std::vector<std::string> inputs = spec.columns.empty() ? cols : spec.columns;
    b->m_inputFields = inputs.size();
    for (auto& in : inputs) {
        if (in.empty() || in[0] == '@')
            continue;
        if (indexOf(cols, in) < 0)
            return Status(ErrorCode::InvalidArgument,
                          "column '" + in + "' of the pipeline's column list is not a column of table '" +
                              b->m_table.name + "'");
        if (indexOf(b->m_target, in) < 0)
            b->m_target.push_back(cols[static_cast<size_t>(indexOf(cols, in))]);
    }
    for (auto& a : spec.set) {
        if (indexOf(cols, a.column) < 0)
            return Status(ErrorCode::InvalidArgument,
                          "SET column '" + a.column + "' is not a column of table '" + b->m_table.name + "'");
        if (indexOf(b->m_target, a.column) < 0)
            b->m_target.push_back(cols[static_cast<size_t>(indexOf(cols, a.column))]);
    }
    for (auto& t : b->m_target)
        b->m_targetAffinity.push_back(b->m_table.affinities[static_cast<size_t>(indexOf(cols, t))]);
    if (b->m_table.kind == store::TableKind::Sharded)
        for (auto& k : b->m_table.shardKey) {
            int idx = indexOf(b->m_target, k);
            if (idx < 0)
                return Status(ErrorCode::InvalidArgument,
                              "the pipeline does not load the SHARD KEY column '" + k + "' of table '" +
                                  b->m_table.name + "'");
            b->m_shardKeyTarget.push_back(idx);
        }

    b->m_evaluate = !spec.set.empty() || !spec.whereExpr.empty();
    if (b->m_evaluate) {
        std::string select = "SELECT ";
        for (size_t i = 0; i < b->m_target.size(); ++i) {
            const std::string& col = b->m_target[i];
            std::string expr;
            for (auto& a : spec.set)
                if (lowerAscii(a.column) == lowerAscii(col))
                    expr = a.expr;
            std::string value;
            if (expr.empty()) {
                value = "?" + std::to_string(indexOf(inputs, col) + 1);
            } else {
                auto rewritten = rewriteExpr(expr, inputs, inputs.size());
                if (!rewritten.ok())
                    return rewritten.status();
                value = *rewritten;
            }
            select += (i ? ", " : "") + value;
        }
        if (!spec.whereExpr.empty()) {
            auto w = rewriteExpr(spec.whereExpr, inputs, inputs.size());
            if (!w.ok())
                return w.status();
            select += " WHERE " + *w;
        }
        auto db = store::openDb(":memory:", true);
        if (!db.ok())
            return db.status();
        b->m_evalDb = std::move(*db);
        auto stmt = store::Stmt::prepare(b->m_evalDb.get(), select);
        if (!stmt.ok())
            return Status(ErrorCode::InvalidArgument,
                          "SET/WHERE of pipeline " + spec.name + ": " + stmt.status().message());
        b->m_eval = std::move(*stmt);
    } else {
        for (auto& in : inputs)
            b->m_fieldToTarget.push_back(in[0] == '@' ? -1 : indexOf(b->m_target, in));
    }
    b->m_rowScratch.resize(b->m_target.size());
    for (auto a : b->m_targetAffinity)
        b->m_integerTarget.push_back(a == Affinity::Integer || a == Affinity::Numeric ? 1 : 0);
    return b;
}

Status RowBuilder::add(std::string_view text, const MessageMeta& meta, std::vector<ShardRows>& out,
                       TextArena& arena, size_t& rowsAdded, bool copyText) {
    m_copyText = copyText;
    auto& marks = m_marks;
    marks.resize(out.size());
    for (size_t i = 0; i < out.size(); ++i)
        marks[i] = {out[i].cells.size(), out[i].rows};
    m_input = text;
    Sink sink(*this, meta, out, arena);
    Status st = m_parser->parse(text, sink);
    if (st.ok())
        st = sink.m_status;
    if (!st.ok()) {
        for (size_t i = 0; i < out.size(); ++i) {
            out[i].cells.resize(marks[i].first);
            out[i].rows = marks[i].second;
        }
        rowsAdded = 0;
        return Status(ErrorCode::Parse, st.message(), {"", meta.partition, meta.offset});
    }
    rowsAdded = sink.m_rows;
    return {};
}

Status RowBuilder::addRecord(std::span<const format::Field> fields, const MessageMeta& meta,
                             size_t recordIndex, std::vector<ShardRows>& out, TextArena& arena, bool& kept) {
    kept = false;
    if (fields.size() != m_inputFields)
        return Status(ErrorCode::Parse, "record has " + std::to_string(fields.size()) +
                                            " fields, the pipeline expects " +
                                            std::to_string(m_inputFields));
    auto& row = m_rowScratch;
    if (!m_evaluate) {
        for (size_t f = 0; f < fields.size(); ++f) {
            int t = m_fieldToTarget[f];
            if (t < 0)
                continue;
            Cell& c = row[static_cast<size_t>(t)];
            int64_t v = 0;
            if (fields[f].isNull) {
                c.setNull();
            } else if (m_integerTarget[static_cast<size_t>(t)] && plainInteger(fields[f].text, v)) {
                c.setInt(v); // saves SQLite's text-to-number conversion per value
            } else if (fields[f].text.size() > Cell::kMaxText) {
                return Status(ErrorCode::Parse,
                              "field " + std::to_string(f + 1) + " is longer than 4 GiB");
            } else {
                c.setText(fields[f].text);
            }
        }
    } else {
        sqlite3_stmt* s = m_eval.get();
        sqlite3_reset(s);
        int n = static_cast<int>(fields.size());
        for (int f = 0; f < n; ++f) {
            const auto& fd = fields[static_cast<size_t>(f)];
            if (fd.isNull)
                sqlite3_bind_null(s, f + 1);
            else
                sqlite3_bind_text(s, f + 1, fd.text.data(), static_cast<int>(fd.text.size()), SQLITE_STATIC);
        }
        sqlite3_bind_int64(s, n + kPartition, meta.partition);
        sqlite3_bind_int64(s, n + kOffset, meta.offset);
        sqlite3_bind_int64(s, n + kTimestamp, meta.timestampMs);
        sqlite3_bind_text(s, n + kTopic, meta.topic.data(), static_cast<int>(meta.topic.size()), SQLITE_STATIC);
        if (meta.key.data())
            sqlite3_bind_text(s, n + kKey, meta.key.data(), static_cast<int>(meta.key.size()), SQLITE_STATIC);
        else
            sqlite3_bind_null(s, n + kKey);
        sqlite3_bind_int64(s, n + kBatchId, meta.batchId);
        int rc = sqlite3_step(s);
        if (rc == SQLITE_DONE)
            return {}; // filtered out by WHERE
        if (rc != SQLITE_ROW)
            return Status(ErrorCode::Parse, std::string("SET/WHERE failed: ") + sqlite3_errmsg(m_evalDb.get()));
        for (size_t i = 0; i < row.size(); ++i) {
            Cell& c = row[i];
            int col = static_cast<int>(i);
            switch (sqlite3_column_type(s, col)) {
            case SQLITE_NULL: c.setNull(); break;
            case SQLITE_INTEGER: c.setInt(sqlite3_column_int64(s, col)); break;
            case SQLITE_FLOAT: c.setReal(sqlite3_column_double(s, col)); break;
            default: {
                // SQLite values are shorter than 2 GiB.
                const char* p = static_cast<const char*>(sqlite3_column_blob(s, col));
                c.setText(arena.copy({p ? p : "", static_cast<size_t>(sqlite3_column_bytes(s, col))}));
            }
            }
        }
        sqlite3_reset(s);
    }
    // Values that the parser unescaped live in its scratch, which the next parse() reuses; the
    // message bytes themselves live until the batch is done unless add(copyText). Copy the former
    // (and with copyText, all).
    if (!m_evaluate)
        for (auto& c : row)
            if (c.kind == Cell::Kind::Text && c.size > 0 &&
                (m_copyText || c.p < m_input.data() || c.p >= m_input.data() + m_input.size()))
                c.setText(arena.copy(c.text()));

    int shard = 0;
    if (m_table.kind == store::TableKind::Sharded && m_shards > 1) {
        if (m_shardKeyTarget.empty()) {
            // Round-robin, but deterministic for the same input (a redone batch routes alike).
            shard = static_cast<int>((static_cast<uint64_t>(meta.partition) * 7919u +
                                      static_cast<uint64_t>(meta.offset) + recordIndex) %
                                     static_cast<uint64_t>(m_shards));
        } else {
            store::KeyHash h;
            for (int k : m_shardKeyTarget) {
                const Cell& c = row[static_cast<size_t>(k)];
                switch (c.kind) {
                case Cell::Kind::Null: h.addNull(); break;
                case Cell::Kind::Text: h.addText(c.text(), m_targetAffinity[static_cast<size_t>(k)]); break;
                case Cell::Kind::Int: {
                    char buf[24];
                    auto end = std::to_chars(buf, buf + sizeof buf, c.i).ptr;
                    h.addCanonical(std::string_view(buf, static_cast<size_t>(end - buf)));
                    break;
                }
                case Cell::Kind::Real: h.addText(std::to_string(c.d), Affinity::Real); break;
                }
            }
            shard = h.shard(m_shards);
        }
    }
    auto& dest = out[static_cast<size_t>(shard)];
    dest.cells.insert(dest.cells.end(), row.begin(), row.end());
    ++dest.rows;
    kept = true;
    return {};
}

} // namespace sluice::pipeline
