#pragma once
// NodeItem: the scene's picture of one document node (by id). Movable and selectable; snaps to
// the document grid while dragged. It never writes the document: the scene turns a finished
// drag into one MoveNodesCommand.

#include "PipelineDocument.h"

#include <QGraphicsItem>

namespace sluice::ui::designer {

class NodeItem : public QGraphicsItem {
public:
    enum { Type = UserType + 1 };
    static constexpr double kWidth = 180;
    static constexpr double kHeight = 64;
    static constexpr double kPortRadius = 7;

    NodeItem(int id, NodeKind kind);

    int type() const override { return Type; }
    int nodeId() const { return m_id; }
    NodeKind kind() const { return m_kind; }
    void setText(const QString& title, const QString& subtitle);

    QPointF inputPort() const; // scene coordinates
    QPointF outputPort() const;
    // True when scenePos is on the output port (where a connection drag starts).
    bool onOutputPort(QPointF scenePos) const;

    QRectF boundingRect() const override;
    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

    static QColor kindColor(NodeKind kind);

protected:
    QVariant itemChange(GraphicsItemChange change, const QVariant& value) override;

private:
    int m_id;
    NodeKind m_kind;
    QString m_title;
    QString m_subtitle;
};

} // namespace sluice::ui::designer
