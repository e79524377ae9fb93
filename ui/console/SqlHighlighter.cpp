#include "console/SqlHighlighter.h"

namespace sluice::ui {

namespace {

enum BlockState { Normal = 0, InComment = 1 };

const char* const kKeywords[] = {"select",
                                 "from",
                                 "where",
                                 "group",
                                 "by",
                                 "order",
                                 "having",
                                 "limit",
                                 "offset",
                                 "as",
                                 "and",
                                 "or",
                                 "not",
                                 "null",
                                 "is",
                                 "in",
                                 "like",
                                 "between",
                                 "case",
                                 "when",
                                 "then",
                                 "else",
                                 "end",
                                 "join",
                                 "left",
                                 "inner",
                                 "outer",
                                 "cross",
                                 "on",
                                 "using",
                                 "union",
                                 "all",
                                 "distinct",
                                 "insert",
                                 "into",
                                 "values",
                                 "update",
                                 "set",
                                 "delete",
                                 "create",
                                 "table",
                                 "view",
                                 "index",
                                 "drop",
                                 "alter",
                                 "primary",
                                 "key",
                                 "shard",
                                 "reference",
                                 "with",
                                 "recursive",
                                 "asc",
                                 "desc",
                                 "exists",
                                 "if",
                                 "replace",
                                 "ignore",
                                 "pipeline",
                                 "pipelines",
                                 "load",
                                 "data",
                                 "kafka",
                                 "fs",
                                 "start",
                                 "stop",
                                 "test",
                                 "extract",
                                 "show",
                                 "offsets",
                                 "earliest",
                                 "latest",
                                 "at",
                                 "batch_interval",
                                 "transform",
                                 "fields",
                                 "terminated",
                                 "enclosed",
                                 "escaped",
                                 "lines",
                                 "format",
                                 "csv",
                                 "json",
                                 "avro",
                                 "skip",
                                 "errors",
                                 "duplicate",
                                 "foreground",
                                 "batches",
                                 "running",
                                 "outfile",
                                 "config",
                                 "credentials",
                                 "count",
                                 "sum",
                                 "min",
                                 "max",
                                 "avg",
                                 "cast",
                                 "bigint",
                                 "integer",
                                 "text",
                                 "real",
                                 "blob"};

QTextCharFormat makeFormat(const QColor& color, bool bold = false, bool italic = false) {
    QTextCharFormat f;
    f.setForeground(color);
    if (bold)
        f.setFontWeight(QFont::Bold);
    f.setFontItalic(italic);
    return f;
}

} // namespace

SqlHighlighter::SqlHighlighter(QTextDocument* document) : QSyntaxHighlighter(document) {
    QStringList words;
    for (const char* k : kKeywords)
        words << QString::fromLatin1(k);
    m_keywords = QRegularExpression(QStringLiteral("\\b(%1)\\b").arg(words.join(QLatin1Char('|'))),
                                    QRegularExpression::CaseInsensitiveOption);
    m_numbers = QRegularExpression(QStringLiteral("\\b\\d+(\\.\\d+)?\\b"));
    m_keywordFormat = makeFormat(QColor(0x00, 0x33, 0x99), true);
    m_stringFormat = makeFormat(QColor(0x06, 0x7d, 0x17));
    m_identifierFormat = makeFormat(QColor(0x87, 0x10, 0x94));
    m_numberFormat = makeFormat(QColor(0x17, 0x50, 0xeb));
    m_commentFormat = makeFormat(QColor(0x8c, 0x8c, 0x8c), false, true);
}

void SqlHighlighter::highlightBlock(const QString& text) {
    for (auto it = m_keywords.globalMatch(text); it.hasNext();) {
        const auto m = it.next();
        setFormat(int(m.capturedStart()), int(m.capturedLength()), m_keywordFormat);
    }
    for (auto it = m_numbers.globalMatch(text); it.hasNext();) {
        const auto m = it.next();
        setFormat(int(m.capturedStart()), int(m.capturedLength()), m_numberFormat);
    }
    // Strings, quoted identifiers and comments, left to right: what opens first wins.
    int i = 0;
    const int n = int(text.size());
    if (previousBlockState() == InComment) {
        const int close = int(text.indexOf(QLatin1String("*/")));
        const int end = close < 0 ? n : close + 2;
        setFormat(0, end, m_commentFormat);
        if (close < 0) {
            setCurrentBlockState(InComment);
            return;
        }
        i = end;
    }
    setCurrentBlockState(Normal);
    while (i < n) {
        const QChar c = text.at(i);
        if (c == QLatin1Char('-') && i + 1 < n && text.at(i + 1) == QLatin1Char('-')) {
            setFormat(i, n - i, m_commentFormat);
            return;
        }
        if (c == QLatin1Char('/') && i + 1 < n && text.at(i + 1) == QLatin1Char('*')) {
            const int close = int(text.indexOf(QLatin1String("*/"), i + 2));
            const int end = close < 0 ? n : close + 2;
            setFormat(i, end - i, m_commentFormat);
            if (close < 0) {
                setCurrentBlockState(InComment);
                return;
            }
            i = end;
            continue;
        }
        if (c == QLatin1Char('\'') || c == QLatin1Char('"') || c == QLatin1Char('`')) {
            int j = i + 1;
            while (j < n) {
                if (text.at(j) == c) {
                    if (j + 1 < n && text.at(j + 1) == c) { // doubled quote
                        j += 2;
                        continue;
                    }
                    break;
                }
                ++j;
            }
            const int end = std::min(n, j + 1);
            setFormat(i, end - i, c == QLatin1Char('\'') ? m_stringFormat : m_identifierFormat);
            i = end;
            continue;
        }
        ++i;
    }
}

} // namespace sluice::ui
