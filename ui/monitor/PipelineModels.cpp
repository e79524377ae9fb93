#include "monitor/PipelineModels.h"

#include <QLocale>

#include <algorithm>

namespace sluice::ui {

namespace {

QString number(qint64 n) {
    return QLocale().toString(n);
}

QColor stateColor(const QString& state) {
    if (state == QLatin1String("Running"))
        return {0x2e, 0xa0, 0x43};
    if (state == QLatin1String("Error"))
        return {0xd0, 0x30, 0x30};
    return {0x90, 0x90, 0x90};
}

// Emits dataChanged over the columns of `row` whose values differ.
template <typename Model, typename Get>
void emitChanged(Model* model, int row, int columns, Get&& changed) {
    int first = -1;
    int last = -1;
    for (int c = 0; c < columns; ++c) {
        if (changed(c)) {
            if (first < 0)
                first = c;
            last = c;
        }
    }
    if (first >= 0)
        emit model->dataChanged(model->index(row, first), model->index(row, last));
}

} // namespace

QString healthBadge(Health health) {
    switch (health) {
    case Health::Ok:
        return PipelineListModel::tr("OK");
    case Health::Rewind:
        return PipelineListModel::tr("Rewind");
    case Health::Lagging:
        return PipelineListModel::tr("Lagging");
    case Health::Stalled:
        return PipelineListModel::tr("Stalled");
    case Health::Stopped:
        return PipelineListModel::tr("Stopped consuming");
    }
    return {};
}

QColor healthColor(Health health) {
    switch (health) {
    case Health::Ok:
        return {0x2e, 0xa0, 0x43};
    case Health::Rewind:
        return {0x1f, 0x77, 0xb4};
    case Health::Lagging:
        return {0xe0, 0xa0, 0x00};
    case Health::Stalled:
        return {0xe0, 0x60, 0x00};
    case Health::Stopped:
        return {0xd0, 0x30, 0x30};
    }
    return Qt::gray;
}

// ---- PipelineListModel ------------------------------------------------------------------------

int PipelineListModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_rows.size());
}

int PipelineListModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant PipelineListModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const PipelineStats& p = m_rows.at(index.row());
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case Name:
            return p.name;
        case State:
            return p.state;
        case Health:
            return healthBadge(p.health);
        case RowsPerSec:
            return number(qRound64(p.rowsPerSec));
        case Lag:
            return number(p.lag);
        case Rows:
            return number(p.rows);
        }
    } else if (role == kRawRole) {
        switch (index.column()) {
        case Name:
            return p.name;
        case State:
            return p.state;
        case Health:
            return healthName(p.health);
        case RowsPerSec:
            return p.rowsPerSec;
        case Lag:
            return p.lag;
        case Rows:
            return p.rows;
        }
    } else if (role == Qt::DecorationRole && index.column() == State) {
        return stateColor(p.state);
    } else if (role == Qt::DecorationRole && index.column() == Health) {
        return healthColor(p.health);
    } else if (role == Qt::ForegroundRole && index.column() == Health &&
               p.health != ui::Health::Ok) {
        return healthColor(p.health).darker(130);
    } else if (role == Qt::TextAlignmentRole && index.column() >= RowsPerSec) {
        return QVariant::fromValue(int(Qt::AlignRight | Qt::AlignVCenter));
    } else if (role == Qt::ToolTipRole) {
        QString tip = tr("%1: %2, %3, %4 batches, worst partition lag %5 (%6 s behind)")
                          .arg(p.name, p.state, healthBadge(p.health), number(p.batches),
                               number(p.worstPartitionLag))
                          .arg(p.lagSeconds, 0, 'f', 1);
        if (!p.lastError.isEmpty())
            tip += "\n" + p.lastError;
        return tip;
    }
    return {};
}

QVariant PipelineListModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Name:
        return tr("Pipeline");
    case State:
        return tr("State");
    case Health:
        return tr("Health");
    case RowsPerSec:
        return tr("Rows/s");
    case Lag:
        return tr("Lag");
    case Rows:
        return tr("Rows");
    }
    return {};
}

