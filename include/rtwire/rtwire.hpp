// rtwire — umbrella header: includes every codec. Prefer the per-codec headers when you need one.
#pragma once

#include "rtwire/core/bytes.hpp"
#include "rtwire/core/error.hpp"
