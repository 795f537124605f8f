// rtwire::ws::prepared_message and connection::send(prepared): a message framed once, queued by
// reference on many connections, written with gathering writes at any split of what the socket
// accepts; the bytes equal the normal send path's, the payload is never copied, every rule of
// the normal path holds. The compression hook is exercised with a test codec here (no zlib);
// tests/deflate/prepared.cpp runs the same with permessage-deflate on zlib.
#include <rtwire/ws/compression.hpp>
#include <rtwire/ws/connection.hpp>
#include <rtwire/ws/prepared.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "catch.hpp"
#include "support/allocation_counter.hpp"
#include "ws/autobahn_harness.hpp"

using namespace rtwire::ws;
using rtwire::as_bytes;
using rtwire::as_chars;
using rtwire::bytes_view;
using rtwire::test::ws::counting_keys;
using rtwire::test::ws::peer_frame;

namespace {

// Drains `c` as a socket taking at most `step` bytes per write would: gather (into fewer slots
// than there may be pieces), concatenate, consume. Returns the bytes sent, in order.
std::string drain(connection& c, std::size_t step = SIZE_MAX) {
  std::string sent;
  while (c.pending_output() > 0) {
    std::array<bytes_view, 3> iov{};
    const std::size_t n = c.gather_output(iov);
    REQUIRE(n > 0);
    REQUIRE(n == std::min<std::size_t>(3, c.output_pieces()));
    CHECK(iov[0].data() == c.output().data());
    CHECK(iov[0].size() == c.output().size());
    std::string chunk;
    for (std::size_t i = 0; i < n; ++i) {
      CHECK_FALSE(iov[i].empty());
      chunk += as_chars(iov[i]);
    }
    chunk.resize(std::min(chunk.size(), step));
    const std::size_t before = c.pending_output();
    c.consume_output(chunk.size());
    CHECK(c.pending_output() == before - chunk.size());
    sent += chunk;
  }
  CHECK(c.output().empty());
  CHECK(c.output_pieces() == 0);
  return sent;
}

// The same, through output() alone (the API that predates prepared messages).
std::string drain_first_piece(connection& c) {
  std::string sent;
  for (bytes_view out = c.output(); !out.empty(); out = c.output()) {
    sent += as_chars(out);
    c.consume_output(out.size());
  }
  CHECK(c.pending_output() == 0);
  return sent;
}

// What send_text()/send_binary() writes for `payload` on a server connection with `opts`.
std::string normal_bytes(opcode kind, std::string_view payload, connection_options opts = {}) {
  connection c(role::server, opts);
  const std::error_code ec =
      kind == opcode::text ? c.send_text(payload) : c.send_binary(as_bytes(payload));
  REQUIRE_FALSE(ec);
  return std::string(as_chars(c.output()));
}

prepared_message make(opcode kind, std::string_view payload, const prepare_options& o = {}) {
  prepared_message m;
  REQUIRE_FALSE(prepare(m, kind, as_bytes(payload), o));
  return m;
}

// Stands in for a compressor: "compresses" by reversing the message (decompress reverses it
// back); `key` is its shared_context_key() (0: context takeover, stateful as far as the
// connection knows).
class reversing_codec final : public compression {
 public:
  explicit reversing_codec(std::uint32_t key, std::size_t min_size = 0)
      : key_(key), min_size_(min_size) {}
  result decompress(bytes_view in, rtwire::mutable_bytes_view out, bool last) noexcept override {
    pending_.insert(pending_.end(), in.begin(), in.end());
    if (!last) return {in.size(), 0, status::progress};
    REQUIRE(out.size() >= pending_.size());
    std::copy(pending_.rbegin(), pending_.rend(), out.begin());
    const std::size_t n = pending_.size();
    pending_.clear();
    return {in.size(), n, status::message_end};
  }
  bool compress(bytes_view in, bool, std::vector<std::byte>& out) override {
    ++compressed;
    out.insert(out.end(), in.rbegin(), in.rend());
    return true;
  }
  bool worth_compressing(std::size_t size) const noexcept override { return size >= min_size_; }
  std::uint32_t shared_context_key() const noexcept override { return key_; }
  int compressed = 0;

