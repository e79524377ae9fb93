#pragma once
// TopicLister: asks a Kafka cluster for all its topics and their partition counts (one metadata
// request on a short-lived producer handle). KafkaSource only describes one topic; the designer's
// topic picker and Deploy's broker check need the whole list.
//
// Threading: a blocking call (bounded by timeoutMs) with no shared state; any thread.
// Errors: InvalidArgument for a bad client property, Kafka when the cluster does not
// answer within the timeout.

#include "common/Result.h"

#include <string>
#include <utility>
#include <vector>

namespace sluice::ui::designer {

struct TopicInfo {
    std::string name;
    int partitions = 0;
};

// The cluster's topics sorted by name, internal ones (names starting "__") left out. config:
// extra librdkafka properties (the pipeline's CONFIG and CREDENTIALS), applied after
// bootstrap.servers.
Result<std::vector<TopicInfo>>
listTopics(const std::string& brokers,
           const std::vector<std::pair<std::string, std::string>>& config = {},
           int timeoutMs = 5000);

// The librdkafka properties of a pipeline's CONFIG and CREDENTIALS JSON objects (string, number
// and bool values as text). Text that is not a JSON object (empty, '<redacted>') adds nothing.
std::vector<std::pair<std::string, std::string>>
kafkaClientConfig(const std::string& configJson, const std::string& credentialsJson);

} // namespace sluice::ui::designer
