#include "DesignerCommands.h"

#include <QCoreApplication>

namespace sluice::ui::designer {

namespace {
QString tr(const char* text) {
    return QCoreApplication::translate("DesignerCommands", text);
}
} // namespace

AddNodeCommand::AddNodeCommand(PipelineDocument* document, NodeKind kind, QPointF pos,
                               const QVariantMap& props, QUndoCommand* parent)
    : QUndoCommand(tr("Add %1").arg(nodeKindName(kind)), parent), m_document(document),
      m_kind(kind), m_pos(pos), m_props(props) {}

void AddNodeCommand::redo() {
    m_id = m_document->addNode(m_kind, m_pos, m_props, m_id);
}

void AddNodeCommand::undo() {
    m_document->removeNode(m_id);
}

RemoveNodeCommand::RemoveNodeCommand(PipelineDocument* document, int id, QUndoCommand* parent)
    : QUndoCommand(parent), m_document(document) {
    if (const DesignerNode* n = document->node(id))
        m_node = *n;
    for (const DesignerEdge& e : document->edges()) {
        if (e.from == id || e.to == id)
            m_edges.append(e);
    }
    setText(tr("Delete %1").arg(nodeKindName(m_node.kind)));
}

void RemoveNodeCommand::redo() {
    m_document->removeNode(m_node.id);
}

void RemoveNodeCommand::undo() {
    m_document->addNode(m_node.kind, m_node.pos, m_node.props, m_node.id);
    for (const DesignerEdge& e : m_edges)
        m_document->addEdge(e.from, e.to);
}

AddEdgeCommand::AddEdgeCommand(PipelineDocument* document, int from, int to, QUndoCommand* parent)
    : QUndoCommand(tr("Connect"), parent), m_document(document), m_edge{from, to} {}

void AddEdgeCommand::redo() {
    m_document->addEdge(m_edge.from, m_edge.to);
}

void AddEdgeCommand::undo() {
    m_document->removeEdge(m_edge.from, m_edge.to);
}

RemoveEdgeCommand::RemoveEdgeCommand(PipelineDocument* document, int from, int to,
                                     QUndoCommand* parent)
    : QUndoCommand(tr("Disconnect"), parent), m_document(document), m_edge{from, to} {}

void RemoveEdgeCommand::redo() {
    m_document->removeEdge(m_edge.from, m_edge.to);
}

void RemoveEdgeCommand::undo() {
    m_document->addEdge(m_edge.from, m_edge.to);
}

MoveNodesCommand::MoveNodesCommand(PipelineDocument* document,
                                   QMap<int, QPair<QPointF, QPointF>> moves, QUndoCommand* parent)
    : QUndoCommand(tr("Move"), parent), m_document(document), m_moves(std::move(moves)) {}

void MoveNodesCommand::redo() {
    for (auto it = m_moves.begin(); it != m_moves.end(); ++it)
        m_document->moveNode(it.key(), it.value().second);
}

void MoveNodesCommand::undo() {
    for (auto it = m_moves.begin(); it != m_moves.end(); ++it)
        m_document->moveNode(it.key(), it.value().first);
}

SetPropertiesCommand::SetPropertiesCommand(PipelineDocument* document, int id,
                                           const QVariantMap& values, bool mergeable,
                                           QUndoCommand* parent)
    : QUndoCommand(parent), m_document(document), m_id(id), m_after(values),
      m_mergeable(mergeable) {
    const DesignerNode* n = document->node(id);
    for (auto it = values.begin(); it != values.end(); ++it)
        m_before.insert(it.key(), n ? n->props.value(it.key()) : QVariant());
    setText(tr("Edit %1").arg(QStringList(values.keys()).join(", ")));
}

void SetPropertiesCommand::redo() {
    m_document->setProperties(m_id, m_after);
}

void SetPropertiesCommand::undo() {
    m_document->setProperties(m_id, m_before);
}

bool SetPropertiesCommand::mergeWith(const QUndoCommand* other) {
    const auto* o = dynamic_cast<const SetPropertiesCommand*>(other);
    if (!o || !o->m_mergeable || o->m_id != m_id || o->m_after.keys() != m_after.keys())
        return false;
    m_after = o->m_after;
    return true;
}

ReplaceDocumentCommand::ReplaceDocumentCommand(PipelineDocument* document, QJsonObject before,
                                               QJsonObject after, const QString& text,
                                               QUndoCommand* parent)
    : QUndoCommand(text, parent), m_document(document), m_before(std::move(before)),
      m_after(std::move(after)) {}

void ReplaceDocumentCommand::redo() {
    m_document->fromJson(m_after);
}

void ReplaceDocumentCommand::undo() {
    m_document->fromJson(m_before);
}

} // namespace sluice::ui::designer
