// sluicectl sql --store DIR [--shards N] [-e SQL]... [FILE|-] [--format table|csv|json]
#include "Commands.h"
#include "ResultPrinter.h"

#include "pipeline/StatementExecutor.h"
#include "store/Store.h"

#include <fstream>
#include <iostream>
#include <sstream>

namespace sluicectl {

int sqlCommand(const Args& args) {
    ArgReader a(args);
    std::string storeDir, shardsText, formatText = "table", value, error;
    std::vector<std::string> scripts; // in command-line order
    while (!a.done()) {
        if (a.option("--store", storeDir, error) || a.option("--shards", shardsText, error) ||
            a.option("--format", formatText, error)) {
            if (!error.empty())
                return fail(error);
            continue;
        }
        if (a.option("-e", value, error)) {
            if (!error.empty())
                return fail(error);
            scripts.push_back(value);
            continue;
        }
        std::string arg = a.take();
        if (arg == "-") {
            std::stringstream ss;
            ss << std::cin.rdbuf();
            scripts.push_back(ss.str());
        } else if (!arg.empty() && arg[0] == '-') {
            return fail("unknown option '" + arg + "' for sql");
        } else {
            std::ifstream in(arg);
            if (!in)
                return fail("cannot read SQL file '" + arg + "'");
            std::stringstream ss;
            ss << in.rdbuf();
            scripts.push_back(ss.str());
        }
    }
    if (storeDir.empty())
        return fail("sql needs --store DIR");
    OutputFormat format;
    if (formatText == "table")
        format = OutputFormat::Table;
    else if (formatText == "csv")
        format = OutputFormat::Csv;
    else if (formatText == "json")
        format = OutputFormat::Json;
    else
        return fail("--format must be table, csv or json (got '" + formatText + "')");
    int shards = 0;
    if (!shardsText.empty()) {
        try {
            size_t used = 0;
            shards = std::stoi(shardsText, &used);
            if (used != shardsText.size())
                throw std::invalid_argument(shardsText);
        } catch (const std::exception&) {
            return fail("--shards must be a number from 1 to 8 (got '" + shardsText + "')");
        }
        if (shards < 1 || shards > sluice::store::kMaxShards)
            return fail("--shards must be between 1 and 8 (got " + shardsText + ")");
    }
    if (scripts.empty()) {
        std::stringstream ss;
        ss << std::cin.rdbuf();
        scripts.push_back(ss.str());
    }
    auto store = sluice::store::Store::open(storeDir, {shards, true});
    if (!store.ok())
        return fail(store.status().message());
    if ((*store)->shardCountIgnored())
        std::cerr << "note: store " << storeDir << " already has " << (*store)->shardCount()
                  << " shards; --shards " << shards << " ignored\n";
    auto exec = sluice::pipeline::StatementExecutor::open(*store);
    if (!exec.ok())
        return fail(exec.status().message());
    for (auto& script : scripts) {
        sluice::Status st = (*exec)->executeScript(script, [&](const sluice::store::ExecResult& r) {
            printResult(std::cout, r, format);
        });
        std::cout.flush();
        if (!st.ok())
            return fail(st.toString());
    }
    return 0;
}

} // namespace sluicectl
