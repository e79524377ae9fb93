#include "BenchReport.h"

#include "BenchSupport.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <thread>

namespace sluicectl::bench {

namespace {

// Index of the median of values (the lower middle one of an even count).
size_t medianIndex(const std::vector<double>& values) {
    std::vector<size_t> order(values.size());
    for (size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return values[a] < values[b]; });
    return order.empty() ? 0 : order[(order.size() - 1) / 2];
}

} // namespace

Figures figuresOf(const Results& r) {
    Figures f;
    auto rate = [](int64_t n, double s) { return s > 0 ? static_cast<int64_t>(std::llround(n / s)) : 0; };
    f.produce = rate(r.messages, r.produceSeconds);
    f.consume = rate(r.messages, r.consumeSeconds);
    f.insert = rate(r.insertRows, r.insertSeconds);
    f.csv = rate(r.drainRows, r.drainSeconds);
    f.csvVsConsume = f.consume > 0 ? static_cast<double>(f.csv) / static_cast<double>(f.consume) : 0;
    f.csvVsInsert = f.insert > 0 ? static_cast<double>(f.csv) / static_cast<double>(f.insert) : 0;
    f.p50 = percentile(r.latenciesMs, 0.50);
    f.p99 = percentile(r.latenciesMs, 0.99);
    f.peakRssMb = static_cast<double>(r.rssPeakBytes) / (1024.0 * 1024.0);
    f.rssBeforeMb = static_cast<double>(r.rssBeforeBytes) / (1024.0 * 1024.0);
    if (r.messages > 0)
        f.consumeCpuPerMillion = r.consumeCpuSeconds / static_cast<double>(r.messages) * 1e6;
    if (r.insertRows > 0)
        f.insertCpuPerMillion = r.insertCpuSeconds / static_cast<double>(r.insertRows) * 1e6;
    if (r.drainRows > 0) {
        f.cpuPerMillion = r.drainCpuSeconds / static_cast<double>(r.drainRows) * 1e6;
        if (r.brokerCpuSeconds >= 0)
            f.brokerCpuPerMillion = r.brokerCpuSeconds / static_cast<double>(r.drainRows) * 1e6;
    }
    return f;
}

std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
    return buf;
}

void printTable(const Plan& plan, const Results& r, const Figures& f) {
    std::printf("sluice bench (%s): %lld messages of %zu bytes, %d partitions, %d shards\n",
                plan.quick ? "quick" : "full", static_cast<long long>(r.messages), kPayloadBytes,
                kPartitions, kShards);
    std::printf("  %-36s %12lld msg/s\n", "produce (lz4, idempotent)", static_cast<long long>(f.produce));
    std::printf("  %-36s %12lld msg/s   (CPU %.2f s per million)\n", "raw consume (R_k, batch API)",
                static_cast<long long>(f.consume), f.consumeCpuPerMillion);
    std::printf("  %-36s %12lld rows/s  (CPU %.2f s per million, batches of %lld rows)\n",
                "raw insert (R_s, 4 shard writers)", static_cast<long long>(f.insert), f.insertCpuPerMillion,
                static_cast<long long>(r.insertBatchRows));
    std::printf("  %-36s %12lld rows/s  (%.2f s, %lld batches)\n", "end-to-end CSV, exactly-once (E)",
                static_cast<long long>(f.csv), r.drainSeconds, static_cast<long long>(r.drainBatches));
    if (r.batchSeconds > 0)
        std::printf("  %-36s extract %.2f s, load %.2f s, other %.2f s\n", "  batch log time split",
                    r.extractSeconds, r.loadSeconds,
                    std::max(0.0, r.batchSeconds - r.extractSeconds - r.loadSeconds));
    if (r.rounds.size() > 1) {
        std::printf("  %-36s", "rounds (each rate is the median)");
        for (size_t i = 0; i < r.rounds.size(); ++i) {
            const auto& x = r.rounds[i];
            std::printf("%s R_k %.2fM R_s %.2fM E %.2fM", i ? ";" : "", x.consume / 1e6, x.insert / 1e6, x.csv / 1e6);
        }
        std::printf("\n");
    }
    std::printf("  %-36s %12.3f\n", "E / R_k", f.csvVsConsume);
    std::printf("  %-36s %12.3f\n", "E / R_s", f.csvVsInsert);
    std::printf("  %-36s %9.0f ms p50, %.0f ms p99  (%zu samples at %.0f rows/s, %lld not seen)\n",
                "latency produce -> SELECT", f.p50, f.p99, r.latenciesMs.size(), r.latencyRate,
                static_cast<long long>(r.latencyMissing));
    std::printf("  %-36s %12.1f MB  (%.1f MB before)\n", "peak RSS while draining", f.peakRssMb, f.rssBeforeMb);
    std::printf("  %-36s %12.2f s  (broker process: %.2f s)\n", "CPU per million rows", f.cpuPerMillion,
                f.brokerCpuPerMillion);
    // How much of the machine each phase kept busy: a phase that uses every core is CPU-bound,
    // and then its rate is cores / (CPU per row).
    auto cores = [](double cpu, double seconds) { return seconds > 0 ? cpu / seconds : 0.0; };
    std::printf("  %-36s R_k %.2f, R_s %.2f, E %.2f  (of %u)\n", "cores busy", cores(r.consumeCpuSeconds, r.consumeSeconds),
                cores(r.insertCpuSeconds, r.insertSeconds), cores(r.drainCpuSeconds, r.drainSeconds),
                std::thread::hardware_concurrency());
}

