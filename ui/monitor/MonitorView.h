#pragma once
// Monitoring: the pipeline list model, the per-partition model and the Monitor tab (throughput
// and lag charts over a rolling window plus the partition table).
//
// All of it lives on the GUI thread and is fed by EngineBridge::snapshotsUpdated(). Models keep
// their rows across ticks: rows are inserted or removed as pipelines and partitions appear or
// go, and only changed cells emit dataChanged. Charts append one point per pipeline per tick,
// trim what left the window, and are redrawn by a coalescing timer.

#include "bridge/EngineBridge.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QTimer>
#include <QWidget>

class QCustomPlot;
class QCPGraph;
class QLabel;
class QTableView;

namespace sluice::ui {

class PipelineListModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Name, State, RowsPerSec, Lag, Rows, ColumnCount };
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
    enum Column { Pipeline, Partition, Cursor, HighWatermark, Lag, ColumnCount };

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

class MonitorView : public QWidget {
    Q_OBJECT
public:
    static constexpr double kWindowSeconds = 300;
    static constexpr double kMinWindowSeconds = 30;
    static constexpr int kRedrawIntervalMs = 100; // at most 10 redraws a second

    explicit MonitorView(QWidget* parent = nullptr);

    void setSnapshots(const QVector<PipelineStats>& pipelines);
    // Charts and partitions of one pipeline; every pipeline when name is empty.
    void setSelectedPipeline(const QString& name);
    QString selectedPipeline() const { return m_selected; }
    // Points held by the visible throughput graphs.
    int dataPointCount() const;
    void clear();
    // Replots now (the timer otherwise coalesces redraws); for grabbing the widget.
    void redrawNow();

    QCustomPlot* throughputPlot() const { return m_ratePlot; }
    QCustomPlot* lagPlot() const { return m_lagPlot; }
    PartitionTableModel* partitionModel() const { return m_partitionModel; }

private:
    struct Series {
        QCPGraph* rate = nullptr;
        QCPGraph* lag = nullptr;
    };
    QCustomPlot* makePlot(const QString& title, const QString& valueLabel);
    Series& seriesFor(const QString& name);
    void removeSeries(const QString& name);
    void applySelection();
    void redraw(bool immediately);

    QCustomPlot* m_ratePlot = nullptr;
    QCustomPlot* m_lagPlot = nullptr;
    QLabel* m_title = nullptr;
    QTableView* m_partitionView = nullptr;
    PartitionTableModel* m_partitionModel = nullptr;
    QHash<QString, Series> m_series;
    QVector<PipelineStats> m_last;
    QString m_selected;
    QTimer m_redrawTimer;
    bool m_dirty = false;
    int m_colorIndex = 0;
};

} // namespace sluice::ui
