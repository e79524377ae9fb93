// The main window on a live demo: embedded broker, generator and pipeline in this process.
// Checks that every view shows real data: pipeline list, charts, partitions, console and the
// lazily loaded table browser.

#include "MainWindow.h"
#include "bridge/EngineBridge.h"
#include "browser/TableBrowser.h"
#include "console/ConsoleView.h"
#include "monitor/MonitorView.h"

#include <QCoreApplication>
#include <QSignalSpy>
#include <QStandardItemModel>
#include <QStandardPaths>
#include <QTableView>
#include <QtTest>

#include <memory>

using namespace sluice::ui;

class TestMainWindow : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void pipelineListShowsRows();
    void monitorHasPoints();
    void console_data();
    void console();
    void tableBrowserFetchesLazily();
    void stopAndStartPipeline();
    void closeStoreShowsHint();

private:
    [[nodiscard]] qint64 pipelineRows(const QString& name) const;
    [[nodiscard]] QString pipelineState(const QString& name) const;
    std::unique_ptr<MainWindow> m_window;
};

void TestMainWindow::initTestCase() {
    // Keep QSettings (geometry, recent stores) away from the user's own.
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("SluiceTest"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_MainWindow"));
    m_window = std::make_unique<MainWindow>();
    m_window->show();
    QString error;
    QVERIFY2(m_window->startDemo(&error), qPrintable(error));
    QVERIFY(m_window->bridge()->isDemo());
    QVERIFY(!m_window->bridge()->storeDir().isEmpty());
}

void TestMainWindow::cleanupTestCase() {
    m_window.reset();
}

qint64 TestMainWindow::pipelineRows(const QString& name) const {
    auto* model = m_window->pipelineModel();
    const int row = model->rowOf(name);
    if (row < 0)
        return -1;
    return model->index(row, PipelineListModel::Rows)
        .data(PipelineListModel::kRawRole)
        .toLongLong();
}

QString TestMainWindow::pipelineState(const QString& name) const {
    auto* model = m_window->pipelineModel();
    const int row = model->rowOf(name);
    return row < 0 ? QString() : model->index(row, PipelineListModel::State).data().toString();
}

void TestMainWindow::pipelineListShowsRows() {
    QTRY_VERIFY_WITH_TIMEOUT(pipelineRows(QStringLiteral("payments_pipe")) > 0, 60000);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->bridge()->demoProduced() > 0, 20000);
    QCOMPARE(pipelineState(QStringLiteral("payments_pipe")), QStringLiteral("Running"));
    const int row = m_window->pipelineModel()->rowOf(QStringLiteral("payments_pipe"));
    QCOMPARE(m_window->pipelineModel()->index(row, PipelineListModel::Name).data().toString(),
             QStringLiteral("payments_pipe"));
    // The topic has 4 partitions, each shown with its cursor.
    auto* partitions = m_window->monitor()->partitionModel();
    QTRY_VERIFY_WITH_TIMEOUT(partitions->rowCount() >= 4, 20000);
}

void TestMainWindow::monitorHasPoints() {
    auto* monitor = m_window->monitor();
    m_window->tabs()->setCurrentIndex(MainWindow::MonitorTab);
    QTRY_VERIFY_WITH_TIMEOUT(monitor->dataPointCount() >= 2, 20000);
    const int before = monitor->dataPointCount();
    QTRY_VERIFY_WITH_TIMEOUT(monitor->dataPointCount() > before, 20000);

    // Selecting a pipeline narrows charts and partitions to it.
    const int row = m_window->pipelineModel()->rowOf(QStringLiteral("payments_pipe"));
    m_window->pipelineView()->selectRow(row);
    QCOMPARE(monitor->selectedPipeline(), QStringLiteral("payments_pipe"));
    auto* partitions = monitor->partitionModel();
    QTRY_COMPARE_WITH_TIMEOUT(partitions->rowCount(), 4, 5000);
    for (int i = 0; i < partitions->rowCount(); ++i) {
        QCOMPARE(partitions->index(i, PartitionTableModel::Pipeline).data().toString(),
                 QStringLiteral("payments_pipe"));
        QCOMPARE(partitions->index(i, PartitionTableModel::Partition).data().toInt(), i);
    }
    m_window->pipelineView()->clearSelection();
    QVERIFY(monitor->selectedPipeline().isEmpty());
}

