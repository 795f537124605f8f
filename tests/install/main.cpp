// A consumer of the installed (or fetched) rtwire: computes the RFC 6455 §1.3 accept key, runs a
// server handshake and decodes a frame header from a small stack buffer, then prints the accept
// value. Exit 0 only if all are right. CI builds it with g++ and clang++, at -O0 and at -O3 with
// -Werror (g++ 12 once reported a false -Warray-bounds in the masking kernels for the frame
// header below: a consumer must build warning-free), and with -fno-exceptions -fno-rtti.
#include <rtwire/rtwire.hpp>

#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

int main() {
  const std::string accept = rtwire::ws::accept_key("dGhlIHNhbXBsZSBub25jZQ==");
  rtwire::ws::server_handshake hs;
  const auto r = hs.feed(
      "GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  std::string response;
  if (r.status != rtwire::ws::server_handshake::state::request_ready || hs.accept(response))
    return 1;
  if (response.find("Sec-WebSocket-Accept: " + accept + "\r\n") == std::string::npos) return 1;
  // A 1 GiB binary frame's header in its 14-byte buffer, passed with its run-time size.
  const rtwire::ws::frame_header h{.op = rtwire::ws::opcode::binary, .payload_length = 1ull << 30};
  std::byte header[rtwire::ws::max_header_size];
  const std::size_t header_size = rtwire::ws::encode_header(h, header);
  rtwire::ws::frame_decoder decoder;
  const auto d = decoder.decode({header, header_size});
  if (d.status != rtwire::ws::frame_decoder::status::piece || !d.frame_started ||
      decoder.remaining() != h.payload_length)
    return 1;
  std::printf("%s\n", accept.c_str());
  return accept == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" ? 0 : 1;
}
