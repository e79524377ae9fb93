#pragma once
// FetchWaker (private to engine/source): works around a stall of librdkafka 2.0.2's consumer.
//
// librdkafka stops fetching a partition once the consumer queue holds queued.min.messages or
// queued.max.messages.kbytes, and reconsiders only when its broker thread next wakes up: up to
// a second later when nothing else happens on that broker (2.1 added fetch.queue.backoff.ms for
// exactly this). While a backlog drains, the queue fills during every batch, so each batch
// would be followed by up to a second of idle waiting.
//
// The waker watches from its own thread: when the queue, after coming near one of those limits,
// has been drained below 60% of them, nothing has arrived for a few milliseconds and an assigned
// partition is still behind its high watermark, it sends one ListOffsets request to each lagging
// partition's leader (rd_kafka_query_watermark_offsets). The request wakes that broker thread,
// which then decides again whether to fetch, and fetching resumes while the application still
// works through the rest of the queue. A consumer whose queue never fills (caught up, or a slow topic) is never
// nudged: the requests would only slow its fetches down.
//
// Threading: setAssignment() and setLeaders() from the consumer's owning thread; the rest runs
// on the waker's thread. The rd_kafka_t and queue must outlive the waker.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>

struct rd_kafka_s;
struct rd_kafka_queue_s;

namespace sluice::source::detail {

class FetchWaker {
public:
    FetchWaker(rd_kafka_s* rk, rd_kafka_queue_s* queue, std::string topic);
    ~FetchWaker();
    FetchWaker(const FetchWaker&) = delete;
    FetchWaker& operator=(const FetchWaker&) = delete;

    // The partitions being read and where reading started.
    void setAssignment(const std::map<int32_t, int64_t>& startOffsets);
    // Leader broker id per partition, from the latest metadata.
    void setLeaders(const std::map<int32_t, int32_t>& leaders);

    // Nudges sent so far (for tests and diagnostics).
    int64_t nudges() const;

    // Messages handed to the application so far (called by the consumer's owning thread).
    void delivered(size_t n, size_t bytes) {
        m_delivered.fetch_add(static_cast<int64_t>(n));
        m_deliveredBytes.fetch_add(static_cast<int64_t>(bytes));
    }

private:
    void run();

    rd_kafka_s* m_rk;
    rd_kafka_queue_s* m_queue;
    std::string m_topic;
    double m_stopMessages = 1; // queued.min.messages
    double m_stopBytes = 1;    // queued.max.messages.kbytes, in bytes

    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_stop = false;
    std::map<int32_t, int64_t> m_assigned;
    std::map<int32_t, int32_t> m_leaders;
    int64_t m_nudges = 0;
    std::atomic<int64_t> m_delivered{0};
    std::atomic<int64_t> m_deliveredBytes{0};
    bool m_armed = false;   // the queue came near a limit since the last nudge
    std::thread m_thread; // last: starts after every other member exists
};

} // namespace sluice::source::detail
