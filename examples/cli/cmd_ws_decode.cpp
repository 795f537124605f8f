// `rtwire ws decode --role client|server [--hex] [--deflate [PARAMS]] [FILE|-]`: decodes the raw
// WebSocket frames one endpoint sent (a capture of one direction, after the handshake) and prints
// one JSON line per event:
//   {"event":"text","data":"hi"}
//   {"event":"binary","size":3,"hex":"010203"}
//   {"event":"ping","hex":""}            {"event":"pong","hex":"..."}
//   {"event":"close","code":1000,"reason":""}
//   {"event":"error","close_code":1002,"message":"...","offset":12}   then exit 1
// The bytes are checked exactly as the receiving endpoint would check them (frames sent by a
// client must be masked, by a server unmasked; UTF-8, close codes, RFC 6455 limits), with
// rtwire::ws::connection in whole-message mode and its default limits. --hex reads the input as
// hexadecimal text (whitespace ignored). --deflate: permessage-deflate (RFC 7692) was negotiated,
// with PARAMS the server's answer ("server_no_context_takeover; client_max_window_bits=10", with
// or without the leading "permessage-deflate;"; none: the defaults): messages with RSV1 are
// inflated and printed as above (give PARAMS as --deflate=PARAMS, or before FILE). Exit 0 when
// every frame was valid, 1 on a violation or when the input ends inside a frame or fragmented
// message, 2 on a usage error (also: --deflate in a build without zlib, or invalid PARAMS).
#include <rtwire/ws/connection.hpp>
#include <rtwire/ws/deflate.hpp>
#if RTWIRE_CLI_HAVE_DEFLATE
#include <rtwire/ws/deflate_codec.hpp>
#endif

#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands.hpp"

namespace rtwire_cli {
namespace {

std::string to_hex(rtwire::bytes_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::byte b : bytes) {
    const auto v = static_cast<unsigned>(b);
    out.push_back(digits[v >> 4]);
    out.push_back(digits[v & 15]);
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Hex text to bytes, ignoring ASCII whitespace. False on any other character or an odd count.
bool from_hex(std::string_view text, std::string& out) {
  out.clear();
  int high = -1;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    const int v = hex_value(c);
    if (v < 0) return false;
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<char>((high << 4) | v));
      high = -1;
    }
  }
  return high < 0;
}

void print_json(const nlohmann::ordered_json& j) {
  write_stdout(j.dump() + "\n");
}

/// The negotiated permessage-deflate parameters in `text` (the server's answer, RFC 7692 §7.1,
/// with or without the extension name). False when they are not a valid answer.
bool parse_deflate_params(std::string text, rtwire::ws::deflate_params& out) {
  using namespace rtwire::ws;
  if (text.rfind(permessage_deflate, 0) != 0)
    text = std::string(permessage_deflate) + (text.empty() ? "" : "; " + text);
  std::vector<extension> elements;
  std::vector<extension_param> params;
  elements.reserve(2);
  params.reserve(8);
  if (detail::parse_extensions(text, elements, params) != handshake_error{} ||
      elements.size() != 1 || elements[0].name != permessage_deflate)
    return false;
  const deflate_element e = parse_deflate_element(elements[0], false);
  if (e.issue != deflate_param_issue::none) return false;
  out.server_no_context_takeover = e.server_no_context_takeover;
  out.client_no_context_takeover = e.client_no_context_takeover;
  if (e.server_max_window_bits != 0) out.server_max_window_bits = e.server_max_window_bits;
  if (e.client_max_window_bits != 0) out.client_max_window_bits = e.client_max_window_bits;
  return true;
}

