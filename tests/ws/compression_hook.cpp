// The connection's per-message compression hook (rtwire/ws/compression.hpp) without zlib: a test
// codec that "compresses" by reversing each message's bytes and can be told to fail or stall.
// Covers what the connection itself enforces (RFC 7692 §6.1 RSV1 rules, limits on the inflated
// size, UTF-8 of the inflated text, streaming pieces) in a build without rtwire::deflate.
#include <rtwire/ws/compression.hpp>
#include <rtwire/ws/connection.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "catch.hpp"
#include "support/splits.hpp"
#include "ws/autobahn_harness.hpp"

using namespace rtwire::ws;
using rtwire::test::ws::counting_keys;
using rtwire::test::ws::peer_frame;

namespace {

// Reverses each message (the compressed form of "abc" is "cba"): decompress() buffers the
// message's bytes until `last`, then hands them out reversed, as much as `out` holds per call.
class reversing_codec final : public compression {
 public:
  enum class mode { normal, bad_data, stuck };
  explicit reversing_codec(mode m = mode::normal) : mode_(m) {}

  result decompress(rtwire::bytes_view in, rtwire::mutable_bytes_view out,
                    bool last) noexcept override {
    if (mode_ == mode::bad_data) return {0, 0, status::bad_data};
    if (mode_ == mode::stuck) return {0, 0, status::progress};
    pending_.insert(pending_.end(), in.begin(), in.end());
    if (!last) return {in.size(), 0, status::progress};
    if (!reversed_) {
      std::reverse(pending_.begin(), pending_.end());
      reversed_ = true;
    }
    const std::size_t n = std::min(out.size(), pending_.size() - given_);
    std::copy_n(pending_.begin() + static_cast<std::ptrdiff_t>(given_), n, out.begin());
    given_ += n;
    if (given_ < pending_.size() || n == out.size()) return {in.size(), n, status::progress};
    pending_.clear();
    given_ = 0;
    reversed_ = false;
    return {in.size(), n, status::message_end};
  }

  bool compress(rtwire::bytes_view in, bool last, std::vector<std::byte>& out) override {
    (void)last;
    out.insert(out.end(), in.rbegin(), in.rend());
    return true;
  }

 private:
  mode mode_;
  std::vector<std::byte> pending_;
  std::size_t given_ = 0;
  bool reversed_ = false;
};

struct result {
  std::vector<std::string> messages;
  std::error_code error;
  std::size_t pieces = 0;
};

result run(const std::vector<std::string_view>& chunks, delivery d = delivery::whole_message,
           reversing_codec::mode m = reversing_codec::mode::normal, limits lim = {}) {
  connection conn(role::server, {.mode = d, .limit = lim}, std::make_unique<reversing_codec>(m));
  result r;
  std::string partial;
  for (std::string_view c : chunks) {
    REQUIRE_FALSE(conn.feed(c));
    for (event ev = conn.next(); ev.type != event_type::need_more; ev = conn.next()) {
      if (ev.type == event_type::error) {
        r.error = conn.failure().code;
        return r;
      }
      if (ev.type != event_type::text && ev.type != event_type::binary) continue;
      ++r.pieces;
      partial.append(ev.text());
      if (ev.message_finished) {
        r.messages.push_back(partial);
        partial.clear();
      }
    }
  }
  return r;
}

std::string compressed(opcode op, std::string_view payload, bool fin = true) {
  return peer_frame(role::server, op, payload, fin, rsv1);
}

}  // namespace

TEST_CASE("hook: RSV1 messages go through the codec, others do not (every split point)") {
  const std::string wire =
      compressed(opcode::text, "olleh") + peer_frame(role::server, opcode::text, "plain") +
      compressed(opcode::binary, "cb", false) + peer_frame(role::server, opcode::ping, "p") +
      peer_frame(role::server, opcode::continuation, "a");
  for (const auto& split : rtwire::test::all_splits(wire)) {
    for (const delivery d : {delivery::whole_message, delivery::streaming}) {
      INFO(split.label);
      const result r = run(split.chunks, d);
      CHECK_FALSE(r.error);
      CHECK(r.messages == std::vector<std::string>{"hello", "plain", "abc"});
    }
  }
}

