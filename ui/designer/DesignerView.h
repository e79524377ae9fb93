#pragma once
// DesignerView: the canvas. Ctrl+wheel zooms around the cursor, the middle button (or
// Space+drag) pans, the background shows the 20 px grid nodes snap to. Accepts node drops from
// the Palette and reports them as nodeDropped(kind, scene position); it creates nothing itself.

#include "PipelineDocument.h"

#include <QGraphicsView>

namespace sluice::ui::designer {

class DesignerView : public QGraphicsView {
    Q_OBJECT
public:
    static constexpr double kMinZoom = 0.25;
    static constexpr double kMaxZoom = 3.0;

    explicit DesignerView(QWidget* parent = nullptr);

    double zoom() const { return transform().m11(); }
    void setZoom(double zoom);

signals:
    void nodeDropped(sluice::ui::designer::NodeKind kind, QPointF scenePos);

protected:
    void wheelEvent(QWheelEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void keyReleaseEvent(QKeyEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dragMoveEvent(QDragMoveEvent* event) override;
    void dropEvent(QDropEvent* event) override;
    void drawBackground(QPainter* painter, const QRectF& rect) override;

private:
    bool m_panning = false;
    bool m_spaceHeld = false;
    QPoint m_panStart;
};

} // namespace sluice::ui::designer
