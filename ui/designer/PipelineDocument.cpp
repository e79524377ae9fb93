#include "PipelineDocument.h"

#include "PipelineDocumentPrivate.h"

#include <QFileInfo>
#include <QJsonArray>

#include <algorithm>

namespace sluice::ui::designer {

namespace {

using sql::PipelineSpec;

QString qstr(const std::string& s) {
    return QString::fromStdString(s);
}

const QStringList kErrorPolicies = {
    "Default",           "Replace", "Ignore", "Skip all errors", "Skip duplicate key errors",
    "Skip parser errors"};
const sql::ErrorPolicy kErrorPolicyValues[] = {
    sql::ErrorPolicy::Default, sql::ErrorPolicy::Replace,          sql::ErrorPolicy::Ignore,
    sql::ErrorPolicy::SkipAll, sql::ErrorPolicy::SkipDuplicateKey, sql::ErrorPolicy::SkipParser};

} // namespace

namespace detail {

const QStringList& errorPolicyNames() {
    return kErrorPolicies;
}

sql::ErrorPolicy errorPolicyValue(qsizetype index) {
    return kErrorPolicyValues[std::clamp<qsizetype>(index, 0, kErrorPolicies.size() - 1)];
}

} // namespace detail

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

void PipelineDocument::placeLike(const QJsonObject& layout) {
    for (const QJsonValue& v : layout.value("nodes").toArray()) {
        const QJsonObject o = v.toObject();
        NodeKind kind = NodeKind::Source;
        if (!nodeKindFromName(o.value("kind").toString(), &kind))
            continue;
        const int id = nodeOf(kind);
        if (id != 0)
            moveNode(id, QPointF(o.value("x").toDouble(), o.value("y").toDouble()));
    }
}

} // namespace sluice::ui::designer