 private:
  std::uint32_t key_;
  std::size_t min_size_;
  std::vector<std::byte> pending_;
};

// The messages a client connection (with `codec`, if any) reads from `wire`.
std::vector<std::string> client_reads(std::string_view wire,
                                      std::unique_ptr<compression> codec = nullptr) {
  counting_keys keys;
  connection c(role::client, {.keys = keys}, std::move(codec));
  REQUIRE_FALSE(c.feed(wire));
  std::vector<std::string> got;
  for (event ev = c.next(); ev.type != event_type::need_more; ev = c.next()) {
    REQUIRE(ev.type != event_type::error);
    got.emplace_back(ev.text());
  }
  return got;
}

}  // namespace

TEST_CASE("prepare: the unmasked server frame, once", "[ws][prepared]") {
  prepared_message m;
  CHECK(m.empty());
  CHECK(m.use_count() == 0);
  CHECK(m.frame().empty());
  REQUIRE_FALSE(prepare_text(m, "hello"));
  CHECK_FALSE(m.empty());
  CHECK(m.kind() == opcode::text);
  // RFC 6455 §5.2: FIN + text, no mask bit, 7-bit length.
  CHECK(as_chars(m.frame()) == std::string("\x81\x05hello"));
  CHECK(as_chars(m.payload()) == "hello");
  CHECK(m.header_size() == 2);
  CHECK_FALSE(m.compressed());
  CHECK(m.compressed_frame().empty());
  CHECK(m.use_count() == 1);
  const prepared_message copy = m;  // a reference, not the bytes
  CHECK(copy.frame().data() == m.frame().data());
  CHECK(m.use_count() == 2);
  prepared_message b;
  REQUIRE_FALSE(prepare_binary(b, as_bytes(std::string(200, '\xff'))));
  CHECK(b.kind() == opcode::binary);
  CHECK(b.header_size() == 4);
  CHECK(as_chars(b.frame()).substr(0, 4) == std::string("\x82\x7e\x00\xc8", 4));
}

TEST_CASE("prepare refuses what may not be sent, leaving the message empty",
          "[ws][prepared][errors]") {
  prepared_message m;
  REQUIRE_FALSE(prepare_text(m, "ok"));
  // RFC 6455 §5.6: text is UTF-8; the first bad byte, an overlong form, a cut code point.
  for (std::string_view bad : {std::string_view("a\xff"), std::string_view("\xc0\xaf"),
                               std::string_view("caf\xc3"), std::string_view("\xed\xa0\x80")}) {
    INFO(bad);
    CHECK(prepare_text(m, bad) == error::text_not_utf8);
    CHECK(m.empty());
    REQUIRE_FALSE(prepare_text(m, "ok"));
  }
  // The same bytes are a fine binary message.
  CHECK_FALSE(prepare_binary(m, as_bytes("a\xff")));
  for (opcode op : {opcode::continuation, opcode::ping, opcode::pong, opcode::close}) {
    CHECK(prepare(m, op, as_bytes("x")) == error::invalid_argument);
    CHECK(m.empty());
  }
  // A codec that keeps its context between messages cannot compress for everyone.
  reversing_codec takeover(0);
  CHECK(prepare_text(m, "x", {.codec = &takeover}) == error::compression_not_shareable);
  CHECK(m.empty());
  CHECK(takeover.compressed == 0);
  const std::error_code ec = error::text_not_utf8;
  CHECK(ec == rtwire::condition::bad_input);
  CHECK(std::error_code(error::prepared_for_client) == rtwire::condition::api_misuse);
  CHECK(std::error_code(error::compression_not_shareable) == rtwire::condition::api_misuse);
  CHECK(close_code_for(error::text_not_utf8) == close_code::none);
  CHECK(close_code_for(error::prepared_for_client) == close_code::none);
  CHECK(close_code_for(error::compression_not_shareable) == close_code::none);
  CHECK(ec.message().find("RFC 6455 §5.6") != std::string::npos);
}

