// Fuzz target: SHA-1, portable vs SHA-NI, whole vs in pieces (FIPS 180-4), and the
// Sec-WebSocket-Accept shortcut vs its definition (RFC 6455 §4.2.2 /5.4).
//
// The piece lengths come from the input itself: at each position the byte there gives the next
// piece's length (0..130, so pieces fall inside, on and across block boundaries; a zero byte
// also makes an empty update). On a CPU without SHA-NI the dispatched path is the portable one
// and the target still checks split-invariance.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "rtwire/core/base64.hpp"
#include "rtwire/core/sha1.hpp"
#include "rtwire/detail/cpu.hpp"
#include "rtwire/ws/accept_key.hpp"

namespace {

namespace sha1 = rtwire::sha1;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

sha1::digest hash_in_pieces(const std::uint8_t* data, std::size_t size) {
  const rtwire::bytes_view in(reinterpret_cast<const std::byte*>(data), size);
  sha1::hasher h;
  std::size_t at = 0;
  while (at < size) {
    std::size_t n = data[at] % 131u;
    if (n == 0) {
      h.update(rtwire::bytes_view());
      n = 1;
    }
    if (n > size - at) n = size - at;
    h.update(in.subspan(at, n));
    at += n;
  }
  return h.finish();
}

std::string accept_by_definition(std::string_view key) {
  sha1::hasher h;
  h.update(key);
  h.update(rtwire::ws::websocket_guid);
  const sha1::digest d = h.finish();
  std::string out;
  rtwire::base64::encode_append(std::as_bytes(std::span(d)), out);
  return out;
}

struct results {
  sha1::digest whole;
  sha1::digest pieces;
  std::string accept;
};

results run(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::array<char, rtwire::ws::accept_key_size> accept{};
  rtwire::ws::compute_accept_key(text, accept.data());
  check(std::string_view(accept.data(), accept.size()) == accept_by_definition(text));
  return {sha1::hash(text), hash_in_pieces(data, size), std::string(accept.data(), accept.size())};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace cpu = rtwire::detail;
  cpu::cpu_features_override(0);
  const results portable = run(data, size);
  cpu::cpu_features_override(cpu::all_features);
  const results native = run(data, size);

  check(portable.pieces == portable.whole);
  check(native.whole == portable.whole);
  check(native.pieces == portable.whole);
  check(native.accept == portable.accept);
  return 0;
}
