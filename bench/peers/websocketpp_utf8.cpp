// websocketpp's UTF-8 validator (Björn Höhrmann's DFA, one byte per step), compiled as C++17
// because websocketpp does not build as C++20. Declared in peers.hpp.
#include <websocketpp/utf8_validator.hpp>

#include <cstddef>
#include <string_view>

#include "peers.hpp"

namespace rtwire_bench {

bool websocketpp_utf8_valid(std::string_view text, std::size_t chunk) {
  websocketpp::utf8_validator::validator validator;
  if (chunk == 0) chunk = text.size();
  for (std::size_t at = 0; at < text.size(); at += chunk) {
    const std::size_t n = text.size() - at < chunk ? text.size() - at : chunk;
    // One call per chunk, as websocketpp's connection does for each piece of a text message.
    if (!validator.decode(text.data() + at, text.data() + at + n)) return false;
  }
  return validator.complete();
}

}  // namespace rtwire_bench
