// The main window on a live demo: embedded broker, generator and pipeline in this process.
// Checks that every view shows real data: pipeline list, charts, partitions, console and the
// lazily loaded table browser.

#include "MainWindow.h"
#include "bridge/EngineBridge.h"
#include "browser/TableBrowser.h"
#include "console/ConsoleView.h"
#include "monitor/MonitorView.h"

#include <QComboBox>
#include <QCoreApplication>
#include <QFile>
#include <QLineEdit>
#include <QSignalSpy>
#include <QStandardItemModel>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

#include <qcustomplot.h>

#include <limits>
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
    void consoleCancel();
    void consoleHistory();
    void consoleMarksErrorLine();
    void tableBrowserFetchesLazily();
    void tableBrowserFilterSortExport();
    void monitorLogsAndHealth();
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

void TestMainWindow::consoleCancel() {
    auto* console = m_window->console();
    QSignalSpy finished(console, &ConsoleView::finished);
    console->setSql(QStringLiteral("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                                   "WHERE x < 1000000000) SELECT count(*) FROM c"));
    QVERIFY(console->run());
    QVERIFY(console->isRunning());
    // Cancel interrupts the statement the worker runs; repeated until the answer comes, since
    // an interrupt that lands before the statement starts is a no-op.
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            if (finished.isEmpty())
                console->cancel();
            return !finished.isEmpty();
        }(),
        30000);
    QCOMPARE(finished.first().first().toBool(), false);
    QVERIFY(!console->isRunning());
    QVERIFY2(console->statusText().contains(QStringLiteral("interrupted")),
             qPrintable(console->statusText()));

    // The worker is usable again.
    finished.clear();
    console->setSql(QStringLiteral("SELECT 42 AS answer"));
    QVERIFY(console->run());
    QVERIFY(finished.wait(30000));
    QCOMPARE(finished.first().first().toBool(), true);
    QCOMPARE(console->resultModel()->index(0, 0).data().toInt(), 42);
}

void TestMainWindow::consoleHistory() {
    auto* console = m_window->console();
    const QString last = console->history().last();
    QCOMPARE(last, QStringLiteral("SELECT 42 AS answer"));
    console->setSql(QStringLiteral("draft"));
    console->stepHistory(-1);
    QCOMPARE(console->sql(), last);
    console->stepHistory(-1);
    QCOMPARE(console->sql(), console->history().at(console->history().size() - 2));
    console->stepHistory(1);
    console->stepHistory(1);
    QCOMPARE(console->sql(), QStringLiteral("draft"));
}

void TestMainWindow::consoleMarksErrorLine() {
    auto* console = m_window->console();
    QSignalSpy finished(console, &ConsoleView::finished);
    console->setSql(QStringLiteral("SELECT 1;\nSELECT * FROM no_such_table;"));
    QVERIFY(console->run());
    QVERIFY(finished.wait(30000));
    QCOMPARE(finished.first().first().toBool(), false);
    QVERIFY2(console->statusText().contains(QStringLiteral("line 2")),
             qPrintable(console->statusText()));
    const auto marks = console->editor()->extraSelections();
    QCOMPARE(marks.size(), 1);
    QCOMPARE(marks.first().cursor.blockNumber(), 1);
    // The next run clears the mark.
    finished.clear();
    console->setSql(QStringLiteral("SELECT 1"));
    QVERIFY(console->run());
    QVERIFY(console->editor()->extraSelections().isEmpty());
    QVERIFY(finished.wait(30000));
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

void TestMainWindow::tableBrowserFilterSortExport() {
    auto* browser = m_window->tables();
    browser->selectTable(QStringLiteral("payments"));
    auto* model = browser->model();
    // Filter on the user column: every row shown matches, fewer than all.
    browser->filterColumn()->setCurrentIndex(browser->filterColumn()->findText("user"));
    browser->filterEdit()->setText(QStringLiteral("user-000"));
    browser->applyFilter();
    QVERIFY2(model->lastError().isEmpty(), qPrintable(model->lastError()));
    QVERIFY(model->selectSql().contains(QStringLiteral("\"user\" LIKE '%user-000%'")));
    QVERIFY(model->rowCount() > 0);
    QVERIFY(model->rowCount() < LazyTableModel::kPageSize);
    for (int r = 0; r < model->rowCount(); ++r)
        QVERIFY(model->index(r, 1).data().toString().startsWith(QStringLiteral("user-000")));

    // A header click sorts through ORDER BY, descending on the second click.
    browser->view()->sortByColumn(0, Qt::DescendingOrder);
    QCOMPARE(model->sortColumn(), 0);
    QVERIFY(model->selectSql().endsWith(QStringLiteral("ORDER BY \"id\" DESC")));
    for (int r = 1; r < model->rowCount(); ++r) {
        QVERIFY(model->index(r - 1, 0).data().toLongLong() >=
                model->index(r, 0).data().toLongLong());
    }

    // Export writes the filtered, sorted rows with a header.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("payments.csv"));
    QString error;
    QVERIFY2(browser->exportTo(path, &error), qPrintable(error));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly | QIODevice::Text));
    const QStringList lines =
        QString::fromUtf8(file.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.first().trimmed(), QStringLiteral("id,user,amount,ts"));
    QVERIFY(lines.size() >= model->rowCount() + 1);
    qint64 previous = std::numeric_limits<qint64>::max();
    for (int i = 1; i < lines.size(); ++i) {
        const QStringList fields = lines[i].trimmed().split(QLatin1Char(','));
        QCOMPARE(fields.size(), 4);
        QVERIFY(fields[1].startsWith(QStringLiteral("user-000")));
        QVERIFY(fields[0].toLongLong() <= previous);
        previous = fields[0].toLongLong();
    }

    // A quote in the filter is data, not SQL.
    browser->filterEdit()->setText(QStringLiteral("it's"));
    browser->applyFilter();
    QVERIFY2(model->lastError().isEmpty(), qPrintable(model->lastError()));
    QCOMPARE(model->rowCount(), 0);
}

