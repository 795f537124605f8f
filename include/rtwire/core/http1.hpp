// rtwire — HTTP/1.1 heads: the bounded sans-IO request/response head parser
// (rtwire/core/http1_parser.hpp) and the validating head writer (rtwire/core/http1_writer.hpp).
#pragma once

#include "rtwire/core/http1_parser.hpp"
#include "rtwire/core/http1_writer.hpp"
