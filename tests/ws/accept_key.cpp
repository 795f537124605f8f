// Sec-WebSocket-Accept (RFC 6455 §4.2.2 /5.4): the §1.3 example, known answers for every key
// length that takes a different path (one block, two blocks, the hasher), on each SHA-1 path.
#include "rtwire/ws/accept_key.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "catch.hpp"
#include "rtwire/core/base64.hpp"
#include "rtwire/core/sha1.hpp"

namespace {

namespace ws = rtwire::ws;
namespace cpu = rtwire::detail;

class forced_path {
 public:
  explicit forced_path(std::uint32_t mask) noexcept { cpu::cpu_features_override(mask); }
  ~forced_path() { cpu::cpu_features_override(cpu::all_features); }
  forced_path(const forced_path&) = delete;
  forced_path& operator=(const forced_path&) = delete;
};

struct path {
  const char* name;
  std::uint32_t mask;
};

std::vector<path> paths() {
  std::vector<path> out{{"scalar", 0}};
  const forced_path all(cpu::all_features);
  if (rtwire::sha1::detail::uses_shani()) {
    out.push_back({"sha-ni", cpu::cpu_sha | cpu::cpu_sse41});
  } else {
    WARN("this CPU has no SHA-NI: only the portable SHA-1 path is tested");
  }
  return out;
}

/// compute_accept_key into the middle of a guarded buffer; checks it writes exactly 28 bytes.
std::string computed(std::string_view key) {
  std::array<char, ws::accept_key_size + 2> buf;
  buf.fill('#');
  ws::compute_accept_key(key, buf.data() + 1);
  CHECK(buf.front() == '#');
  CHECK(buf.back() == '#');
  return std::string(buf.data() + 1, ws::accept_key_size);
}

/// The definition, spelled out with the general-purpose pieces.
std::string reference(std::string_view key) {
  rtwire::sha1::hasher h;
  h.update(key);
  h.update(ws::websocket_guid);
  const rtwire::sha1::digest d = h.finish();
  std::string out;
  rtwire::base64::encode_append(std::as_bytes(std::span(d)), out);
  return out;
}

}  // namespace

static_assert(ws::accept_key_size == 28);
static_assert(ws::websocket_guid == "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");  // RFC 6455 §1.3
static_assert(rtwire::sha1::max_short_message - ws::websocket_guid.size() ==
              83);  // longest one-buffer key
static_assert(noexcept(ws::compute_accept_key(std::string_view(), nullptr)));

TEST_CASE("RFC 6455 §1.3 example", "[ws][accept_key]") {
  for (const path& p : paths()) {
    INFO("path: " << p.name);
    const forced_path forced(p.mask);
    CHECK(computed("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    CHECK(ws::accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  }
}

TEST_CASE("known answers on each side of the one-block, two-block and hasher paths",
          "[ws][accept_key]") {
  // Python: base64.b64encode(hashlib.sha1(key + GUID).digest()). A key of up to 19 bytes fits
  // with the GUID and padding in one block, up to 83 in two, longer keys go through the hasher.
  const struct {
    std::string key;
    std::string_view accept;
  } cases[] = {
      {"", "Kfh9QIsMVZcl6xEPYxPHzW8SZ8w="},
      {"x", "JVxkmtKFjDcI/Pm/AGPEKSN6wT8="},
      {std::string(19, 'k'), "tWclcP21hrR+xgjYVswtQRW71GQ="},
      {std::string(20, 'k'), "tSsjsIAvEVIQ+IC5K8+T/OkG8nU="},
      {"AQIDBAUGBwgJCgsMDQ4PEC==", "OfS0wDaT5NoxF2gqm7Zj2YtetzM="},  // not canonical: as given
      {std::string(83, 'k'), "c8WQ7edrEIKQKdUK6YpbGv6/vjc="},
      {std::string(84, 'k'), "oSGTDoRzn25LiA1UjW2lEH1Pvlc="},
      {std::string(200, 'k'), "HXr7Nbki1tHdEVpq+a7G7IV4VJU="},
  };
  for (const path& p : paths()) {
    INFO("path: " << p.name);
    const forced_path forced(p.mask);
    for (const auto& c : cases) {
      INFO("key of " << c.key.size() << " bytes: " << c.key);
      CHECK(computed(c.key) == c.accept);
      CHECK(ws::accept_key(c.key) == c.accept);
    }
  }
}

TEST_CASE("every key length 0..300 matches the definition", "[ws][accept_key]") {
  std::string keys;
  for (std::size_t i = 0; i <= 300; ++i)
    keys += static_cast<char>(0x21 + (i * 167 + 13) % 94);
  // SHA-1 (Python) of the 301 accept values for the key prefixes of length 0..300, concatenated.
  constexpr std::string_view all_lengths = "8315d7878b80be8e2ef08a22227b0f18709aa131";
  for (const path& p : paths()) {
    INFO("path: " << p.name);
    const forced_path forced(p.mask);
    rtwire::sha1::hasher all;
    for (std::size_t n = 0; n <= 300; ++n) {
      const std::string_view key = std::string_view(keys).substr(0, n);
      INFO("key length " << n);
      const std::string accept = computed(key);
      CHECK(accept == reference(key));
      all.update(accept);
    }
    const rtwire::sha1::digest d = all.finish();
    std::string hex;
    for (std::uint8_t b : d) {
      hex += "0123456789abcdef"[b >> 4];
      hex += "0123456789abcdef"[b & 15];
    }
    CHECK(hex == all_lengths);
  }
}

TEST_CASE("the key is hashed exactly as given", "[ws][accept_key]") {
  // No trimming, no case folding, no validation: each of these is a different key.
  const std::string base = ws::accept_key("dGhlIHNhbXBsZSBub25jZQ==");
  CHECK(ws::accept_key(" dGhlIHNhbXBsZSBub25jZQ==") != base);
  CHECK(ws::accept_key("dGhlIHNhbXBsZSBub25jZQ== ") != base);
  CHECK(ws::accept_key("DGhlIHNhbXBsZSBub25jZQ==") != base);
  // Embedded NUL bytes are part of the key.
  const std::string with_nul("dGhlIHNh\0XBsZSBub25jZQ==", 24);
  CHECK(ws::accept_key(with_nul) == reference(with_nul));
  CHECK(ws::accept_key(with_nul) != ws::accept_key("dGhlIHNh"));
  // The output is always 28 characters of canonical base64 of 20 bytes.
  const std::string accept = ws::accept_key("anything");
  CHECK(accept.size() == 28);
  std::array<std::byte, 21> raw{};
  const rtwire::base64::decode_result r = rtwire::base64::decode(accept, raw);
  CHECK_FALSE(r.ec);
  CHECK(r.size == 20);
}
