#pragma once
// Running pipelines. A PipelineRunner runs one pipeline on its own thread: extract a
// micro-batch from Kafka, plan it in the catalog, parse/transform/route its rows, commit each
// shard with its batch marker, then commit the cursors (see engine/README.md, exactly-once).
// An Engine owns the store's runner lock and the runners of every pipeline whose state is
// Running, following the catalog (START/STOP/DROP/ALTER made by any process).
//
// Threading: Engine's functions are called from one owner thread (the app's bridge or
// sluicectl run); snapshots are value copies safe to read from that thread.

#include "common/Result.h"
#include "pipeline/PipelineCatalog.h"
#include "store/Sqlite.h"
#include "store/SqlSession.h"
#include "store/Store.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sluice::pipeline {

struct PartitionSnapshot {
    int32_t partition = 0;
    int64_t cursor = 0;        // committed: next offset to load
    int64_t lowWatermark = -1;
    int64_t highWatermark = -1; // last seen; -1 unknown
    int64_t lag() const { return highWatermark < 0 ? 0 : std::max<int64_t>(0, highWatermark - cursor); }
};

struct PipelineSnapshot {
    std::string name;
    std::string state;       // Running, Stopped, Error
    bool active = false;     // its thread is running
    int64_t batches = 0;     // committed by this runner
    int64_t rows = 0;        // loaded by this runner
    int64_t bytes = 0;
    int64_t failedBatches = 0;
    double lastBatchSeconds = 0;
    double lastExtractSeconds = 0;
    double lastTransformSeconds = 0;
    double lastLoadSeconds = 0;
    std::string lastError;
    std::vector<PartitionSnapshot> partitions;
    int64_t lag() const {
        int64_t l = 0;
        for (auto& p : partitions)
            l += p.lag();
        return l;
    }
};

struct RunnerOptions {
    int64_t limitBatches = -1;               // stop after this many batches (FOREGROUND LIMIT)
    bool stopWhenCaughtUp = false;           // foreground: stop once nothing is left to read
    std::chrono::milliseconds transformTimeout{60000};
    // Memory bound per batch, whatever the lag. While a backlog drains, smaller batches also
    // overlap collecting and loading better; 100k measured faster than 50k and 200k.
    size_t maxBatchMessages = 100000;
    size_t maxBatchBytes = 64u << 20;
};

class PipelineRunner {
public:
    PipelineRunner(std::shared_ptr<store::Store> store, std::string name, RunnerOptions options = {});
    ~PipelineRunner(); // requests stop and joins
    PipelineRunner(const PipelineRunner&) = delete;
    PipelineRunner& operator=(const PipelineRunner&) = delete;

    void start();
    void requestStop();   // finishes or abandons the current batch; never leaves it half-done
    void join();
    bool finished() const;
    // Runs on the calling thread until done (FOREGROUND); the final status.
    Status runHere();

    PipelineSnapshot snapshot() const;
    const std::string& name() const { return m_name; }

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
    std::string m_name;
};

class Engine {
public:
    // Takes the store's runner lock (Locked error naming the holder otherwise).
    static Result<std::unique_ptr<Engine>> open(std::shared_ptr<store::Store> store,
                                                const std::string& holderDescription);
    ~Engine(); // stops every runner

    // Starts runners for pipelines in state Running (restricted to `only` when not empty),
    // stops runners of pipelines that were stopped or dropped, restarts runners whose pipeline
    // failed and was started again. Call a few times a second.
    Status poll(const std::vector<std::string>& only = {});
    std::vector<PipelineSnapshot> snapshots() const;
    void stopAll();
    const std::shared_ptr<store::Store>& store() const { return m_store; }

private:
    Engine() = default;
    std::shared_ptr<store::Store> m_store;
    std::unique_ptr<store::RunnerLock> m_lock;
    std::map<std::string, std::unique_ptr<PipelineRunner>> m_runners;
    std::unique_ptr<store::SqlSession> m_catalogSession;

    // A pipeline without a runner (Stopped, Error) would show the lag of the moment it stopped
    // for ever; poll() records fresh high watermarks for it every few seconds instead.
    struct WatermarkWatch;
    void watchWatermarks(const std::vector<PipelineRow>& rows);
    std::map<std::string, std::unique_ptr<WatermarkWatch>> m_watches;
    store::DbHandle m_watchDb; // the catalog, for watermark updates
};

// START PIPELINE p FOREGROUND [LIMIT n BATCHES]: runs here until caught up (or n batches);
// returns the number of batches. Needs the runner lock.
Result<int64_t> runForeground(std::shared_ptr<store::Store> store, const std::string& name,
                              int64_t limitBatches);
// TEST PIPELINE p [LIMIT n]: extract, transform and parse up to n messages from the cursors;
// writes nothing. A result set of the parsed rows in the table's columns.
Result<store::ExecResult> testPipeline(std::shared_ptr<store::Store> store, const PipelineRow& row,
                                       int64_t limit);
// EXTRACT PIPELINE p INTO OUTFILE 'f': writes up to one batch of raw messages from the cursors.
Result<store::ExecResult> extractPipeline(std::shared_ptr<store::Store> store, const PipelineRow& row,
                                          const std::string& outfile);
// SET OFFSETS AT 'time': first offset per partition whose timestamp is at or after the time.
Result<std::map<int32_t, int64_t>> offsetsAtTime(const sql::PipelineSpec& spec, const std::string& when);

} // namespace sluice::pipeline
