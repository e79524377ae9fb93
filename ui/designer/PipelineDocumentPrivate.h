#pragma once
// Shared by PipelineDocument.cpp and PipelineDocumentSql.cpp; not part of the designer's API.

#include "sql/PipelineStatement.h"

#include <QStringList>

namespace sluice::ui::designer::detail {

// The Options node's "errorPolicy" choices, in the order of errorPolicyValue's indexes.
const QStringList& errorPolicyNames();
// The policy of a choice index; an index out of range (-1: not a known choice) gives Default.
sql::ErrorPolicy errorPolicyValue(qsizetype index);

} // namespace sluice::ui::designer::detail
