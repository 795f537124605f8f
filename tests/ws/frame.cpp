// WebSocket frame layer (RFC 6455 §5.2, §5.3): the header codec against the RFC's own examples
// (§5.7) and every rule, masking on every SIMD path against a byte-at-a-time reference, and the
// `rtwire.ws` error table.
#include <rtwire/ws/frame.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "catch.hpp"

using namespace rtwire::ws;
namespace cpu = rtwire::detail;

namespace {

std::string bytes(std::initializer_list<int> values) {
  std::string s;
  for (int v : values)
    s.push_back(static_cast<char>(v));
  return s;
}

rtwire::bytes_view view(const std::string& s) {
  return rtwire::as_bytes(s);
}

// Every CPU path the dispatcher can take, restricted to what this machine has.
struct path {
  const char* name;
  std::uint32_t mask;
};
const path all_paths[] = {
    {"scalar", 0},
    {"sse2", cpu::cpu_sse2},
    {"avx2", cpu::cpu_sse2 | cpu::cpu_avx2},
    {"avx512", cpu::all_features},
};

struct feature_guard {
  ~feature_guard() { cpu::cpu_features_override(cpu::all_features); }
};

}  // namespace

TEST_CASE("RFC 6455 §5.7 examples encode and decode byte-exactly", "[frame]") {
  struct example {
    const char* what;
    std::string wire;
    frame_header header;
    std::string payload;  // as sent (unmasked)
  };
  std::string big256(256, 'x'), big64k(65536, 'y');
  const example examples[] = {
      {"single-frame unmasked text",
       bytes({0x81, 0x05, 'H', 'e', 'l', 'l', 'o'}),
       {.fin = true, .op = opcode::text, .payload_length = 5},
       "Hello"},
      {"single-frame masked text",
       bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}),
       {.fin = true,
        .op = opcode::text,
        .masked = true,
        .key = {0x37, 0xfa, 0x21, 0x3d},
        .payload_length = 5},
       "Hello"},
      {"first fragment",
       bytes({0x01, 0x03, 'H', 'e', 'l'}),
       {.fin = false, .op = opcode::text, .payload_length = 3},
       "Hel"},
      {"last fragment",
       bytes({0x80, 0x02, 'l', 'o'}),
       {.fin = true, .op = opcode::continuation, .payload_length = 2},
       "lo"},
      {"unmasked ping",
       bytes({0x89, 0x05, 'H', 'e', 'l', 'l', 'o'}),
       {.fin = true, .op = opcode::ping, .payload_length = 5},
       "Hello"},
      {"256-byte binary, 16-bit length",
       bytes({0x82, 0x7E, 0x01, 0x00}) + big256,
       {.fin = true, .op = opcode::binary, .payload_length = 256},
       big256},
      {"64 KiB binary, 64-bit length",
       bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0}) + big64k,
       {.fin = true, .op = opcode::binary, .payload_length = 65536},
       big64k},
  };
  for (const auto& ex : examples) {
    INFO(ex.what);
    std::string out;
    write_frame(out, ex.header, view(ex.payload));
    CHECK(out == ex.wire);

    frame_header h;
    const auto r = decode_header(view(ex.wire), h);
    REQUIRE(r.status == header_status::complete);
    CHECK(h == ex.header);
    CHECK(r.size == header_size(h.payload_length, h.masked));
    std::string payload = ex.wire.substr(r.size);
    if (h.masked) mask(std::as_writable_bytes(std::span(payload)), h.key);
    CHECK(payload == ex.payload);
  }
}

