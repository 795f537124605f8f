// The package's smoke test: the version header, and one codec doing real work (the RFC 6455
// §1.3 example accept key). Exit 0 only if the value is right.
#include <rtwire/version.hpp>
#include <rtwire/ws/handshake.hpp>

#include <cstdio>
#include <string>

int main() {
  const std::string accept = rtwire::ws::accept_key("dGhlIHNhbXBsZSBub25jZQ==");
  std::printf("rtwire %s: %s\n", RTWIRE_VERSION_STRING, accept.c_str());
  return accept == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" ? 0 : 1;
}
