// sluicectl broker: librdkafka's mock cluster on 127.0.0.1 until SIGINT/SIGTERM.
#include "Commands.h"

#include "source/MockBroker.h"

#include <csignal>
#include <cstdio>
#include <pthread.h>

namespace sluicectl {

namespace {

constexpr int kDefaultPartitions = 4;

bool parseInt(const std::string& text, int min, int max, int& out) {
    if (text.empty() || text.size() > 9 ||
        text.find_first_not_of("0123456789") != std::string::npos)
        return false;
    const int v = std::stoi(text);
    if (v < min || v > max)
        return false;
    out = v;
    return true;
}

struct TopicSpec {
    std::string name;
    int partitions = kDefaultPartitions;
};

} // namespace

int brokerCommand(const Args& args) {
    ArgReader reader(args);
    std::vector<TopicSpec> topics;
    int brokers = 1;
    while (!reader.done()) {
        std::string value;
        std::string error;
        if (reader.option("--topic", value, error)) {
            if (!error.empty())
                return fail(error);
            TopicSpec spec;
            const size_t colon = value.rfind(':');
            spec.name = value.substr(0, colon);
            if (colon != std::string::npos &&
                !parseInt(value.substr(colon + 1), 1, 100000, spec.partitions))
                return fail("--topic '" + value +
                            "': the partition count must be a whole number of at least 1");
            if (spec.name.empty())
                return fail("--topic '" + value + "': the topic name is empty");
            topics.push_back(spec);
        } else if (reader.option("--brokers", value, error)) {
            if (!error.empty())
                return fail(error);
            if (!parseInt(value, 1, 8, brokers))
                return fail("--brokers must be 1..8, got '" + value + "'");
        } else {
            return fail("broker: unknown argument '" + reader.peek() + "'");
        }
    }

    // Block the stop signals before librdkafka starts its threads (they inherit the mask), so
    // only sigwait below ever sees them.
    sigset_t stopSignals;
    sigemptyset(&stopSignals);
    sigaddset(&stopSignals, SIGINT);
    sigaddset(&stopSignals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);

    auto broker = sluice::source::MockBroker::start(brokers);
    if (!broker)
        return fail(broker.status().message());
    for (const TopicSpec& t : topics) {
        if (sluice::Status s = (*broker)->createTopic(t.name, t.partitions); !s.ok())
            return fail(s.message());
    }

    std::printf("bootstrap=%s\n", (*broker)->bootstraps().c_str());
    std::fflush(stdout);

    int signal = 0;
    while (sigwait(&stopSignals, &signal) != 0) {
    }
    return 0;
}

} // namespace sluicectl
