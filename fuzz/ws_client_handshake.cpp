// Fuzz target: the client side of the WebSocket opening handshake (response validation).
// Invariants: no crash or sanitizer report; whole vs three chunks give the same state, offset and
// error; accepted only with the right Sec-WebSocket-Accept and an offered protocol/extension.
#include <rtwire/ws/handshake.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

struct outcome {
  rtwire::ws::client_handshake::state state;
  std::size_t head_end;
  std::error_code error;
  std::size_t error_offset;
};

outcome run(std::string_view input, std::size_t a, std::size_t b) {
  rtwire::ws::client_handshake hs;
  // The nonce of RFC 6455 §1.3 ("the sample nonce"), so seeds can carry the matching accept.
  std::array<std::byte, 16> nonce{};
  constexpr std::string_view text = "the sample nonce";
  for (std::size_t i = 0; i < 16; ++i)
    nonce[i] = static_cast<std::byte>(text[i]);
  const std::string_view protocols[] = {"chat", "superchat"};
  std::string request;
  if (hs.write_request(request,
                       {.host = "server.example.com",
                        .target = "/chat",
                        .protocols = protocols,
                        .extensions = "permessage-deflate"},
                       nonce))
    __builtin_trap();
  const std::string_view chunks[] = {input.substr(0, a), input.substr(a, b - a), input.substr(b)};
  std::size_t fed = 0;
  for (std::string_view chunk : chunks) {
    const auto r = hs.feed(chunk);
    if (r.status != rtwire::ws::client_handshake::state::need_more) {
      fed += r.consumed;
      break;
    }
    fed += chunk.size();
  }
  hs.finish();
  if (hs.current() == rtwire::ws::client_handshake::state::accepted) {
    const auto accept = hs.response().headers.find("sec-websocket-accept");
    if (!accept || *accept != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") __builtin_trap();
    if (!hs.protocol().empty() && hs.protocol() != "chat" && hs.protocol() != "superchat")
      __builtin_trap();
    for (const auto& e : hs.extensions())
      if (e.name != "permessage-deflate") __builtin_trap();
  }
  return {hs.current(), fed, hs.error().code, hs.error().offset};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const outcome whole = run(input, size, size);
  const std::size_t a = size == 0 ? 0 : data[0] % (size + 1);
  const std::size_t b = size == 0 ? 0 : a + (data[size - 1] % (size - a + 1));
  const outcome split = run(input, a, b);
  const bool failed = whole.state == rtwire::ws::client_handshake::state::failed;
  if (whole.state != split.state || (!failed && whole.head_end != split.head_end) ||
      whole.error != split.error || whole.error_offset != split.error_offset)
    __builtin_trap();
  return 0;
}