TEST_CASE("hook: RSV1 on control and continuation frames is a protocol error (RFC 7692 §6.1)") {
  CHECK(run({peer_frame(role::server, opcode::ping, "", true, rsv1)}).error ==
        error::compressed_control_frame);
  CHECK(run({peer_frame(role::server, opcode::text, "a", false) +
             peer_frame(role::server, opcode::continuation, "b", true, rsv1)})
            .error == error::compressed_continuation);
  CHECK(close_code_for(error::compressed_control_frame) == close_code::protocol_error);
  CHECK(close_code_for(error::compressed_continuation) == close_code::protocol_error);
  // RSV2/RSV3 stay reserved with a codec.
  CHECK(run({peer_frame(role::server, opcode::text, "a", true, rsv2)}).error ==
        error::reserved_bits_set);
}

TEST_CASE("hook: codec failures, limits and UTF-8 apply to the inflated bytes") {
  CHECK(
      run({compressed(opcode::text, "x")}, delivery::whole_message, reversing_codec::mode::bad_data)
          .error == error::bad_compressed_data);
  CHECK(close_code_for(error::bad_compressed_data) == close_code::invalid_payload);
  // A codec that makes no progress fails the connection instead of spinning.
  CHECK(run({compressed(opcode::text, "x")}, delivery::whole_message, reversing_codec::mode::stuck)
            .error == error::bad_compressed_data);
  // Invalid UTF-8 once reversed ("\x80\xc3" -> "\xc3\x80" is valid; "\xc3\x80a" reversed is not).
  CHECK_FALSE(run({compressed(opcode::text, "\x80\xc3")}).error);
  CHECK(run({compressed(opcode::text,
                        "\xc3\x80"
                        "a")})
            .error == error::invalid_utf8);
  const std::string big(1000, 'z');
  for (const delivery d : {delivery::whole_message, delivery::streaming}) {
    CHECK(run({compressed(opcode::binary, big)}, d, reversing_codec::mode::normal,
              {.max_message_size = 999})
              .error == error::message_too_big);
    CHECK_FALSE(run({compressed(opcode::binary, big)}, d, reversing_codec::mode::normal,
                    {.max_message_size = 1000})
                    .error);
  }
  CHECK(run({compressed(opcode::binary, big)}, delivery::whole_message,
            reversing_codec::mode::normal, {.max_message_size = 2000, .max_buffered_bytes = 999})
            .error == error::buffer_limit);
}

TEST_CASE("hook: streaming hands out large inflated messages in bounded pieces") {
  const std::string big(200 * 1024, 'q');
  const result r = run({compressed(opcode::binary, big)}, delivery::streaming);
  REQUIRE(r.messages.size() == 1);
  CHECK(r.messages[0] == big);
  CHECK(r.pieces == 13);  // 16 KiB pieces (the inflater's chunk)
}

TEST_CASE("hook: sending sets RSV1 on the first frame of a compressed message only") {
  counting_keys keys;
  connection client(role::client, {.fragment_size = 2, .keys = keys},
                    std::make_unique<reversing_codec>());
  REQUIRE(client.compressing());
  REQUIRE_FALSE(client.send_text("abcde"));
  REQUIRE_FALSE(
      client.send_fragment(opcode::binary, rtwire::as_bytes(std::string_view("xy")), false));
  REQUIRE_FALSE(
      client.send_fragment(opcode::binary, rtwire::as_bytes(std::string_view("z")), true));
  std::string out(rtwire::as_chars(client.output()));
  frame_decoder dec({.rules = {.allowed_rsv = rsv1}});
  auto in = std::as_writable_bytes(std::span(out));
  std::vector<std::string> frames;
  while (!in.empty()) {
    const auto f = dec.decode(in);
    REQUIRE(f.status == frame_decoder::status::piece);
    in = in.subspan(f.consumed);
    frames.push_back(std::to_string(static_cast<int>(dec.header().op)) + "/" +
                     std::to_string(dec.header().rsv) + "/" + (dec.header().fin ? "F" : "-") + ":" +
                     std::string(rtwire::as_chars(f.payload)));
  }
  CHECK(frames ==
        std::vector<std::string>{"1/4/-:ed", "0/0/-:cb", "0/0/F:a", "2/4/-:yx", "0/0/F:z"});
}
