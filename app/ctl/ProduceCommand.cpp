// sluicectl produce: the demo payments generator (see PaymentGenerator.h).
#include "Commands.h"

#include "source/PaymentGenerator.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>

namespace sluicectl {

namespace {

// Set from the signal handler: lock-free, so async-signal-safe.
std::atomic<bool> g_stopRequested{false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void requestStop(int) {
    g_stopRequested.store(true);
}

bool parseInt64(const std::string& text, int64_t& out) {
    if (text.empty())
        return false;
    errno = 0;
    char* end = nullptr;
    const long long v = std::strtoll(text.c_str(), &end, 10);
    if (errno != 0 || *end != '\0')
        return false;
    out = v;
    return true;
}

bool parseRate(const std::string& text, double& out) {
    if (text.empty())
        return false;
    errno = 0;
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (errno != 0 || *end != '\0' || !(v > 0) || v > 1e9)
        return false;
    out = v;
    return true;
}

} // namespace

int produceCommand(const Args& args) {
    ArgReader reader(args);
    sluice::source::ProduceOptions options;
    while (!reader.done()) {
        std::string value;
        std::string error;
        if (reader.option("--bootstrap", value, error)) {
            options.bootstrap = value;
        } else if (reader.option("--topic", value, error)) {
            options.topic = value;
        } else if (reader.option("--count", value, error)) {
            if (error.empty() && !parseInt64(value, options.count))
                return fail("--count must be a whole number (negative: until Ctrl-C), got '" +
                            value + "'");
        } else if (reader.option("--rate", value, error)) {
            if (error.empty() && !parseRate(value, options.ratePerSec))
                return fail("--rate must be a positive number of messages per second, got '" +
                            value + "'");
        } else if (reader.option("--format", value, error)) {
            if (value == "csv")
                options.format = sluice::source::PaymentFormat::Csv;
            else if (value == "json")
                options.format = sluice::source::PaymentFormat::Json;
            else if (error.empty())
                return fail("--format must be csv or json, got '" + value + "'");
        } else if (reader.option("--start-id", value, error)) {
            if (error.empty() && !parseInt64(value, options.startId))
                return fail("--start-id must be a whole number, got '" + value + "'");
        } else if (reader.option("--compression", value, error)) {
            options.compression = value;
        } else {
            return fail("produce: unknown argument '" + reader.peek() + "'");
        }
        if (!error.empty())
            return fail(error);
    }
    if (options.bootstrap.empty())
        return fail("produce needs --bootstrap HOST:PORT");
    if (options.topic.empty())
        return fail("produce needs --topic NAME");

    // Ctrl-C stops producing; what is queued is still delivered and counted.
    struct sigaction action = {};
    action.sa_handler = requestStop;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);

    const bool interactive = isatty(STDERR_FILENO);
    auto progress = [interactive](int64_t acknowledged) {
        if (interactive)
            std::fprintf(stderr, "\rproduced %lld", static_cast<long long>(acknowledged));
    };
    auto produced = sluice::source::producePayments(options, &g_stopRequested, progress);
    if (interactive)
        std::fputc('\n', stderr);
    if (!produced)
        return fail(produced.status().message());
    std::printf("produced=%lld\n", static_cast<long long>(*produced));
    std::fflush(stdout);
    return 0;
}

} // namespace sluicectl
