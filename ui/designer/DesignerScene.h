#pragma once
// DesignerScene: mirrors a PipelineDocument (one NodeItem per node, one EdgeItem per edge) and
// turns mouse gestures into undo commands. A small mode machine drives the canvas:
//   Idle -> (press on an output port) Connecting -> (release) hit-test the node under the
//   cursor, push AddEdgeCommand or report why not -> Idle
//   Idle -> (press on a node) MovingNodes -> (release) one MoveNodesCommand for the drag -> Idle
// The document is never written directly; everything goes through the undo stack.

#include "PipelineDocument.h"

#include <QGraphicsScene>
#include <QHash>
#include <QPointF>

class QGraphicsLineItem;
class QUndoStack;

namespace sluice::ui::designer {

class EdgeItem;
class NodeItem;

class DesignerScene : public QGraphicsScene {
    Q_OBJECT
public:
    enum class Mode { Idle, MovingNodes, Connecting };

    DesignerScene(PipelineDocument* document, QUndoStack* undoStack, QObject* parent = nullptr);

    Mode mode() const { return m_mode; }
    NodeItem* nodeItem(int id) const { return m_nodes.value(id); }
    EdgeItem* edgeItem(int from, int to) const;
    int nodeItemCount() const { return static_cast<int>(m_nodes.size()); }
    int edgeItemCount() const { return static_cast<int>(m_edges.size()); }

    // Pushes AddEdgeCommand when from -> to is valid; otherwise emits statusMessage with the
    // reason and returns false. The release of a connection drag ends here.
    bool requestConnection(int from, int to);
    // Deletes the selected nodes and edges as one undo step.
    void deleteSelection();
    // The id of the only selected node, 0 otherwise.
    int selectedNodeId() const;
    void selectNode(int id);

    // Called by NodeItem while it moves: keeps its edges attached.
    void updateEdges(int nodeId);

signals:
    void statusMessage(const QString& message);
    void selectedNodeChanged(int id);

protected:
    void mousePressEvent(QGraphicsSceneMouseEvent* event) override;
    void mouseMoveEvent(QGraphicsSceneMouseEvent* event) override;
    void mouseReleaseEvent(QGraphicsSceneMouseEvent* event) override;

private:
    void rebuild();
    void addNodeItem(int id);
    void removeNodeItem(int id);
    void addEdgeItem(int from, int to);
    void removeEdgeItem(int from, int to);
    void refreshNode(int id);
    NodeItem* nodeItemAt(QPointF scenePos) const;
    static quint64 edgeKey(int from, int to) {
        return (quint64(quint32(from)) << 32) | quint32(to);
    }

    PipelineDocument* m_document;
    QUndoStack* m_undoStack;
    QHash<int, NodeItem*> m_nodes;     // owned by the scene
    QHash<quint64, EdgeItem*> m_edges; // owned by the scene
    Mode m_mode = Mode::Idle;
    int m_connectFrom = 0;
    QGraphicsLineItem* m_rubberBand = nullptr; // owned by the scene while Connecting
    int m_lastSelected = 0;
};

} // namespace sluice::ui::designer