TEST_CASE(
    "send(prepared) writes send_text/send_binary's exact bytes, at every length boundary "
    "and fragment size",
    "[ws][prepared]") {
  for (std::size_t size :
       std::initializer_list<std::size_t>{0, 1, 125, 126, 127, 65535, 65536, 65537}) {
    std::string payload(size, 'x');
    for (std::size_t i = 0; i < size; ++i)
      payload[i] = static_cast<char>('a' + i % 26);
    for (opcode kind : {opcode::text, opcode::binary}) {
      const prepared_message m = make(kind, payload);
      for (std::size_t frag : std::initializer_list<std::size_t>{0, 1000, 125, 126, 65535, 65536}) {
        INFO("size " << size << " kind " << static_cast<int>(kind) << " fragment_size " << frag);
        const connection_options o{.fragment_size = frag};
        const std::string expected = normal_bytes(kind, payload, o);
        connection c(role::server, o);
        REQUIRE_FALSE(c.send(m));
        CHECK(c.pending_output() == expected.size());
        CHECK(drain(c) == expected);
        connection d(role::server, o);
        REQUIRE_FALSE(d.send(m));
        CHECK(drain_first_piece(d) == expected);
        // And the peer reads the message back.
        CHECK(client_reads(expected) == std::vector<std::string>{payload});
      }
    }
  }
}

TEST_CASE(
    "send(prepared) between the connection's own frames keeps their order, at every "
    "write size",
    "[ws][prepared]") {
  const std::string big(300, 'b');
  const prepared_message m = make(opcode::text, big);
  const prepared_message small = make(opcode::binary, "s");
  for (std::size_t frag : std::initializer_list<std::size_t>{0, 128}) {
    const connection_options o{.fragment_size = frag};
    connection normal(role::server, o);
    REQUIRE_FALSE(normal.send_text("first"));
    REQUIRE_FALSE(normal.send_text(big));
    REQUIRE_FALSE(normal.send_ping(as_bytes("p")));
    REQUIRE_FALSE(normal.send_binary(as_bytes("s")));
    REQUIRE_FALSE(normal.send_binary(as_bytes("s")));
    REQUIRE_FALSE(normal.send_text(big));
    REQUIRE_FALSE(normal.close(close_code::going_away));
    const std::string expected(as_chars(normal.output()));
    for (std::size_t step : {std::size_t{1}, std::size_t{7}, std::size_t{129}, SIZE_MAX}) {
      INFO("fragment_size " << frag << " step " << step);
      connection c(role::server, o);
      REQUIRE_FALSE(c.send_text("first"));
      REQUIRE_FALSE(c.send(m));
      REQUIRE_FALSE(c.send_ping(as_bytes("p")));
      REQUIRE_FALSE(c.send(small));
      REQUIRE_FALSE(c.send(small));
      // Half of it goes out, then more is queued behind the rest.
      const std::size_t half = c.pending_output() / 2;
      std::string sent;
      while (sent.size() < half) {
        const bytes_view out = c.output();
        const std::size_t n = std::min({out.size(), step, half - sent.size()});
        sent += as_chars(out.first(n));
        c.consume_output(n);
      }
      REQUIRE_FALSE(c.send(m));
      REQUIRE_FALSE(c.close(close_code::going_away));
      sent += drain(c, step);
      CHECK(sent == expected);
    }
  }
}

TEST_CASE("output that never drains fully stays bounded, and in order", "[ws][prepared]") {
  // Each round queues 20 KiB of the connection's own frames and a prepared frame, then sends
  // all but the last 10 bytes: pieces are always pending while megabytes go through.
  const prepared_message m = make(opcode::binary, std::string(50, 'p'));
  const std::string own(20000, 'o');
  connection c(role::server);
  connection twin(role::server);
  std::string expected;  // what twin sent that c has not sent yet
  std::size_t total = 0;
  bool in_order = true;
  auto check_sent = [&](bytes_view piece) {
    in_order = in_order && expected.compare(0, piece.size(), as_chars(piece)) == 0;
    expected.erase(0, piece.size());
    total += piece.size();
  };
  std::size_t peak = 0;
  const std::size_t base = rtwire::test::live_bytes.load();
  for (int round = 0; round < 200; ++round) {
    REQUIRE_FALSE(c.send_text(own));
    REQUIRE_FALSE(c.send(m));
    REQUIRE_FALSE(twin.send_text(own));
    REQUIRE_FALSE(twin.send_binary(m.payload()));
    expected += as_chars(twin.output());
    twin.consume_output(twin.output().size());
    while (c.pending_output() > 10) {
      const bytes_view out = c.output();
      const std::size_t n = std::min(out.size(), c.pending_output() - 10);
      check_sent(out.first(n));
      c.consume_output(n);
    }
    peak = std::max(peak, rtwire::test::live_bytes.load() - base);
  }
  check_sent(as_bytes(drain(c, 4096)));
  CHECK(in_order);
  CHECK(expected.empty());
  CHECK(total > 4000000);
  if constexpr (rtwire::test::allocation_counting) {
    // 4 MB went through; the connection held a bounded window of it (its sent front is
    // dropped once it is most of the buffer), not all of it.
    CHECK(peak < 512 * 1024);
  }
}

