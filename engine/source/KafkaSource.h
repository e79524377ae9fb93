#pragma once
// KafkaSource: one pipeline's view of one topic. Owns its rd_kafka_t (a consumer with manual
// assignment: no group commits, enable.auto.commit=false, auto.offset.reset=error), so the
// engine alone decides where each partition is read from.
//
// Threading: every member function must be called from one thread at a time (the pipeline's
// extractor thread). Messages may be handed to other threads and destroyed there.

#include "common/Result.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <librdkafka/rdkafka.h>

namespace sluice::source {

// Owns one rd_kafka_message_t (destroyed with rd_kafka_message_destroy). The bytes stay valid
// for the lifetime of the object.
class KafkaMessage {
public:
    KafkaMessage() = default;
    explicit KafkaMessage(rd_kafka_message_s* raw) : m_raw(raw) {}
    KafkaMessage(KafkaMessage&& other) noexcept : m_raw(other.m_raw) { other.m_raw = nullptr; }
    KafkaMessage& operator=(KafkaMessage&&) noexcept;
    KafkaMessage(const KafkaMessage&) = delete;
    KafkaMessage& operator=(const KafkaMessage&) = delete;
    ~KafkaMessage();

    // Inline: the runner reads these for every message of a batch.
    int32_t partition() const { return m_raw ? m_raw->partition : -1; }
    int64_t offset() const { return m_raw ? m_raw->offset : -1; }
    int64_t timestampMs() const; // -1 when the message has none
    std::string_view key() const;
    std::string_view value() const {
        if (!m_raw || !m_raw->payload)
            return {};
        return {static_cast<const char*>(m_raw->payload), m_raw->len};
    }

private:
    rd_kafka_message_s* m_raw = nullptr;
};

struct Watermarks {
    int64_t low = -1;  // earliest offset still held by the broker
    int64_t high = -1; // next offset to be written
};

// Something other than a message that poll() saw for a partition.
struct PartitionEvent {
    enum class Kind {
        OffsetOutOfRange, // the requested offset is gone (retention) or beyond the end
        PartitionEof,     // reached the high watermark (informational)
        Error,            // any other per-partition error (message says what)
    };
    Kind kind = Kind::Error;
    int32_t partition = -1;
    int64_t offset = -1; // the offset that was asked for, when known
    std::string message;
};

struct KafkaSourceOptions {
    std::string brokers;         // "host:port[,host:port]"
    std::string topic;
    std::string configJson;      // librdkafka properties as a flat JSON object; passed through
    std::string credentialsJson; // also librdkafka properties (sasl.*, ssl.*): never logged
    std::string clientId = "sluice";
};

class KafkaSource {
public:
    // Creates the consumer. Bad CONFIG/CREDENTIALS JSON or unknown librdkafka properties give
    // ErrorCode::InvalidArgument naming the property (never the credential's value).
    static Result<std::unique_ptr<KafkaSource>> open(const KafkaSourceOptions& options);
    ~KafkaSource();
    KafkaSource(const KafkaSource&) = delete;
    KafkaSource& operator=(const KafkaSource&) = delete;

    // Partition ids of the topic from fresh metadata, sorted. NotFound if the topic is unknown;
    // Kafka on broker trouble. Picks up partitions added since the last call.
    Result<std::vector<int32_t>> partitions(int timeoutMs);

    // Low and high watermark asked of the broker (rd_kafka_query_watermark_offsets).
    Result<Watermarks> queryWatermarks(int32_t partition, int timeoutMs);

    // Low and high watermarks of every partition: one ListOffsets round per leader for all of
    // them, else partitions() and queryWatermarks() of each; the first failure is returned.
    Result<std::map<int32_t, Watermarks>> watermarks(int timeoutMs);

    // The high watermark last seen in a fetch response (rd_kafka_get_watermark_offsets), without
    // a round trip; -1 when not known yet.
    int64_t cachedHighWatermark(int32_t partition) const;

    // Replaces the assignment: read exactly these partitions from these offsets.
    Status assign(const std::map<int32_t, int64_t>& nextOffsets);

    // Stops / restarts fetching for a partition (back-pressure); the position is kept.
    Status pause(int32_t partition);
    Status resume(int32_t partition);

    // Appends up to maxMessages messages to out, waiting at most timeoutMs for the first and
    // returning early once no more are immediately available (a partial batch is never held
    // back). Per-partition conditions go to events; Status is an error only for failures of the
    // whole consumer.
    // Events: PartitionEof each time a partition reaches its high watermark (offset = that
    // watermark; enable.partition.eof is on). OffsetOutOfRange (offset = the offset asked for)
    // after which librdkafka stops fetching that partition until the next assign(). A partition
    // of -1 in an Error event means a topic-level error. Consumer-wide transient trouble (broker
    // down, connection refused) is retried by librdkafka and is not an event: see
    // lastConsumerError().
    Status poll(std::vector<KafkaMessage>& out, size_t maxMessages, int timeoutMs,
                std::vector<PartitionEvent>& events);

    // The last consumer-wide, non-fatal error librdkafka reported (e.g. "all brokers are down"),
    // for display; empty if none yet. Credential values are masked.
    std::string lastConsumerError() const;

    // How often the fetch waker has woken librdkafka's fetcher after its queue filled up (see
    // FetchWaker.h); for diagnostics and tests.
    int64_t fetchNudges() const;

private:
    KafkaSource();
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// Parses a flat JSON object of string/number/bool values into key -> string (for CONFIG and
// CREDENTIALS). InvalidArgument with the position on malformed JSON.
Result<std::map<std::string, std::string>> parseFlatJsonObject(std::string_view json);

} // namespace sluice::source
