#include "Commands.h"

namespace sluicectl {

int brokerCommand(const Args&) { return fail("'broker' is not built yet"); }

} // namespace sluicectl