TEST_CASE("header round trip at every length boundary, both mask states", "[frame]") {
  const std::uint64_t lengths[] = {0,      1,       125,         126,          127,
                                   0xFFFF, 0x10000, 0xFFFFFFFFu, 0x100000000u, (1ull << 63) - 1};
  for (std::uint64_t len : lengths) {
    for (bool masked : {false, true}) {
      for (auto op : {opcode::continuation, opcode::text, opcode::binary}) {
        for (std::uint8_t rsv = 0; rsv < 8; ++rsv) {
          frame_header h{.fin = (rsv & 1) != 0,
                         .rsv = rsv,
                         .op = op,
                         .masked = masked,
                         .key = masked ? masking_key{1, 2, 3, 4} : masking_key{},
                         .payload_length = len};
          std::byte buf[max_header_size];
          const std::size_t n = encode_header(h, buf);
          CHECK(n == header_size(len, masked));
          frame_header back;
          const auto r = decode_header({buf, n}, back, {.allowed_rsv = 7});
          REQUIRE(r.status == header_status::complete);
          CHECK(r.size == n);
          CHECK(back == h);
          // Every strict prefix asks for more, never decodes or fails.
          for (std::size_t k = 0; k < n; ++k) {
            frame_header partial;
            const auto pr = decode_header({buf, k}, partial, {.allowed_rsv = 7});
            CHECK(pr.status == header_status::need_more);
            CHECK(pr.size > k);
            CHECK(pr.size <= n);
          }
        }
      }
    }
  }
}

TEST_CASE("header rules: each violation, its offending byte and close code", "[frame]") {
  struct violation {
    const char* what;
    std::string wire;
    header_rules rules;
    error err;
    std::size_t at;
    close_code close;
  };
  const violation cases[] = {
      {"RSV1 without extension",
       bytes({0xC1, 0x00}),
       {},
       error::reserved_bits_set,
       0,
       close_code::protocol_error},
      {"RSV2",
       bytes({0xA1, 0x00}),
       {.allowed_rsv = rsv1},
       error::reserved_bits_set,
       0,
       close_code::protocol_error},
      {"RSV3",
       bytes({0x91, 0x00}),
       {.allowed_rsv = rsv1 | rsv2},
       error::reserved_bits_set,
       0,
       close_code::protocol_error},
      {"opcode 3", bytes({0x83, 0x00}), {}, error::reserved_opcode, 0, close_code::protocol_error},
      {"opcode 7", bytes({0x87, 0x00}), {}, error::reserved_opcode, 0, close_code::protocol_error},
      {"opcode B", bytes({0x8B, 0x00}), {}, error::reserved_opcode, 0, close_code::protocol_error},
      {"opcode F", bytes({0x8F, 0x00}), {}, error::reserved_opcode, 0, close_code::protocol_error},
      {"ping without FIN",
       bytes({0x09, 0x00}),
       {},
       error::fragmented_control_frame,
       0,
       close_code::protocol_error},
      {"close without FIN",
       bytes({0x08, 0x00}),
       {},
       error::fragmented_control_frame,
       0,
       close_code::protocol_error},
      {"unmasked frame to a server",
       bytes({0x81, 0x00}),
       {.masking = mask_rule::required},
       error::unmasked_frame,
       1,
       close_code::protocol_error},
      {"masked frame to a client",
       bytes({0x81, 0x80, 0, 0, 0, 0}),
       {.masking = mask_rule::forbidden},
       error::masked_frame,
       1,
       close_code::protocol_error},
      {"ping of 126 bytes",
       bytes({0x89, 0x7E, 0x00, 0x7E}),
       {},
       error::control_frame_too_long,
       1,
       close_code::protocol_error},
      {"pong with a 64-bit length",
       bytes({0x8A, 0x7F}),
       {},
       error::control_frame_too_long,
       1,
       close_code::protocol_error},
      {"16-bit length 125",
       bytes({0x82, 0x7E, 0x00, 0x7D}),
       {},
       error::non_minimal_length,
       2,
       close_code::protocol_error},
      {"64-bit length 65535",
       bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF}),
       {},
       error::non_minimal_length,
       2,
       close_code::protocol_error},
      {"64-bit length with MSB",
       bytes({0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0}),
       {},
       error::length_msb_set,
       2,
       close_code::protocol_error},
      {"over max_payload (7-bit)",
       bytes({0x82, 0x0B}),
       {.max_payload = 10},
       error::frame_too_big,
       1,
       close_code::message_too_big},
      {"over max_payload (16-bit)",
       bytes({0x82, 0x7E, 0x01, 0x00}),
       {.max_payload = 255},
       error::frame_too_big,
       2,
       close_code::message_too_big},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    frame_header h;
    const auto r = decode_header(view(c.wire), h, c.rules);
    CHECK(r.status == header_status::invalid);
    CHECK(r.err == c.err);
    CHECK(r.size == c.at);
    CHECK(close_code_for(c.err) == c.close);
    // Every prefix is need_more or the same error: the outcome does not depend on splits. Rules
    // on byte 0 and byte 1 fire as soon as that byte is present.
    for (std::size_t k = 0; k < c.wire.size(); ++k) {
      frame_header h2;
      const auto early = decode_header(view(c.wire).first(k), h2, c.rules);
      if (early.status == header_status::invalid) {
        CHECK(early.err == c.err);
        CHECK(early.size == c.at);
      } else {
        CHECK(early.status == header_status::need_more);
        if (c.at < 2) CHECK(k <= c.at);
      }
    }
  }
  SECTION("allowed RSV bits pass") {
    frame_header h;
    const auto r = decode_header(view(bytes({0xC1, 0x00})), h, {.allowed_rsv = rsv1});
    REQUIRE(r.status == header_status::complete);
    CHECK(h.rsv == rsv1);
  }
  SECTION("a 125-byte close frame is allowed, max_payload is inclusive") {
    frame_header h;
    REQUIRE(decode_header(view(bytes({0x88, 0x7D})), h).status == header_status::complete);
    CHECK(h.payload_length == 125);
    CHECK(decode_header(view(bytes({0x82, 0x0A})), h, {.max_payload = 10}).status ==
          header_status::complete);
  }
}

