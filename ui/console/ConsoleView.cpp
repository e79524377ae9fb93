#include "console/ConsoleView.h"

#include "console/SqlHighlighter.h"

#include <QComboBox>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QShortcut>
#include <QSplitter>
#include <QStandardItemModel>
#include <QTableView>
#include <QTextBlock>
#include <QVBoxLayout>

namespace sluice::ui {

ConsoleView::ConsoleView(EngineBridge* bridge, QWidget* parent)
    : QWidget(parent), m_bridge(bridge) {
    m_editor = new QPlainTextEdit(this);
    m_editor->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_editor->setPlaceholderText(tr("SQL or pipeline statements, separated by ';'. "
                                    "Ctrl+Return runs the selection, or everything."));
    m_editor->setTabChangesFocus(false);
    new SqlHighlighter(m_editor->document());
    m_historyBox = new QComboBox(this);
    m_historyBox->setPlaceholderText(tr("History"));
    m_historyBox->setMinimumContentsLength(24);
    m_historyBox->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_historyBox->setToolTip(tr("Earlier statements (Ctrl+Up / Ctrl+Down in the editor)"));

    m_runButton = new QPushButton(tr("Run"), this);
    m_runButton->setToolTip(tr("Run the selection, or everything (Ctrl+Return)"));
    m_cancelButton = new QPushButton(tr("Cancel"), this);
    m_cancelButton->setEnabled(false);
    m_status = new QLabel(this);
    m_status->setTextFormat(Qt::PlainText);
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_results = new QStandardItemModel(this);
    m_view = new QTableView(this);
    m_view->setModel(m_results);
    m_view->setAlternatingRowColors(true);
    m_view->horizontalHeader()->setStretchLastSection(false);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 6);

    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_runButton);
    buttons->addWidget(m_cancelButton);
    buttons->addWidget(m_status, 1);
    buttons->addWidget(m_historyBox);

    auto* top = new QWidget(this);
    auto* topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    topLayout->addWidget(m_editor, 1);
    topLayout->addLayout(buttons);

    auto* splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(top);
    splitter->addWidget(m_view);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 2);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(splitter);

    auto* shortcut = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return), this);
    shortcut->setContext(Qt::WidgetWithChildrenShortcut);
    connect(shortcut, &QShortcut::activated, this, &ConsoleView::run);
    auto* enterShortcut = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_Enter), this);
    enterShortcut->setContext(Qt::WidgetWithChildrenShortcut);
    connect(enterShortcut, &QShortcut::activated, this, &ConsoleView::run);
    for (const auto& [key, step] : {std::pair{Qt::Key_Up, -1}, std::pair{Qt::Key_Down, 1}}) {
        auto* history = new QShortcut(QKeySequence(Qt::CTRL | key), m_editor);
        history->setContext(Qt::WidgetShortcut);
        connect(history, &QShortcut::activated, this, [this, step] { stepHistory(step); });
    }
    connect(m_historyBox, &QComboBox::activated, this, [this](int index) {
        const QString sql = m_historyBox->itemData(index).toString();
        m_historyIndex = int(m_history.lastIndexOf(sql));
        m_editor->setPlainText(sql);
    });
    connect(m_runButton, &QPushButton::clicked, this, &ConsoleView::run);
    connect(m_cancelButton, &QPushButton::clicked, this, &ConsoleView::cancel);
    connect(m_bridge, &EngineBridge::queryFinished, this, &ConsoleView::onQueryFinished);
    connect(m_bridge, &EngineBridge::storeClosed, this, [this] {
        m_pending = 0;
        m_runButton->setEnabled(true);
        m_cancelButton->setEnabled(false);
    });
}

void ConsoleView::setSql(const QString& sql) {
    m_editor->setPlainText(sql);
}

QString ConsoleView::sql() const {
    return m_editor->toPlainText();
}

QString ConsoleView::statusText() const {
    return m_status->text();
}

bool ConsoleView::run() {
    const QTextCursor selection = m_editor->textCursor();
    QString text = selection.selectedText();
    m_runFirstLine = selection.hasSelection()
                         ? m_editor->document()->findBlock(selection.selectionStart()).blockNumber()
                         : 0;
    // A selection separates lines with U+2029.
    text.replace(QChar::ParagraphSeparator, QLatin1Char('\n'));
    if (text.trimmed().isEmpty()) {
        text = m_editor->toPlainText();
        m_runFirstLine = 0;
    }
    if (text.trimmed().isEmpty())
        return false;
    markErrorLine({});
    const quint64 token = m_bridge->runSql(text);
    if (token == 0) {
        setStatus(tr("No store is open: use File > Open Store..."), true);
        return false;
    }
    remember(text.trimmed());
    m_pending = token;
    m_runButton->setEnabled(false);
    m_cancelButton->setEnabled(true);
    setStatus(tr("Running..."), false);
    return true;
}

