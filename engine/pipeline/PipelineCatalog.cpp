#include "pipeline/PipelineCatalog.h"

#include "sql/Lexer.h"
#include "source/KafkaSource.h"
#include "store/SqlSession.h"
#include "store/Sqlite.h"

#include <algorithm>
#include <charconv>

namespace sluice::pipeline {

using store::Stmt;
using store::Transaction;
using store::exec;
using store::nowSeconds;

namespace {

std::string jsonEscape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '"' || c == '\\')
            out += '\\';
        if (static_cast<unsigned char>(c) < 0x20)
            continue;
        out += c;
    }
    return out;
}

// The PIPELINES.CONFIG_JSON document: the definition without credentials.
std::string configJsonOf(const sql::PipelineSpec& s) {
    std::string j = "{\"name\":\"" + jsonEscape(s.name) + "\",\"source_type\":\"" +
                    (s.sourceType == sql::SourceType::Kafka ? "KAFKA" : "FS") +
                    "\",\"connection_string\":\"" +
                    jsonEscape(s.sourceType == sql::SourceType::Kafka ? s.brokers + "/" + s.topic
                                                                      : s.fsPath) +
                    "\",\"batch_interval\":" + std::to_string(s.options.batchIntervalMs) +
                    ",\"max_partitions_per_batch\":" + std::to_string(s.options.maxPartitionsPerBatch) +
                    ",\"max_offsets_per_batch_partition\":" +
                    std::to_string(s.options.maxOffsetsPerBatchPartition) +
                    ",\"max_retries_per_batch_partition\":" +
                    std::to_string(s.options.maxRetriesPerBatchPartition) + ",\"table\":\"" +
                    jsonEscape(s.target) + "\"";
    if (s.transform)
        j += ",\"transform\":\"" + jsonEscape(s.transform->uri) + "\"";
    j += "}";
    return j;
}

// The definition as stored: without its CREDENTIALS clause (those are kept apart and never
// leave the catalog's credentials table except to configure the consumer).
std::string storedSql(sql::PipelineSpec spec) {
    spec.credentialsJson.clear();
    return sql::toSql(spec, true);
}

Result<PipelineRow> readRow(Stmt& q) {
    PipelineRow r;
    r.name = q.text(0);
    r.state = q.text(1);
    r.specSql = q.text(2);
    r.credentials = q.text(3);
    r.generation = q.int64(4);
    r.createTime = q.real(5);
    r.alterTime = q.real(6);
    return r;
}

} // namespace

PipelineCatalog::PipelineCatalog(sqlite3* db, std::string schema)
    : m_db(db), m_schema(std::move(schema)) {}

static std::string selectPipelines(const std::string& schema) {
    return "SELECT p.name, p.state, p.spec_sql, coalesce(c.credentials, ''), p.generation, "
           "p.create_time, p.alter_time FROM " +
           schema + ".pipeline_defs p LEFT JOIN " + schema +
           ".pipeline_credentials c ON c.pipeline = p.name";
}

Result<std::optional<PipelineRow>> PipelineCatalog::get(const std::string& name) {
    store::InternalCatalogAccess credentialsAllowed;
    auto q = Stmt::prepare(m_db, selectPipelines(m_schema) + " WHERE p.name = ?1");
    if (!q.ok())
        return q.status();
    q->bind(1, name);
    auto r = q->step();
    if (!r.ok())
        return r.status();
    if (!*r)
        return std::optional<PipelineRow>();
    auto row = readRow(*q);
    if (!row.ok())
        return row.status();
    return std::optional<PipelineRow>(std::move(*row));
}

Result<std::vector<PipelineRow>> PipelineCatalog::list() {
    store::InternalCatalogAccess credentialsAllowed;
    auto q = Stmt::prepare(m_db, selectPipelines(m_schema) + " ORDER BY p.name");
    if (!q.ok())
        return q.status();
    std::vector<PipelineRow> out;
    SLUICE_TRY(q->forEachRow([&](Stmt& s) {
        auto row = readRow(s);
        if (!row.ok())
            return row.status();
        out.push_back(std::move(*row));
        return Status();
    }));
    return out;
}

