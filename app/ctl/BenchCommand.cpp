// sluicectl bench [--quick] [--json]: the ingestion benchmark (design notes, "Performance").
//
// One run on one machine, so the ratios mean something even where the absolute rates do not:
//   produce      a backlog of N 100-byte CSV payments (lz4, 8 partitions) into the embedded
//                broker, which runs as a child process so its CPU and memory are not counted;
//   raw consume  KafkaSource::poll over every partition until all N messages are read (R_k);
//   end-to-end   a real pipeline, exactly-once, BATCH_INTERVAL 0, draining the backlog into a
//                4-shard table through Engine (E); peak RSS and CPU seconds are taken here;
//   raw insert   ShardWriter::commit of pre-built rows, one thread per shard per batch, batches
//                as large as the engine's were (R_s);
//   latency      produce -> visible to a SELECT at E/2 with BATCH_INTERVAL 1000: sampled ids
//                are looked up every 20 ms by their own SqlSession.
// A full run measures raw consume, end-to-end and raw insert in 3 rounds and reports each from
// its median round (--quick: 1 round); the table lists every round's rates.
// Progress goes to stderr; the table (and, with --json, one JSON object as the last line) to
// stdout.
#include "BenchReport.h"
#include "BenchSupport.h"
#include "Commands.h"

#include "pipeline/PipelineRunner.h"
#include "pipeline/RowBuilder.h"
#include "pipeline/ShardWriter.h"
#include "pipeline/StatementExecutor.h"
#include "source/KafkaSource.h"
#include "source/PaymentGenerator.h"
#include "store/ShardRouter.h"
#include "store/SqlSession.h"
#include "store/Store.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <malloc.h>
#include <mutex>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace sluicectl {

