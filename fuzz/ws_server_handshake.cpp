// Fuzz target: the server side of the WebSocket opening handshake.
// Invariants: no crash or sanitizer report; feeding the input whole or in three chunks (split
// points derived from the input) gives the same state, end-of-head offset, error and status; an
// accepted request always yields a 101 response that a client-side parser can read.
#include <rtwire/ws/handshake.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

struct outcome {
  rtwire::ws::server_handshake::state state;
  std::size_t head_end;
  std::error_code error;
  std::size_t error_offset;
  int status;
};

outcome run(std::string_view input, std::size_t a, std::size_t b, std::string* response) {
  rtwire::ws::server_handshake::options opts;
  opts.http.limit.max_head_bytes = 2048;  // keep the limits reachable for the fuzzer
  opts.limit.max_protocols = 4;
  opts.limit.max_extensions = 4;
  opts.limit.max_extension_params = 8;
  rtwire::ws::server_handshake hs(opts);
  const std::string_view chunks[] = {input.substr(0, a), input.substr(a, b - a), input.substr(b)};
  std::size_t fed = 0;
  for (std::string_view chunk : chunks) {
    const auto r = hs.feed(chunk);
    if (r.status != rtwire::ws::server_handshake::state::need_more) {
      if (r.consumed > chunk.size()) __builtin_trap();
      fed += r.consumed;
      break;
    }
    if (r.consumed != chunk.size()) __builtin_trap();
    fed += chunk.size();
  }
  hs.finish();
  const outcome result{hs.current(), fed, hs.error().code, hs.error().offset,
                       hs.rejection_status()};
  if (response) {
    if (hs.current() == rtwire::ws::server_handshake::state::request_ready) {
      const auto& protocols = hs.request().protocols;
      rtwire::ws::accept_options opts2;
      if (!protocols.empty()) opts2.protocol = protocols.back();
      if (hs.accept(*response, opts2)) __builtin_trap();
    } else if (hs.current() == rtwire::ws::server_handshake::state::rejected) {
      if (hs.write_rejection(*response)) __builtin_trap();
      if (hs.rejection_status() != 400 && hs.rejection_status() != 426 &&
          hs.rejection_status() != 431 && hs.rejection_status() != 505)
        __builtin_trap();
    }
  }
  return result;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string response;
  const outcome whole = run(input, size, size, &response);
  const std::size_t a = size == 0 ? 0 : data[0] % (size + 1);
  const std::size_t b = size == 0 ? 0 : a + (data[size - 1] % (size - a + 1));
  const outcome split = run(input, a, b, nullptr);
  // After a rejection the bytes consumed depend on the chunking; the error offset does not.
  const bool rejected = whole.state == rtwire::ws::server_handshake::state::rejected;
  if (whole.state != split.state || (!rejected && whole.head_end != split.head_end) ||
      whole.error != split.error || whole.error_offset != split.error_offset ||
      whole.status != split.status)
    __builtin_trap();
  if (!response.empty()) {
    // Our own response must parse as an HTTP response head.
    rtwire::http1::response_parser parser;
    if (parser.feed(response).status != rtwire::http1::parse_status::done) __builtin_trap();
  }
  return 0;
}
