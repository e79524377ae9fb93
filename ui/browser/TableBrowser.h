#pragma once
// The Tables tab: the store's tables and a lazily loaded view of the chosen one.
//
// Rows come from `SELECT * FROM t [WHERE c LIKE '%text%'] [ORDER BY c] LIMIT n OFFSET m` in
// pages of kPageSize on the browser's own read session (GUI thread: pages are small). The view
// asks for more pages as it scrolls (canFetchMore/fetchMore). The filter line edit becomes the
// WHERE clause (one column or any column), a header click the ORDER BY; Export writes every
// row of the filtered, sorted table to CSV.

#include "bridge/EngineBridge.h"

#include <QAbstractTableModel>
#include <QTimer>
#include <QWidget>

#include <memory>

class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QTableView;

namespace sluice::ui {

class LazyTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    static constexpr int kPageSize = 500;
    static constexpr int kExportPageSize = 5000;

    using QAbstractTableModel::QAbstractTableModel;

    // Shows `table` (empty: nothing) through `session` (not owned; may be null).
    void setTable(QuerySession* session, const QString& table);
    QString table() const { return m_table; }
    QString lastError() const { return m_error; }
    QStringList columns() const { return m_columns; }
    // Rows whose `column` (-1: any column) contains `text` (LIKE, case-insensitive for ASCII);
    // empty text: every row. Reloads from the first page.
    void setFilter(int column, const QString& text);
    // The statement without LIMIT/OFFSET, as the current filter and sort make it.
    QString selectSql() const;
    // Writes every row of selectSql() to `path` as CSV with a header line; false and *error.
    bool exportCsv(const QString& path, QString* error);
    void sort(int column, Qt::SortOrder order) override;
    int sortColumn() const { return m_sortColumn; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
    bool canFetchMore(const QModelIndex& parent) const override;
    void fetchMore(const QModelIndex& parent) override;

private:
    QueryResult page(qint64 offset);
    void reload();

    QuerySession* m_session = nullptr;
    QString m_table;
    QString m_error;
    QStringList m_columns;
    QVector<QVector<QVariant>> m_rows;
    bool m_atEnd = true;
    int m_filterColumn = -1;
    QString m_filterText;
    int m_sortColumn = -1; // -1: no ORDER BY
    Qt::SortOrder m_sortOrder = Qt::AscendingOrder;
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
    QLineEdit* filterEdit() const { return m_filter; }
    QComboBox* filterColumn() const { return m_filterColumn; }
    // Applies the filter line edit and column now (typing applies it after a short pause).
    void applyFilter();
    // Asks for a file name (QFileDialog) and exports; exportTo() skips the dialog.
    void exportCsv();
    bool exportTo(const QString& path, QString* error);

protected:
    void showEvent(QShowEvent* event) override;

private:
    void onStoreOpened();
    void onStoreClosed();
    void onTableChosen();
    void updateHeader();

    EngineBridge* m_bridge;
    std::unique_ptr<QuerySession> m_session;
    QListWidget* m_list = nullptr;
    QTableView* m_view = nullptr;
    QLabel* m_header = nullptr;
    LazyTableModel* m_model = nullptr;
    QComboBox* m_filterColumn = nullptr;
    QLineEdit* m_filter = nullptr;
    QTimer* m_filterDelay = nullptr;
};

} // namespace sluice::ui
