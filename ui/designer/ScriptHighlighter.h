#pragma once
// A small highlighter for transform scripts: Python, shell and awk keywords, strings, numbers
// and # comments. Enough to read a script, not a parser.

#include <QRegularExpression>
#include <QSyntaxHighlighter>
#include <QTextCharFormat>
#include <QVector>

namespace sluice::ui::designer {

class ScriptHighlighter : public QSyntaxHighlighter {
    Q_OBJECT
public:
    explicit ScriptHighlighter(QTextDocument* document);

protected:
    void highlightBlock(const QString& text) override;

private:
    struct Rule {
        QRegularExpression pattern;
        QTextCharFormat format;
    };
    QVector<Rule> m_rules;
    QTextCharFormat m_comment;
};

} // namespace sluice::ui::designer
