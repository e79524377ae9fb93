#include "DesignerView.h"

#include "Palette.h"

#include <QDragEnterEvent>
#include <QMimeData>
#include <QPainter>
#include <QScrollBar>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace sluice::ui::designer {

DesignerView::DesignerView(QWidget* parent) : QGraphicsView(parent) {
    setAcceptDrops(true);
    setRenderHint(QPainter::Antialiasing);
    setDragMode(QGraphicsView::RubberBandDrag);
    setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
    setViewportUpdateMode(QGraphicsView::BoundingRectViewportUpdate);
    setFocusPolicy(Qt::StrongFocus);
}

void DesignerView::setZoom(double zoom) {
    zoom = std::clamp(zoom, kMinZoom, kMaxZoom);
    setTransform(QTransform::fromScale(zoom, zoom));
}

void DesignerView::wheelEvent(QWheelEvent* event) {
    if (!(event->modifiers() & Qt::ControlModifier)) {
        QGraphicsView::wheelEvent(event);
        return;
    }
    const double steps = event->angleDelta().y() / 120.0;
    setZoom(zoom() * std::pow(1.15, steps));
    event->accept();
}

void DesignerView::mousePressEvent(QMouseEvent* event) {
    if (event->button() == Qt::MiddleButton || (event->button() == Qt::LeftButton && m_spaceHeld)) {
        m_panning = true;
        m_panStart = event->position().toPoint();
        viewport()->setCursor(Qt::ClosedHandCursor);
        event->accept();
        return;
    }
    QGraphicsView::mousePressEvent(event);
}

void DesignerView::mouseMoveEvent(QMouseEvent* event) {
    if (m_panning) {
        const QPoint delta = event->position().toPoint() - m_panStart;
        m_panStart = event->position().toPoint();
        horizontalScrollBar()->setValue(horizontalScrollBar()->value() - delta.x());
        verticalScrollBar()->setValue(verticalScrollBar()->value() - delta.y());
        event->accept();
        return;
    }
    QGraphicsView::mouseMoveEvent(event);
}

void DesignerView::mouseReleaseEvent(QMouseEvent* event) {
    if (m_panning) {
        m_panning = false;
        viewport()->unsetCursor();
        event->accept();
        return;
    }
    QGraphicsView::mouseReleaseEvent(event);
}

void DesignerView::keyPressEvent(QKeyEvent* event) {
    if (event->key() == Qt::Key_Space && !event->isAutoRepeat()) {
        m_spaceHeld = true;
        viewport()->setCursor(Qt::OpenHandCursor);
        event->accept();
        return;
    }
    QGraphicsView::keyPressEvent(event);
}

void DesignerView::keyReleaseEvent(QKeyEvent* event) {
    if (event->key() == Qt::Key_Space && !event->isAutoRepeat()) {
        m_spaceHeld = false;
        viewport()->unsetCursor();
        event->accept();
        return;
    }
    QGraphicsView::keyReleaseEvent(event);
}

void DesignerView::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasFormat(Palette::kMimeType))
        event->acceptProposedAction();
    else
        QGraphicsView::dragEnterEvent(event);
}

void DesignerView::dragMoveEvent(QDragMoveEvent* event) {
    if (event->mimeData()->hasFormat(Palette::kMimeType))
        event->acceptProposedAction();
    else
        QGraphicsView::dragMoveEvent(event);
}

void DesignerView::dropEvent(QDropEvent* event) {
    NodeKind kind;
    if (!event->mimeData()->hasFormat(Palette::kMimeType) ||
        !nodeKindFromName(QString::fromUtf8(event->mimeData()->data(Palette::kMimeType)), &kind)) {
        QGraphicsView::dropEvent(event);
        return;
    }
    event->acceptProposedAction();
    emit nodeDropped(kind, mapToScene(event->position().toPoint()));
}

void DesignerView::drawBackground(QPainter* painter, const QRectF& rect) {
    painter->fillRect(rect, QColor(0xf3, 0xf4, 0xf6));
    const double g = PipelineDocument::kGrid;
    if (zoom() < 0.5)
        return;
    const double left = std::floor(rect.left() / g) * g;
    const double top = std::floor(rect.top() / g) * g;
    QVector<QPointF> dots;
    for (double x = left; x < rect.right(); x += g) {
        for (double y = top; y < rect.bottom(); y += g)
            dots.append(QPointF(x, y));
    }
    painter->setPen(QPen(QColor(0xc4, 0xc8, 0xce), 1.5));
    painter->drawPoints(dots.constData(), int(dots.size()));
}

} // namespace sluice::ui::designer
