// rtwire — TURN (RFC 8656): the relay server as a sans-IO state machine on the STUN codec, its
// peer policy (SSRF-safe by default), long-term and TURN REST API credentials, and the
// ChannelData vocabulary.
#pragma once

#include "rtwire/turn/allocation.hpp"
#include "rtwire/turn/credentials.hpp"
#include "rtwire/turn/error.hpp"
#include "rtwire/turn/peer_policy.hpp"
#include "rtwire/turn/protocol.hpp"
#include "rtwire/turn/server.hpp"
#include "rtwire/turn/types.hpp"
