#include "EdgeItem.h"

#include <QPainter>
#include <QPainterPathStroker>
#include <QPen>
#include <QStyleOptionGraphicsItem>

#include <algorithm>

namespace sluice::ui::designer {

EdgeItem::EdgeItem(int from, int to) : m_from(from), m_to(to) {
    setFlag(ItemIsSelectable);
    setZValue(0);
    setPen(QPen(QColor(0x55, 0x5f, 0x6b), 2));
}

void EdgeItem::setEnds(QPointF from, QPointF to) {
    m_end = to;
    const double dx = std::max(40.0, (to.x() - from.x()) / 2);
    QPainterPath path(from);
    path.cubicTo(from + QPointF(dx, 0), to - QPointF(dx, 0), to);
    setPath(path);
}

QRectF EdgeItem::boundingRect() const {
    return QGraphicsPathItem::boundingRect().adjusted(-8, -8, 8, 8);
}

QPainterPath EdgeItem::shape() const {
    QPainterPathStroker stroker;
    stroker.setWidth(10);
    return stroker.createStroke(path());
}

void EdgeItem::paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget*) {
    painter->setRenderHint(QPainter::Antialiasing);
    QPen p = pen();
    if (option->state & QStyle::State_Selected)
        p.setColor(QColor(0xf0, 0xb0, 0x20));
    painter->setPen(p);
    painter->setBrush(Qt::NoBrush);
    painter->drawPath(path());
    // Arrow head just before the input port circle.
    const QPointF tip = m_end - QPointF(7, 0);
    QPolygonF head;
    head << tip << tip + QPointF(-9, -5) << tip + QPointF(-9, 5);
    painter->setBrush(p.color());
    painter->drawPolygon(head);
}

} // namespace sluice::ui::designer
