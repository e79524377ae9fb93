#pragma once
// Undo commands of the pipeline designer. Each acts on the PipelineDocument by node id, never on
// scene items, so undo/redo works whatever the scene holds. A drag is one MoveNodesCommand
// pushed on release; script typing merges into one SetPropertiesCommand per node.

#include "PipelineDocument.h"

#include <QJsonObject>
#include <QMap>
#include <QPair>
#include <QPointF>
#include <QUndoCommand>
#include <QVariantMap>

namespace sluice::ui::designer {

class AddNodeCommand : public QUndoCommand {
public:
    AddNodeCommand(PipelineDocument* document, NodeKind kind, QPointF pos,
                   const QVariantMap& props = {}, QUndoCommand* parent = nullptr);
    void redo() override;
    void undo() override;
    int nodeId() const { return m_id; }

private:
    PipelineDocument* m_document;
    NodeKind m_kind;
    QPointF m_pos;
    QVariantMap m_props;
    int m_id = 0;
};

// Removes a node with its edges; undo restores both under the same ids.
class RemoveNodeCommand : public QUndoCommand {
public:
    RemoveNodeCommand(PipelineDocument* document, int id, QUndoCommand* parent = nullptr);
    void redo() override;
    void undo() override;

private:
    PipelineDocument* m_document;
    DesignerNode m_node;
    QList<DesignerEdge> m_edges;
};

class AddEdgeCommand : public QUndoCommand {
public:
    AddEdgeCommand(PipelineDocument* document, int from, int to, QUndoCommand* parent = nullptr);
    void redo() override;
    void undo() override;

private:
    PipelineDocument* m_document;
    DesignerEdge m_edge;
};

class RemoveEdgeCommand : public QUndoCommand {
public:
    RemoveEdgeCommand(PipelineDocument* document, int from, int to, QUndoCommand* parent = nullptr);
    void redo() override;
    void undo() override;

private:
    PipelineDocument* m_document;
    DesignerEdge m_edge;
};

// node id -> (before, after)
class MoveNodesCommand : public QUndoCommand {
public:
    MoveNodesCommand(PipelineDocument* document, QMap<int, QPair<QPointF, QPointF>> moves,
                     QUndoCommand* parent = nullptr);
    void redo() override;
    void undo() override;

private:
    PipelineDocument* m_document;
    QMap<int, QPair<QPointF, QPointF>> m_moves;
};

// Sets properties of one node; the old values are taken when the command is created. With
// mergeable, consecutive commands on the same node and keys merge (typing in the script editor).
class SetPropertiesCommand : public QUndoCommand {
public:
    static constexpr int kMergeId = 0x5d01;
    SetPropertiesCommand(PipelineDocument* document, int id, const QVariantMap& values,
                         bool mergeable = false, QUndoCommand* parent = nullptr);
    void redo() override;
    void undo() override;
    int id() const override { return m_mergeable ? kMergeId : -1; }
    bool mergeWith(const QUndoCommand* other) override;

private:
    PipelineDocument* m_document;
    int m_id;
    QVariantMap m_before;
    QVariantMap m_after;
    bool m_mergeable;
};

// Replaces the whole document (Apply SQL); both states as layout JSON.
class ReplaceDocumentCommand : public QUndoCommand {
public:
    ReplaceDocumentCommand(PipelineDocument* document, QJsonObject before, QJsonObject after,
                           const QString& text, QUndoCommand* parent = nullptr);
    void redo() override;
    void undo() override;

private:
    PipelineDocument* m_document;
    QJsonObject m_before;
    QJsonObject m_after;
};

} // namespace sluice::ui::designer
