#pragma once
// Renders result sets for `sluicectl sql --format table|csv|json`.

#include "store/SqlSession.h"

#include <ostream>
#include <string>

namespace sluicectl {

enum class OutputFormat { Table, Csv, Json };

void printResult(std::ostream& out, const sluice::store::ExecResult& result, OutputFormat format);

} // namespace sluicectl