TEST_CASE("masking: every path equals the byte-at-a-time reference", "[mask]") {
  feature_guard guard;
  const masking_key key{0xA1, 0x5B, 0x07, 0xFE};
  std::vector<std::byte> source(4096 + 128);
  for (std::size_t i = 0; i < source.size(); ++i)
    source[i] = static_cast<std::byte>((i * 131 + 7) & 0xFF);
  std::vector<std::size_t> sizes;
  for (std::size_t n = 0; n <= 300; ++n)
    sizes.push_back(n);
  for (std::size_t n : {511u, 512u, 1023u, 1024u, 1025u, 2047u, 4096u})
    sizes.push_back(n);

  for (const auto& p : all_paths) {
    cpu::cpu_features_override(p.mask);
    INFO(p.name);
    for (std::size_t n : sizes) {
      for (std::size_t offset : {0u, 1u, 3u, 7u, 31u, 33u, 63u}) {
        for (std::size_t phase = 0; phase < 4; ++phase) {
          std::vector<std::byte> expected(source.begin() + static_cast<std::ptrdiff_t>(offset),
                                          source.begin() + static_cast<std::ptrdiff_t>(offset + n));
          for (std::size_t i = 0; i < n; ++i)
            expected[i] ^= static_cast<std::byte>(key[(phase + i) & 3]);

          std::vector<std::byte> in_place(source);
          const std::size_t next = mask(std::span(in_place).subspan(offset, n), key, phase);
          CHECK(next == (phase + n) % 4);
          // Bytes around the range are untouched.
          CHECK(std::equal(in_place.begin(), in_place.begin() + static_cast<std::ptrdiff_t>(offset),
                           source.begin()));
          CHECK(std::equal(in_place.begin() + static_cast<std::ptrdiff_t>(offset + n),
                           in_place.end(),
                           source.begin() + static_cast<std::ptrdiff_t>(offset + n)));
          if (!std::equal(expected.begin(), expected.end(),
                          in_place.begin() + static_cast<std::ptrdiff_t>(offset))) {
            FAIL("in place: n=" << n << " offset=" << offset << " phase=" << phase);
          }

          std::vector<std::byte> copy(n + 64, std::byte{0xEE});
          mask_copy(std::span(source).subspan(offset, n), copy.data() + (offset & 7), key, phase);
          if (!std::equal(expected.begin(), expected.end(),
                          copy.begin() + static_cast<std::ptrdiff_t>(offset & 7))) {
            FAIL("copy: n=" << n << " offset=" << offset << " phase=" << phase);
          }
        }
      }
    }
  }
}

