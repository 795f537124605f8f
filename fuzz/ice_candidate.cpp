// Fuzz target: ICE candidate parsing and serialisation (RFC 8839 §5.1).
// Invariants checked for every input:
//  - whatever strict mode accepts, lenient mode accepts with the same fields;
//  - an accepted candidate serialises to text that parses again (same mode) into the same
//    candidate, and that text is a fixed point of serialise(parse(.));
//  - a parsed priority never exceeds 2^32-1 (2^31-1 in strict mode): nothing wraps.
#include <rtwire/sdp/candidate.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

bool same(const rtwire::sdp::candidate& a, const rtwire::sdp::candidate& b) {
  if (a.extension_count != b.extension_count) return false;
  for (std::size_t i = 0; i < a.extension_count; ++i)
    if (!(a.extension_storage[i] == b.extension_storage[i])) return false;
  return a.prefix == b.prefix && a.foundation == b.foundation && a.component == b.component &&
         a.transport == b.transport && a.priority == b.priority && a.address == b.address &&
         a.port == b.port && a.type == b.type && a.related_address == b.related_address &&
         a.related_port == b.related_port && a.tcptype == b.tcptype &&
         a.related_address_index == b.related_address_index &&
         a.related_port_index == b.related_port_index && a.tcptype_index == b.tcptype_index;
}

void round_trip(const rtwire::sdp::candidate& c, rtwire::sdp::mode m) {
  const std::string text = rtwire::sdp::to_string(c);
  rtwire::sdp::candidate back;
  check(!rtwire::sdp::parse_candidate(text, back, {.mode = m}));
  check(same(c, back));
  check(rtwire::sdp::to_string(back) == text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  rtwire::sdp::candidate strict;
  rtwire::sdp::candidate lenient;
  const auto strict_err =
      rtwire::sdp::parse_candidate(text, strict, {.mode = rtwire::sdp::mode::strict});
  const auto lenient_err =
      rtwire::sdp::parse_candidate(text, lenient, {.mode = rtwire::sdp::mode::lenient});
  if (!strict_err) {
    check(strict.priority >= 1 && strict.priority <= 0x7fffffffu);
    check(!lenient_err);
    check(same(strict, lenient));
    round_trip(strict, rtwire::sdp::mode::strict);
  } else {
    check(strict_err.line == 1 && strict_err.column >= 1 && strict_err.column <= size + 1);
  }
  if (!lenient_err) {
    check(lenient.priority <= 0xffffffffu);
    round_trip(lenient, rtwire::sdp::mode::lenient);
  }
  return 0;
}