void TestMainWindow::monitorLogsAndHealth() {
    auto* monitor = m_window->monitor();
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            monitor->refreshLogs();
            return monitor->batchLog()->rowCount() > 0;
        }(),
        20000);
    const BatchRecord& b = monitor->batchLog()->records().last();
    QVERIFY(b.id > 0);
    QVERIFY(b.startTime > 1.6e9); // epoch seconds
    QVERIFY(b.batchSeconds >= b.extractSeconds);
    // Every pipeline has a health badge; the running demo pipeline keeps up.
    auto* model = m_window->pipelineModel();
    const int row = model->rowOf(QStringLiteral("payments_pipe"));
    const QString health =
        model->index(row, PipelineListModel::Health).data(PipelineListModel::kRawRole).toString();
    QVERIFY2(QStringList({"OK", "LAGGING", "STALLED", "STOPPED", "REWIND"}).contains(health),
             qPrintable(health));
    QVERIFY(monitor->throughputPlot()->graphCount() > 0);
    QVERIFY(monitor->bytesPlot()->graphCount() > 0);
    QVERIFY(monitor->lagSecondsPlot()->graphCount() > 0);
    monitor->setWindowMinutes(1);
    QCOMPARE(monitor->windowSeconds(), 60.0);
    monitor->setWindowMinutes(15);
    QCOMPARE(monitor->windowSeconds(), 900.0);
}

void TestMainWindow::stopAndStartPipeline() {
    auto* bridge = m_window->bridge();
    QSignalSpy commands(bridge, &EngineBridge::commandFinished);
    bridge->stopPipeline(QStringLiteral("payments_pipe"));
    QVERIFY(commands.wait(30000));
    QVERIFY2(commands.first().at(1).toBool(), qPrintable(commands.first().at(2).toString()));
    QTRY_COMPARE_WITH_TIMEOUT(pipelineState(QStringLiteral("payments_pipe")),
                              QStringLiteral("Stopped"), 20000);
    // Stopped with messages waiting: once no sample came for longer than the window spans,
    // the badge says the partitions stopped consuming (Burrow's STOPPED).
    auto* model = m_window->pipelineModel();
    QTRY_COMPARE_WITH_TIMEOUT(
        model->index(model->rowOf(QStringLiteral("payments_pipe")), PipelineListModel::Health)
            .data(PipelineListModel::kRawRole)
            .toString(),
        QStringLiteral("STOPPED"), 30000);
    QCOMPARE(model->index(model->rowOf(QStringLiteral("payments_pipe")), PipelineListModel::Health)
                 .data()
                 .toString(),
             QStringLiteral("Stopped consuming"));

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
