#include "pipeline/PipelineRunner.h"

#include "pipeline/RowBuilder.h"
#include "source/KafkaSource.h"
#include "transform/TransformRunner.h"
#include "store/Sqlite.h"

#include <ctime>
#include <fstream>
#include <set>
#include <thread>

namespace sluice::pipeline {

Result<std::unique_ptr<Engine>> Engine::open(std::shared_ptr<store::Store> store,
                                             const std::string& holderDescription) {
    auto lock = store::RunnerLock::acquire(*store, holderDescription);
    if (!lock.ok())
        return lock.status();
    auto session = store::SqlSession::open(store);
    if (!session.ok())
        return session.status();
    std::unique_ptr<Engine> e(new Engine());
    e->m_store = std::move(store);
    e->m_lock = std::move(*lock);
    e->m_catalogSession = std::move(*session);
    return e;
}

struct Engine::WatermarkWatch {
    std::unique_ptr<source::KafkaSource> source;
    std::chrono::steady_clock::time_point next{};
};

Engine::~Engine() { stopAll(); }

void Engine::watchWatermarks(const std::vector<PipelineRow>& rows) {
    constexpr auto kEvery = std::chrono::seconds(2);
    constexpr auto kAfterFailure = std::chrono::seconds(5);
    constexpr int kTimeoutMs = 2000; // poll() runs on the engine's thread: keep waits short
    const auto now = std::chrono::steady_clock::now();
    std::set<std::string> watched;
    for (const auto& row : rows) {
        if (row.state == kStateRunning || m_runners.count(row.name))
            continue;
        watched.insert(row.name);
        auto& w = m_watches[row.name];
        if (!w)
            w = std::make_unique<WatermarkWatch>();
        if (now < w->next)
            continue;
        w->next = now + kAfterFailure;
        if (!w->source) {
            auto spec = PipelineCatalog::specOf(row);
            if (!spec.ok())
                continue;
            auto src = source::KafkaSource::open({spec->brokers, spec->topic, spec->configJson,
                                                  spec->credentialsJson, "sluice-watch-" + row.name});
            if (!src.ok())
                continue;
            w->source = std::move(*src);
        }
        auto marks = w->source->watermarks(kTimeoutMs);
        if (!marks.ok())
            continue;
        std::map<int32_t, std::pair<int64_t, int64_t>> wm;
        for (auto& [p, q] : *marks)
            wm[p] = {q.low, q.high};
        if (!m_watchDb) {
            auto db = store::openDb(m_store->catalogPath(), false);
            if (!db.ok())
                continue;
            m_watchDb = std::move(*db);
        }
        PipelineCatalog catalog(m_watchDb.get(), "main");
        if (catalog.updateWatermarks(row.name, wm, 0).ok())
            w->next = now + kEvery;
    }
    for (auto it = m_watches.begin(); it != m_watches.end();)
        it = watched.count(it->first) ? std::next(it) : m_watches.erase(it);
}

void Engine::stopAll() {
    for (auto& [n, r] : m_runners)
        r->requestStop();
    for (auto& [n, r] : m_runners)
        r->join();
    m_runners.clear();
}

Status Engine::poll(const std::vector<std::string>& only) {
    PipelineCatalog catalog(m_catalogSession->db(), "information_schema");
    auto rows = catalog.list();
    if (!rows.ok())
        return rows.status();
    std::set<std::string> wanted;
    for (auto& r : *rows) {
        if (r.state != kStateRunning)
            continue;
        if (!only.empty() && std::find(only.begin(), only.end(), r.name) == only.end())
            continue;
        wanted.insert(r.name);
    }
    for (auto it = m_runners.begin(); it != m_runners.end();) {
        bool keep = wanted.count(it->first) && !it->second->finished();
        if (!keep) {
            it->second->requestStop();
            if (it->second->finished() || !wanted.count(it->first)) {
                it->second->join();
                // A finished runner of a pipeline that is Running again is restarted below.
                it = m_runners.erase(it);
                continue;
            }
        }
        ++it;
    }
    for (auto& n : wanted) {
        if (m_runners.count(n))
            continue;
        auto r = std::make_unique<PipelineRunner>(m_store, n);
        r->start();
        m_runners.emplace(n, std::move(r));
    }
    watchWatermarks(*rows);
    return {};
}

std::vector<PipelineSnapshot> Engine::snapshots() const {
    std::vector<PipelineSnapshot> out;
    for (auto& [n, r] : m_runners)
        out.push_back(r->snapshot());
    return out;
}

Result<int64_t> runForeground(std::shared_ptr<store::Store> store, const std::string& name,
                              int64_t limitBatches) {
    auto lock = store::RunnerLock::acquire(*store, "START PIPELINE " + name + " FOREGROUND");
    if (!lock.ok())
        return lock.status();
    RunnerOptions o;
    o.limitBatches = limitBatches;
    o.stopWhenCaughtUp = true;
    PipelineRunner runner(store, name, o);
    Status st = runner.runHere();
    if (!st.ok())
        return st;
    return runner.snapshot().batches;
}

namespace {

struct Sample {
    std::unique_ptr<source::KafkaSource> source;
    std::vector<source::KafkaMessage> messages;
    sql::PipelineSpec spec;
};

// Reads up to limit messages from the pipeline's cursors (earliest for partitions without one).
Result<Sample> sampleMessages(const store::Store& store, const PipelineRow& row, int64_t limit) {
    Sample s;
    auto spec = PipelineCatalog::specOf(row);
    if (!spec.ok())
        return spec.status();
    s.spec = *spec;
    source::KafkaSourceOptions o{s.spec.brokers, s.spec.topic, s.spec.configJson, s.spec.credentialsJson,
                                 "sluice-test"};
    auto src = source::KafkaSource::open(o);
    if (!src.ok())
        return src.status();
    s.source = std::move(*src);
    auto parts = s.source->partitions(5000);
    if (!parts.ok())
        return parts.status();
    auto db = store::openDb(store.catalogPath(), false);
    if (!db.ok())
        return db.status();
    PipelineCatalog catalog(db->get(), "main");
    auto cur = catalog.cursors(row.name);
    if (!cur.ok())
        return cur.status();
    std::map<int32_t, int64_t> start;
    for (int32_t p : *parts) {
        auto it = cur->find(p);
        if (it != cur->end()) {
            start[p] = it->second.cursor;
        } else {
            auto wm = s.source->queryWatermarks(p, 5000);
            if (!wm.ok())
                return wm.status();
            start[p] = wm->low;
        }
    }
    SLUICE_TRY(s.source->assign(start));
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while (static_cast<int64_t>(s.messages.size()) < limit && std::chrono::steady_clock::now() < deadline) {
        std::vector<source::PartitionEvent> events;
        size_t before = s.messages.size();
        SLUICE_TRY(s.source->poll(s.messages, static_cast<size_t>(limit) - s.messages.size(), 200, events));
        if (s.messages.size() == before && !s.messages.empty())
            break;
    }
    return s;
}

} // namespace

Result<store::ExecResult> testPipeline(std::shared_ptr<store::Store> store, const PipelineRow& row,
                                       int64_t limit) {
    auto sample = sampleMessages(*store, row, limit);
    if (!sample.ok())
        return sample.status();
    auto schema = loadTableSchema(*store, sample->spec.target);
    if (!schema.ok())
        return schema.status();
    auto builder = RowBuilder::create(sample->spec, *schema, 1);
    if (!builder.ok())
        return builder.status();
    std::vector<ShardRows> rows(1);
    TextArena arena;
    std::vector<std::string> keep;
    if (sample->spec.transform) {
        std::string input;
        for (auto& m : sample->messages)
            transform::appendFramed(input, m.value());
        transform::TransformOutput failed;
        auto out = transform::runTransform(*sample->spec.transform, input, std::chrono::seconds(60),
                                           store->dir(), &failed);
        if (!out.ok())
            return Status(out.status().code(), out.status().message() +
                                                   (failed.stderrData.empty() ? "" : "\n" + failed.stderrData));
        keep.push_back(std::move(out->stdoutData));
        size_t added = 0;
        SLUICE_TRY((*builder)->add(keep.back(), MessageMeta{}, rows, arena, added));
    } else {
        for (auto& m : sample->messages) {
            MessageMeta meta{m.partition(), m.offset(), m.timestampMs(), m.key(), sample->spec.topic, 0};
            size_t added = 0;
            SLUICE_TRY((*builder)->add(m.value(), meta, rows, arena, added));
        }
    }
    store::ExecResult r;
    r.hasResultSet = true;
    r.columns = (*builder)->targetColumns();
    size_t ncol = r.columns.size();
    for (size_t i = 0; i < rows[0].rows; ++i) {
        std::vector<store::Value> vals;
        for (size_t c = 0; c < ncol; ++c) {
            const Cell& cell = rows[0].cells[i * ncol + c];
            store::Value v;
            switch (cell.kind) {
            case Cell::Kind::Null: break;
            case Cell::Kind::Int: v.type = store::Value::Type::Integer; v.i = cell.i; break;
            case Cell::Kind::Real: v.type = store::Value::Type::Real; v.d = cell.d; break;
            case Cell::Kind::Text: v.type = store::Value::Type::Text; v.s = std::string(cell.text()); break;
            }
            vals.push_back(std::move(v));
        }
        r.rows.push_back(std::move(vals));
    }
    return r;
}

Result<store::ExecResult> extractPipeline(std::shared_ptr<store::Store> store, const PipelineRow& row,
                                          const std::string& outfile) {
    auto spec = PipelineCatalog::specOf(row);
    if (!spec.ok())
        return spec.status();
    auto sample = sampleMessages(*store, row, std::min<int64_t>(spec->options.maxOffsetsPerBatchPartition, 1000000));
    if (!sample.ok())
        return sample.status();
    std::ofstream out(outfile, std::ios::binary);
    if (!out)
        return Status(ErrorCode::Io, "cannot write " + outfile);
    for (auto& m : sample->messages) {
        out << m.value();
        if (m.value().empty() || m.value().back() != '\n')
            out << '\n';
    }
    store::ExecResult r;
    r.changes = static_cast<int64_t>(sample->messages.size());
    return r;
}

Result<std::map<int32_t, int64_t>> offsetsAtTime(const sql::PipelineSpec& spec, const std::string& when) {
    std::tm tm{};
    if (!strptime(when.c_str(), "%Y-%m-%d %H:%M:%S", &tm) && !strptime(when.c_str(), "%Y-%m-%dT%H:%M:%S", &tm))
        return Status(ErrorCode::InvalidArgument, "SET OFFSETS AT: '" + when + "' is not 'YYYY-MM-DD HH:MM:SS' (UTC)");
    int64_t target = static_cast<int64_t>(timegm(&tm)) * 1000;
    source::KafkaSourceOptions o{spec.brokers, spec.topic, spec.configJson, spec.credentialsJson, "sluice-seek"};
    auto src = source::KafkaSource::open(o);
    if (!src.ok())
        return src.status();
    auto parts = (*src)->partitions(5000);
    if (!parts.ok())
        return parts.status();
    std::map<int32_t, int64_t> out;
    // The mock broker does not answer offsets-for-times, so search the timestamps directly:
    // a binary search for the first message at or after the target (timestamps are assumed to
    // grow with offsets, as they do for producer time on one partition).
    for (int32_t p : *parts) {
        auto wm = (*src)->queryWatermarks(p, 5000);
        if (!wm.ok())
            return wm.status();
        int64_t lo = wm->low, hi = wm->high;
        while (lo < hi) {
            int64_t mid = lo + (hi - lo) / 2;
            SLUICE_TRY((*src)->assign({{p, mid}}));
            std::vector<source::KafkaMessage> got;
            std::vector<source::PartitionEvent> ev;
            auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
            while (got.empty() && std::chrono::steady_clock::now() < deadline)
                SLUICE_TRY((*src)->poll(got, 1, 200, ev));
            if (got.empty())
                return Status(ErrorCode::Timeout, "no message at offset " + std::to_string(mid) + " of partition " +
                                                      std::to_string(p));
            if (got[0].timestampMs() >= target)
                hi = mid;
            else
                lo = got[0].offset() + 1;
        }
        out[p] = lo;
    }
    return out;
}

} // namespace sluice::pipeline
