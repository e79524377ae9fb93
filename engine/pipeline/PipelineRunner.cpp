#include "pipeline/PipelineRunner.h"

#include "pipeline/RowBuilder.h"
#include "pipeline/ShardWriter.h"
#include "source/KafkaSource.h"
#include "transform/TransformRunner.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <limits>
#include <mutex>
#include <thread>

namespace sluice::pipeline {

using Clock = std::chrono::steady_clock;
using source::KafkaMessage;

namespace {

double secondsSince(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string conflictClause(sql::ErrorPolicy p) {
    switch (p) {
    case sql::ErrorPolicy::Replace: return "OR REPLACE";
    case sql::ErrorPolicy::Ignore:
    case sql::ErrorPolicy::SkipAll:
    case sql::ErrorPolicy::SkipDuplicateKey: return "OR IGNORE";
    default: return "";
    }
}

bool skipsParserErrors(sql::ErrorPolicy p) {
    return p == sql::ErrorPolicy::SkipParser || p == sql::ErrorPolicy::SkipAll ||
           p == sql::ErrorPolicy::Ignore;
}

// The messages of one partition in a batch, in offset order.
struct PartitionMessages {
    int32_t partition = -1;
    std::vector<KafkaMessage> messages;
};
// A batch's messages grouped by partition, groups in partition order.
using Batch = std::vector<PartitionMessages>;

// A planned and built batch: everything its rows point into (message bytes, arena, transform
// output) and what the loader needs, copied so that the loader never reads the RowBuilder or
// the spec, which the runner thread may replace meanwhile.
struct PreparedBatch {
    int64_t batchId = 0;
    bool recovered = false; // planned by an earlier run
    Batch batch;
    std::vector<BatchRange> ranges;
    std::vector<ShardRows> shards;
    TextArena arena;
    std::vector<std::string> keep;
    std::string table;
    std::vector<std::string> columns;
    std::string conflict;
    bool reference = false;
    bool wroteAny = false; // some shard committed rows of this batch in this run
    Clock::time_point start;
    double extractSeconds = 0;
    double transformSeconds = 0;
    double loadSeconds = 0;

    // Empties it for the next batch, keeping the shards' capacity.
    void reset(size_t shardCount) {
        batchId = 0;
        recovered = false;
        batch.clear();
        ranges.clear();
        shards.resize(shardCount);
        for (auto& s : shards)
            s.clear();
        arena.clear();
        keep.clear();
        wroteAny = false;
        extractSeconds = transformSeconds = loadSeconds = 0;
    }
};

// Per-partition state of collect(); found by a scan from the last hit, since messages arrive in
// runs of one partition.
struct CollectSlot {
    int32_t partition = -1;
    int64_t* position = nullptr; // positions[partition]
    int64_t taken = 0;           // messages of this partition in the batch
    int group = -1;              // its index in the batch, -1 while it has none
    bool capped = false;         // reached its per-batch limit
    bool reseeked = false;       // re-seeked this round: the rest of the round is stale
};

// Collecting for one interval also ends a batch while messages keep coming (a poll then never
// comes back empty); with BATCH_INTERVAL 0 this is the longest a batch collects.
constexpr std::chrono::milliseconds kMinCollect{500};

} // namespace

struct PipelineRunner::Impl {
    std::shared_ptr<store::Store> store;
    std::string name;
    RunnerOptions options;
    std::thread thread;
    std::atomic<bool> stop{false};
    std::atomic<bool> done{false};
    Status finalStatus;

    mutable std::mutex snapMutex;
    PipelineSnapshot snap;

    // Owned by the runner thread.
    store::DbHandle catalogDb;
    std::unique_ptr<PipelineCatalog> catalog;
    sql::PipelineSpec spec;
    int64_t generation = -1;
    std::unique_ptr<source::KafkaSource> source;
    std::unique_ptr<RowBuilder> builder;
    std::vector<std::unique_ptr<ShardWriter>> writers;
    std::map<int32_t, int64_t> cursors;       // committed next offsets
    std::map<int32_t, int64_t> positions;     // next offset to accept from the consumer
    std::map<int32_t, std::pair<int64_t, int64_t>> watermarks;
    std::map<int32_t, int64_t> planEnds;      // where the next planned range of a partition starts
    std::vector<KafkaMessage> carry;          // read but not yet in a batch
    std::vector<source::PartitionEvent> pendingEvents; // to handle at the next batch boundary
    Clock::time_point lastMetadata{};
    int64_t batchesRun = 0;
    // The loader: at most one batch in flight (built, its shard commits running on inFlightLoad)
    // and one spare set of buffers. Declared after the writers and the batch it uses, so the
    // future (which waits for the task) is destroyed before them.
    std::unique_ptr<PreparedBatch> spare;
    std::unique_ptr<PreparedBatch> inFlight;
    std::future<Status> inFlightLoad;