Result<sql::PipelineSpec> PipelineCatalog::specOf(const PipelineRow& row) {
    auto st = sql::parsePipelineStatement(row.specSql);
    if (!st.ok())
        return Status(ErrorCode::Internal, "stored definition of pipeline " + row.name +
                                               " does not parse: " + st.status().message());
    auto* create = std::get_if<sql::CreatePipeline>(&*st);
    if (!create)
        return Status(ErrorCode::Internal, "stored definition of pipeline " + row.name +
                                               " is not a CREATE PIPELINE");
    sql::PipelineSpec spec = create->spec;
    spec.credentialsJson = row.credentials;
    return spec;
}

Status PipelineCatalog::create(const sql::CreatePipeline& c) {
    store::InternalCatalogAccess credentialsAllowed;
    const sql::PipelineSpec& spec = c.spec;
    if (spec.targetKind == sql::TargetKind::Procedure)
        return Status(ErrorCode::InvalidArgument,
                      "INTO PROCEDURE is not supported by Sluice yet; load INTO TABLE");
    if (spec.format != sql::DataFormat::Csv)
        return Status(ErrorCode::InvalidArgument,
                      std::string("FORMAT ") + (spec.format == sql::DataFormat::Json ? "JSON" : "AVRO") +
                          " is not supported by Sluice yet; use CSV");
    if (spec.sourceType != sql::SourceType::Kafka)
        return Status(ErrorCode::InvalidArgument, "LOAD DATA FS is not supported by Sluice yet; use KAFKA");
    auto tables = store::readTableRegistry(m_db, m_schema);
    if (!tables.ok())
        return tables.status();
    bool found = std::any_of(tables->begin(), tables->end(), [&](const store::TableInfo& t) {
        return store::lowerAscii(t.name) == store::lowerAscii(spec.target);
    });
    if (!found)
        return Status(ErrorCode::NotFound, "table '" + spec.target + "' does not exist; create it "
                                           "before the pipeline that loads it");
    auto existing = get(spec.name);
    if (!existing.ok())
        return existing.status();
    if (existing->has_value() && !c.orReplace) {
        if (c.ifNotExists)
            return {};
        return Status(ErrorCode::AlreadyExists, "pipeline '" + spec.name + "' already exists");
    }
    double now = nowSeconds();
    std::string specSql = storedSql(spec);
    Transaction tx(m_db);
    SLUICE_TRY(tx.began());
    if (existing->has_value()) {
        auto up = Stmt::prepare(m_db, "UPDATE " + table("pipeline_defs") +
                                          " SET spec_sql = ?2, config_json = ?3, alter_time = ?4, "
                                          "generation = generation + 1 WHERE name = ?1");
        if (!up.ok())
            return up.status();
        up->bind(1, spec.name).bind(2, specSql).bind(3, configJsonOf(spec)).bind(4, now);
        SLUICE_TRY(up->run());
        // A different topic makes the old cursors meaningless.
        auto old = specOf(**existing);
        if (old.ok() && (old->topic != spec.topic || old->brokers != spec.brokers)) {
            auto del = Stmt::prepare(m_db, "DELETE FROM " + table("cursors") + " WHERE pipeline = ?1");
            if (!del.ok())
                return del.status();
            del->bind(1, spec.name);
            SLUICE_TRY(del->run());
        }
    } else {
        auto ins = Stmt::prepare(m_db, "INSERT INTO " + table("pipeline_defs") +
                                           "(name, state, spec_sql, config_json, create_time, "
                                           "alter_time) VALUES (?1, 'Stopped', ?2, ?3, ?4, ?4)");
        if (!ins.ok())
            return ins.status();
        ins->bind(1, spec.name).bind(2, specSql).bind(3, configJsonOf(spec)).bind(4, now);
        SLUICE_TRY(ins->run());
    }
    auto cred = Stmt::prepare(m_db, "INSERT OR REPLACE INTO " + table("pipeline_credentials") +
                                        "(pipeline, credentials) VALUES (?1, ?2)");
    if (!cred.ok())
        return cred.status();
    cred->bind(1, spec.name).bind(2, spec.credentialsJson);
    SLUICE_TRY(cred->run());
    return tx.commit();
}

Status PipelineCatalog::setState(const std::string& name, const std::string& state) {
    auto up = Stmt::prepare(m_db, "UPDATE " + table("pipeline_defs") + " SET state = ?2 WHERE name = ?1");
    if (!up.ok())
        return up.status();
    up->bind(1, name).bind(2, state);
    SLUICE_TRY(up->run());
    if (sqlite3_changes(m_db) == 0)
        return Status(ErrorCode::NotFound, "pipeline '" + name + "' does not exist");
    return {};
}

