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
// The queue counts as near a limit (the fetcher may have stopped) from kArmAt of it, and is
// refilled once it fell below kRefillAt of both limits: early enough that fetching overlaps the
// application's work on the rest of the queue instead of alternating with it.
constexpr double kArmAt = 0.85;
constexpr double kRefillAt = 0.6;
// How long nothing new may arrive in the queue before the fetcher counts as stopped. A fetcher
// that is still working is left alone even when armed: requests between its fetches slow it.
constexpr auto kQuiet = std::chrono::milliseconds(8);
constexpr int kQueryTimeoutMs = 500; // also bounds how long destruction may wait
} // namespace

FetchWaker::FetchWaker(rd_kafka_s* rk, rd_kafka_queue_s* queue, std::string topic)
    : m_rk(rk), m_queue(queue), m_topic(std::move(topic)) {
    // The limits that make librdkafka stop fetching.
    char value[64] = {};
    size_t size = sizeof(value);
    long minMessages = 100000;
    if (rd_kafka_conf_get(rd_kafka_conf(rk), "queued.min.messages", value, &size) == RD_KAFKA_CONF_OK)
        minMessages = std::max(2L, std::atol(value));
    m_stopMessages = static_cast<double>(minMessages);
    size = sizeof(value);
    long maxKbytes = 65536;
    if (rd_kafka_conf_get(rd_kafka_conf(rk), "queued.max.messages.kbytes", value, &size) == RD_KAFKA_CONF_OK)
        maxKbytes = std::max(1L, std::atol(value));
    m_stopBytes = static_cast<double>(maxKbytes) * 1024;
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
    auto arrivedAt = std::chrono::steady_clock::now();
    // Messages that ever entered the queue: those in it plus those handed out. The two are read
    // at different moments, so a poll in between can make the sum dip; only a new maximum
    // counts as an arrival.
    int64_t mostEntered = 0;
    std::unique_lock lock(m_mutex);
    while (!m_stop) {
        m_wake.wait_for(lock, kCheckEvery);
        if (m_stop || m_assigned.empty())
            continue;
        // Only a consumer whose queue came near one of librdkafka's limits can have a stopped
        // fetcher (bytes are estimated from the messages delivered so far); a slow or caught-up
        // consumer never gets there and is never nudged, since the requests would only sit
        // between its fetches. Once armed, a fetcher that has stopped (nothing arrives) is woken
        // as soon as the application has taken a good part of the queue, while it still works
        // on the rest, rather than once the queue is empty.
        const auto now = std::chrono::steady_clock::now();
        const size_t queued = rd_kafka_queue_length(m_queue);
        const double length = static_cast<double>(queued);
        const int64_t delivered = m_delivered.load();
        if (const int64_t entered = delivered + static_cast<int64_t>(queued); entered > mostEntered) {
            mostEntered = entered;
            arrivedAt = now;
        }
        const double averageBytes =
            delivered > 0 ? std::max(1.0, static_cast<double>(m_deliveredBytes.load()) / static_cast<double>(delivered))
                          : 1.0;
        const double fill = std::max(length / m_stopMessages, length * averageBytes / m_stopBytes);
        if (fill >= kArmAt)
            m_armed = true;
        if (!m_armed || fill >= kRefillAt || now - arrivedAt < kQuiet || now - lastNudge < kMinGap)
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
