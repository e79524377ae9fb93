#pragma once
// Health of one partition of a pipeline from a window of recent cursor samples, by Burrow's
// rules (design.md, "Health per partition"). Pure functions: no clock, no I/O, no state.
//
// A sample is taken each time the consumer is observed alive (for Sluice: each poll while a
// runner thread runs the pipeline), so a consumer that stopped produces no new samples and
// `now` moves away from the last sample's time. Samples are in time order; times in seconds.

#include <cstdint>
#include <span>
#include <string_view>

namespace sluice::pipeline {

struct PartitionSample {
    double time = 0;            // seconds, any epoch, the same for every sample and `now`
    int64_t cursor = 0;         // next offset to load
    int64_t highWatermark = -1; // -1: unknown (lag counts as 0)
    int64_t lag() const {
        return highWatermark > cursor ? highWatermark - cursor : 0; // also 0 when unknown
    }
};

enum class PartitionHealth { Ok, Stopped, Rewind, Stalled, Lagging };

// Rules, first match wins (rules after the first need at least kMinHealthSamples samples,
// otherwise Ok):
//  1. lag at the last sample is 0                                   -> Ok
//  2. lag > 0 and no sample for longer than the window spans
//     (now - last.time > last.time - first.time)                    -> Stopped
//  3. some sample of the window has lag 0                           -> Ok
//  4. the cursor went backwards between two samples                 -> Rewind
//  5. the cursor is the same in every sample                        -> Stalled
//  6. the lag never fell between consecutive samples                -> Lagging
//  7. otherwise                                                     -> Ok
// An empty window is Ok.
inline constexpr size_t kMinHealthSamples = 2;
PartitionHealth evaluatePartitionHealth(std::span<const PartitionSample> window, double now);

// Ordering for "the pipeline shows its worst partition": Ok < Rewind < Lagging < Stalled <
// Stopped.
int severity(PartitionHealth health);
PartitionHealth worse(PartitionHealth a, PartitionHealth b);
// "OK", "STOPPED", "REWIND", "STALLED", "LAGGING" (Burrow's names).
std::string_view toString(PartitionHealth health);

} // namespace sluice::pipeline
