// RFC 7692 §7.2.3's examples, byte-exact both ways: what rtwire sends for "Hello" (with and
// without context takeover, the empty message) and what it reads (the same frames, the
// fragmented one, the stored block, the BFINAL block, two blocks in one message), run whole,
// byte by byte and split at every point, in both delivery modes. Plus the frame-layer rules
// (RSV1 only on a message's first frame) and corrupt data.
#include <string>
#include <string_view>
#include <vector>

#include "catch.hpp"
#include "deflate/harness.hpp"
#include "support/splits.hpp"

using namespace rtwire::test::deflate;
using rtwire::as_chars;

namespace {

const deflate_params takeover{};
const deflate_params no_takeover{.server_no_context_takeover = true,
                                 .client_no_context_takeover = true};

std::string server_sends(const deflate_params& p, const std::vector<std::string_view>& texts) {
  connection server(role::server, {}, make_deflate_codec(p, role::server));
  for (std::string_view t : texts)
    REQUIRE_FALSE(server.send_text(t));
  return hex(as_chars(server.output()));
}

// Runs `wire` (server frames, unmasked, read by a client) at every split point in both modes and
// checks every run gives `expected` messages and no error.
void client_reads(std::string_view wire_hex, const std::vector<std::string>& expected,
                  const deflate_params& p = takeover) {
  const std::string wire = from_hex(wire_hex);
  for (delivery mode : {delivery::whole_message, delivery::streaming}) {
    for (const auto& split : rtwire::test::all_splits(wire)) {
      INFO(wire_hex << " / " << split.label << " / mode " << static_cast<int>(mode));
      const outcome o = run(role::client, p, split.chunks, mode);
      CHECK_FALSE(o.error);
      CHECK(o.messages == expected);
    }
  }
}

}  // namespace

TEST_CASE("RFC 7692 §7.2.3.1: \"Hello\" compressed, as sent and as read") {
  CHECK(server_sends(takeover, {"Hello"}) == "c1 07 f2 48 cd c9 c9 07 00");
  client_reads("c1 07 f2 48 cd c9 c9 07 00", {"text:Hello"});
  // The same message in two fragments; RSV1 on the first only.
  client_reads("41 03 f2 48 cd 80 04 c9 c9 07 00", {"text:Hello"});
}

TEST_CASE("RFC 7692 §7.2.3.2: context takeover shrinks the second \"Hello\"") {
  CHECK(server_sends(takeover, {"Hello", "Hello"}) ==
        "c1 07 f2 48 cd c9 c9 07 00 c1 05 f2 00 11 00 00");
  client_reads("c1 07 f2 48 cd c9 c9 07 00 c1 05 f2 00 11 00 00", {"text:Hello", "text:Hello"});
  // Without takeover both messages are the same bytes, and the reader does not need the window.
  CHECK(server_sends(no_takeover, {"Hello", "Hello"}) ==
        "c1 07 f2 48 cd c9 c9 07 00 c1 07 f2 48 cd c9 c9 07 00");
  client_reads("c1 07 f2 48 cd c9 c9 07 00 c1 07 f2 48 cd c9 c9 07 00",
               {"text:Hello", "text:Hello"}, no_takeover);
}

TEST_CASE("RFC 7692 §7.2.3.3-§7.2.3.5: stored block, BFINAL block, two blocks") {
  client_reads("c1 0b 00 05 00 fa ff 48 65 6c 6c 6f 00", {"text:Hello"});
  // §7.2.3.4: BFINAL set; the next message still decodes (a fresh stream).
  client_reads("c1 08 f3 48 cd c9 c9 07 00 00 c1 07 f2 48 cd c9 c9 07 00",
               {"text:Hello", "text:Hello"});
  // ... also without the padding octet the RFC adds after it.
  client_reads("c1 07 f3 48 cd c9 c9 07 00 c1 07 f2 48 cd c9 c9 07 00",
               {"text:Hello", "text:Hello"});
  client_reads("c1 0d f2 48 05 00 00 00 ff ff ca c9 c9 07 00", {"text:Hello"});
}

TEST_CASE("RFC 7692 §7.2.3.6: the empty message is the single octet 00") {
  CHECK(server_sends(takeover, {""}) == "c1 01 00");
  CHECK(server_sends(takeover, {"", "", "Hello"}) ==
        "c1 01 00 c1 01 00 c1 07 f2 48 cd c9 c9 07 00");
  client_reads("c1 01 00 c1 01 00", {"text:", "text:"});
  // An empty compressed frame (no octet at all) is read as an empty message too.
  client_reads("c1 00 c1 07 f2 48 cd c9 c9 07 00", {"text:", "text:Hello"});
}

