#include "NodeItem.h"

#include "DesignerScene.h"

#include <QFontMetrics>
#include <QPainter>
#include <QStyleOptionGraphicsItem>

#include <cmath>

namespace sluice::ui::designer {

NodeItem::NodeItem(int id, NodeKind kind) : m_id(id), m_kind(kind) {
    setFlags(ItemIsMovable | ItemIsSelectable | ItemSendsGeometryChanges);
    setZValue(1);
}

void NodeItem::setText(const QString& title, const QString& subtitle) {
    m_title = title;
    m_subtitle = subtitle;
    update();
}

QPointF NodeItem::inputPort() const {
    return mapToScene(QPointF(0, kHeight / 2));
}

QPointF NodeItem::outputPort() const {
    return mapToScene(QPointF(kWidth, kHeight / 2));
}

bool NodeItem::onOutputPort(QPointF scenePos) const {
    if (!hasOutputPort(m_kind))
        return false;
    const QPointF d = scenePos - outputPort();
    return std::hypot(d.x(), d.y()) <= kPortRadius + 4;
}

QRectF NodeItem::boundingRect() const {
    const double m = kPortRadius + 2;
    return QRectF(-m, -2, kWidth + 2 * m, kHeight + 4);
}

QColor NodeItem::kindColor(NodeKind kind) {
    switch (kind) {
    case NodeKind::Source:
        return QColor(0x3b, 0x82, 0xc4);
    case NodeKind::Format:
        return QColor(0x4f, 0x9a, 0x5a);
    case NodeKind::Transform:
        return QColor(0xc0, 0x7a, 0x2a);
    case NodeKind::Table:
        return QColor(0x7a, 0x4f, 0xa8);
    case NodeKind::Options:
        return QColor(0x6b, 0x6b, 0x6b);
    }
    return Qt::gray;
}

void NodeItem::paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget*) {
    painter->setRenderHint(QPainter::Antialiasing);
    const QRectF body(0, 0, kWidth, kHeight);
    const QColor color = kindColor(m_kind);
    const bool selected = option->state & QStyle::State_Selected;
    painter->setPen(
        QPen(selected ? QColor(0xf0, 0xb0, 0x20) : color.darker(130), selected ? 2.5 : 1.2));
    painter->setBrush(QColor(0xfa, 0xfa, 0xfa));
    painter->drawRoundedRect(body, 6, 6);

    const QRectF header(0, 0, kWidth, 24);
    QPainterPath headerPath;
    headerPath.setFillRule(Qt::WindingFill);
    headerPath.addRoundedRect(header, 6, 6);
    headerPath.addRect(QRectF(0, 12, kWidth, 12));
    painter->fillPath(headerPath.simplified(), color);

    QFont font = painter->font();
    font.setBold(true);
    painter->setFont(font);
    painter->setPen(Qt::white);
    const QString kind = nodeKindName(m_kind);
    painter->drawText(
        header.adjusted(8, 0, -8, 0), Qt::AlignVCenter | Qt::AlignLeft,
        m_title.isEmpty() || m_title == kind ? kind : kind + QStringLiteral(" · ") + m_title);
    font.setBold(false);
    painter->setFont(font);
    painter->setPen(QColor(0x30, 0x30, 0x30));
    const QRectF textRect(8, 26, kWidth - 16, kHeight - 28);
    painter->drawText(
        textRect, Qt::AlignVCenter | Qt::AlignLeft,
        QFontMetrics(font).elidedText(m_subtitle, Qt::ElideMiddle, int(textRect.width())));

    painter->setPen(QPen(color.darker(140), 1.2));
    painter->setBrush(Qt::white);
    if (hasInputPort(m_kind))
        painter->drawEllipse(QPointF(0, kHeight / 2), kPortRadius, kPortRadius);
    if (hasOutputPort(m_kind)) {
        painter->setBrush(color);
        painter->drawEllipse(QPointF(kWidth, kHeight / 2), kPortRadius, kPortRadius);
    }
}

QVariant NodeItem::itemChange(GraphicsItemChange change, const QVariant& value) {
    if (change == ItemPositionChange) {
        const QPointF p = value.toPointF();
        const double g = PipelineDocument::kGrid;
        return QPointF(std::round(p.x() / g) * g, std::round(p.y() / g) * g);
    }
    if (change == ItemPositionHasChanged) {
        if (auto* s = qobject_cast<DesignerScene*>(scene()))
            s->updateEdges(m_id);
    }
    return QGraphicsItem::itemChange(change, value);
}

} // namespace sluice::ui::designer
