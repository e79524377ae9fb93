#include "monitor/MonitorView.h"

#include <QComboBox>
#include <QDateTime>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QMenu>
#include <QPushButton>
#include <QSet>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QToolTip>
#include <QVBoxLayout>

#include <qcustomplot.h>

#include <algorithm>

namespace sluice::ui {

namespace {

constexpr double kMegabyte = 1024.0 * 1024.0;

const QColor kSeriesColors[] = {QColor(0x1f, 0x77, 0xb4), QColor(0xff, 0x7f, 0x0e),
                                QColor(0x2c, 0xa0, 0x2c), QColor(0xd6, 0x27, 0x28),
                                QColor(0x94, 0x67, 0xbd), QColor(0x8c, 0x56, 0x4b)};

double nowSeconds() {
    return double(QDateTime::currentMSecsSinceEpoch()) / 1000.0;
}

QString clockText(double epochSeconds) {
    return QDateTime::fromMSecsSinceEpoch(qint64(epochSeconds * 1000))
        .toString(QStringLiteral("HH:mm:ss"));
}

QString valueText(double v) {
    return std::abs(v) >= 100 ? QLocale().toString(qRound64(v)) : QLocale().toString(v, 'f', 2);
}

QTableView* makeTable(QAbstractItemModel* model, QWidget* parent) {
    auto* view = new QTableView(parent);
    view->setModel(model);
    view->verticalHeader()->hide();
    view->verticalHeader()->setDefaultSectionSize(view->fontMetrics().height() + 6);
    view->setAlternatingRowColors(true);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setWordWrap(false);
    return view;
}

// Keeps a log table at its newest row while the user has not scrolled away.
void followBottom(QTableView* view, QAbstractItemModel* model) {
    QObject::connect(model, &QAbstractItemModel::rowsInserted, view, [view] {
        auto* bar = view->verticalScrollBar();
        if (bar->value() >= bar->maximum() - 2)
            QTimer::singleShot(0, view, [view] { view->scrollToBottom(); });
    });
}

} // namespace

MonitorView::MonitorView(EngineBridge* bridge, QWidget* parent)
    : QWidget(parent), m_bridge(bridge) {
    m_title = new QLabel(this);
    m_title->setTextFormat(Qt::PlainText);
    QFont f = m_title->font();
    f.setBold(true);
    m_title->setFont(f);
    m_window = new QComboBox(this);
    m_window->addItem(tr("Last 1 minute"), 1);
    m_window->addItem(tr("Last 5 minutes"), 5);
    m_window->addItem(tr("Last 15 minutes"), 15);
    m_window->setCurrentIndex(1);
    m_window->setToolTip(tr("Rolling window of the charts"));
    auto* follow = new QPushButton(tr("Follow live"), this);
    follow->setToolTip(tr("Back to the live edge after zooming or panning. On a chart: wheel "
                          "zooms, drag pans, right click replays from that moment."));

    auto* bar = new QHBoxLayout;
    bar->addWidget(m_title);
    bar->addStretch(1);
    bar->addWidget(m_window);
    bar->addWidget(follow);

    m_ratePlot = makePlot(tr("Throughput (rows/s)"), tr("rows/s"));
    m_bytesPlot = makePlot(tr("Throughput (MB/s)"), tr("MB/s"));
    m_lagPlot = makePlot(tr("Lag (messages)"), tr("messages"));
    m_lagSecondsPlot = makePlot(tr("Lag (seconds behind)"), tr("seconds"));
    m_batchPlot = makePlot(tr("Batch time"), tr("seconds"));
    m_extractBars = new QCPBars(m_batchPlot->xAxis, m_batchPlot->yAxis);
    m_transformBars = new QCPBars(m_batchPlot->xAxis, m_batchPlot->yAxis);
    m_loadBars = new QCPBars(m_batchPlot->xAxis, m_batchPlot->yAxis);
    const struct {
        QCPBars* bars;
        const char* name;
        QColor color;
    } parts[] = {{m_extractBars, QT_TR_NOOP("extract"), QColor(0x1f, 0x77, 0xb4)},
                 {m_transformBars, QT_TR_NOOP("transform"), QColor(0x94, 0x67, 0xbd)},
                 {m_loadBars, QT_TR_NOOP("load"), QColor(0x2c, 0xa0, 0x2c)}};
    for (const auto& p : parts) {
        p.bars->setName(tr(p.name));
        p.bars->setWidthType(QCPBars::wtAbsolute);
        p.bars->setWidth(4);
        p.bars->setPen(Qt::NoPen);
        p.bars->setBrush(p.color);
    }
    m_transformBars->moveAbove(m_extractBars);
    m_loadBars->moveAbove(m_transformBars);

    auto* charts = new QWidget(this);
    auto* grid = new QGridLayout(charts);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->setSpacing(4);
    grid->addWidget(m_ratePlot, 0, 0);
    grid->addWidget(m_bytesPlot, 0, 1);
    grid->addWidget(m_batchPlot, 0, 2, 2, 1);
    grid->addWidget(m_lagPlot, 1, 0);
    grid->addWidget(m_lagSecondsPlot, 1, 1);
    for (int c = 0; c < 3; ++c)
        grid->setColumnStretch(c, 1);

    m_partitionModel = new PartitionTableModel(this);
    m_partitionView = makeTable(m_partitionModel, this);
    m_partitionView->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_batchModel = new BatchLogModel(this);
    auto* batchView = makeTable(m_batchModel, this);
    batchView->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    batchView->horizontalHeader()->setStretchLastSection(true);
    followBottom(batchView, m_batchModel);
    m_errorModel = new ErrorLogModel(this);
    auto* errorView = makeTable(m_errorModel, this);
    errorView->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    errorView->horizontalHeader()->setStretchLastSection(true);
    followBottom(errorView, m_errorModel);
    m_details = new QTabWidget(this);
    m_details->addTab(m_partitionView, tr("Partitions"));
    m_details->addTab(batchView, tr("Batch log"));
    m_details->addTab(errorView, tr("Errors"));

    auto* splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(charts);
    splitter->addWidget(m_details);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({560, 220});
    splitter->setChildrenCollapsible(false);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addWidget(splitter, 1);

    connect(m_window, &QComboBox::currentIndexChanged, this,
            [this] { setWindowMinutes(m_window->currentData().toInt()); });
    connect(follow, &QPushButton::clicked, this, &MonitorView::followLive);
    m_redrawTimer.setInterval(kRedrawIntervalMs);
    connect(&m_redrawTimer, &QTimer::timeout, this, [this] { redraw(false); });
    m_redrawTimer.start();
    m_logTimer.setInterval(kLogIntervalMs);
    connect(&m_logTimer, &QTimer::timeout, this, &MonitorView::refreshLogs);
    connect(m_bridge, &EngineBridge::storeOpened, this, &MonitorView::onStoreOpened);
    connect(m_bridge, &EngineBridge::storeClosed, this, &MonitorView::onStoreClosed);
    if (m_bridge->isOpen())
        onStoreOpened();
    applySelection();
}

MonitorView::~MonitorView() = default;

QCustomPlot* MonitorView::makePlot(const QString& title, const QString& valueLabel) {
    auto* plot = new QCustomPlot(this);
    plot->setMinimumHeight(150);
    plot->setMinimumWidth(160);
    plot->plotLayout()->insertRow(0);
    auto* text =
        new QCPTextElement(plot, title, QFont(font().family(), font().pointSize(), QFont::Bold));
    plot->plotLayout()->addElement(0, 0, text);
    QSharedPointer<QCPAxisTickerDateTime> ticker(new QCPAxisTickerDateTime);
    ticker->setDateTimeFormat(QStringLiteral("HH:mm:ss"));
    ticker->setDateTimeSpec(Qt::LocalTime);
    ticker->setTickCount(3);
    ticker->setTickStepStrategy(QCPAxisTicker::tssMeetTickCount);
    plot->xAxis->setTicker(ticker);
    plot->yAxis->setLabel(valueLabel);
    plot->yAxis->setNumberFormat(QStringLiteral("gb"));
    plot->legend->setVisible(true);
    plot->legend->setBrush(QColor(255, 255, 255, 200));
    QFont legendFont = font();
    legendFont.setPointSize(std::max(7, font().pointSize() - 1));
    plot->legend->setFont(legendFont);
    plot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignLeft);
    plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    plot->axisRect()->setRangeDrag(Qt::Horizontal);
    plot->axisRect()->setRangeZoom(Qt::Horizontal);
    plot->setNoAntialiasingOnDrag(true);
    plot->setMouseTracking(true);
    plot->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(plot, &QWidget::customContextMenuRequested, this,
            [this, plot](const QPoint& pos) { showMenu(plot, pos); });
    connect(plot->xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this,
            [this, plot] { onUserRange(plot); });
    connect(plot, &QCustomPlot::mouseMove, this, [plot](QMouseEvent* event) {
        const double x = plot->xAxis->pixelToCoord(event->pos().x());
        QStringList lines;
        for (int i = 0; i < plot->plottableCount(); ++i) {
            QCPAbstractPlottable* p = plot->plottable(i);
            if (!p->visible())
                continue;
            double value = 0;
            if (auto* g = qobject_cast<QCPGraph*>(p)) {
                auto it = g->data()->findBegin(x, true);
                if (g->data()->isEmpty() || it == g->data()->constEnd())
                    continue;
                value = it->value;
            } else if (auto* b = qobject_cast<QCPBars*>(p)) {
                auto it = b->data()->findBegin(x, true);
                if (b->data()->isEmpty() || it == b->data()->constEnd())
                    continue;
                value = it->value;
            } else {
                continue;
            }
            lines << QStringLiteral("%1: %2").arg(p->name(), valueText(value));
        }
        if (lines.isEmpty()) {
            QToolTip::hideText();
            return;
        }
        QToolTip::showText(event->globalPosition().toPoint(),
                           clockText(x) + QLatin1Char('\n') + lines.join(QLatin1Char('\n')), plot);
    });
    return plot;
}

