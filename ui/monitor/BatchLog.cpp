#include "monitor/BatchLog.h"

#include <QColor>
#include <QDateTime>
#include <QLocale>

#include <algorithm>
#include <map>

namespace sluice::ui {

namespace {

constexpr size_t kMaxRead = 20000;

// START_TIME is 'YYYY-MM-DD HH:MM:SS.SSS' in UTC; julianday() turns it into epoch seconds.
const char* const kEpoch = "(julianday(%1) - 2440587.5) * 86400.0";

QString clock(double epochSeconds) {
    return QDateTime::fromMSecsSinceEpoch(qint64(epochSeconds * 1000))
        .toString(QStringLiteral("HH:mm:ss.zzz"));
}

QString seconds(double s) {
    return QLocale().toString(s, 'f', 3);
}

} // namespace

// ---- BatchLogReader ---------------------------------------------------------------------------

BatchLogReader::BatchLogReader(std::unique_ptr<QuerySession> session)
    : m_session(std::move(session)) {}

BatchLogReader::~BatchLogReader() = default;

QVector<BatchRecord> BatchLogReader::readBatches(QString* error) {
    QVector<BatchRecord> out;
    if (!m_session)
        return out;
    QString from = QString::number(m_from);
    if (m_from < 0) {
        from = QStringLiteral("(SELECT coalesce(max(BATCH_ID), 0) - %1 FROM "
                              "information_schema.PIPELINES_BATCHES_SUMMARY)")
                   .arg(kInitialBatches);
    }
    const QueryResult batches = m_session->query(
        QStringLiteral("SELECT BATCH_ID, PIPELINE_NAME, BATCH_STATE, %1, EXTRACTOR_WAIT_TIME, "
                       "TRANSFORM_WAIT_TIME, BATCH_TIME, ROWS_STREAMED, MB_STREAMED "
                       "FROM information_schema.PIPELINES_BATCHES_SUMMARY WHERE BATCH_ID >= %2 "
                       "ORDER BY BATCH_ID")
            .arg(QString::fromLatin1(kEpoch).arg(QStringLiteral("START_TIME")), from),
        kMaxRead);
    if (!batches.ok) {
        if (error)
            *error = batches.error;
        return out;
    }
    if (batches.rows.isEmpty()) {
        if (m_from < 0)
            m_from = 0;
        return out;
    }
    const qint64 first = batches.rows.first().at(0).toLongLong();
    const QueryResult ranges = m_session->query(
        QStringLiteral("SELECT BATCH_ID, BATCH_SOURCE_PARTITION_ID, BATCH_EARLIEST_OFFSET, "
                       "BATCH_LATEST_OFFSET, BATCH_PARTITION_PARSED_ROWS "
                       "FROM information_schema.PIPELINES_BATCHES WHERE BATCH_ID >= %1 "
                       "ORDER BY BATCH_ID, BATCH_SOURCE_PARTITION_ID")
            .arg(first),
        kMaxRead * 16);
    std::map<qint64, QVector<BatchPartitionRange>> byBatch;
    if (ranges.ok) {
        for (const auto& r : ranges.rows) {
            byBatch[r.at(0).toLongLong()].push_back({r.at(1).toInt(), r.at(2).toLongLong(),
                                                     r.at(3).toLongLong(), r.at(4).toLongLong()});
        }
    } else if (error) {
        *error = ranges.error;
    }
    qint64 pending = -1;
    for (const auto& r : batches.rows) {
        BatchRecord b;
        b.id = r.at(0).toLongLong();
        b.pipeline = r.at(1).toString();
        b.state = r.at(2).toString();
        b.startTime = r.at(3).toDouble();
        b.extractSeconds = r.at(4).toDouble();
        b.transformSeconds = r.at(5).toDouble();
        b.batchSeconds = r.at(6).toDouble();
        b.rows = r.at(7).toLongLong();
        b.megabytes = r.at(8).toDouble();
        if (auto it = byBatch.find(b.id); it != byBatch.end())
            b.ranges = std::move(it->second);
        if (pending < 0 && b.state == QLatin1String("In Progress"))
            pending = b.id;
        out.push_back(std::move(b));
    }
    m_from = pending >= 0 ? pending : out.last().id + 1;
    return out;
}

QVector<ErrorEntry> BatchLogReader::readErrors(QString* error) {
    QVector<ErrorEntry> out;
    if (!m_session)
        return out;
    const QString after = m_lastError >= 0
                              ? QString::number(m_lastError)
                              : QStringLiteral("(SELECT coalesce(max(ERROR_ID), 0) - %1 FROM "
                                               "information_schema.PIPELINES_ERRORS)")
                                    .arg(kInitialErrors);
    const QueryResult r = m_session->query(
        QStringLiteral("SELECT ERROR_ID, PIPELINE_NAME, ERROR_UNIX_TIMESTAMP, ERROR_TYPE, "
                       "ERROR_MESSAGE, STD_ERROR, BATCH_SOURCE_PARTITION_ID, "
                       "BATCH_EARLIEST_OFFSET, BATCH_LATEST_OFFSET "
                       "FROM information_schema.PIPELINES_ERRORS WHERE ERROR_ID > %1 "
                       "ORDER BY ERROR_ID")
            .arg(after),
        kMaxRead);
    if (!r.ok) {
        if (error)
            *error = r.error;
        return out;
    }
    if (m_lastError < 0)
        m_lastError = 0;
    for (const auto& row : r.rows) {
        ErrorEntry e;
        e.id = row.at(0).toLongLong();
        e.pipeline = row.at(1).toString();
        e.time = row.at(2).toDouble();
        e.type = row.at(3).toString();
        e.message = row.at(4).toString();
        e.stdError = row.at(5).toString();
        e.partition = row.at(6).isNull() ? -1 : row.at(6).toInt();
        e.earliest = row.at(7).isNull() ? -1 : row.at(7).toLongLong();
        e.latest = row.at(8).isNull() ? -1 : row.at(8).toLongLong();
        m_lastError = std::max(m_lastError, e.id);
        out.push_back(std::move(e));
    }
    return out;
}

// ---- BatchLogModel ----------------------------------------------------------------------------

int BatchLogModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_records.size());
}

int BatchLogModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant BatchLogModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= m_records.size())
        return {};
    const BatchRecord& b = m_records.at(index.row());
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case Batch:
            return b.id;
        case Pipeline:
            return b.pipeline;
        case State:
            return b.state;
        case Start:
            return clock(b.startTime);
        case Rows:
            return QLocale().toString(b.rows);
        case Megabytes:
            return QLocale().toString(b.megabytes, 'f', 3);
        case Extract:
            return seconds(b.extractSeconds);
        case Transform:
            return seconds(b.transformSeconds);
        case Load:
            return seconds(b.loadSeconds());
        case Total:
            return seconds(b.batchSeconds);
        case Ranges: {
            QStringList parts;
            for (const auto& r : b.ranges)
                parts << QStringLiteral("%1:[%2,%3)").arg(r.partition).arg(r.start).arg(r.end);
            return parts.join(QLatin1Char(' '));
        }
        }
    } else if (role == Qt::ForegroundRole && index.column() == State &&
               b.state == QLatin1String("Failed")) {
        return QColor(0xc6, 0x28, 0x28);
    } else if (role == Qt::TextAlignmentRole && index.column() != Pipeline &&
               index.column() != State && index.column() != Ranges) {
        return QVariant::fromValue(int(Qt::AlignRight | Qt::AlignVCenter));
    }
    return {};
}

QVariant BatchLogModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const char* const names[] = {QT_TR_NOOP("Batch"),
                                        QT_TR_NOOP("Pipeline"),
                                        QT_TR_NOOP("State"),
                                        QT_TR_NOOP("Start"),
                                        QT_TR_NOOP("Rows"),
                                        QT_TR_NOOP("MB"),
                                        QT_TR_NOOP("Extract (s)"),
                                        QT_TR_NOOP("Transform (s)"),
                                        QT_TR_NOOP("Load (s)"),
                                        QT_TR_NOOP("Batch (s)"),
                                        QT_TR_NOOP("Partition ranges")};
    return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

void BatchLogModel::upsert(const QVector<BatchRecord>& records) {
    QVector<BatchRecord> fresh;
    for (const BatchRecord& r : records) {
        auto it = std::lower_bound(m_records.begin(), m_records.end(), r.id,
                                   [](const BatchRecord& a, qint64 id) { return a.id < id; });
        if (it != m_records.end() && it->id == r.id) {
            *it = r;
            const int row = int(it - m_records.begin());
            emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
        } else {
            fresh.push_back(r);
        }
    }
    if (!fresh.isEmpty()) {
        std::sort(fresh.begin(), fresh.end(),
                  [](const BatchRecord& a, const BatchRecord& b) { return a.id < b.id; });
        beginInsertRows({}, int(m_records.size()), int(m_records.size() + fresh.size() - 1));
        m_records += fresh;
        endInsertRows();
    }
    if (m_records.size() > kMaxRecords) {
        const int excess = int(m_records.size()) - kMaxRecords;
        beginRemoveRows({}, 0, excess - 1);
        m_records.remove(0, excess);
        endRemoveRows();
    }
}

void BatchLogModel::clear() {
    beginResetModel();
    m_records.clear();
    endResetModel();
}

// ---- ErrorLogModel ----------------------------------------------------------------------------

int ErrorLogModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_entries.size());
}

int ErrorLogModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ErrorLogModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= m_entries.size())
        return {};
    const ErrorEntry& e = m_entries.at(index.row());
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case Time:
            return QDateTime::fromMSecsSinceEpoch(qint64(e.time * 1000))
                .toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
        case Pipeline:
            return e.pipeline;
        case Type:
            return e.type;
        case Partition:
            return e.partition < 0 ? QVariant() : QVariant(e.partition);
        case Offsets:
            return e.earliest < 0 ? QString()
                                  : QStringLiteral("[%1, %2)").arg(e.earliest).arg(e.latest);
        case Message:
            return e.message;
        }
    } else if (role == Qt::ToolTipRole) {
        return e.stdError.isEmpty() ? e.message : e.message + QLatin1Char('\n') + e.stdError;
    } else if (role == Qt::ForegroundRole && e.type == QLatin1String("Error")) {
        return QColor(0xc6, 0x28, 0x28);
    }
    return {};
}

QVariant ErrorLogModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const char* const names[] = {QT_TR_NOOP("Time"),    QT_TR_NOOP("Pipeline"),
                                        QT_TR_NOOP("Type"),    QT_TR_NOOP("Partition"),
                                        QT_TR_NOOP("Offsets"), QT_TR_NOOP("Message")};
    return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

void ErrorLogModel::append(const QVector<ErrorEntry>& entries) {
    if (entries.isEmpty())
        return;
    beginInsertRows({}, int(m_entries.size()), int(m_entries.size() + entries.size() - 1));
    m_entries += entries;
    endInsertRows();
    if (m_entries.size() > kMaxRecords) {
        const int excess = int(m_entries.size()) - kMaxRecords;
        beginRemoveRows({}, 0, excess - 1);
        m_entries.remove(0, excess);
        endRemoveRows();
    }
}

void ErrorLogModel::clear() {
    beginResetModel();
    m_entries.clear();
    endResetModel();
}

} // namespace sluice::ui
