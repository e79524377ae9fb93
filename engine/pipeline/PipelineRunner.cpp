// The runner thread of a pipeline: collecting and cutting batches, offset changes, broker
// trouble, and the runner's lifecycle. Batches themselves are handled in BatchLoad.cpp.
#include "pipeline/RunnerImpl.h"

namespace sluice::pipeline {

PipelineRunner::Impl::Accept PipelineRunner::Impl::classify(int32_t p, int64_t offset,
                                                            int64_t expected) {
    if (offset < expected)
        return Accept::Skip;
    if (offset == expected) {
        if (!gapTries.empty()) // the usual case: no gap pending anywhere, no lookup
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

bool PipelineRunner::Impl::sleepUnlessStopped(std::chrono::milliseconds d) {
    auto until = Clock::now() + d;
    while (Clock::now() < until) {
        if (stop.load())
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return !stop.load();
}

Status PipelineRunner::Impl::load() {
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
        source::KafkaSourceOptions o{spec.brokers, spec.topic, spec.configJson,
                                     spec.credentialsJson, "sluice-" + name};
        auto src = source::KafkaSource::open(o);
        if (!src.ok())
            return src.status();
        source = std::move(*src);
    }
    return {};
}

Status PipelineRunner::Impl::refreshPartitions(bool force) {
    if (!force && secondsSince(lastMetadata) < 2.0)
        return {};
    lastMetadata = Clock::now();
    // The broker being away is not the pipeline's failure: it stalls (the monitor shows
    // the reason) and carries on when the broker answers again.
    auto stalled = [&](const Status& st) {
        setSnapshot(
            [&](PipelineSnapshot& s) { s.lastError = "waiting for the broker: " + st.message(); });
        return Status();
    };
    auto marks = source->watermarks(5000);
    if (!marks.ok())
        return stalled(marks.status());
    std::map<int32_t, std::pair<int64_t, int64_t>> wm;
    for (auto& [p, w] : *marks)
        wm[p] = {w.low, w.high};
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

Status PipelineRunner::Impl::reassign() {
    SLUICE_TRY(finishInFlight());
    carry.clear();
    positions = cursors;
    planEnds = cursors;
    return source->assign(cursors);
}

void PipelineRunner::Impl::publishPartitions() {
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

Status PipelineRunner::Impl::applyOffsetRequests() {
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

Status PipelineRunner::Impl::handleEvents(const std::vector<source::PartitionEvent>& events) {
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
            rec.message = "data lost: offsets [" + std::to_string(from) + ", " +
                          std::to_string(to) + ") of partition " + std::to_string(e.partition) +
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

Status PipelineRunner::Impl::collect(PreparedBatch& next, bool& full, bool& caughtUp,
                                     Clock::time_point lastStart) {
    Batch& batch = next.batch;
    batch.clear();
    next.prebuilt = !spec.transform && !builder->usesMessageMeta();
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
    // Slow start: after an idle spell the first batches are small, so loading starts while the
    // rest of a backlog is still being read; each full batch doubles the cap up to the limit.
    const size_t batchCap = std::max<size_t>(1, std::min(options.maxBatchMessages, nextBatchCap));
    if (next.prebuilt && !next.shards.empty()) {
        // Room for an even share of the batch's rows per shard, plus a quarter, so that the cells
        // are not copied over and over while their vectors grow (kept for the next batches).
        const size_t rowsPerShard = (batchCap / next.shards.size() + 1) * 5 / 4;
        const size_t perShard = rowsPerShard * builder->targetColumns().size();
        for (auto& s : next.shards)
            if (s.cells.capacity() < perShard)
                s.cells.reserve(perShard);
    }
    // Every position at the highest watermark seen (fetch responses or the last refresh).
    auto atHighWatermarks = [&] {
        for (auto& [p, pos] : positions) {
            int64_t hw = source->cachedHighWatermark(p);
            auto it = watermarks.find(p);
            if (it != watermarks.end())
                hw = std::max(hw, it->second.second);
            if (hw > pos)
                return false;
        }
        return true;
    };
    std::vector<KafkaMessage> incoming = std::move(carry);
    carry.clear();
    const auto interval =
        std::chrono::milliseconds(std::max<int64_t>(0, spec.options.batchIntervalMs));
    const auto intervalEnd = lastStart + interval;
    const auto now = Clock::now();
    const auto cutAt = intervalEnd > now
                           ? intervalEnd
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
            if (messages >= batchCap || bytes >= options.maxBatchBytes ||
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
            PartitionMessages& group = batch[static_cast<size_t>(s->group)];
            group.messages.push_back(std::move(m));
            if (next.prebuilt)
                buildStreamed(next, group);
            ++messages;
            ++accepted;
        }
        // A capped partition means a backlog: once the others stop adding, cut the batch
        // without waiting for the interval, and start the next one at once.
        if (hadIncoming && accepted == 0 && cappedCount > 0 && messages > 0)
            full = true;
        if (messages >= batchCap)
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
        // Caught up (as far as the last fetch responses tell) and the interval is over: cut now
        // rather than wait in poll() for messages that are not there.
        if (messages > 0 && Clock::now() >= intervalEnd && atHighWatermarks())
            break;
        size_t room = batchCap - messages;
        // Short waits while a batch loads, so it commits (and becomes visible) as soon as it is
        // stored rather than when the next message arrives.
        SLUICE_TRY(source->poll(incoming, std::min<size_t>(room, 10000), inFlight ? 2 : 50, events));
        for (auto& e : events)
            if (e.kind != source::PartitionEvent::Kind::PartitionEof)
                pendingEvents.push_back(e);
        if (!incoming.empty())
            continue;
        const bool atEnd = atHighWatermarks();
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
    // A batch that was not full keeps a cap of twice what it held: a steady stream keeps its
    // batch size (a fall back to the smallest cap would load it in many small batches, each with
    // its own commits, and fall behind), while an idle spell still brings the slow start back.
    nextBatchCap = full ? batchCap * 2
                        : std::clamp(messages * 2, options.maxBatchMessages / 8, options.maxBatchMessages);
    std::sort(batch.begin(), batch.end(),
              [](const PartitionMessages& a, const PartitionMessages& b) {
                  return a.partition < b.partition;
              });
    return {};
}

Status PipelineRunner::Impl::run() {
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
    SLUICE_TRY(applyOffsetRequests());
    SLUICE_TRY(recover());
    SLUICE_TRY(reassign());
    // Watermarks (and partitions new since the last run, which then get cursors and a new
    // assignment) only after the assignment: their first queries wait for broker connections,
    // which the fetch meanwhile puts to use.
    SLUICE_TRY(refreshPartitions(true));
    publishPartitions();
    auto lastStart = Clock::now() - std::chrono::hours(1);
    nextBatchCap = options.maxBatchMessages / 8;
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
        auto next = takeBuffers();
        SLUICE_TRY(collect(*next, full, caughtUp, lastStart));
        if (next->batch.empty()) {
            spare = std::move(next);
            if (options.stopWhenCaughtUp && caughtUp)
                break;
            continue;
        }
        lastStart = full ? Clock::now() - std::chrono::hours(1) : t0;
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

void PipelineRunner::Impl::threadMain() {
    setThreadName("sl-run " + name);
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

PipelineRunner::PipelineRunner(std::shared_ptr<store::Store> store, std::string name,
                               RunnerOptions options)
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

void PipelineRunner::requestStop() {
    m_impl->stop.store(true);
}

void PipelineRunner::join() {
    if (m_impl->thread.joinable())
        m_impl->thread.join();
}

bool PipelineRunner::finished() const {
    return m_impl->done.load();
}

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
