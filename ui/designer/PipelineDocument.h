#pragma once
// PipelineDocument: the pipeline designer's source of truth. An id-based graph of nodes
// (Source, Format, Transform, Table, Options) with properties and positions, and edges between
// node ids. The scene only mirrors its signals; undo commands change it by id.
//
// A document describes one pipeline: at most one node of each kind, connected
// Source -> Format -> [Transform ->] Table. Options (pipeline name, batch options, error policy)
// stands alone. toSpec()/fromSpec() convert to and from the engine's PipelineSpec plus the
// CREATE TABLE text; parse -> document -> SQL -> parse gives an equal spec (the bookkeeping
// flags are kept as hidden properties).
//
// Threading: GUI thread only.

#include "common/Result.h"
#include "sql/PipelineStatement.h"

#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QObject>
#include <QPointF>
#include <QString>
#include <QStringList>
#include <QVariantMap>

#include <string>
#include <string_view>

namespace sluice::ui::designer {

// The CREDENTIALS text SHOW CREATE PIPELINE and the SQL pane show instead of the real JSON.
inline constexpr const char* kRedactedCredentials = "<redacted>";

enum class NodeKind { Source, Format, Transform, Table, Options };

QString nodeKindName(NodeKind kind); // "Source", "Format", ...
bool nodeKindFromName(const QString& name, NodeKind* kind);
bool hasInputPort(NodeKind kind);  // Format, Transform, Table
bool hasOutputPort(NodeKind kind); // Source, Format, Transform

struct DesignerNode {
    int id = 0;
    NodeKind kind = NodeKind::Source;
    QPointF pos;
    QVariantMap props;
};

struct DesignerEdge {
    int from = 0;
    int to = 0;
    bool operator==(const DesignerEdge&) const = default;
};

// How the inspector edits one property. Hidden bookkeeping properties have no descriptor.
struct PropertyDescriptor {
    enum class Type { Text, Password, Escaped, Int, Bool, Choice, Multiline };
    QString key;
    QString label;
    Type type = Type::Text;
    QStringList choices; // Choice
    QString tip;
};

class PipelineDocument : public QObject {
    Q_OBJECT
public:
    static constexpr int kGrid = 20;

    explicit PipelineDocument(QObject* parent = nullptr);

    // Adds a node whose properties are the kind's defaults overlaid with props. id 0 picks a
    // new id; a given id (undo/redo restoring a node) must not be in use. Returns the id.
    int addNode(NodeKind kind, QPointF pos, const QVariantMap& props = {}, int id = 0);
    // Removes the node and its edges (edgeRemoved is emitted for each edge first).
    bool removeNode(int id);
    void moveNode(int id, QPointF pos);
    // Merges changes into the node's properties.
    void setProperties(int id, const QVariantMap& changes);
    // Adds a valid edge; otherwise false with the reason in *why.
    bool addEdge(int from, int to, QString* why = nullptr);
    bool removeEdge(int from, int to);
    void clear();

    // Why a node of this kind cannot be added (one per kind), empty when it can.
    QString checkNewNode(NodeKind kind) const;
    // Why from -> to is not a valid connection, empty when it is. Valid: Source -> Format,
    // Format -> Transform, Format -> Table, Transform -> Table; one edge in and out per node.
    QString checkConnection(int from, int to) const;

    const DesignerNode* node(int id) const;
    QList<int> nodeIds() const { return m_nodes.keys(); }
    const QList<DesignerEdge>& edges() const { return m_edges; }
    int nodeOf(NodeKind kind) const; // 0 when none
    int nodeCount() const { return static_cast<int>(m_nodes.size()); }
    QString nodeTitle(int id) const;
    QString nodeSubtitle(int id) const;

    // The whole document (nodes with positions and properties, edges): the layout file and the
    // snapshot undo uses for Apply SQL. fromJson replaces the document (documentReset()).
    QJsonObject toJson() const;
    bool fromJson(const QJsonObject& json, QString* error = nullptr);
    // Moves each node to where a node of the same kind is in layout (a toJson() object); nodes
    // of kinds the layout lacks stay put. Edges and properties are untouched.
    void placeLike(const QJsonObject& layout);

    // The connected chain as a spec. InvalidArgument naming what is missing or malformed.
    Result<sql::PipelineSpec> toSpec() const;
    // CREATE [REFERENCE] TABLE from the Table node; empty when there is no Table node or it
    // targets a procedure.
    std::string createTableSql() const;
    // CREATE TABLE ...;\n\nCREATE PIPELINE ...; (credentials redacted when asked).
    Result<std::string> toSqlScript(bool redactCredentials) const;

    // Replaces the document with a laid-out chain for spec; tableSql is a CREATE TABLE
    // statement for the target (may be empty). Syntax error when tableSql does not parse.
    Status fromSpec(const sql::PipelineSpec& spec, std::string_view tableSql);
    // Parses a script holding one CREATE PIPELINE and optionally a CREATE TABLE for its target
    // (other statements are an error) and replaces the document.
    Status fromSqlScript(std::string_view script);

    static QVariantMap defaultProperties(NodeKind kind);
    static QList<PropertyDescriptor> properties(NodeKind kind);

signals:
    void nodeAdded(int id);
    void nodeRemoved(int id);
    void nodeMoved(int id);
    void nodeChanged(int id);
    void edgeAdded(int from, int to);
    void edgeRemoved(int from, int to);
    void documentReset();
    // Any change at all (for the live SQL pane).
    void changed();

private:
    int successor(int id) const; // 0 when none
    int predecessor(int id) const;

    QMap<int, DesignerNode> m_nodes;
    QList<DesignerEdge> m_edges;
    int m_nextId = 1;
};

// A CREATE [REFERENCE] TABLE statement split into the parts the Table node edits.
struct TableDefinition {
    std::string name;
    bool reference = false;
    std::vector<std::string> definitions; // column and constraint definitions as written
    std::vector<std::string> shardKey;
};
Result<TableDefinition> parseCreateTable(std::string_view statement);
std::string createTableSql(const TableDefinition& table);

// parsePipelineStatement, also accepting the redacted placeholder as CREDENTIALS (the text SHOW
// CREATE PIPELINE and the SQL pane give): the spec then holds kRedactedCredentials.
Result<sql::PipelineStatement> parsePipelineAllowingRedacted(std::string_view statement);

// Shows \t \n \r \\ and \0 as escapes, so a one-line editor can hold terminators.
QString escapeControl(const QString& text);
QString unescapeControl(const QString& text);

} // namespace sluice::ui::designer
