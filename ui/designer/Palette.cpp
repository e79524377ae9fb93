#include "Palette.h"

#include "NodeItem.h"

#include <QMimeData>
#include <QPainter>
#include <QPixmap>

namespace sluice::ui::designer {

namespace {

QIcon swatch(NodeKind kind) {
    QPixmap pixmap(16, 16);
    pixmap.fill(Qt::transparent);
    QPainter p(&pixmap);
    p.setRenderHint(QPainter::Antialiasing);
    p.setBrush(NodeItem::kindColor(kind));
    p.setPen(Qt::NoPen);
    p.drawRoundedRect(QRectF(1, 1, 14, 14), 3, 3);
    return QIcon(pixmap);
}

} // namespace

Palette::Palette(QWidget* parent) : QListWidget(parent) {
    setDragEnabled(true);
    setDragDropMode(QAbstractItemView::DragOnly);
    setSelectionMode(QAbstractItemView::SingleSelection);
    const struct {
        NodeKind kind;
        const char* tip;
    } entries[] = {
        {NodeKind::Source, "Kafka brokers and topic (or files)"},
        {NodeKind::Format, "CSV options, or JSON/AVRO field mappings"},
        {NodeKind::Transform, "A script run on each batch partition"},
        {NodeKind::Table, "The target table: columns and shard key"},
        {NodeKind::Options, "Pipeline name, batch options, error policy"},
    };
    for (const auto& e : entries) {
        auto* item = new QListWidgetItem(swatch(e.kind), nodeKindName(e.kind), this);
        item->setData(Qt::UserRole, nodeKindName(e.kind));
        item->setToolTip(tr(e.tip));
    }
    connect(this, &QListWidget::itemDoubleClicked, this, [this](QListWidgetItem* item) {
        NodeKind kind;
        if (nodeKindFromName(item->data(Qt::UserRole).toString(), &kind))
            emit nodeRequested(kind);
    });
}

QMimeData* Palette::mimeDataFor(NodeKind kind) {
    auto* data = new QMimeData;
    data->setData(kMimeType, nodeKindName(kind).toUtf8());
    return data;
}

QStringList Palette::mimeTypes() const {
    return {QString::fromLatin1(kMimeType)};
}

QMimeData* Palette::mimeData(const QList<QListWidgetItem*>& items) const {
    NodeKind kind;
    if (items.isEmpty() || !nodeKindFromName(items.first()->data(Qt::UserRole).toString(), &kind))
        return nullptr;
    return mimeDataFor(kind);
}

} // namespace sluice::ui::designer