TEST_CASE("send(prepared) queues the payload by reference, never a copy", "[ws][prepared]") {
  const std::string payload(70000, 'z');
  const prepared_message m = make(opcode::binary, payload);
  SECTION("one frame: the prepared frame itself") {
    connection c(role::server);
    REQUIRE_FALSE(c.send_text("own"));
    REQUIRE_FALSE(c.send(m));
    std::array<bytes_view, 4> iov{};
    REQUIRE(c.gather_output(iov) == 2);
    CHECK(as_chars(iov[0]) == std::string("\x81\x03own"));
    CHECK(iov[1].data() == m.frame().data());
    CHECK(iov[1].size() == m.frame().size());
  }
  SECTION("fragmented: the connection's headers, then slices of the prepared payload") {
    connection c(role::server, {.fragment_size = 30000});
    REQUIRE_FALSE(c.send(m));
    std::array<bytes_view, 8> iov{};
    REQUIRE(c.gather_output(iov) == 6);
    for (std::size_t i = 0; i < 3; ++i) {
      INFO(i);
      CHECK(iov[2 * i].size() == 4);  // 16-bit length headers
      CHECK(iov[2 * i + 1].data() == m.payload().data() + 30000 * i);
    }
    CHECK(iov[5].size() == 10000);
  }
  SECTION("no allocation per connection in steady state (allocation counter)") {
    if constexpr (!rtwire::test::allocation_counting) {
      WARN("allocation counting is disabled under AddressSanitizer");
      return;
    }
    std::vector<connection> conns;
    for (int i = 0; i < 100; ++i)
      conns.emplace_back(role::server);
    for (auto& c : conns) {  // warm up: each connection's piece table grows once
      REQUIRE_FALSE(c.send(m));
      c.consume_output(c.pending_output());
    }
    const std::size_t before = rtwire::test::allocations.load();
    const std::size_t live = rtwire::test::live_bytes.load();
    for (auto& c : conns) {
      REQUIRE_FALSE(c.send(m));
      CHECK(c.pending_output() == m.frame().size());
    }
    CHECK(rtwire::test::allocations.load() == before);
    CHECK(rtwire::test::live_bytes.load() == live);
    for (auto& c : conns)
      c.consume_output(c.pending_output());
  }
}

TEST_CASE("send(prepared) copies a frame of at most 256 bytes, references a longer one",
          "[ws][prepared]") {
  // 2-byte headers up to 125 payload bytes, 4-byte ones from 126: frames of 256 and 257+ bytes
  // are 254 and 253+ payload bytes.
  for (const std::size_t size :
       {std::size_t{1}, std::size_t{100}, std::size_t{125}, std::size_t{126}, std::size_t{252},
        std::size_t{253}, std::size_t{254}, std::size_t{255}, std::size_t{1000}}) {
    const std::string payload(size, 'c');
    const prepared_message m = make(opcode::text, payload);
    INFO("payload " << size << ", frame " << m.frame().size());
    connection c(role::server);
    REQUIRE_FALSE(c.send_text("own"));
    REQUIRE_FALSE(c.send(m));
    std::array<bytes_view, 4> iov{};
    const std::size_t n = c.gather_output(iov);
    if (m.frame().size() <= 256) {
      // Copied: one piece of the connection's own bytes; the message is not held.
      CHECK(n == 1);
      CHECK(m.use_count() == 1);
      CHECK(as_chars(iov[0]) == std::string("\x81\x03own") + std::string(as_chars(m.frame())));
    } else {
      CHECK(n == 2);
      CHECK(m.use_count() == 2);
      CHECK(iov[1].data() == m.frame().data());
    }
    CHECK(drain(c) == normal_bytes(opcode::text, "own") + normal_bytes(opcode::text, payload));
    CHECK(m.use_count() == 1);
  }
}

