#pragma once
// EdgeItem: the scene's picture of one document edge (from id -> to id): a curve from the
// source node's output port to the target's input port, with an arrow head. Selectable so the
// Delete key can remove a connection.

#include <QGraphicsPathItem>

namespace sluice::ui::designer {

class EdgeItem : public QGraphicsPathItem {
public:
    enum { Type = UserType + 2 };

    EdgeItem(int from, int to);
    int type() const override { return Type; }
    int fromId() const { return m_from; }
    int toId() const { return m_to; }
    void setEnds(QPointF from, QPointF to);

    QRectF boundingRect() const override;
    QPainterPath shape() const override;

    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

private:
    int m_from;
    int m_to;
    QPointF m_end;
};

} // namespace sluice::ui::designer
