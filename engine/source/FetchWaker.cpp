#include "source/FetchWaker.h"

#include "common/ThreadName.h"
#include "source/KafkaHandles.h"

#include <chrono>
#include <cstdlib>
#include <set>
#include <vector>

namespace sluice::source::detail {

namespace {
// How often the queue is looked at, and the shortest time between two nudges.
constexpr auto kCheckEvery = std::chrono::milliseconds(5);
constexpr auto kMinGap = std::chrono::milliseconds(20);
// How long the queue must stay unchanged before the fetcher counts as stopped.
constexpr auto kQuiet = std::chrono::milliseconds(5);
constexpr int kQueryTimeoutMs = 500; // also bounds how long destruction may wait
} // namespace

FetchWaker::FetchWaker(rd_kafka_s* rk, rd_kafka_queue_s* queue, std::string topic)
    : m_rk(rk), m_queue(queue), m_topic(std::move(topic)) {
    // Nudge once the queue is below half of what makes librdkafka stop fetching.
    char value[64] = {};
    size_t size = sizeof(value);
    long minMessages = 100000;
    if (rd_kafka_conf_get(rd_kafka_conf(rk), "queued.min.messages", value, &size) == RD_KAFKA_CONF_OK)
        minMessages = std::max(2L, std::atol(value));
    m_lowWater = static_cast<size_t>(minMessages / 2);
    size = sizeof(value);
    long maxKbytes = 65536;
    if (rd_kafka_conf_get(rd_kafka_conf(rk), "queued.max.messages.kbytes", value, &size) == RD_KAFKA_CONF_OK)
        maxKbytes = std::max(1L, std::atol(value));
    m_lowBytes = static_cast<int64_t>(maxKbytes) * 1024 / 2;
    m_thread = std::thread([this] { run(); });
}

FetchWaker::~FetchWaker() {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_wake.notify_all();
    m_thread.join();
}

void FetchWaker::setAssignment(const std::map<int32_t, int64_t>& startOffsets) {
    std::lock_guard lock(m_mutex);
    m_assigned = startOffsets;
}

void FetchWaker::setLeaders(const std::map<int32_t, int32_t>& leaders) {
    std::lock_guard lock(m_mutex);
    m_leaders = leaders;
}

int64_t FetchWaker::nudges() const {
    std::lock_guard lock(m_mutex);
    return m_nudges;
}

void FetchWaker::run() {
    setThreadName("sl-fetchwake");
    auto lastNudge = std::chrono::steady_clock::now() - kMinGap;
    auto activeAt = std::chrono::steady_clock::now();
    size_t lastLength = 0;
    int64_t lastDelivered = 0;
    std::unique_lock lock(m_mutex);
    while (!m_stop) {
        m_wake.wait_for(lock, kCheckEvery);
        if (m_stop || m_assigned.empty())
            continue;
        // Only a quiet consumer can be stalled: nothing arrived in the queue and nothing was
        // taken from it for a while. A flowing consumer (however slow) is left alone; nudging
        // it would only put ListOffsets requests between its fetches.
        const auto now = std::chrono::steady_clock::now();
        const size_t length = rd_kafka_queue_length(m_queue);
        const int64_t delivered = m_delivered.load();
        // Armed once the queue came near one of librdkafka's limits (bytes estimated from the
        // messages delivered so far): only then can the fetcher have stopped for a full queue.
        const int64_t averageBytes = delivered > 0 ? std::max<int64_t>(1, m_deliveredBytes.load() / delivered) : 1;
        if (length >= m_lowWater || static_cast<int64_t>(length) * averageBytes >= m_lowBytes)
            m_armed = true;
        if (length != lastLength || delivered != lastDelivered)
            activeAt = now;
        lastLength = length;
        lastDelivered = delivered;
        if (!m_armed || now - activeAt < kQuiet || now - lastNudge < kMinGap)
            continue;
        if (length >= m_lowWater)
            continue;
        std::map<int32_t, int64_t> assigned = m_assigned;
        std::map<int32_t, int32_t> leaders = m_leaders;
        lock.unlock();

        // Which assigned partitions are behind their high watermark, as last seen in a fetch
        // response? rd_kafka_position() is the offset after the last message handed out.
        PartitionListHandle list(rd_kafka_topic_partition_list_new(static_cast<int>(assigned.size())));
        for (const auto& [p, start] : assigned)
            rd_kafka_topic_partition_list_add(list.get(), m_topic.c_str(), p);
        std::vector<int32_t> lagging;
        if (rd_kafka_position(m_rk, list.get()) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            for (int i = 0; i < list->cnt; ++i) {
                const auto& e = list->elems[i];
                int64_t at = e.offset >= 0 ? e.offset : assigned[e.partition];
                int64_t low = -1;
                int64_t high = -1;
                if (rd_kafka_get_watermark_offsets(m_rk, m_topic.c_str(), e.partition, &low, &high) ==
                        RD_KAFKA_RESP_ERR_NO_ERROR &&
                    at >= 0 && high > at)
                    lagging.push_back(e.partition);
            }
        }
        // One request per leader wakes that broker's thread for all its partitions.
        std::set<int32_t> woken;
        bool nudged = false;
        for (int32_t p : lagging) {
            auto it = leaders.find(p);
            if (it != leaders.end() && !woken.insert(it->second).second)
                continue;
            int64_t low = -1;
            int64_t high = -1;
            (void)rd_kafka_query_watermark_offsets(m_rk, m_topic.c_str(), p, &low, &high,
                                                   kQueryTimeoutMs);
            nudged = true;
        }
        lock.lock();
        if (nudged) {
            m_armed = false;
            ++m_nudges;
            lastNudge = std::chrono::steady_clock::now();
        }
    }
}

} // namespace sluice::source::detail
