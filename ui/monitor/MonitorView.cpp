#include "monitor/MonitorView.h"

#include <QDateTime>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QSet>
#include <QSplitter>
#include <QTableView>
#include <QToolTip>
#include <QVBoxLayout>

#include <qcustomplot.h>

#include <algorithm>

namespace sluice::ui {

namespace {

QString number(qint64 n) {
    return QLocale().toString(n);
}

QColor stateColor(const QString& state) {
    if (state == QLatin1String("Running"))
        return {0x2e, 0xa0, 0x43};
    if (state == QLatin1String("Error"))
        return {0xd0, 0x30, 0x30};
    return {0x90, 0x90, 0x90};
}

const QColor kSeriesColors[] = {QColor(0x1f, 0x77, 0xb4), QColor(0xff, 0x7f, 0x0e),
                                QColor(0x2c, 0xa0, 0x2c), QColor(0xd6, 0x27, 0x28),
                                QColor(0x94, 0x67, 0xbd), QColor(0x8c, 0x56, 0x4b)};

// Emits dataChanged over the columns of `row` whose values differ.
template <typename Model, typename Get>
void emitChanged(Model* model, int row, int columns, Get&& changed) {
    int first = -1;
    int last = -1;
    for (int c = 0; c < columns; ++c) {
        if (changed(c)) {
            if (first < 0)
                first = c;
            last = c;
        }
    }
    if (first >= 0)
        emit model->dataChanged(model->index(row, first), model->index(row, last));
}

} // namespace

// ---- MonitorView ------------------------------------------------------------------------------

MonitorView::MonitorView(QWidget* parent) : QWidget(parent) {
    m_title = new QLabel(this);
    m_title->setTextFormat(Qt::PlainText);
    QFont f = m_title->font();
    f.setBold(true);
    m_title->setFont(f);

    m_ratePlot = makePlot(tr("Throughput"), tr("rows/s"));
    m_lagPlot = makePlot(tr("Lag"), tr("messages"));

    m_partitionModel = new PartitionTableModel(this);
    m_partitionView = new QTableView(this);
    m_partitionView->setModel(m_partitionModel);
    m_partitionView->verticalHeader()->hide();
    m_partitionView->verticalHeader()->setDefaultSectionSize(
        m_partitionView->fontMetrics().height() + 6);
    m_partitionView->setAlternatingRowColors(true);
    m_partitionView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_partitionView->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);

    auto* splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(m_ratePlot);
    splitter->addWidget(m_lagPlot);
    splitter->addWidget(m_partitionView);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 3);
    splitter->setStretchFactor(2, 1);
    splitter->setSizes({280, 280, 220});
    splitter->setChildrenCollapsible(false);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_title);
    layout->addWidget(splitter, 1);

    m_redrawTimer.setInterval(kRedrawIntervalMs);
    connect(&m_redrawTimer, &QTimer::timeout, this, [this] { redraw(false); });
    m_redrawTimer.start();
    applySelection();
}

QCustomPlot* MonitorView::makePlot(const QString& title, const QString& valueLabel) {
    auto* plot = new QCustomPlot(this);
    plot->setMinimumHeight(140);
    plot->plotLayout()->insertRow(0);
    auto* text = new QCPTextElement(plot, title,
                                    QFont(font().family(), font().pointSize() + 1, QFont::Bold));
    plot->plotLayout()->addElement(0, 0, text);
    QSharedPointer<QCPAxisTickerDateTime> ticker(new QCPAxisTickerDateTime);
    ticker->setDateTimeFormat(QStringLiteral("HH:mm:ss"));
    ticker->setDateTimeSpec(Qt::LocalTime);
    plot->xAxis->setTicker(ticker);
    plot->yAxis->setLabel(valueLabel);
    plot->yAxis->setNumberFormat(QStringLiteral("gb"));
    plot->legend->setVisible(true);
    plot->legend->setBrush(QColor(255, 255, 255, 200));
    plot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignLeft);
    plot->setNoAntialiasingOnDrag(true);
    plot->setMouseTracking(true);
    connect(plot, &QCustomPlot::mouseMove, this, [plot](QMouseEvent* event) {
        const double x = plot->xAxis->pixelToCoord(event->pos().x());
        QStringList lines;
        for (int i = 0; i < plot->graphCount(); ++i) {
            QCPGraph* g = plot->graph(i);
            if (!g->visible() || g->data()->isEmpty())
                continue;
            auto it = g->data()->findBegin(x, true);
            if (it == g->data()->constEnd())
                continue;
            lines << QStringLiteral("%1: %2").arg(g->name(),
                                                  QLocale().toString(qRound64(it->value)));
        }
        if (lines.isEmpty()) {
            QToolTip::hideText();
            return;
        }
        const QString when = QDateTime::fromMSecsSinceEpoch(qint64(x * 1000)).toString("HH:mm:ss");
        QToolTip::showText(event->globalPosition().toPoint(), when + "\n" + lines.join('\n'), plot);
    });
    return plot;
}

