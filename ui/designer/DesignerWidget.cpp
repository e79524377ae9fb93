#include "DesignerWidget.h"

#include "DesignerCommands.h"
#include "DesignerScene.h"
#include "DesignerView.h"
#include "Inspector.h"
#include "Palette.h"
#include "SqlPane.h"
#include "StoredPipeline.h"
#include "TopicLister.h"
#include "TransformPanel.h"

#include "pipeline/RowBuilder.h"
#include "pipeline/StatementExecutor.h"
#include "store/Store.h"

#include <QAction>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QMenu>
#include <QSplitter>
#include <QTabWidget>
#include <QToolBar>
#include <QToolButton>
#include <QUndoStack>
#include <QVBoxLayout>

#include <cmath>

namespace sluice::ui::designer {

namespace {

constexpr const char* kStarterTable =
    "CREATE TABLE events (id INTEGER PRIMARY KEY, user TEXT, amount REAL, ts TEXT, "
    "SHARD KEY (id))";

sql::PipelineSpec starterSpec() {
    sql::PipelineSpec spec;
    spec.name = "new_pipeline";
    spec.brokers = "127.0.0.1:9092";
    spec.topic = "events";
    spec.target = "events";
    spec.csv.formatCsvKeyword = true;
    spec.csv.fieldsTerminatedBy = ",";
    spec.columns = {"id", "user", "amount", "ts"};
    return spec;
}

QString qmsg(const Status& status) {
    return QString::fromStdString(status.message());
}

QPointF snapped(QPointF p) {
    const double g = PipelineDocument::kGrid;
    return {std::round(p.x() / g) * g, std::round(p.y() / g) * g};
}

// The drawing as the catalog keeps it: the whole document, credentials redacted (the catalog
// keeps those in their own table).
std::string catalogLayout(const PipelineDocument& document) {
    QJsonObject json = document.toJson();
    QJsonArray nodes = json.value("nodes").toArray();
    for (QJsonValueRef ref : nodes) {
        QJsonObject node = ref.toObject();
        QJsonObject props = node.value("props").toObject();
        if (!props.value("credentials").toString().isEmpty()) {
            props.insert("credentials", kRedactedCredentials);
            node.insert("props", props);
            ref = node;
        }
    }
    json.insert("nodes", nodes);
    return QJsonDocument(json).toJson(QJsonDocument::Compact).toStdString();
}

} // namespace

DesignerWidget::DesignerWidget(StoreProvider store, QWidget* parent)
    : QWidget(parent), m_store(std::move(store)) {
    m_document = new PipelineDocument(this);
    m_undoStack = new QUndoStack(this);
    const Status starter = m_document->fromSpec(starterSpec(), kStarterTable);
    Q_ASSERT(starter.ok());

    m_scene = new DesignerScene(m_document, m_undoStack, this);
    m_view = new DesignerView(this);
    m_view->setScene(m_scene);
    m_palette = new Palette(this);
    m_inspector = new Inspector(m_document, m_undoStack, this);
    m_sqlPane = new SqlPane(this);
    m_transformPanel = new TransformPanel(
        m_document, m_undoStack, [this] { return workingDir(); }, this);
    m_transformPanel->setDeployedSpecProvider(
        [this](const std::string& name) -> Result<sql::PipelineSpec> {
            auto store = m_store ? m_store() : nullptr;
            if (!store)
                return Status(ErrorCode::NotFound, "open a store first");
            auto executor = pipeline::StatementExecutor::open(store);
            if (!executor)
                return executor.status();
            auto stored = readStoredPipeline(*executor.value(), name);
            if (!stored)
                return stored.status();
            return stored->spec;
        });
    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    auto* toolbar = new QToolBar(this);
    toolbar->setToolButtonStyle(Qt::ToolButtonTextOnly);
    layout->addWidget(toolbar);

    auto* split = new QSplitter(Qt::Horizontal, this);
    auto* left = new QWidget(split);
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(4, 0, 0, 0);
    leftLayout->addWidget(new QLabel(tr("Drag onto the canvas:"), left));
    leftLayout->addWidget(m_palette, 1);
    auto* centre = new QSplitter(Qt::Vertical, split);
    centre->addWidget(m_view);
    m_bottomTabs = new QTabWidget(centre);
    m_bottomTabs->addTab(m_sqlPane, tr("SQL"));
    m_bottomTabs->addTab(m_transformPanel, tr("Transform"));
    centre->addWidget(m_bottomTabs);
    centre->setStretchFactor(0, 3);
    centre->setStretchFactor(1, 2);
    split->addWidget(left);
    split->addWidget(centre);
    split->addWidget(m_inspector);
    split->setStretchFactor(1, 1);
    split->setSizes({140, 700, 300});
    layout->addWidget(split, 1);
    auto* statusRow = new QWidget(this);
    auto* statusLayout = new QVBoxLayout(statusRow);
    statusLayout->setContentsMargins(6, 0, 6, 4);
    statusLayout->addWidget(m_status);
    layout->addWidget(statusRow);

    createActions();
    toolbar->addAction(m_undo);
    toolbar->addAction(m_redo);
    toolbar->addAction(m_delete);
    toolbar->addSeparator();
    toolbar->addAction(m_openPipeline);
    if (auto* button = qobject_cast<QToolButton*>(toolbar->widgetForAction(m_openPipeline)))
        button->setPopupMode(QToolButton::InstantPopup);
    toolbar->addAction(m_openSql);
    toolbar->addAction(m_openLayout);
    toolbar->addAction(m_saveLayout);
    toolbar->addSeparator();
    toolbar->addAction(m_resetZoom);
    toolbar->addSeparator();
    toolbar->addAction(m_deploy);
    toolbar->addAction(m_export);

    connect(m_view, &DesignerView::nodeDropped, this,
            [this](NodeKind kind, QPointF pos) { createNode(kind, pos); });
    connect(m_palette, &Palette::nodeRequested, this, [this](NodeKind kind) {
        createNode(kind, m_view->mapToScene(m_view->viewport()->rect().center()));
    });
    connect(m_scene, &DesignerScene::statusMessage, this, [this](const QString& message) {
        setStatus(message, message.contains("not a valid") || message.contains("already"));
    });
    connect(m_scene, &DesignerScene::selectedNodeChanged, this, [this](int id) {
        m_inspector->setNode(id);
        const DesignerNode* node = m_document->node(id);
        if (node && node->kind == NodeKind::Transform)
            m_bottomTabs->setCurrentWidget(m_transformPanel);
    });
    connect(m_document, &PipelineDocument::changed, this, &DesignerWidget::refreshSql);
    connect(m_document, &PipelineDocument::documentReset, this, &DesignerWidget::centreView);
    connect(m_sqlPane, &SqlPane::applyRequested, this, &DesignerWidget::applySql);
    refreshSql();
    setStatus(tr("Drag nodes from the palette; drag from a node's right port to another node to "
                 "connect them."));
}

DesignerWidget::~DesignerWidget() = default;

void DesignerWidget::centreView() {
    m_view->centerOn(m_scene->itemsBoundingRect().center());
}

void DesignerWidget::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    if (!m_shownOnce) {
        m_shownOnce = true;
        centreView();
    }
}

