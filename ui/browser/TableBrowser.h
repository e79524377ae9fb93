#pragma once
// The Tables tab: the store's tables and a lazily loaded view of the chosen one.
//
// Rows come from `SELECT * FROM t LIMIT n OFFSET m` in pages of kPageSize on the browser's own
// read session (GUI thread: pages are small). The view asks for more pages as it scrolls
// (canFetchMore/fetchMore).

#include "bridge/EngineBridge.h"

#include <QAbstractTableModel>
#include <QWidget>

#include <memory>

class QLabel;
class QListWidget;
class QTableView;

namespace sluice::ui {

class LazyTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    static constexpr int kPageSize = 500;

    using QAbstractTableModel::QAbstractTableModel;

    // Shows `table` (empty: nothing) through `session` (not owned; may be null).
    void setTable(QuerySession* session, const QString& table);
    QString table() const { return m_table; }
    QString lastError() const { return m_error; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
    bool canFetchMore(const QModelIndex& parent) const override;
    void fetchMore(const QModelIndex& parent) override;

private:
    QueryResult page(qint64 offset);

    QuerySession* m_session = nullptr;
    QString m_table;
    QString m_error;
    QStringList m_columns;
    QVector<QVector<QVariant>> m_rows;
    bool m_atEnd = true;
};

class TableBrowser : public QWidget {
    Q_OBJECT
public:
    explicit TableBrowser(EngineBridge* bridge, QWidget* parent = nullptr);
    ~TableBrowser() override;

    // Re-reads the table list, keeping the chosen table when it still exists.
    void refresh();
    void selectTable(const QString& name);
    LazyTableModel* model() const { return m_model; }
    QListWidget* tableList() const { return m_list; }
    QTableView* view() const { return m_view; }

protected:
    void showEvent(QShowEvent* event) override;

private:
    void onStoreOpened();
    void onStoreClosed();
    void onTableChosen();

    EngineBridge* m_bridge;
    std::unique_ptr<QuerySession> m_session;
    QListWidget* m_list = nullptr;
    QTableView* m_view = nullptr;
    QLabel* m_header = nullptr;
    LazyTableModel* m_model = nullptr;
};

} // namespace sluice::ui
