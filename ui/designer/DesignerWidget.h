#pragma once
// DesignerWidget: the pipeline designer tab. Composes the palette, the canvas (DesignerScene in a
// DesignerView), the inspector, the live SQL pane and the transform panel around one
// PipelineDocument and one QUndoStack (Undo Ctrl+Z, Redo Ctrl+Shift+Z, Delete on the canvas).
//
// Deploy runs the design against the open store on the GUI thread: CREATE TABLE when the target
// is missing, CREATE OR REPLACE PIPELINE (cursors are kept), the drawing saved with the pipeline
// in the catalog, START PIPELINE IF NOT RUNNING. An inline transform script is first written to
// its path under the store folder. "Export for SingleStore..." writes the same SQL to a file
// (credentials redacted).
//
// "Open pipeline" draws one of the store's pipelines at the positions its last Deploy saved.
// Its credentials stay redacted in the drawing; deploying a design whose credentials are the
// redacted placeholder puts the stored ones back instead of overwriting them.
//
// The store comes from a provider called at each use, so the tab follows the app opening and
// closing stores; it may return null (Deploy then says a store must be opened first).
//
// Threading: GUI thread only; the transform test runs on a worker (see TransformPanel).

#include "PipelineDocument.h"

#include <QWidget>

#include <functional>
#include <memory>

class QAction;
class QLabel;
class QMenu;
class QTabWidget;
class QUndoStack;

namespace sluice::store {
class Store;
}

namespace sluice::ui::designer {

class DesignerScene;
class DesignerView;
class Inspector;
class Palette;
class SqlPane;
class TransformPanel;

class DesignerWidget : public QWidget {
    Q_OBJECT
public:
    using StoreProvider = std::function<std::shared_ptr<store::Store>()>;

    explicit DesignerWidget(StoreProvider store, QWidget* parent = nullptr);
    ~DesignerWidget() override;

    PipelineDocument* document() const { return m_document; }
    QUndoStack* undoStack() const { return m_undoStack; }
    DesignerScene* scene() const { return m_scene; }
    DesignerView* view() const { return m_view; }
    Palette* palette() const { return m_palette; }
    Inspector* inspector() const { return m_inspector; }
    SqlPane* sqlPane() const { return m_sqlPane; }
    TransformPanel* transformPanel() const { return m_transformPanel; }
    QLabel* statusLabel() const { return m_status; }
    QAction* undoAction() const { return m_undo; }
    QAction* redoAction() const { return m_redo; }
    QAction* deleteAction() const { return m_delete; }
    QAction* openPipelineAction() const { return m_openPipeline; }

    // What a palette drop does: one AddNodeCommand at the snapped position, or a status message
    // (and 0) when the design already has a node of that kind. Returns the new node's id.
    int createNode(NodeKind kind, QPointF scenePos);
    // What a finished connection drag does (see DesignerScene::requestConnection).
    bool connectNodes(int from, int to);
    // What "Apply SQL" does: parse, rebuild the document as one undo step (node positions of
    // the same kinds kept; a '<redacted>' CREDENTIALS keeps the design's credentials). On error
    // the message is shown under the SQL pane and false returned.
    bool applySql(const QString& sql);
    // Replaces the design without an undo step (opening a file); the undo history is cleared.
    bool loadSql(const QString& sql, QString* error = nullptr);

    // The store's pipelines by name (SHOW PIPELINES); empty with *error set when there is no
    // store or it cannot be read.
    QStringList storePipelines(QString* error = nullptr) const;
    // What "Open pipeline" does: replaces the design, as one undo step, with the drawing of the
    // store's pipeline: SHOW CREATE PIPELINE (credentials redacted), the target table rebuilt
    // from the store, node positions from the layout Deploy saved (laid out afresh when none).
    bool openPipeline(const QString& name, QString* error = nullptr);

    // Deploy first validates, writing nothing on failure: a missing target table must be
    // creatable from the Table node; an existing one must have every column of the column list
    // and SET; a Kafka source's brokers must answer within 5 s and hold the topic.
    bool deploy(QString* message = nullptr);
    // Replaces Deploy's broker check (default: the brokers answer within 5 s and hold the
    // topic) for designs whose cluster cannot be reached from here, e.g. tests of credential
    // handling. An empty function restores the default.
    using BrokerCheck = std::function<Status(const sql::PipelineSpec&)>;
    void setBrokerCheck(BrokerCheck check) { m_brokerCheck = std::move(check); }
    bool exportSql(const QString& path, QString* error = nullptr);
    bool saveLayout(const QString& path, QString* error = nullptr) const;
    bool loadLayout(const QString& path, QString* error = nullptr);

signals:
    // After a successful deploy (the pipeline's name), for the app to refresh its views.
    void deployed(const QString& pipeline);

protected:
    void showEvent(QShowEvent* event) override;

private:
    void centreView();
    void createActions();
    void refreshSql();
    void setStatus(const QString& message, bool error = false);
    QString workingDir() const;
    void openSqlDialog();
    void exportDialog();
    void saveLayoutDialog();
    void openLayoutDialog();
    void fillPipelineMenu();
    Status validateDeploy(const store::Store& store, const sql::PipelineSpec& spec,
                          bool tableExists) const;

    StoreProvider m_store;
    PipelineDocument* m_document = nullptr;
    QUndoStack* m_undoStack = nullptr;
    DesignerScene* m_scene = nullptr;
    DesignerView* m_view = nullptr;
    Palette* m_palette = nullptr;
    Inspector* m_inspector = nullptr;
    SqlPane* m_sqlPane = nullptr;
    TransformPanel* m_transformPanel = nullptr;
    QTabWidget* m_bottomTabs = nullptr;
    QLabel* m_status = nullptr;
    QAction* m_undo = nullptr;
    QAction* m_redo = nullptr;
    QAction* m_delete = nullptr;
    QAction* m_deploy = nullptr;
    QAction* m_export = nullptr;
    QAction* m_openSql = nullptr;
    QAction* m_saveLayout = nullptr;
    QAction* m_openLayout = nullptr;
    QAction* m_resetZoom = nullptr;
    QAction* m_openPipeline = nullptr;
    QMenu* m_pipelineMenu = nullptr;
    // The store pipeline the design was last opened from: where Deploy takes the credentials of
    // a renamed design whose credentials are redacted.
    QString m_openedPipeline;
    BrokerCheck m_brokerCheck;
    bool m_shownOnce = false;
};

} // namespace sluice::ui::designer
