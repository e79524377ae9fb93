#include "source/MockBroker.h"

#include "source/KafkaHandles.h"

namespace sluice::source {

using namespace detail;

// The mock cluster runs on threads of the rd_kafka_t it was created on, so that handle must
// outlive it: m_handle is declared first and destroyed last.
struct MockBroker::Impl {
    KafkaHandle handle;
    MockClusterHandle cluster;
    int brokerCount = 0;
};

MockBroker::MockBroker() : m_impl(std::make_unique<Impl>()) {}
MockBroker::~MockBroker() = default;

Result<std::unique_ptr<MockBroker>> MockBroker::start(int brokers) {
    if (brokers < 1 || brokers > 8)
        return Status(ErrorCode::InvalidArgument,
                      "broker count must be 1..8, got " + std::to_string(brokers));

    ConfHandle conf(rd_kafka_conf_new());
    std::string error;
    // The host handle has no bootstrap servers on purpose; keep its start-up notice about
    // that off stderr.
    if (!setConf(conf.get(), "log_level", "3", error))
        return Status(ErrorCode::Internal, "mock broker: " + error);

    char errstr[512] = {};
    KafkaHandle handle(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr, sizeof(errstr)));
    if (!handle)
        return Status(ErrorCode::Kafka, std::string("mock broker: ") + errstr);
    conf.release(); // owned by the handle now

    // Listeners bind to 127.0.0.1 (INADDR_LOOPBACK) on ephemeral ports.
    MockClusterHandle cluster(rd_kafka_mock_cluster_new(handle.get(), brokers));
    if (!cluster)
        return Status(ErrorCode::Kafka, "mock broker: could not start the mock cluster");

    std::unique_ptr<MockBroker> broker(new MockBroker());
    broker->m_impl->handle = std::move(handle);
    broker->m_impl->cluster = std::move(cluster);
    broker->m_impl->brokerCount = brokers;
    return broker;
}

std::string MockBroker::bootstraps() const {
    return rd_kafka_mock_cluster_bootstraps(m_impl->cluster.get());
}

Status MockBroker::createTopic(const std::string& topic, int partitions) {
    if (topic.empty())
        return Status(ErrorCode::InvalidArgument, "topic name is empty");
    if (partitions < 1)
        return Status(ErrorCode::InvalidArgument,
                      "topic '" + topic + "': partition count must be at least 1");
    rd_kafka_resp_err_t err =
        rd_kafka_mock_topic_create(m_impl->cluster.get(), topic.c_str(), partitions, 1);
    if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
        return Status(ErrorCode::AlreadyExists, "topic '" + topic + "' already exists");
    if (err)
        return Status(ErrorCode::Kafka,
                      "topic '" + topic + "': " + std::string(rd_kafka_err2str(err)));
    return {};
}

Status MockBroker::setBrokerDown(int brokerId, bool down) {
    if (brokerId < 1 || brokerId > m_impl->brokerCount)
        return Status(ErrorCode::InvalidArgument, "no broker " + std::to_string(brokerId) +
                                                      " (brokers are 1.." +
                                                      std::to_string(m_impl->brokerCount) + ")");
    rd_kafka_resp_err_t err = down ? rd_kafka_mock_broker_set_down(m_impl->cluster.get(), brokerId)
                                   : rd_kafka_mock_broker_set_up(m_impl->cluster.get(), brokerId);
    if (err)
        return Status(ErrorCode::Kafka, "broker " + std::to_string(brokerId) + ": " +
                                            std::string(rd_kafka_err2str(err)));
    return {};
}

} // namespace sluice::source
