// `rtwire ws ...`: the WebSocket subcommands.
//   rtwire ws accept KEY          the Sec-WebSocket-Accept value for KEY
//   rtwire ws handshake [FILE|-]  server role: the exact response to one raw HTTP request
//   rtwire ws decode ...          see cmd_ws_decode.cpp
#include <rtwire/fmt.hpp>
#include <rtwire/ws/accept_key.hpp>
#include <rtwire/ws/handshake.hpp>

#include <fmt/core.h>

#include <cstdio>
#include <string>

#include "commands.hpp"

namespace rtwire_cli {
namespace {

int run_handshake(const std::string& path, context& ctx) {
  std::string input;
  if (!read_input(path, input, ctx)) return exit_usage;
  rtwire::ws::server_handshake hs;
  const auto r = hs.feed(input);
  using state = rtwire::ws::server_handshake::state;
  std::string out;
  if (r.status == state::need_more) {
    // The input ended before the head did: that is the client closing early.
    hs.finish();
  }
  if (hs.current() == state::need_more) {
    // No request line at all (empty input, or only empty lines): nothing to answer.
    fmt::print(stderr, "rtwire: no request: the input ended before a request line\n");
    return exit_rejected;
  }
  if (hs.current() == state::request_ready) {
    // Policy of this tool: accept, selecting the first offered subprotocol (RFC 6455 §4.2.2
    // leaves the choice to the server) and no extension (it implements none).
    const auto& protocols = hs.request().protocols;
    rtwire::ws::accept_options opts;
    if (!protocols.empty()) opts.protocol = protocols.front();
    if (const auto ec = hs.accept(out, opts)) {
      fmt::print(stderr, "rtwire: {}\n", ec.message());
      return exit_rejected;
    }
    write_stdout(out);
    if (r.consumed < input.size())
      fmt::print(stderr,
                 "rtwire: {} bytes after the request head belong to the WebSocket connection\n",
                 input.size() - r.consumed);
    return exit_ok;
  }
  hs.write_rejection(out);
  write_stdout(out);
  fmt::print(stderr, "rtwire: rejected with {}: {}\n", hs.rejection_status(), hs.error());
  return exit_rejected;
}

}  // namespace

void add_ws_commands(CLI::App& app, context& ctx) {
  CLI::App* ws = app.add_subcommand("ws", "WebSocket (RFC 6455)");
  ws->require_subcommand(1);

  auto* accept = ws->add_subcommand("accept", "Print the Sec-WebSocket-Accept value for a key");
  auto key = std::make_shared<std::string>();
  accept->add_option("KEY", *key, "The Sec-WebSocket-Key value")->required();
  accept->callback([key, &ctx] {
    // The same rule as the handshake (400 bad_key): answering a key no server would accept
    // would hide the client's bug.
    if (!rtwire::ws::is_valid_key(*key)) {
      fmt::print(stderr, "rtwire: {}\n",
                 make_error_code(rtwire::ws::handshake_error::bad_key).message());
      ctx.exit_code = exit_rejected;
      return;
    }
    std::printf("%s\n", rtwire::ws::accept_key(*key).c_str());
  });

  auto* handshake = ws->add_subcommand(
      "handshake",
      "Server role: read one raw HTTP request and write the exact response bytes; exit 0 for "
      "101, 1 for a rejection");
  auto path = std::make_shared<std::string>("-");
  handshake->add_option("FILE", *path, "File with the request, or - for standard input");
  handshake->callback([path, &ctx] { ctx.exit_code = run_handshake(*path, ctx); });

  add_ws_decode_command(*ws, ctx);
}

}  // namespace rtwire_cli
