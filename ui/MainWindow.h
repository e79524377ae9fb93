#pragma once
// The main window: composition only. Pipeline list (left dock), tabs Monitor / Tables /
// Console / Designer, the offsets dialog, status bar totals, menus, and window geometry + recent
// stores in QSettings. Behaviour lives in the views and in EngineBridge.

#include <QMainWindow>

class QLabel;
class QMenu;
class QSpinBox;
class QStackedWidget;
class QTabWidget;
class QTableView;

namespace sluice::ui {

class ConsoleView;
class EngineBridge;
class MonitorView;
class OffsetsDialog;
class PipelineListModel;
class TableBrowser;
struct PipelineStats;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    enum Tab { MonitorTab, TablesTab, ConsoleTab, DesignerTab };

    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // Open a store folder / start the demo. On failure: false, and the error goes to *error,
    // or to a message box when error is null.
    bool openStore(const QString& dir, bool create, QString* error = nullptr);
    bool startDemo(QString* error = nullptr);

    EngineBridge* bridge() const { return m_bridge; }
    MonitorView* monitor() const { return m_monitor; }
    TableBrowser* tables() const { return m_tables; }
    ConsoleView* console() const { return m_console; }
    QTabWidget* tabs() const { return m_tabs; }
    PipelineListModel* pipelineModel() const { return m_pipelineModel; }
    QTableView* pipelineView() const { return m_pipelineView; }
    // The offsets dialog of `pipeline` (the selected one when empty), not shown yet; null when
    // there is no such pipeline. replayAt >= 0: preset to that moment (epoch seconds).
    OffsetsDialog* makeOffsetsDialog(const QString& pipeline, double replayAt = -1);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void createMenus();
    void onSnapshots(const QVector<PipelineStats>& pipelines);
    void onPipelineSelected();
    void onStoreOpened(const QString& dir);
    void onStoreClosed();
    void newStore();
    void openStoreDialog();
    void rememberStore(const QString& dir);
    void rebuildRecentMenu();
    void updateActions();
    void showOffsetsDialog(const QString& pipeline, double replayAt);
    QString selectedPipeline() const;

    EngineBridge* m_bridge = nullptr;
    QStackedWidget* m_stack = nullptr;
    QTabWidget* m_tabs = nullptr;
    MonitorView* m_monitor = nullptr;
    TableBrowser* m_tables = nullptr;
    ConsoleView* m_console = nullptr;
    QTableView* m_pipelineView = nullptr;
    PipelineListModel* m_pipelineModel = nullptr;
    QLabel* m_rateLabel = nullptr;
    QLabel* m_lagLabel = nullptr;
    QLabel* m_storeLabel = nullptr;
    QSpinBox* m_demoRate = nullptr;
    QMenu* m_recentMenu = nullptr;
    QAction* m_startAction = nullptr;
    QAction* m_stopAction = nullptr;
    QAction* m_offsetsAction = nullptr;
};

} // namespace sluice::ui