Status PipelineCatalog::saveSpec(const std::string& name, const sql::PipelineSpec& spec) {
    store::InternalCatalogAccess credentialsAllowed;
    Transaction tx(m_db);
    SLUICE_TRY(tx.began());
    auto up = Stmt::prepare(m_db, "UPDATE " + table("pipeline_defs") +
                                      " SET spec_sql = ?2, config_json = ?3, alter_time = ?4, "
                                      "generation = generation + 1 WHERE name = ?1");
    if (!up.ok())
        return up.status();
    up->bind(1, name).bind(2, storedSql(spec)).bind(3, configJsonOf(spec)).bind(4, nowSeconds());
    SLUICE_TRY(up->run());
    if (sqlite3_changes(m_db) == 0)
        return Status(ErrorCode::NotFound, "pipeline '" + name + "' does not exist");
    auto cred = Stmt::prepare(m_db, "INSERT OR REPLACE INTO " + table("pipeline_credentials") +
                                        "(pipeline, credentials) VALUES (?1, ?2)");
    if (!cred.ok())
        return cred.status();
    cred->bind(1, name).bind(2, spec.credentialsJson);
    SLUICE_TRY(cred->run());
    return tx.commit();
}

Status PipelineCatalog::drop(const std::string& name) {
    store::InternalCatalogAccess credentialsAllowed;
    Transaction tx(m_db);
    SLUICE_TRY(tx.began());
    for (const char* t : {"pipeline_defs", "pipeline_credentials", "cursors", "errors", "offset_requests", "files"}) {
        const char* col = std::string_view(t) == "pipeline_defs" ? "name" : "pipeline";
        auto del = Stmt::prepare(m_db, "DELETE FROM " + table(t) + " WHERE " + col + " = ?1");
        if (!del.ok())
            return del.status();
        del->bind(1, name);
        SLUICE_TRY(del->run());
        if (std::string_view(t) == "pipeline_defs" && sqlite3_changes(m_db) == 0)
            return Status(ErrorCode::NotFound, "pipeline '" + name + "' does not exist");
    }
    auto delParts = Stmt::prepare(m_db, "DELETE FROM " + table("batch_partitions") +
                                            " WHERE batch_id IN (SELECT batch_id FROM " +
                                            table("batches") + " WHERE pipeline = ?1)");
    if (!delParts.ok())
        return delParts.status();
    delParts->bind(1, name);
    SLUICE_TRY(delParts->run());
    auto delBatches = Stmt::prepare(m_db, "DELETE FROM " + table("batches") + " WHERE pipeline = ?1");
    if (!delBatches.ok())
        return delBatches.status();
    delBatches->bind(1, name);
    SLUICE_TRY(delBatches->run());
    return tx.commit();
}

Status PipelineCatalog::setLayout(const std::string& name, const std::string& layoutJson) {
    auto up = Stmt::prepare(m_db, "UPDATE " + table("pipeline_defs") +
                                      " SET layout = ?2 WHERE name = ?1");
    if (!up.ok())
        return up.status();
    up->bind(1, name).bind(2, layoutJson);
    SLUICE_TRY(up->run());
    if (sqlite3_changes(m_db) == 0)
        return Status(ErrorCode::NotFound, "pipeline '" + name + "' does not exist");
    return {};
}

Result<std::string> PipelineCatalog::layout(const std::string& name) {
    auto q = Stmt::prepare(m_db,
                           "SELECT layout FROM " + table("pipeline_defs") + " WHERE name = ?1");
    if (!q.ok())
        return q.status();
    q->bind(1, name);
    auto r = q->step();
    if (!r.ok())
        return r.status();
    if (!*r)
        return Status(ErrorCode::NotFound, "pipeline '" + name + "' does not exist");
    return q->text(0);
}

Result<std::map<int32_t, CursorRow>> PipelineCatalog::cursors(const std::string& name) {
    auto q = Stmt::prepare(m_db, "SELECT partition_id, earliest, latest, cursor, successful_cursor FROM " +
                                     table("cursors") + " WHERE pipeline = ?1 ORDER BY partition_id");
    if (!q.ok())
        return q.status();
    q->bind(1, name);
    std::map<int32_t, CursorRow> out;
    SLUICE_TRY(q->forEachRow([&](Stmt& s) {
        CursorRow c;
        c.partition = static_cast<int32_t>(s.int64(0));
        c.earliest = s.int64(1);
        c.latest = s.int64(2);
        c.cursor = s.int64(3);
        c.successfulCursor = s.int64(4);
        out[c.partition] = c;
        return Status();
    }));
    return out;
}