TEST_CASE("the prepared message lives while a connection holds it, and no longer",
          "[ws][prepared][lifetime]") {
  prepared_message m = make(opcode::text, std::string(1000, 'q'));
  const std::string expected = normal_bytes(opcode::text, std::string(1000, 'q'));
  const std::weak_ptr<const void> bytes = m.owner();
  auto a = std::make_unique<connection>(role::server);
  connection b(role::server, {.fragment_size = 100});  // 10 references, one per fragment
  REQUIRE_FALSE(a->send(m));
  REQUIRE_FALSE(b.send(m));
  CHECK(m.use_count() == 1 + 1 + 10);
  m = prepared_message{};  // the caller lets go: the connections keep the bytes
  CHECK(m.empty());
  CHECK(bytes.use_count() == 11);
  a->consume_output(50);  // partly sent: still held
  CHECK(bytes.use_count() == 11);
  a.reset();  // a connection destroyed with output pending releases its reference
  CHECK(bytes.use_count() == 10);
  const std::string sent = drain(b, 150);
  CHECK(sent == normal_bytes(opcode::text, std::string(1000, 'q'), {.fragment_size = 100}));
  CHECK(bytes.expired());
  (void)expected;
}

TEST_CASE("send(prepared) obeys the normal send path's rules, queueing nothing on error",
          "[ws][prepared][errors]") {
  const prepared_message m = make(opcode::text, "hi");
  SECTION("an empty prepared message") {
    connection c(role::server);
    CHECK(c.send(prepared_message{}) == error::invalid_argument);
    CHECK(c.pending_output() == 0);
  }
  SECTION("RFC 6455 §5.1/§5.3: a client masks every frame itself") {
    counting_keys keys;
    connection c(role::client, {.keys = keys});
    CHECK(c.send(m) == error::prepared_for_client);
    CHECK(c.pending_output() == 0);
    CHECK(keys.n == 0);
  }
  SECTION("RFC 6455 §5.5.1: no data after our close frame") {
    connection c(role::server);
    REQUIRE_FALSE(c.close());
    const std::size_t queued = c.pending_output();
    CHECK(c.send(m) == error::send_after_close);
    CHECK(c.pending_output() == queued);
    CHECK(c.output_pieces() == 1);
  }
  SECTION("after the peer's close (our reply is sent)") {
    connection c(role::server);
    REQUIRE_FALSE(c.feed(peer_frame(role::server, opcode::close, std::string("\x03\xe8", 2))));
    CHECK(c.next().type == event_type::close);
    const std::size_t queued = c.pending_output();
    CHECK(c.send(m) == error::send_after_close);
    CHECK(c.pending_output() == queued);
  }
  SECTION("after a failure") {
    connection c(role::server);
    REQUIRE_FALSE(c.feed(peer_frame(role::client, opcode::text, "unmasked")));
    CHECK(c.next().type == event_type::error);
    const std::size_t queued = c.pending_output();
    CHECK(c.send(m) == error::send_after_close);
    CHECK(c.pending_output() == queued);
  }
  SECTION("RFC 6455 §5.4: not inside a fragmented message being sent") {
    connection c(role::server);
    REQUIRE_FALSE(c.send_fragment(opcode::text, as_bytes("par"), false));
    const std::size_t queued = c.pending_output();
    CHECK(c.send(m) == error::message_in_progress);
    CHECK(c.pending_output() == queued);
    REQUIRE_FALSE(c.send_fragment(opcode::text, as_bytes("t"), true));
    REQUIRE_FALSE(c.send(m));
    CHECK(client_reads(drain(c)) == std::vector<std::string>{"part", "hi"});
  }
}