TEST_CASE("masking in pieces continues the key phase", "[mask]") {
  feature_guard guard;
  const masking_key key{1, 2, 3, 4};
  std::vector<std::byte> data(3000);
  for (std::size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<std::byte>(i * 7);
  std::vector<std::byte> whole = data;
  mask(whole, key);
  for (const auto& p : all_paths) {
    cpu::cpu_features_override(p.mask);
    INFO(p.name);
    for (std::size_t piece : {1u, 3u, 5u, 13u, 64u, 65u, 1031u}) {
      std::vector<std::byte> pieces = data;
      std::size_t phase = 0;
      for (std::size_t at = 0; at < pieces.size(); at += piece) {
        const std::size_t n = std::min(piece, pieces.size() - at);
        phase = mask(std::span(pieces).subspan(at, n), key, phase);
      }
      CHECK(pieces == whole);
      mask(pieces, key);  // masking twice gives the original
      CHECK(pieces == data);
    }
  }
}

TEST_CASE("the rtwire.ws error table", "[errors]") {
  const std::error_code ec = error::invalid_utf8;
  CHECK(std::string(ec.category().name()) == "rtwire.ws");
  CHECK(ec == rtwire::condition::protocol_violation);
  CHECK(std::error_code(error::message_too_big) == rtwire::condition::limit_exceeded);
  CHECK(std::error_code(error::send_after_close) == rtwire::condition::api_misuse);
  CHECK(close_code_for(error::invalid_utf8) == close_code::invalid_payload);
  CHECK(close_code_for(error::invalid_close_reason) == close_code::invalid_payload);
  CHECK(close_code_for(error::too_many_fragments) == close_code::policy_violation);
  CHECK(close_code_for(error::buffer_limit) == close_code::message_too_big);
  CHECK(close_code_for(error::unexpected_continuation) == close_code::protocol_error);
  CHECK(close_code_for(error::unexpected_eof) == close_code::abnormal);
  CHECK(close_code_for(error::input_pending) == close_code::none);
  for (int v = 1; v <= static_cast<int>(error::input_pending); ++v) {
    const std::error_code e = static_cast<error>(v);
    CHECK(e.message().find("unknown") == std::string::npos);
    const bool misuse = e == rtwire::condition::api_misuse;
    CHECK(misuse == (close_code_for(static_cast<error>(v)) == close_code::none));
  }
}

TEST_CASE("close codes allowed on the wire (RFC 6455 §7.4, Autobahn 7.7 / 7.9)", "[close]") {
  for (std::uint32_t code = 0; code <= 0xFFFF; ++code) {
    const bool expected = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
                          (code >= 3000 && code <= 4999);
    if (is_valid_close_code(static_cast<std::uint16_t>(code)) != expected) FAIL("code " << code);
  }
  CHECK_FALSE(is_valid_close_code(1004));
  CHECK_FALSE(is_valid_close_code(1005));
  CHECK_FALSE(is_valid_close_code(1006));
  CHECK_FALSE(is_valid_close_code(1015));
  CHECK_FALSE(is_valid_close_code(1016));
  CHECK(is_valid_close_code(3000));
  CHECK(is_valid_close_code(4999));
  CHECK_FALSE(is_valid_close_code(5000));
}
