#include "Commands.h"

namespace sluicectl {

int sqlCommand(const Args&) { return fail("'sql' is not built yet"); }

} // namespace sluicectl
