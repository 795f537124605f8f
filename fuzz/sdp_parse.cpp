// Fuzz target: SDP parsing in strict and lenient mode (RFC 8866).
// Invariants checked for every input:
//  - for every accepted input, format(parse(x)) == x, byte for byte (both modes);
//  - whatever strict mode accepts, lenient mode accepts with the same model;
//  - the canonical form of a parsed session (format of to_owned) parses again, in lenient mode,
//    into the same model (and is a fixed point of the canonical writer);
//  - a reused session gives the same result as a fresh one.
#include <rtwire/sdp.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

rtwire::sdp::session& reused() {
  static rtwire::sdp::session s;
  return s;
}

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  rtwire::sdp::parse_options strict_opts;
  rtwire::sdp::parse_options lenient_opts;
  lenient_opts.mode = rtwire::sdp::mode::lenient;
  // Small limits so that the fuzzer also reaches the limit paths.
  strict_opts.limits.max_media = lenient_opts.limits.max_media = 8;
  strict_opts.limits.max_attributes = lenient_opts.limits.max_attributes = 64;

  rtwire::sdp::session strict;
  const auto strict_err = rtwire::sdp::parse(text, strict, strict_opts);
  rtwire::sdp::session lenient;
  const auto lenient_err = rtwire::sdp::parse(text, lenient, lenient_opts);

  // Reusing a session (whatever it held before) changes nothing.
  const auto again = rtwire::sdp::parse(text, reused(), strict_opts);
  check(again.code == strict_err.code && again.line == strict_err.line &&
        again.column == strict_err.column);

  if (!strict_err) {
    check(rtwire::sdp::to_string(strict) == text);
    check(!lenient_err);
    check(rtwire::sdp::to_owned(strict) == rtwire::sdp::to_owned(lenient));
  }
  if (!lenient_err) {
    check(rtwire::sdp::to_string(lenient) == text);
    const auto owned = rtwire::sdp::to_owned(lenient);
    const std::string canonical = rtwire::sdp::to_string(owned);
    rtwire::sdp::session reparsed;
    check(!rtwire::sdp::parse(canonical, reparsed, lenient_opts));
    const auto owned2 = rtwire::sdp::to_owned(reparsed);
    check(owned2 == owned);
    check(rtwire::sdp::to_string(owned2) == canonical);
  } else {
    // Every rejection has a reason and, unless it is about the whole input, a position.
    check(static_cast<bool>(lenient_err.code));
    check(lenient_err.line > 0 || lenient_err.code == rtwire::sdp::error::empty ||
          lenient_err.code == rtwire::sdp::error::too_large);
  }
  return 0;
}
