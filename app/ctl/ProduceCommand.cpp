#include "Commands.h"

namespace sluicectl {

int produceCommand(const Args&) { return fail("'produce' is not built yet"); }

} // namespace sluicectl
