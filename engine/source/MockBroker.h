#pragma once
// MockBroker: the embedded Kafka-protocol broker (librdkafka's mock cluster) on 127.0.0.1.
// Any Kafka client reaches it over loopback at bootstraps(). Used by `sluicectl broker`,
// `sluice --demo` and the tests.
//
// Threading: create, use and destroy from one thread; the cluster serves on its own threads.

#include "common/Result.h"

#include <cstdint>
#include <memory>
#include <string>

namespace sluice::source {

class MockBroker {
public:
    // Starts a cluster of `brokers` brokers (1..8).
    static Result<std::unique_ptr<MockBroker>> start(int brokers = 1);
    ~MockBroker();
    MockBroker(const MockBroker&) = delete;
    MockBroker& operator=(const MockBroker&) = delete;

    // "127.0.0.1:PORT[,127.0.0.1:PORT]"
    std::string bootstraps() const;

    // Creates a topic (replication 1). AlreadyExists if it exists.
    Status createTopic(const std::string& topic, int partitions);

    // Fault injection for tests: take a broker down / bring it back (1-based broker id).
    Status setBrokerDown(int brokerId, bool down);

private:
    MockBroker();
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace sluice::source
