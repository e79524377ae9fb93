#include "TransformPanel.h"

#include "DesignerCommands.h"
#include "PipelineDocument.h"
#include "ScriptHighlighter.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QTableWidget>
#include <QThread>
#include <QTimer>
#include <QUndoStack>
#include <QVBoxLayout>

namespace sluice::ui::designer {

namespace {

QTableWidget* makeTable(const QStringList& headers, QWidget* parent) {
    auto* table = new QTableWidget(0, int(headers.size()), parent);
    table->setHorizontalHeaderLabels(headers);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->horizontalHeader()->setStretchLastSection(true);
    table->verticalHeader()->setDefaultSectionSize(20);
    return table;
}

void setRow(QTableWidget* table, int row, const QStringList& cells) {
    for (int c = 0; c < cells.size() && c < table->columnCount(); ++c)
        table->setItem(row, c, new QTableWidgetItem(cells[c]));
}

QString shown(const std::string& bytes) {
    return escapeControl(QString::fromUtf8(bytes.data(), qsizetype(bytes.size())));
}

} // namespace

TransformPanel::TransformPanel(PipelineDocument* document, QUndoStack* undoStack,
                               std::function<QString()> workingDir, QWidget* parent)
    : QWidget(parent), m_document(document), m_undoStack(undoStack),
      m_workingDir(std::move(workingDir)) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    auto* bar = new QHBoxLayout;
    m_path = new QLabel(this);
    bar->addWidget(m_path, 1);
    m_load = new QPushButton(tr("Load"), this);
    m_load->setToolTip(tr("Load the script from its path"));
    m_save = new QPushButton(tr("Save"), this);
    m_save->setToolTip(tr("Write the script to its path"));
    bar->addWidget(m_load);
    bar->addWidget(m_save);
    bar->addSpacing(12);
    bar->addWidget(new QLabel(tr("Messages:"), this));
    m_count = new QSpinBox(this);
    m_count->setRange(1, 1000);
    m_count->setValue(10);
    bar->addWidget(m_count);
    m_test = new QPushButton(tr("Test"), this);
    m_test->setToolTip(tr("Sample messages from the topic, transform and parse them; writes "
                          "nothing"));
    bar->addWidget(m_test);
    m_compareButton = new QPushButton(tr("Compare"), this);
    m_compareButton->setToolTip(tr("Run the deployed transform and this one on the same sample "
                                   "and show the rows that differ"));
    bar->addWidget(m_compareButton);
    layout->addLayout(bar);

    auto* split = new QSplitter(Qt::Horizontal, this);
    m_script = new QPlainTextEdit(split);
    m_script->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_script->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_script->setPlaceholderText(
        tr("Inline script (with its #! line), or Load the file at the Transform node's path"));
    new ScriptHighlighter(m_script->document());
    m_tabs = new QTabWidget(split);
    m_input = makeTable({tr("Partition"), tr("Offset"), tr("Value")}, m_tabs);
    m_output = new QPlainTextEdit(m_tabs);
    m_output->setReadOnly(true);
    m_output->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_rows = makeTable({}, m_tabs);
    m_errors = makeTable({tr("Record"), tr("Error")}, m_tabs);
    m_tabs->addTab(m_input, tr("Input"));
    m_tabs->addTab(m_output, tr("Output"));
    m_tabs->addTab(m_rows, tr("Parsed rows"));
    m_compare = makeTable({}, m_tabs);
    m_tabs->addTab(m_errors, tr("Errors"));
    m_tabs->addTab(m_compare, tr("Compare"));
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);
    layout->addWidget(split, 1);
    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_status);

    m_commitTimer = new QTimer(this);
    m_commitTimer->setSingleShot(true);
    m_commitTimer->setInterval(600);
    connect(m_commitTimer, &QTimer::timeout, this, &TransformPanel::commitScript);
    connect(m_script, &QPlainTextEdit::textChanged, this, [this] {
        if (!m_syncing)
            m_commitTimer->start();
    });
    connect(m_test, &QPushButton::clicked, this, &TransformPanel::startTest);
    connect(m_compareButton, &QPushButton::clicked, this, &TransformPanel::startCompare);
    connect(m_load, &QPushButton::clicked, this, &TransformPanel::loadFromFile);
    connect(m_save, &QPushButton::clicked, this, &TransformPanel::saveToFile);
    connect(document, &PipelineDocument::changed, this, &TransformPanel::syncFromDocument);
    syncFromDocument();
}

TransformPanel::~TransformPanel() {
    if (m_thread) {
        m_thread->wait();
        delete m_thread;
    }
}