void PipelineListModel::update(const QVector<PipelineStats>& pipelines) {
    QVector<PipelineStats> wanted = pipelines;
    std::sort(wanted.begin(), wanted.end(),
              [](const PipelineStats& a, const PipelineStats& b) { return a.name < b.name; });
    for (int i = int(m_rows.size()) - 1; i >= 0; --i) {
        const bool keep = std::any_of(wanted.begin(), wanted.end(), [&](const PipelineStats& w) {
            return w.name == m_rows[i].name;
        });
        if (!keep) {
            beginRemoveRows({}, i, i);
            m_rows.removeAt(i);
            endRemoveRows();
        }
    }
    for (int i = 0; i < wanted.size(); ++i) {
        const PipelineStats& w = wanted[i];
        if (i < m_rows.size() && m_rows[i].name == w.name) {
            const PipelineStats old = m_rows[i];
            m_rows[i] = w;
            emitChanged(this, i, ColumnCount, [&](int c) {
                switch (c) {
                case State:
                    return old.state != w.state;
                case Health:
                    return old.health != w.health;
                case RowsPerSec:
                    return qRound64(old.rowsPerSec) != qRound64(w.rowsPerSec);
                case Lag:
                    return old.lag != w.lag;
                case Rows:
                    return old.rows != w.rows;
                default:
                    return false;
                }
            });
        } else {
            beginInsertRows({}, i, i);
            m_rows.insert(i, w);
            endInsertRows();
        }
    }
}

QString PipelineListModel::nameAt(int row) const {
    return row >= 0 && row < m_rows.size() ? m_rows.at(row).name : QString();
}

int PipelineListModel::rowOf(const QString& name) const {
    for (int i = 0; i < m_rows.size(); ++i) {
        if (m_rows[i].name == name)
            return i;
    }
    return -1;
}

// ---- PartitionTableModel ----------------------------------------------------------------------

int PartitionTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_rows.size());
}

int PartitionTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant PartitionTableModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const Row& r = m_rows.at(index.row());
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case Pipeline:
            return r.pipeline;
        case Partition:
            return r.stats.partition;
        case Cursor:
            return number(r.stats.cursor);
        case HighWatermark:
            return r.stats.highWatermark < 0 ? tr("unknown") : number(r.stats.highWatermark);
        case Lag:
            return number(r.stats.lag);
        case LagSeconds:
            return QLocale().toString(r.stats.lagSeconds, 'f', 1);
        case Health:
            return healthBadge(r.stats.health);
        }
    } else if (role == Qt::DecorationRole && index.column() == Health) {
        return healthColor(r.stats.health);
    } else if (role == Qt::TextAlignmentRole && index.column() >= Partition &&
               index.column() < Health) {
        return QVariant::fromValue(int(Qt::AlignRight | Qt::AlignVCenter));
    }
    return {};
}

QVariant PartitionTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Pipeline:
        return tr("Pipeline");
    case Partition:
        return tr("Partition");
    case Cursor:
        return tr("Cursor");
    case HighWatermark:
        return tr("High watermark");
    case Lag:
        return tr("Lag");
    case LagSeconds:
        return tr("Lag (s)");
    case Health:
        return tr("Health");
    }
    return {};
}

bool PartitionTableModel::before(const Row& a, const Row& b) {
    if (a.pipeline != b.pipeline)
        return a.pipeline < b.pipeline;
    return a.stats.partition < b.stats.partition;
}

bool PartitionTableModel::sameKey(const Row& a, const Row& b) {
    return a.pipeline == b.pipeline && a.stats.partition == b.stats.partition;
}

void PartitionTableModel::update(const QVector<PipelineStats>& pipelines, const QString& only) {
    QVector<Row> wanted;
    for (const auto& p : pipelines) {
        if (!only.isEmpty() && p.name != only)
            continue;
        for (const auto& s : p.partitions)
            wanted.push_back({p.name, s});
    }
    std::sort(wanted.begin(), wanted.end(), &PartitionTableModel::before);
    for (int i = int(m_rows.size()) - 1; i >= 0; --i) {
        const bool keep = std::any_of(wanted.begin(), wanted.end(),
                                      [&](const Row& w) { return sameKey(w, m_rows[i]); });
        if (!keep) {
            beginRemoveRows({}, i, i);
            m_rows.removeAt(i);
            endRemoveRows();
        }
    }
    // What is left is a sorted subsequence of `wanted`: walk both, inserting the new keys.
    for (int i = 0; i < wanted.size(); ++i) {
        const Row& w = wanted[i];
        if (i < m_rows.size() && sameKey(m_rows[i], w)) {
            const Row old = m_rows[i];
            m_rows[i] = w;
            emitChanged(this, i, ColumnCount, [&](int c) {
                switch (c) {
                case Cursor:
                    return old.stats.cursor != w.stats.cursor;
                case HighWatermark:
                    return old.stats.highWatermark != w.stats.highWatermark;
                case Lag:
                    return old.stats.lag != w.stats.lag;
                case LagSeconds:
                    return qRound(old.stats.lagSeconds * 10) != qRound(w.stats.lagSeconds * 10);
                case Health:
                    return old.stats.health != w.stats.health;
                default:
                    return false;
                }
            });
        } else {
            beginInsertRows({}, i, i);
            m_rows.insert(i, w);
            endInsertRows();
        }
    }
}

} // namespace sluice::ui
