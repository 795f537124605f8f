// Test support for permessage-deflate: connections with a zlib codec, a driver that feeds bytes in
// any chunks and logs what the connection reports, for both delivery modes.
#pragma once

#include <rtwire/ws/connection.hpp>
#include <rtwire/ws/deflate.hpp>
#include <rtwire/ws/deflate_codec.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "catch.hpp"
#include "ws/autobahn_harness.hpp"

namespace rtwire::test::deflate {

using namespace rtwire::ws;

using rtwire::test::ws::counting_keys;  // deterministic masking keys, as the ws tests use

inline std::string hex(std::string_view s) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (!out.empty()) out.push_back(' ');
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

inline std::string from_hex(std::string_view h) {
  std::string out;
  for (std::size_t i = 0; i + 1 < h.size();) {
    if (h[i] == ' ') {
      ++i;
      continue;
    }
    const auto v = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
    out.push_back(static_cast<char>(v(h[i]) * 16 + v(h[i + 1])));
    i += 2;
  }
  return out;
}

/// What a connection reported for a byte stream: whole messages ("text:Hello", "binary:<n>"),
/// reassembled from streaming pieces when needed, and the error if one happened.
struct outcome {
  std::vector<std::string> messages;  // "text:" or "binary:" + payload
  std::error_code error;
  close_code code = close_code::none;
  std::size_t largest_piece = 0;  // streaming: the largest piece handed out
  std::string sent;               // what the connection queued (its close frame, ...)
};

inline std::unique_ptr<compression> codec_for(const deflate_params& p, role r,
                                              const deflate_codec_options& o = {}) {
  return make_deflate_codec(p, r, o);
}

/// Feeds `chunks` to a fresh connection of role `r` with a codec for `p`.
inline outcome run(role r, const deflate_params& p, const std::vector<std::string_view>& chunks,
                   delivery mode = delivery::whole_message, limits lim = {}, bool collect = true) {
  counting_keys keys;
  connection conn(r, {.mode = mode, .limit = lim, .keys = keys}, codec_for(p, r));
  outcome o;
  std::string partial;
  for (std::string_view c : chunks) {
    std::string buf(c);
    REQUIRE_FALSE(conn.feed(buf.data(), buf.size()));
    for (event ev = conn.next(); ev.type != event_type::need_more; ev = conn.next()) {
      if (ev.type == event_type::error) {
        o.error = conn.failure().code;
        o.code = conn.failure().close;
        break;
      }
      if (ev.type != event_type::text && ev.type != event_type::binary) continue;
      o.largest_piece = std::max(o.largest_piece, ev.data.size());
      if (collect) partial.append(ev.text());
      if (ev.message_finished) {
        o.messages.push_back((ev.type == event_type::text ? "text:" : "binary:") + partial);
        partial.clear();
      }
    }
    if (o.error) break;
  }
  o.sent = std::string(rtwire::as_chars(conn.output()));
  return o;
}

}  // namespace rtwire::test::deflate
