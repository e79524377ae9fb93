#pragma once
// The pipeline list (with state and health badges) and the per-partition table. GUI thread;
// fed by EngineBridge snapshots. Rows are kept across ticks: inserted or removed as pipelines
// and partitions come and go, and only changed cells emit dataChanged.

#include "bridge/EngineBridge.h"

#include <QAbstractTableModel>
#include <QColor>

namespace sluice::ui {

// The badge of a health status: "OK", "Lagging", "Stalled", "Stopped consuming", "Rewind".
QString healthBadge(Health health);
QColor healthColor(Health health);

class PipelineListModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Name, State, Health, RowsPerSec, Lag, Rows, ColumnCount };
    static constexpr int kRawRole = Qt::UserRole + 1; // numbers unformatted, for sorting/tests

    using QAbstractTableModel::QAbstractTableModel;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    void update(const QVector<PipelineStats>& pipelines);
    QString nameAt(int row) const;
    int rowOf(const QString& name) const;
    const PipelineStats& statsAt(int row) const { return m_rows.at(row); }

private:
    QVector<PipelineStats> m_rows; // sorted by name
};

class PartitionTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        Pipeline,
        Partition,
        Cursor,
        HighWatermark,
        Lag,
        LagSeconds,
        Health,
        ColumnCount
    };

    using QAbstractTableModel::QAbstractTableModel;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    // Shows the partitions of `only` (every pipeline when empty).
    void update(const QVector<PipelineStats>& pipelines, const QString& only);

private:
    struct Row {
        QString pipeline;
        PartitionStats stats;
    };
    static bool before(const Row& a, const Row& b);
    static bool sameKey(const Row& a, const Row& b);
    QVector<Row> m_rows; // sorted by (pipeline, partition)
};

} // namespace sluice::ui
