#pragma once
// Private to engine/pipeline: the state of one PipelineRunner, shared by PipelineRunner.cpp (the
// runner thread: collect and cut batches, offsets, lifecycle) and BatchLoad.cpp (plan, build,
// load, commit and recovery of batches). See PipelineRunner.h for the contract.

#include "pipeline/PipelineRunner.h"

#include "common/ThreadName.h"

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

namespace runner_detail {

inline double secondsSince(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

inline std::string conflictClause(sql::ErrorPolicy p) {
    switch (p) {
    case sql::ErrorPolicy::Replace:
        return "OR REPLACE";
    case sql::ErrorPolicy::Ignore:
    case sql::ErrorPolicy::SkipAll:
    case sql::ErrorPolicy::SkipDuplicateKey:
        return "OR IGNORE";
    default:
        return "";
    }
}

inline bool skipsParserErrors(sql::ErrorPolicy p) {
    return p == sql::ErrorPolicy::SkipParser || p == sql::ErrorPolicy::SkipAll ||
           p == sql::ErrorPolicy::Ignore;
}

// The messages of one partition in a batch, in offset order.
struct PartitionMessages {
    int32_t partition = -1;
    std::vector<KafkaMessage> messages;
    // Rows and payload bytes of these messages already built while collecting (streamed batch).
    int64_t builtRows = 0;
    int64_t builtBytes = 0;
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
    // Built while collecting (see collect()): rows and arena are complete, every text value is
    // in the arena, and the messages are only kept until the load starts. deferredErrors are
    // the skipped records, recorded once the batch has an id.
    bool prebuilt = false;
    std::vector<ErrorRecord> deferredErrors;
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
        prebuilt = false;
        deferredErrors.clear();
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

} // namespace runner_detail

using namespace runner_detail;

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
    std::map<int32_t, int64_t> cursors;   // committed next offsets
    std::map<int32_t, int64_t> positions; // next offset to accept from the consumer
    std::map<int32_t, std::pair<int64_t, int64_t>> watermarks;
    std::map<int32_t, int64_t> planEnds; // where the next planned range of a partition starts
    std::vector<KafkaMessage> carry;     // read but not yet in a batch
    std::vector<source::PartitionEvent> pendingEvents; // to handle at the next batch boundary
    Clock::time_point lastMetadata{};
    size_t nextBatchCap = 0; // message cap of the next batch (slow start, see collect())
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
    Accept classify(int32_t p, int64_t offset, int64_t expected);

    void setSnapshot(const std::function<void(PipelineSnapshot&)>& fn) {
        std::lock_guard lock(snapMutex);
        fn(snap);
    }

    bool sleepUnlessStopped(std::chrono::milliseconds d);

    Status load();

    // Fresh metadata and watermarks; new partitions get cursors at their earliest offset.
    Status refreshPartitions(bool force);

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

    Status reassign();

    void publishPartitions();

    // Applies a pending offset change at this batch boundary, after the batch in flight.
    Status applyOffsetRequests();

    Status handleEvents(const std::vector<source::PartitionEvent>& events);

    // Collects the next batch's messages into next.batch: waits for the batch interval when the
    // previous batch was not full, stops at the per-partition and memory limits, and closes early
    // once caught up. Commits the batch in flight as soon as its load is done.
    // Streaming: a plain CSV pipeline (no transform, no SET/WHERE, so no row depends on the
    // batch id) builds each message's rows as it is accepted, while the message is still in the
    // cache, and copies its values so the messages can be freed before the load (next.prebuilt).
    // A record that stops the batch (no SKIP ... ERRORS) ends streaming for the batch: its rows
    // are dropped and buildRows() builds it again after planning, which reports the error.
    Status collect(PreparedBatch& next, bool& full, bool& caughtUp, Clock::time_point lastStart);

    // Builds the rows of the message just appended to g (streaming, see collect()).
    void buildStreamed(PreparedBatch& b, PartitionMessages& g);

    // The error record of a message whose rows could not be built.
    ErrorRecord parseError(int32_t partition, int64_t offset, std::string_view value,
                           const Status& why, bool skipped, int64_t batchId) const;

    bool reloadNeeded() {
        auto row = catalog->get(name);
        return row.ok() && row->has_value() && (*row)->generation != generation;
    }

    // Builds the rows of a prepared batch (ranges set; their rows and bytes are recounted).
    Status buildRows(PreparedBatch& b, double& transformSeconds);

    // Step 3 for every shard with rows, in parallel, one thread per shard. Runs on the loader
    // task or the runner thread; reads only b and the writers (used by one task at a time).
    Status writeShards(PreparedBatch& b);

    bool anyShardHasMarker(int64_t batchId);

    std::unique_ptr<PreparedBatch> takeBuffers();

    // Steps 1 and 2: plans a new batch (b.ranges empty; b.batch not empty) or takes a recovered
    // one as planned (b.batchId and b.ranges set), then builds its rows, with retries.
    Status prepareBatch(PreparedBatch& b);

    static std::chrono::milliseconds backoff(int64_t attempt);

    // Step 4 for a batch whose shard commits are done.
    Status commitPrepared(PreparedBatch& b);

    // Marks a planned batch failed, unless some shard applied it (then it must stay planned and
    // be completed by recovery, or the rows it loaded would be loaded again under a new batch).
    void failPlanned(PreparedBatch& b, const Status& why);

    // Finishes a batch whose shard load returned loadStatus: retries the load (rows are kept) and
    // the catalog commit up to MAX_RETRIES_PER_BATCH_PARTITION times.
    Status completeBatch(PreparedBatch& b, Status loadStatus);

    // Starts step 3 of b on the loader task. The batch in flight must be finished first.
    void launch(std::unique_ptr<PreparedBatch> b);

    // Waits for the batch in flight and commits it (or fails it). No-op when none.
    Status finishInFlight();

    Status pumpInFlight();

    // Runs a recovered batch start to end on this thread.
    Status runRecovered(std::unique_ptr<PreparedBatch> b);

    // Redoes batches that a previous run planned but did not finish, with the same ranges, in
    // id order (see "Pipelining" above for which plans are redone).
    Status recover();

    Status run();

    void threadMain();
};

} // namespace sluice::pipeline
