#include "browser/TableBrowser.h"

#include <QComboBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QPushButton>
#include <QSaveFile>
#include <QSplitter>
#include <QTableView>
#include <QTextStream>
#include <QVBoxLayout>

namespace sluice::ui {

namespace {

QString quoteIdentifier(QString name) {
    return QLatin1Char('"') + name.replace(QLatin1Char('"'), QLatin1String("\"\"")) +
           QLatin1Char('"');
}

// '%text%' with LIKE's wildcards in text escaped by '\'.
QString likePattern(QString text) {
    text.replace(QLatin1Char('\\'), QLatin1String("\\\\"));
    text.replace(QLatin1Char('%'), QLatin1String("\\%"));
    text.replace(QLatin1Char('_'), QLatin1String("\\_"));
    text.replace(QLatin1Char('\''), QLatin1String("''"));
    return QStringLiteral("'%") + text + QStringLiteral("%'");
}

QString csvField(const QVariant& v) {
    if (v.isNull())
        return {};
    QString s = v.toString();
    if (s.contains(QLatin1Char(',')) || s.contains(QLatin1Char('"')) ||
        s.contains(QLatin1Char('\n')) || s.contains(QLatin1Char('\r'))) {
        s.replace(QLatin1Char('"'), QLatin1String("\"\""));
        return QLatin1Char('"') + s + QLatin1Char('"');
    }
    return s;
}

void writeCsvLine(QTextStream& out, const QVector<QVariant>& values) {
    for (int i = 0; i < values.size(); ++i) {
        if (i)
            out << ',';
        out << csvField(values.at(i));
    }
    out << "\r\n";
}

} // namespace

// ---- LazyTableModel ---------------------------------------------------------------------------

void LazyTableModel::setTable(QuerySession* session, const QString& table) {
    m_session = session;
    m_table = table;
    m_filterColumn = -1;
    m_filterText.clear();
    m_sortColumn = -1;
    m_columns.clear();
    reload();
}

void LazyTableModel::setFilter(int column, const QString& text) {
    m_filterColumn = column;
    m_filterText = text;
    reload();
}

void LazyTableModel::sort(int column, Qt::SortOrder order) {
    if (column == m_sortColumn && order == m_sortOrder)
        return;
    m_sortColumn = column;
    m_sortOrder = order;
    reload();
}

QString LazyTableModel::selectSql() const {
    QString sql = QStringLiteral("SELECT * FROM %1").arg(quoteIdentifier(m_table));
    if (!m_filterText.isEmpty() && !m_columns.isEmpty()) {
        QStringList terms;
        for (int c = 0; c < m_columns.size(); ++c) {
            if (m_filterColumn < 0 || m_filterColumn == c) {
                terms << QStringLiteral("%1 LIKE %2 ESCAPE '\\'")
                             .arg(quoteIdentifier(m_columns.at(c)), likePattern(m_filterText));
            }
        }
        if (!terms.isEmpty())
            sql += QStringLiteral(" WHERE ") + terms.join(QStringLiteral(" OR "));
    }
    if (m_sortColumn >= 0 && m_sortColumn < m_columns.size()) {
        sql += QStringLiteral(" ORDER BY %1 %2")
                   .arg(quoteIdentifier(m_columns.at(m_sortColumn)),
                        m_sortOrder == Qt::AscendingOrder ? QStringLiteral("ASC")
                                                          : QStringLiteral("DESC"));
    }
    return sql;
}

bool LazyTableModel::exportCsv(const QString& path, QString* error) {
    auto fail = [&](const QString& message) {
        if (error)
            *error = message;
        return false;
    };
    if (!m_session || m_table.isEmpty())
        return fail(tr("no table is shown"));
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Text))
        return fail(file.errorString());
    QTextStream out(&file);
    QVector<QVariant> header;
    for (const QString& c : m_columns)
        header << c;
    writeCsvLine(out, header);
    for (qint64 offset = 0;; offset += kExportPageSize) {
        const QueryResult r = m_session->query(QStringLiteral("%1 LIMIT %2 OFFSET %3")
                                                   .arg(selectSql())
                                                   .arg(kExportPageSize)
                                                   .arg(offset),
                                               kExportPageSize);
        if (!r.ok)
            return fail(r.error);
        for (const auto& row : r.rows)
            writeCsvLine(out, row);
        if (r.rows.size() < kExportPageSize)
            break;
    }
    out.flush();
    if (out.status() != QTextStream::Ok || !file.commit())
        return fail(file.errorString());
    return true;
}

