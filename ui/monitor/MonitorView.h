#pragma once
// The Monitor tab: charts over a rolling window (1, 5 or 15 minutes) of throughput (rows/s,
// MB/s), lag (messages, and seconds: the age of the message at the cursor) and the batch time
// split into extract / transform / load; below, the partition table (with health), the batch
// log and the errors.
//
// GUI thread. Snapshots come from EngineBridge::snapshotsUpdated() (one point per pipeline per
// tick, trimmed to the longest window); the batch and error logs are read once a second by a
// BatchLogReader. A coalescing timer redraws at most kRedrawIntervalMs apart, only when data
// changed. Charts zoom and pan horizontally (wheel, drag); doing so stops following the live
// edge until "Follow live". A right click on a chart offers "Replay from here": the view emits
// replayRequested() with the clicked time.

#include "bridge/EngineBridge.h"
#include "monitor/BatchLog.h"
#include "monitor/PipelineModels.h"

#include <QHash>
#include <QTimer>
#include <QWidget>

#include <memory>

class QComboBox;
class QCPBars;
class QCPGraph;
class QCustomPlot;
class QLabel;
class QTabWidget;
class QTableView;

namespace sluice::ui {

class MonitorView : public QWidget {
    Q_OBJECT
public:
    static constexpr double kMaxWindowSeconds = 900;
    static constexpr double kMinSpanSeconds = 30;
    static constexpr int kRedrawIntervalMs = 100; // at most 10 redraws a second
    static constexpr int kLogIntervalMs = 1000;

    explicit MonitorView(EngineBridge* bridge, QWidget* parent = nullptr);
    ~MonitorView() override;

    void setSnapshots(const QVector<PipelineStats>& pipelines);
    // Charts and partitions of one pipeline; every pipeline when name is empty.
    void setSelectedPipeline(const QString& name);
    QString selectedPipeline() const { return m_selected; }
    // The pipeline the batch chart and "Replay from here" are about: the selected one, or the
    // first one when none is selected.
    QString focusPipeline() const;
    void setWindowMinutes(int minutes); // 1, 5 or 15
    double windowSeconds() const { return m_windowSeconds; }
    void followLive();
    bool following() const { return m_follow; }
    // Points held by the visible throughput graphs.
    int dataPointCount() const;
    void clear();
    // Replots now (the timer otherwise coalesces redraws); for grabbing the widget.
    void redrawNow();
    // Reads new batches and errors now (a timer otherwise does it once a second).
    void refreshLogs();
    // Asks for a replay of the focus pipeline from `epochSeconds` (as the chart's menu does).
    void requestReplayAt(double epochSeconds);

    QCustomPlot* throughputPlot() const { return m_ratePlot; }
    QCustomPlot* bytesPlot() const { return m_bytesPlot; }
    QCustomPlot* lagPlot() const { return m_lagPlot; }
    QCustomPlot* lagSecondsPlot() const { return m_lagSecondsPlot; }
    QCustomPlot* batchPlot() const { return m_batchPlot; }
    PartitionTableModel* partitionModel() const { return m_partitionModel; }
    BatchLogModel* batchLog() const { return m_batchModel; }
    ErrorLogModel* errorLog() const { return m_errorModel; }
    QTabWidget* detailTabs() const { return m_details; }

signals:
    void replayRequested(const QString& pipeline, double epochSeconds);

private:
    struct Series {
        QCPGraph* rate = nullptr;
        QCPGraph* bytes = nullptr;
        QCPGraph* lag = nullptr;
        QCPGraph* lagSeconds = nullptr;
    };
    QCustomPlot* makePlot(const QString& title, const QString& valueLabel);
    QList<QCustomPlot*> timePlots() const;
    Series& seriesFor(const QString& name);
    void removeSeries(const QString& name);
    void applySelection();
    void redraw(bool immediately);
    void rebuildBatchBars();
    void onStoreOpened();
    void onStoreClosed();
    void onUserRange(QCustomPlot* source);
    void showMenu(QCustomPlot* plot, const QPoint& pos);

    EngineBridge* m_bridge;
    std::unique_ptr<BatchLogReader> m_reader;
    QCustomPlot* m_ratePlot = nullptr;
    QCustomPlot* m_bytesPlot = nullptr;
    QCustomPlot* m_lagPlot = nullptr;
    QCustomPlot* m_lagSecondsPlot = nullptr;
    QCustomPlot* m_batchPlot = nullptr;
    QCPBars* m_extractBars = nullptr;
    QCPBars* m_transformBars = nullptr;
    QCPBars* m_loadBars = nullptr;
    QLabel* m_title = nullptr;
    QComboBox* m_window = nullptr;
    QTabWidget* m_details = nullptr;
    QTableView* m_partitionView = nullptr;
    PartitionTableModel* m_partitionModel = nullptr;
    BatchLogModel* m_batchModel = nullptr;
    ErrorLogModel* m_errorModel = nullptr;
    QHash<QString, Series> m_series;
    QVector<PipelineStats> m_last;
    QString m_selected;
    QTimer m_redrawTimer;
    QTimer m_logTimer;
    double m_windowSeconds = 300;
    bool m_follow = true;
    bool m_settingRange = false;
    bool m_dirty = false;
    bool m_batchesDirty = false;
    int m_colorIndex = 0;
};

} // namespace sluice::ui
