#include "offsets/OffsetsDialog.h"

#include "bridge/EngineBridge.h"

#include <QComboBox>
#include <QDateTimeEdit>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QSpinBox>
#include <QStackedWidget>
#include <QTableWidget>
#include <QVBoxLayout>

namespace sluice::ui {

namespace {

QString number(qint64 n) {
    return QLocale().toString(n);
}

QTableWidgetItem* cell(const QString& text, bool editable = false) {
    auto* item = new QTableWidgetItem(text);
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    if (!editable)
        item->setFlags(item->flags() & ~Qt::ItemIsEditable);
    return item;
}

QString sqlString(QString s) {
    return QLatin1Char('\'') + s.replace(QLatin1Char('\''), QLatin1String("''")) +
           QLatin1Char('\'');
}

} // namespace

OffsetsDialog::OffsetsDialog(EngineBridge* bridge, const QString& pipeline, QWidget* parent)
    : QDialog(parent), m_bridge(bridge), m_pipeline(pipeline) {
    setWindowTitle(tr("Offsets of %1").arg(pipeline));

    m_mode = new QComboBox(this);
    m_mode->addItem(tr("Reset to earliest"), int(Mode::Earliest));
    m_mode->addItem(tr("Reset to latest (skip the backlog)"), int(Mode::Latest));
    m_mode->addItem(tr("Shift by +/- N messages"), int(Mode::Shift));
    m_mode->addItem(tr("Given offset per partition"), int(Mode::Given));
    m_mode->addItem(tr("A moment in time"), int(Mode::AtTime));

    m_shift = new QSpinBox(this);
    m_shift->setRange(-1000000000, 1000000000);
    m_shift->setValue(-100);
    m_shift->setSuffix(tr(" messages per partition"));
    m_time = new QDateTimeEdit(QDateTime::currentDateTime().addSecs(-60), this);
    m_time->setDisplayFormat(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
    m_time->setCalendarPopup(true);
    auto* givenHint = new QLabel(tr("Edit the After column of the table below."), this);
    auto* timeHint = new QLabel(
        tr("Per partition, the first offset of the first batch that started at or after this "
           "moment (from the batch log); partitions without such a batch keep their cursor."),
        this);
    timeHint->setWordWrap(true);
    auto* timePage = new QWidget(this);
    auto* timeLayout = new QVBoxLayout(timePage);
    timeLayout->setContentsMargins(0, 0, 0, 0);
    timeLayout->addWidget(m_time);
    timeLayout->addWidget(timeHint);

    m_options = new QStackedWidget(this);
    m_options->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Maximum);
    auto page = [this](QWidget* content) {
        auto* w = new QWidget(this);
        auto* l = new QVBoxLayout(w);
        l->setContentsMargins(0, 0, 0, 0);
        if (content)
            l->addWidget(content);
        l->addStretch(1);
        return w;
    };
    m_options->addWidget(page(new QLabel(tr("Every partition from its earliest offset."), this)));
    m_options->addWidget(page(new QLabel(tr("Every partition from its high watermark."), this)));
    m_options->addWidget(page(m_shift));
    m_options->addWidget(page(givenHint));
    m_options->addWidget(timePage);

    m_table = new QTableWidget(0, ColumnCount, this);
    m_table->setHorizontalHeaderLabels(
        {tr("Partition"), tr("Earliest"), tr("Latest"), tr("Before"), tr("After"), tr("Change")});
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_table->setSelectionMode(QAbstractItemView::NoSelection);

    m_summary = new QLabel(this);
    m_summary->setWordWrap(true);
    auto* note = new QLabel(
        tr("<b>Rows already loaded stay in the table.</b> Moving back re-reads messages and "
           "loads them again (with REPLACE they overwrite their rows, otherwise they are added "
           "again or fail on a duplicate key, as the pipeline's error policy says). Moving "
           "forward skips messages: they are never loaded. A running pipeline applies the "
           "change at its next batch boundary."),
        this);
    note->setWordWrap(true);
    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    m_status->setTextFormat(Qt::PlainText);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    m_apply = buttons->addButton(tr("Apply"), QDialogButtonBox::ApplyRole);
    auto* reloadButton = buttons->addButton(tr("Reload cursors"), QDialogButtonBox::ResetRole);

    auto* form = new QFormLayout;
    form->addRow(tr("Change:"), m_mode);
    form->addRow(QString(), m_options);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_table, 1);
    layout->addWidget(m_summary);
    layout->addWidget(note);
    layout->addWidget(m_status);
    layout->addWidget(buttons);
    resize(720, 520);

    // The options area takes the height of the current page only.
    auto showOptions = [this](int i) {
        for (int p = 0; p < m_options->count(); ++p) {
            const auto policy = p == i ? QSizePolicy::Preferred : QSizePolicy::Ignored;
            m_options->widget(p)->setSizePolicy(policy, policy);
        }
        m_options->setCurrentIndex(i);
        m_options->adjustSize();
    };
    showOptions(0);
    connect(m_mode, &QComboBox::currentIndexChanged, this, [this, showOptions](int i) {
        showOptions(i);
        recompute();
    });
    connect(m_shift, &QSpinBox::valueChanged, this, [this] { recompute(); });
    connect(m_time, &QDateTimeEdit::dateTimeChanged, this, [this] { recompute(); });
    connect(m_table, &QTableWidget::itemChanged, this, [this](QTableWidgetItem* item) {
        if (m_showing || item->column() != After || mode() != Mode::Given)
            return;
        const int partition = m_table->item(item->row(), Partition)->text().toInt();
        bool ok = false;
        const qint64 offset = QLocale().toLongLong(item->text(), &ok);
        const qint64 plain = ok ? offset : item->text().toLongLong(&ok);
        if (ok)
            m_given.insert(partition, plain);
        recompute();
    });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_apply, &QPushButton::clicked, this, [this] { apply(); });
    connect(reloadButton, &QPushButton::clicked, this, [this] { reload(); });
    connect(m_bridge, &EngineBridge::statementFinished, this, &OffsetsDialog::onStatementFinished);

    QString error;
    m_session = QuerySession::open(*m_bridge, &error);
    if (!m_session)
        setStatus(error, true);
    reload();
}

