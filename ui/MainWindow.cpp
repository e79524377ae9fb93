#include "MainWindow.h"

#include "bridge/EngineBridge.h"
#include "browser/TableBrowser.h"
#include "console/ConsoleView.h"
#include "designer/DesignerWidget.h"
#include "monitor/MonitorView.h"
#include "offsets/OffsetsDialog.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QDockWidget>
#include <QFileDialog>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QMenuBar>
#include <QMessageBox>
#include <QScrollArea>
#include <QSettings>
#include <QSpinBox>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>

namespace sluice::ui {

namespace {

constexpr int kMaxRecentStores = 8;
const char* const kRecentKey = "recentStores";

} // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setWindowTitle(tr("Sluice"));
    m_bridge = new EngineBridge(this);

    m_monitor = new MonitorView(m_bridge, this);
    m_tables = new TableBrowser(m_bridge, this);
    m_console = new ConsoleView(m_bridge, this);
    m_tabs = new QTabWidget(this);
    m_tabs->addTab(m_monitor, tr("Monitor"));
    m_tabs->addTab(m_tables, tr("Tables"));
    m_tabs->addTab(m_console, tr("Console"));
    // In a scroll area: the designer's minimum width must not widen the whole window.
    auto* designerArea = new QScrollArea(this);
    designerArea->setWidgetResizable(true);
    designerArea->setFrameShape(QFrame::NoFrame);
    designerArea->setWidget(
        new designer::DesignerWidget([this] { return m_bridge->store(); }, designerArea));
    m_tabs->addTab(designerArea, tr("Designer"));

    auto* hint =
        new QLabel(tr("<h2>No store is open</h2>"
                      "<p>Use <b>File &gt; Open Store...</b> or <b>File &gt; New Store...</b>,"
                      "<br>or start <tt>sluice --demo</tt> for live demo data.</p>"),
                   this);
    hint->setAlignment(Qt::AlignCenter);
    m_stack = new QStackedWidget(this);
    m_stack->addWidget(hint);
    m_stack->addWidget(m_tabs);
    setCentralWidget(m_stack);

    m_pipelineModel = new PipelineListModel(this);
    m_pipelineView = new QTableView(this);
    m_pipelineView->setModel(m_pipelineModel);
    m_pipelineView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_pipelineView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_pipelineView->verticalHeader()->hide();
    m_pipelineView->setMinimumWidth(460);
    m_pipelineView->setShowGrid(false);
    m_pipelineView->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_pipelineView->horizontalHeader()->setSectionResizeMode(PipelineListModel::Name,
                                                             QHeaderView::Stretch);
    auto* dock = new QDockWidget(tr("Pipelines"), this);
    dock->setObjectName(QStringLiteral("pipelinesDock"));
    dock->setWidget(m_pipelineView);
    dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    addDockWidget(Qt::LeftDockWidgetArea, dock);
    resizeDocks({dock}, {420}, Qt::Horizontal);

    m_rateLabel = new QLabel(this);
    m_lagLabel = new QLabel(this);
    m_storeLabel = new QLabel(tr("No store"), this);
    m_demoRate = new QSpinBox(this);
    m_demoRate->setRange(0, 200000);
    m_demoRate->setSingleStep(500);
    m_demoRate->setValue(int(EngineBridge::kDefaultDemoRate));
    m_demoRate->setPrefix(tr("demo generator: "));
    m_demoRate->setSuffix(tr(" msgs/s"));
    m_demoRate->setToolTip(tr("Rate of the demo's payments generator"));
    m_demoRate->setVisible(false);
    connect(m_demoRate, &QSpinBox::valueChanged, m_bridge,
            [this](int rate) { m_bridge->setDemoRate(rate); });
    statusBar()->addPermanentWidget(m_demoRate);
    statusBar()->addPermanentWidget(m_rateLabel);
    statusBar()->addPermanentWidget(m_lagLabel);
    statusBar()->addPermanentWidget(m_storeLabel);

    createMenus();

