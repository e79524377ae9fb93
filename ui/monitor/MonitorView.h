#pragma once
// Monitoring: the pipeline list model, the per-partition model and the Monitor tab (throughput
// and lag charts over a rolling window plus the partition table).
//
// All of it lives on the GUI thread and is fed by EngineBridge::snapshotsUpdated(). Models keep
// their rows across ticks: rows are inserted or removed as pipelines and partitions appear or
// go, and only changed cells emit dataChanged. Charts append one point per pipeline per tick,
// trim what left the window, and are redrawn by a coalescing timer.

#include "bridge/EngineBridge.h"
#include "monitor/PipelineModels.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QTimer>
#include <QWidget>

class QCustomPlot;
class QCPGraph;
class QLabel;
class QTableView;

namespace sluice::ui {

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