Status PipelineCatalog::setCursors(const std::string& name, const std::map<int32_t, int64_t>& offsets) {
    Transaction tx(m_db);
    SLUICE_TRY(tx.began());
    auto up = Stmt::prepare(m_db, "INSERT INTO " + table("cursors") +
                                      "(pipeline, partition_id, cursor, updated) VALUES (?1, ?2, ?3, ?4) "
                                      "ON CONFLICT(pipeline, partition_id) DO UPDATE SET "
                                      "cursor = excluded.cursor, updated = excluded.updated");
    if (!up.ok())
        return up.status();
    for (auto [p, off] : offsets) {
        up->bind(1, name).bind(2, static_cast<int64_t>(p)).bind(3, off).bind(4, nowSeconds());
        SLUICE_TRY(up->run());
    }
    return tx.commit();
}

Status PipelineCatalog::requestOffsets(const std::string& name, const std::map<int32_t, int64_t>& offsets) {
    std::string json = "{";
    for (auto [p, off] : offsets) {
        if (json.size() > 1)
            json += ",";
        json += "\"" + std::to_string(p) + "\":" + std::to_string(off);
    }
    json += "}";
    auto ins = Stmt::prepare(m_db, "INSERT INTO " + table("offset_requests") +
                                       "(pipeline, offsets_json, created) VALUES (?1, ?2, ?3)");
    if (!ins.ok())
        return ins.status();
    ins->bind(1, name).bind(2, json).bind(3, nowSeconds());
    return ins->run();
}

Result<std::optional<std::map<int32_t, int64_t>>> PipelineCatalog::takeOffsetRequest(const std::string& name) {
    Transaction tx(m_db);
    SLUICE_TRY(tx.began());
    auto q = Stmt::prepare(m_db, "SELECT request_id, offsets_json FROM " + table("offset_requests") +
                                     " WHERE pipeline = ?1 ORDER BY request_id LIMIT 1");
    if (!q.ok())
        return q.status();
    q->bind(1, name);
    auto r = q->step();
    if (!r.ok())
        return r.status();
    if (!*r)
        return std::optional<std::map<int32_t, int64_t>>();
    int64_t id = q->int64(0);
    auto offsets = parseOffsetsJson(q->text(1));
    q->reset();
    auto del = Stmt::prepare(m_db, "DELETE FROM " + table("offset_requests") + " WHERE request_id = ?1");
    if (!del.ok())
        return del.status();
    del->bind(1, id);
    SLUICE_TRY(del->run());
    SLUICE_TRY(tx.commit());
    if (!offsets.ok())
        return offsets.status();
    return std::optional<std::map<int32_t, int64_t>>(std::move(*offsets));
}

Result<int64_t> PipelineCatalog::planBatch(const std::string& name, const std::vector<BatchRange>& ranges,
                                           double startTime) {
    Transaction tx(m_db);
    SLUICE_TRY(tx.began());
    auto ins = Stmt::prepare(m_db, "INSERT INTO " + table("batches") +
                                       "(pipeline, state, start_time) VALUES (?1, 'planned', ?2)");
    if (!ins.ok())
        return ins.status();
    ins->bind(1, name).bind(2, startTime);
    SLUICE_TRY(ins->run());
    int64_t id = sqlite3_last_insert_rowid(m_db);
    auto part = Stmt::prepare(m_db, "INSERT INTO " + table("batch_partitions") +
                                        "(batch_id, partition_id, start_offset, end_offset) VALUES (?1, ?2, ?3, ?4)");
    if (!part.ok())
        return part.status();
    for (auto& r : ranges) {
        part->bind(1, id).bind(2, static_cast<int64_t>(r.partition)).bind(3, r.start).bind(4, r.end);
        SLUICE_TRY(part->run());
    }
    SLUICE_TRY(tx.commit());
    return id;
}

