// STUN over a stream: the framer gives the same frames for every split of the stream (whole,
// byte by byte, every two-way split), with ChannelData padding, its errors with stream offsets,
// and RFC 7983 demultiplexing.
#include "rtwire/stun/framer.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "catch.hpp"
#include "rtwire/stun/demux.hpp"
#include "rtwire/stun/message.hpp"
#include "stun/vectors.hpp"
#include "support/splits.hpp"

namespace stun = rtwire::stun;
using rtwire::test::unhex;

namespace {

struct outcome {
  std::vector<std::string> frames;  // "stun:<hex>" / "channel:<hex>"
  std::string error;                // "" or "<message>@<offset>"
};

std::string hex(rtwire::bytes_view b) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  for (std::byte x : b) {
    s += digits[std::to_integer<unsigned>(x) >> 4];
    s += digits[std::to_integer<unsigned>(x) & 15];
  }
  return s;
}

outcome run(const std::vector<std::string_view>& chunks, stun::stream_framer::options o = {}) {
  outcome out;
  stun::stream_framer f(o);
  for (std::string_view chunk : chunks) {
    rtwire::bytes_view in = rtwire::as_bytes(chunk);
    for (;;) {
      const auto r = f.next(in);
      REQUIRE(r.consumed <= in.size());
      in = in.subspan(r.consumed);
      if (r.status == stun::stream_framer::status::need_more) {
        REQUIRE(in.empty());
        break;
      }
      if (r.status == stun::stream_framer::status::failed) {
        out.error = f.error().message() + "@" + std::to_string(f.error().offset);
        // Sticky: the same error again, nothing consumed.
        const auto again = f.next(in);
        CHECK(again.status == stun::stream_framer::status::failed);
        CHECK(again.consumed == 0);
        return out;
      }
      out.frames.push_back((r.kind == stun::frame_kind::stun ? "stun:" : "channel:") +
                           hex(r.frame));
      if (r.kind == stun::frame_kind::stun) CHECK(stun::parse(r.frame));
    }
  }
  return out;
}

}  // namespace

TEST_CASE("stream framer: STUN and padded ChannelData at every split", "[stun][framer]") {
  // RFC 5769 request, ChannelData of 5 bytes (3 padding bytes on a stream), empty ChannelData,
  // the IPv4 response, ChannelData of 4 bytes (no padding).
  const std::string stream = rtwire::test::rfc5769_request + unhex("4001 0005 6162636465 000000") +
                             unhex("4ffe 0000") + rtwire::test::rfc5769_ipv4_response +
                             unhex("4002 0004 01020304");
  const std::vector<std::string> expected{
      std::string("stun:").append(hex(rtwire::test::view(rtwire::test::rfc5769_request))),
      "channel:400100056162636465",
      "channel:4ffe0000",
      std::string("stun:").append(hex(rtwire::test::view(rtwire::test::rfc5769_ipv4_response))),
      "channel:4002000401020304",
  };
  for (const auto& s : rtwire::test::all_splits(stream)) {
    INFO(s.label);
    const outcome o = run(s.chunks);
    CHECK(o.error.empty());
    CHECK(o.frames == expected);
  }
}

TEST_CASE("stream framer: legacy_channel_range takes RFC 5766 channels up to 0x7FFF",
          "[stun][framer]") {
  // Off by default (0x5000 is an error, see below); on, 0x5000-0x7FFF frame like 0x4000-0x4FFF,
  // and 0x80 (RTP) is still refused.
  const std::string stream = unhex("5000 0003 616263 00") + rtwire::test::rfc5769_request +
                             unhex("7fff 0001 ff 000000") + unhex("80 00 00 00");
  const std::vector<std::string> expected{
      "channel:50000003616263",
      std::string("stun:").append(hex(rtwire::test::view(rtwire::test::rfc5769_request))),
      "channel:7fff0001ff",
  };
  for (const auto& s : rtwire::test::all_splits(stream)) {
    INFO(s.label);
    const outcome o = run(s.chunks, {.legacy_channel_range = true});
    CHECK(o.frames == expected);
    CHECK(o.error ==
          "stream frame is neither STUN nor ChannelData@" + std::to_string(stream.size() - 4));
  }
}

