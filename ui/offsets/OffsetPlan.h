#pragma once
// Offset changes of one pipeline, computed before they are applied (design.md, "Monitoring and
// offsets"): per partition the cursor before, the offset after, and what the change means
// (messages to re-read, or to skip). Pure values and functions; GUI thread or any.

#include "monitor/BatchLog.h"

#include <QMap>
#include <QString>
#include <QVector>

namespace sluice::ui {

struct PartitionCursor {
    int partition = 0;
    qint64 earliest = 0; // low watermark as last seen
    qint64 latest = 0;   // high watermark as last seen
    qint64 cursor = 0;
};

struct OffsetChange {
    int partition = 0;
    qint64 earliest = 0;
    qint64 latest = 0;
    qint64 before = 0;
    qint64 after = 0;
    // > 0: messages read again; < 0: messages skipped.
    qint64 reread() const { return before - after; }
};

struct OffsetPlan {
    QVector<OffsetChange> changes; // by partition
    qint64 totalReread() const;    // sum of positive re-reads
    qint64 totalSkipped() const;   // sum of skips
    bool changesAnything() const;
    // {"0":123,"1":456} for ALTER PIPELINE ... SET OFFSETS.
    QString json() const;
    QString alterStatement(const QString& pipeline) const;
};

OffsetPlan planEarliest(const QVector<PartitionCursor>& cursors);
OffsetPlan planLatest(const QVector<PartitionCursor>& cursors);
// Every cursor moved by delta (negative: back), kept within [earliest, latest].
OffsetPlan planShift(const QVector<PartitionCursor>& cursors, qint64 delta);
// Given offsets per partition; partitions not given keep their cursor.
OffsetPlan planGiven(const QVector<PartitionCursor>& cursors, const QMap<int, qint64>& offsets);
// "As of" a moment through the batch log: for each partition the first offset of the first
// succeeded batch of `pipeline` that read the partition and started at or after `time`
// (epoch seconds); the current cursor when there is none.
OffsetPlan planAtTime(const QVector<PartitionCursor>& cursors, const QVector<BatchRecord>& batches,
                      const QString& pipeline, double time);

} // namespace sluice::ui