QList<QCustomPlot*> MonitorView::timePlots() const {
    return {m_ratePlot, m_bytesPlot, m_lagPlot, m_lagSecondsPlot, m_batchPlot};
}

void MonitorView::onUserRange(QCustomPlot* source) {
    if (m_settingRange)
        return;
    // A drag or wheel on one chart: stop following and move the others along.
    m_follow = false;
    m_settingRange = true;
    const QCPRange range = source->xAxis->range();
    for (QCustomPlot* plot : timePlots()) {
        if (plot != source) {
            plot->xAxis->setRange(range);
            plot->replot(QCustomPlot::rpQueuedReplot);
        }
    }
    m_settingRange = false;
    m_dirty = true;
}

void MonitorView::showMenu(QCustomPlot* plot, const QPoint& pos) {
    const double t = plot->xAxis->pixelToCoord(pos.x());
    const QString pipeline = focusPipeline();
    QMenu menu(this);
    QAction* replay =
        menu.addAction(pipeline.isEmpty() ? tr("Replay from here")
                                          : tr("Replay %1 from %2...").arg(pipeline, clockText(t)));
    replay->setEnabled(!pipeline.isEmpty() && t < nowSeconds());
    menu.addSeparator();
    QAction* live = menu.addAction(tr("Follow live"));
    QAction* chosen = menu.exec(plot->mapToGlobal(pos));
    if (chosen == replay)
        requestReplayAt(t);
    else if (chosen == live)
        followLive();
}

