// Compiles rtwire/fmt.hpp alone (first include), like VERIFY_INTERFACE_HEADER_SETS does for the
// rest.
#include <rtwire/fmt.hpp>
