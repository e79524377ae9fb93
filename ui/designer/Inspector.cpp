#include "Inspector.h"

#include "DesignerCommands.h"
#include "TopicLister.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QEvent>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpressionValidator>
#include <QScrollArea>
#include <QSignalBlocker>
#include <QUndoStack>
#include <QVBoxLayout>

namespace sluice::ui::designer {

using Type = PropertyDescriptor::Type;

Inspector::Inspector(PipelineDocument* document, QUndoStack* undoStack, QWidget* parent)
    : QWidget(parent), m_document(document), m_undoStack(undoStack) {
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    m_header = new QLabel(this);
    m_header->setMargin(6);
    QFont font = m_header->font();
    font.setBold(true);
    m_header->setFont(font);
    outer->addWidget(m_header);
    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    auto* page = new QWidget(scroll);
    auto* pageLayout = new QVBoxLayout(page);
    pageLayout->setContentsMargins(0, 0, 0, 0);
    m_form = new QWidget(page);
    pageLayout->addWidget(m_form);
    pageLayout->addStretch(1);
    m_layout = new QFormLayout(m_form);
    m_layout->setRowWrapPolicy(QFormLayout::WrapLongRows);
    m_layout->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    scroll->setWidget(page);
    outer->addWidget(scroll, 1);

    connect(document, &PipelineDocument::nodeChanged, this, [this](int id) {
        if (id == m_id)
            refresh();
    });
    connect(document, &PipelineDocument::nodeRemoved, this, [this](int id) {
        if (id == m_id)
            setNode(0);
    });
    connect(document, &PipelineDocument::documentReset, this, [this] {
        const DesignerNode* n = m_document->node(m_id);
        if (!n || m_descriptors.isEmpty() ||
            m_descriptors.first().key != PipelineDocument::properties(n->kind).first().key)
            setNode(0);
        else
            refresh();
    });
    rebuild();
}

void Inspector::setNode(int id) {
    if (id == m_id && (id == 0 || !m_editors.isEmpty()))
        return;
    m_id = m_document->node(id) ? id : 0;
    rebuild();
}

void Inspector::rebuild() {
    m_editors.clear();
    m_listTopics = nullptr;
    m_topicChoices = nullptr;
    while (m_layout->rowCount() > 0)
        m_layout->removeRow(0);
    const DesignerNode* node = m_document->node(m_id);
    if (!node) {
        m_descriptors.clear();
        m_header->setText(tr("Select a node to edit it."));
        return;
    }
    m_header->setText(tr("%1 node").arg(nodeKindName(node->kind)));
    m_descriptors = PipelineDocument::properties(node->kind);
    for (const PropertyDescriptor& d : std::as_const(m_descriptors)) {
        QWidget* editor = nullptr;
        const QString key = d.key;
        switch (d.type) {
        case Type::Text:
        case Type::Password:
        case Type::Escaped:
        case Type::Int: {
            auto* line = new QLineEdit(m_form);
            if (d.type == Type::Password)
                line->setEchoMode(QLineEdit::Password);
            if (d.type == Type::Int)
                line->setValidator(
                    new QRegularExpressionValidator(QRegularExpression("\\d{1,18}"), line));
            line->setPlaceholderText(d.tip);
            connect(line, &QLineEdit::editingFinished, this, [this, key] { commit(key); });
            editor = line;
            break;
        }
        case Type::Bool: {
            auto* box = new QCheckBox(m_form);
            connect(box, &QCheckBox::toggled, this, [this, key] { commit(key); });
            editor = box;
            break;
        }
        case Type::Choice: {
            auto* combo = new QComboBox(m_form);
            combo->addItems(d.choices);
            connect(combo, &QComboBox::activated, this, [this, key] { commit(key); });
            editor = combo;
            break;
        }
        case Type::Multiline: {
            auto* text = new QPlainTextEdit(m_form);
            text->setPlaceholderText(d.tip);
            text->setTabChangesFocus(true);
            text->setFixedHeight(d.key == "columns" || d.key == "avroSchema" ? 90 : 60);
            text->installEventFilter(this);
            editor = text;
            break;
        }
        }
        editor->setObjectName(key);
        editor->setToolTip(d.tip);
        m_editors.insert(key, editor);
        m_layout->addRow(d.label, editor);
        if (node->kind == NodeKind::Source && key == "topic")
            addTopicPicker();
    }
    refresh();
}

void Inspector::addTopicPicker() {
    auto* row = new QWidget(m_form);
    auto* layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    m_listTopics = new QPushButton(tr("List topics"), row);
    m_listTopics->setObjectName("listTopics");
    m_listTopics->setToolTip(tr("Ask the brokers for their topics"));
    m_topicChoices = new QComboBox(row);
    m_topicChoices->setObjectName("topicChoices");
    m_topicChoices->setEnabled(false);
    layout->addWidget(m_listTopics);
    layout->addWidget(m_topicChoices, 1);
    m_layout->addRow(QString(), row);
    connect(m_listTopics, &QPushButton::clicked, this, [this] { listTopics(); });
    connect(m_topicChoices, &QComboBox::activated, this, [this](int index) {
        const DesignerNode* node = m_document->node(m_id);
        const QString topic = m_topicChoices->itemData(index).toString();
        if (!node || topic.isEmpty() || node->props.value("topic").toString() == topic)
            return;
        m_undoStack->push(new SetPropertiesCommand(m_document, m_id, {{"topic", topic}}));
    });
}

bool Inspector::listTopics() {
    if (!m_document->node(m_id) || !m_topicChoices)
        return false;
    // The brokers as typed, even when the field still has focus.
    commit("brokers");
    const DesignerNode* node = m_document->node(m_id);
    const auto config =
        kafkaClientConfig(node->props.value("config").toString().toStdString(),
                          node->props.value("credentials").toString().toStdString());
    QApplication::setOverrideCursor(Qt::WaitCursor);
    auto topics =
        designer::listTopics(node->props.value("brokers").toString().toStdString(), config);
    QApplication::restoreOverrideCursor();
    m_topicChoices->clear();
    if (!topics) {
        const QString why = QString::fromStdString(topics.status().message());
        m_topicChoices->addItem(tr("(no answer)"));
        m_topicChoices->setToolTip(why);
        m_topicChoices->setEnabled(false);
        return false;
    }
    for (const TopicInfo& t : topics.value()) {
        const QString name = QString::fromStdString(t.name);
        m_topicChoices->addItem(t.partitions == 1
                                    ? tr("%1 (1 partition)").arg(name)
                                    : tr("%1 (%2 partitions)").arg(name).arg(t.partitions),
                                name);
    }
    m_topicChoices->setToolTip(
        tr("%1 topics on %2").arg(topics->size()).arg(node->props.value("brokers").toString()));
    m_topicChoices->setEnabled(!topics->empty());
    const int current = m_topicChoices->findData(node->props.value("topic").toString());
    if (current >= 0)
        m_topicChoices->setCurrentIndex(current);
    return true;
}

void Inspector::refresh() {
    const DesignerNode* node = m_document->node(m_id);
    if (!node)
        return;
    for (const PropertyDescriptor& d : std::as_const(m_descriptors)) {
        QWidget* editor = m_editors.value(d.key);
        const QVariant value = node->props.value(d.key);
        const QSignalBlocker block(editor);
        switch (d.type) {
        case Type::Text:
        case Type::Password:
        case Type::Int:
            static_cast<QLineEdit*>(editor)->setText(value.toString());
            break;
        case Type::Escaped:
            static_cast<QLineEdit*>(editor)->setText(escapeControl(value.toString()));
            break;
        case Type::Bool:
            static_cast<QCheckBox*>(editor)->setChecked(value.toBool());
            break;
        case Type::Choice:
            static_cast<QComboBox*>(editor)->setCurrentText(value.toString());
            break;
        case Type::Multiline: {
            auto* text = static_cast<QPlainTextEdit*>(editor);
            if (text->toPlainText() != value.toString())
                text->setPlainText(value.toString());
            break;
        }
        }
    }
    updateEnabled();
}

QVariant Inspector::editorValue(const QString& key) const {
    QWidget* editor = m_editors.value(key);
    for (const PropertyDescriptor& d : m_descriptors) {
        if (d.key != key)
            continue;
        switch (d.type) {
        case Type::Text:
        case Type::Password:
            return static_cast<QLineEdit*>(editor)->text();
        case Type::Escaped:
            return unescapeControl(static_cast<QLineEdit*>(editor)->text());
        case Type::Int:
            return static_cast<QLineEdit*>(editor)->text().toLongLong();
        case Type::Bool:
            return static_cast<QCheckBox*>(editor)->isChecked();
        case Type::Choice:
            return static_cast<QComboBox*>(editor)->currentText();
        case Type::Multiline:
            return static_cast<QPlainTextEdit*>(editor)->toPlainText();
        }
    }
    return {};
}

void Inspector::commit(const QString& key) {
    const DesignerNode* node = m_document->node(m_id);
    if (!node)
        return;
    const QVariant value = editorValue(key);
    if (value.toString() == node->props.value(key).toString())
        return;
    m_undoStack->push(new SetPropertiesCommand(m_document, m_id, {{key, value}}));
}

void Inspector::updateEnabled() {
    const DesignerNode* node = m_document->node(m_id);
    if (!node)
        return;
    auto enable = [this](const QStringList& keys, bool on) {
        for (const QString& k : keys) {
            if (QWidget* w = m_editors.value(k))
                w->setEnabled(on);
        }
    };
    if (node->kind == NodeKind::Source) {
        const bool kafka = node->props.value("sourceType").toString() != "FS";
        enable({"brokers", "topic", "config", "credentials"}, kafka);
        enable({"fsPath"}, !kafka);
        if (m_listTopics)
            m_listTopics->setEnabled(kafka);
    } else if (node->kind == NodeKind::Format) {
        const QString format = node->props.value("format").toString();
        enable({"fieldsTerminatedBy", "enclosedBy", "optionallyEnclosed", "escapedBy",
                "linesTerminatedBy", "linesStartingBy", "ignoreLines"},
               format == "CSV");
        enable({"mappings"}, format != "CSV");
        enable({"avroSchema"}, format == "AVRO");
    } else if (node->kind == NodeKind::Table) {
        const bool table = node->props.value("targetKind").toString() != "Procedure";
        enable({"reference", "columns", "shardKey"}, table);
    }
}

bool Inspector::eventFilter(QObject* watched, QEvent* event) {
    if (event->type() == QEvent::FocusOut) {
        const QString key = watched->objectName();
        if (m_editors.value(key) == watched)
            commit(key);
    }
    return QWidget::eventFilter(watched, event);
}

} // namespace sluice::ui::designer
