// rtwire — the WebSocket opening handshake (RFC 6455 §4), both roles, sans-IO.
//
// Server role:
//   rtwire::ws::server_handshake hs;
//   auto r = hs.feed(bytes);                 // repeat while r.status == need_more
//   if (r.status == server_handshake::state::request_ready) {
//     // policy: look at hs.request().origin, .protocols, .extensions, .target
//     if (auto ec = hs.accept(out, {.protocol = "chat"})) return ec;  // e.g. "chat" not offered
//     // `out` holds the 101 response; bytes.substr(r.consumed) are the first WebSocket frames:
//     // hand them to the connection
//   } else if (r.status == server_handshake::state::rejected) {
//     hs.write_rejection(out);               // 400 / 426 / 431 / 505, then close
//   }
//
// Client role:
//   rtwire::ws::client_handshake hs;
//   hs.write_request(out, {.host = "example.com", .target = "/chat"}, nonce16);
//   auto r = hs.feed(response_bytes);        // accepted / declined / failed / need_more
//
// Nothing here performs I/O, reads a clock or draws random bytes: the nonce comes from the caller.
#pragma once

#include "rtwire/ws/client_handshake.hpp"
#include "rtwire/ws/error.hpp"
#include "rtwire/ws/handshake_base.hpp"
#include "rtwire/ws/server_handshake.hpp"
