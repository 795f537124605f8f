// Compiles rtwire/ws/deflate_codec.hpp alone (first include), with exceptions and RTTI off, like
// VERIFY_INTERFACE_HEADER_SETS does for the headers that need no zlib.
#include <rtwire/ws/deflate_codec.hpp>
