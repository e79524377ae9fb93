#include "DesignerScene.h"

#include "DesignerCommands.h"
#include "EdgeItem.h"
#include "NodeItem.h"

#include <QGraphicsLineItem>
#include <QGraphicsSceneMouseEvent>
#include <QPen>
#include <QUndoStack>

namespace sluice::ui::designer {

DesignerScene::DesignerScene(PipelineDocument* document, QUndoStack* undoStack, QObject* parent)
    : QGraphicsScene(parent), m_document(document), m_undoStack(undoStack) {
    setSceneRect(-400, -300, 2000, 1200);
    connect(document, &PipelineDocument::nodeAdded, this, &DesignerScene::addNodeItem);
    connect(document, &PipelineDocument::nodeRemoved, this, &DesignerScene::removeNodeItem);
    connect(document, &PipelineDocument::nodeChanged, this, &DesignerScene::refreshNode);
    connect(document, &PipelineDocument::nodeMoved, this, [this](int id) {
        if (NodeItem* item = m_nodes.value(id))
            item->setPos(m_document->node(id)->pos);
    });
    connect(document, &PipelineDocument::edgeAdded, this, &DesignerScene::addEdgeItem);
    connect(document, &PipelineDocument::edgeRemoved, this, &DesignerScene::removeEdgeItem);
    connect(document, &PipelineDocument::documentReset, this, &DesignerScene::rebuild);
    connect(this, &QGraphicsScene::selectionChanged, this, [this] {
        const int id = selectedNodeId();
        if (id != m_lastSelected) {
            m_lastSelected = id;
            emit selectedNodeChanged(id);
        }
    });
    rebuild();
}

EdgeItem* DesignerScene::edgeItem(int from, int to) const {
    return m_edges.value(edgeKey(from, to));
}

void DesignerScene::rebuild() {
    m_mode = Mode::Idle;
    m_rubberBand = nullptr;
    m_nodes.clear();
    m_edges.clear();
    clear();
    for (int id : m_document->nodeIds())
        addNodeItem(id);
    for (const DesignerEdge& e : m_document->edges())
        addEdgeItem(e.from, e.to);
}

void DesignerScene::addNodeItem(int id) {
    const DesignerNode* node = m_document->node(id);
    if (!node || m_nodes.contains(id))
        return;
    auto* item = new NodeItem(id, node->kind);
    addItem(item);
    m_nodes.insert(id, item);
    item->setPos(node->pos);
    refreshNode(id);
}

void DesignerScene::removeNodeItem(int id) {
    NodeItem* item = m_nodes.take(id);
    if (m_mode == Mode::Connecting && m_connectFrom == id) {
        delete m_rubberBand;
        m_rubberBand = nullptr;
        m_mode = Mode::Idle;
    }
    delete item;
}

void DesignerScene::addEdgeItem(int from, int to) {
    if (m_edges.contains(edgeKey(from, to)) || !m_nodes.contains(from) || !m_nodes.contains(to))
        return;
    auto* item = new EdgeItem(from, to);
    addItem(item);
    m_edges.insert(edgeKey(from, to), item);
    item->setEnds(m_nodes[from]->outputPort(), m_nodes[to]->inputPort());
}

void DesignerScene::removeEdgeItem(int from, int to) {
    delete m_edges.take(edgeKey(from, to));
}

void DesignerScene::refreshNode(int id) {
    if (NodeItem* item = m_nodes.value(id))
        item->setText(m_document->nodeTitle(id), m_document->nodeSubtitle(id));
}

void DesignerScene::updateEdges(int nodeId) {
    for (EdgeItem* e : std::as_const(m_edges)) {
        if (e->fromId() != nodeId && e->toId() != nodeId)
            continue;
        NodeItem* a = m_nodes.value(e->fromId());
        NodeItem* b = m_nodes.value(e->toId());
        if (a && b)
            e->setEnds(a->outputPort(), b->inputPort());
    }
}

bool DesignerScene::requestConnection(int from, int to) {
    const QString why = m_document->checkConnection(from, to);
    if (!why.isEmpty()) {
        emit statusMessage(why);
        return false;
    }
    m_undoStack->push(new AddEdgeCommand(m_document, from, to));
    emit statusMessage(tr("Connected %1 → %2.")
                           .arg(nodeKindName(m_document->node(from)->kind),
                                nodeKindName(m_document->node(to)->kind)));
    return true;
}

void DesignerScene::deleteSelection() {
    QList<int> nodes;
    QList<DesignerEdge> edges;
    for (QGraphicsItem* item : selectedItems()) {
        if (item->type() == NodeItem::Type)
            nodes.append(static_cast<NodeItem*>(item)->nodeId());
        else if (item->type() == EdgeItem::Type)
            edges.append(
                {static_cast<EdgeItem*>(item)->fromId(), static_cast<EdgeItem*>(item)->toId()});
    }
    if (nodes.isEmpty() && edges.isEmpty())
        return;
    m_undoStack->beginMacro(tr("Delete"));
    for (const DesignerEdge& e : edges) {
        if (!nodes.contains(e.from) && !nodes.contains(e.to))
            m_undoStack->push(new RemoveEdgeCommand(m_document, e.from, e.to));
    }
    for (int id : nodes)
        m_undoStack->push(new RemoveNodeCommand(m_document, id));
    m_undoStack->endMacro();
}

int DesignerScene::selectedNodeId() const {
    int id = 0;
    for (QGraphicsItem* item : selectedItems()) {
        if (item->type() != NodeItem::Type)
            continue;
        if (id != 0)
            return 0;
        id = static_cast<NodeItem*>(item)->nodeId();
    }
    return id;
}

void DesignerScene::selectNode(int id) {
    clearSelection();
    if (NodeItem* item = m_nodes.value(id))
        item->setSelected(true);
}

NodeItem* DesignerScene::nodeItemAt(QPointF scenePos) const {
    for (QGraphicsItem* item : items(scenePos)) {
        if (item->type() == NodeItem::Type)
            return static_cast<NodeItem*>(item);
    }
    return nullptr;
}

void DesignerScene::mousePressEvent(QGraphicsSceneMouseEvent* event) {
    if (event->button() == Qt::LeftButton && m_mode == Mode::Idle) {
        NodeItem* item = nodeItemAt(event->scenePos());
        if (item && item->onOutputPort(event->scenePos())) {
            m_mode = Mode::Connecting;
            m_connectFrom = item->nodeId();
            m_rubberBand = new QGraphicsLineItem(QLineF(item->outputPort(), event->scenePos()));
            m_rubberBand->setPen(QPen(QColor(0x3b, 0x82, 0xc4), 2, Qt::DashLine));
            m_rubberBand->setZValue(2);
            addItem(m_rubberBand);
            event->accept();
            return;
        }
        if (item)
            m_mode = Mode::MovingNodes;
    }
    QGraphicsScene::mousePressEvent(event);
}

void DesignerScene::mouseMoveEvent(QGraphicsSceneMouseEvent* event) {
    if (m_mode == Mode::Connecting && m_rubberBand) {
        m_rubberBand->setLine(QLineF(m_rubberBand->line().p1(), event->scenePos()));
        event->accept();
        return;
    }
    QGraphicsScene::mouseMoveEvent(event);
}

void DesignerScene::mouseReleaseEvent(QGraphicsSceneMouseEvent* event) {
    if (m_mode == Mode::Connecting) {
        delete m_rubberBand;
        m_rubberBand = nullptr;
        m_mode = Mode::Idle;
        if (NodeItem* target = nodeItemAt(event->scenePos()))
            requestConnection(m_connectFrom, target->nodeId());
        event->accept();
        return;
    }
    QGraphicsScene::mouseReleaseEvent(event);
    if (m_mode == Mode::MovingNodes) {
        m_mode = Mode::Idle;
        QMap<int, QPair<QPointF, QPointF>> moves;
        for (NodeItem* item : std::as_const(m_nodes)) {
            const QPointF before = m_document->node(item->nodeId())->pos;
            if (item->pos() != before)
                moves.insert(item->nodeId(), {before, item->pos()});
        }
        if (!moves.isEmpty())
            m_undoStack->push(new MoveNodesCommand(m_document, moves));
    }
}

} // namespace sluice::ui::designer