void ConsoleView::cancel() {
    if (m_pending != 0)
        m_bridge->cancelSql();
}

void ConsoleView::remember(const QString& sql) {
    m_history.removeAll(sql);
    m_history.append(sql);
    while (m_history.size() > 200)
        m_history.removeFirst();
    m_historyIndex = int(m_history.size());
    m_draft.clear();
    m_historyBox->clear();
    for (auto it = m_history.crbegin(); it != m_history.crend(); ++it) {
        QString label = it->simplified();
        if (label.size() > 80)
            label = label.left(77) + QStringLiteral("...");
        m_historyBox->addItem(label, *it);
    }
    m_historyBox->setCurrentIndex(-1);
}

void ConsoleView::markErrorLine(const QString& error) {
    static const QRegularExpression kLine(QStringLiteral("\\bline (\\d+)"));
    const auto match = kLine.match(error);
    if (error.isEmpty() || !match.hasMatch()) {
        m_editor->setExtraSelections({});
        return;
    }
    const int line = m_runFirstLine + match.captured(1).toInt() - 1;
    const QTextBlock block = m_editor->document()->findBlockByNumber(line);
    if (!block.isValid())
        return;
    QTextEdit::ExtraSelection mark;
    mark.format.setBackground(QColor(0xff, 0xe0, 0xe0));
    mark.format.setProperty(QTextFormat::FullWidthSelection, true);
    mark.cursor = QTextCursor(block);
    m_editor->setExtraSelections({mark});
}

void ConsoleView::stepHistory(int step) {
    if (m_history.isEmpty())
        return;
    if (m_historyIndex == m_history.size())
        m_draft = m_editor->toPlainText();
    m_historyIndex = std::clamp(m_historyIndex + step, 0, int(m_history.size()));
    m_editor->setPlainText(m_historyIndex == m_history.size() ? m_draft
                                                              : m_history.at(m_historyIndex));
    m_editor->moveCursor(QTextCursor::End);
}

void ConsoleView::setStatus(const QString& text, bool error) {
    m_status->setText(text);
    m_status->setStyleSheet(error ? QStringLiteral("color: #c62828; font-weight: bold;")
                                  : QString());
}

void ConsoleView::onQueryFinished(const QueryResult& result) {
    if (result.token != m_pending)
        return;
    m_pending = 0;
    m_runButton->setEnabled(true);
    m_cancelButton->setEnabled(false);
    m_lastFailed = !result.ok;
    const QString took = QLocale().toString(result.seconds * 1000.0, 'f', 1);
    if (!result.ok) {
        setStatus(tr("Error: %1").arg(result.error), true);
        markErrorLine(result.error);
        emit finished(false);
        return;
    }
    if (result.hasResultSet) {
        m_results->clear();
        m_results->setColumnCount(int(result.columns.size()));
        m_results->setHorizontalHeaderLabels(result.columns);
        m_results->setRowCount(int(result.rows.size()));
        for (int r = 0; r < result.rows.size(); ++r) {
            const auto& row = result.rows[r];
            for (int c = 0; c < row.size(); ++c) {
                const QVariant& v = row[c];
                auto* item = new QStandardItem;
                if (v.isNull()) {
                    item->setText(QStringLiteral("NULL"));
                    item->setForeground(Qt::gray);
                } else {
                    item->setData(v, Qt::DisplayRole);
                }
                if (v.typeId() == QMetaType::LongLong || v.typeId() == QMetaType::Double)
                    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
                item->setEditable(false);
                m_results->setItem(r, c, item);
            }
        }
        m_view->resizeColumnsToContents();
        QString text = tr("%n row(s) in %1 ms", nullptr, int(result.rows.size())).arg(took);
        if (result.truncated)
            text += tr(" (only the first %1 rows are shown)").arg(result.rows.size());
        setStatus(text, false);
    } else {
        setStatus(tr("OK: %n statement(s), %1 row(s) changed, %2 ms", nullptr, result.statements)
                      .arg(result.changes)
                      .arg(took),
                  false);
    }
    emit finished(true);
}

} // namespace sluice::ui
