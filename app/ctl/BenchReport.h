#pragma once
// What `sluicectl bench` measures (BenchCommand.cpp) and how it reports it: the plan of a run,
// the raw results of its phases, the figures derived from them, the human table and the JSON
// line, and the choice of each rate's median round.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sluicectl::bench {

inline constexpr int kPartitions = 8;
inline constexpr int kShards = 4;
inline constexpr size_t kPayloadBytes = 100;

struct Plan {
    bool quick = false;
    int64_t messages = 1000000;
    double latencySeconds = 12;
    double latencyWarmupSeconds = 1;
    double drainTimeoutSeconds = 480;
    int rounds = 3; // R_k, E and R_s are each reported from their median round
};

struct Results {
    int64_t messages = 0;
    double produceSeconds = 0;
    double consumeSeconds = 0;
    double consumeCpuSeconds = 0;
    double drainSeconds = 0;
    int64_t drainRows = 0;
    int64_t drainBatches = 0;
    double drainCpuSeconds = 0;
    double brokerCpuSeconds = -1;
    int64_t rssBeforeBytes = 0;
    int64_t rssPeakBytes = 0;
    // Sums over the drain's batch log (seconds).
    double extractSeconds = 0;
    double loadSeconds = 0;
    double batchSeconds = 0;
    int64_t insertRows = 0;
    int64_t insertBatchRows = 0;
    double insertSeconds = 0;
    double insertCpuSeconds = 0;
    double latencyRate = 0;
    std::vector<double> latenciesMs; // sorted
    int64_t latencyMissing = 0;
    struct Round {
        double consume = 0, insert = 0, csv = 0; // rates of one round
    };
    std::vector<Round> rounds; // every round's rates, in order
};

// Rates are whole numbers and ratios come from those rounded rates, so a reader can check them.
struct Figures {
    int64_t produce = 0, consume = 0, insert = 0, csv = 0;
    double csvVsConsume = 0, csvVsInsert = 0;
    double p50 = 0, p99 = 0;
    double peakRssMb = 0, rssBeforeMb = 0;
    double cpuPerMillion = 0, brokerCpuPerMillion = -1;
    double consumeCpuPerMillion = 0, insertCpuPerMillion = 0;
};

Figures figuresOf(const Results& r);
// v with the given number of decimals.
std::string fixed(double v, int decimals);
void printTable(const Plan& plan, const Results& r, const Figures& f);
// One JSON object on one line: every key of the issue, and the per-round rates.
void printJson(const Plan& plan, const Results& r, const Figures& f);
// Copies each phase's figures from its median round into r; peak RSS is the highest of all.
void takeMedians(const std::vector<Results>& rounds, Results& r);

} // namespace sluicectl::bench
