#include "browser/TableBrowser.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

namespace sluice::ui {

namespace {

QString quoteIdentifier(QString name) {
    return QLatin1Char('"') + name.replace(QLatin1Char('"'), QLatin1String("\"\"")) +
           QLatin1Char('"');
}

} // namespace

// ---- LazyTableModel ---------------------------------------------------------------------------

void LazyTableModel::setTable(QuerySession* session, const QString& table) {
    beginResetModel();
    m_session = session;
    m_table = table;
    m_error.clear();
    m_columns.clear();
    m_rows.clear();
    m_atEnd = true;
    if (m_session && !m_table.isEmpty()) {
        QueryResult first = page(0);
        if (first.ok) {
            m_columns = first.columns;
            m_rows = std::move(first.rows);
            m_atEnd = m_rows.size() < kPageSize;
        } else {
            m_error = first.error;
        }
    }
    endResetModel();
}

QueryResult LazyTableModel::page(qint64 offset) {
    const QString sql = QStringLiteral("SELECT * FROM %1 LIMIT %2 OFFSET %3")
                            .arg(quoteIdentifier(m_table))
                            .arg(kPageSize)
                            .arg(offset);
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
    m_model = new LazyTableModel(this);
    m_view = new QTableView(this);
    m_view->setModel(m_model);
    m_view->setAlternatingRowColors(true);
    m_view->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_view->horizontalHeader()->setStretchLastSection(false);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 6);

    auto* right = new QWidget(this);
    auto* rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->addWidget(m_header);
    rightLayout->addWidget(m_view, 1);

    auto* splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(left);
    splitter->addWidget(right);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({200, 800});
    auto* layout = new QHBoxLayout(this);
    layout->addWidget(splitter);

    connect(refreshButton, &QPushButton::clicked, this, &TableBrowser::refresh);
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
    m_model->setTable(m_session.get(), name);
    m_view->resizeColumnsToContents();
    m_header->setText(m_model->lastError().isEmpty()
                          ? tr("%1 — first %2 rows, more load as you scroll")
                                .arg(name)
                                .arg(LazyTableModel::kPageSize)
                          : m_model->lastError());
}

void TableBrowser::onTableChosen() {
    auto* item = m_list->currentItem();
    if (item)
        selectTable(item->data(Qt::UserRole).toString());
}

} // namespace sluice::ui
