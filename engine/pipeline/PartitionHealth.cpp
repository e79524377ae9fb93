#include "pipeline/PartitionHealth.h"

namespace sluice::pipeline {

PartitionHealth evaluatePartitionHealth(std::span<const PartitionSample> window, double now) {
    if (window.empty())
        return PartitionHealth::Ok;
    const PartitionSample& first = window.front();
    const PartitionSample& last = window.back();
    if (last.lag() == 0)
        return PartitionHealth::Ok;
    if (window.size() < kMinHealthSamples)
        return PartitionHealth::Ok;
    if (now - last.time > last.time - first.time)
        return PartitionHealth::Stopped;
    for (const auto& s : window) {
        if (s.lag() == 0)
            return PartitionHealth::Ok;
    }
    for (size_t i = 1; i < window.size(); ++i) {
        if (window[i].cursor < window[i - 1].cursor)
            return PartitionHealth::Rewind;
    }
    bool moved = false;
    bool lagFell = false;
    for (size_t i = 1; i < window.size(); ++i) {
        moved = moved || window[i].cursor != first.cursor;
        lagFell = lagFell || window[i].lag() < window[i - 1].lag();
    }
    if (!moved)
        return PartitionHealth::Stalled;
    if (!lagFell)
        return PartitionHealth::Lagging;
    return PartitionHealth::Ok;
}

int severity(PartitionHealth health) {
    switch (health) {
    case PartitionHealth::Ok:
        return 0;
    case PartitionHealth::Rewind:
        return 1;
    case PartitionHealth::Lagging:
        return 2;
    case PartitionHealth::Stalled:
        return 3;
    case PartitionHealth::Stopped:
        return 4;
    }
    return 0;
}

PartitionHealth worse(PartitionHealth a, PartitionHealth b) {
    return severity(b) > severity(a) ? b : a;
}

std::string_view toString(PartitionHealth health) {
    switch (health) {
    case PartitionHealth::Ok:
        return "OK";
    case PartitionHealth::Stopped:
        return "STOPPED";
    case PartitionHealth::Rewind:
        return "REWIND";
    case PartitionHealth::Stalled:
        return "STALLED";
    case PartitionHealth::Lagging:
        return "LAGGING";
    }
    return "OK";
}

} // namespace sluice::pipeline