TEST_CASE(
    "compression hook: shared compressed frame when the codec's context key matches, "
    "compressed per connection otherwise",
    "[ws][prepared][compression]") {
  const std::string text = "a message for the whole room";
  reversing_codec once(15);
  prepared_message m;
  REQUIRE_FALSE(prepare_text(m, text, {.codec = &once}));
  CHECK(once.compressed == 1);
  REQUIRE(m.compressed());
  CHECK(m.shared_context_key() == 15);
  std::string reversed(text.rbegin(), text.rend());
  // RFC 7692 §6.1: RSV1 on the frame of a compressed message.
  CHECK(as_chars(m.compressed_frame()) == std::string("\xc1\x1c") + reversed);
  CHECK(m.compressed_header_size() == 2);

  auto expected_with = [&](std::unique_ptr<compression> codec, connection_options o = {}) {
    connection n(role::server, o, std::move(codec));
    REQUIRE_FALSE(n.send_text(text));
    return std::string(as_chars(n.output()));
  };
  SECTION("same key: the shared frame, not compressed again") {
    auto codec = std::make_unique<reversing_codec>(15);
    const reversing_codec& seen = *codec;
    connection c(role::server, {}, std::move(codec));
    REQUIRE_FALSE(c.send(m));
    std::array<bytes_view, 2> iov{};
    REQUIRE(c.gather_output(iov) == 1);
    // A frame this short is copied from the shared one (see the 256-byte test above).
    CHECK(as_chars(iov[0]) == as_chars(m.compressed_frame()));
    CHECK(seen.compressed == 0);
    const std::string wire = drain(c);
    CHECK(wire == expected_with(std::make_unique<reversing_codec>(15)));
    CHECK(client_reads(wire, std::make_unique<reversing_codec>(15)) ==
          std::vector<std::string>{text});
  }
  SECTION("same key, fragmented: RSV1 on the first fragment only") {
    connection c(role::server, {.fragment_size = 10}, std::make_unique<reversing_codec>(15));
    REQUIRE_FALSE(c.send(m));
    const std::string wire = drain(c, 3);
    CHECK(wire == expected_with(std::make_unique<reversing_codec>(15), {.fragment_size = 10}));
    CHECK(wire.substr(0, 2) == "\x41\x0a");                   // RSV1, text, no FIN
    CHECK(wire.substr(12, 2) == std::string("\x00\x0a", 2));  // continuation
    CHECK(wire.substr(24, 2) == std::string("\x80\x08", 2));  // FIN
  }
  SECTION("context takeover (key 0) or another key: compressed for this connection alone") {
    for (std::uint32_t key : {0u, 9u}) {
      INFO(key);
      auto codec = std::make_unique<reversing_codec>(key);
      const reversing_codec& seen = *codec;
      connection c(role::server, {}, std::move(codec));
      REQUIRE_FALSE(c.send(m));
      CHECK(seen.compressed == 1);
      std::array<bytes_view, 2> iov{};
      REQUIRE(c.gather_output(iov) == 1);
      CHECK(iov[0].data() != m.compressed_frame().data());
      CHECK(drain(c) == expected_with(std::make_unique<reversing_codec>(key)));
    }
  }
  SECTION("a connection without a codec, or one that finds the message too short: plain") {
    connection plain(role::server);
    REQUIRE_FALSE(plain.send(m));
    CHECK(drain(plain) == normal_bytes(opcode::text, text));
    auto codec = std::make_unique<reversing_codec>(15, 1000);
    const reversing_codec& seen = *codec;
    connection c(role::server, {}, std::move(codec));
    REQUIRE_FALSE(c.send(m));
    CHECK(drain(c) == normal_bytes(opcode::text, text));
    CHECK(seen.compressed == 0);
  }
  SECTION("prepared without compression: a codec connection compresses it itself") {
    const prepared_message p = make(opcode::text, text);
    auto codec = std::make_unique<reversing_codec>(15);
    const reversing_codec& seen = *codec;
    connection c(role::server, {}, std::move(codec));
    REQUIRE_FALSE(c.send(p));
    CHECK(seen.compressed == 1);
    CHECK(drain(c) == expected_with(std::make_unique<reversing_codec>(15)));
  }
}