QString TransformPanel::resolvedScriptPath() const {
    const DesignerNode* node = m_document->node(m_document->nodeOf(NodeKind::Transform));
    if (!node)
        return {};
    QString uri = node->props.value("uri").toString();
    if (uri.startsWith("file://"))
        uri = uri.mid(7);
    if (uri.isEmpty() || QFileInfo(uri).isAbsolute())
        return uri;
    return QDir(m_workingDir ? m_workingDir() : QDir::currentPath()).filePath(uri);
}

void TransformPanel::syncFromDocument() {
    const int id = m_document->nodeOf(NodeKind::Transform);
    const DesignerNode* node = m_document->node(id);
    m_script->setEnabled(node != nullptr);
    m_load->setEnabled(node != nullptr);
    m_save->setEnabled(node != nullptr);
    m_path->setText(node ? tr("Script: %1").arg(node->props.value("uri").toString())
                         : tr("No Transform node: Test previews the format on raw messages."));
    const QString script = node ? node->props.value("script").toString() : QString();
    if (m_script->toPlainText() != script && !m_commitTimer->isActive()) {
        m_syncing = true;
        m_script->setPlainText(script);
        m_syncing = false;
    }
}

void TransformPanel::commitScript() {
    m_commitTimer->stop();
    const int id = m_document->nodeOf(NodeKind::Transform);
    const DesignerNode* node = m_document->node(id);
    if (!node || node->props.value("script").toString() == m_script->toPlainText())
        return;
    m_undoStack->push(
        new SetPropertiesCommand(m_document, id, {{"script", m_script->toPlainText()}}, true));
}

void TransformPanel::loadFromFile() {
    QFile file(resolvedScriptPath());
    if (!file.open(QIODevice::ReadOnly)) {
        m_status->setText(tr("Cannot read %1: %2").arg(file.fileName(), file.errorString()));
        return;
    }
    m_script->setPlainText(QString::fromUtf8(file.readAll()));
    commitScript();
    m_status->setText(tr("Loaded %1.").arg(file.fileName()));
}

void TransformPanel::saveToFile() {
    commitScript();
    const QString path = resolvedScriptPath();
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(m_script->toPlainText().toUtf8()) < 0) {
        m_status->setText(tr("Cannot write %1: %2").arg(path, file.errorString()));
        return;
    }
    file.close();
    file.setPermissions(file.permissions() | QFile::ExeOwner | QFile::ExeGroup | QFile::ExeOther);
    m_status->setText(tr("Saved %1.").arg(path));
}

void TransformPanel::startTest() {
    if (m_thread)
        return;
    commitScript();
    auto spec = m_document->toSpec();
    if (!spec) {
        m_status->setText(
            tr("Cannot test: %1").arg(QString::fromStdString(spec.status().message())));
        return;
    }
    TransformTestRequest request;
    request.spec = spec.value();
    request.messages = m_count->value();
    request.workingDir = (m_workingDir ? m_workingDir() : QDir::currentPath()).toStdString();
    const DesignerNode* node = m_document->node(m_document->nodeOf(NodeKind::Transform));
    if (node && request.spec.transform)
        request.inlineScript = node->props.value("script").toString().toStdString();
    m_status->setText(tr("Sampling %1 messages from %2…")
                          .arg(request.messages)
                          .arg(QString::fromStdString(request.spec.topic)));
    launch([this, request]() -> std::function<void()> {
        auto result = std::make_shared<TransformTestResult>(runTransformTest(request));
        return [this, result] { showResult(*result); };
    });
}

void TransformPanel::launch(std::function<std::function<void()>()> work) {
    const quint64 token = ++m_token;
    m_test->setEnabled(false);
    m_compareButton->setEnabled(false);
    m_thread = QThread::create([this, work = std::move(work), token] {
        std::function<void()> show = work();
        QMetaObject::invokeMethod(
            this,
            [this, show, token] {
                if (m_thread) {
                    m_thread->wait();
                    delete m_thread;
                    m_thread = nullptr;
                }
                m_test->setEnabled(true);
                m_compareButton->setEnabled(true);
                if (token == m_token)
                    show();
                emit testFinished();
            },
            Qt::QueuedConnection);
    });
    m_thread->start();
}

