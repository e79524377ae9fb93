#include "SqlPane.h"

#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace sluice::ui::designer {

SqlPane::SqlPane(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    m_editor = new QPlainTextEdit(this);
    m_editor->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_editor->setLineWrapMode(QPlainTextEdit::NoWrap);
    layout->addWidget(m_editor, 1);
    auto* row = new QHBoxLayout;
    m_error = new QLabel(this);
    m_error->setWordWrap(true);
    m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_error->setStyleSheet(QStringLiteral("color: #b3261e;"));
    row->addWidget(m_error, 1);
    m_revert = new QPushButton(tr("Revert"), this);
    m_revert->setEnabled(false);
    m_apply = new QPushButton(tr("Apply SQL"), this);
    m_apply->setEnabled(false);
    row->addWidget(m_revert);
    row->addWidget(m_apply);
    layout->addLayout(row);

    connect(m_editor, &QPlainTextEdit::textChanged, this, [this] {
        if (!m_updating)
            setEdited(true);
    });
    connect(m_apply, &QPushButton::clicked, this, [this] { emit applyRequested(text()); });
    connect(m_revert, &QPushButton::clicked, this, &SqlPane::showGenerated);
}

void SqlPane::setGeneratedSql(const QString& sql) {
    m_generated = sql;
    if (m_edited)
        return;
    m_updating = true;
    m_editor->setPlainText(sql);
    m_updating = false;
}

void SqlPane::setError(const QString& message) {
    m_error->setText(message);
}

QString SqlPane::text() const {
    return m_editor->toPlainText();
}

void SqlPane::setText(const QString& text) {
    m_editor->setPlainText(text);
    setEdited(true);
}

void SqlPane::showGenerated() {
    setEdited(false);
    setError({});
    setGeneratedSql(m_generated);
}

void SqlPane::setEdited(bool edited) {
    m_edited = edited;
    m_apply->setEnabled(edited);
    m_revert->setEnabled(edited);
}

} // namespace sluice::ui::designer
