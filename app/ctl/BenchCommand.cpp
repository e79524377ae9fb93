#include "Commands.h"

namespace sluicectl {

int benchCommand(const Args&) { return fail("'bench' is not built yet"); }

} // namespace sluicectl
