#pragma once
// Inspector: a form for the selected node's properties. Every edit is committed as a
// SetPropertiesCommand (line edits on editingFinished, multi-line edits on focus out, check
// boxes and choices at once), so the inspector never writes the document itself. It follows
// the document: undo/redo of the shown node refreshes the form.

#include "PipelineDocument.h"

#include <QHash>
#include <QWidget>

class QComboBox;
class QFormLayout;
class QLabel;
class QPushButton;
class QUndoStack;

namespace sluice::ui::designer {

class Inspector : public QWidget {
    Q_OBJECT
public:
    Inspector(PipelineDocument* document, QUndoStack* undoStack, QWidget* parent = nullptr);

    void setNode(int id); // 0: nothing selected
    int nodeId() const { return m_id; }
    // The editor of a property of the shown node (for tests), null when not shown.
    QWidget* editor(const QString& key) const { return m_editors.value(key); }

    // Source node only (null otherwise): "List topics" and the topics it found. The list is
    // asked of the node's brokers (with its CONFIG and CREDENTIALS) as a short blocking call
    // (at most 5 s, wait cursor); choosing a topic sets it with a SetPropertiesCommand.
    QPushButton* listTopicsButton() const { return m_listTopics; }
    QComboBox* topicChoices() const { return m_topicChoices; }
    // What the button does; false (message in the choices' tooltip) when the broker fails.
    bool listTopics();

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void rebuild();
    void addTopicPicker();
    void refresh();
    void commit(const QString& key);
    QVariant editorValue(const QString& key) const;
    void updateEnabled();

    PipelineDocument* m_document;
    QUndoStack* m_undoStack;
    int m_id = 0;
    QLabel* m_header = nullptr;
    QWidget* m_form = nullptr;
    QFormLayout* m_layout = nullptr;
    QList<PropertyDescriptor> m_descriptors;
    QHash<QString, QWidget*> m_editors;
    QPushButton* m_listTopics = nullptr;
    QComboBox* m_topicChoices = nullptr;
};

} // namespace sluice::ui::designer