MonitorView::Series& MonitorView::seriesFor(const QString& name) {
    auto it = m_series.find(name);
    if (it != m_series.end())
        return *it;
    const QColor color = kSeriesColors[m_colorIndex++ % std::size(kSeriesColors)];
    Series s;
    s.rate = m_ratePlot->addGraph();
    s.lag = m_lagPlot->addGraph();
    for (QCPGraph* g : {s.rate, s.lag}) {
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
    m_lagPlot->removeGraph(it->lag);
    m_series.erase(it);
}

void MonitorView::setSnapshots(const QVector<PipelineStats>& pipelines) {
    const double now = double(QDateTime::currentMSecsSinceEpoch()) / 1000.0;
    QSet<QString> present;
    bool added = false;
    for (const auto& p : pipelines) {
        present.insert(p.name);
        added = added || !m_series.contains(p.name);
        Series& s = seriesFor(p.name);
        s.rate->addData(now, p.rowsPerSec);
        s.lag->addData(now, double(p.lag));
        s.rate->data()->removeBefore(now - kWindowSeconds);
        s.lag->data()->removeBefore(now - kWindowSeconds);
    }
    const QStringList known = m_series.keys();
    for (const QString& name : known) {
        if (!present.contains(name))
            removeSeries(name);
    }
    m_last = pipelines;
    if (!m_selected.isEmpty() && !present.contains(m_selected))
        m_selected.clear();
    if (added || known.size() != present.size())
        applySelection();
    m_partitionModel->update(pipelines, m_selected);
    m_dirty = true;
}

void MonitorView::setSelectedPipeline(const QString& name) {
    if (name == m_selected)
        return;
    m_selected = name;
    applySelection();
    m_partitionModel->update(m_last, m_selected);
    m_dirty = true;
}

void MonitorView::applySelection() {
    for (auto it = m_series.begin(); it != m_series.end(); ++it) {
        const bool visible = m_selected.isEmpty() || it.key() == m_selected;
        for (QCPGraph* g : {it->rate, it->lag}) {
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
    applySelection();
    m_dirty = true;
}

void MonitorView::redrawNow() {
    m_dirty = true;
    redraw(true);
}

void MonitorView::redraw(bool immediately) {
    if (!m_dirty || (!immediately && !isVisible()))
        return;
    m_dirty = false;
    const double now = double(QDateTime::currentMSecsSinceEpoch()) / 1000.0;
    // The window grows with the history, from kMinWindowSeconds up to kWindowSeconds.
    double first = now;
    for (const auto& s : m_series) {
        if (!s.rate->data()->isEmpty())
            first = std::min(first, s.rate->data()->constBegin()->key);
    }
    const double span = std::clamp(now - first, kMinWindowSeconds, kWindowSeconds);
    for (QCustomPlot* plot : {m_ratePlot, m_lagPlot}) {
        plot->xAxis->setRange(now - span, now);
        bool found = false;
        QCPRange range;
        for (int i = 0; i < plot->graphCount(); ++i) {
            QCPGraph* g = plot->graph(i);
            if (!g->visible())
                continue;
            bool ok = false;
            const QCPRange r = g->getValueRange(ok);
            if (!ok)
                continue;
            range = found ? QCPRange(std::min(range.lower, r.lower), std::max(range.upper, r.upper))
                          : r;
            found = true;
        }
        const double upper = found ? std::max(range.upper * 1.15, 10.0) : 10.0;
        plot->yAxis->setRange(0, upper);
        plot->replot(immediately ? QCustomPlot::rpImmediateRefresh : QCustomPlot::rpQueuedReplot);
    }
}

} // namespace sluice::ui