void LazyTableModel::reload() {
    beginResetModel();
    m_error.clear();
    m_rows.clear();
    m_atEnd = true;
    if (m_session && !m_table.isEmpty()) {
        QueryResult first = page(0);
        if (first.ok) {
            if (!first.columns.isEmpty())
                m_columns = first.columns;
            m_rows = std::move(first.rows);
            m_atEnd = m_rows.size() < kPageSize;
        } else {
            m_error = first.error;
        }
    } else {
        m_columns.clear();
    }
    endResetModel();
}

QueryResult LazyTableModel::page(qint64 offset) {
    const QString sql =
        QStringLiteral("%1 LIMIT %2 OFFSET %3").arg(selectSql()).arg(kPageSize).arg(offset);
    return m_session->query(sql, kPageSize);
}

int LazyTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_rows.size());
}

int LazyTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_columns.size());
}

QVariant LazyTableModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const auto& row = m_rows.at(index.row());
    if (index.column() >= row.size())
        return {};
    const QVariant& v = row.at(index.column());
    if (role == Qt::DisplayRole)
        return v.isNull() ? QVariant(QStringLiteral("NULL")) : v;
    if (role == Qt::ForegroundRole && v.isNull())
        return QColor(Qt::gray);
    if (role == Qt::TextAlignmentRole) {
        const bool number = v.typeId() == QMetaType::LongLong || v.typeId() == QMetaType::Double;
        return QVariant::fromValue(
            int((number ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignVCenter));
    }
    return {};
}

QVariant LazyTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (role != Qt::DisplayRole)
        return {};
    if (orientation == Qt::Horizontal)
        return section < m_columns.size() ? m_columns.at(section) : QVariant();
    return section + 1;
}

bool LazyTableModel::canFetchMore(const QModelIndex& parent) const {
    return !parent.isValid() && m_session && !m_atEnd;
}

void LazyTableModel::fetchMore(const QModelIndex& parent) {
    if (!canFetchMore(parent))
        return;
    QueryResult next = page(m_rows.size());
    if (!next.ok) {
        m_error = next.error;
        m_atEnd = true;
        return;
    }
    m_atEnd = next.rows.size() < kPageSize;
    if (next.rows.isEmpty())
        return;
    beginInsertRows({}, int(m_rows.size()), int(m_rows.size() + next.rows.size() - 1));
    m_rows += next.rows;
    endInsertRows();
}

// ---- TableBrowser -----------------------------------------------------------------------------

TableBrowser::TableBrowser(EngineBridge* bridge, QWidget* parent)
    : QWidget(parent), m_bridge(bridge) {
    m_list = new QListWidget(this);
    m_list->setMinimumWidth(160);
    auto* refreshButton = new QPushButton(tr("Refresh"), this);

    auto* left = new QWidget(this);
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addWidget(new QLabel(tr("Tables"), left));
    leftLayout->addWidget(m_list, 1);
    leftLayout->addWidget(refreshButton);

    m_header = new QLabel(this);
    m_header->setTextFormat(Qt::PlainText);
    m_filterColumn = new QComboBox(this);
    m_filterColumn->setToolTip(tr("Column the filter applies to"));
    m_filter = new QLineEdit(this);
    m_filter->setPlaceholderText(tr("Filter: rows whose value contains this text (LIKE)"));
    m_filter->setClearButtonEnabled(true);
    auto* exportButton = new QPushButton(tr("Export CSV..."), this);
    m_filterDelay = new QTimer(this);
    m_filterDelay->setSingleShot(true);
    m_filterDelay->setInterval(300);
    auto* filterBar = new QHBoxLayout;
    filterBar->addWidget(m_filterColumn);
    filterBar->addWidget(m_filter, 1);
    filterBar->addWidget(exportButton);
    m_model = new LazyTableModel(this);
    m_view = new QTableView(this);
    m_view->setModel(m_model);
    m_view->setAlternatingRowColors(true);
    m_view->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_view->horizontalHeader()->setStretchLastSection(false);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 6);
    m_view->horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder);
    m_view->horizontalHeader()->setSortIndicatorShown(true);
    m_view->setSortingEnabled(true);

    auto* right = new QWidget(this);
    auto* rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->addWidget(m_header);
    rightLayout->addLayout(filterBar);
    rightLayout->addWidget(m_view, 1);

    auto* splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(left);
    splitter->addWidget(right);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({200, 800});
    auto* layout = new QHBoxLayout(this);
    layout->addWidget(splitter);

    connect(refreshButton, &QPushButton::clicked, this, &TableBrowser::refresh);
    connect(m_filter, &QLineEdit::textChanged, m_filterDelay, qOverload<>(&QTimer::start));
    connect(m_filter, &QLineEdit::returnPressed, this, &TableBrowser::applyFilter);
    connect(m_filterDelay, &QTimer::timeout, this, &TableBrowser::applyFilter);
    connect(m_filterColumn, &QComboBox::activated, this, &TableBrowser::applyFilter);
    connect(exportButton, &QPushButton::clicked, this, qOverload<>(&TableBrowser::exportCsv));
    connect(m_list, &QListWidget::currentRowChanged, this, &TableBrowser::onTableChosen);
    connect(m_bridge, &EngineBridge::storeOpened, this, &TableBrowser::onStoreOpened);
    connect(m_bridge, &EngineBridge::storeClosed, this, &TableBrowser::onStoreClosed);
    if (m_bridge->isOpen())
        onStoreOpened();
}