OffsetsDialog::~OffsetsDialog() = default;

bool OffsetsDialog::reload() {
    if (!m_session)
        return false;
    const QueryResult r = m_session->query(
        QStringLiteral("SELECT SOURCE_PARTITION_ID, EARLIEST_OFFSET, LATEST_OFFSET, CURSOR_OFFSET "
                       "FROM information_schema.PIPELINES_CURSORS WHERE PIPELINE_NAME = %1 "
                       "ORDER BY SOURCE_PARTITION_ID")
            .arg(sqlString(m_pipeline)),
        100000);
    if (!r.ok) {
        setStatus(r.error, true);
        return false;
    }
    m_cursors.clear();
    for (const auto& row : r.rows) {
        m_cursors.push_back({row.at(0).toInt(), row.at(1).toLongLong(), row.at(2).toLongLong(),
                             row.at(3).toLongLong()});
    }
    if (m_cursors.isEmpty())
        setStatus(tr("%1 has no cursors yet: it has not read from its source.").arg(m_pipeline),
                  true);
    recompute();
    return !m_cursors.isEmpty();
}

void OffsetsDialog::setBatchLog(const QVector<BatchRecord>& batches) {
    m_batches = batches;
    recompute();
}

void OffsetsDialog::setMode(Mode mode) {
    m_mode->setCurrentIndex(m_mode->findData(int(mode)));
}

OffsetsDialog::Mode OffsetsDialog::mode() const {
    return Mode(m_mode->currentData().toInt());
}

void OffsetsDialog::setShift(qint64 delta) {
    m_shift->setValue(int(std::clamp<qint64>(delta, m_shift->minimum(), m_shift->maximum())));
}

void OffsetsDialog::setTime(const QDateTime& time) {
    m_time->setDateTime(time);
}

void OffsetsDialog::setGiven(const QMap<int, qint64>& offsets) {
    m_given = offsets;
    recompute();
}

QString OffsetsDialog::statusText() const {
    return m_status->text();
}

void OffsetsDialog::recompute() {
    switch (mode()) {
    case Mode::Earliest:
        m_plan = planEarliest(m_cursors);
        break;
    case Mode::Latest:
        m_plan = planLatest(m_cursors);
        break;
    case Mode::Shift:
        m_plan = planShift(m_cursors, m_shift->value());
        break;
    case Mode::Given:
        m_plan = planGiven(m_cursors, m_given);
        break;
    case Mode::AtTime:
        m_plan = planAtTime(m_cursors, m_batches, m_pipeline,
                            double(m_time->dateTime().toMSecsSinceEpoch()) / 1000.0);
        break;
    }
    showPlan();
}

void OffsetsDialog::showPlan() {
    m_showing = true;
    m_table->setRowCount(int(m_plan.changes.size()));
    for (int i = 0; i < m_plan.changes.size(); ++i) {
        const OffsetChange& c = m_plan.changes[i];
        m_table->setItem(i, Partition, cell(QString::number(c.partition)));
        m_table->setItem(i, Earliest, cell(number(c.earliest)));
        m_table->setItem(i, Latest, cell(number(c.latest)));
        m_table->setItem(i, Before, cell(number(c.before)));
        const bool editable = mode() == Mode::Given;
        m_table->setItem(i, After,
                         cell(editable ? QString::number(c.after) : number(c.after), editable));
        const qint64 n = c.reread();
        auto* change = cell(n > 0   ? tr("re-read %1").arg(number(n))
                            : n < 0 ? tr("skip %1").arg(number(-n))
                                    : tr("unchanged"));
        if (n != 0)
            change->setForeground(n > 0 ? QColor(0x1f, 0x5f, 0xb4) : QColor(0xc0, 0x60, 0x00));
        m_table->setItem(i, Change, change);
    }
    m_showing = false;
    m_summary->setText(
        tr("%1: %2 messages to re-read, %3 to skip, over %n partition(s).", nullptr,
           int(m_plan.changes.size()))
            .arg(m_pipeline, number(m_plan.totalReread()), number(m_plan.totalSkipped())));
    m_apply->setEnabled(m_pending == 0 && m_plan.changesAnything());
}

bool OffsetsDialog::apply() {
    if (m_pending != 0 || !m_plan.changesAnything())
        return false;
    const quint64 token = m_bridge->runStatement(m_plan.alterStatement(m_pipeline));
    if (token == 0) {
        setStatus(tr("No store is open."), true);
        return false;
    }
    m_pending = token;
    m_apply->setEnabled(false);
    setStatus(tr("Applying..."), false);
    return true;
}

void OffsetsDialog::onStatementFinished(const QueryResult& result) {
    if (result.token != m_pending)
        return;
    m_pending = 0;
    if (result.ok) {
        setStatus(
            tr("Applied: %1 continues from the new offsets at its next batch.").arg(m_pipeline),
            false);
    } else {
        setStatus(tr("Not applied: %1").arg(result.error), true);
    }
    m_apply->setEnabled(m_plan.changesAnything());
    emit applied(result.ok, result.ok ? m_status->text() : result.error);
}

void OffsetsDialog::setStatus(const QString& text, bool error) {
    m_status->setText(text);
    m_status->setStyleSheet(error ? QStringLiteral("color: #c62828; font-weight: bold;")
                                  : QString());
}

} // namespace sluice::ui