void DesignerWidget::createActions() {
    m_undo = m_undoStack->createUndoAction(this, tr("Undo"));
    m_undo->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Z));
    m_redo = m_undoStack->createRedoAction(this, tr("Redo"));
    m_redo->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z));
    for (QAction* a : {m_undo, m_redo}) {
        a->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        addAction(a);
    }
    m_delete = new QAction(tr("Delete"), this);
    m_delete->setShortcut(QKeySequence::Delete);
    // Only on the canvas: Delete in a text field edits the text.
    m_delete->setShortcutContext(Qt::WidgetShortcut);
    m_view->addAction(m_delete);
    connect(m_delete, &QAction::triggered, m_scene, &DesignerScene::deleteSelection);

    m_deploy = new QAction(tr("Deploy"), this);
    m_deploy->setToolTip(tr("Create the table if missing, create or replace the pipeline (cursors "
                            "are kept) and start it"));
    connect(m_deploy, &QAction::triggered, this, [this] { deploy(); });
    m_export = new QAction(tr("Export for SingleStore..."), this);
    connect(m_export, &QAction::triggered, this, &DesignerWidget::exportDialog);
    m_openPipeline = new QAction(tr("Open pipeline"), this);
    m_openPipeline->setToolTip(tr("Draw one of the store's pipelines"));
    m_pipelineMenu = new QMenu(this);
    m_openPipeline->setMenu(m_pipelineMenu);
    // Listed when the menu opens, so it follows the store's pipelines.
    connect(m_pipelineMenu, &QMenu::aboutToShow, this, &DesignerWidget::fillPipelineMenu);
    m_openSql = new QAction(tr("Open SQL..."), this);
    connect(m_openSql, &QAction::triggered, this, &DesignerWidget::openSqlDialog);
    m_saveLayout = new QAction(tr("Save design..."), this);
    connect(m_saveLayout, &QAction::triggered, this, &DesignerWidget::saveLayoutDialog);
    m_openLayout = new QAction(tr("Open design..."), this);
    connect(m_openLayout, &QAction::triggered, this, &DesignerWidget::openLayoutDialog);
    m_resetZoom = new QAction(tr("100%"), this);
    m_resetZoom->setToolTip(tr("Reset the zoom (Ctrl+wheel zooms, middle button pans)"));
    connect(m_resetZoom, &QAction::triggered, this, [this] { m_view->setZoom(1.0); });
}

