#include "Commands.h"

namespace sluicectl {

int runCommand(const Args&) { return fail("'run' is not built yet"); }

} // namespace sluicectl
