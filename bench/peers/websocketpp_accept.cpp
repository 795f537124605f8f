// websocketpp glue for bench/accept_key.cpp (C++17: websocketpp does not build as C++20).
#include <websocketpp/base64/base64.hpp>
#include <websocketpp/sha1/sha1.hpp>

#include <cstddef>
#include <string>
#include <string_view>

#include "peers.hpp"

namespace rtwire_bench {

std::string websocketpp_accept_key(std::string_view key) {
  // As websocketpp::processor::hybi13::process_handshake_key does it.
  std::string message(key);
  message.append("258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
  unsigned char digest[20];
  websocketpp::sha1::calc(message.c_str(), message.length(), digest);
  return websocketpp::base64_encode(digest, 20);
}

void websocketpp_sha1(const void* data, std::size_t size, unsigned char* digest) {
  websocketpp::sha1::calc(data, size, digest);
}

}  // namespace rtwire_bench