void DesignerWidget::setStatus(const QString& message, bool error) {
    m_status->setStyleSheet(error ? QStringLiteral("color: #b3261e;") : QString());
    m_status->setText(message);
}

QString DesignerWidget::workingDir() const {
    auto store = m_store ? m_store() : nullptr;
    return store ? QString::fromStdString(store->dir()) : QDir::currentPath();
}

void DesignerWidget::refreshSql() {
    auto script = m_document->toSqlScript(true);
    if (script) {
        m_sqlPane->setGeneratedSql(QString::fromStdString(script.value()));
        return;
    }
    QString text = QStringLiteral("-- Incomplete design: %1\n").arg(qmsg(script.status()));
    const std::string table = m_document->createTableSql();
    if (!table.empty())
        text += QString::fromStdString(table) + ";\n";
    m_sqlPane->setGeneratedSql(text);
}

int DesignerWidget::createNode(NodeKind kind, QPointF scenePos) {
    const QString why = m_document->checkNewNode(kind);
    if (!why.isEmpty()) {
        setStatus(why, true);
        return 0;
    }
    // The drop point is the node's centre.
    const QPointF pos = snapped(scenePos - QPointF(90, 32));
    auto* command = new AddNodeCommand(m_document, kind, pos);
    m_undoStack->push(command);
    m_scene->selectNode(command->nodeId());
    setStatus(tr("Added a %1 node.").arg(nodeKindName(kind)));
    return command->nodeId();
}

bool DesignerWidget::connectNodes(int from, int to) {
    return m_scene->requestConnection(from, to);
}

bool DesignerWidget::applySql(const QString& sql) {
    PipelineDocument parsed;
    const Status st = parsed.fromSqlScript(sql.toStdString());
    if (!st.ok()) {
        m_sqlPane->setError(qmsg(st));
        setStatus(tr("The SQL was not applied."), true);
        return false;
    }
    // Keep where the user put things, and the credentials the pane showed redacted.
    for (int id : parsed.nodeIds()) {
        const DesignerNode* node = parsed.node(id);
        const DesignerNode* old = m_document->node(m_document->nodeOf(node->kind));
        if (!old)
            continue;
        parsed.moveNode(id, old->pos);
        if (node->kind == NodeKind::Source &&
            node->props.value("credentials").toString() == "<redacted>")
            parsed.setProperties(id, {{"credentials", old->props.value("credentials")}});
        if (node->kind == NodeKind::Transform)
            parsed.setProperties(id, {{"script", old->props.value("script")}});
    }
    m_undoStack->push(new ReplaceDocumentCommand(m_document, m_document->toJson(), parsed.toJson(),
                                                 tr("Apply SQL")));
    m_sqlPane->setError({});
    m_sqlPane->showGenerated();
    setStatus(tr("Applied the SQL: %1 nodes.").arg(m_document->nodeCount()));
    return true;
}

