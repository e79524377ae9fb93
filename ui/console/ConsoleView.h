#pragma once
// The Console tab: SQL (plain statements and pipeline statements) run through the bridge's
// statement worker, off the GUI thread. Run (Ctrl+Return) sends the selection, or everything
// when nothing is selected; the last result set shows in a table, errors inline in red.
// Answers to anything but the latest request are dropped (request token).

#include "bridge/EngineBridge.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QStandardItemModel;
class QTableView;

namespace sluice::ui {

class ConsoleView : public QWidget {
    Q_OBJECT
public:
    explicit ConsoleView(EngineBridge* bridge, QWidget* parent = nullptr);

    void setSql(const QString& sql);
    QString sql() const;
    // Runs the selection or the whole text; false when no store is open.
    bool run();
    void cancel();
    bool isRunning() const { return m_pending != 0; }

    QStandardItemModel* resultModel() const { return m_results; }
    QPlainTextEdit* editor() const { return m_editor; }
    QString statusText() const;
    bool lastFailed() const { return m_lastFailed; }
    QStringList history() const { return m_history; }
    // Puts the previous (step -1) or next (+1) history entry into the editor.
    void stepHistory(int step);

signals:
    void finished(bool ok);

private:
    void onQueryFinished(const QueryResult& result);
    void setStatus(const QString& text, bool error);
    void remember(const QString& sql);
    // Marks the editor line an error names ("... at line N", counted from the run's first
    // line); clears the mark when error is empty.
    void markErrorLine(const QString& error);

    EngineBridge* m_bridge;
    QPlainTextEdit* m_editor = nullptr;
    QPushButton* m_runButton = nullptr;
    QPushButton* m_cancelButton = nullptr;
    QLabel* m_status = nullptr;
    QTableView* m_view = nullptr;
    QStandardItemModel* m_results = nullptr;
    QComboBox* m_historyBox = nullptr;
    QStringList m_history;  // oldest first
    int m_historyIndex = 0; // == m_history.size(): the draft
    QString m_draft;
    int m_runFirstLine = 0; // editor line (0-based) where the running text starts
    quint64 m_pending = 0;
    bool m_lastFailed = false;
};

} // namespace sluice::ui
