#pragma once
// The offsets dialog of one pipeline: choose a change (earliest, latest, a given offset per
// partition, shift by +/-N, a moment in time), review it per partition (before, after,
// messages to re-read or skip), apply it. Apply runs ALTER PIPELINE ... SET OFFSETS '{json}'
// on the bridge's statement worker (off the GUI thread); a running pipeline applies it at its
// next batch boundary. What is reviewed is exactly what is applied.
//
// Cursors come from information_schema.PIPELINES_CURSORS through the dialog's own read
// session; a moment in time maps to offsets through the batch log (planAtTime).

#include "offsets/OffsetPlan.h"

#include <QDateTime>
#include <QDialog>

#include <memory>

class QComboBox;
class QDateTimeEdit;
class QLabel;
class QPushButton;
class QSpinBox;
class QStackedWidget;
class QTableWidget;

namespace sluice::ui {

class EngineBridge;
class QuerySession;

class OffsetsDialog : public QDialog {
    Q_OBJECT
public:
    enum class Mode { Earliest, Latest, Shift, Given, AtTime };
    enum Column { Partition, Earliest, Latest, Before, After, Change, ColumnCount };

    OffsetsDialog(EngineBridge* bridge, const QString& pipeline, QWidget* parent = nullptr);
    ~OffsetsDialog() override;

    // Re-reads the cursors and recomputes; false (and the error shown) when they cannot be read.
    bool reload();
    // The batch log used for a moment in time (records by id).
    void setBatchLog(const QVector<BatchRecord>& batches);

    void setMode(Mode mode);
    Mode mode() const;
    void setShift(qint64 delta);
    void setTime(const QDateTime& time);
    void setGiven(const QMap<int, qint64>& offsets);

    QString pipeline() const { return m_pipeline; }
    const QVector<PartitionCursor>& cursors() const { return m_cursors; }
    const OffsetPlan& plan() const { return m_plan; }
    QTableWidget* reviewTable() const { return m_table; }
    QString statusText() const;

    // Sends the ALTER statement; applied() follows. False when nothing would change or no store.
    bool apply();

signals:
    void applied(bool ok, const QString& message);

private:
    void recompute();
    void showPlan();
    void onStatementFinished(const QueryResult& result);
    void setStatus(const QString& text, bool error);

    EngineBridge* m_bridge;
    QString m_pipeline;
    std::unique_ptr<QuerySession> m_session;
    QVector<PartitionCursor> m_cursors;
    QVector<BatchRecord> m_batches;
    QMap<int, qint64> m_given;
    OffsetPlan m_plan;
    quint64 m_pending = 0;
    bool m_showing = false;

    QComboBox* m_mode = nullptr;
    QStackedWidget* m_options = nullptr;
    QSpinBox* m_shift = nullptr;
    QDateTimeEdit* m_time = nullptr;
    QTableWidget* m_table = nullptr;
    QLabel* m_summary = nullptr;
    QLabel* m_status = nullptr;
    QPushButton* m_apply = nullptr;
};

} // namespace sluice::ui