    // librdkafka 2.0.2 can hand out messages prefetched under a previous assignment after a
    // re-assignment (seen on the mock broker), which would look like a gap in the offsets. A
    // message past the expected offset is therefore not trusted at once: the partition is
    // re-seeked, and only a gap seen kMaxReseeks times in a row at the same offset is accepted
    // as real (compaction, transaction markers) and reported.
    static constexpr int kMaxReseeks = 3;
    std::map<int32_t, std::pair<int64_t, int>> gapTries; // partition -> (expected, tries)
    enum class Accept { Yes, Skip, Reseek };
    Accept classify(int32_t p, int64_t offset, int64_t expected) {
        if (offset < expected)
            return Accept::Skip;
        if (offset == expected) {
            gapTries.erase(p);
            return Accept::Yes;
        }
        auto& t = gapTries[p];
        if (t.first != expected)
            t = {expected, 0};
        if (++t.second > kMaxReseeks) {
            gapTries.erase(p);
            return Accept::Yes;
        }
        return Accept::Reseek;
    }

    void setSnapshot(const std::function<void(PipelineSnapshot&)>& fn) {
        std::lock_guard lock(snapMutex);
        fn(snap);
    }

    bool sleepUnlessStopped(std::chrono::milliseconds d) {
        auto until = Clock::now() + d;
        while (Clock::now() < until) {
            if (stop.load())
                return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return !stop.load();
    }

    Status load() {
        auto row = catalog->get(name);
        if (!row.ok())
            return row.status();
        if (!row->has_value())
            return Status(ErrorCode::NotFound, "pipeline '" + name + "' does not exist");
        auto s = PipelineCatalog::specOf(**row);
        if (!s.ok())
            return s.status();
        spec = std::move(*s);
        generation = (*row)->generation;
        auto schema = loadTableSchema(*store, spec.target);
        if (!schema.ok())
            return schema.status();
        auto b = RowBuilder::create(spec, std::move(*schema), store->shardCount());
        if (!b.ok())
            return b.status();
        builder = std::move(*b);
        if (!source) {
            source::KafkaSourceOptions o{spec.brokers, spec.topic, spec.configJson, spec.credentialsJson,
                                         "sluice-" + name};
            auto src = source::KafkaSource::open(o);
            if (!src.ok())
                return src.status();
            source = std::move(*src);
        }
        return {};
    }

    // Fresh metadata and watermarks; new partitions get cursors at their earliest offset.
    Status refreshPartitions(bool force) {
        if (!force && secondsSince(lastMetadata) < 2.0)
            return {};
        lastMetadata = Clock::now();
        // The broker being away is not the pipeline's failure: it stalls (the monitor shows
        // the reason) and carries on when the broker answers again.
        auto stalled = [&](const Status& st) {
            setSnapshot([&](PipelineSnapshot& s) { s.lastError = "waiting for the broker: " + st.message(); });
            return Status();
        };
        auto parts = source->partitions(5000);
        if (!parts.ok())
            return stalled(parts.status());
        std::map<int32_t, std::pair<int64_t, int64_t>> wm;
        for (int32_t p : *parts) {
            auto w = source->queryWatermarks(p, 5000);
            if (!w.ok())
                return stalled(w.status());
            wm[p] = {w->low, w->high};
        }
        watermarks = wm;
        SLUICE_TRY(catalog->updateWatermarks(name, wm, 0));
        auto cur = catalog->cursors(name);
        if (!cur.ok())
            return cur.status();
        bool changed = false;
        for (auto& [p, c] : *cur) {
            if (!cursors.count(p)) {
                cursors[p] = c.cursor;
                changed = true;
            }
        }
        if (changed)
            SLUICE_TRY(reassign());
        publishPartitions();
        return {};
    }

    // Pipelining (exactly-once argument). The runner thread extracts, plans and builds batch N
    // while a loader task writes batch N-1 to the shards; only the runner thread touches the
    // catalog, the source, the cursors and the builder. The per-batch order stays
    // plan -> shard commits -> catalog commit, and across batches:
    //   (a) batches are planned in id order, and N's range of a partition starts where the last
    //       planned range of that partition ended (planEnds), i.e. at the committed cursor once
    //       every earlier batch has committed;
    //   (b) N's shard commits start only after N-1 committed in the catalog (finishInFlight()
    //       runs before launch()), so at most one batch is ever between "planned" and
    //       "committed" on the shards, and a shard marker of a batch below N always belongs to
    //       a batch that succeeded (ShardWriter prunes those);
    //   (c) batches commit in id order, on the runner thread.
    // What a crash can leave: N-1 planned (shards partly committed) and N planned (no shard
    // touched, by (b)). Recovery redoes planned batches in id order and redoes a plan only if
    // each of its ranges starts at its partition's committed cursor, or if some shard already
    // holds its marker (then it must be completed). N-1 starts at the cursors, is redone and
    // committed; N then starts at the new cursors and is redone. A plan whose predecessor failed
    // (its ranges start past the cursors) holds no marker, by (b), and is dropped: its offsets
    // are still ahead of the cursors, so they are read again, never skipped. Anything that
    // moves cursors or positions (offset requests, lost ranges, new partitions, a reload of the
    // pipeline) first finishes the batch in flight, and a failed batch fails the one planned
    // after it, so every path ends with plans that start at the cursors or no plans at all.

    Status reassign() {
        SLUICE_TRY(finishInFlight());
        carry.clear();
        positions = cursors;
        planEnds = cursors;
        return source->assign(cursors);
    }

    void publishPartitions() {
        setSnapshot([&](PipelineSnapshot& s) {
            s.partitions.clear();
            for (auto& [p, c] : cursors) {
                PartitionSnapshot ps;
                ps.partition = p;
                ps.cursor = c;
                auto it = watermarks.find(p);
                int64_t cached = source ? source->cachedHighWatermark(p) : -1;
                ps.lowWatermark = it != watermarks.end() ? it->second.first : -1;
                ps.highWatermark = std::max(cached, it != watermarks.end() ? it->second.second : -1);
                s.partitions.push_back(ps);
            }
        });
    }

    // Applies a pending offset change at this batch boundary, after the batch in flight.
    Status applyOffsetRequests() {
        while (true) {
            auto req = catalog->takeOffsetRequest(name);
            if (!req.ok())
                return req.status();
            if (!req->has_value())
                return {};
            SLUICE_TRY(finishInFlight());
            SLUICE_TRY(catalog->setCursors(name, **req));
            for (auto& [p, off] : **req)
                cursors[p] = off;
            SLUICE_TRY(reassign());
        }
    }

    Status handleEvents(const std::vector<source::PartitionEvent>& events) {
        SLUICE_TRY(finishInFlight()); // cursors move below: every planned batch commits first
        for (auto& e : events) {
            if (e.kind != source::PartitionEvent::Kind::OffsetOutOfRange) {
                if (e.kind == source::PartitionEvent::Kind::Error) {
                    setSnapshot([&](PipelineSnapshot& s) { s.lastError = e.message; });
                }
                continue;
            }
            auto w = source->queryWatermarks(e.partition, 5000);
            if (!w.ok())
                return w.status();
            int64_t from = cursors[e.partition];
            ErrorRecord rec;
            rec.partition = e.partition;
            rec.earliestOffset = from;
            int64_t to = from;
            if (from < w->low) {
                to = w->low;
                rec.code = 1;
                rec.message = "data lost: offsets [" + std::to_string(from) + ", " + std::to_string(to) +
                              ") of partition " + std::to_string(e.partition) +
                              " were deleted by the broker before they were loaded";
            } else {
                to = w->high;
                rec.type = "Warning";
                rec.code = 2;
                rec.message = "cursor " + std::to_string(from) + " of partition " +
                              std::to_string(e.partition) + " is beyond the end of the topic (" +
                              std::to_string(w->high) + "); moved to the end";
            }
            rec.latestOffset = to;
            SLUICE_TRY(catalog->recordError(name, rec));
            cursors[e.partition] = to;
            SLUICE_TRY(catalog->setCursors(name, {{e.partition, to}}));
            SLUICE_TRY(reassign());
            setSnapshot([&](PipelineSnapshot& s) { s.lastError = rec.message; });
        }
        return {};
    }

    // Collects the next batch's messages: waits for the batch interval when the previous batch
    // was not full, stops at the per-partition and memory limits, and closes early once caught
    // up. Commits the batch in flight as soon as its load is done.
    Status collect(Batch& batch, bool& full, bool& caughtUp, Clock::time_point lastStart) {
        batch.clear();
        full = false;
        caughtUp = false;
        std::vector<CollectSlot> slots;
        auto resetSlots = [&] {
            slots.clear();
            for (auto& [p, pos] : positions)
                slots.push_back(CollectSlot{p, &pos});
        };
        resetSlots();
        size_t hint = 0;
        auto slotOf = [&](int32_t p) -> CollectSlot* {
            for (size_t k = 0; k < slots.size(); ++k) {
                size_t i = hint + k < slots.size() ? hint + k : hint + k - slots.size();
                if (slots[i].partition == p) {
                    hint = i;
                    return &slots[i];
                }
            }
            return nullptr;
        };
        size_t cappedCount = 0;
        size_t messages = 0;
        size_t bytes = 0;
        auto maxOffsets = spec.options.maxOffsetsPerBatchPartition > 0
                              ? spec.options.maxOffsetsPerBatchPartition
                              : std::numeric_limits<int64_t>::max();
        auto maxParts = spec.options.maxPartitionsPerBatch > 0
                            ? static_cast<size_t>(spec.options.maxPartitionsPerBatch)
                            : std::numeric_limits<size_t>::max();
        std::vector<KafkaMessage> incoming = std::move(carry);
        carry.clear();
        const auto interval =
            std::chrono::milliseconds(std::max<int64_t>(0, spec.options.batchIntervalMs));
        const auto intervalEnd = lastStart + interval;
        const auto now = Clock::now();
        const auto cutAt = intervalEnd > now ? intervalEnd
                                             : now + std::max<std::chrono::milliseconds>(interval, kMinCollect);
        std::vector<source::PartitionEvent> events;
        while (!stop.load()) {
            SLUICE_TRY(pumpInFlight());
            bool reseek = false;
            size_t accepted = 0;
            bool hadIncoming = !incoming.empty();
            for (auto& s : slots)
                s.reseeked = false;
            for (auto& m : incoming) {
                int32_t p = m.partition();
                CollectSlot* s = slotOf(p);
                if (!s || s->reseeked)
                    continue;
                if (full || s->capped) {
                    carry.push_back(std::move(m)); // checked when the next batch takes it
                    continue;
                }
                const int64_t offset = m.offset();
                Accept a = classify(p, offset, *s->position);
                if (a == Accept::Skip)
                    continue;
                if (a == Accept::Reseek) {
                    s->reseeked = true;
                    reseek = true;
                    continue;
                }
                if (messages >= options.maxBatchMessages || bytes >= options.maxBatchBytes ||
                    carry.size() >= options.maxBatchMessages) {
                    full = true;
                    carry.push_back(std::move(m));
                    continue;
                }
                bool newPartition = s->group < 0;
                if ((!newPartition && s->taken >= maxOffsets) ||
                    (newPartition && batch.size() >= maxParts)) {
                    // This partition is done for this batch; the others may still fill up.
                    s->capped = true;
                    ++cappedCount;
                    carry.push_back(std::move(m));
                    if (cappedCount >= slots.size())
                        full = true;
                    continue;
                }
                if (newPartition) {
                    s->group = static_cast<int>(batch.size());
                    batch.push_back(PartitionMessages{p, {}});
                }
                s->taken++;
                bytes += m.value().size();
                *s->position = offset + 1;
                batch[static_cast<size_t>(s->group)].messages.push_back(std::move(m));
                ++messages;
                ++accepted;
            }
            // A capped partition means a backlog: once the others stop adding, cut the batch
            // without waiting for the interval, and start the next one at once.
            if (hadIncoming && accepted == 0 && cappedCount > 0 && messages > 0)
                full = true;
            if (messages >= options.maxBatchMessages)
                full = true;
            incoming.clear();
            if (reseek) {
                // Messages already taken into this batch stay; carry is empty unless full.
                SLUICE_TRY(source->assign(positions));
                carry.clear();
                full = false;
            }
            if (full)
                break;
            if (messages > 0 && Clock::now() >= cutAt)
                break;
            if (!pendingEvents.empty()) {
                // Lost ranges move cursors: handled at a batch boundary, after what was read.
                if (messages > 0)
                    break;
                SLUICE_TRY(handleEvents(pendingEvents));
                pendingEvents.clear();
                resetSlots();
            }
            events.clear();
            size_t room = options.maxBatchMessages - messages;
            SLUICE_TRY(source->poll(incoming, std::min<size_t>(room, 10000), 50, events));
            for (auto& e : events)
                if (e.kind != source::PartitionEvent::Kind::PartitionEof)
                    pendingEvents.push_back(e);
            if (!incoming.empty())
                continue;
            bool atEnd = true;
            for (auto& [p, pos] : positions) {
                int64_t hw = source->cachedHighWatermark(p);
                auto it = watermarks.find(p);
                if (it != watermarks.end())
                    hw = std::max(hw, it->second.second);
                if (hw > pos)
                    atEnd = false;
            }
            caughtUp = atEnd;
            if (messages > 0 && cappedCount > 0) {
                full = true;
                break;
            }
            if (messages > 0 && Clock::now() >= intervalEnd)
                break;
            if (messages == 0 && options.stopWhenCaughtUp && atEnd)
                break;
            if (messages == 0) {
                SLUICE_TRY(refreshPartitions(false));
                SLUICE_TRY(applyOffsetRequests());
                resetSlots(); // positions may have been reassigned
                if (reloadNeeded())
                    break;
            }
        }
        std::sort(batch.begin(), batch.end(), [](const PartitionMessages& a, const PartitionMessages& b) {
            return a.partition < b.partition;
        });
        return {};
    }

    bool reloadNeeded() {
        auto row = catalog->get(name);
        return row.ok() && row->has_value() && (*row)->generation != generation;
    }

    // Builds the rows of a prepared batch (ranges set; their rows and bytes are recounted).
    Status buildRows(PreparedBatch& b, double& transformSeconds) {
        for (auto& s : b.shards)
            s.clear();
        b.arena.clear();
        b.keep.clear();
        std::map<int32_t, size_t> rangeIndex;
        for (size_t i = 0; i < b.ranges.size(); ++i) {
            b.ranges[i].rows = 0;
            b.ranges[i].bytes = 0;
            rangeIndex[b.ranges[i].partition] = i;
        }
        const int64_t batchId = b.batchId;
        bool skipErrors = skipsParserErrors(spec.errorPolicy);
        if (spec.transform) {
            for (auto& g : b.batch) {
                if (g.messages.empty())
                    continue;
                BatchRange& r = b.ranges[rangeIndex[g.partition]];
                const int32_t p = g.partition;
                std::string input;
                for (auto& m : g.messages) {
                    transform::appendFramed(input, m.value());
                    r.bytes += static_cast<int64_t>(m.value().size());
                }
                auto t0 = Clock::now();
                transform::TransformOutput failed;
                auto out = transform::runTransform(*spec.transform, input, options.transformTimeout,
                                                   store->dir(), &failed);
                transformSeconds += secondsSince(t0);
                if (!out.ok()) {
                    ErrorRecord rec;
                    rec.code = static_cast<int>(out.status().code());
                    rec.message = out.status().message();
                    rec.stdError = failed.stderrData;
                    rec.batchId = batchId;
                    rec.partition = p;
                    rec.earliestOffset = r.start;
                    rec.latestOffset = r.end;
                    (void)catalog->recordError(name, rec);
                    return Status(out.status().code(), out.status().message(), {name, p, r.start});
                }
                b.keep.push_back(std::move(out->stdoutData));
                MessageMeta meta{p, r.end - 1, -1, {}, spec.topic, batchId};
                size_t added = 0;
                Status st = builder->add(b.keep.back(), meta, b.shards, b.arena, added);
                if (!st.ok()) {
                    ErrorRecord rec;
                    rec.code = static_cast<int>(ErrorCode::Parse);
                    rec.message = "transform output: " + st.message();
                    rec.batchId = batchId;
                    rec.partition = p;
                    rec.earliestOffset = r.start;
                    rec.latestOffset = r.end;
                    rec.loadDataLine = b.keep.back().substr(0, 4096);
                    (void)catalog->recordError(name, rec);
                    return Status(ErrorCode::Parse, rec.message, {name, p, r.start});
                }
                r.rows += static_cast<int64_t>(added);
            }
            return {};
        }
        const bool fullMeta = builder->usesMessageMeta();
        for (auto& g : b.batch) {
            if (g.messages.empty())
                continue;
            BatchRange& r = b.ranges[rangeIndex[g.partition]];
            const size_t count = g.messages.size();
            for (size_t i = 0; i < count; ++i) {
                const KafkaMessage& m = g.messages[i];
                if (i + 1 < count) // the payloads are cold: fetch the next one while parsing this
                    __builtin_prefetch(g.messages[i + 1].value().data());
                const std::string_view value = m.value();
                const int64_t offset = m.offset();
                r.bytes += static_cast<int64_t>(value.size());
                MessageMeta meta{g.partition, offset, fullMeta ? m.timestampMs() : -1,
                                 fullMeta ? m.key() : std::string_view(), spec.topic, batchId};
                size_t added = 0;
                Status st = builder->add(value, meta, b.shards, b.arena, added);
                if (!st.ok()) {
                    ErrorRecord rec;
                    rec.code = static_cast<int>(ErrorCode::Parse);
                    rec.type = skipErrors ? "Warning" : "Error";
                    rec.message = "partition " + std::to_string(g.partition) + " offset " +
                                  std::to_string(offset) + ": " + st.message() +
                                  (skipErrors ? " (skipped: SKIP PARSER ERRORS)" : "");
                    rec.loadDataLine = std::string(value.substr(0, 4096));
                    rec.batchId = batchId;
                    rec.partition = g.partition;
                    rec.earliestOffset = offset;
                    rec.latestOffset = offset + 1;
                    (void)catalog->recordError(name, rec);
                    if (!skipErrors)
                        return Status(ErrorCode::Parse, rec.message, {name, g.partition, offset});
                    continue;
                }
                r.rows += static_cast<int64_t>(added);
            }
        }
        return {};
    }

    // Step 3 for every shard with rows, in parallel, one thread per shard. Runs on the loader
    // task or the runner thread; reads only b and the writers (used by one task at a time).
    Status writeShards(PreparedBatch& b) {
        const size_t n = b.shards.size();
        std::vector<Status> results(n);
        std::vector<int> wrote(n, 0);
        std::vector<std::thread> threads;
        for (size_t i = 0; i < n; ++i) {
            const ShardRows& rows = b.reference ? b.shards[0] : b.shards[i];
            if (rows.rows == 0)
                continue;
            threads.emplace_back([&, i, rowsPtr = &rows] {
                auto r =
                    writers[i]->commit(name, b.batchId, b.table, b.columns, b.conflict, *rowsPtr);
                if (!r.ok())
                    results[i] = r.status();
                else
                    wrote[i] = *r ? 1 : 0;
            });
        }
        for (auto& t : threads)
            t.join();
        for (size_t i = 0; i < n; ++i) {
            b.wroteAny |= wrote[i] != 0;
            if (!results[i].ok())
                return Status(results[i].code(), "shard " + std::to_string(i) + ": " + results[i].message());
        }
        return {};
    }

    bool anyShardHasMarker(int64_t batchId) {
        for (auto& w : writers) {
            auto h = w->hasMarker(batchId);
            if (h.ok() && *h)
                return true;
        }
        return false;
    }

    std::unique_ptr<PreparedBatch> takeBuffers() {
        std::unique_ptr<PreparedBatch> b =
            spare ? std::move(spare) : std::make_unique<PreparedBatch>();
        b->reset(static_cast<size_t>(store->shardCount()));
        return b;
    }

    // Steps 1 and 2: plans a new batch (b.ranges empty; b.batch not empty) or takes a recovered
    // one as planned (b.batchId and b.ranges set), then builds its rows, with retries.
    Status prepareBatch(PreparedBatch& b) {
        b.start = Clock::now();
        if (b.ranges.empty()) {
            double startWall = store::nowSeconds();
            for (auto& g : b.batch) {
                BatchRange r;
                r.partition = g.partition;
                auto pe = planEnds.find(g.partition);
                r.start = pe != planEnds.end() ? pe->second : cursors[g.partition];
                r.end = g.messages.back().offset() + 1;
                const int64_t first = g.messages.front().offset();
                if (first > r.start) {
                    // Offsets the broker did not deliver inside the range (compaction or
                    // transaction markers) are fine; a gap at the start is reported.
                    ErrorRecord rec;
                    rec.type = "Warning";
                    rec.message = "offsets [" + std::to_string(r.start) + ", " +
                                  std::to_string(first) + ") of partition " +
                                  std::to_string(g.partition) +
                                  " were not delivered by the broker";
                    rec.partition = g.partition;
                    rec.earliestOffset = r.start;
                    rec.latestOffset = first;
                    (void)catalog->recordError(name, rec);
                }
                b.ranges.push_back(r);
            }
            auto id = catalog->planBatch(name, b.ranges, startWall);
            if (!id.ok())
                return id.status();
            b.batchId = *id;
            for (auto& r : b.ranges)
                planEnds[r.partition] = r.end;
        }
        b.table = builder->table().name;
        b.columns = builder->targetColumns();
        b.conflict = conflictClause(spec.errorPolicy);
        b.reference = builder->table().kind == store::TableKind::Reference;
        int64_t maxRetries = std::max<int64_t>(0, spec.options.maxRetriesPerBatchPartition);
        Status last;
        for (int64_t attempt = 0; attempt <= maxRetries; ++attempt) {
            if (attempt > 0 && !sleepUnlessStopped(backoff(attempt)))
                return Status(ErrorCode::Cancelled,
                              "stopped while retrying batch " + std::to_string(b.batchId));
            double transformSeconds = 0;
            last = buildRows(b, transformSeconds);
            b.transformSeconds = transformSeconds;
            if (last.ok())
                return {};
        }
        return last;
    }

    static std::chrono::milliseconds backoff(int64_t attempt) {
        return std::chrono::milliseconds(
            std::min<int64_t>(5000, 100LL << std::min<int64_t>(attempt, 6)));
    }

    // Step 4 for a batch whose shard commits are done.
    Status commitPrepared(PreparedBatch& b) {
        PipelineCatalog::BatchStats stats;
        stats.extractorWait = b.extractSeconds;
        stats.transformWait = b.transformSeconds;
        stats.loadTime = b.loadSeconds;
        stats.batchTime = secondsSince(b.start) + b.extractSeconds;
        for (auto& r : b.ranges) {
            stats.rows += r.rows;
            stats.bytes += r.bytes;
        }
        std::map<int32_t, std::pair<int64_t, int64_t>> wm;
        for (auto& r : b.ranges) {
            auto it = watermarks.find(r.partition);
            int64_t hw = std::max(source->cachedHighWatermark(r.partition),
                                  it != watermarks.end() ? it->second.second : -1);
            wm[r.partition] = {it != watermarks.end() ? it->second.first : 0, std::max(hw, r.end)};
        }
        SLUICE_TRY(catalog->commitBatch(name, b.batchId, b.ranges, stats, wm));
        for (auto& r : b.ranges) {
            cursors[r.partition] = r.end;
            watermarks[r.partition] = wm[r.partition];
        }
        ++batchesRun;
        setSnapshot([&](PipelineSnapshot& s) {
            s.batches++;
            s.rows += stats.rows;
            s.bytes += stats.bytes;
            s.lastBatchSeconds = stats.batchTime;
            s.lastExtractSeconds = stats.extractorWait;
            s.lastTransformSeconds = stats.transformWait;
            s.lastLoadSeconds = stats.loadTime;
        });
        publishPartitions();
        return {};
    }

    // Marks a planned batch failed, unless some shard applied it (then it must stay planned and
    // be completed by recovery, or the rows it loaded would be loaded again under a new batch).
    void failPlanned(PreparedBatch& b, const Status& why) {
        if (b.batchId == 0)
            return;
        if (!why.ok())
            setSnapshot([&](PipelineSnapshot& s) {
                s.failedBatches++;
                s.lastError = why.message();
            });
        if (b.wroteAny || anyShardHasMarker(b.batchId))
            return;
        PipelineCatalog::BatchStats stats;
        stats.batchTime = secondsSince(b.start);
        (void)catalog->failBatch(b.batchId, stats);
    }

    // Finishes a batch whose shard load returned loadStatus: retries the load (rows are kept) and
    // the catalog commit up to MAX_RETRIES_PER_BATCH_PARTITION times.
    Status completeBatch(PreparedBatch& b, Status loadStatus) {
        int64_t maxRetries = std::max<int64_t>(0, spec.options.maxRetriesPerBatchPartition);
        Status last = loadStatus;
        bool loaded = loadStatus.ok();
        for (int64_t attempt = 0;; ++attempt) {
            if (attempt > 0) {
                if (!sleepUnlessStopped(backoff(attempt)))
                    return Status(ErrorCode::Cancelled,
                                  "stopped while retrying batch " + std::to_string(b.batchId));
                if (!loaded) {
                    auto t0 = Clock::now();
                    last = writeShards(b);
                    b.loadSeconds = secondsSince(t0);
                    loaded = last.ok();
                }
            }
            if (!loaded) {
                ErrorRecord rec;
                rec.code = static_cast<int>(last.code());
                rec.message = "batch " + std::to_string(b.batchId) + ": " + last.message();
                rec.batchId = b.batchId;
                (void)catalog->recordError(name, rec);
            } else {
                last = commitPrepared(b);
                if (last.ok())
                    return {};
            }
            if (attempt >= maxRetries)
                break;
        }
        failPlanned(b, last);
        return last;
    }

    // Starts step 3 of b on the loader task. The batch in flight must be finished first.
    void launch(std::unique_ptr<PreparedBatch> b) {
        PreparedBatch* raw = b.get();
        inFlight = std::move(b);
        inFlightLoad = std::async(std::launch::async, [this, raw] {
            auto t0 = Clock::now();
            Status st = writeShards(*raw);
            raw->loadSeconds = secondsSince(t0);
            if (st.ok())
                raw->batch.clear(); // the rows are stored: free the messages off the runner thread
            return st;
        });
    }

    // Waits for the batch in flight and commits it (or fails it). No-op when none.
    Status finishInFlight() {
        if (!inFlight)
            return {};
        Status loadStatus = inFlightLoad.get();
        std::unique_ptr<PreparedBatch> b = std::move(inFlight);
        Status st = completeBatch(*b, loadStatus);
        b->batch.clear(); // messages must not outlive their use (rd_kafka_destroy waits for them)
        spare = std::move(b);
        return st;
    }

    Status pumpInFlight() {
        if (inFlight && inFlightLoad.wait_for(std::chrono::seconds(0)) == std::future_status::ready)
            return finishInFlight();
        return {};
    }

    // Runs a recovered batch start to end on this thread.
    Status runRecovered(std::unique_ptr<PreparedBatch> b) {
        Status st = prepareBatch(*b);
        if (!st.ok()) {
            if (st.code() != ErrorCode::Cancelled)
                failPlanned(*b, st);
            return st;
        }
        auto t0 = Clock::now();
        Status loaded = writeShards(*b);
        b->loadSeconds = secondsSince(t0);
        st = completeBatch(*b, loaded);
        b->batch.clear();
        spare = std::move(b);
        return st;
    }

    // Redoes batches that a previous run planned but did not finish, with the same ranges, in
    // id order (see "Pipelining" above for which plans are redone).
    Status recover() {
        auto planned = catalog->plannedBatches(name);
        if (!planned.ok())
            return planned.status();
        for (auto& [batchId, ranges] : *planned) {
            auto committed = catalog->cursors(name);
            if (!committed.ok())
                return committed.status();
            bool atCursors = true;
            for (auto& r : ranges) {
                auto it = committed->find(r.partition);
                if (it == committed->end() || it->second.cursor != r.start)
                    atCursors = false;
            }
            if (!atCursors && !anyShardHasMarker(batchId)) {
                PipelineCatalog::BatchStats stats;
                SLUICE_TRY(catalog->failBatch(batchId, stats));
                continue;
            }
            std::map<int32_t, int64_t> starts;
            std::map<int32_t, int64_t> ends;
            for (auto& r : ranges) {
                starts[r.partition] = r.start;
                ends[r.partition] = r.end;
            }
            SLUICE_TRY(source->assign(starts));
            std::map<int32_t, std::vector<KafkaMessage>> byPartition;
            std::map<int32_t, int64_t> next = starts;
            auto deadline = Clock::now() + std::chrono::seconds(60);
            bool lost = false;
            while (!stop.load()) {
                bool complete = true;
                for (auto& [p, e] : ends)
                    if (next[p] < e)
                        complete = false;
                if (complete)
                    break;
                if (Clock::now() > deadline)
                    return Status(ErrorCode::Timeout, "could not re-read batch " + std::to_string(batchId));
                std::vector<KafkaMessage> got;
                std::vector<source::PartitionEvent> events;
                SLUICE_TRY(source->poll(got, 10000, 100, events));
                for (auto& e : events)
                    if (e.kind == source::PartitionEvent::Kind::OffsetOutOfRange)
                        lost = true;
                if (lost)
                    break;
                bool reseek = false;
                for (auto& m : got) {
                    int32_t p = m.partition();
                    if (!ends.count(p) || next[p] >= ends[p])
                        continue;
                    Accept a = classify(p, m.offset(), next[p]);
                    if (a == Accept::Skip)
                        continue;
                    if (a == Accept::Reseek) {
                        reseek = true;
                        continue;
                    }
                    if (m.offset() >= ends[p]) {
                        next[p] = ends[p]; // the rest of the range is a real gap
                        continue;
                    }
                    next[p] = m.offset() + 1;
                    byPartition[p].push_back(std::move(m));
                }
                if (reseek) {
                    std::map<int32_t, int64_t> at;
                    for (auto& [p, e] : ends)
                        if (next[p] < e)
                            at[p] = next[p];
                    SLUICE_TRY(source->assign(at));
                }
            }
            if (stop.load())
                return Status(ErrorCode::Cancelled, "stopped");
            if (lost) {
                // The data is gone. If no shard applied the batch, drop the plan and let the normal
                // path report the lost range; otherwise say plainly what happened.
                bool anyMarker = anyShardHasMarker(batchId);
                ErrorRecord rec;
                rec.batchId = batchId;
                rec.message = anyMarker ? "batch " + std::to_string(batchId) +
                                              " was partly applied before a crash and its data is no longer "
                                              "on the broker; its cursors were advanced"
                                        : "batch " + std::to_string(batchId) +
                                              " could not be redone: its data is no longer on the broker";
                SLUICE_TRY(catalog->recordError(name, rec));
                PipelineCatalog::BatchStats stats;
                if (anyMarker) {
                    SLUICE_TRY(catalog->commitBatch(name, batchId, ranges, stats, {}));
                    for (auto& r : ranges)
                        cursors[r.partition] = r.end;
                } else {
                    SLUICE_TRY(catalog->failBatch(batchId, stats));
                }
                continue;
            }
            auto b = takeBuffers();
            b->batchId = batchId;
            b->recovered = true;
            b->ranges = ranges;
            for (auto& [p, msgs] : byPartition)
                b->batch.push_back(PartitionMessages{p, std::move(msgs)});
            SLUICE_TRY(runRecovered(std::move(b)));
        }
        auto cur = catalog->cursors(name);
        if (!cur.ok())
            return cur.status();
        for (auto& [p, c] : *cur)
            cursors[p] = c.cursor;
        return {};
    }

    Status run() {
        auto db = store::openDb(store->catalogPath(), false);
        if (!db.ok())
            return db.status();
        catalogDb = std::move(*db);
        SLUICE_TRY(store::exec(catalogDb.get(), "PRAGMA synchronous=FULL"));
        catalog = std::make_unique<PipelineCatalog>(catalogDb.get(), "main");
        SLUICE_TRY(load());
        for (int i = 0; i < store->shardCount(); ++i) {
            auto w = ShardWriter::open(store->shardPath(i));
            if (!w.ok())
                return w.status();
            writers.push_back(std::move(*w));
        }
        SLUICE_TRY(refreshPartitions(true));
        SLUICE_TRY(applyOffsetRequests());
        SLUICE_TRY(recover());
        SLUICE_TRY(reassign());
        publishPartitions();
        Batch batch;
        auto lastStart = Clock::now() - std::chrono::hours(1);
        while (!stop.load()) {
            const int64_t started = batchesRun + (inFlight ? 1 : 0);
            if (options.limitBatches >= 0 && started >= options.limitBatches)
                break;
            if (reloadNeeded()) {
                SLUICE_TRY(finishInFlight()); // it was built with the old definition
                SLUICE_TRY(load());
                continue;
            }
            bool full = false;
            bool caughtUp = false;
            auto t0 = Clock::now();
            SLUICE_TRY(collect(batch, full, caughtUp, lastStart));
            if (batch.empty()) {
                if (options.stopWhenCaughtUp && caughtUp)
                    break;
                continue;
            }
            lastStart = full ? Clock::now() - std::chrono::hours(1) : t0;
            auto next = takeBuffers();
            next->batch = std::move(batch);
            batch.clear();
            next->extractSeconds = secondsSince(t0);
            // Plan and build N while N-1 loads; then commit N-1, and only then load N.
            Status built = prepareBatch(*next);
            Status previous = finishInFlight();
            if (!previous.ok()) {
                failPlanned(*next, Status());
                return previous;
            }
            if (!built.ok()) {
                if (built.code() != ErrorCode::Cancelled)
                    failPlanned(*next, built);
                return built;
            }
            launch(std::move(next));
            SLUICE_TRY(applyOffsetRequests());
        }
        return finishInFlight();
    }

    void threadMain() {
        Status st = run();
        if (inFlight) { // run() failed elsewhere: the loaded batch still commits when it can
            Status f = finishInFlight();
            if (st.ok())
                st = f;
        }
        if (!st.ok() && st.code() != ErrorCode::Cancelled) {
            if (catalog) {
                ErrorRecord rec;
                rec.message = "pipeline stopped: " + st.toString();
                (void)catalog->recordError(name, rec);
                (void)catalog->setState(name, kStateError);
            }
            setSnapshot([&](PipelineSnapshot& s) {
                s.state = kStateError;
                s.lastError = st.toString();
            });
        }
        finalStatus = st.code() == ErrorCode::Cancelled ? Status() : st;
        setSnapshot([&](PipelineSnapshot& s) { s.active = false; });
        // rd_kafka_destroy waits for every message of the consumer to be freed first.
        carry.clear();
        inFlight.reset();
        spare.reset();
        source.reset();
        done.store(true);
    }
};

PipelineRunner::PipelineRunner(std::shared_ptr<store::Store> store, std::string name, RunnerOptions options)
    : m_impl(std::make_unique<Impl>()), m_name(name) {
    m_impl->store = std::move(store);
    m_impl->name = std::move(name);
    m_impl->options = options;
    m_impl->snap.name = m_name;
    m_impl->snap.state = kStateRunning;
}

PipelineRunner::~PipelineRunner() {
    requestStop();
    join();
}

void PipelineRunner::start() {
    m_impl->snap.active = true;
    m_impl->thread = std::thread([this] { m_impl->threadMain(); });
}

void PipelineRunner::requestStop() { m_impl->stop.store(true); }

void PipelineRunner::join() {
    if (m_impl->thread.joinable())
        m_impl->thread.join();
}

bool PipelineRunner::finished() const { return m_impl->done.load(); }

Status PipelineRunner::runHere() {
    m_impl->snap.active = true;
    m_impl->threadMain();
    return m_impl->finalStatus;
}

PipelineSnapshot PipelineRunner::snapshot() const {
    std::lock_guard lock(m_impl->snapMutex);
    return m_impl->snap;
}

} // namespace sluice::pipeline