    connect(m_bridge, &EngineBridge::snapshotsUpdated, this, &MainWindow::onSnapshots);
    connect(m_bridge, &EngineBridge::storeOpened, this, &MainWindow::onStoreOpened);
    connect(m_bridge, &EngineBridge::storeClosed, this, &MainWindow::onStoreClosed);
    connect(m_bridge, &EngineBridge::engineMessage, this,
            [this](const QString& message) { statusBar()->showMessage(message, 15000); });
    connect(m_bridge, &EngineBridge::commandFinished, this,
            [this](const QString& statement, bool ok, const QString& message) {
                statusBar()->showMessage(ok ? tr("%1: done").arg(statement)
                                            : tr("%1: %2").arg(statement, message),
                                         10000);
            });
    connect(m_pipelineView->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &MainWindow::onPipelineSelected);
    connect(m_pipelineView, &QTableView::doubleClicked, this, [this](const QModelIndex& index) {
        showOffsetsDialog(m_pipelineModel->nameAt(index.row()), -1);
    });
    connect(m_monitor, &MonitorView::replayRequested, this,
            [this](const QString& pipeline, double at) { showOffsetsDialog(pipeline, at); });

    QSettings settings;
    if (!restoreGeometry(settings.value("geometry").toByteArray()))
        resize(1280, 800);
    restoreState(settings.value("windowState").toByteArray());
    updateActions();
}

MainWindow::~MainWindow() = default;

void MainWindow::createMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&New Store..."), QKeySequence::New, this, &MainWindow::newStore);
    file->addAction(tr("&Open Store..."), QKeySequence::Open, this, &MainWindow::openStoreDialog);
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    rebuildRecentMenu();
    file->addAction(tr("Start &Demo"), this, [this] { startDemo(); });
    file->addSeparator();
    QAction* quit =
        file->addAction(tr("&Quit"), QKeySequence(Qt::CTRL | Qt::Key_Q), this, &QWidget::close);
    quit->setMenuRole(QAction::QuitRole);

    QMenu* pipeline = menuBar()->addMenu(tr("&Pipeline"));
    m_startAction = pipeline->addAction(tr("&Start"), this, [this] {
        if (const QString name = selectedPipeline(); !name.isEmpty())
            m_bridge->startPipeline(name);
    });
    m_stopAction = pipeline->addAction(tr("S&top"), this, [this] {
        if (const QString name = selectedPipeline(); !name.isEmpty())
            m_bridge->stopPipeline(name);
    });

    pipeline->addSeparator();
    m_offsetsAction = pipeline->addAction(tr("&Offsets and Replay..."), this,
                                          [this] { showOffsetsDialog(selectedPipeline(), -1); });

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About Sluice"), this, [this] {
        QMessageBox::about(this, tr("About Sluice"),
                           tr("<h3>Sluice %1</h3><p>Build, test and watch Kafka ingestion "
                              "pipelines into a sharded SQLite store, exactly once.</p>")
                               .arg(QApplication::applicationVersion()));
    });
}

bool MainWindow::openStore(const QString& dir, bool create, QString* error) {
    QString message;
    if (!m_bridge->openStore(dir, create, &message)) {
        if (error)
            *error = message;
        else
            QMessageBox::warning(this, tr("Open store"),
                                 tr("Cannot open %1:\n%2").arg(dir, message));
        return false;
    }
    rememberStore(m_bridge->storeDir());
    return true;
}

bool MainWindow::startDemo(QString* error) {
    QString message;
    if (!m_bridge->startDemo(&message)) {
        if (error)
            *error = message;
        else
            QMessageBox::warning(this, tr("Demo"),
                                 tr("The demo could not start:\n%1").arg(message));
        return false;
    }
    return true;
}

void MainWindow::newStore() {
    const QString dir =
        QFileDialog::getExistingDirectory(this, tr("New store: choose an empty folder"));
    if (!dir.isEmpty())
        openStore(dir, true);
}

void MainWindow::openStoreDialog() {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Open store folder"));
    if (!dir.isEmpty())
        openStore(dir, false);
}

