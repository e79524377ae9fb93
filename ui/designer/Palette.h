#pragma once
// Palette: the node kinds as a list to drag onto the canvas (mime type kMimeType carrying the
// kind's name). Double-click asks for a node at the centre of the view instead.

#include "PipelineDocument.h"

#include <QListWidget>

namespace sluice::ui::designer {

class Palette : public QListWidget {
    Q_OBJECT
public:
    static constexpr const char* kMimeType = "application/x-sluice-designer-node";

    explicit Palette(QWidget* parent = nullptr);

    // The drag payload for a kind (what the view's drop handler reads).
    static QMimeData* mimeDataFor(NodeKind kind);

signals:
    void nodeRequested(sluice::ui::designer::NodeKind kind);

protected:
    QStringList mimeTypes() const override;
    QMimeData* mimeData(const QList<QListWidgetItem*>& items) const override;
};

} // namespace sluice::ui::designer