Result<std::vector<std::pair<int64_t, std::vector<BatchRange>>>>
PipelineCatalog::plannedBatches(const std::string& name) {
    auto q = Stmt::prepare(m_db, "SELECT b.batch_id, bp.partition_id, bp.start_offset, bp.end_offset FROM " +
                                     table("batches") + " b JOIN " + table("batch_partitions") +
                                     " bp ON bp.batch_id = b.batch_id WHERE b.pipeline = ?1 AND "
                                     "b.state = 'planned' ORDER BY b.batch_id, bp.partition_id");
    if (!q.ok())
        return q.status();
    q->bind(1, name);
    std::vector<std::pair<int64_t, std::vector<BatchRange>>> out;
    SLUICE_TRY(q->forEachRow([&](Stmt& s) {
        int64_t id = s.int64(0);
        if (out.empty() || out.back().first != id)
            out.push_back({id, {}});
        BatchRange br;
        br.partition = static_cast<int32_t>(s.int64(1));
        br.start = s.int64(2);
        br.end = s.int64(3);
        out.back().second.push_back(br);
        return Status();
    }));
    return out;
}

Status PipelineCatalog::commitBatch(const std::string& name, int64_t batchId,
                                    const std::vector<BatchRange>& ranges, const BatchStats& s,
                                    const std::map<int32_t, std::pair<int64_t, int64_t>>& watermarks) {
    Transaction tx(m_db);
    SLUICE_TRY(tx.began());
    double now = nowSeconds();
    auto cur = Stmt::prepare(m_db, "INSERT INTO " + table("cursors") +
                                       "(pipeline, partition_id, cursor, successful_cursor, updated) "
                                       "VALUES (?1, ?2, ?3, ?3, ?4) ON CONFLICT(pipeline, partition_id) "
                                       "DO UPDATE SET cursor = excluded.cursor, successful_cursor = "
                                       "excluded.cursor, updated = excluded.updated");
    auto part = Stmt::prepare(m_db, "UPDATE " + table("batch_partitions") +
                                        " SET rows = ?3, bytes = ?4 WHERE batch_id = ?1 AND partition_id = ?2");
    if (!cur.ok())
        return cur.status();
    if (!part.ok())
        return part.status();
    for (auto& r : ranges) {
        cur->bind(1, name).bind(2, static_cast<int64_t>(r.partition)).bind(3, r.end).bind(4, now);
        SLUICE_TRY(cur->run());
        part->bind(1, batchId).bind(2, static_cast<int64_t>(r.partition)).bind(3, r.rows).bind(4, r.bytes);
        SLUICE_TRY(part->run());
    }
    auto b = Stmt::prepare(m_db, "UPDATE " + table("batches") +
                                     " SET state = 'succeeded', extractor_wait = ?2, transform_wait = ?3, "
                                     "load_time = ?4, batch_time = ?5, rows = ?6, bytes = ?7 WHERE batch_id = ?1");
    if (!b.ok())
        return b.status();
    b->bind(1, batchId).bind(2, s.extractorWait).bind(3, s.transformWait).bind(4, s.loadTime)
        .bind(5, s.batchTime).bind(6, s.rows).bind(7, s.bytes);
    SLUICE_TRY(b->run());
    if (!watermarks.empty()) {
        auto wm = Stmt::prepare(m_db, "UPDATE " + table("cursors") +
                                          " SET earliest = ?3, latest = max(?4, cursor), latest_time = ?5 "
                                          "WHERE pipeline = ?1 AND partition_id = ?2");
        if (!wm.ok())
            return wm.status();
        for (auto& [p, lh] : watermarks) {
            wm->bind(1, name).bind(2, static_cast<int64_t>(p)).bind(3, lh.first).bind(4, lh.second).bind(5, now);
            SLUICE_TRY(wm->run());
        }
    }
    // Bounded batch log.
    if (batchId % 100 == 0) {
        std::string cut = "(SELECT batch_id FROM " + table("batches") + " WHERE pipeline = ?1 ORDER BY "
                          "batch_id DESC LIMIT 1 OFFSET " + std::to_string(kBatchRetention) + ")";
        for (const char* t : {"batch_partitions", "batches"}) {
            auto del = Stmt::prepare(m_db, "DELETE FROM " + table(t) + " WHERE batch_id <= " + cut +
                                               (std::string_view(t) == "batches" ? " AND pipeline = ?1" :
                                                " AND batch_id IN (SELECT batch_id FROM " + table("batches") +
                                                " WHERE pipeline = ?1)"));
            if (!del.ok())
                return del.status();
            del->bind(1, name);
            SLUICE_TRY(del->run());
        }
    }
    return tx.commit();
}