TableBrowser::~TableBrowser() {
    m_model->setTable(nullptr, {});
}

void TableBrowser::onStoreOpened() {
    m_model->setTable(nullptr, {});
    QString error;
    m_session = QuerySession::open(*m_bridge, &error);
    if (!m_session)
        m_header->setText(error);
    refresh();
}

void TableBrowser::onStoreClosed() {
    m_model->setTable(nullptr, {});
    m_session.reset();
    m_list->clear();
    m_header->clear();
}

void TableBrowser::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    if (m_session && m_list->count() == 0)
        refresh();
}

void TableBrowser::refresh() {
    if (!m_session)
        return;
    const QString current = m_model->table();
    QString error;
    const auto tables = m_session->tables(&error);
    const QSignalBlocker blocker(m_list);
    m_list->clear();
    for (const auto& t : tables) {
        auto* item = new QListWidgetItem(t.name, m_list);
        item->setData(Qt::UserRole, t.name);
        item->setToolTip(t.reference ? tr("reference table (copied to every shard)")
                         : t.shardKey.isEmpty()
                             ? tr("sharded round-robin")
                             : tr("sharded by %1").arg(t.shardKey.join(QStringLiteral(", "))));
    }
    if (!error.isEmpty())
        m_header->setText(error);
    if (!current.isEmpty())
        selectTable(current);
    else if (m_list->count() > 0)
        selectTable(m_list->item(0)->data(Qt::UserRole).toString());
}

void TableBrowser::selectTable(const QString& name) {
    for (int i = 0; i < m_list->count(); ++i) {
        if (m_list->item(i)->data(Qt::UserRole).toString() == name) {
            const QSignalBlocker blocker(m_list);
            m_list->setCurrentRow(i);
            break;
        }
    }
    m_view->horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder);
    m_model->setTable(m_session.get(), name);
    {
        const QSignalBlocker filterBlocker(m_filter);
        m_filter->clear();
    }
    m_filterDelay->stop();
    m_filterColumn->clear();
    m_filterColumn->addItem(tr("Any column"), -1);
    const QStringList columns = m_model->columns();
    for (int c = 0; c < columns.size(); ++c)
        m_filterColumn->addItem(columns.at(c), c);
    m_view->resizeColumnsToContents();
    updateHeader();
}

void TableBrowser::updateHeader() {
    const QString name = m_model->table();
    if (!m_model->lastError().isEmpty()) {
        m_header->setText(m_model->lastError());
        return;
    }
    m_header->setText(m_filter->text().isEmpty()
                          ? tr("%1 — first %2 rows, more load as you scroll")
                                .arg(name)
                                .arg(LazyTableModel::kPageSize)
                          : tr("%1 — filtered: %2").arg(name, m_model->selectSql()));
}

void TableBrowser::applyFilter() {
    m_filterDelay->stop();
    m_model->setFilter(
        m_filterColumn->currentData().isValid() ? m_filterColumn->currentData().toInt() : -1,
        m_filter->text());
    updateHeader();
}

void TableBrowser::exportCsv() {
    if (m_model->table().isEmpty())
        return;
    const QString path =
        QFileDialog::getSaveFileName(this, tr("Export %1 as CSV").arg(m_model->table()),
                                     m_model->table() + ".csv", tr("CSV files (*.csv)"));
    if (path.isEmpty())
        return;
    QString error;
    if (!exportTo(path, &error))
        QMessageBox::warning(this, tr("Export"), tr("Cannot export to %1:\n%2").arg(path, error));
}

bool TableBrowser::exportTo(const QString& path, QString* error) {
    return m_model->exportCsv(path, error);
}

void TableBrowser::onTableChosen() {
    auto* item = m_list->currentItem();
    if (item)
        selectTable(item->data(Qt::UserRole).toString());
}

} // namespace sluice::ui