void TransformPanel::startCompare() {
    if (m_thread)
        return;
    commitScript();
    auto spec = m_document->toSpec();
    if (!spec) {
        m_status->setText(
            tr("Cannot compare: %1").arg(QString::fromStdString(spec.status().message())));
        return;
    }
    if (!m_deployedSpec) {
        m_status->setText(tr("Cannot compare: open a store first"));
        return;
    }
    auto deployedSpec = m_deployedSpec(spec->name);
    if (!deployedSpec) {
        m_status->setText(tr("Cannot compare: no deployed pipeline %1 (%2)")
                              .arg(QString::fromStdString(spec->name),
                                   QString::fromStdString(deployedSpec.status().message())));
        return;
    }
    TransformTestRequest edited;
    edited.spec = spec.value();
    edited.messages = m_count->value();
    edited.workingDir = (m_workingDir ? m_workingDir() : QDir::currentPath()).toStdString();
    const DesignerNode* node = m_document->node(m_document->nodeOf(NodeKind::Transform));
    if (node && edited.spec.transform)
        edited.inlineScript = node->props.value("script").toString().toStdString();
    TransformTestRequest deployed = edited;
    deployed.spec = deployedSpec.value();
    deployed.inlineScript.clear();
    m_status->setText(tr("Comparing on %1 messages from %2…")
                          .arg(edited.messages)
                          .arg(QString::fromStdString(edited.spec.topic)));
    launch([this, deployed, edited]() -> std::function<void()> {
        auto result =
            std::make_shared<TransformCompareResult>(runTransformCompare(deployed, edited));
        return [this, result] { showComparison(*result); };
    });
}

void TransformPanel::showComparison(const TransformCompareResult& result) {
    size_t width = 0;
    for (const auto* rows : {&result.onlyDeployed, &result.onlyEdited})
        for (const auto& row : *rows)
            width = std::max(width, row.size());
    const std::vector<std::string>& columns = result.edited.columns;
    QStringList headers{tr("Side")};
    for (size_t c = 0; c < width; ++c)
        headers << (c < columns.size() ? QString::fromStdString(columns[c])
                                       : tr("field %1").arg(c + 1));
    m_compare->clear();
    m_compare->setColumnCount(int(headers.size()));
    m_compare->setHorizontalHeaderLabels(headers);
    m_compare->setRowCount(int(result.onlyDeployed.size() + result.onlyEdited.size()));
    int row = 0;
    for (const auto& [side, rows] : {std::pair{tr("deployed"), &result.onlyDeployed},
                                     std::pair{tr("edited"), &result.onlyEdited}}) {
        for (const auto& fields : *rows) {
            QStringList cells{side};
            for (const std::string& f : fields)
                cells << shown(f);
            setRow(m_compare, row++, cells);
        }
    }
    if (!result.status.ok())
        m_status->setText(
            tr("Compare failed: %1").arg(QString::fromStdString(result.status.message())));
    else
        m_status->setText(tr("%1 messages in: %2 rows only in deployed, %3 only in edited.")
                              .arg(result.input.size())
                              .arg(result.onlyDeployed.size())
                              .arg(result.onlyEdited.size()));
    m_tabs->setCurrentWidget(m_compare);
}

void TransformPanel::showResult(const TransformTestResult& result) {
    m_input->setRowCount(int(result.input.size()));
    for (size_t i = 0; i < result.input.size(); ++i) {
        const SampledRecord& r = result.input[i];
        setRow(m_input, int(i),
               {QString::number(r.partition), QString::number(r.offset), shown(r.value)});
    }
    QString output = QString::fromUtf8(result.output.data(), qsizetype(result.output.size()));
    if (!result.stderrText.empty())
        output += tr("\n--- stderr ---\n") + QString::fromStdString(result.stderrText);
    m_output->setPlainText(output);

    size_t width = 0;
    for (const auto& row : result.rows)
        width = std::max(width, row.size());
    m_rows->clear();
    m_rows->setColumnCount(int(width));
    QStringList headers;
    for (size_t c = 0; c < width; ++c)
        headers << (c < result.columns.size() ? QString::fromStdString(result.columns[c])
                                              : tr("field %1").arg(c + 1));
    m_rows->setHorizontalHeaderLabels(headers);
    m_rows->setRowCount(int(result.rows.size()));
    for (size_t i = 0; i < result.rows.size(); ++i) {
        QStringList cells;
        for (const std::string& f : result.rows[i])
            cells << shown(f);
        setRow(m_rows, int(i), cells);
    }
    m_errors->setRowCount(int(result.errors.size()));
    for (size_t i = 0; i < result.errors.size(); ++i)
        setRow(m_errors, int(i),
               {QString::number(result.errors[i].record),
                QString::fromStdString(result.errors[i].message)});

    if (!result.status.ok())
        m_status->setText(
            tr("Test failed: %1").arg(QString::fromStdString(result.status.message())));
    else
        m_status->setText(tr("%1 messages in, %2 rows parsed, %3 errors%4.")
                              .arg(result.input.size())
                              .arg(result.rows.size())
                              .arg(result.errors.size())
                              .arg(result.transformed ? tr(" (transformed)") : QString()));
    if (!result.status.ok())
        m_tabs->setCurrentWidget(m_output);
    else if (!result.errors.empty())
        m_tabs->setCurrentWidget(m_errors);
    else
        m_tabs->setCurrentWidget(m_rows);
}

} // namespace sluice::ui::designer
