// rtwire — umbrella header: includes every codec. Prefer the per-codec headers when you need one.
#pragma once

#include "rtwire/core/base64.hpp"
#include "rtwire/core/bytes.hpp"
#include "rtwire/core/error.hpp"
#include "rtwire/core/http1.hpp"
#include "rtwire/core/log.hpp"
#include "rtwire/core/sha1.hpp"
#include "rtwire/core/utf8.hpp"
#include "rtwire/longpoll.hpp"
#include "rtwire/sdp.hpp"
#include "rtwire/sse.hpp"
#include "rtwire/version.hpp"
#include "rtwire/ws.hpp"