void MonitorView::requestReplayAt(double epochSeconds) {
    const QString pipeline = focusPipeline();
    if (!pipeline.isEmpty())
        emit replayRequested(pipeline, epochSeconds);
}

QString MonitorView::focusPipeline() const {
    if (!m_selected.isEmpty())
        return m_selected;
    QStringList names;
    for (const auto& p : m_last)
        names << p.name;
    names.sort();
    return names.isEmpty() ? QString() : names.first();
}

void MonitorView::setWindowMinutes(int minutes) {
    m_windowSeconds = std::clamp(minutes, 1, 15) * 60.0;
    const int index = m_window->findData(minutes);
    if (index >= 0 && index != m_window->currentIndex()) {
        const QSignalBlocker blocker(m_window);
        m_window->setCurrentIndex(index);
    }
    followLive();
}

void MonitorView::followLive() {
    m_follow = true;
    m_dirty = true;
}

MonitorView::Series& MonitorView::seriesFor(const QString& name) {
    auto it = m_series.find(name);
    if (it != m_series.end())
        return *it;
    const QColor color = kSeriesColors[m_colorIndex++ % std::size(kSeriesColors)];
    Series s;
    s.rate = m_ratePlot->addGraph();
    s.bytes = m_bytesPlot->addGraph();
    s.lag = m_lagPlot->addGraph();
    s.lagSeconds = m_lagSecondsPlot->addGraph();
    for (QCPGraph* g : {s.rate, s.bytes, s.lag, s.lagSeconds}) {
        g->setName(name);
        g->setPen(QPen(color, 2));
        g->setBrush(QColor(color.red(), color.green(), color.blue(), 30));
    }
    return *m_series.insert(name, s);
}

