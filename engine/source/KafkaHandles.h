#pragma once
// RAII owners for librdkafka's C handles (private to engine/source and its tests).
//
// Destruction order matters where one handle depends on another: a topic handle or a queue must
// go before its rd_kafka_t, and a mock cluster before the rd_kafka_t it was created on. Declare
// owners in that order (dependencies first) so member destruction runs in reverse.

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <memory>
#include <string>

namespace sluice::source::detail {

struct KafkaDeleter {
    void operator()(rd_kafka_t* p) const { rd_kafka_destroy(p); }
    void operator()(rd_kafka_conf_t* p) const { rd_kafka_conf_destroy(p); }
    void operator()(rd_kafka_topic_t* p) const { rd_kafka_topic_destroy(p); }
    void operator()(rd_kafka_queue_t* p) const { rd_kafka_queue_destroy(p); }
    void operator()(rd_kafka_message_t* p) const { rd_kafka_message_destroy(p); }
    void operator()(rd_kafka_topic_partition_list_t* p) const {
        rd_kafka_topic_partition_list_destroy(p);
    }
    void operator()(const rd_kafka_metadata_t* p) const { rd_kafka_metadata_destroy(p); }
    void operator()(rd_kafka_mock_cluster_t* p) const { rd_kafka_mock_cluster_destroy(p); }
};

using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaDeleter>;
using ConfHandle = std::unique_ptr<rd_kafka_conf_t, KafkaDeleter>;
using TopicHandle = std::unique_ptr<rd_kafka_topic_t, KafkaDeleter>;
using QueueHandle = std::unique_ptr<rd_kafka_queue_t, KafkaDeleter>;
using MessageHandle = std::unique_ptr<rd_kafka_message_t, KafkaDeleter>;
using PartitionListHandle = std::unique_ptr<rd_kafka_topic_partition_list_t, KafkaDeleter>;
using MetadataHandle = std::unique_ptr<const rd_kafka_metadata_t, KafkaDeleter>;
using MockClusterHandle = std::unique_ptr<rd_kafka_mock_cluster_t, KafkaDeleter>;

// Sets one property; on failure returns false with librdkafka's explanation in error.
inline bool setConf(rd_kafka_conf_t* conf, const std::string& name, const std::string& value,
                    std::string& error, rd_kafka_conf_res_t* result = nullptr) {
    char errstr[512] = {};
    rd_kafka_conf_res_t res =
        rd_kafka_conf_set(conf, name.c_str(), value.c_str(), errstr, sizeof(errstr));
    if (result)
        *result = res;
    if (res == RD_KAFKA_CONF_OK)
        return true;
    error = errstr;
    return false;
}

} // namespace sluice::source::detail