int run_decode(const std::string& role_name, bool hex, const std::string& path,
               const std::optional<std::string>& deflate, context& ctx) {
  rtwire::ws::deflate_params params;
  if (deflate && !parse_deflate_params(*deflate, params)) {
    std::fprintf(stderr, "rtwire: --deflate: invalid permessage-deflate parameters '%s'\n",
                 deflate->c_str());
    return ctx.exit_code = exit_usage;
  }
#if !RTWIRE_CLI_HAVE_DEFLATE
  if (deflate) {
    std::fprintf(stderr, "rtwire: --deflate: this build has no zlib (rtwire::deflate)\n");
    return ctx.exit_code = exit_usage;
  }
#endif
  std::string input;
  if (!read_input(path, input, ctx)) return exit_usage;
  if (hex) {
    std::string bytes;
    if (!from_hex(input, bytes)) {
      std::fprintf(stderr, "rtwire: --hex input is not hexadecimal text\n");
      return ctx.exit_code = exit_usage;
    }
    input.swap(bytes);
  }
  // The bytes were sent BY `role_name`, so they are received by the other role.
  const auto receiver = role_name == "client" ? rtwire::ws::role::server : rtwire::ws::role::client;
  std::unique_ptr<rtwire::ws::compression> codec;
#if RTWIRE_CLI_HAVE_DEFLATE
  if (deflate) codec = rtwire::ws::make_deflate_codec(params, receiver);
#endif
  rtwire::ws::connection conn(receiver, {}, std::move(codec));
  if (const auto ec = conn.feed(input.data(), input.size())) {
    std::fprintf(stderr, "rtwire: %s\n", ec.message().c_str());
    return ctx.exit_code = exit_usage;
  }
  using rtwire::ws::event_type;
  for (rtwire::ws::event ev = conn.next(); ev.type != event_type::need_more; ev = conn.next()) {
    switch (ev.type) {
      case event_type::text:
        print_json({{"event", "text"}, {"data", std::string(ev.text())}});
        break;
      case event_type::binary:
        print_json({{"event", "binary"}, {"size", ev.data.size()}, {"hex", to_hex(ev.data)}});
        break;
      case event_type::ping:
        print_json({{"event", "ping"}, {"hex", to_hex(ev.data)}});
        break;
      case event_type::pong:
        print_json({{"event", "pong"}, {"hex", to_hex(ev.data)}});
        break;
      case event_type::close:
        print_json({{"event", "close"},
                    {"code", static_cast<int>(ev.code)},
                    {"reason", std::string(ev.reason())}});
        break;
      case event_type::error: {
        const auto& f = conn.failure();
        print_json({{"event", "error"},
                    {"close_code", static_cast<int>(f.close)},
                    {"message", f.message()},
                    {"offset", f.offset}});
        return ctx.exit_code = exit_rejected;
      }
      case event_type::need_more:
        break;
    }
  }
  if (conn.receiving()) {
    // A capture cut inside a frame: the endpoint would still be waiting, report it as the
    // abnormal closure it would become (RFC 6455 §7.1.5: 1006, never sent on the wire).
    print_json({{"event", "error"},
                {"close_code", static_cast<int>(rtwire::ws::close_code::abnormal)},
                {"message", "the input ends inside a frame or a fragmented message"},
                {"offset", input.size()}});
    return ctx.exit_code = exit_rejected;
  }
  return ctx.exit_code = exit_ok;
}

}  // namespace

void add_ws_decode_command(CLI::App& ws_group, context& ctx) {
  auto* decode = ws_group.add_subcommand(
      "decode", "Decode the WebSocket frames sent by one endpoint into JSON lines");
  auto role = std::make_shared<std::string>();
  auto hex = std::make_shared<bool>(false);
  auto path = std::make_shared<std::string>();
  auto deflate = std::make_shared<std::optional<std::string>>();
  decode->add_option("--role", *role, "Which endpoint sent the bytes")
      ->required()
      ->check(CLI::IsMember({"client", "server"}));
  decode->add_flag("--hex", *hex, "The input is hexadecimal text");
  decode
      ->add_option_function<std::string>(
          "--deflate", [deflate](const std::string& v) { *deflate = v; },
          "permessage-deflate was negotiated, with these parameters (the server's answer)")
      ->expected(0, 1)
      ->type_name("[PARAMS]");
  decode->add_option("FILE", *path, "Input file, or - for standard input (the default)");
  decode->callback([role, hex, path, deflate, decode, &ctx] {
    // A bare --deflate right before FILE takes FILE as its value: give FILE back unless the
    // value reads as parameters.
    std::optional<std::string> params = *deflate;
    if (!params && decode->count("--deflate") > 0) params = std::string();
    std::string file = *path;
    rtwire::ws::deflate_params ignored;
    if (params && file.empty() && !params->empty() && !parse_deflate_params(*params, ignored)) {
      file = *params;
      params = std::string();
    }
    run_decode(*role, *hex, file, params, ctx);
  });
}

}  // namespace rtwire_cli