void MonitorView::removeSeries(const QString& name) {
    auto it = m_series.find(name);
    if (it == m_series.end())
        return;
    m_ratePlot->removeGraph(it->rate);
    m_bytesPlot->removeGraph(it->bytes);
    m_lagPlot->removeGraph(it->lag);
    m_lagSecondsPlot->removeGraph(it->lagSeconds);
    m_series.erase(it);
}

void MonitorView::setSnapshots(const QVector<PipelineStats>& pipelines) {
    const double now = nowSeconds();
    QSet<QString> present;
    bool added = false;
    for (const auto& p : pipelines) {
        present.insert(p.name);
        added = added || !m_series.contains(p.name);
        Series& s = seriesFor(p.name);
        s.rate->addData(now, p.rowsPerSec);
        s.bytes->addData(now, p.bytesPerSec / kMegabyte);
        s.lag->addData(now, double(p.lag));
        s.lagSeconds->addData(now, p.lagSeconds);
        for (QCPGraph* g : {s.rate, s.bytes, s.lag, s.lagSeconds})
            g->data()->removeBefore(now - kMaxWindowSeconds);
    }
    const QStringList known = m_series.keys();
    for (const QString& name : known) {
        if (!present.contains(name))
            removeSeries(name);
    }
    const QString focusBefore = focusPipeline();
    m_last = pipelines;
    if (!m_selected.isEmpty() && !present.contains(m_selected))
        m_selected.clear();
    if (added || known.size() != present.size())
        applySelection();
    if (focusPipeline() != focusBefore)
        m_batchesDirty = true;
    m_partitionModel->update(pipelines, m_selected);
    m_dirty = true;
}

void MonitorView::setSelectedPipeline(const QString& name) {
    if (name == m_selected)
        return;
    m_selected = name;
    applySelection();
    m_partitionModel->update(m_last, m_selected);
    m_batchesDirty = true;
    m_dirty = true;
}

void MonitorView::applySelection() {
    for (auto it = m_series.begin(); it != m_series.end(); ++it) {
        const bool visible = m_selected.isEmpty() || it.key() == m_selected;
        for (QCPGraph* g : {it->rate, it->bytes, it->lag, it->lagSeconds}) {
            g->setVisible(visible);
            if (visible)
                g->addToLegend();
            else
                g->removeFromLegend();
        }
    }
    m_title->setText(m_selected.isEmpty() ? tr("All pipelines")
                                          : tr("Pipeline %1").arg(m_selected));
    m_partitionView->setColumnHidden(PartitionTableModel::Pipeline, !m_selected.isEmpty());
}

int MonitorView::dataPointCount() const {
    int n = 0;
    for (const auto& s : m_series) {
        if (s.rate->visible())
            n += s.rate->dataCount();
    }
    return n;
}

