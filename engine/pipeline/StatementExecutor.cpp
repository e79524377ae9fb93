#include "pipeline/StatementExecutor.h"

#include "pipeline/PipelineCatalog.h"
#include "pipeline/PipelineRunner.h"
#include "sql/Lexer.h"
#include "sql/PipelineStatement.h"
#include "source/KafkaSource.h"
#include "store/Sqlite.h"

#include <fstream>

namespace sluice::pipeline {

using store::ExecResult;
using store::Value;

namespace {

Value text(std::string s) {
    Value v;
    v.type = Value::Type::Text;
    v.s = std::move(s);
    return v;
}

template <class... Ts> struct Overloaded : Ts... {
    using Ts::operator()...;
};
template <class... Ts> Overloaded(Ts...) -> Overloaded<Ts...>;

// Earliest or latest offsets of every partition of the pipeline's topic.
Result<std::map<int32_t, int64_t>> brokerOffsets(const sql::PipelineSpec& spec, bool latest) {
    source::KafkaSourceOptions o{spec.brokers, spec.topic, spec.configJson, spec.credentialsJson, "sluice-offsets"};
    auto src = source::KafkaSource::open(o);
    if (!src.ok())
        return src.status();
    auto marks = (*src)->watermarks(10000);
    if (!marks.ok())
        return marks.status();
    std::map<int32_t, int64_t> out;
    for (auto& [p, wm] : *marks)
        out[p] = latest ? wm.high : wm.low;
    return out;
}

} // namespace

Result<std::unique_ptr<StatementExecutor>> StatementExecutor::open(std::shared_ptr<store::Store> store) {
    auto session = store::SqlSession::open(store);
    if (!session.ok())
        return session.status();
    std::unique_ptr<StatementExecutor> e(new StatementExecutor());
    e->m_store = std::move(store);
    e->m_session = std::move(*session);
    return e;
}

Result<ExecResult> StatementExecutor::execute(std::string_view statement, size_t maxRows) {
    if (sql::isPipelineStatement(statement))
        return executePipelineStatement(statement);
    return m_session->execute(statement, maxRows);
}

Status StatementExecutor::executeScript(std::string_view script,
                                        const std::function<void(const ExecResult&)>& onResult) {
    auto parts = sql::splitStatements(script);
    if (!parts.ok())
        return parts.status();
    for (auto& st : *parts) {
        auto r = execute(st.text);
        if (!r.ok()) {
            Status s = r.status();
            if (parts->size() > 1)
                return Status(s.code(), s.message() + " (in the statement at line " +
                                            std::to_string(st.line) + ")");
            return s;
        }
        if (onResult)
            onResult(*r);
    }
    return {};
}

Result<ExecResult> StatementExecutor::executePipelineStatement(std::string_view statement) {
    auto parsed = sql::parsePipelineStatement(statement);
    if (!parsed.ok())
        return parsed.status();
    PipelineCatalog catalog(m_session->db(), "information_schema");
    auto needPipeline = [&](const std::string& name) -> Result<PipelineRow> {
        auto row = catalog.get(name);
        if (!row.ok())
            return row.status();
        if (!row->has_value())
            return Status(ErrorCode::NotFound, "pipeline '" + name + "' does not exist");
        return **row;
    };
    // The definition of an existing pipeline, credentials included (never for display).
    auto needSpec = [&](const std::string& name) -> Result<sql::PipelineSpec> {
        auto row = needPipeline(name);
        if (!row.ok())
            return row.status();
        return PipelineCatalog::specOf(*row);
    };
    return std::visit(
        Overloaded{
            [&](const sql::CreatePipeline& c) -> Result<ExecResult> {
                SLUICE_TRY(catalog.create(c));
                return ExecResult{};
            },
            [&](const sql::StartPipeline& s) -> Result<ExecResult> {
                auto row = needPipeline(s.name);
                if (!row.ok())
                    return row.status();
                if (s.foreground) {
                    if (row->state == kStateRunning)
                        return Status(ErrorCode::InvalidArgument,
                                      "pipeline '" + s.name + "' is running in the background; stop it "
                                      "before running it in the foreground");
                    auto n = runForeground(m_store, s.name, s.limitBatches.value_or(-1));
                    if (!n.ok())
                        return n.status();
                    ExecResult r;
                    r.changes = *n;
                    return r;
                }
                if (row->state == kStateRunning) {
                    if (s.ifNotRunning)
                        return ExecResult{};
                    return Status(ErrorCode::InvalidArgument, "pipeline '" + s.name + "' is already running");
                }
                SLUICE_TRY(catalog.setState(s.name, kStateRunning));
                return ExecResult{};
            },
            [&](const sql::StopPipeline& s) -> Result<ExecResult> {
                auto row = needPipeline(s.name);
                if (!row.ok())
                    return row.status();
                if (row->state != kStateRunning) {
                    if (s.ifRunning)
                        return ExecResult{};
                    if (row->state == kStateStopped)
                        return Status(ErrorCode::InvalidArgument, "pipeline '" + s.name + "' is not running");
                }
                SLUICE_TRY(catalog.setState(s.name, kStateStopped));
                return ExecResult{};
            },
            [&](const sql::DropPipeline& d) -> Result<ExecResult> {
                auto row = catalog.get(d.name);
                if (!row.ok())
                    return row.status();
                if (!row->has_value()) {
                    if (d.ifExists)
                        return ExecResult{};
                    return Status(ErrorCode::NotFound, "pipeline '" + d.name + "' does not exist");
                }
                SLUICE_TRY(catalog.drop(d.name));
                return ExecResult{};
            },
            [&](const sql::AlterOffsets& a) -> Result<ExecResult> {
                auto spec = needSpec(a.name);
                if (!spec.ok())
                    return spec.status();
                std::map<int32_t, int64_t> offsets;
                switch (a.kind) {
                case sql::AlterOffsets::Kind::Explicit: offsets = a.offsets; break;
                case sql::AlterOffsets::Kind::Earliest:
                case sql::AlterOffsets::Kind::Latest: {
                    auto o = brokerOffsets(*spec, a.kind == sql::AlterOffsets::Kind::Latest);
                    if (!o.ok())
                        return o.status();
                    offsets = std::move(*o);
                    break;
                }
                case sql::AlterOffsets::Kind::AtTime: {
                    auto o = offsetsAtTime(*spec, a.atTime);
                    if (!o.ok())
                        return o.status();
                    offsets = std::move(*o);
                    break;
                }
                }
                if (store::RunnerLock::isHeld(*m_store))
                    SLUICE_TRY(catalog.requestOffsets(a.name, offsets));
                else
                    SLUICE_TRY(catalog.setCursors(a.name, offsets));
                ExecResult r;
                r.changes = static_cast<int64_t>(offsets.size());
                return r;
            },
            [&](const sql::AlterOptions& a) -> Result<ExecResult> {
                auto spec = needSpec(a.name);
                if (!spec.ok())
                    return spec.status();
                for (auto& [k, v] : a.values) {
                    if (k == "BATCH_INTERVAL") {
                        spec->options.batchIntervalMs = v;
                        spec->explicitBatchInterval = true;
                    } else if (k == "MAX_PARTITIONS_PER_BATCH") {
                        spec->options.maxPartitionsPerBatch = v;
                        spec->explicitMaxPartitions = true;
                    } else if (k == "MAX_OFFSETS_PER_BATCH_PARTITION") {
                        spec->options.maxOffsetsPerBatchPartition = v;
                        spec->explicitMaxOffsets = true;
                    } else if (k == "MAX_RETRIES_PER_BATCH_PARTITION") {
                        spec->options.maxRetriesPerBatchPartition = v;
                        spec->explicitMaxRetries = true;
                    } else {
                        return Status(ErrorCode::InvalidArgument, "unknown pipeline option " + k);
                    }
                }
                SLUICE_TRY(catalog.saveSpec(a.name, *spec));
                return ExecResult{};
            },
            [&](const sql::AlterTransform& a) -> Result<ExecResult> {
                auto spec = needSpec(a.name);
                if (!spec.ok())
                    return spec.status();
                if (!a.reload)
                    spec->transform = a.transform;
                SLUICE_TRY(catalog.saveSpec(a.name, *spec));
                return ExecResult{};
            },
            [&](const sql::ShowPipelines&) -> Result<ExecResult> {
                auto rows = catalog.list();
                if (!rows.ok())
                    return rows.status();
                ExecResult r;
                r.hasResultSet = true;
                r.columns = {"Pipelines_in_sluice", "State"};
                for (auto& p : *rows)
                    r.rows.push_back({text(p.name), text(p.state)});
                return r;
            },
            [&](const sql::ShowCreatePipeline& s) -> Result<ExecResult> {
                auto spec = needSpec(s.name);
                if (!spec.ok())
                    return spec.status();
                ExecResult r;
                r.hasResultSet = true;
                r.columns = {"Pipeline", "Create Pipeline"};
                r.rows.push_back({text(s.name), text(sql::toSql(*spec, true))});
                return r;
            },
            [&](const sql::TestPipeline& t) -> Result<ExecResult> {
                auto row = needPipeline(t.name);
                if (!row.ok())
                    return row.status();
                return testPipeline(m_store, *row, t.limit.value_or(100));
            },
            [&](const sql::ExtractPipeline& e) -> Result<ExecResult> {
                auto row = needPipeline(e.name);
                if (!row.ok())
                    return row.status();
                return extractPipeline(m_store, *row, e.outfile);
            },
        },
        *parsed);
}

} // namespace sluice::pipeline
