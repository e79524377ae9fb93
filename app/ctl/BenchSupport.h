#pragma once
// Helpers of `sluicectl bench` (BenchCommand.cpp): the embedded broker in a child process, a
// producer of custom payment rows, a scratch folder, and process resource probes.
//
// Threading: each object belongs to one thread, except RssSampler, which runs its own.

#include "common/Result.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <sys/types.h>
#include <thread>
#include <vector>

struct rd_kafka_s;
struct rd_kafka_topic_s;

namespace sluicectl::bench {

// `sluicectl broker` started from this executable, so the broker's CPU and memory stay out of
// the engine's figures. Stopped (SIGTERM, then waited for) when destroyed; the child also gets
// SIGTERM if this process dies first.
class BrokerProcess {
public:
    static sluice::Result<std::unique_ptr<BrokerProcess>> start(const std::vector<std::string>& topics,
                                                                int brokers);
    ~BrokerProcess();
    BrokerProcess(const BrokerProcess&) = delete;
    BrokerProcess& operator=(const BrokerProcess&) = delete;

    const std::string& bootstrap() const { return m_bootstrap; }
    // user + system CPU seconds the broker has used so far; -1 when unreadable.
    double cpuSeconds() const;

private:
    BrokerProcess() = default;
    pid_t m_pid = -1;
    std::string m_bootstrap;
};

// An idempotent lz4 producer (compressed batches keep the mock broker's small per-partition
// retention from dropping the backlog). Delivery reports are served by poll()/flush() on the
// owning thread.
class Producer {
public:
    static sluice::Result<std::unique_ptr<Producer>> open(const std::string& bootstrap,
                                                          const std::string& topic, int lingerMs);
    ~Producer();
    Producer(const Producer&) = delete;
    Producer& operator=(const Producer&) = delete;

    // Queues one message (copied), waiting for room when the local queue is full.
    sluice::Status produce(std::string_view key, std::string_view value);
    void poll() const;
    // Waits until every queued message is acknowledged or failed (bounded by message.timeout.ms).
    sluice::Status flush();
    int64_t acknowledged() const { return m_delivery->acknowledged; }

    struct Delivery {
        int64_t acknowledged = 0;
        int64_t failed = 0;
        int firstError = 0;
    };

private:
    Producer() = default;
    struct KafkaDeleter {
        void operator()(rd_kafka_s* rk) const;
        void operator()(rd_kafka_topic_s* rkt) const;
    };
    std::unique_ptr<Delivery> m_delivery = std::make_unique<Delivery>(); // librdkafka holds a pointer
    std::unique_ptr<rd_kafka_s, KafkaDeleter> m_rk;
    std::unique_ptr<rd_kafka_topic_s, KafkaDeleter> m_topic; // destroyed before m_rk
};

// A fresh folder under $TMPDIR (or /tmp), removed with its contents when destroyed.
class TempDir {
public:
    static sluice::Result<TempDir> create(const std::string& prefix);
    TempDir(TempDir&& other) noexcept : m_path(std::move(other.m_path)) { other.m_path.clear(); }
    TempDir& operator=(TempDir&&) = delete;
    TempDir(const TempDir&) = delete;
    ~TempDir();
    const std::string& path() const { return m_path; }

private:
    explicit TempDir(std::string path) : m_path(std::move(path)) {}
    std::string m_path;
};

// Samples this process's VmRSS every 100 ms on its own thread between start() and stop().
class RssSampler {
public:
    RssSampler() = default;
    ~RssSampler() { stop(); }
    RssSampler(const RssSampler&) = delete;
    RssSampler& operator=(const RssSampler&) = delete;
    void start();
    void stop();
    // Peak RSS in bytes between start() and stop(): the kernel's VmHWM, reset at start() through
    // /proc/self/clear_refs; where that fails, the largest 100 ms sample.
    int64_t peakBytes() const { return m_peak.load(); }

private:
    std::atomic<bool> m_running{false};
    std::atomic<int64_t> m_peak{0};
    bool m_exact = false; // VmHWM was reset at start()
    std::thread m_thread;
};

// VmRSS / VmHWM of this process in bytes; -1 when unreadable.
int64_t currentRssBytes();
int64_t peakRssBytes();
// user + system CPU seconds of this process (getrusage RUSAGE_SELF).
double processCpuSeconds();
// Nearest-rank percentile (q in [0, 1]) of sorted values; 0 when empty.
double percentile(const std::vector<double>& sorted, double q);
// Milliseconds since the epoch (the clock written into the ts column).
int64_t epochMs();

} // namespace sluicectl::bench