void MonitorView::clear() {
    const QStringList known = m_series.keys();
    for (const QString& name : known)
        removeSeries(name);
    m_last.clear();
    m_selected.clear();
    m_partitionModel->update({}, {});
    m_batchModel->clear();
    m_errorModel->clear();
    applySelection();
    m_batchesDirty = true;
    m_dirty = true;
}

void MonitorView::onStoreOpened() {
    QString error;
    auto session = QuerySession::open(*m_bridge, &error);
    m_reader = session ? std::make_unique<BatchLogReader>(std::move(session)) : nullptr;
    m_batchModel->clear();
    m_errorModel->clear();
    m_logTimer.start();
    refreshLogs();
}

void MonitorView::onStoreClosed() {
    m_logTimer.stop();
    m_reader.reset();
    clear();
}

void MonitorView::refreshLogs() {
    if (!m_reader)
        return;
    const QVector<BatchRecord> batches = m_reader->readBatches(nullptr);
    if (!batches.isEmpty()) {
        m_batchModel->upsert(batches);
        m_batchesDirty = true;
        m_dirty = true;
    }
    m_errorModel->append(m_reader->readErrors(nullptr));
}

void MonitorView::rebuildBatchBars() {
    m_batchesDirty = false;
    const QString pipeline = focusPipeline();
    QVector<double> keys, extract, transform, load;
    const double from = nowSeconds() - kMaxWindowSeconds;
    for (const BatchRecord& b : m_batchModel->records()) {
        if (b.pipeline != pipeline || b.startTime < from || b.state == QLatin1String("No Data"))
            continue;
        keys << b.startTime;
        extract << b.extractSeconds;
        transform << b.transformSeconds;
        load << b.loadSeconds();
    }
    m_extractBars->setData(keys, extract, true);
    m_transformBars->setData(keys, transform, true);
    m_loadBars->setData(keys, load, true);
    auto* title = qobject_cast<QCPTextElement*>(m_batchPlot->plotLayout()->element(0, 0));
    if (title) {
        title->setText(pipeline.isEmpty() ? tr("Batch time")
                                          : tr("Batch time of %1").arg(pipeline));
    }
}

void MonitorView::redrawNow() {
    m_dirty = true;
    redraw(true);
}

void MonitorView::redraw(bool immediately) {
    if (!m_dirty || (!immediately && !isVisible()))
        return;
    m_dirty = false;
    if (m_batchesDirty)
        rebuildBatchBars();
    const double now = nowSeconds();
    // Following, the span grows with the history from kMinSpanSeconds up to the window.
    double first = now;
    for (const auto& s : m_series) {
        if (!s.rate->data()->isEmpty())
            first = std::min(first, s.rate->data()->constBegin()->key);
    }
    const double span =
        std::clamp(now - first, std::min(kMinSpanSeconds, m_windowSeconds), m_windowSeconds);
    m_settingRange = true;
    for (QCustomPlot* plot : timePlots()) {
        if (m_follow)
            plot->xAxis->setRange(now - span, now);
        const QCPRange keys = plot->xAxis->range();
        bool found = false;
        double upper = 0;
        for (int i = 0; i < plot->plottableCount(); ++i) {
            QCPAbstractPlottable* p = plot->plottable(i);
            if (!p->visible())
                continue;
            bool ok = false;
            // For stacked bars the range includes the bars below.
            const QCPRange r = p->getValueRange(ok, QCP::sdBoth, keys);
            if (!ok)
                continue;
            upper = found ? std::max(upper, r.upper) : r.upper;
            found = true;
        }
        const double minimum =
            plot == m_batchPlot || plot == m_bytesPlot || plot == m_lagSecondsPlot ? 1.0 : 10.0;
        plot->yAxis->setRange(0, found ? std::max(upper * 1.15, minimum) : minimum);
        plot->replot(immediately ? QCustomPlot::rpImmediateRefresh : QCustomPlot::rpQueuedReplot);
    }
    m_settingRange = false;
}

} // namespace sluice::ui
