// The pipeline designer: node creation through the palette's drop path, connection rules, undo
// and redo of every kind of edit, the SQL round trip of every sample pipeline, the SQL pane's
// Apply, the inspector, the transform test on a real embedded broker, and Deploy into a real
// store; opening the store's pipelines as drawings (table rebuilt from the store, layout kept in
// the catalog, credentials kept redacted and never lost on redeploy); a generated round trip;
// the inspector's topic picker on a real embedded broker; Compare against the deployed
// transform; Deploy's validation (missing columns, unreachable broker, missing topic).

#include "designer/DesignerCommands.h"
#include "designer/DesignerScene.h"
#include "designer/DesignerView.h"
#include "designer/DesignerWidget.h"
#include "designer/Inspector.h"
#include "designer/NodeItem.h"
#include "designer/Palette.h"
#include "designer/PipelineDocument.h"
#include "designer/SqlPane.h"
#include "designer/StoredPipeline.h"
#include "designer/TransformPanel.h"
#include "designer/TransformTester.h"

#include "pipeline/PipelineCatalog.h"
#include "pipeline/StatementExecutor.h"
#include "source/MockBroker.h"
#include "source/PaymentGenerator.h"
#include "sql/Lexer.h"
#include "store/Store.h"

#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSet>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QUndoStack>
#include <QtTest>

#include <memory>

using namespace sluice;
using namespace sluice::ui::designer;

namespace {

QString readFile(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(file.readAll());
}

QString resource(const QString& relative) {
    return QStringLiteral(SLUICE_SOURCE_DIR "/resources/") + relative;
}

// The CREATE PIPELINE spec of a script, parsed by the engine alone.
sql::PipelineSpec specOf(const std::string& script) {
    auto statements = sql::splitStatements(script);
    if (!statements)
        return {};
    for (const sql::StatementText& s : statements.value()) {
        if (!sql::isPipelineStatement(s.text))
            continue;
        auto parsed = sql::parsePipelineStatement(s.text);
        if (parsed && std::holds_alternative<sql::CreatePipeline>(parsed.value()))
            return std::get<sql::CreatePipeline>(parsed.value()).spec;
    }
    return {};
}

// A store in a temporary folder with an executor on it.
struct TempStore {
    QTemporaryDir dir;
    std::shared_ptr<store::Store> store;
    std::unique_ptr<pipeline::StatementExecutor> executor;

    bool open() {
        if (!dir.isValid())
            return false;
        auto opened = store::Store::open(dir.filePath("store").toStdString());
        if (!opened)
            return false;
        store = opened.value();
        auto ex = pipeline::StatementExecutor::open(store);
        if (!ex)
            return false;
        executor = std::move(ex.value());
        return true;
    }
    Status run(const std::string& script) {
        return executor->executeScript(script, [](const store::ExecResult&) {});
    }
    DesignerWidget::StoreProvider provider() const {
        return [s = store] { return s; };
    }
    // The definition as the catalog holds it, credentials included.
    sql::PipelineSpec storedSpec(const std::string& name) {
        pipeline::PipelineCatalog catalog(executor->session().db(), "information_schema");
        auto row = catalog.get(name);
        if (!row || !row->has_value())
            return {};
        auto spec = pipeline::PipelineCatalog::specOf(**row);
        return spec ? spec.value() : sql::PipelineSpec();
    }
    std::string credentials(const std::string& name) {
        // User SQL may not read the credentials table; the catalog API may.
        pipeline::PipelineCatalog catalog(executor->session().db(), "information_schema");
        auto row = catalog.get(name);
        if (!row.ok() || !row->has_value())
            return "(none)";
        return (*row)->credentials;
    }
    std::string layout(const std::string& name) {
        pipeline::PipelineCatalog catalog(executor->session().db(), "information_schema");
        auto l = catalog.layout(name);
        return l ? l.value() : "(error)";
    }
};

QMap<NodeKind, QPointF> positions(const PipelineDocument& doc) {
    QMap<NodeKind, QPointF> out;
    for (int id : doc.nodeIds())
        out.insert(doc.node(id)->kind, doc.node(id)->pos);
    return out;
}

// One generated pipeline: the variant number seeds a fixed pseudo-random pick of one choice in
// each dimension (the same variant always gives the same text).
QString generatedPipeline(int variant) {
    quint32 state = quint32(variant) * 2654435761u + 1;
    auto pick = [&](const QStringList& choices) {
        state = state * 1103515245u + 12345u;
        return choices[int((state >> 16) % quint32(choices.size()))];
    };
    const QString source = pick(
        {"KAFKA '127.0.0.1:9092/t'", "KAFKA 'a:1,b:2/topic.x'\nCONFIG '{\"client.id\": \"x\"}'",
         "KAFKA 'k:9093/t'\nCONFIG '{\"security.protocol\": \"SASL_SSL\"}'\n"
         "CREDENTIALS '{\"sasl.username\": \"u\", \"sasl.password\": \"p\"}'",
         "FS '/data/in-*.csv'"});
    const QString options =
        pick({"", "\nBATCH_INTERVAL 100", "\nBATCH_INTERVAL 2500\nMAX_PARTITIONS_PER_BATCH 3",
              "\nMAX_OFFSETS_PER_BATCH_PARTITION 500\nMAX_RETRIES_PER_BATCH_PARTITION 2\n"
              "BATCH_INTERVAL 0\nMAX_PARTITIONS_PER_BATCH 0"});
    const QString transform = pick({"", "\nWITH TRANSFORM ('transforms/t.py', '', '--mode x')"});
    const QString policy = pick({"", "\nREPLACE", "\nIGNORE", "\nSKIP ALL ERRORS",
                                 "\nSKIP DUPLICATE KEY ERRORS", "\nSKIP PARSER ERRORS"});
    const QString format =
        pick({"\nFORMAT CSV", "\nFORMAT CSV\nFIELDS TERMINATED BY '\\t'",
              "\nFIELDS TERMINATED BY ';' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY '\\\\'"
              "\nLINES STARTING BY '>' TERMINATED BY '\\r\\n'\nIGNORE 2 LINES",
              "\nFORMAT CSV\nFIELDS ENCLOSED BY '\"'\nLINES TERMINATED BY '\\n'",
              "\nFORMAT JSON (a <- id, b <- user::name DEFAULT 'none', c <- %)",
              "\nFORMAT AVRO\nSCHEMA '{\"type\": \"record\", \"name\": \"r\", \"fields\": []}'\n"
              "(a <- %::id, b <- %::name)"});
    const bool csv = !format.contains("JSON") && !format.contains("AVRO");
    const QString columns = csv ? pick({"", "\n(a, b, c)", "\n(@x, b, @y)"}) : QString();
    const QString set = pick({"", "\nSET a = CAST(@x AS INTEGER) * 2, c = upper(@y)"});
    const QString where = pick({"", "\nWHERE b <> '' AND a > 0"});
    const QString dup = pick({"", "\nON DUPLICATE KEY UPDATE b = VALUES(b), c = c + 1"});
    return "CREATE PIPELINE gen_" + QString::number(variant) + " AS\nLOAD DATA " + source +
           options + transform + policy + "\nINTO TABLE t" + format + columns + set + where + dup;
}

QJsonObject nodesOnly(std::initializer_list<NodeKind> kinds) {
    QJsonArray nodes;
    int id = 1;
    for (NodeKind k : kinds)
        nodes.append(QJsonObject{{"id", id++}, {"kind", nodeKindName(k)}, {"x", 0}, {"y", 0}});
    return {{"version", 1}, {"nodes", nodes}, {"edges", QJsonArray()}};
}

} // namespace

