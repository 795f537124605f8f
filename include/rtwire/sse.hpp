// rtwire — Server-Sent Events: everything an SSE-only user needs, in one include.
//   sse/decoder.hpp  WHATWG-exact `text/event-stream` decoder (sans-IO, zero-copy)
//   sse/encoder.hpp  injection-safe event writer + response head / Last-Event-ID helpers
//   sse/replay.hpp   Last-Event-ID resume on the message log (core/log.hpp)
#pragma once

#include "rtwire/core/log.hpp"
#include "rtwire/sse/decoder.hpp"
#include "rtwire/sse/encoder.hpp"
#include "rtwire/sse/error.hpp"
#include "rtwire/sse/prepared.hpp"
#include "rtwire/sse/replay.hpp"