TEST_CASE("stream framer errors carry the stream offset, at every split", "[stun][framer]") {
  struct bad {
    const char* what;
    std::string stream;
    std::string error;
    std::size_t frames_before;
    stun::stream_framer::options opts;
  };
  const std::string ok = rtwire::test::rfc5769_request;  // 108 bytes
  const std::vector<bad> cases{
      {"RTP after a STUN message",
       ok + unhex("80 00 00 00"),
       "stream frame is neither STUN nor ChannelData@108",
       1,
       {}},
      {"channel 0x5000",
       unhex("5000 0004 00000000"),
       "stream frame is neither STUN nor ChannelData@0",
       0,
       {}},
      {"STUN length not a multiple of 4",
       ok + unhex("0001 0003 2112a442"),
       "STUN message length is not a multiple of 4@110",
       1,
       {}},
      {"frame larger than the limit",
       unhex("4001 0100"),
       "stream frame larger than the configured maximum@2",
       0,
       {.max_frame_bytes = 200}},
  };
  for (const bad& c : cases) {
    INFO(c.what);
    for (const auto& s : rtwire::test::all_splits(c.stream)) {
      INFO(s.label);
      const outcome o = run(s.chunks, c.opts);
      CHECK(o.error == c.error);
      CHECK(o.frames.size() == c.frames_before);
    }
  }
}

TEST_CASE("RFC 7983 demultiplexing of the first byte", "[stun][demux]") {
  int counts[6] = {};
  for (unsigned b = 0; b < 256; ++b)
    ++counts[static_cast<int>(stun::classify(static_cast<std::uint8_t>(b)))];
  CHECK(counts[static_cast<int>(stun::packet_kind::stun)] == 4);
  CHECK(counts[static_cast<int>(stun::packet_kind::zrtp)] == 4);
  CHECK(counts[static_cast<int>(stun::packet_kind::dtls)] == 44);
  CHECK(counts[static_cast<int>(stun::packet_kind::channel_data)] == 16);
  CHECK(counts[static_cast<int>(stun::packet_kind::rtp_rtcp)] == 64);
  CHECK(counts[static_cast<int>(stun::packet_kind::unknown)] == 256 - 132);
  CHECK(stun::classify(0x00) == stun::packet_kind::stun);
  CHECK(stun::classify(0x03) == stun::packet_kind::stun);
  CHECK(stun::classify(0x04) == stun::packet_kind::unknown);
  CHECK(stun::classify(0x16) == stun::packet_kind::dtls);  // DTLS handshake record
  CHECK(stun::classify(0x40) == stun::packet_kind::channel_data);
  CHECK(stun::classify(0x4f) == stun::packet_kind::channel_data);
  CHECK(stun::classify(0x50) == stun::packet_kind::unknown);
  CHECK(stun::classify(0x80) == stun::packet_kind::rtp_rtcp);
  CHECK(stun::classify(0xbf) == stun::packet_kind::rtp_rtcp);
  CHECK(stun::classify(0xc0) == stun::packet_kind::unknown);
  CHECK(std::string_view(stun::to_string(stun::packet_kind::dtls)) == "dtls");
  // The byte and datagram forms agree with the integer one; an empty datagram is unknown.
  for (unsigned b = 0; b < 256; ++b) {
    const std::byte first{static_cast<unsigned char>(b)};
    CHECK(stun::classify(first) == stun::classify(static_cast<std::uint8_t>(b)));
    CHECK(stun::classify(rtwire::bytes_view(&first, 1)) == stun::classify(first));
  }
  CHECK(stun::classify(rtwire::bytes_view{}) == stun::packet_kind::unknown);
}

TEST_CASE("stream framer: the largest STUN message passes with the default options",
          "[stun][framer]") {
  // RFC 8489 §5: 20 + 0xfffc bytes, here one 0xfff8-byte unknown comprehension-optional attribute.
  std::string m = unhex("0001 fffc 2112a442 b7e7a701bc34d686fa87dfae");
  m += unhex("8fff fff8");
  m += std::string(0xfff8, 'x');
  REQUIRE(m.size() == 20 + 0xfffc);
  REQUIRE(stun::parse(rtwire::as_bytes(std::string_view(m))));
  const outcome whole = run({m});
  CHECK(whole.error.empty());
  REQUIRE(whole.frames.size() == 1);
  CHECK(whole.frames[0].size() == 5 + 2 * m.size());
  // One byte past the configured maximum is refused.
  const outcome capped = run({m}, {.max_frame_bytes = m.size() - 1});
  CHECK(capped.frames.empty());
  CHECK(capped.error.rfind("stream frame larger than the configured maximum@", 0) == 0);
}
