#pragma once
// The batch log and the error log of the store's pipelines, read incrementally from the
// catalog views information_schema.PIPELINES_BATCHES_SUMMARY / PIPELINES_BATCHES /
// PIPELINES_ERRORS through the reader's own QuerySession (GUI thread; each read is small: only
// batches from the oldest one still in progress on, and errors newer than the last seen).

#include "bridge/EngineBridge.h"

#include <QAbstractTableModel>

#include <memory>

namespace sluice::ui {

struct BatchPartitionRange {
    int partition = 0;
    qint64 start = 0; // BATCH_EARLIEST_OFFSET: first offset of the batch
    qint64 end = 0;   // BATCH_LATEST_OFFSET: one past the last
    qint64 rows = 0;
};

struct BatchRecord {
    qint64 id = 0;
    QString pipeline;
    QString state;        // Succeeded, Failed, In Progress, No Data
    double startTime = 0; // epoch seconds (START_TIME is UTC)
    double extractSeconds = 0;
    double transformSeconds = 0;
    double batchSeconds = 0;
    qint64 rows = 0;
    double megabytes = 0;
    QVector<BatchPartitionRange> ranges;
    // Load: what the batch time leaves after extract and transform waits.
    double loadSeconds() const {
        return std::max(0.0, batchSeconds - extractSeconds - transformSeconds);
    }
};

struct ErrorEntry {
    qint64 id = 0;
    QString pipeline;
    double time = 0; // epoch seconds
    QString type;
    QString message;
    QString stdError;
    int partition = -1; // -1: none
    qint64 earliest = -1;
    qint64 latest = -1;
};

class BatchLogReader {
public:
    static constexpr int kInitialBatches = 3000;
    static constexpr int kInitialErrors = 500;

    explicit BatchLogReader(std::unique_ptr<QuerySession> session);
    ~BatchLogReader();
    // Batches not read yet and those whose state may still change (in progress).
    QVector<BatchRecord> readBatches(QString* error);
    QVector<ErrorEntry> readErrors(QString* error);

private:
    std::unique_ptr<QuerySession> m_session;
    qint64 m_from = -1;      // next read starts at this batch id; -1: not read yet
    qint64 m_lastError = -1; // -1: not read yet
};

class BatchLogModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        Batch,
        Pipeline,
        State,
        Start,
        Rows,
        Megabytes,
        Extract,
        Transform,
        Load,
        Total,
        Ranges,
        ColumnCount
    };
    static constexpr int kMaxRecords = 5000;

    using QAbstractTableModel::QAbstractTableModel;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    // Inserts new batches and updates known ones (by id); the oldest leave past kMaxRecords.
    void upsert(const QVector<BatchRecord>& records);
    void clear();
    const QVector<BatchRecord>& records() const { return m_records; } // by id

private:
    QVector<BatchRecord> m_records;
};

class ErrorLogModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Time, Pipeline, Type, Partition, Offsets, Message, ColumnCount };
    static constexpr int kMaxRecords = 2000;

    using QAbstractTableModel::QAbstractTableModel;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    void append(const QVector<ErrorEntry>& entries);
    void clear();

private:
    QVector<ErrorEntry> m_entries;
};

} // namespace sluice::ui