void TestMainWindow::console_data() {
    QTest::addColumn<QString>("sql");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<QString>("expect"); // ok: first column name; error: text in the status

    QTest::newRow("count") << "SELECT count(*) AS n FROM payments" << true << "n";
    QTest::newRow("script keeps the last result set")
        << "SELECT 1 AS a;\nSELECT count(*) AS n FROM payments;" << true << "n";
    QTest::newRow("unknown table") << "SELECT * FROM no_such_table" << false << "no_such_table";
    QTest::newRow("syntax error") << "SELEC 1" << false << "SELEC";
}

void TestMainWindow::console() {
    QFETCH(QString, sql);
    QFETCH(bool, ok);
    QFETCH(QString, expect);
    auto* console = m_window->console();
    QSignalSpy finished(console, &ConsoleView::finished);
    console->setSql(sql);
    QVERIFY(console->run());
    QVERIFY(console->isRunning());
    QVERIFY(finished.wait(30000));
    QCOMPARE(finished.first().first().toBool(), ok);
    QCOMPARE(console->lastFailed(), !ok);
    if (!ok) {
        QVERIFY2(console->statusText().contains(expect), qPrintable(console->statusText()));
        return;
    }
    auto* results = console->resultModel();
    QCOMPARE(results->columnCount(), 1);
    QCOMPARE(results->headerData(0, Qt::Horizontal).toString(), expect);
    QCOMPARE(results->rowCount(), 1);
    QVERIFY2(results->index(0, 0).data().toLongLong() > 0,
             qPrintable(results->index(0, 0).data().toString()));
}

void TestMainWindow::tableBrowserFetchesLazily() {
    // More rows than one page must have been loaded first.
    QTRY_VERIFY_WITH_TIMEOUT(
        pipelineRows(QStringLiteral("payments_pipe")) > 2LL * LazyTableModel::kPageSize, 60000);
    auto* browser = m_window->tables();
    m_window->tabs()->setCurrentIndex(MainWindow::TablesTab);
    browser->refresh();
    browser->selectTable(QStringLiteral("payments"));
    auto* model = browser->model();
    QVERIFY2(model->lastError().isEmpty(), qPrintable(model->lastError()));
    QCOMPARE(model->table(), QStringLiteral("payments"));
    QCOMPARE(model->columnCount(), 4);
    QCOMPARE(model->headerData(1, Qt::Horizontal, Qt::DisplayRole).toString(),
             QStringLiteral("user"));
    QCOMPARE(model->rowCount(), LazyTableModel::kPageSize);
    QVERIFY(model->canFetchMore({}));
    QSignalSpy inserted(model, &QAbstractItemModel::rowsInserted);
    model->fetchMore({});
    QVERIFY(model->rowCount() > LazyTableModel::kPageSize);
    QCOMPARE(inserted.count(), 1);
    QVERIFY(model->index(LazyTableModel::kPageSize, 1).data().toString().startsWith("user-"));
}

void TestMainWindow::stopAndStartPipeline() {
    auto* bridge = m_window->bridge();
    QSignalSpy commands(bridge, &EngineBridge::commandFinished);
    bridge->stopPipeline(QStringLiteral("payments_pipe"));
    QVERIFY(commands.wait(30000));
    QVERIFY2(commands.first().at(1).toBool(), qPrintable(commands.first().at(2).toString()));
    QTRY_COMPARE_WITH_TIMEOUT(pipelineState(QStringLiteral("payments_pipe")),
                              QStringLiteral("Stopped"), 20000);

    bridge->startPipeline(QStringLiteral("payments_pipe"));
    QTRY_COMPARE_WITH_TIMEOUT(pipelineState(QStringLiteral("payments_pipe")),
                              QStringLiteral("Running"), 20000);
    const qint64 lag =
        m_window->pipelineModel()
            ->index(m_window->pipelineModel()->rowOf(QStringLiteral("payments_pipe")),
                    PipelineListModel::Lag)
            .data(PipelineListModel::kRawRole)
            .toLongLong();
    QVERIFY(lag >= 0);
    // A restarted runner counts its own rows again from zero, and loads.
    QTRY_VERIFY_WITH_TIMEOUT(pipelineRows(QStringLiteral("payments_pipe")) > 0, 60000);
}

void TestMainWindow::closeStoreShowsHint() {
    const QString dir = m_window->bridge()->storeDir();
    QVERIFY(QFileInfo(dir).isDir());
    m_window->bridge()->closeStore();
    QVERIFY(!m_window->bridge()->isOpen());
    QCOMPARE(m_window->pipelineModel()->rowCount(), 0);
    QCOMPARE(m_window->monitor()->dataPointCount(), 0);
    QVERIFY(!QFileInfo(dir).exists()); // the demo store is thrown away
    QCOMPARE(m_window->console()->run(), false);
}

QTEST_MAIN(TestMainWindow)
#include "tst_MainWindow.moc"