bool DesignerWidget::loadSql(const QString& sql, QString* error) {
    const Status st = m_document->fromSqlScript(sql.toStdString());
    if (!st.ok()) {
        if (error)
            *error = qmsg(st);
        return false;
    }
    m_undoStack->clear();
    m_openedPipeline.clear();
    return true;
}

QStringList DesignerWidget::storePipelines(QString* error) const {
    auto store = m_store ? m_store() : nullptr;
    if (!store) {
        if (error)
            *error = tr("open a store first");
        return {};
    }
    auto executor = pipeline::StatementExecutor::open(store);
    if (!executor) {
        if (error)
            *error = qmsg(executor.status());
        return {};
    }
    auto names = storedPipelineNames(*executor.value());
    if (!names) {
        if (error)
            *error = qmsg(names.status());
        return {};
    }
    QStringList out;
    for (const std::string& name : names.value())
        out << QString::fromStdString(name);
    return out;
}

bool DesignerWidget::openPipeline(const QString& name, QString* error) {
    auto fail = [&](const QString& text) {
        setStatus(tr("Cannot open pipeline %1: %2").arg(name, text), true);
        if (error)
            *error = text;
        return false;
    };
    auto store = m_store ? m_store() : nullptr;
    if (!store)
        return fail(tr("open a store first"));
    auto executor = pipeline::StatementExecutor::open(store);
    if (!executor)
        return fail(qmsg(executor.status()));
    auto stored = readStoredPipeline(*executor.value(), name.toStdString());
    if (!stored)
        return fail(qmsg(stored.status()));
    PipelineDocument opened;
    const Status st = opened.fromSpec(stored->spec, stored->createTableSql);
    if (!st.ok())
        return fail(qmsg(st));
    const QJsonDocument layout =
        QJsonDocument::fromJson(QByteArray::fromStdString(stored->layoutJson));
    if (layout.isObject())
        opened.placeLike(layout.object());
    m_undoStack->push(new ReplaceDocumentCommand(m_document, m_document->toJson(), opened.toJson(),
                                                 tr("Open pipeline %1").arg(name)));
    m_openedPipeline = name;
    setStatus(layout.isObject()
                  ? tr("Opened pipeline %1.").arg(name)
                  : tr("Opened pipeline %1 (no saved layout: laid out afresh).").arg(name));
    return true;
}

void DesignerWidget::fillPipelineMenu() {
    m_pipelineMenu->clear();
    QString error;
    const QStringList names = storePipelines(&error);
    if (names.isEmpty()) {
        QAction* none =
            m_pipelineMenu->addAction(error.isEmpty() ? tr("The store has no pipelines") : error);
        none->setEnabled(false);
        return;
    }
    for (const QString& name : names) {
        QAction* open = m_pipelineMenu->addAction(name);
        connect(open, &QAction::triggered, this, [this, name] { openPipeline(name); });
    }
}

