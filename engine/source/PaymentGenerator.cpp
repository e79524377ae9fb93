#include "source/PaymentGenerator.h"

#include "source/KafkaHandles.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>

namespace sluice::source {

using namespace detail;

namespace {

// splitmix64: a cheap, well-spread hash so users and amounts look random but are a pure
// function of the id.
uint64_t mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

constexpr int kUsers = 1000;
constexpr int64_t kMaxAmountCents = 100000;
constexpr int kConnectTimeoutMs = 10000;
constexpr int kMessageTimeoutMs = 30000;

int64_t nowEpochMs() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// Delivery-report bookkeeping; touched only from rd_kafka_poll/flush on the producing thread.
struct DeliveryState {
    int64_t acknowledged = 0;
    int64_t failed = 0;
    rd_kafka_resp_err_t firstError = RD_KAFKA_RESP_ERR_NO_ERROR;
};

void onDelivery(rd_kafka_t*, const rd_kafka_message_t* msg, void* opaque) {
    auto* state = static_cast<DeliveryState*>(opaque);
    if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        ++state->acknowledged;
    } else {
        if (state->failed++ == 0)
            state->firstError = msg->err;
    }
}

Status kafkaError(const std::string& what, rd_kafka_resp_err_t err) {
    return Status(ErrorCode::Kafka, what + ": " + rd_kafka_err2str(err));
}

} // namespace

Payment makePayment(int64_t id, int64_t tsMs) {
    Payment p;
    p.id = id;
    const uint64_t h = mix(static_cast<uint64_t>(id));
    char user[16];
    std::snprintf(user, sizeof(user), "user-%04d", static_cast<int>(h % kUsers) + 1);
    p.user = user;
    p.amount = static_cast<int64_t>(mix(h) % kMaxAmountCents) + 1;
    p.ts = tsMs;
    return p;
}

std::string renderPayment(const Payment& p, PaymentFormat format) {
    // User names are "user-NNNN": nothing to escape in JSON or quote in CSV.
    std::string out;
    out.reserve(80);
    if (format == PaymentFormat::Csv) {
        out += std::to_string(p.id);
        out += ',';
        out += p.user;
        out += ',';
        out += std::to_string(p.amount);
        out += ',';
        out += std::to_string(p.ts);
    } else {
        out += "{\"id\":";
        out += std::to_string(p.id);
        out += ",\"user\":\"";
        out += p.user;
        out += "\",\"amount\":";
        out += std::to_string(p.amount);
        out += ",\"ts\":";
        out += std::to_string(p.ts);
        out += '}';
    }
    return out;
}