void printJson(const Plan& plan, const Results& r, const Figures& f) {
    std::ostringstream o;
    o << "{\"mode\":\"" << (plan.quick ? "quick" : "full") << "\""
      << ",\"messages\":" << r.messages << ",\"payload_bytes\":" << kPayloadBytes
      << ",\"partitions\":" << kPartitions << ",\"shards\":" << kShards
      << ",\"produce_per_s\":" << f.produce << ",\"raw_consume_per_s\":" << f.consume
      << ",\"raw_insert_per_s\":" << f.insert << ",\"insert_batch_rows\":" << r.insertBatchRows
      << ",\"csv_rows_per_s\":" << f.csv << ",\"csv_seconds\":" << fixed(r.drainSeconds, 3)
      << ",\"csv_batches\":" << r.drainBatches << ",\"csv_vs_consume\":" << fixed(f.csvVsConsume, 4)
      << ",\"csv_vs_insert\":" << fixed(f.csvVsInsert, 4)
      << ",\"batch_extract_s\":" << fixed(r.extractSeconds, 3) << ",\"batch_load_s\":" << fixed(r.loadSeconds, 3)
      << ",\"batch_total_s\":" << fixed(r.batchSeconds, 3) << ",\"latency_p50_ms\":" << fixed(f.p50, 1)
      << ",\"latency_p99_ms\":" << fixed(f.p99, 1) << ",\"latency_rate_per_s\":" << fixed(r.latencyRate, 0)
      << ",\"latency_samples\":" << r.latenciesMs.size() << ",\"latency_missing\":" << r.latencyMissing
      << ",\"peak_rss_mb\":" << fixed(f.peakRssMb, 1) << ",\"rss_before_drain_mb\":" << fixed(f.rssBeforeMb, 1)
      << ",\"cpu_s_per_million_rows\":" << fixed(f.cpuPerMillion, 3)
      << ",\"broker_cpu_s_per_million_rows\":" << fixed(f.brokerCpuPerMillion, 3)
      << ",\"raw_consume_cpu_s_per_million\":" << fixed(f.consumeCpuPerMillion, 3)
      << ",\"raw_insert_cpu_s_per_million\":" << fixed(f.insertCpuPerMillion, 3)
      << ",\"cpu_cores\":" << std::thread::hardware_concurrency() << ",\"rounds\":" << r.rounds.size();
    auto list = [&](const char* key, double Results::Round::*field) {
        o << ",\"" << key << "\":[";
        for (size_t i = 0; i < r.rounds.size(); ++i)
            o << (i ? "," : "") << std::llround(r.rounds[i].*field);
        o << "]";
    };
    list("round_raw_consume_per_s", &Results::Round::consume);
    list("round_raw_insert_per_s", &Results::Round::insert);
    list("round_csv_rows_per_s", &Results::Round::csv);
    o << "}";
    std::printf("%s\n", o.str().c_str());
}


void takeMedians(const std::vector<Results>& rounds, Results& r) {
    std::vector<double> consume, drain, insert;
    for (const Results& x : rounds) {
        consume.push_back(x.consumeSeconds > 0 ? static_cast<double>(x.messages) / x.consumeSeconds : 0);
        drain.push_back(x.drainSeconds > 0 ? static_cast<double>(x.drainRows) / x.drainSeconds : 0);
        insert.push_back(x.insertSeconds > 0 ? static_cast<double>(x.insertRows) / x.insertSeconds : 0);
    }
    const Results& c = rounds[medianIndex(consume)];
    r.consumeSeconds = c.consumeSeconds;
    r.consumeCpuSeconds = c.consumeCpuSeconds;
    const Results& e = rounds[medianIndex(drain)];
    r.drainSeconds = e.drainSeconds;
    r.drainRows = e.drainRows;
    r.drainBatches = e.drainBatches;
    r.drainCpuSeconds = e.drainCpuSeconds;
    r.brokerCpuSeconds = e.brokerCpuSeconds;
    r.rssBeforeBytes = e.rssBeforeBytes;
    r.extractSeconds = e.extractSeconds;
    r.loadSeconds = e.loadSeconds;
    r.batchSeconds = e.batchSeconds;
    r.rssPeakBytes = 0;
    for (const Results& x : rounds)
        r.rssPeakBytes = std::max(r.rssPeakBytes, x.rssPeakBytes);
    const Results& s = rounds[medianIndex(insert)];
    r.insertRows = s.insertRows;
    r.insertBatchRows = s.insertBatchRows;
    r.insertSeconds = s.insertSeconds;
    r.insertCpuSeconds = s.insertCpuSeconds;
    r.rounds.clear();
    for (size_t i = 0; i < rounds.size(); ++i)
        r.rounds.push_back({consume[i], insert[i], drain[i]});
}

} // namespace sluicectl::bench
