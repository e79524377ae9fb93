#include "StoredPipeline.h"

#include "PipelineDocument.h"

#include "pipeline/PipelineCatalog.h"
#include "pipeline/StatementExecutor.h"
#include "sql/PipelineStatement.h"
#include "store/SqlSession.h"

#include <algorithm>
#include <map>

namespace sluice::ui::designer {

namespace {

// The catalog as an SqlSession attaches it.
constexpr const char* kCatalogSchema = "information_schema";
// Every shard holds every table with the same columns; shard 0 always exists.
constexpr const char* kFirstShard = "s0";

std::string sqlString(const std::string& text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'')
            out += '\'';
        out += c;
    }
    return out + "'";
}

} // namespace

Result<std::vector<std::string>> storedPipelineNames(pipeline::StatementExecutor& executor) {
    auto shown = executor.execute("SHOW PIPELINES");
    if (!shown)
        return shown.status();
    std::vector<std::string> names;
    for (const auto& row : shown->rows) {
        if (!row.empty())
            names.push_back(row[0].s);
    }
    return names;
}

Result<StoredPipeline> readStoredPipeline(pipeline::StatementExecutor& executor,
                                          const std::string& name) {
    auto shown = executor.execute("SHOW CREATE PIPELINE " + sql::quotePipelineIdentifier(name));
    if (!shown)
        return shown.status();
    if (shown->rows.size() != 1 || shown->rows[0].size() < 2)
        return Status(ErrorCode::Internal, "SHOW CREATE PIPELINE " + name + " gave no definition");
    StoredPipeline out;
    out.name = name;
    out.createPipelineSql = shown->rows[0][1].s;

    auto parsed = parsePipelineAllowingRedacted(out.createPipelineSql);
    if (!parsed)
        return parsed.status();
    const auto* create = std::get_if<sql::CreatePipeline>(&parsed.value());
    if (!create)
        return Status(ErrorCode::Internal,
                      "SHOW CREATE PIPELINE " + name + " did not give a CREATE PIPELINE");
    out.spec = create->spec;
    if (create->spec.targetKind == sql::TargetKind::Table) {
        auto table = reconstructCreateTable(executor.session(), create->spec.target);
        if (table)
            out.createTableSql = table.value();
        else if (table.status().code() != ErrorCode::NotFound)
            return table.status();
    }

    pipeline::PipelineCatalog catalog(executor.session().db(), kCatalogSchema);
    auto layout = catalog.layout(name);
    if (!layout)
        return layout.status();
    out.layoutJson = layout.value();
    return out;
}

Result<std::string> reconstructCreateTable(store::SqlSession& session, const std::string& table) {
    auto tables = session.tables();
    if (!tables)
        return tables.status();
    const std::string wanted = store::lowerAscii(table);
    auto info = std::find_if(tables->begin(), tables->end(), [&](const store::TableInfo& t) {
        return store::lowerAscii(t.name) == wanted;
    });
    if (info == tables->end())
        return Status(ErrorCode::NotFound, "table '" + table + "' does not exist");

    auto columns = session.execute("SELECT name, type, \"notnull\", dflt_value, pk FROM "
                                   "pragma_table_info(" +
                                   sqlString(info->name) + ", " + sqlString(kFirstShard) + ")");
    if (!columns)
        return columns.status();
    if (columns->rows.empty())
        return Status(ErrorCode::Internal, "table '" + info->name + "' has no columns in shard 0");

    TableDefinition definition;
    definition.name = info->name;
    definition.reference = info->kind == store::TableKind::Reference;
    definition.shardKey = info->shardKey;
    std::map<int64_t, std::string> primaryKey; // position in the key -> column
    for (const auto& row : columns->rows) {
        if (row.size() < 5)
            continue;
        if (row[4].i > 0)
            primaryKey[row[4].i] = row[0].s;
    }
    for (const auto& row : columns->rows) {
        if (row.size() < 5)
            continue;
        std::string column = sql::quotePipelineIdentifier(row[0].s);
        if (!row[1].s.empty())
            column += " " + row[1].s;
        if (primaryKey.size() == 1 && row[4].i > 0)
            column += " PRIMARY KEY";
        if (row[2].i != 0)
            column += " NOT NULL";
        if (row[3].type != store::Value::Type::Null)
            column += " DEFAULT " + row[3].s;
        definition.definitions.push_back(column);
    }
    if (primaryKey.size() > 1) {
        std::string key = "PRIMARY KEY (";
        for (auto it = primaryKey.begin(); it != primaryKey.end(); ++it)
            key +=
                (it == primaryKey.begin() ? "" : ", ") + sql::quotePipelineIdentifier(it->second);
        definition.definitions.push_back(key + ")");
    }
    return createTableSql(definition);
}

Status saveStoredLayout(pipeline::StatementExecutor& executor, const std::string& name,
                        const std::string& layoutJson) {
    pipeline::PipelineCatalog catalog(executor.session().db(), kCatalogSchema);
    return catalog.setLayout(name, layoutJson);
}

Result<std::string> storedCredentials(pipeline::StatementExecutor& executor,
                                      const std::string& name) {
    pipeline::PipelineCatalog catalog(executor.session().db(), kCatalogSchema);
    auto row = catalog.get(name);
    if (!row)
        return row.status();
    if (!row->has_value())
        return Status(ErrorCode::NotFound, "pipeline '" + name + "' does not exist");
    return (*row)->credentials;
}

} // namespace sluice::ui::designer
