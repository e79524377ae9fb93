#pragma once
// Time lag of a partition: the age of the message at the cursor, estimated from the history of
// (time, high watermark) points by linear interpolation (design.md, "Monitoring and offsets").
// Pure function, no Qt, no clock.

#include <cstdint>
#include <deque>

namespace sluice::ui {

struct WatermarkPoint {
    double time = 0;           // seconds
    int64_t highWatermark = 0; // offset after the last message at that time
};

// history: points in time order, high watermarks non-decreasing. The message at `cursor`
// arrived when the high watermark passed cursor + 1; its age at `now` is the answer. 0 when
// caught up (cursor >= last high watermark) or without history. When the message is older
// than the first point, the age of the first point (a lower bound).
double estimateTimeLag(const std::deque<WatermarkPoint>& history, int64_t cursor, double now);

} // namespace sluice::ui
