#include "PipelineDocument.h"

#include "sql/Lexer.h"

#include <QFileInfo>
#include <QJsonArray>

#include <algorithm>
#include <cctype>
#include <optional>

namespace sluice::ui::designer {

namespace {

using sql::PipelineSpec;

std::string str(const QVariant& v) {
    return v.toString().toStdString();
}
QString qstr(const std::string& s) {
    return QString::fromStdString(s);
}

const QStringList kErrorPolicies = {
    "Default",           "Replace", "Ignore", "Skip all errors", "Skip duplicate key errors",
    "Skip parser errors"};
const sql::ErrorPolicy kErrorPolicyValues[] = {
    sql::ErrorPolicy::Default, sql::ErrorPolicy::Replace,          sql::ErrorPolicy::Ignore,
    sql::ErrorPolicy::SkipAll, sql::ErrorPolicy::SkipDuplicateKey, sql::ErrorPolicy::SkipParser};

// A target column or "@var" as toSql writes it.
std::string columnSql(const std::string& column) {
    const bool variable = column.size() > 1 && column[0] == '@' &&
                          sql::quotePipelineIdentifier(column.substr(1)) == column.substr(1);
    return variable ? column : sql::quotePipelineIdentifier(column);
}

std::string columnsText(const std::vector<std::string>& columns) {
    std::string out;
    for (size_t i = 0; i < columns.size(); ++i)
        out += (i > 0 ? ", " : "") + columnSql(columns[i]);
    return out;
}

std::string mappingsText(const std::vector<sql::FieldMapping>& mappings) {
    std::string out;
    for (size_t i = 0; i < mappings.size(); ++i) {
        const sql::FieldMapping& m = mappings[i];
        out += (i > 0 ? ",\n" : "") + columnSql(m.column) + " <- ";
        for (size_t p = 0; p < m.path.size(); ++p) {
            if (p > 0)
                out += "::";
            out += p == 0 && m.path[p] == "%" ? std::string("%")
                                              : sql::quotePipelineIdentifier(m.path[p]);
        }
        if (m.defaultValue)
            out += " DEFAULT " + *m.defaultValue;
    }
    return out;
}

std::string assignmentsText(const std::vector<sql::Assignment>& list) {
    std::string out;
    for (size_t i = 0; i < list.size(); ++i)
        out += (i > 0 ? ",\n" : "") + sql::quotePipelineIdentifier(list[i].column) + " = " +
               list[i].expr;
    return out;
}

bool blank(const std::string& text) {
    return std::all_of(text.begin(), text.end(),
                       [](unsigned char c) { return std::isspace(c) != 0; });
}

// Parses one clause of the pipeline grammar by wrapping it in a minimal statement, so the
// designer accepts exactly what the engine's parser accepts.
Result<PipelineSpec> parseClause(const std::string& clause) {
    auto parsed = sql::parsePipelineStatement(
        "CREATE PIPELINE p AS LOAD DATA KAFKA 'localhost:9092/t' INTO TABLE t " + clause);
    if (!parsed)
        return parsed.status();
    return std::get<sql::CreatePipeline>(parsed.value()).spec;
}

Status clauseError(const char* where, const Status& status) {
    return {ErrorCode::InvalidArgument, std::string(where) + ": " + status.message()};
}

int64_t number(const QVariantMap& props, const char* key) {
    return props.value(key).toLongLong();
}

} // namespace

QString nodeKindName(NodeKind kind) {
    switch (kind) {
    case NodeKind::Source:
        return QStringLiteral("Source");
    case NodeKind::Format:
        return QStringLiteral("Format");
    case NodeKind::Transform:
        return QStringLiteral("Transform");
    case NodeKind::Table:
        return QStringLiteral("Table");
    case NodeKind::Options:
        return QStringLiteral("Options");
    }
    return {};
}

bool nodeKindFromName(const QString& name, NodeKind* kind) {
    for (NodeKind k : {NodeKind::Source, NodeKind::Format, NodeKind::Transform, NodeKind::Table,
                       NodeKind::Options}) {
        if (nodeKindName(k) == name) {
            *kind = k;
            return true;
        }
    }
    return false;
}

bool hasInputPort(NodeKind kind) {
    return kind == NodeKind::Format || kind == NodeKind::Transform || kind == NodeKind::Table;
}

bool hasOutputPort(NodeKind kind) {
    return kind == NodeKind::Source || kind == NodeKind::Format || kind == NodeKind::Transform;
}

QString escapeControl(const QString& text) {
    QString out;
    for (QChar c : text) {
        switch (c.unicode()) {
        case '\\':
            out += QStringLiteral("\\\\");
            break;
        case '\t':
            out += QStringLiteral("\\t");
            break;
        case '\n':
            out += QStringLiteral("\\n");
            break;
        case '\r':
            out += QStringLiteral("\\r");
            break;
        case 0:
            out += QStringLiteral("\\0");
            break;
        default:
            out += c;
        }
    }
    return out;
}

QString unescapeControl(const QString& text) {
    QString out;
    for (qsizetype i = 0; i < text.size(); ++i) {
        if (text[i] != '\\' || i + 1 == text.size()) {
            out += text[i];
            continue;
        }
        const QChar next = text[++i];
        switch (next.unicode()) {
        case 't':
            out += '\t';
            break;
        case 'n':
            out += '\n';
            break;
        case 'r':
            out += '\r';
            break;
        case '0':
            out += QChar(0);
            break;
        default:
            out += next;
        }
    }
    return out;
}

Result<TableDefinition> parseCreateTable(std::string_view statement) {
    auto tokens = sql::tokenize(statement, sql::StringEscapes::Sql);
    if (!tokens)
        return tokens.status();
    const std::vector<sql::Token>& t = tokens.value();
    size_t i = 0;
    auto fail = [&](const char* expected) {
        const sql::Token& tok = t[std::min(i, t.size() - 1)];
        return Status(ErrorCode::Syntax, "syntax error at line " + std::to_string(tok.line) +
                                             " column " + std::to_string(tok.column) + " near " +
                                             tok.describe() + ": expected " + expected);
    };
    TableDefinition table;
    if (!t[i].isKeyword("CREATE"))
        return fail("CREATE");
    ++i;
    if (t[i].isKeyword("REFERENCE")) {
        table.reference = true;
        ++i;
    }
    if (!t[i].isKeyword("TABLE"))
        return fail("TABLE");
    ++i;
    if (t[i].isKeyword("IF")) {
        if (!t[i + 1].isKeyword("NOT") || !t[i + 2].isKeyword("EXISTS"))
            return fail("IF NOT EXISTS");
        i += 3;
    }
    if (t[i].kind != sql::TokenKind::Identifier && t[i].kind != sql::TokenKind::QuotedIdentifier)
        return fail("a table name");
    table.name = t[i].value.empty() ? std::string(t[i].text) : t[i].value;
    ++i;
    if (!t[i].isSymbol("("))
        return fail("'('");
    ++i;
    // Split the definitions at top-level commas, keeping each one's text as written.
    size_t start = i;
    int depth = 0;
    for (; !t[i].isEnd(); ++i) {
        if (t[i].isSymbol("(")) {
            ++depth;
        } else if (t[i].isSymbol(")") && depth > 0) {
            --depth;
        } else if ((t[i].isSymbol(",") || t[i].isSymbol(")")) && depth == 0) {
            if (i == start)
                return fail("a column definition");
            if (t[start].isKeyword("SHARD")) {
                size_t k = start + 1;
                if (t[k].isKeyword("KEY"))
                    ++k;
                if (!t[k].isSymbol("("))
                    return fail("SHARD KEY (column, ...)");
                for (++k; k < i && !t[k].isSymbol(")"); ++k) {
                    if (!t[k].isSymbol(","))
                        table.shardKey.push_back(t[k].value.empty() ? std::string(t[k].text)
                                                                    : t[k].value);
                }
            } else {
                const size_t from = t[start].offset;
                const size_t to = t[i - 1].offset + t[i - 1].text.size();
                table.definitions.emplace_back(statement.substr(from, to - from));
            }
            if (t[i].isSymbol(")"))
                break;
            start = i + 1;
        }
    }
    if (t[i].isEnd())
        return fail("')'");
    if (!t[i + 1].isEnd()) {
        ++i;
        return fail("end of statement");
    }
    return table;
}

std::string createTableSql(const TableDefinition& table) {
    std::string out = std::string("CREATE ") + (table.reference ? "REFERENCE " : "") + "TABLE " +
                      sql::quotePipelineIdentifier(table.name) + " (";
    bool first = true;
    for (const std::string& d : table.definitions) {
        out += std::string(first ? "" : ",") + "\n    " + d;
        first = false;
    }
    if (!table.shardKey.empty()) {
        out += std::string(first ? "" : ",") + "\n    SHARD KEY (";
        for (size_t i = 0; i < table.shardKey.size(); ++i)
            out += (i > 0 ? ", " : "") + sql::quotePipelineIdentifier(table.shardKey[i]);
        out += ")";
    }
    return out + "\n)";
}

PipelineDocument::PipelineDocument(QObject* parent) : QObject(parent) {}

QVariantMap PipelineDocument::defaultProperties(NodeKind kind) {
    const PipelineSpec spec;
    switch (kind) {
    case NodeKind::Source:
        return {{"sourceType", "Kafka"}, {"brokers", "127.0.0.1:9092"},
                {"topic", "events"},     {"fsPath", ""},
                {"config", ""},          {"credentials", ""}};
    case NodeKind::Format:
        return {{"format", "CSV"},
                {"fieldsTerminatedBy", ","},
                {"enclosedBy", ""},
                {"optionallyEnclosed", false},
                {"escapedBy", qstr(spec.csv.escapedBy)},
                {"linesTerminatedBy", qstr(spec.csv.linesTerminatedBy)},
                {"linesStartingBy", ""},
                {"ignoreLines", 0},
                {"mappings", ""},
                {"avroSchema", ""},
                {"formatCsvKeyword", true},
                {"fieldsClauseGiven", false},
                {"linesClauseGiven", false}};
    case NodeKind::Transform:
        return {{"uri", "transforms/transform.py"}, {"unused", ""}, {"args", ""}, {"script", ""}};
    case NodeKind::Table:
        return {{"targetKind", "Table"},
                {"name", "events"},
                {"reference", false},
                {"columns", "id INTEGER PRIMARY KEY\npayload TEXT"},
                {"shardKey", "id"},
                {"loadColumns", ""},
                {"set", ""},
                {"where", ""},
                {"onDuplicate", ""}};
    case NodeKind::Options:
        return {{"pipeline", "new_pipeline"},
                {"batchInterval", qint64(spec.options.batchIntervalMs)},
                {"maxPartitions", qint64(spec.options.maxPartitionsPerBatch)},
                {"maxOffsets", qint64(spec.options.maxOffsetsPerBatchPartition)},
                {"maxRetries", qint64(spec.options.maxRetriesPerBatchPartition)},
                {"errorPolicy", kErrorPolicies[0]},
                {"explicitBatchInterval", false},
                {"explicitMaxPartitions", false},
                {"explicitMaxOffsets", false},
                {"explicitMaxRetries", false}};
    }
    return {};
}

QList<PropertyDescriptor> PipelineDocument::properties(NodeKind kind) {
    using T = PropertyDescriptor::Type;
    switch (kind) {
    case NodeKind::Source:
        return {{"sourceType", "Source", T::Choice, {"Kafka", "FS"}, {}},
                {"brokers", "Brokers", T::Text, {}, "host:port[,host:port]"},
                {"topic", "Topic", T::Text, {}, {}},
                {"fsPath", "Files", T::Text, {}, "FS source: a path with a glob"},
                {"config", "Config", T::Text, {}, "librdkafka properties as a JSON object"},
                {"credentials", "Credentials", T::Password, {}, "JSON object; never shown"}};
    case NodeKind::Format:
        return {{"format", "Format", T::Choice, {"CSV", "JSON", "AVRO"}, {}},
                {"fieldsTerminatedBy", "Fields terminated by", T::Escaped, {}, "\\t for a tab"},
                {"enclosedBy", "Enclosed by", T::Escaped, {}, {}},
                {"optionallyEnclosed", "Optionally enclosed", T::Bool, {}, {}},
                {"escapedBy", "Escaped by", T::Escaped, {}, {}},
                {"linesTerminatedBy", "Lines terminated by", T::Escaped, {}, "\\n, \\r\\n"},
                {"linesStartingBy", "Lines starting by", T::Escaped, {}, {}},
                {"ignoreLines", "Ignore lines", T::Int, {}, {}},
                {"mappings", "Mappings", T::Multiline, {}, "JSON/AVRO: col <- path::to::field"},
                {"avroSchema", "Avro schema", T::Multiline, {}, {}}};
    case NodeKind::Transform:
        return {{"uri", "Script path", T::Text, {}, "relative to the store folder"},
                {"args", "Arguments", T::Text, {}, {}}};
    case NodeKind::Table:
        return {{"targetKind", "Target", T::Choice, {"Table", "Procedure"}, {}},
                {"name", "Name", T::Text, {}, {}},
                {"reference", "Reference table", T::Bool, {}, {}},
                {"columns", "Columns", T::Multiline, {}, "one definition per line"},
                {"shardKey", "Shard key", T::Text, {}, "columns, comma separated"},
                {"loadColumns", "Load into", T::Text, {}, "col, @var, ..."},
                {"set", "SET", T::Multiline, {}, "col = expr, one per line"},
                {"where", "WHERE", T::Multiline, {}, {}},
                {"onDuplicate", "On duplicate key update", T::Multiline, {}, {}}};
    case NodeKind::Options:
        return {{"pipeline", "Pipeline", T::Text, {}, {}},
                {"batchInterval", "Batch interval (ms)", T::Int, {}, {}},
                {"maxPartitions", "Max partitions per batch", T::Int, {}, "0: no limit"},
                {"maxOffsets", "Max offsets per partition", T::Int, {}, {}},
                {"maxRetries", "Max retries per partition", T::Int, {}, {}},
                {"errorPolicy", "Errors", T::Choice, kErrorPolicies, {}}};
    }
    return {};
}

int PipelineDocument::addNode(NodeKind kind, QPointF pos, const QVariantMap& props, int id) {
    if (id == 0 || m_nodes.contains(id))
        id = m_nextId;
    m_nextId = std::max(m_nextId, id + 1);
    DesignerNode node{id, kind, pos, defaultProperties(kind)};
    for (auto it = props.begin(); it != props.end(); ++it)
        node.props.insert(it.key(), it.value());
    m_nodes.insert(id, node);
    emit nodeAdded(id);
    emit changed();
    return id;
}

bool PipelineDocument::removeNode(int id) {
    if (!m_nodes.contains(id))
        return false;
    const QList<DesignerEdge> edges = m_edges;
    for (const DesignerEdge& e : edges) {
        if (e.from == id || e.to == id)
            removeEdge(e.from, e.to);
    }
    m_nodes.remove(id);
    emit nodeRemoved(id);
    emit changed();
    return true;
}

void PipelineDocument::moveNode(int id, QPointF pos) {
    auto it = m_nodes.find(id);
    if (it == m_nodes.end() || it->pos == pos)
        return;
    it->pos = pos;
    emit nodeMoved(id);
    emit changed();
}

void PipelineDocument::setProperties(int id, const QVariantMap& changes) {
    auto it = m_nodes.find(id);
    if (it == m_nodes.end())
        return;
    for (auto c = changes.begin(); c != changes.end(); ++c)
        it->props.insert(c.key(), c.value());
    emit nodeChanged(id);
    emit changed();
}

QString PipelineDocument::checkNewNode(NodeKind kind) const {
    if (nodeOf(kind) != 0)
        return tr("A pipeline has one %1 node.").arg(nodeKindName(kind));
    return {};
}

QString PipelineDocument::checkConnection(int from, int to) const {
    const DesignerNode* a = node(from);
    const DesignerNode* b = node(to);
    if (!a || !b || from == to)
        return tr("Connect two different nodes.");
    const QString arrow = nodeKindName(a->kind) + " → " + nodeKindName(b->kind);
    const bool allowed = (a->kind == NodeKind::Source && b->kind == NodeKind::Format) ||
                         (a->kind == NodeKind::Format && b->kind == NodeKind::Transform) ||
                         (a->kind == NodeKind::Format && b->kind == NodeKind::Table) ||
                         (a->kind == NodeKind::Transform && b->kind == NodeKind::Table);
    if (!allowed)
        return tr("%1 is not a valid connection: a pipeline runs Source → Format → "
                  "[Transform →] Table.")
            .arg(arrow);
    if (successor(from) != 0)
        return tr("%1 already has an outgoing connection.").arg(nodeKindName(a->kind));
    if (predecessor(to) != 0)
        return tr("%1 already has an incoming connection.").arg(nodeKindName(b->kind));
    return {};
}

bool PipelineDocument::addEdge(int from, int to, QString* why) {
    const QString reason = checkConnection(from, to);
    if (!reason.isEmpty()) {
        if (why)
            *why = reason;
        return false;
    }
    m_edges.append({from, to});
    emit edgeAdded(from, to);
    emit changed();
    return true;
}

bool PipelineDocument::removeEdge(int from, int to) {
    if (!m_edges.removeOne(DesignerEdge{from, to}))
        return false;
    emit edgeRemoved(from, to);
    emit changed();
    return true;
}

void PipelineDocument::clear() {
    m_nodes.clear();
    m_edges.clear();
    m_nextId = 1;
    emit documentReset();
    emit changed();
}

const DesignerNode* PipelineDocument::node(int id) const {
    auto it = m_nodes.find(id);
    return it == m_nodes.end() ? nullptr : &*it;
}

int PipelineDocument::nodeOf(NodeKind kind) const {
    for (const DesignerNode& n : m_nodes) {
        if (n.kind == kind)
            return n.id;
    }
    return 0;
}

int PipelineDocument::successor(int id) const {
    for (const DesignerEdge& e : m_edges) {
        if (e.from == id)
            return e.to;
    }
    return 0;
}

int PipelineDocument::predecessor(int id) const {
    for (const DesignerEdge& e : m_edges) {
        if (e.to == id)
            return e.from;
    }
    return 0;
}

QString PipelineDocument::nodeTitle(int id) const {
    const DesignerNode* n = node(id);
    if (!n)
        return {};
    const QVariantMap& p = n->props;
    switch (n->kind) {
    case NodeKind::Source:
        return p.value("sourceType").toString() == "FS" ? tr("Files") : tr("Kafka");
    case NodeKind::Format:
        return p.value("format").toString();
    case NodeKind::Transform:
        return tr("Transform");
    case NodeKind::Table:
        return p.value("targetKind").toString() == "Procedure" ? tr("Procedure") : tr("Table");
    case NodeKind::Options:
        return tr("Pipeline");
    }
    return {};
}

QString PipelineDocument::nodeSubtitle(int id) const {
    const DesignerNode* n = node(id);
    if (!n)
        return {};
    const QVariantMap& p = n->props;
    switch (n->kind) {
    case NodeKind::Source:
        return p.value("sourceType").toString() == "FS" ? p.value("fsPath").toString()
                                                        : p.value("topic").toString();
    case NodeKind::Format:
        if (p.value("format").toString() != "CSV")
            return tr("field mappings");
        return tr("fields %1").arg(escapeControl(p.value("fieldsTerminatedBy").toString()));
    case NodeKind::Transform:
        return QFileInfo(p.value("uri").toString()).fileName();
    case NodeKind::Table:
        return p.value("name").toString();
    case NodeKind::Options:
        return p.value("pipeline").toString();
    }
    return {};
}

QJsonObject PipelineDocument::toJson() const {
    QJsonArray nodes;
    for (const DesignerNode& n : m_nodes) {
        nodes.append(QJsonObject{{"id", n.id},
                                 {"kind", nodeKindName(n.kind)},
                                 {"x", n.pos.x()},
                                 {"y", n.pos.y()},
                                 {"props", QJsonObject::fromVariantMap(n.props)}});
    }
    QJsonArray edges;
    for (const DesignerEdge& e : m_edges)
        edges.append(QJsonObject{{"from", e.from}, {"to", e.to}});
    return {{"version", 1}, {"nodes", nodes}, {"edges", edges}};
}

bool PipelineDocument::fromJson(const QJsonObject& json, QString* error) {
    QMap<int, DesignerNode> nodes;
    for (const QJsonValue& v : json.value("nodes").toArray()) {
        const QJsonObject o = v.toObject();
        DesignerNode n;
        n.id = o.value("id").toInt();
        if (n.id <= 0 || nodes.contains(n.id) ||
            !nodeKindFromName(o.value("kind").toString(), &n.kind)) {
            if (error)
                *error = tr("bad node in layout: %1").arg(n.id);
            return false;
        }
        n.pos = QPointF(o.value("x").toDouble(), o.value("y").toDouble());
        n.props = defaultProperties(n.kind);
        const QVariantMap props = o.value("props").toObject().toVariantMap();
        for (auto it = props.begin(); it != props.end(); ++it)
            n.props.insert(it.key(), it.value());
        nodes.insert(n.id, n);
    }
    m_nodes.clear();
    m_edges.clear();
    m_nodes = nodes;
    m_nextId = nodes.isEmpty() ? 1 : nodes.lastKey() + 1;
    for (const QJsonValue& v : json.value("edges").toArray()) {
        const QJsonObject o = v.toObject();
        const int from = o.value("from").toInt();
        const int to = o.value("to").toInt();
        if (checkConnection(from, to).isEmpty())
            m_edges.append({from, to});
    }
    emit documentReset();
    emit changed();
    return true;
}

Result<PipelineSpec> PipelineDocument::toSpec() const {
    auto missing = [](const QString& what) {
        return Status(ErrorCode::InvalidArgument, what.toStdString());
    };
    const int sourceId = nodeOf(NodeKind::Source);
    if (sourceId == 0)
        return missing(tr("add a Source node"));
    const int formatId = successor(sourceId);
    if (formatId == 0)
        return missing(tr("connect Source → Format"));
    int next = successor(formatId);
    if (next == 0)
        return missing(tr("connect Format → Table"));
    int transformId = 0;
    if (node(next)->kind == NodeKind::Transform) {
        transformId = next;
        next = successor(next);
        if (next == 0)
            return missing(tr("connect Transform → Table"));
    }
    const int tableId = next;

    PipelineSpec spec;
    const QVariantMap& src = node(sourceId)->props;
    spec.sourceType =
        src.value("sourceType").toString() == "FS" ? sql::SourceType::Fs : sql::SourceType::Kafka;
    spec.brokers = str(src.value("brokers"));
    spec.topic = str(src.value("topic"));
    spec.fsPath = str(src.value("fsPath"));
    spec.configJson = str(src.value("config"));
    spec.credentialsJson = str(src.value("credentials"));
    if (spec.sourceType == sql::SourceType::Kafka && (spec.brokers.empty() || spec.topic.empty()))
        return missing(tr("Source: brokers and topic are required"));
    if (spec.sourceType == sql::SourceType::Fs && spec.fsPath.empty())
        return missing(tr("Source: a file path is required"));

    const QVariantMap& fmt = node(formatId)->props;
    const QString format = fmt.value("format").toString();
    spec.format = format == "JSON"   ? sql::DataFormat::Json
                  : format == "AVRO" ? sql::DataFormat::Avro
                                     : sql::DataFormat::Csv;
    spec.csv.fieldsTerminatedBy = str(fmt.value("fieldsTerminatedBy"));
    spec.csv.enclosedBy = str(fmt.value("enclosedBy"));
    spec.csv.optionallyEnclosed = fmt.value("optionallyEnclosed").toBool();
    spec.csv.escapedBy = str(fmt.value("escapedBy"));
    spec.csv.linesTerminatedBy = str(fmt.value("linesTerminatedBy"));
    spec.csv.linesStartingBy = str(fmt.value("linesStartingBy"));
    spec.csv.ignoreLines = number(fmt, "ignoreLines");
    spec.csv.formatCsvKeyword = fmt.value("formatCsvKeyword").toBool();
    spec.csv.fieldsClauseGiven = fmt.value("fieldsClauseGiven").toBool();
    spec.csv.linesClauseGiven = fmt.value("linesClauseGiven").toBool();
    if (spec.format != sql::DataFormat::Csv) {
        // The parser leaves CSV options at their defaults for JSON and AVRO.
        spec.csv = sql::CsvOptions();
        const std::string mappings = str(fmt.value("mappings"));
        if (!blank(mappings)) {
            auto parsed = parseClause(
                (spec.format == sql::DataFormat::Json ? "FORMAT JSON (" : "FORMAT AVRO (") +
                mappings + ")");
            if (!parsed)
                return clauseError("Format mappings", parsed.status());
            spec.fieldMappings = parsed->fieldMappings;
        }
        if (spec.format == sql::DataFormat::Avro)
            spec.avroSchema = str(fmt.value("avroSchema"));
    }

    if (transformId != 0) {
        const QVariantMap& t = node(transformId)->props;
        spec.transform =
            sql::TransformSpec{str(t.value("uri")), str(t.value("unused")), str(t.value("args"))};
        if (spec.transform->uri.empty())
            return missing(tr("Transform: a script path is required"));
    }

    const QVariantMap& tab = node(tableId)->props;
    spec.targetKind = tab.value("targetKind").toString() == "Procedure" ? sql::TargetKind::Procedure
                                                                        : sql::TargetKind::Table;
    spec.target = str(tab.value("name"));
    if (spec.target.empty())
        return missing(tr("Table: a name is required"));
    const std::string loadColumns = str(tab.value("loadColumns"));
    if (!blank(loadColumns)) {
        auto parsed = parseClause("(" + loadColumns + ")");
        if (!parsed)
            return clauseError("Table load columns", parsed.status());
        spec.columns = parsed->columns;
    }
    const std::string set = str(tab.value("set"));
    if (!blank(set)) {
        auto parsed = parseClause("SET " + set);
        if (!parsed)
            return clauseError("Table SET", parsed.status());
        spec.set = parsed->set;
    }
    const std::string where = str(tab.value("where"));
    if (!blank(where)) {
        auto parsed = parseClause("WHERE " + where);
        if (!parsed)
            return clauseError("Table WHERE", parsed.status());
        spec.whereExpr = parsed->whereExpr;
    }
    const std::string dup = str(tab.value("onDuplicate"));
    if (!blank(dup)) {
        auto parsed = parseClause("ON DUPLICATE KEY UPDATE " + dup);
        if (!parsed)
            return clauseError("Table ON DUPLICATE KEY UPDATE", parsed.status());
        spec.onDuplicateKeyUpdate = parsed->onDuplicateKeyUpdate;
    }

    const int optionsId = nodeOf(NodeKind::Options);
    if (optionsId == 0) {
        spec.name = spec.target;
        return spec;
    }
    const QVariantMap& opt = node(optionsId)->props;
    spec.name = str(opt.value("pipeline"));
    if (spec.name.empty())
        return missing(tr("Options: a pipeline name is required"));
    const sql::PipelineOptions defaults;
    spec.options.batchIntervalMs = number(opt, "batchInterval");
    spec.options.maxPartitionsPerBatch = number(opt, "maxPartitions");
    spec.options.maxOffsetsPerBatchPartition = number(opt, "maxOffsets");
    spec.options.maxRetriesPerBatchPartition = number(opt, "maxRetries");
    spec.explicitBatchInterval = opt.value("explicitBatchInterval").toBool() ||
                                 spec.options.batchIntervalMs != defaults.batchIntervalMs;
    spec.explicitMaxPartitions =
        opt.value("explicitMaxPartitions").toBool() ||
        spec.options.maxPartitionsPerBatch != defaults.maxPartitionsPerBatch;
    spec.explicitMaxOffsets =
        opt.value("explicitMaxOffsets").toBool() ||
        spec.options.maxOffsetsPerBatchPartition != defaults.maxOffsetsPerBatchPartition;
    spec.explicitMaxRetries =
        opt.value("explicitMaxRetries").toBool() ||
        spec.options.maxRetriesPerBatchPartition != defaults.maxRetriesPerBatchPartition;
    const qsizetype policy = kErrorPolicies.indexOf(opt.value("errorPolicy").toString());
    spec.errorPolicy = kErrorPolicyValues[std::max<qsizetype>(policy, 0)];
    return spec;
}

std::string PipelineDocument::createTableSql() const {
    const int tableId = nodeOf(NodeKind::Table);
    if (tableId == 0)
        return {};
    const QVariantMap& tab = node(tableId)->props;
    if (tab.value("targetKind").toString() == "Procedure")
        return {};
    TableDefinition table;
    table.name = str(tab.value("name"));
    table.reference = tab.value("reference").toBool();
    for (const QString& line : tab.value("columns").toString().split('\n', Qt::SkipEmptyParts)) {
        QString d = line.trimmed();
        if (d.endsWith(','))
            d.chop(1);
        if (!d.isEmpty())
            table.definitions.push_back(d.toStdString());
    }
    for (const QString& key : tab.value("shardKey").toString().split(',', Qt::SkipEmptyParts)) {
        if (!key.trimmed().isEmpty())
            table.shardKey.push_back(key.trimmed().toStdString());
    }
    if (table.name.empty() || table.definitions.empty())
        return {};
    return sluice::ui::designer::createTableSql(table);
}

Result<std::string> PipelineDocument::toSqlScript(bool redactCredentials) const {
    auto spec = toSpec();
    if (!spec)
        return spec.status();
    std::string out;
    const std::string table = createTableSql();
    if (!table.empty())
        out += table + ";\n\n";
    return out + sql::toSql(spec.value(), redactCredentials) + ";\n";
}

Status PipelineDocument::fromSpec(const PipelineSpec& spec, std::string_view tableSql) {
    TableDefinition table;
    table.name = spec.target;
    if (!blank(std::string(tableSql))) {
        auto parsed = parseCreateTable(tableSql);
        if (!parsed)
            return parsed.status();
        table = parsed.value();
    }
    QVariantMap src{{"sourceType", spec.sourceType == sql::SourceType::Fs ? "FS" : "Kafka"},
                    {"brokers", qstr(spec.brokers)},
                    {"topic", qstr(spec.topic)},
                    {"fsPath", qstr(spec.fsPath)},
                    {"config", qstr(spec.configJson)},
                    {"credentials", qstr(spec.credentialsJson)}};
    const char* format = spec.format == sql::DataFormat::Json   ? "JSON"
                         : spec.format == sql::DataFormat::Avro ? "AVRO"
                                                                : "CSV";
    QVariantMap fmt{{"format", format},
                    {"fieldsTerminatedBy", qstr(spec.csv.fieldsTerminatedBy)},
                    {"enclosedBy", qstr(spec.csv.enclosedBy)},
                    {"optionallyEnclosed", spec.csv.optionallyEnclosed},
                    {"escapedBy", qstr(spec.csv.escapedBy)},
                    {"linesTerminatedBy", qstr(spec.csv.linesTerminatedBy)},
                    {"linesStartingBy", qstr(spec.csv.linesStartingBy)},
                    {"ignoreLines", qint64(spec.csv.ignoreLines)},
                    {"mappings", qstr(mappingsText(spec.fieldMappings))},
                    {"avroSchema", qstr(spec.avroSchema)},
                    {"formatCsvKeyword", spec.csv.formatCsvKeyword},
                    {"fieldsClauseGiven", spec.csv.fieldsClauseGiven},
                    {"linesClauseGiven", spec.csv.linesClauseGiven}};
    QString columns;
    for (const std::string& d : table.definitions)
        columns += qstr(d) + "\n";
    columns.chop(1);
    QStringList shardKey;
    for (const std::string& k : table.shardKey)
        shardKey << qstr(k);
    QVariantMap tab{
        {"targetKind", spec.targetKind == sql::TargetKind::Procedure ? "Procedure" : "Table"},
        {"name", qstr(spec.target)},
        {"reference", table.reference},
        {"columns", columns},
        {"shardKey", shardKey.join(", ")},
        {"loadColumns", qstr(columnsText(spec.columns))},
        {"set", qstr(assignmentsText(spec.set))},
        {"where", qstr(spec.whereExpr)},
        {"onDuplicate", qstr(assignmentsText(spec.onDuplicateKeyUpdate))}};
    qsizetype policy = 0;
    for (qsizetype i = 0; i < kErrorPolicies.size(); ++i) {
        if (kErrorPolicyValues[i] == spec.errorPolicy)
            policy = i;
    }
    QVariantMap opt{{"pipeline", qstr(spec.name)},
                    {"batchInterval", qint64(spec.options.batchIntervalMs)},
                    {"maxPartitions", qint64(spec.options.maxPartitionsPerBatch)},
                    {"maxOffsets", qint64(spec.options.maxOffsetsPerBatchPartition)},
                    {"maxRetries", qint64(spec.options.maxRetriesPerBatchPartition)},
                    {"errorPolicy", kErrorPolicies[policy]},
                    {"explicitBatchInterval", spec.explicitBatchInterval},
                    {"explicitMaxPartitions", spec.explicitMaxPartitions},
                    {"explicitMaxOffsets", spec.explicitMaxOffsets},
                    {"explicitMaxRetries", spec.explicitMaxRetries}};

    // Left to right on the grid; Options below the source.
    constexpr double kStep = 12 * kGrid;
    constexpr double kRow = 5 * kGrid;
    QJsonArray nodes;
    QJsonArray edges;
    int id = 1;
    auto add = [&](NodeKind kind, double x, double y, const QVariantMap& props) {
        nodes.append(QJsonObject{{"id", id},
                                 {"kind", nodeKindName(kind)},
                                 {"x", x},
                                 {"y", y},
                                 {"props", QJsonObject::fromVariantMap(props)}});
        if (hasInputPort(kind))
            edges.append(QJsonObject{{"from", id - 1}, {"to", id}});
        return id++;
    };
    double x = 0;
    add(NodeKind::Source, x, kRow, src);
    add(NodeKind::Format, x += kStep, kRow, fmt);
    if (spec.transform) {
        QVariantMap t{{"uri", qstr(spec.transform->uri)},
                      {"unused", qstr(spec.transform->unused)},
                      {"args", qstr(spec.transform->args)},
                      {"script", ""}};
        add(NodeKind::Transform, x += kStep, kRow, t);
    }
    add(NodeKind::Table, x + kStep, kRow, tab);
    add(NodeKind::Options, 0, 2 * kRow + 2 * kGrid, opt);
    fromJson(QJsonObject{{"version", 1}, {"nodes", nodes}, {"edges", edges}});
    return {};
}

Status PipelineDocument::fromSqlScript(std::string_view script) {
    auto statements = sql::splitStatements(script);
    if (!statements)
        return statements.status();
    std::optional<PipelineSpec> spec;
    std::string tableSql;
    for (const sql::StatementText& s : statements.value()) {
        auto where = [&](const Status& st) {
            return Status(st.code(),
                          "statement at line " + std::to_string(s.line) + ": " + st.message());
        };
        if (sql::isPipelineStatement(s.text)) {
            auto parsed = sql::parsePipelineStatement(s.text);
            if (!parsed)
                return where(parsed.status());
            if (!std::holds_alternative<sql::CreatePipeline>(parsed.value()))
                return where({ErrorCode::InvalidArgument, "only CREATE PIPELINE belongs here"});
            if (spec)
                return where({ErrorCode::InvalidArgument, "one CREATE PIPELINE per design"});
            spec = std::get<sql::CreatePipeline>(parsed.value()).spec;
            continue;
        }
        auto table = parseCreateTable(s.text);
        if (!table)
            return where(table.status());
        if (!tableSql.empty())
            return where({ErrorCode::InvalidArgument, "one CREATE TABLE per design"});
        tableSql = std::string(s.text);
    }
    if (!spec)
        return {ErrorCode::InvalidArgument, "no CREATE PIPELINE statement"};
    if (!tableSql.empty()) {
        auto table = parseCreateTable(tableSql);
        if (qstr(table->name).compare(qstr(spec->target), Qt::CaseInsensitive) != 0)
            return {ErrorCode::InvalidArgument, "CREATE TABLE " + table->name +
                                                    " is not the pipeline's target " +
                                                    spec->target};
    }
    return fromSpec(*spec, tableSql);
}

} // namespace sluice::ui::designer
