// Plan, build, load and commit of batches, and recovery of planned batches: the exactly-once
// protocol of engine/README.md. Runs on the runner thread, except the shard writes of a launched
// batch, which run on the loader task (see the pipelining notes in RunnerImpl.h).
#include "pipeline/RunnerImpl.h"

namespace sluice::pipeline {

Status PipelineRunner::Impl::buildRows(PreparedBatch& b, double& transformSeconds) {
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
            MessageMeta meta{g.partition,
                             offset,
                             fullMeta ? m.timestampMs() : -1,
                             fullMeta ? m.key() : std::string_view(),
                             spec.topic,
                             batchId};
            size_t added = 0;
            Status st = builder->add(value, meta, b.shards, b.arena, added);
            if (!st.ok()) {
                ErrorRecord rec = parseError(g.partition, offset, value, st, skipErrors, batchId);
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

ErrorRecord PipelineRunner::Impl::parseError(int32_t partition, int64_t offset, std::string_view value,
                                             const Status& why, bool skipped, int64_t batchId) const {
    ErrorRecord rec;
    rec.code = static_cast<int>(ErrorCode::Parse);
    rec.type = skipped ? "Warning" : "Error";
    rec.message = "partition " + std::to_string(partition) + " offset " + std::to_string(offset) +
                  ": " + why.message() + (skipped ? " (skipped: SKIP PARSER ERRORS)" : "");
    rec.loadDataLine = std::string(value.substr(0, 4096));
    if (batchId > 0)
        rec.batchId = batchId;
    rec.partition = partition;
    rec.earliestOffset = offset;
    rec.latestOffset = offset + 1;
    return rec;
}

void PipelineRunner::Impl::buildStreamed(PreparedBatch& b, PartitionMessages& g) {
    const KafkaMessage& m = g.messages.back();
    const std::string_view value = m.value();
    const int64_t offset = m.offset();
    g.builtBytes += static_cast<int64_t>(value.size());
    MessageMeta meta{g.partition, offset, -1, {}, spec.topic, 0};
    size_t added = 0;
    Status st = builder->add(value, meta, b.shards, b.arena, added, /*copyText=*/true);
    if (st.ok()) {
        g.builtRows += static_cast<int64_t>(added);
        return;
    }
    if (skipsParserErrors(spec.errorPolicy)) {
        b.deferredErrors.push_back(parseError(g.partition, offset, value, st, true, 0));
        return;
    }
    // This batch stops here: buildRows() builds it again after planning and reports the error.
    b.prebuilt = false;
    for (auto& s : b.shards)
        s.clear();
    b.arena.clear();
    b.deferredErrors.clear();
}

Status PipelineRunner::Impl::writeShards(PreparedBatch& b) {
    const size_t n = b.shards.size();
    std::vector<Status> results(n);
    std::vector<int> wrote(n, 0);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < n; ++i) {
        const ShardRows& rows = b.reference ? b.shards[0] : b.shards[i];
        if (rows.rows == 0)
            continue;
        threads.emplace_back([&, i, rowsPtr = &rows] {
            setThreadName("sl-shard" + std::to_string(i));
            auto r = writers[i]->commit(name, b.batchId, b.table, b.columns, b.conflict, *rowsPtr);
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
            return Status(results[i].code(),
                          "shard " + std::to_string(i) + ": " + results[i].message());
    }
    return {};
}

bool PipelineRunner::Impl::anyShardHasMarker(int64_t batchId) {
    for (auto& w : writers) {
        auto h = w->hasMarker(batchId);
        if (h.ok() && *h)
            return true;
    }
    return false;
}

std::unique_ptr<PreparedBatch> PipelineRunner::Impl::takeBuffers() {
    std::unique_ptr<PreparedBatch> b = spare ? std::move(spare) : std::make_unique<PreparedBatch>();
    b->reset(static_cast<size_t>(store->shardCount()));
    return b;
}

Status PipelineRunner::Impl::prepareBatch(PreparedBatch& b) {
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
                rec.message = "offsets [" + std::to_string(r.start) + ", " + std::to_string(first) +
                              ") of partition " + std::to_string(g.partition) +
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
    if (b.prebuilt) {
        // Planned just above from b.batch, so ranges and groups are in the same order.
        for (size_t i = 0; i < b.ranges.size() && i < b.batch.size(); ++i) {
            b.ranges[i].rows = b.batch[i].builtRows;
            b.ranges[i].bytes = b.batch[i].builtBytes;
        }
        for (auto& rec : b.deferredErrors) {
            rec.batchId = b.batchId;
            (void)catalog->recordError(name, rec);
        }
        b.deferredErrors.clear();
        return {};
    }
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

std::chrono::milliseconds PipelineRunner::Impl::backoff(int64_t attempt) {
    return std::chrono::milliseconds(
        std::min<int64_t>(5000, 100LL << std::min<int64_t>(attempt, 6)));
}

Status PipelineRunner::Impl::commitPrepared(PreparedBatch& b) {
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

void PipelineRunner::Impl::failPlanned(PreparedBatch& b, const Status& why) {
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

Status PipelineRunner::Impl::completeBatch(PreparedBatch& b, Status loadStatus) {
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

void PipelineRunner::Impl::launch(std::unique_ptr<PreparedBatch> b) {
    PreparedBatch* raw = b.get();
    inFlight = std::move(b);
    inFlightLoad = std::async(std::launch::async, [this, raw] {
        setThreadName("sl-load");
        if (raw->prebuilt)
            raw->batch.clear(); // every value is in the arena: free the messages before loading
        auto t0 = Clock::now();
        Status st = writeShards(*raw);
        raw->loadSeconds = secondsSince(t0);
        if (st.ok())
            raw->batch.clear(); // the rows are stored: free the messages off the runner thread
        return st;
    });
}

Status PipelineRunner::Impl::finishInFlight() {
    if (!inFlight)
        return {};
    Status loadStatus = inFlightLoad.get();
    std::unique_ptr<PreparedBatch> b = std::move(inFlight);
    Status st = completeBatch(*b, loadStatus);
    b->batch.clear(); // messages must not outlive their use (rd_kafka_destroy waits for them)
    spare = std::move(b);
    return st;
}

Status PipelineRunner::Impl::pumpInFlight() {
    if (inFlight && inFlightLoad.wait_for(std::chrono::seconds(0)) == std::future_status::ready)
        return finishInFlight();
    return {};
}

Status PipelineRunner::Impl::runRecovered(std::unique_ptr<PreparedBatch> b) {
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

Status PipelineRunner::Impl::recover() {
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
                return Status(ErrorCode::Timeout,
                              "could not re-read batch " + std::to_string(batchId));
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
            rec.message = anyMarker
                              ? "batch " + std::to_string(batchId) +
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

} // namespace sluice::pipeline