bool DesignerWidget::deploy(QString* message) {
    auto fail = [&](const QString& text) {
        setStatus(tr("Deploy failed: %1").arg(text), true);
        if (message)
            *message = text;
        return false;
    };
    auto store = m_store ? m_store() : nullptr;
    if (!store)
        return fail(tr("open a store first"));
    auto spec = m_document->toSpec();
    if (!spec)
        return fail(qmsg(spec.status()));
    auto executor = pipeline::StatementExecutor::open(store);
    if (!executor)
        return fail(qmsg(executor.status()));
    pipeline::StatementExecutor& ex = *executor.value();

    if (spec->credentialsJson == kRedactedCredentials) {
        // The drawing holds stored credentials redacted: put the stored ones back rather than
        // replacing them with the placeholder. A renamed design takes them from the pipeline
        // it was opened from.
        auto stored = storedCredentials(ex, spec->name);
        if (!stored && stored.status().code() == ErrorCode::NotFound && !m_openedPipeline.isEmpty())
            stored = storedCredentials(ex, m_openedPipeline.toStdString());
        if (!stored)
            return fail(tr("the credentials are redacted and no stored pipeline holds them; "
                           "enter them in the Source node"));
        spec->credentialsJson = stored.value();
    }

    bool exists = false;
    if (spec->targetKind == sql::TargetKind::Table) {
        auto tables = ex.session().tables();
        if (!tables)
            return fail(qmsg(tables.status()));
        const QString target = QString::fromStdString(spec->target);
        exists = std::any_of(tables->begin(), tables->end(), [&](const auto& t) {
            return QString::fromStdString(t.name).compare(target, Qt::CaseInsensitive) == 0;
        });
    }
    const Status valid = validateDeploy(*store, spec.value(), exists);
    if (!valid.ok())
        return fail(qmsg(valid));

    if (spec->targetKind == sql::TargetKind::Table) {
        const QString target = QString::fromStdString(spec->target);
        if (!exists) {
            const std::string table = m_document->createTableSql();
            if (table.empty())
                return fail(
                    tr("table %1 does not exist and the Table node has no columns").arg(target));
            auto created = ex.execute(table);
            if (!created)
                return fail(qmsg(created.status()));
        }
    }

    const DesignerNode* transform = m_document->node(m_document->nodeOf(NodeKind::Transform));
    if (transform && spec->transform && !transform->props.value("script").toString().isEmpty()) {
        QString uri = QString::fromStdString(spec->transform->uri);
        if (uri.startsWith("file://"))
            uri = uri.mid(7);
        const QString path = QFileInfo(uri).isAbsolute()
                                 ? uri
                                 : QDir(QString::fromStdString(store->dir())).filePath(uri);
        QDir().mkpath(QFileInfo(path).absolutePath());
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly) ||
            file.write(transform->props.value("script").toString().toUtf8()) < 0)
            return fail(
                tr("cannot write the transform script %1: %2").arg(path, file.errorString()));
        file.close();
        file.setPermissions(file.permissions() | QFile::ExeOwner | QFile::ExeGroup |
                            QFile::ExeOther);
    }

    std::string create = sql::toSql(spec.value(), false);
    const std::string plain = "CREATE PIPELINE ";
    if (create.rfind(plain, 0) == 0)
        create = "CREATE OR REPLACE PIPELINE " + create.substr(plain.size());
    auto created = ex.execute(create);
    if (!created)
        return fail(qmsg(created.status()));
    const Status savedLayout = saveStoredLayout(ex, spec->name, catalogLayout(*m_document));
    if (!savedLayout.ok())
        return fail(tr("the pipeline was replaced but its layout was not saved: %1")
                        .arg(qmsg(savedLayout)));
    auto started =
        ex.execute("START PIPELINE IF NOT RUNNING " + sql::quotePipelineIdentifier(spec->name));
    if (!started)
        return fail(qmsg(started.status()));
    const QString name = QString::fromStdString(spec->name);
    setStatus(tr("Deployed pipeline %1 and started it.").arg(name));
    if (message)
        *message = name;
    emit deployed(name);
    return true;
}

Status DesignerWidget::validateDeploy(const store::Store& store, const sql::PipelineSpec& spec,
                                      bool tableExists) const {
    if (spec.targetKind == sql::TargetKind::Table) {
        if (!tableExists) {
            if (m_document->createTableSql().empty())
                return Status(ErrorCode::NotFound,
                              "table " + spec.target +
                                  " does not exist and the Table node has no columns");
        } else {
            auto schema = pipeline::loadTableSchema(store, spec.target);
            if (!schema)
                return schema.status();
            auto has = [&](const std::string& column) {
                const QString name = QString::fromStdString(column);
                return std::any_of(
                    schema->columns.begin(), schema->columns.end(), [&](const std::string& c) {
                        return QString::fromStdString(c).compare(name, Qt::CaseInsensitive) == 0;
                    });
            };
            std::vector<std::string> wanted;
            for (const std::string& c : spec.columns)
                if (!c.empty() && c[0] != '@')
                    wanted.push_back(c);
            for (const sql::Assignment& a : spec.set)
                wanted.push_back(a.column);
            for (const std::string& c : wanted)
                if (!has(c))
                    return Status(ErrorCode::NotFound,
                                  "table " + spec.target + " has no column " + c);
        }
    }
    if (spec.sourceType == sql::SourceType::Kafka && m_brokerCheck)
        return m_brokerCheck(spec);
    if (spec.sourceType == sql::SourceType::Kafka) {
        auto topics =
            listTopics(spec.brokers, kafkaClientConfig(spec.configJson, spec.credentialsJson));
        if (!topics)
            return topics.status();
        const bool found = std::any_of(topics->begin(), topics->end(),
                                       [&](const TopicInfo& t) { return t.name == spec.topic; });
        if (!found)
            return Status(ErrorCode::NotFound,
                          "topic " + spec.topic + " does not exist on " + spec.brokers);
    }
    return {};
}

