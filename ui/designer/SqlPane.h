#pragma once
// SqlPane: the generated CREATE TABLE + CREATE PIPELINE of the design, live. The text may be
// edited; "Apply SQL" hands it to the designer (applyRequested), which parses it and rebuilds the
// document as one undo step, or shows the error here. While the text holds unapplied edits,
// generated updates wait ("Revert" discards the edits). Credentials show as '<redacted>'.

#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QPushButton;

namespace sluice::ui::designer {

class SqlPane : public QWidget {
    Q_OBJECT
public:
    explicit SqlPane(QWidget* parent = nullptr);

    // The designer's SQL (or an explanation of what is missing). Kept aside while edited.
    void setGeneratedSql(const QString& sql);
    void setError(const QString& message); // empty clears
    QString text() const;
    void setText(const QString& text); // as if typed by the user
    bool isEdited() const { return m_edited; }
    // Drops unapplied edits and shows the generated SQL (after Apply, or Revert).
    void showGenerated();
    QPlainTextEdit* editor() const { return m_editor; }
    QPushButton* applyButton() const { return m_apply; }
    QLabel* errorLabel() const { return m_error; }

signals:
    void applyRequested(const QString& sql);

private:
    void setEdited(bool edited);

    QPlainTextEdit* m_editor = nullptr;
    QPushButton* m_apply = nullptr;
    QPushButton* m_revert = nullptr;
    QLabel* m_error = nullptr;
    QString m_generated;
    bool m_edited = false;
    bool m_updating = false;
};

} // namespace sluice::ui::designer