namespace {

using namespace sluice;
using namespace sluicectl::bench;
using Clock = std::chrono::steady_clock;

constexpr int kBrokers = 3;
constexpr const char* kBacklogTopic = "bench";
constexpr const char* kLatencyTopic = "latency";
constexpr const char* kTableColumns =
    "(id BIGINT, user TEXT, amount BIGINT, ts BIGINT, note TEXT, SHARD KEY (user))";
constexpr double kLatencySamplesPerSecond = 250;


double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

void progress(const std::string& text) { std::cerr << "bench: " << text << std::endl; }

// A payment as a CSV line of exactly kPayloadBytes: id,user,amount,ts,note with note of 'x'.
std::string paymentLine(int64_t id, int64_t tsMs, std::string& user) {
    const source::Payment p = source::makePayment(id, tsMs);
    user = p.user;
    std::string line = source::renderPayment(p, source::PaymentFormat::Csv);
    line += ',';
    if (line.size() < kPayloadBytes)
        line.append(kPayloadBytes - line.size(), 'x');
    return line;
}

Result<std::map<int32_t, int64_t>> highWatermarks(const std::string& bootstrap, const std::string& topic,
                                                  int64_t& lowSum) {
    auto src = source::KafkaSource::open({bootstrap, topic, "", "", "sluice-bench-meta"});
    if (!src.ok())
        return src.status();
    auto marks = (*src)->watermarks(10000);
    if (!marks.ok())
        return marks.status();
    std::map<int32_t, int64_t> highs;
    lowSum = 0;
    for (auto& [p, w] : *marks) {
        highs[p] = w.high;
        lowSum += w.low;
    }
    return highs;
}

Status produceBacklog(const std::string& bootstrap, const Plan& plan, Results& r,
                      std::map<int32_t, int64_t>& highs) {
    auto producer = Producer::open(bootstrap, kBacklogTopic, 20);
    if (!producer.ok())
        return producer.status();
    auto t0 = Clock::now();
    std::string user;
    const int64_t ts = epochMs();
    for (int64_t id = 1; id <= plan.messages; ++id) {
        const std::string line = paymentLine(id, ts, user);
        SLUICE_TRY((*producer)->produce(user, line));
        if ((id & 1023) == 0)
            (*producer)->poll();
    }
    SLUICE_TRY((*producer)->flush());
    r.produceSeconds = since(t0);
    producer->reset();
    int64_t lowSum = 0;
    auto h = highWatermarks(bootstrap, kBacklogTopic, lowSum);
    if (!h.ok())
        return h.status();
    int64_t total = 0;
    for (auto& [p, high] : *h)
        total += high;
    if (total != plan.messages || lowSum != 0)
        return Status(ErrorCode::DataLost,
                      "the broker holds " + std::to_string(total - lowSum) + " of " +
                          std::to_string(plan.messages) + " messages (retention dropped some)");
    highs = std::move(*h);
    r.messages = plan.messages;
    return {};
}

Status rawConsume(const std::string& bootstrap, const Plan& plan, Results& r) {
    auto src = source::KafkaSource::open({bootstrap, kBacklogTopic, "", "", "sluice-bench-consume"});
    if (!src.ok())
        return src.status();
    auto parts = (*src)->partitions(10000);
    if (!parts.ok())
        return parts.status();
    std::map<int32_t, int64_t> from;
    for (int32_t p : *parts)
        from[p] = 0;
    const double cpu0 = processCpuSeconds();
    auto t0 = Clock::now();
    SLUICE_TRY((*src)->assign(from));
    std::vector<source::KafkaMessage> got;
    std::vector<source::PartitionEvent> events;
    int64_t seen = 0;
    int64_t bytes = 0;
    while (seen < plan.messages) {
        if (since(t0) > plan.drainTimeoutSeconds)
            return Status(ErrorCode::Timeout, "raw consume read only " + std::to_string(seen) + " messages");
        got.clear();
        events.clear();
        SLUICE_TRY((*src)->poll(got, 10000, 100, events));
        for (auto& e : events)
            if (e.kind != source::PartitionEvent::Kind::PartitionEof)
                return Status(ErrorCode::Kafka, "raw consume: " + e.message);
        seen += static_cast<int64_t>(got.size());
        for (auto& m : got)
            bytes += static_cast<int64_t>(m.value().size());
    }
    r.consumeSeconds = since(t0);
    r.consumeCpuSeconds = processCpuSeconds() - cpu0;
    return bytes > 0 ? Status() : Status(ErrorCode::Internal, "raw consume read empty messages");
}

Status execAll(pipeline::StatementExecutor& ex, const std::vector<std::string>& statements) {
    for (auto& s : statements) {
        auto res = ex.execute(s);
        if (!res.ok())
            return Status(res.status().code(), s.substr(0, 60) + "...: " + res.status().message());
    }
    return {};
}

Result<int64_t> scalar(store::SqlSession& session, const std::string& sql) {
    auto res = session.execute(sql);
    if (!res.ok())
        return res.status();
    if (res->rows.empty() || res->rows[0].empty())
        return Status(ErrorCode::Internal, "no result for " + sql);
    return res->rows[0][0].i;
}

// The snapshot of pipeline `name`; an error once it failed.
Result<pipeline::PipelineSnapshot> snapshotOf(pipeline::Engine& engine, const std::string& name) {
    for (auto& s : engine.snapshots()) {
        if (s.name != name)
            continue;
        if (s.state == pipeline::kStateError)
            return Status(ErrorCode::Internal, "pipeline " + name + " failed: " + s.lastError);
        return s;
    }
    return pipeline::PipelineSnapshot{};
}

std::string pipelineSql(const std::string& name, const std::string& bootstrap, const std::string& topic,
                        int batchIntervalMs, const std::string& table) {
    // The engine's own librdkafka settings unless SLUICE_BENCH_KAFKA_CONFIG (a flat JSON object
    // of librdkafka properties) gives a CONFIG for tuning runs.
    const char* env = std::getenv("SLUICE_BENCH_KAFKA_CONFIG");
    const std::string config = env && *env ? std::string(" CONFIG '") + env + "'" : std::string();
    return "CREATE PIPELINE " + name + " AS LOAD DATA KAFKA '" + bootstrap + "/" + topic + "'" +
           config +
           " BATCH_INTERVAL " + std::to_string(batchIntervalMs) + " INTO TABLE " + table +
           " FIELDS TERMINATED BY ',' (id, user, amount, ts, note)";
}

Status endToEnd(const std::string& bootstrap, const std::string& dir, const Plan& plan,
                const std::map<int32_t, int64_t>& highs, const BrokerProcess& broker, Results& r) {
    auto st = store::Store::open(dir, {kShards, true});
    if (!st.ok())
        return st.status();
    {
        auto ex = pipeline::StatementExecutor::open(*st);
        if (!ex.ok())
            return ex.status();
        SLUICE_TRY(execAll(**ex, {std::string("CREATE TABLE payments ") + kTableColumns,
                                  pipelineSql("bench", bootstrap, kBacklogTopic, 0, "payments"),
                                  "START PIPELINE bench"}));
    }
    malloc_trim(0); // the producer's and consumer's freed buffers are not the engine's memory
    RssSampler rss;
    r.rssBeforeBytes = currentRssBytes();
    rss.start();
    const double cpu0 = processCpuSeconds();
    const double brokerCpu0 = broker.cpuSeconds();
    auto t0 = Clock::now();
    auto engine = pipeline::Engine::open(*st, "sluicectl bench");
    if (!engine.ok())
        return engine.status();
    auto lastPoll = Clock::now() - std::chrono::hours(1);
    pipeline::PipelineSnapshot snap;
    for (;;) {
        if (since(lastPoll) >= 0.2) {
            SLUICE_TRY((*engine)->poll());
            lastPoll = Clock::now();
        }
        auto s = snapshotOf(**engine, "bench");
        if (!s.ok())
            return s.status();
        snap = std::move(*s);
        bool caught = !snap.partitions.empty();
        for (auto& [p, high] : highs) {
            auto it = std::find_if(snap.partitions.begin(), snap.partitions.end(),
                                   [p = p](const pipeline::PartitionSnapshot& ps) { return ps.partition == p; });
            if (it == snap.partitions.end() || it->cursor < high)
                caught = false;
        }
        if (caught)
            break;
        if (since(t0) > plan.drainTimeoutSeconds) {
            std::string where;
            for (auto& ps : snap.partitions)
                where += " " + std::to_string(ps.partition) + ":" + std::to_string(ps.cursor) + "/" +
                         std::to_string(highs.count(ps.partition) ? highs.at(ps.partition) : -1);
            return Status(ErrorCode::Timeout, "the pipeline loaded only " + std::to_string(snap.rows) +
                                                  " rows in " + std::to_string(snap.batches) +
                                                  " batches; cursors/targets:" + where +
                                                  (snap.lastError.empty() ? "" : "; last error: " + snap.lastError));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    r.drainSeconds = since(t0);
    r.drainCpuSeconds = processCpuSeconds() - cpu0;
    const double brokerCpu1 = broker.cpuSeconds();
    if (brokerCpu0 >= 0 && brokerCpu1 >= 0)
        r.brokerCpuSeconds = brokerCpu1 - brokerCpu0;
    rss.stop();
    r.rssPeakBytes = rss.peakBytes();
    r.drainRows = snap.rows;
    r.drainBatches = snap.batches;
    (*engine)->stopAll();
    engine->reset();

    auto session = store::SqlSession::open(*st);
    if (!session.ok())
        return session.status();
    auto count = scalar(**session, "SELECT count(*) FROM payments");
    if (!count.ok())
        return count.status();
    if (*count != plan.messages)
        return Status(ErrorCode::Internal, "the table holds " + std::to_string(*count) + " rows, expected " +
                                               std::to_string(plan.messages));
    // Where the time went, from the batch log (internal columns; absent ones are left at 0).
    auto sums = (*session)->execute("SELECT sum(extractor_wait), sum(load_time), sum(batch_time) "
                                    "FROM information_schema.batches WHERE pipeline = 'bench'");
    if (sums.ok() && !sums->rows.empty() && sums->rows[0].size() == 3) {
        r.extractSeconds = sums->rows[0][0].d;
        r.loadSeconds = sums->rows[0][1].d;
        r.batchSeconds = sums->rows[0][2].d;
    }
    return {};
}

// Commits pre-built rows through the engine's ShardWriter: per batch one thread per shard,
// joined before the next batch, as the engine's writeShards does. Only the commits are timed.
Status rawInsert(const std::string& dir, const Plan& plan, Results& r) {
    auto st = store::Store::open(dir, {kShards, true});
    if (!st.ok())
        return st.status();
    {
        auto ex = pipeline::StatementExecutor::open(*st);
        if (!ex.ok())
            return ex.status();
        SLUICE_TRY(execAll(**ex, {std::string("CREATE TABLE payments ") + kTableColumns}));
    }
    std::vector<std::unique_ptr<pipeline::ShardWriter>> writers;
    for (int i = 0; i < kShards; ++i) {
        auto w = pipeline::ShardWriter::open((*st)->shardPath(i));
        if (!w.ok())
            return w.status();
        writers.push_back(std::move(*w));
    }
    const std::vector<std::string> columns = {"id", "user", "amount", "ts", "note"};
    const int64_t batchRows =
        std::clamp<int64_t>(r.drainBatches > 0 ? r.drainRows / r.drainBatches : 200000, 1, plan.messages);
    const int64_t ts = epochMs();
    std::vector<pipeline::ShardRows> shards(kShards);
    pipeline::TextArena arena;
    double seconds = 0;
    int64_t batchId = 0;
    std::string user;
    for (int64_t first = 1; first <= plan.messages; first += batchRows) {
        const int64_t last = std::min(plan.messages, first + batchRows - 1);
        for (auto& s : shards)
            s.clear();
        arena.clear();
        for (int64_t id = first; id <= last; ++id) {
            const std::string line = paymentLine(id, ts, user);
            const source::Payment p = source::makePayment(id, ts); // the values of line
            store::KeyHash h;
            h.addText(p.user, store::Affinity::Text);
            auto& dest = shards[static_cast<size_t>(h.shard(kShards))];
            const size_t noteAt = line.rfind(',') + 1;
            pipeline::Cell c;
            c.setInt(p.id);
            dest.cells.push_back(c);
            c.setText(arena.copy(p.user));
            dest.cells.push_back(c);
            c.setInt(p.amount);
            dest.cells.push_back(c);
            c.setInt(p.ts);
            dest.cells.push_back(c);
            c.setText(arena.copy(std::string_view(line).substr(noteAt)));
            dest.cells.push_back(c);
            ++dest.rows;
        }
        ++batchId;
        std::vector<Status> results(kShards);
        const double cpu0 = processCpuSeconds();
        auto t0 = Clock::now();
        std::vector<std::thread> threads;
        for (size_t i = 0; i < shards.size(); ++i) {
            if (shards[i].rows == 0)
                continue;
            threads.emplace_back([&, i] {
                auto c = writers[i]->commit("bench", batchId, "payments", columns, "", shards[i]);
                if (!c.ok())
                    results[i] = c.status();
            });
        }
        for (auto& t : threads)
            t.join();
        seconds += since(t0);
        r.insertCpuSeconds += processCpuSeconds() - cpu0;
        for (auto& s : results)
            SLUICE_TRY(s);
    }
    r.insertRows = plan.messages;
    r.insertBatchRows = batchRows;
    r.insertSeconds = seconds;
    return {};
}

// Produce -> visible latency at `rate` rows/s with BATCH_INTERVAL 1000.
Status latency(const std::string& bootstrap, const std::string& dir, const Plan& plan, double rate,
               Results& r) {
    auto st = store::Store::open(dir, {kShards, true});
    if (!st.ok())
        return st.status();
    {
        auto ex = pipeline::StatementExecutor::open(*st);
        if (!ex.ok())
            return ex.status();
        SLUICE_TRY(execAll(**ex, {std::string("CREATE TABLE lat ") + kTableColumns,
                                  "CREATE INDEX lat_by_id ON lat (id)",
                                  pipelineSql("lat", bootstrap, kLatencyTopic, 1000, "lat"),
                                  "START PIPELINE lat"}));
    }
    auto engine = pipeline::Engine::open(*st, "sluicectl bench");
    if (!engine.ok())
        return engine.status();
    SLUICE_TRY((*engine)->poll());
    auto t0 = Clock::now();
    for (;;) {
        auto s = snapshotOf(**engine, "lat");
        if (!s.ok())
            return s.status();
        if (s->partitions.size() == static_cast<size_t>(kPartitions))
            break;
        if (since(t0) > 30)
            return Status(ErrorCode::Timeout, "the latency pipeline did not start");
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    // linger.ms 25: the mock broker answers a fetch with one message set per partition, so
    // small producer batches would cap how fast any consumer can read this topic.
    auto producer = Producer::open(bootstrap, kLatencyTopic, 25);
    if (!producer.ok())
        return producer.status();

    // Sampled ids and their produce time (epoch ms), shared with the producer thread.
    std::mutex mutex;
    std::vector<std::pair<int64_t, int64_t>> newSamples;
    std::atomic<bool> stop{false};
    Status producerStatus;
    const int64_t every = std::max<int64_t>(1, static_cast<int64_t>(rate / kLatencySamplesPerSecond));
    const auto start = Clock::now();
    std::thread thread([&] {
        std::string user;
        int64_t sent = 0;
        while (!stop.load()) {
            const auto due = start + std::chrono::duration_cast<Clock::duration>(
                                         std::chrono::duration<double>(static_cast<double>(sent) / rate));
            if (Clock::now() < due) {
                (*producer)->poll();
                std::this_thread::sleep_until(std::min(due, Clock::now() + std::chrono::milliseconds(2)));
                continue;
            }
            const int64_t id = sent + 1;
            const int64_t now = epochMs();
            const std::string line = paymentLine(id, now, user);
            if (Status s = (*producer)->produce(user, line); !s.ok()) {
                producerStatus = s;
                break;
            }
            ++sent;
            if (id % every == 0 && since(start) >= plan.latencyWarmupSeconds) {
                std::lock_guard lock(mutex);
                newSamples.emplace_back(id, now);
            }
            if ((sent & 255) == 0)
                (*producer)->poll();
        }
        if (producerStatus.ok())
            producerStatus = (*producer)->flush();
    });

    auto session = store::SqlSession::open(*st);
    if (!session.ok()) {
        stop.store(true);
        thread.join();
        return session.status();
    }
    std::map<int64_t, int64_t> pending; // id -> produce time
    Status failure;
    auto lastPoll = Clock::now();
    Clock::time_point stopAt = start + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(plan.latencySeconds));
    bool producing = true;
    for (;;) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (producing && Clock::now() >= stopAt) {
            stop.store(true);
            thread.join();
            producing = false;
            if (!producerStatus.ok()) {
                failure = producerStatus;
                break;
            }
        }
        {
            std::lock_guard lock(mutex);
            for (auto& [id, t] : newSamples)
                pending.emplace(id, t);
            newSamples.clear();
        }
        if (since(lastPoll) >= 0.2) {
            if (Status s = (*engine)->poll(); !s.ok()) {
                failure = s;
                break;
            }
            auto snap = snapshotOf(**engine, "lat");
            if (!snap.ok()) {
                failure = snap.status();
                break;
            }
            lastPoll = Clock::now();
        }
        if (!pending.empty()) {
            std::string sql = "SELECT id FROM lat WHERE id IN (";
            bool firstId = true;
            for (auto& [id, t] : pending) {
                sql += (firstId ? "" : ",") + std::to_string(id);
                firstId = false;
            }
            sql += ")";
            auto res = (*session)->execute(sql);
            if (!res.ok()) {
                failure = res.status();
                break;
            }
            const int64_t now = epochMs();
            for (auto& row : res->rows) {
                auto it = pending.find(row[0].i);
                if (it == pending.end())
                    continue;
                r.latenciesMs.push_back(static_cast<double>(now - it->second));
                pending.erase(it);
            }
        }
        if (!producing && (pending.empty() || Clock::now() > stopAt + std::chrono::seconds(15)))
            break;
    }
    if (producing) {
        stop.store(true);
        thread.join();
    }
    (*engine)->stopAll();
    SLUICE_TRY(failure);
    r.latencyMissing = static_cast<int64_t>(pending.size());
    r.latencyRate = rate;
    std::sort(r.latenciesMs.begin(), r.latenciesMs.end());
    if (r.latenciesMs.empty())
        return Status(ErrorCode::Internal, "no sampled row became visible");
    return {};
}


Status runBench(const Plan& plan, Results& r) {
    auto scratch = TempDir::create("sluice-bench");
    if (!scratch.ok())
        return scratch.status();
    const std::string partitions = ":" + std::to_string(kPartitions);
    auto broker = BrokerProcess::start({std::string(kBacklogTopic) + partitions,
                                        std::string(kLatencyTopic) + partitions},
                                       kBrokers);
    if (!broker.ok())
        return broker.status();
    const std::string bootstrap = (*broker)->bootstrap();

    progress("producing " + std::to_string(plan.messages) + " messages to " + bootstrap);
    std::map<int32_t, int64_t> highs;
    SLUICE_TRY(produceBacklog(bootstrap, plan, r, highs));
    // The three rates are measured plan.rounds times, the phases of a round back to back, and
    // each is reported from its median round: a burst of other work on this shared machine then
    // moves one round, not the figure. Ratios come from the reported rates.
    std::vector<Results> rounds(static_cast<size_t>(std::max(1, plan.rounds)));
    for (size_t i = 0; i < rounds.size(); ++i) {
        Results& x = rounds[i];
        const std::string tag = rounds.size() > 1 ? " (round " + std::to_string(i + 1) + ")" : "";
        const std::string dir = scratch->path() + "/round" + std::to_string(i + 1);
        x.messages = r.messages;
        // Before each phase: the files of earlier phases go and the disk is synced, so no phase
        // pays for the writeback of another one's data.
        ::sync();
        progress("raw consume" + tag);
        SLUICE_TRY(rawConsume(bootstrap, plan, x));
        ::sync();
        progress("end-to-end: draining the backlog through a pipeline" + tag);
        SLUICE_TRY(endToEnd(bootstrap, dir + "-e2e", plan, highs, **broker, x));
        std::filesystem::remove_all(dir + "-e2e");
        ::sync();
        progress("raw insert" + tag);
        SLUICE_TRY(rawInsert(dir + "-insert", plan, x));
        std::filesystem::remove_all(dir + "-insert");
    }
    ::sync();
    takeMedians(rounds, r);
    // Tuning runs may skip the latency phase (SLUICE_BENCH_SKIP_LATENCY=1); its figures are then 0.
    if (const char* skip = std::getenv("SLUICE_BENCH_SKIP_LATENCY"); skip && std::string(skip) == "1")
        return {};
    const double rate = std::max(1.0, std::floor(static_cast<double>(r.drainRows) / r.drainSeconds / 2));
    progress("latency at " + fixed(rate, 0) + " rows/s for " + fixed(plan.latencySeconds, 0) + " s");
    SLUICE_TRY(latency(bootstrap, scratch->path() + "/latency", plan, rate, r));
    return {};
}

} // namespace

int benchCommand(const Args& args) {
    ArgReader a(args);
    Plan plan;
    bool json = false;
    while (!a.done()) {
        if (a.flag("--quick")) {
            plan.quick = true;
            continue;
        }
        if (a.flag("--json")) {
            json = true;
            continue;
        }
        return fail("unknown argument '" + a.peek() + "' for bench");
    }
    if (plan.quick) {
        plan.messages = 200000;
        plan.latencySeconds = 5;
        plan.latencyWarmupSeconds = 0.5;
        plan.drainTimeoutSeconds = 40;
        plan.rounds = 1;
    }
    store::configureSqliteOnce();
    Results r;
    if (Status s = runBench(plan, r); !s.ok())
        return fail("bench: " + s.toString());
    const Figures f = figuresOf(r);
    printTable(plan, r, f);
    if (json)
        printJson(plan, r, f);
    std::fflush(stdout);
    return 0;
}

} // namespace sluicectl
