#pragma once
// The demo "payments" generator behind `sluicectl produce` and `sluice --demo`:
// id (unique, increasing), user ("user-0001".."user-1000"), amount (integer cents),
// ts (epoch ms); keyed by user. Deterministic for a given seed and start id.

#include "common/Result.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

namespace sluice::source {

enum class PaymentFormat { Csv, Json };

struct Payment {
    int64_t id = 0;
    std::string user;
    int64_t amount = 0;
    int64_t ts = 0;
};

// The i-th payment from startId (pure function: same inputs, same payment; ts is given).
Payment makePayment(int64_t id, int64_t tsMs);
// "id,user,amount,ts" (no newline) or {"id":..,"user":"..","amount":..,"ts":..}
std::string renderPayment(const Payment& p, PaymentFormat format);

struct ProduceOptions {
    std::string bootstrap;
    std::string topic;
    int64_t count = 1000;   // < 0: until stop is set
    double ratePerSec = 0;  // 0: as fast as possible
    PaymentFormat format = PaymentFormat::Csv;
    int64_t startId = 1;
    std::string compression = "lz4"; // keeps the mock broker's small retention from dropping data
};

// Produces payments with an idempotent librdkafka producer, flushing before it returns.
// Returns the number acknowledged by the broker. Stops early when *stop becomes true.
// progress (optional) is called now and then with the number produced so far.
Result<int64_t> producePayments(const ProduceOptions& options,
                                const std::atomic<bool>* stop = nullptr,
                                const std::function<void(int64_t)>& progress = {});

} // namespace sluice::source