void MainWindow::rememberStore(const QString& dir) {
    QSettings settings;
    QStringList recent = settings.value(kRecentKey).toStringList();
    recent.removeAll(dir);
    recent.prepend(dir);
    while (recent.size() > kMaxRecentStores)
        recent.removeLast();
    settings.setValue(kRecentKey, recent);
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu() {
    m_recentMenu->clear();
    const QStringList recent = QSettings().value(kRecentKey).toStringList();
    for (const QString& dir : recent)
        m_recentMenu->addAction(dir, this, [this, dir] { openStore(dir, false); });
    m_recentMenu->setEnabled(!recent.isEmpty());
}

void MainWindow::onStoreOpened(const QString& dir) {
    m_stack->setCurrentWidget(m_tabs);
    m_storeLabel->setText(m_bridge->isDemo() ? tr("Store: %1 (demo)").arg(dir)
                                             : tr("Store: %1").arg(dir));
    setWindowTitle(tr("Sluice — %1").arg(dir));
    m_demoRate->setVisible(m_bridge->isDemo());
    if (m_bridge->isDemo())
        m_demoRate->setValue(int(m_bridge->demoRate()));
    if (!m_bridge->enginesRunning())
        statusBar()->showMessage(m_bridge->lastEngineError(), 15000);
    updateActions();
}

void MainWindow::onStoreClosed() {
    m_stack->setCurrentIndex(0);
    m_pipelineModel->update({});
    m_monitor->clear();
    m_storeLabel->setText(tr("No store"));
    m_rateLabel->clear();
    m_lagLabel->clear();
    m_demoRate->setVisible(false);
    setWindowTitle(tr("Sluice"));
    updateActions();
}

void MainWindow::onSnapshots(const QVector<PipelineStats>& pipelines) {
    m_pipelineModel->update(pipelines);
    m_monitor->setSnapshots(pipelines);
    double rate = 0;
    qint64 lag = 0;
    for (const auto& p : pipelines) {
        rate += p.rowsPerSec;
        lag += p.lag;
    }
    const QLocale locale;
    m_rateLabel->setText(tr("%1 rows/s").arg(locale.toString(qRound64(rate))));
    m_lagLabel->setText(tr("lag %1").arg(locale.toString(lag)));
    updateActions();
}

QString MainWindow::selectedPipeline() const {
    const QModelIndexList rows = m_pipelineView->selectionModel()->selectedRows();
    return rows.isEmpty() ? QString() : m_pipelineModel->nameAt(rows.first().row());
}

void MainWindow::onPipelineSelected() {
    m_monitor->setSelectedPipeline(selectedPipeline());
    updateActions();
}

void MainWindow::updateActions() {
    const int row = m_pipelineModel->rowOf(selectedPipeline());
    const QString state = row >= 0 ? m_pipelineModel->statsAt(row).state : QString();
    m_startAction->setEnabled(row >= 0 && state != QLatin1String("Running"));
    m_stopAction->setEnabled(row >= 0 && state == QLatin1String("Running"));
    m_offsetsAction->setEnabled(row >= 0);
}

OffsetsDialog* MainWindow::makeOffsetsDialog(const QString& pipeline, double replayAt) {
    const QString name = pipeline.isEmpty() ? selectedPipeline() : pipeline;
    if (name.isEmpty() || m_pipelineModel->rowOf(name) < 0)
        return nullptr;
    auto* dialog = new OffsetsDialog(m_bridge, name, this);
    dialog->setBatchLog(m_monitor->batchLog()->records());
    if (replayAt >= 0) {
        dialog->setTime(QDateTime::fromMSecsSinceEpoch(qint64(replayAt * 1000)));
        dialog->setMode(OffsetsDialog::Mode::AtTime);
    }
    return dialog;
}

void MainWindow::showOffsetsDialog(const QString& pipeline, double replayAt) {
    OffsetsDialog* dialog = makeOffsetsDialog(pipeline, replayAt);
    if (!dialog)
        return;
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->show();
}

void MainWindow::closeEvent(QCloseEvent* event) {
    QSettings settings;
    settings.setValue("geometry", saveGeometry());
    settings.setValue("windowState", saveState());
    m_bridge->closeStore();
    event->accept();
}

} // namespace sluice::ui