Status PipelineCatalog::failBatch(int64_t batchId, const BatchStats& s) {
    auto b = Stmt::prepare(m_db, "UPDATE " + table("batches") +
                                     " SET state = 'failed', batch_time = ?2 WHERE batch_id = ?1");
    if (!b.ok())
        return b.status();
    b->bind(1, batchId).bind(2, s.batchTime);
    return b->run();
}

Status PipelineCatalog::updateWatermarks(const std::string& name,
                                         const std::map<int32_t, std::pair<int64_t, int64_t>>& watermarks,
                                         int64_t startForNew) {
    Transaction tx(m_db);
    SLUICE_TRY(tx.began());
    auto ins = Stmt::prepare(m_db, "INSERT INTO " + table("cursors") +
                                       "(pipeline, partition_id, earliest, latest, cursor, successful_cursor, "
                                       "latest_time, updated) VALUES (?1, ?2, ?3, ?4, max(?5, ?3), max(?5, ?3), ?6, ?6) "
                                       "ON CONFLICT(pipeline, partition_id) DO UPDATE SET earliest = "
                                       "excluded.earliest, latest = excluded.latest, latest_time = excluded.latest_time");
    if (!ins.ok())
        return ins.status();
    double now = nowSeconds();
    for (auto& [p, lh] : watermarks) {
        ins->bind(1, name).bind(2, static_cast<int64_t>(p)).bind(3, lh.first).bind(4, lh.second)
            .bind(5, startForNew < 0 ? lh.second : startForNew).bind(6, now);
        SLUICE_TRY(ins->run());
    }
    return tx.commit();
}

Status PipelineCatalog::recordError(const std::string& name, const ErrorRecord& e) {
    auto ins = Stmt::prepare(m_db, "INSERT INTO " + table("errors") +
                                       "(pipeline, ts, type, code, message, std_error, load_data_line, batch_id, "
                                       "partition_id, earliest_offset, latest_offset) VALUES (?1, ?2, ?3, ?4, "
                                       "?5, ?6, ?7, ?8, ?9, ?10, ?11)");
    if (!ins.ok())
        return ins.status();
    ins->bind(1, name).bind(2, nowSeconds()).bind(3, e.type).bind(4, static_cast<int64_t>(e.code))
        .bind(5, e.message).bind(6, e.stdError);
    if (e.loadDataLine) ins->bind(7, *e.loadDataLine); else ins->bindNull(7);
    if (e.batchId) ins->bind(8, *e.batchId); else ins->bindNull(8);
    if (e.partition) ins->bind(9, static_cast<int64_t>(*e.partition)); else ins->bindNull(9);
    if (e.earliestOffset) ins->bind(10, *e.earliestOffset); else ins->bindNull(10);
    if (e.latestOffset) ins->bind(11, *e.latestOffset); else ins->bindNull(11);
    SLUICE_TRY(ins->run());
    auto trim = Stmt::prepare(m_db, "DELETE FROM " + table("errors") + " WHERE pipeline = ?1 AND error_id <= "
                                        "(SELECT error_id FROM " + table("errors") + " WHERE pipeline = ?1 "
                                        "ORDER BY error_id DESC LIMIT 1 OFFSET " +
                                        std::to_string(kErrorRetention) + ")");
    if (!trim.ok())
        return trim.status();
    trim->bind(1, name);
    return trim->run();
}

Result<std::map<int32_t, int64_t>> parseOffsetsJson(std::string_view json) {
    auto flat = source::parseFlatJsonObject(json);
    if (!flat.ok())
        return Status(ErrorCode::InvalidArgument, "offsets must be a JSON object of partition: offset, "
                                                  "e.g. '{\"0\":123}': " + flat.status().message());
    std::map<int32_t, int64_t> out;
    for (auto& [k, v] : *flat) {
        int32_t p = 0;
        int64_t off = 0;
        auto [pe, pec] = std::from_chars(k.data(), k.data() + k.size(), p);
        auto [oe, oec] = std::from_chars(v.data(), v.data() + v.size(), off);
        if (pec != std::errc() || pe != k.data() + k.size() || p < 0)
            return Status(ErrorCode::InvalidArgument, "offsets: '" + k + "' is not a partition number");
        if (oec != std::errc() || oe != v.data() + v.size() || off < 0)
            return Status(ErrorCode::InvalidArgument, "offsets: '" + v + "' for partition " + k +
                                                          " is not an offset");
        out[p] = off;
    }
    return out;
}

} // namespace sluice::pipeline