TEST_CASE("RSV1 belongs on a message's first frame only (RFC 7692 §6.1)") {
  struct bad {
    const char* what;
    std::string_view wire;
    rtwire::ws::error err;
    close_code code;
  };
  const bad cases[] = {
      {"RSV1 on a ping", "c9 00", rtwire::ws::error::compressed_control_frame,
       close_code::protocol_error},
      {"RSV1 on a close", "c8 02 03 e8", rtwire::ws::error::compressed_control_frame,
       close_code::protocol_error},
      {"RSV1 on a continuation", "41 03 f2 48 cd c0 04 c9 c9 07 00",
       rtwire::ws::error::compressed_continuation, close_code::protocol_error},
      {"RSV2 stays reserved", "a1 01 00", rtwire::ws::error::reserved_bits_set,
       close_code::protocol_error},
      {"not DEFLATE data (BTYPE 11)", "c1 02 ff ff", rtwire::ws::error::bad_compressed_data,
       close_code::invalid_payload},
      {"a payload that stops inside a block", "c1 03 f2 48 cd",
       rtwire::ws::error::bad_compressed_data, close_code::invalid_payload},
      {"inflated text that is not UTF-8", "", rtwire::ws::error::invalid_utf8,
       close_code::invalid_payload},
  };
  for (const bad& c : cases) {
    INFO(c.what);
    std::string wire = from_hex(c.wire);
    if (c.wire.empty()) {
      // "\xff" in a stored block, then the header octet of the flush (as §7.2.3.3 shows).
      wire = from_hex("c1 07 00 01 00 fe ff ff 00");
    }
    for (const auto& split : rtwire::test::all_splits(wire)) {
      INFO(split.label);
      for (delivery mode : {delivery::whole_message, delivery::streaming}) {
        const outcome o = run(role::client, takeover, split.chunks, mode);
        CHECK(o.error == c.err);
        CHECK(o.code == c.code);
        CHECK(o.messages.empty());
        // The close frame with that code is queued (masked: the client role).
        REQUIRE(o.sent.size() == 8);
        const auto* b = reinterpret_cast<const unsigned char*>(o.sent.data());
        CHECK(b[0] == 0x88);
        CHECK(b[1] == 0x82);
        CHECK(((b[6] ^ b[2]) << 8 | (b[7] ^ b[3])) == static_cast<int>(c.code));
      }
    }
  }
}

TEST_CASE("without a codec RSV1 stays a protocol error") {
  connection client(role::client);
  std::string wire = from_hex("c1 07 f2 48 cd c9 c9 07 00");
  REQUIRE_FALSE(client.feed(wire.data(), wire.size()));
  CHECK(client.next().type == event_type::error);
  CHECK(client.failure().code == rtwire::ws::error::reserved_bits_set);
  CHECK_FALSE(client.compressing());
}

TEST_CASE("invalid UTF-8 in inflated text fails before the rest of the frame arrives") {
  // A 100 KiB text message whose inflated bytes go bad in the first KiB: the connection fails
  // as soon as that part is inflated, with most of the frame still unsent.
  connection sender(role::server, {}, make_deflate_codec(takeover, role::server));
  std::string text(100 * 1024, 'a');
  text[500] = '\xff';
  std::string payload;
  {
    deflate_codec raw(takeover, role::server, {.level = 0});  // stored blocks: no lookahead
    std::vector<std::byte> out;
    REQUIRE(raw.compress(rtwire::as_bytes(text), true, out));
    payload.assign(reinterpret_cast<const char*>(out.data()), out.size());
  }
  std::string wire;
  write_frame(wire, {.fin = true, .rsv = rsv1, .op = opcode::text}, rtwire::as_bytes(payload));
  connection client(role::client, {.mode = delivery::streaming},
                    make_deflate_codec(takeover, role::client));
  std::string first = wire.substr(0, 2048);
  REQUIRE_FALSE(client.feed(first.data(), first.size()));
  event ev = client.next();
  CHECK(ev.type == event_type::error);
  CHECK(client.failure().code == rtwire::ws::error::invalid_utf8);
}
