// Plain-function entry points into peer libraries whose headers cannot share a translation unit
// with rtwire (websocketpp needs C++17). Each is defined in peers/<peer>_<topic>.cpp.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
