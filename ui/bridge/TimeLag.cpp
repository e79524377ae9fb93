#include "bridge/TimeLag.h"

#include <algorithm>

namespace sluice::ui {

double estimateTimeLag(const std::deque<WatermarkPoint>& history, int64_t cursor, double now) {
    if (history.empty() || cursor >= history.back().highWatermark)
        return 0;
    const int64_t target = cursor + 1; // the high watermark once the message was written
    auto it = std::find_if(history.begin(), history.end(),
                           [&](const WatermarkPoint& p) { return p.highWatermark >= target; });
    if (it == history.begin())
        return std::max(0.0, now - it->time);
    const WatermarkPoint& before = *(it - 1);
    const WatermarkPoint& after = *it;
    const double span = double(after.highWatermark - before.highWatermark);
    const double fraction = span > 0 ? double(target - before.highWatermark) / span : 1.0;
    const double arrived = before.time + fraction * (after.time - before.time);
    return std::max(0.0, now - arrived);
}

} // namespace sluice::ui
