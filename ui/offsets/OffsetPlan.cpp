#include "offsets/OffsetPlan.h"

#include <algorithm>

namespace sluice::ui {

namespace {

OffsetPlan plan(const QVector<PartitionCursor>& cursors, auto&& after) {
    OffsetPlan out;
    for (const PartitionCursor& c : cursors)
        out.changes.push_back({c.partition, c.earliest, c.latest, c.cursor, after(c)});
    std::sort(
        out.changes.begin(), out.changes.end(),
        [](const OffsetChange& a, const OffsetChange& b) { return a.partition < b.partition; });
    return out;
}

} // namespace

qint64 OffsetPlan::totalReread() const {
    qint64 n = 0;
    for (const auto& c : changes)
        n += std::max<qint64>(0, c.reread());
    return n;
}

qint64 OffsetPlan::totalSkipped() const {
    qint64 n = 0;
    for (const auto& c : changes)
        n += std::max<qint64>(0, -c.reread());
    return n;
}

bool OffsetPlan::changesAnything() const {
    return std::any_of(changes.begin(), changes.end(),
                       [](const OffsetChange& c) { return c.before != c.after; });
}

QString OffsetPlan::json() const {
    QStringList parts;
    for (const auto& c : changes)
        parts << QStringLiteral("\"%1\":%2").arg(c.partition).arg(c.after);
    return QLatin1Char('{') + parts.join(QLatin1Char(',')) + QLatin1Char('}');
}

QString OffsetPlan::alterStatement(const QString& pipeline) const {
    return QStringLiteral("ALTER PIPELINE %1 SET OFFSETS '%2'").arg(pipeline, json());
}

OffsetPlan planEarliest(const QVector<PartitionCursor>& cursors) {
    return plan(cursors, [](const PartitionCursor& c) { return c.earliest; });
}

OffsetPlan planLatest(const QVector<PartitionCursor>& cursors) {
    return plan(cursors, [](const PartitionCursor& c) { return c.latest; });
}

OffsetPlan planShift(const QVector<PartitionCursor>& cursors, qint64 delta) {
    return plan(cursors, [delta](const PartitionCursor& c) {
        const qint64 hi = std::max(c.earliest, c.latest);
        return std::clamp(c.cursor + delta, c.earliest, hi);
    });
}

OffsetPlan planGiven(const QVector<PartitionCursor>& cursors, const QMap<int, qint64>& offsets) {
    return plan(cursors,
                [&](const PartitionCursor& c) { return offsets.value(c.partition, c.cursor); });
}

OffsetPlan planAtTime(const QVector<PartitionCursor>& cursors, const QVector<BatchRecord>& batches,
                      const QString& pipeline, double time) {
    QMap<int, qint64> found;
    for (const BatchRecord& b : batches) { // by id, so by start time
        if (b.pipeline != pipeline || b.state != QLatin1String("Succeeded") || b.startTime < time)
            continue;
        for (const BatchPartitionRange& r : b.ranges) {
            if (!found.contains(r.partition))
                found.insert(r.partition, r.start);
        }
    }
    return planGiven(cursors, found);
}

} // namespace sluice::ui
