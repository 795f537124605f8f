// websocketpp's frame layer for bench/ws_frames.cpp, compiled as C++17 (websocketpp does not
// build as C++20). Declared in peers.hpp.
#include <websocketpp/config/core.hpp>
#include <websocketpp/frame.hpp>
#include <websocketpp/processors/hybi13.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "peers.hpp"

namespace rtwire_bench {

void websocketpp_unmask(unsigned char* data, std::size_t size, const unsigned char key[4]) {
  websocketpp::frame::masking_key_type k;
  std::memcpy(k.c, key, 4);
  // What hybi13::process_payload_bytes uses for a payload (word at a time, then bytes).
  websocketpp::frame::word_mask_exact(data, size, k);
}

std::size_t websocketpp_decode_frames(unsigned char* data, std::size_t size) {
  using config = websocketpp::config::core;
  using processor = websocketpp::processor::hybi13<config>;
  config::rng_type rng;
  auto manager = websocketpp::lib::make_shared<config::con_msg_manager_type>();
  processor p(false, true, manager, rng);
  p.set_max_message_size(std::size_t{64} << 20);
  std::size_t messages = 0;
  std::size_t at = 0;
  while (at < size) {
    websocketpp::lib::error_code ec;
    at += p.consume(data + at, size - at, ec);
    if (ec) return 0;
    // hybi13 validates text messages as UTF-8 while it copies the payload into the message.
    while (p.ready()) {
      if (!p.get_message()) return 0;
      ++messages;
    }
  }
  return messages;
}

}  // namespace rtwire_bench