class TestDesigner : public QObject {
    Q_OBJECT

private slots:
    void dropFromPaletteCreatesNode();
    void connections_data();
    void connections();
    void connectionDragHitTestsOnRelease();
    void undoRedoRestoresDocument();
    void inspectorEditsThroughUndo();
    void sqlRoundTrip_data();
    void sqlRoundTrip();
    void sqlPaneApply();
    void transformAndParse();
    void testButtonSamplesBroker();
    void deployCreatesAndStarts();
    void generatedRoundTrip_data();
    void generatedRoundTrip();
    void openStorePipeline_data();
    void openStorePipeline();
    void deploySavesLayout();
    void redeployKeepsCredentials();
    void topicPickerListsBroker();
    void compareWithDeployed();
    void deployValidation_data();
    void deployValidation();
    void screenshot();
};

void TestDesigner::dropFromPaletteCreatesNode() {
    DesignerWidget widget({});
    widget.resize(1200, 800);
    widget.show();
    PipelineDocument* doc = widget.document();
    QCOMPARE(doc->nodeOf(NodeKind::Transform), 0);
    const int before = doc->nodeCount();

    // A real drop on the canvas, as a drag from the palette delivers it.
    QWidget* viewport = widget.view()->viewport();
    const QPoint at(400, 250);
    std::unique_ptr<QMimeData> mime(Palette::mimeDataFor(NodeKind::Transform));
    QDragEnterEvent enter(at, Qt::CopyAction, mime.get(), Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(viewport, &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(QPointF(at), Qt::CopyAction, mime.get(), Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(viewport, &drop);

    QCOMPARE(doc->nodeCount(), before + 1);
    const int id = doc->nodeOf(NodeKind::Transform);
    QVERIFY(id != 0);
    QVERIFY(widget.scene()->nodeItem(id) != nullptr);
    const QPointF pos = doc->node(id)->pos;
    QCOMPARE(std::fmod(pos.x(), double(PipelineDocument::kGrid)), 0.0);
    QCOMPARE(std::fmod(pos.y(), double(PipelineDocument::kGrid)), 0.0);
    QCOMPARE(widget.undoStack()->count(), 1);
    QCOMPARE(widget.scene()->selectedNodeId(), id);

    // The same path refuses a second node of a kind, with a message.
    QCOMPARE(widget.createNode(NodeKind::Source, QPointF(0, 0)), 0);
    QCOMPARE(doc->nodeCount(), before + 1);
    QVERIFY(widget.statusLabel()->text().contains("one Source"));

    widget.undoStack()->undo();
    QCOMPARE(doc->nodeOf(NodeKind::Transform), 0);
    QVERIFY(widget.scene()->nodeItem(id) == nullptr);
}

void TestDesigner::connections_data() {
    QTest::addColumn<int>("from"); // node ids: 1 Source, 2 Format, 3 Transform, 4 Table, 5 Options
    QTest::addColumn<int>("to");
    QTest::addColumn<bool>("valid");
    QTest::newRow("Source->Format") << 1 << 2 << true;
    QTest::newRow("Format->Transform") << 2 << 3 << true;
    QTest::newRow("Format->Table") << 2 << 4 << true;
    QTest::newRow("Transform->Table") << 3 << 4 << true;
    QTest::newRow("Source->Table") << 1 << 4 << false;
    QTest::newRow("Source->Transform") << 1 << 3 << false;
    QTest::newRow("Table->Source") << 4 << 1 << false;
    QTest::newRow("Format->Source") << 2 << 1 << false;
    QTest::newRow("Transform->Format") << 3 << 2 << false;
    QTest::newRow("Options->Table") << 5 << 4 << false;
    QTest::newRow("Source->Source") << 1 << 1 << false;
}

void TestDesigner::connections() {
    QFETCH(int, from);
    QFETCH(int, to);
    QFETCH(bool, valid);
    DesignerWidget widget({});
    QVERIFY(widget.document()->fromJson(
        nodesOnly({NodeKind::Source, NodeKind::Format, NodeKind::Transform, NodeKind::Table,
                   NodeKind::Options})));
    QCOMPARE(widget.scene()->edgeItemCount(), 0);
    QCOMPARE(widget.connectNodes(from, to), valid);
    QCOMPARE(widget.document()->edges().size(), valid ? 1 : 0);
    QCOMPARE(widget.scene()->edgeItemCount(), valid ? 1 : 0);
    QCOMPARE(widget.scene()->edgeItem(from, to) != nullptr, valid);
    QCOMPARE(widget.undoStack()->count(), valid ? 1 : 0);
    if (!valid)
        QVERIFY2(widget.statusLabel()->text().contains("not a valid connection") ||
                     widget.statusLabel()->text().contains("different nodes"),
                 qPrintable(widget.statusLabel()->text()));
}

void TestDesigner::connectionDragHitTestsOnRelease() {
    DesignerWidget widget({});
    widget.resize(1200, 800);
    widget.show();
    QVERIFY(QTest::qWaitForWindowExposed(&widget));
    PipelineDocument* doc = widget.document();
    QVERIFY(doc->fromJson(
        nodesOnly({NodeKind::Source, NodeKind::Format, NodeKind::Transform, NodeKind::Table})));
    doc->moveNode(1, QPointF(0, 0));
    doc->moveNode(2, QPointF(300, 0));
    doc->moveNode(3, QPointF(300, 200));
    doc->moveNode(4, QPointF(600, 0));
    DesignerView* view = widget.view();
    view->centerOn(QPointF(300, 100));
    auto toView = [&](QPointF scene) { return view->mapFromScene(scene); };

    // Source's output port dragged onto the Format node: connected.
    const QPoint port = toView(widget.scene()->nodeItem(1)->outputPort());
    const QPoint format = toView(QPointF(390, 40));
    QTest::mousePress(view->viewport(), Qt::LeftButton, {}, port);
    QTest::mouseMove(view->viewport(), (port + format) / 2);
    QTest::mouseMove(view->viewport(), format);
    QTest::mouseRelease(view->viewport(), Qt::LeftButton, {}, format);
    QCOMPARE(doc->edges().size(), 1);
    QCOMPARE(doc->edges().first(), (DesignerEdge{1, 2}));
    QCOMPARE(widget.scene()->mode(), DesignerScene::Mode::Idle);

    // Format's output dropped on the Source: refused, with the reason.
    const QPoint formatPort = toView(widget.scene()->nodeItem(2)->outputPort());
    const QPoint source = toView(QPointF(90, 40));
    QTest::mousePress(view->viewport(), Qt::LeftButton, {}, formatPort);
    QTest::mouseMove(view->viewport(), source);
    QTest::mouseRelease(view->viewport(), Qt::LeftButton, {}, source);
    QCOMPARE(doc->edges().size(), 1);
    QVERIFY(widget.statusLabel()->text().contains("not a valid connection"));

    // Dragging a node body is one undo step on release, snapped to the grid.
    const int steps = widget.undoStack()->count();
    const QPoint body = toView(QPointF(390, 250));
    QTest::mousePress(view->viewport(), Qt::LeftButton, {}, body);
    QTest::mouseMove(view->viewport(), body + QPoint(10, 10));
    QTest::mouseMove(view->viewport(), body + QPoint(47, 33));
    QTest::mouseRelease(view->viewport(), Qt::LeftButton, {}, body + QPoint(47, 33));
    QCOMPARE(widget.undoStack()->count(), steps + 1);
    const QPointF moved = doc->node(3)->pos;
    QVERIFY(moved != QPointF(300, 200));
    QCOMPARE(std::fmod(moved.x(), 20.0), 0.0);
    QCOMPARE(std::fmod(moved.y(), 20.0), 0.0);
    widget.undoStack()->undo();
    QCOMPARE(doc->node(3)->pos, QPointF(300, 200));
    QCOMPARE(widget.scene()->nodeItem(3)->pos(), QPointF(300, 200));
}

void TestDesigner::undoRedoRestoresDocument() {
    DesignerWidget widget({});
    PipelineDocument* doc = widget.document();
    QUndoStack* stack = widget.undoStack();
    const QJsonObject initial = doc->toJson();
    const int items = widget.scene()->nodeItemCount();

    const int transform = widget.createNode(NodeKind::Transform, QPointF(500, 400));
    QVERIFY(transform != 0);
    const int format = doc->nodeOf(NodeKind::Format);
    const int table = doc->nodeOf(NodeKind::Table);
    // Rewire Format -> Transform -> Table.
    stack->push(new RemoveEdgeCommand(doc, format, table));
    QVERIFY(widget.connectNodes(format, transform));
    QVERIFY(widget.connectNodes(transform, table));
    stack->push(new SetPropertiesCommand(doc, transform, {{"uri", "transforms/x.py"}}));
    stack->push(new MoveNodesCommand(doc, {{transform, {doc->node(transform)->pos, {40, 600}}}}));
    stack->push(new RemoveNodeCommand(doc, doc->nodeOf(NodeKind::Options)));
    QVERIFY(doc->toSpec().ok());
    QVERIFY(doc->toSpec()->transform.has_value());
    const QJsonObject edited = doc->toJson();
    QVERIFY(edited != initial);

    while (stack->canUndo())
        stack->undo();
    QCOMPARE(doc->toJson(), initial);
    QCOMPARE(widget.scene()->nodeItemCount(), items);
    QCOMPARE(widget.scene()->edgeItemCount(), int(doc->edges().size()));
    while (stack->canRedo())
        stack->redo();
    QCOMPARE(doc->toJson(), edited);
    QCOMPARE(widget.scene()->nodeItemCount(), items); // +Transform, -Options
    QCOMPARE(widget.scene()->edgeItemCount(), 3);
}

void TestDesigner::inspectorEditsThroughUndo() {
    DesignerWidget widget({});
    PipelineDocument* doc = widget.document();
    const int options = doc->nodeOf(NodeKind::Options);
    widget.scene()->selectNode(options);
    QCOMPARE(widget.inspector()->nodeId(), options);
    auto* interval = qobject_cast<QLineEdit*>(widget.inspector()->editor("batchInterval"));
    QVERIFY(interval);
    interval->setText("750");
    emit interval->editingFinished();
    QCOMPARE(doc->node(options)->props.value("batchInterval").toLongLong(), 750);
    QCOMPARE(doc->toSpec()->options.batchIntervalMs, 750);
    QVERIFY(widget.sqlPane()->text().contains("BATCH_INTERVAL 750"));
    widget.undoStack()->undo();
    QCOMPARE(interval->text(), QString("2500"));
    QVERIFY(!widget.sqlPane()->text().contains("BATCH_INTERVAL"));

    // Escaped terminators: "\t" typed is a tab.
    const int format = doc->nodeOf(NodeKind::Format);
    widget.scene()->selectNode(format);
    auto* fields = qobject_cast<QLineEdit*>(widget.inspector()->editor("fieldsTerminatedBy"));
    QVERIFY(fields);
    fields->setText("\\t");
    emit fields->editingFinished();
    QCOMPARE(doc->toSpec()->csv.fieldsTerminatedBy, std::string("\t"));
}

void TestDesigner::sqlRoundTrip_data() {
    QTest::addColumn<QString>("path");
    const QDir dir(resource("pipelines"));
    const QStringList files = dir.entryList({"*.sql"}, QDir::Files, QDir::Name);
    QVERIFY(files.size() >= 6);
    for (const QString& f : files)
        QTest::newRow(qPrintable(f)) << dir.filePath(f);
}

void TestDesigner::sqlRoundTrip() {
    QFETCH(QString, path);
    const std::string script = readFile(path).toStdString();
    const sql::PipelineSpec original = specOf(script);
    QVERIFY(!original.name.empty());

    PipelineDocument doc;
    const Status loaded = doc.fromSqlScript(script);
    QVERIFY2(loaded.ok(), loaded.message().c_str());
    auto spec = doc.toSpec();
    QVERIFY2(spec.ok(), spec.status().message().c_str());
    QVERIFY(spec.value() == original);

    // Through the text the pane shows (credentials included) and back again.
    auto generated = doc.toSqlScript(false);
    QVERIFY(generated.ok());
    QVERIFY(specOf(generated.value()) == original);
    PipelineDocument again;
    QVERIFY(again.fromSqlScript(generated.value()).ok());
    QVERIFY(again.toSpec().value() == original);
    QCOMPARE(again.createTableSql(), doc.createTableSql());

    // The table survives: same name, definitions and shard key as the file's CREATE TABLE.
    auto statements = sql::splitStatements(script);
    QVERIFY(statements.ok());
    auto fileTable = parseCreateTable(statements->front().text);
    QVERIFY(fileTable.ok());
    auto docTable = parseCreateTable(doc.createTableSql());
    QVERIFY(docTable.ok());
    QCOMPARE(docTable->name, fileTable->name);
    QCOMPARE(docTable->definitions, fileTable->definitions);
    QCOMPARE(docTable->shardKey, fileTable->shardKey);

    // The layout JSON holds everything too.
    PipelineDocument copy;
    QVERIFY(copy.fromJson(doc.toJson()));
    QVERIFY(copy.toSpec().value() == original);
}

void TestDesigner::sqlPaneApply() {
    DesignerWidget widget({});
    QVERIFY(widget.loadSql(readFile(resource("pipelines/payments.sql"))));
    PipelineDocument* doc = widget.document();
    QCOMPARE(widget.scene()->nodeItemCount(), 4); // Source, Format, Table, Options
    QCOMPARE(widget.scene()->edgeItemCount(), 2);
    QVERIFY(widget.sqlPane()->text().contains("CREATE PIPELINE payments"));
    const QJsonObject before = doc->toJson();
    const QPointF sourcePos = QPointF(-80, 60);
    widget.undoStack()->push(
        new MoveNodesCommand(doc, {{doc->nodeOf(NodeKind::Source),
                                    {doc->node(doc->nodeOf(NodeKind::Source))->pos, sourcePos}}}));
    const QJsonObject moved = doc->toJson();

    // Invalid text: an inline error naming the token, nothing changes.
    widget.sqlPane()->setText("CREATE PIPELIN payments AS LOAD DATA KAFKA 'a:1/b' INTO TABLE t");
    QVERIFY(widget.sqlPane()->applyButton()->isEnabled());
    widget.sqlPane()->applyButton()->click();
    QVERIFY2(widget.sqlPane()->errorLabel()->text().contains("PIPELIN"),
             qPrintable(widget.sqlPane()->errorLabel()->text()));
    QCOMPARE(doc->toJson(), moved);

    // A pipeline with a transform: the document and the scene grow by a node and an edge.
    widget.sqlPane()->setText(readFile(resource("pipelines/transformed_orders.sql")));
    widget.sqlPane()->applyButton()->click();
    QVERIFY(widget.sqlPane()->errorLabel()->text().isEmpty());
    QVERIFY(doc->nodeOf(NodeKind::Transform) != 0);
    QCOMPARE(doc->toSpec()->name, std::string("orders_flat"));
    QCOMPARE(widget.scene()->nodeItemCount(), 5);
    QCOMPARE(widget.scene()->edgeItemCount(), 3);
    QVERIFY(!widget.sqlPane()->isEdited());
    QVERIFY(widget.sqlPane()->text().contains("WITH TRANSFORM"));
    // Node positions of kinds that existed were kept.
    QCOMPARE(doc->node(doc->nodeOf(NodeKind::Source))->pos, sourcePos);

    // One undo step brings the payments design back.
    widget.undoStack()->undo();
    QCOMPARE(doc->toJson(), moved);
    QCOMPARE(widget.scene()->nodeItemCount(), 4);
    widget.undoStack()->undo();
    QCOMPARE(doc->toJson(), before);
    QVERIFY(widget.sqlPane()->text().contains("CREATE PIPELINE payments"));
}

void TestDesigner::transformAndParse() {
    TransformTestRequest request;
    request.spec = specOf(readFile(resource("pipelines/payments.sql")).toStdString());
    request.spec.transform =
        sql::TransformSpec{resource("transforms/upper_user.sh").toStdString(), "", ""};
    std::vector<SampledRecord> input = {
        {0, 0, "1,alice,100,5"}, {0, 1, "2,bob,200,6"}, {1, 0, "3,carol,300"}};
    TransformTestResult result = ::sluice::ui::designer::transformAndParse(request, input);
    QVERIFY2(result.status.ok(), result.status.message().c_str());
    QVERIFY(result.transformed);
    QCOMPARE(result.rows.size(), size_t(3));
    QCOMPARE(result.rows[1][1], std::string("BOB"));
    QCOMPARE(result.columns.size(), size_t(4));
    // The short record is reported with its index.
    QCOMPARE(result.errors.size(), size_t(1));
    QCOMPARE(result.errors[0].record, int64_t(2));

    // An inline script that fails: the transform's stderr is kept.
    request.inlineScript = "#!/bin/sh\necho broken input >&2\nexit 3\n";
    result = ::sluice::ui::designer::transformAndParse(request, input);
    QVERIFY(!result.status.ok());
    QVERIFY(result.stderrText.find("broken input") != std::string::npos);

    // No transform: each message is parsed on its own.
    request.inlineScript.clear();
    request.spec.transform.reset();
    result = ::sluice::ui::designer::transformAndParse(request, input);
    QVERIFY(result.status.ok());
    QCOMPARE(result.rows.size(), size_t(3));
    QCOMPARE(result.rows[0][1], std::string("alice"));
    QCOMPARE(result.errors.size(), size_t(1));
}

void TestDesigner::testButtonSamplesBroker() {
    auto broker = source::MockBroker::start();
    QVERIFY(broker.ok());
    QVERIFY(broker.value()->createTopic("payments", 2).ok());
    source::ProduceOptions produce;
    produce.bootstrap = broker.value()->bootstraps();
    produce.topic = "payments";
    produce.count = 40;
    auto produced = source::producePayments(produce);
    QVERIFY2(produced.ok(), produced.status().message().c_str());
    QCOMPARE(produced.value(), int64_t(40));

    DesignerWidget widget({});
    QString script = readFile(resource("pipelines/payments.sql"));
    script.replace("127.0.0.1:9092", QString::fromStdString(broker.value()->bootstraps()));
    QVERIFY(widget.loadSql(script));
    PipelineDocument* doc = widget.document();
    // Insert the sample transform between Format and Table.
    const int format = doc->nodeOf(NodeKind::Format);
    const int table = doc->nodeOf(NodeKind::Table);
    const int transform = widget.createNode(NodeKind::Transform, QPointF(600, 300));
    widget.undoStack()->push(new RemoveEdgeCommand(doc, format, table));
    QVERIFY(widget.connectNodes(format, transform));
    QVERIFY(widget.connectNodes(transform, table));
    widget.undoStack()->push(
        new SetPropertiesCommand(doc, transform, {{"uri", resource("transforms/upper_user.sh")}}));

    TransformPanel* panel = widget.transformPanel();
    panel->findChild<QSpinBox*>()->setValue(10);
    QSignalSpy finished(panel, &TransformPanel::testFinished);
    panel->startTest();
    QVERIFY(finished.wait(30000));
    QVERIFY2(panel->statusLabel()->text().startsWith("10 messages"),
             qPrintable(panel->statusLabel()->text()));
    QCOMPARE(panel->inputTable()->rowCount(), 10);
    QCOMPARE(panel->rowsTable()->rowCount(), 10);
    QCOMPARE(panel->errorsTable()->rowCount(), 0);
    for (int r = 0; r < 10; ++r) {
        const QString user = panel->rowsTable()->item(r, 1)->text();
        QVERIFY2(user.startsWith("USER-"), qPrintable(user));
    }
}

void TestDesigner::deployCreatesAndStarts() {
    // Declared first: the started pipeline consumes from it until the store closes.
    auto broker = source::MockBroker::start();
    QVERIFY(broker.ok());
    QVERIFY(broker.value()->createTopic("payments", 2).ok());
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    auto store = store::Store::open(dir.filePath("store").toStdString());
    QVERIFY(store.ok());
    std::shared_ptr<store::Store> shared = store.value();
    DesignerWidget widget([shared] { return shared; });
    QString paymentsSql = readFile(resource("pipelines/payments.sql"));
    paymentsSql.replace("127.0.0.1:9092", QString::fromStdString(broker.value()->bootstraps()));
    QVERIFY(widget.loadSql(paymentsSql));
    QSignalSpy deployed(&widget, &DesignerWidget::deployed);
    QString message;
    QVERIFY2(widget.deploy(&message), qPrintable(message));
    QCOMPARE(deployed.count(), 1);

    auto executor = pipeline::StatementExecutor::open(shared);
    QVERIFY(executor.ok());
    auto tables = executor.value()->session().tables();
    QVERIFY(tables.ok());
    QVERIFY(std::any_of(tables->begin(), tables->end(),
                        [](const store::TableInfo& t) { return t.name == "payments"; }));
    auto state = executor.value()->execute(
        "SELECT STATE FROM information_schema.PIPELINES WHERE PIPELINE_NAME = 'payments'");
    QVERIFY2(state.ok(), state.status().message().c_str());
    QCOMPARE(state->rows.size(), size_t(1));
    QCOMPARE(QString::fromStdString(state->rows[0][0].toString()), QString("Running"));

    // A second deploy replaces the pipeline with the edited options; the table stays.
    widget.undoStack()->push(new SetPropertiesCommand(
        widget.document(), widget.document()->nodeOf(NodeKind::Options), {{"batchInterval", 900}}));
    QVERIFY2(widget.deploy(&message), qPrintable(message));
    auto config = executor.value()->execute(
        "SELECT CONFIG_JSON FROM information_schema.PIPELINES WHERE PIPELINE_NAME = 'payments'");
    QVERIFY(config.ok());
    QVERIFY(QString::fromStdString(config->rows[0][0].toString()).contains("900"));

    // Export: the same SQL with credentials redacted.
    const QString out = dir.filePath("payments.sql");
    QVERIFY(widget.exportSql(out));
    const QString exported = readFile(out);
    QVERIFY(exported.contains("CREATE TABLE payments"));
    QVERIFY(specOf(exported.toStdString()) == widget.document()->toSpec().value());

    // No store: a clear refusal.
    DesignerWidget orphan({});
    QVERIFY(!orphan.deploy(&message));
    QVERIFY(message.contains("store"));
}

void TestDesigner::generatedRoundTrip_data() {
    QTest::addColumn<QString>("sql");
    QSet<QString> seen;
    for (int variant = 0; variant < 400 && seen.size() < 60; ++variant) {
        const QString sql = generatedPipeline(variant);
        if (seen.contains(sql.section('\n', 1)))
            continue;
        seen.insert(sql.section('\n', 1));
        QTest::newRow(qPrintable(QString("variant %1").arg(variant))) << sql;
    }
    QVERIFY(seen.size() >= 40);
}

void TestDesigner::generatedRoundTrip() {
    QFETCH(QString, sql);
    auto parsed = sql::parsePipelineStatement(sql.toStdString());
    QVERIFY2(parsed.ok(),
             qPrintable(QString::fromStdString(parsed.status().message()) + "\n" + sql));
    const sql::PipelineSpec original = std::get<sql::CreatePipeline>(parsed.value()).spec;

    PipelineDocument doc;
    const Status loaded = doc.fromSqlScript(sql.toStdString());
    QVERIFY2(loaded.ok(), loaded.message().c_str());
    QVERIFY(doc.toSpec().value() == original);
    // document -> SQL -> parse: the same spec.
    auto generated = doc.toSqlScript(false);
    QVERIFY2(generated.ok(), generated.status().message().c_str());
    QVERIFY2(specOf(generated.value()) == original, generated.value().c_str());
    // And through the layout JSON.
    PipelineDocument copy;
    QVERIFY(copy.fromJson(doc.toJson()));
    QVERIFY(copy.toSpec().value() == original);
}

void TestDesigner::openStorePipeline_data() {
    QTest::addColumn<QString>("script");
    QTest::addColumn<QStringList>("definitions");
    QTest::addColumn<QStringList>("shardKey");
    QTest::addColumn<bool>("reference");
    QTest::newRow("sharded")
        << "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT NOT NULL, "
           "total REAL DEFAULT 0, note, SHARD KEY (id));\n"
           "CREATE PIPELINE orders AS LOAD DATA KAFKA '127.0.0.1:9092/orders' "
           "BATCH_INTERVAL 700 MAX_PARTITIONS_PER_BATCH 2 "
           "WITH TRANSFORM ('transforms/o.py', '', '-v') IGNORE INTO TABLE orders "
           "FORMAT CSV FIELDS TERMINATED BY '\\t' (id, @c, total) SET customer = upper(@c) "
           "WHERE total > 0"
        << QStringList{"id INTEGER PRIMARY KEY", "customer TEXT NOT NULL", "total REAL DEFAULT 0",
                       "note"}
        << QStringList{"id"} << false;
    QTest::newRow("reference, composite key")
        << "CREATE REFERENCE TABLE rates (cur TEXT NOT NULL, day TEXT, rate REAL, "
           "PRIMARY KEY (day, cur));\n"
           "CREATE PIPELINE `rate feed` AS LOAD DATA KAFKA 'k:1/rates' REPLACE INTO TABLE rates "
           "FORMAT CSV (cur, day, rate)"
        << QStringList{"cur TEXT NOT NULL", "day TEXT", "rate REAL", "PRIMARY KEY (day, cur)"}
        << QStringList{} << true;
}

void TestDesigner::openStorePipeline() {
    QFETCH(QString, script);
    QFETCH(QStringList, definitions);
    QFETCH(QStringList, shardKey);
    QFETCH(bool, reference);
    TempStore ts;
    QVERIFY(ts.open());
    const Status created = ts.run(script.toStdString());
    QVERIFY2(created.ok(), created.message().c_str());
    const sql::PipelineSpec stored = specOf(script.toStdString());
    QVERIFY(ts.storedSpec(stored.name) == stored);

    DesignerWidget widget(ts.provider());
    QCOMPARE(widget.storePipelines(), QStringList{QString::fromStdString(stored.name)});
    // The toolbar's menu lists the store's pipelines when it opens; choosing one draws it.
    QMenu* menu = widget.openPipelineAction()->menu();
    QVERIFY(menu);
    emit menu->aboutToShow();
    QCOMPARE(menu->actions().size(), 1);
    QCOMPARE(menu->actions().first()->text(), QString::fromStdString(stored.name));
    const QJsonObject starter = widget.document()->toJson();
    menu->actions().first()->trigger();

    PipelineDocument* doc = widget.document();
    auto spec = doc->toSpec();
    QVERIFY2(spec.ok(), spec.status().message().c_str());
    QVERIFY(spec.value() == stored);
    QVERIFY(widget.statusLabel()->text().contains("laid out afresh"));
    auto table = parseCreateTable(doc->createTableSql());
    QVERIFY2(table.ok(), doc->createTableSql().c_str());
    QCOMPARE(QString::fromStdString(table->name), QString::fromStdString(stored.target));
    QStringList gotDefinitions;
    for (const std::string& d : table->definitions)
        gotDefinitions << QString::fromStdString(d);
    QCOMPARE(gotDefinitions, definitions);
    QStringList gotKey;
    for (const std::string& k : table->shardKey)
        gotKey << QString::fromStdString(k);
    QCOMPARE(gotKey, shardKey);
    QCOMPARE(table->reference, reference);
    QCOMPARE(widget.scene()->nodeItemCount(), doc->nodeCount());

    // Opening is one undo step.
    widget.undoStack()->undo();
    QCOMPARE(widget.document()->toJson(), starter);

    // A pipeline that is not there: the design stays, with the reason.
    QString error;
    QVERIFY(!widget.openPipeline("missing", &error));
    QVERIFY2(error.contains("does not exist"), qPrintable(error));
    QCOMPARE(widget.document()->toJson(), starter);
}

void TestDesigner::deploySavesLayout() {
    auto broker = source::MockBroker::start();
    QVERIFY(broker.ok());
    QVERIFY(broker.value()->createTopic("orders", 1).ok());
    TempStore ts;
    QVERIFY(ts.open());
    QVERIFY(ts.run(readFile(resource("pipelines/transformed_orders.sql")).toStdString()).ok());
    QCOMPARE(ts.layout("orders_flat"), std::string());

    DesignerWidget widget(ts.provider());
    QVERIFY(widget.openPipeline("orders_flat"));
    PipelineDocument* doc = widget.document();
    QMap<int, QPair<QPointF, QPointF>> moves;
    QPointF to(-200, 400);
    for (int id : doc->nodeIds()) {
        moves.insert(id, {doc->node(id)->pos, to});
        to += QPointF(160, -60);
    }
    widget.undoStack()->push(new MoveNodesCommand(doc, moves));
    widget.undoStack()->push(
        new SetPropertiesCommand(doc, doc->nodeOf(NodeKind::Options), {{"batchInterval", 1500}}));
    widget.undoStack()->push(new SetPropertiesCommand(
        doc, doc->nodeOf(NodeKind::Source),
        {{"brokers", QString::fromStdString(broker.value()->bootstraps())}}));
    const QMap<NodeKind, QPointF> placed = positions(*doc);
    QString message;
    QVERIFY2(widget.deploy(&message), qPrintable(message));
    QVERIFY(!ts.layout("orders_flat").empty());
    QCOMPARE(ts.storedSpec("orders_flat").options.batchIntervalMs, int64_t(1500));

    // A new designer opening the pipeline puts every node where it was deployed.
    DesignerWidget reopened(ts.provider());
    QVERIFY(reopened.openPipeline("orders_flat"));
    QCOMPARE(positions(*reopened.document()), placed);
    QVERIFY(reopened.document()->toSpec().value() == ts.storedSpec("orders_flat"));
    QVERIFY(!reopened.statusLabel()->text().contains("afresh"));

    // CREATE OR REPLACE from the console keeps the layout; the positions still apply.
    auto replaced = ts.executor->execute(
        "CREATE OR REPLACE PIPELINE orders_flat AS LOAD DATA KAFKA '127.0.0.1:9092/orders' "
        "INTO TABLE orders FORMAT CSV (order_id, customer, total, currency)");
    QVERIFY(replaced.ok());
    DesignerWidget third(ts.provider());
    QVERIFY(third.openPipeline("orders_flat"));
    QCOMPARE(third.document()->nodeOf(NodeKind::Transform), 0);
    const QMap<NodeKind, QPointF> now = positions(*third.document());
    for (NodeKind k : {NodeKind::Source, NodeKind::Format, NodeKind::Table, NodeKind::Options})
        QCOMPARE(now.value(k), placed.value(k));
}

void TestDesigner::redeployKeepsCredentials() {
    TempStore ts;
    QVERIFY(ts.open());
    const std::string script =
        "CREATE TABLE accounts (account_id INTEGER PRIMARY KEY, owner TEXT, balance REAL, "
        "SHARD KEY (account_id));\n"
        "CREATE PIPELINE accounts AS LOAD DATA KAFKA 'kafka-1.internal:9093/accounts'\n"
        "CONFIG '{\"security.protocol\": \"SASL_SSL\", \"sasl.mechanism\": \"PLAIN\"}'\n"
        "CREDENTIALS '{\"sasl.username\": \"sluice\", \"sasl.password\": \"change-me\"}'\n"
        "INTO TABLE accounts FORMAT CSV (account_id, owner, balance)";
    const Status created = ts.run(script);
    QVERIFY2(created.ok(), created.message().c_str());
    const std::string secret = specOf(script).credentialsJson;
    QVERIFY(secret.find("change-me") != std::string::npos);
    QCOMPARE(ts.credentials("accounts"), secret);

    DesignerWidget widget(ts.provider());
    // The cluster (SASL_SSL on kafka-1.internal) is not reachable from the test.
    widget.setBrokerCheck([](const sql::PipelineSpec&) { return Status(); });
    QString error;
    QVERIFY2(widget.openPipeline("accounts", &error), qPrintable(error));
    PipelineDocument* doc = widget.document();
    // Redacted in the drawing and in the SQL pane.
    QCOMPARE(doc->node(doc->nodeOf(NodeKind::Source))->props.value("credentials").toString(),
             QString(kRedactedCredentials));
    QVERIFY(!widget.sqlPane()->text().contains("change-me"));
    sql::PipelineSpec expected = ts.storedSpec("accounts");
    expected.credentialsJson = kRedactedCredentials;
    QVERIFY(doc->toSpec().value() == expected);
    // The pane's text, placeholder included, applies as it is.
    QVERIFY2(widget.applySql(widget.sqlPane()->text()),
             qPrintable(widget.sqlPane()->errorLabel()->text()));
    QVERIFY(doc->toSpec().value() == expected);

    // An edit and a redeploy: the stored credentials survive; the layout does not hold them.
    widget.undoStack()->push(
        new SetPropertiesCommand(doc, doc->nodeOf(NodeKind::Options), {{"maxRetries", 3}}));
    QString message;
    QVERIFY2(widget.deploy(&message), qPrintable(message));
    QCOMPARE(ts.credentials("accounts"), secret);
    QCOMPARE(ts.storedSpec("accounts").options.maxRetriesPerBatchPartition, int64_t(3));
    QCOMPARE(ts.storedSpec("accounts").credentialsJson, secret);
    QVERIFY(ts.layout("accounts").find("change-me") == std::string::npos);

    // Deployed under a new name: the credentials come from the pipeline it was opened from.
    widget.undoStack()->push(
        new SetPropertiesCommand(doc, doc->nodeOf(NodeKind::Options), {{"pipeline", "copy"}}));
    QVERIFY2(widget.deploy(&message), qPrintable(message));
    QCOMPARE(ts.credentials("copy"), secret);
    QCOMPARE(ts.credentials("accounts"), secret);

    // Real credentials typed in replace the stored ones.
    widget.undoStack()->push(new SetPropertiesCommand(
        doc, doc->nodeOf(NodeKind::Source), {{"credentials", "{\"sasl.password\": \"new\"}"}}));
    QVERIFY2(widget.deploy(&message), qPrintable(message));
    QCOMPARE(ts.credentials("copy"), std::string("{\"sasl.password\": \"new\"}"));
    QCOMPARE(ts.credentials("accounts"), secret);

    // A redacted design with nowhere to take credentials from is refused, nothing written.
    DesignerWidget other(ts.provider());
    QString renamed = QString::fromStdString(script);
    renamed.replace("CREATE PIPELINE accounts", "CREATE PIPELINE fresh");
    QVERIFY(other.loadSql(renamed));
    other.undoStack()->push(new SetPropertiesCommand(other.document(),
                                                     other.document()->nodeOf(NodeKind::Source),
                                                     {{"credentials", kRedactedCredentials}}));
    QVERIFY(!other.deploy(&message));
    QVERIFY2(message.contains("credentials"), qPrintable(message));
    QCOMPARE(ts.credentials("fresh"), std::string("(none)"));
}

void TestDesigner::topicPickerListsBroker() {
    auto broker = source::MockBroker::start();
    QVERIFY(broker.ok());
    QVERIFY(broker.value()->createTopic("orders", 3).ok());
    QVERIFY(broker.value()->createTopic("clicks", 1).ok());

    DesignerWidget widget({});
    PipelineDocument* doc = widget.document();
    const int source = doc->nodeOf(NodeKind::Source);
    Inspector* inspector = widget.inspector();
    inspector->setNode(doc->nodeOf(NodeKind::Table));
    QVERIFY(!inspector->listTopicsButton());
    inspector->setNode(source);
    QVERIFY(inspector->listTopicsButton());
    QComboBox* choices = inspector->topicChoices();

    // The brokers field as typed (committed before the listing).
    auto* brokers = qobject_cast<QLineEdit*>(inspector->editor("brokers"));
    brokers->setText(QString::fromStdString(broker.value()->bootstraps()));
    inspector->listTopicsButton()->click();
    QVERIFY2(choices->isEnabled(), qPrintable(choices->toolTip()));
    QCOMPARE(choices->count(), 2);
    QCOMPARE(choices->itemData(0).toString(), QString("clicks"));
    QCOMPARE(choices->itemData(1).toString(), QString("orders"));
    QVERIFY2(choices->itemText(1).contains("3 partitions"), qPrintable(choices->itemText(1)));

    // Choosing one is an undoable edit of the topic.
    const int steps = widget.undoStack()->count();
    choices->setCurrentIndex(1);
    emit choices->activated(1);
    QCOMPARE(doc->node(source)->props.value("topic").toString(), QString("orders"));
    QCOMPARE(widget.undoStack()->count(), steps + 1);
    QCOMPARE(qobject_cast<QLineEdit*>(inspector->editor("topic"))->text(), QString("orders"));
    widget.undoStack()->undo();
    QCOMPARE(doc->node(source)->props.value("topic").toString(), QString("events"));

    // A broker that does not answer: nothing to choose, the reason in the tooltip.
    brokers->setText("127.0.0.1:1");
    QVERIFY(!inspector->listTopics());
    QVERIFY(!choices->isEnabled());
    QVERIFY(!choices->toolTip().isEmpty());
}

void TestDesigner::compareWithDeployed() {
    // Two inline scripts that differ in one output column: the edited one doubles the amount.
    const QString deployedScript = readFile(resource("transforms/upper_user.sh"));
    const QString upper = "if (NF >= 2) $2 = toupper($2)";
    QVERIFY(deployedScript.contains(upper));
    QString editedScript = deployedScript;
    editedScript.replace(upper, upper + "\n        if (NF >= 3) $3 = $3 * 2");

    TransformTestRequest deployed;
    deployed.spec = specOf(readFile(resource("pipelines/payments.sql")).toStdString());
    deployed.spec.transform = sql::TransformSpec{"transforms/t.sh", "", ""};
    deployed.inlineScript = deployedScript.toStdString();
    TransformTestRequest edited = deployed;
    edited.inlineScript = editedScript.toStdString();
    const std::vector<SampledRecord> input = {
        {0, 0, "1,alice,100,5"}, {0, 1, "2,bob,200,6"}, {1, 0, "3,carol,0,7"}};
    const TransformCompareResult result = compareTransforms(deployed, edited, input);
    QVERIFY2(result.status.ok(), result.status.message().c_str());
    using Rows = std::vector<std::vector<std::string>>;
    QCOMPARE(result.onlyDeployed, (Rows{{"1", "ALICE", "100", "5"}, {"2", "BOB", "200", "6"}}));
    QCOMPARE(result.onlyEdited, (Rows{{"1", "ALICE", "200", "5"}, {"2", "BOB", "400", "6"}}));
    // Equal scripts: no difference.
    QVERIFY(compareTransforms(deployed, deployed, input).onlyEdited.empty());

    // The Compare button: the store's deployed script against the edited one, same sample.
    auto broker = source::MockBroker::start();
    QVERIFY(broker.ok());
    QVERIFY(broker.value()->createTopic("payments", 1).ok());
    source::ProduceOptions produce;
    produce.bootstrap = broker.value()->bootstraps();
    produce.topic = "payments";
    produce.count = 8;
    QVERIFY(source::producePayments(produce).ok());
    TempStore ts;
    QVERIFY(ts.open());
    DesignerWidget widget(ts.provider());
    QString script = readFile(resource("pipelines/payments.sql"));
    script.replace("127.0.0.1:9092", QString::fromStdString(broker.value()->bootstraps()));
    QVERIFY(widget.loadSql(script));
    PipelineDocument* doc = widget.document();
    const int format = doc->nodeOf(NodeKind::Format);
    const int table = doc->nodeOf(NodeKind::Table);
    const int transform = widget.createNode(NodeKind::Transform, QPointF(600, 300));
    widget.undoStack()->push(new RemoveEdgeCommand(doc, format, table));
    QVERIFY(widget.connectNodes(format, transform));
    QVERIFY(widget.connectNodes(transform, table));
    widget.undoStack()->push(new SetPropertiesCommand(
        doc, transform, {{"uri", "transforms/cmp.sh"}, {"script", deployedScript}}));

    TransformPanel* panel = widget.transformPanel();
    panel->findChild<QSpinBox*>()->setValue(8);
    // Nothing deployed yet: refused at once.
    panel->compareButton()->click();
    QVERIFY(!panel->testRunning());
    QVERIFY2(panel->statusLabel()->text().contains("no deployed pipeline"),
             qPrintable(panel->statusLabel()->text()));

    QString message;
    QVERIFY2(widget.deploy(&message), qPrintable(message));
    widget.undoStack()->push(new SetPropertiesCommand(doc, transform, {{"script", editedScript}}));
    QSignalSpy finished(panel, &TransformPanel::testFinished);
    panel->compareButton()->click();
    QVERIFY(finished.wait(30000));
    const QString status = panel->statusLabel()->text();
    QVERIFY2(status.startsWith("8 messages in"), qPrintable(status));
    QTableWidget* diff = panel->compareTable();
    QVERIFY(diff->rowCount() > 0);
    int deployedRows = 0;
    int editedRows = 0;
    for (int r = 0; r < diff->rowCount(); ++r) {
        const QString side = diff->item(r, 0)->text();
        (side == "deployed" ? deployedRows : editedRows)++;
        QVERIFY(side == "deployed" || side == "edited");
    }
    QCOMPARE(deployedRows, editedRows);
    QVERIFY(status.contains(QString("%1 rows only in deployed").arg(deployedRows)));
}

void TestDesigner::deployValidation_data() {
    QTest::addColumn<QString>("columns"); // the pipeline's column list
    QTest::addColumn<QString>("brokers"); // "" for the test's broker
    QTest::addColumn<QString>("topic");
    QTest::addColumn<QString>("expected"); // in the refusal; "" when the deploy succeeds
    QTest::newRow("valid") << "id, user, amount, ts"
                           << ""
                           << "events"
                           << "";
    QTest::newRow("missing column") << "id, user, amount, nope"
                                    << ""
                                    << "events"
                                    << "nope";
    QTest::newRow("variable is not a column") << "id, @x, amount, ts"
                                              << ""
                                              << "events"
                                              << "";
    QTest::newRow("unreachable broker") << "id, user, amount, ts"
                                        << "127.0.0.1:1"
                                        << "events"
                                        << "127.0.0.1:1";
    QTest::newRow("missing topic") << "id, user, amount, ts"
                                   << ""
                                   << "nosuch"
                                   << "nosuch";
}

void TestDesigner::deployValidation() {
    QFETCH(QString, columns);
    QFETCH(QString, brokers);
    QFETCH(QString, topic);
    QFETCH(QString, expected);
    auto broker = source::MockBroker::start();
    QVERIFY(broker.ok());
    QVERIFY(broker.value()->createTopic("events", 1).ok());
    TempStore ts;
    QVERIFY(ts.open());
    // The table exists already, so the column list is checked against the store.
    QVERIFY(ts.run("CREATE TABLE events (id INTEGER PRIMARY KEY, user TEXT, amount REAL, ts TEXT, "
                   "SHARD KEY (id))")
                .ok());

    DesignerWidget widget(ts.provider());
    const QString sql =
        QString("CREATE PIPELINE checked AS LOAD DATA KAFKA '%1/%2' INTO TABLE events FORMAT CSV "
                "(%3)")
            .arg(brokers.isEmpty() ? QString::fromStdString(broker.value()->bootstraps()) : brokers,
                 topic, columns);
    QString error;
    QVERIFY2(widget.loadSql(sql, &error), qPrintable(error));
    QString message;
    const bool ok = widget.deploy(&message);
    QCOMPARE(ok, expected.isEmpty());
    QCOMPARE(widget.storePipelines(), ok ? QStringList{"checked"} : QStringList{});
    if (!ok) {
        QVERIFY2(message.contains(expected), qPrintable(message));
        QVERIFY(widget.statusLabel()->text().startsWith("Deploy failed"));
        QVERIFY(widget.statusLabel()->text().contains(expected));
    }
}

void TestDesigner::screenshot() {
    // Renders the designer as the user sees it; SLUICE_DESIGNER_SCREENSHOT=/path.png keeps the
    // images for review, otherwise they go to a temporary folder.
    QTemporaryDir tmp;
    QByteArray path = qgetenv("SLUICE_DESIGNER_SCREENSHOT");
    if (path.isEmpty())
        path = tmp.filePath("designer.png").toLocal8Bit();
    DesignerWidget widget({});
    QVERIFY(widget.loadSql(readFile(resource("pipelines/transformed_orders.sql"))));
    widget.resize(1400, 850);
    widget.show();
    QVERIFY(QTest::qWaitForWindowExposed(&widget));
    widget.scene()->selectNode(widget.document()->nodeOf(NodeKind::Format));
    QCoreApplication::processEvents();
    QVERIFY(widget.grab().save(QString::fromLocal8Bit(path)));
    // The transform panel, with the sample script loaded and a parsed preview.
    widget.scene()->selectNode(widget.document()->nodeOf(NodeKind::Transform));
    TransformPanel* panel = widget.transformPanel();
    panel->scriptEditor()->setPlainText(readFile(resource("transforms/upper_user.sh")));
    TransformTestRequest request;
    request.spec = specOf(readFile(resource("pipelines/payments.sql")).toStdString());
    request.spec.transform =
        sql::TransformSpec{resource("transforms/upper_user.sh").toStdString(), "", ""};
    panel->showResult(::sluice::ui::designer::transformAndParse(
        request, {{0, 0, "1,alice,100,5"}, {0, 1, "2,bob,200,6"}, {1, 0, "3,carol,300"}}));
    QCoreApplication::processEvents();
    QVERIFY(widget.grab().save(QString::fromLocal8Bit(path).replace(".png", "-transform.png")));
    // Something was drawn: the image is not one flat colour.
    QImage image(QString::fromLocal8Bit(path));
    QVERIFY(!image.isNull());
    QSet<QRgb> colours;
    for (int y = 0; y < image.height(); y += 17)
        for (int x = 0; x < image.width(); x += 17)
            colours.insert(image.pixel(x, y));
    QVERIFY(colours.size() > 10);
}

QTEST_MAIN(TestDesigner)
#include "tst_Designer.moc"