bool DesignerWidget::exportSql(const QString& path, QString* error) {
    auto script = m_document->toSqlScript(true);
    if (!script) {
        if (error)
            *error = qmsg(script.status());
        return false;
    }
    auto spec = m_document->toSpec();
    QString text = tr("-- Pipeline %1, exported by Sluice for SingleStore.\n")
                       .arg(QString::fromStdString(spec->name));
    if (!spec->credentialsJson.empty())
        text += tr("-- CREDENTIALS are redacted: put the real JSON in before running this.\n");
    if (spec->transform)
        text += tr("-- WITH TRANSFORM: SingleStore fetches the script from its URI; publish it "
                   "where the cluster can read it (http:// or file:// on every node).\n");
    text += "\n" + QString::fromStdString(script.value());
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(text.toUtf8()) < 0) {
        if (error)
            *error = file.errorString();
        return false;
    }
    return true;
}

bool DesignerWidget::saveLayout(const QString& path, QString* error) const {
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) ||
        file.write(QJsonDocument(m_document->toJson()).toJson()) < 0) {
        if (error)
            *error = file.errorString();
        return false;
    }
    return true;
}

bool DesignerWidget::loadLayout(const QString& path, QString* error) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        if (error)
            *error = file.errorString();
        return false;
    }
    QJsonParseError parseError;
    const QJsonDocument json = QJsonDocument::fromJson(file.readAll(), &parseError);
    if (!json.isObject()) {
        if (error)
            *error = parseError.errorString();
        return false;
    }
    PipelineDocument probe;
    if (!probe.fromJson(json.object(), error))
        return false;
    m_undoStack->push(new ReplaceDocumentCommand(m_document, m_document->toJson(), json.object(),
                                                 tr("Open design")));
    m_openedPipeline.clear();
    return true;
}

void DesignerWidget::openSqlDialog() {
    const QString path = QFileDialog::getOpenFileName(this, tr("Open pipeline SQL"), {},
                                                      tr("SQL (*.sql);;All files (*)"));
    if (path.isEmpty())
        return;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        setStatus(tr("Cannot read %1: %2").arg(path, file.errorString()), true);
        return;
    }
    if (applySql(QString::fromUtf8(file.readAll())))
        setStatus(tr("Opened %1.").arg(path));
}

void DesignerWidget::exportDialog() {
    auto spec = m_document->toSpec();
    const QString suggested = spec ? QString::fromStdString(spec->name) + ".sql" : QString();
    const QString path = QFileDialog::getSaveFileName(this, tr("Export for SingleStore"), suggested,
                                                      tr("SQL (*.sql)"));
    if (path.isEmpty())
        return;
    QString error;
    if (exportSql(path, &error))
        setStatus(tr("Exported to %1.").arg(path));
    else
        setStatus(tr("Export failed: %1").arg(error), true);
}

void DesignerWidget::saveLayoutDialog() {
    const QString path =
        QFileDialog::getSaveFileName(this, tr("Save design"), {}, tr("Sluice design (*.json)"));
    if (path.isEmpty())
        return;
    QString error;
    if (saveLayout(path, &error))
        setStatus(tr("Saved %1.").arg(path));
    else
        setStatus(tr("Save failed: %1").arg(error), true);
}

void DesignerWidget::openLayoutDialog() {
    const QString path =
        QFileDialog::getOpenFileName(this, tr("Open design"), {}, tr("Sluice design (*.json)"));
    if (path.isEmpty())
        return;
    QString error;
    if (loadLayout(path, &error))
        setStatus(tr("Opened %1.").arg(path));
    else
        setStatus(tr("Cannot open %1: %2").arg(path, error), true);
}

} // namespace sluice::ui::designer
