// A consumer of the installed (or fetched) rtwire: computes the RFC 6455 §1.3 accept key and runs
// a server handshake, then prints the accept value. Exit 0 only if both are right.
#include <rtwire/rtwire.hpp>

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
  std::printf("%s\n", accept.c_str());
  return accept == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" ? 0 : 1;
}
