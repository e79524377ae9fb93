#include "ScriptHighlighter.h"

namespace sluice::ui::designer {

namespace {

const char* const kKeywords[] = {
    // Python
    "and", "as", "assert", "break", "class", "continue", "def", "del", "elif", "else", "except",
    "False", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "None",
    "nonlocal", "not", "or", "pass", "raise", "return", "True", "try", "while", "with", "yield",
    // shell
    "case", "do", "done", "esac", "export", "fi", "function", "local", "read", "set", "shift",
    "then", "until", "exit", "echo", "printf",
    // awk
    "BEGIN", "END", "getline", "next", "print", "printf", "NF", "NR", "FS", "OFS", "RS", "ORS",
    "sub", "gsub", "split", "substr", "length", "toupper", "tolower"};

} // namespace

ScriptHighlighter::ScriptHighlighter(QTextDocument* document) : QSyntaxHighlighter(document) {
    QTextCharFormat keyword;
    keyword.setForeground(QColor(0x1f, 0x4e, 0xa8));
    keyword.setFontWeight(QFont::Bold);
    QStringList words;
    for (const char* k : kKeywords)
        words << QRegularExpression::escape(QString::fromLatin1(k));
    m_rules.append({QRegularExpression("\\b(" + words.join('|') + ")\\b"), keyword});

    QTextCharFormat number;
    number.setForeground(QColor(0x9a, 0x5b, 0x00));
    m_rules.append({QRegularExpression("\\b\\d+(\\.\\d+)?\\b"), number});

    QTextCharFormat variable;
    variable.setForeground(QColor(0x6a, 0x3d, 0x9a));
    m_rules.append({QRegularExpression("\\$\\{?[A-Za-z_0-9@#?]+\\}?"), variable});

    QTextCharFormat string;
    string.setForeground(QColor(0x1b, 0x7a, 0x3a));
    m_rules.append({QRegularExpression(R"("([^"\\]|\\.)*"|'([^'\\]|\\.)*')"), string});

    m_comment.setForeground(QColor(0x80, 0x80, 0x80));
    m_comment.setFontItalic(true);
}

void ScriptHighlighter::highlightBlock(const QString& text) {
    for (const Rule& rule : std::as_const(m_rules)) {
        auto it = rule.pattern.globalMatch(text);
        while (it.hasNext()) {
            const auto m = it.next();
            setFormat(int(m.capturedStart()), int(m.capturedLength()), rule.format);
        }
    }
    // A # that is not inside a string starts a comment (shebang included).
    bool single = false;
    bool dbl = false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text[i];
        if (c == '\\') {
            ++i;
            continue;
        }
        if (c == '\'' && !dbl)
            single = !single;
        else if (c == '"' && !single)
            dbl = !dbl;
        else if (c == '#' && !single && !dbl && (i == 0 || text[i - 1] != '$')) {
            setFormat(int(i), int(text.size() - i), m_comment);
            break;
        }
    }
}

} // namespace sluice::ui::designer
