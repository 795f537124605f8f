// rtwire — the WebSocket codec (RFC 6455): everything a WebSocket-only user needs.
#pragma once

#include "rtwire/ws/accept_key.hpp"
#include "rtwire/ws/compression.hpp"
#include "rtwire/ws/connection.hpp"
#include "rtwire/ws/decoder.hpp"
#include "rtwire/ws/deflate.hpp"
#include "rtwire/ws/error.hpp"
#include "rtwire/ws/frame.hpp"
#include "rtwire/ws/handshake.hpp"
#include "rtwire/ws/prepared.hpp"