Result<int64_t> producePayments(const ProduceOptions& options, const std::atomic<bool>* stop,
                                const std::function<void(int64_t)>& progress) {
    if (options.bootstrap.empty())
        return Status(ErrorCode::InvalidArgument, "no bootstrap servers given");
    if (options.topic.empty())
        return Status(ErrorCode::InvalidArgument, "no topic given");
    if (options.ratePerSec < 0 || !std::isfinite(options.ratePerSec))
        return Status(ErrorCode::InvalidArgument, "rate must be a positive number");

    DeliveryState delivery;
    ConfHandle conf(rd_kafka_conf_new());
    const std::pair<const char*, std::string> settings[] = {
        {"bootstrap.servers", options.bootstrap},
        {"client.id", "sluice-produce"},
        {"enable.idempotence", "true"},
        {"compression.type", options.compression.empty() ? "none" : options.compression},
        {"linger.ms", "5"},
        {"queue.buffering.max.messages", "1000000"},
        {"queue.buffering.max.kbytes", "262144"},
        {"message.timeout.ms", std::to_string(kMessageTimeoutMs)},
        // Connection failures come back as the returned error; librdkafka's own log lines
        // about them would only repeat it on stderr.
        {"log_level", "2"},
    };
    for (const auto& [name, value] : settings) {
        std::string error;
        if (!setConf(conf.get(), name, value, error))
            return Status(ErrorCode::InvalidArgument, error);
    }
    rd_kafka_conf_set_dr_msg_cb(conf.get(), onDelivery);
    rd_kafka_conf_set_opaque(conf.get(), &delivery);

    char errstr[512] = {};
    KafkaHandle rk(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr, sizeof(errstr)));
    if (!rk)
        return Status(ErrorCode::Kafka, std::string("cannot create producer: ") + errstr);
    conf.release();

    TopicHandle topic(rd_kafka_topic_new(rk.get(), options.topic.c_str(), nullptr));
    if (!topic)
        return kafkaError("topic '" + options.topic + "'", rd_kafka_last_error());

    // Fail fast (bounded) when the broker is unreachable or the topic cannot exist, instead of
    // queueing messages that would only time out later.
    {
        const rd_kafka_metadata_t* raw = nullptr;
        rd_kafka_resp_err_t err =
            rd_kafka_metadata(rk.get(), 0, topic.get(), &raw, kConnectTimeoutMs);
        MetadataHandle md(raw);
        if (err)
            return kafkaError("cannot reach broker " + options.bootstrap, err);
        for (int i = 0; i < md->topic_cnt; ++i) {
            if (md->topics[i].err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
                return Status(ErrorCode::NotFound, "topic '" + options.topic +
                                                       "' does not exist on " + options.bootstrap);
        }
    }

    // Deliveries stop at the first failure; what was acknowledged stays acknowledged.
    auto fatal = [&]() -> Status {
        char reason[512] = {};
        rd_kafka_resp_err_t err = rd_kafka_fatal_error(rk.get(), reason, sizeof(reason));
        if (err)
            return Status(ErrorCode::Kafka, std::string("producer failed: ") + reason);
        return {};
    };

    using Clock = std::chrono::steady_clock;
    const Clock::time_point start = Clock::now();
    Clock::time_point lastProgress = start;
    int64_t sent = 0;
    const bool paced = options.ratePerSec > 0;
    auto stopRequested = [&] { return stop && stop->load(std::memory_order_relaxed); };

    while ((options.count < 0 || sent < options.count) && !stopRequested() &&
           delivery.failed == 0) {
        if (paced) {
            // Steady schedule: message i is due at start + i / rate, so pauses (GC, a slow
            // broker) are caught up rather than shifting every later message.
            const auto due =
                start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                            static_cast<double>(sent) / options.ratePerSec));
            const auto now = Clock::now();
            if (now < due) {
                const auto waitMs =
                    std::chrono::duration_cast<std::chrono::milliseconds>(due - now).count();
                if (waitMs > 0)
                    rd_kafka_poll(rk.get(), static_cast<int>(std::min<int64_t>(waitMs, 100)));
                else
                    std::this_thread::sleep_until(due);
                continue;
            }
        }

        const Payment p = makePayment(options.startId + sent, nowEpochMs());
        const std::string value = renderPayment(p, options.format);
        rd_kafka_resp_err_t err = rd_kafka_producev(
            rk.get(), RD_KAFKA_V_RKT(topic.get()), RD_KAFKA_V_KEY(p.user.data(), p.user.size()),
            RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(rk.get(), 10);
            continue;
        }
        if (err == RD_KAFKA_RESP_ERR__FATAL)
            return fatal();
        if (err)
            return kafkaError("produce failed after " + std::to_string(delivery.acknowledged) +
                                  " acknowledged",
                              err);
        ++sent;
        rd_kafka_poll(rk.get(), 0);

        if (progress && Clock::now() - lastProgress >= std::chrono::milliseconds(500)) {
            lastProgress = Clock::now();
            progress(delivery.acknowledged);
        }
    }

    // Every queued message is either delivered or failed within message.timeout.ms.
    while (rd_kafka_outq_len(rk.get()) > 0)
        rd_kafka_flush(rk.get(), 1000);

    if (Status s = fatal(); !s.ok())
        return s;
    if (delivery.failed > 0)
        return Status(ErrorCode::Kafka,
                      "delivery failed for " + std::to_string(delivery.failed) + " message(s) (" +
                          rd_kafka_err2str(delivery.firstError) + "); " +
                          std::to_string(delivery.acknowledged) + " acknowledged");
    if (progress)
        progress(delivery.acknowledged);
    return delivery.acknowledged;
}

} // namespace sluice::source
