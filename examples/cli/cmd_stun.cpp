// `rtwire stun decode`: one STUN message as JSON, with its integrity and fingerprint checked.
// The interface is a public contract:
//
//   rtwire stun decode [--hex] [--password PW [--long-term]] [FILE|-]
//
// Output: {"class":"request|success|error|indication","method":"binding",...,
//          "transaction_id":"<hex>","attributes":[{"type":"XOR-MAPPED-ADDRESS","family":"IPv4",
//          "address":"192.0.2.1","port":32853},...],"integrity":"ok|mismatch|absent|unchecked",
//          "fingerprint":"ok|mismatch|absent"}
// The key is the password (short-term), or with --long-term MD5/SHA-256 of the message's own
// USERNAME ":" REALM ":" password (its PASSWORD-ALGORITHM, MD5 by default). Without --password a
// present MESSAGE-INTEGRITY is "unchecked". --hex reads hex digits with any whitespace.
// Exit 0 when the message parses and every present check passes, 2 on a mismatch, 1 on a parse
// error, which prints {"error":"..","offset":N} (N: the byte offset of the fault).
#include <rtwire/stun.hpp>

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "commands.hpp"

namespace rtwire_cli {
namespace {

using json = nlohmann::ordered_json;
namespace stun = rtwire::stun;

std::string hex(rtwire::bytes_view b) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  for (std::byte x : b) {
    s += digits[std::to_integer<unsigned>(x) >> 4];
    s += digits[std::to_integer<unsigned>(x) & 15];
  }
  return s;
}

std::string hex16(unsigned v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%04x", v);
  return buf;
}

std::string type_name(std::uint16_t t) {
  if (const char* n = stun::attribute_name(t)) return n;
  return hex16(t);
}

const char* class_name(stun::message_class c) {
  switch (c) {
    case stun::message_class::request:
      return "request";
    case stun::message_class::indication:
      return "indication";
    case stun::message_class::success_response:
      return "success";
    case stun::message_class::error_response:
      return "error";
  }
  return "request";
}

std::string method_name(std::uint16_t m) {
  switch (m) {
    case stun::method::binding:
      return "binding";
    case stun::method::allocate:
      return "allocate";
    case stun::method::refresh:
      return "refresh";
    case stun::method::send:
      return "send";
    case stun::method::data:
      return "data";
    case stun::method::create_permission:
      return "create-permission";
    case stun::method::channel_bind:
      return "channel-bind";
    default:
      return hex16(m);
  }
}

std::string ip_text(const stun::address& a) {
  char buf[64];
  const auto& b = a.bytes;
  if (a.family == stun::family::ipv4) {
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
    return buf;
  }
  // RFC 5952: lowercase, no leading zeros, the longest run of two or more zero groups as "::".
  unsigned g[8];
  for (int i = 0; i < 8; ++i)
    g[i] = (unsigned{b[static_cast<std::size_t>(2 * i)]} << 8) |
           b[static_cast<std::size_t>(2 * i + 1)];
  int best = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    int j = i;
    while (j < 8 && g[j] == 0)
      ++j;
    if (j - i > best_len && j - i >= 2) best = i, best_len = j - i;
    i = j == i ? i + 1 : j;
  }
  std::string s;
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      s += "::";
      i += best_len - 1;
      continue;
    }
    if (!s.empty() && s.back() != ':') s += ':';
    std::snprintf(buf, sizeof buf, "%x", g[i]);
    s += buf;
  }
  return s;
}

std::string algorithm_name(std::uint16_t a) {
  if (a == stun::algorithm::md5) return "MD5";
  if (a == stun::algorithm::sha256) return "SHA-256";
  return hex16(a);
}

json attribute_json(const stun::attribute& a, const stun::message_view& m) {
  json j;
  j["type"] = type_name(a.type);
  switch (a.type) {
    case stun::attr::mapped_address:
    case stun::attr::alternate_server:
    case stun::attr::xor_mapped_address: {
      const stun::address addr = a.type == stun::attr::xor_mapped_address
                                     ? stun::decode_xor_address(a, m)
                                     : stun::decode_address(a);
      j["family"] = addr.family == stun::family::ipv4 ? "IPv4" : "IPv6";
      j["address"] = ip_text(addr);
      j["port"] = addr.port;
      break;
    }
    case stun::attr::username:
    case stun::attr::realm:
    case stun::attr::nonce:
    case stun::attr::software:
    case stun::attr::alternate_domain:
      j["value"] = std::string(rtwire::as_chars(a.value));
      break;
    case stun::attr::error_code: {
      const auto e = stun::decode_error_code(a);
      j["code"] = e.code;
      j["reason"] = std::string(e.reason);
      break;
    }
    case stun::attr::unknown_attributes: {
      json types = json::array();
      for (std::size_t i = 0; i < stun::unknown_attribute_count(a); ++i)
        types.push_back(type_name(stun::unknown_attribute_at(a, i)));
      j["types"] = std::move(types);
      break;
    }
    case stun::attr::priority:
      j["value"] = *stun::priority(m);
      break;
    case stun::attr::ice_controlled:
    case stun::attr::ice_controlling:
      j["tie_breaker"] = hex(a.value);
      break;
    case stun::attr::change_request: {
      const std::uint32_t flags = *stun::change_request(m);
      j["change_ip"] = (flags & stun::change_ip) != 0;
      j["change_port"] = (flags & stun::change_port) != 0;
      break;
    }
    case stun::attr::password_algorithm:
    case stun::attr::password_algorithms: {
      json list = json::array();
      stun::for_each_password_algorithm(a, [&](const stun::password_algorithm_value& v) {
        list.push_back(
            {{"algorithm", algorithm_name(v.algorithm)}, {"parameters", hex(v.parameters)}});
      });
      if (a.type == stun::attr::password_algorithm) {
        j["algorithm"] = list.at(0)["algorithm"];
      } else {
        j["algorithms"] = std::move(list);
      }
      break;
    }
    case stun::attr::use_candidate:
      break;
    default:
      j["value"] = hex(a.value);
      break;
  }
  return j;
}

const char* check_name(stun::check c) {
  switch (c) {
    case stun::check::ok:
      return "ok";
    case stun::check::mismatch:
      return "mismatch";
    case stun::check::absent:
      return "absent";
  }
  return "absent";
}

/// Hex digits with any whitespace; false (and the offending character's offset) otherwise.
bool unhex(std::string_view text, std::string& out, std::size_t& bad) {
  out.clear();
  int hi = -1;
  std::size_t last = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (std::isspace(c)) continue;
    int v = -1;
    if (c >= '0' && c <= '9') v = c - '0';
    if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    if (v < 0) {
      bad = i;
      return false;
    }
    last = i;
    if (hi < 0) {
      hi = v;
    } else {
      out += static_cast<char>(hi * 16 + v);
      hi = -1;
    }
  }
  if (hi >= 0) {
    bad = last;  // an odd number of digits: the last one has no pair
    return false;
  }
  return true;
}

struct decode_options {
  bool hex = false;
  std::string password;
  bool long_term = false;
  std::string file;
};

void print(const json& j) {
  write_stdout(j.dump() + "\n");
}

void decode(const decode_options& o, context& ctx) {
  std::string input;
  if (!read_input(o.file, input, ctx)) return;
  if (o.hex) {
    std::string bytes;
    std::size_t bad = 0;
    if (!unhex(input, bytes, bad)) {
      print({{"error", "invalid hex"}, {"offset", bad}});
      ctx.exit_code = exit_rejected;
      return;
    }
    input = std::move(bytes);
  }
  const auto r = stun::parse(rtwire::as_bytes(std::string_view(input)));
  if (!r) {
    print({{"error", r.error.message()}, {"offset", r.error.offset}});
    ctx.exit_code = exit_rejected;
    return;
  }
  const stun::message_view& m = r.value;
  json j;
  j["class"] = class_name(m.cls());
  j["method"] = method_name(m.method());
  j["length"] = m.length();
  j["magic_cookie"] = m.has_magic_cookie();
  j["transaction_id"] = hex(m.transaction_id());
  json attrs = json::array();
  for (const stun::attribute a : m.attributes())
    attrs.push_back(attribute_json(a, m));
  j["attributes"] = std::move(attrs);
  bool mismatch = false;
  const bool has_integrity =
      m.has(stun::attr::message_integrity) || m.has(stun::attr::message_integrity_sha256);
  std::string integrity = has_integrity ? "unchecked" : "absent";
  if (has_integrity && !o.password.empty()) {
    std::optional<stun::key> k;
    if (!o.long_term) {
      k = stun::key::short_term(o.password);
    } else if (const auto user = stun::username(m), realm = stun::realm(m); user && realm) {
      const auto alg = stun::password_algorithm(m);
      k = stun::key::long_term(*user, *realm, o.password,
                               alg ? alg->algorithm : stun::algorithm::md5);
      if (!k)
        std::fprintf(stderr,
                     "rtwire: PASSWORD-ALGORITHM %u is not supported: integrity unchecked\n",
                     static_cast<unsigned>(alg->algorithm));
    } else {
      std::fprintf(stderr, "rtwire: --long-term needs USERNAME and REALM in the message\n");
    }
    if (k) {
      const stun::check c = stun::verify_integrity(m, *k);
      integrity = check_name(c);
      mismatch = c == stun::check::mismatch;
    }
  }
  j["integrity"] = integrity;
  const stun::check fp = stun::verify_fingerprint(m);
  j["fingerprint"] = check_name(fp);
  mismatch = mismatch || fp == stun::check::mismatch;
  print(j);
  // The contract: 2 on a mismatch.
  ctx.exit_code = mismatch ? 2 : exit_ok;
}

}  // namespace

void add_stun_commands(CLI::App& app, context& ctx) {
  auto* group = app.add_subcommand("stun", "Decode STUN messages (RFC 8489)");
  group->require_subcommand(1);
  auto opts = std::make_shared<decode_options>();
  auto* dec = group->add_subcommand(
      "decode", "Print one STUN message as JSON, with MESSAGE-INTEGRITY and FINGERPRINT checked");
  dec->add_flag("--hex", opts->hex, "The input is hex digits (any whitespace allowed)");
  auto* pw = dec->add_option("--password", opts->password,
                             "Check MESSAGE-INTEGRITY with this password (short-term key)");
  dec->add_flag("--long-term", opts->long_term,
                "Long-term key: MD5 or SHA-256 of USERNAME:REALM:password from the message")
      ->needs(pw);
  dec->add_option("file", opts->file, "The message (binary, or hex with --hex), or - for stdin")
      ->default_val("-");
  dec->callback([opts, &ctx] { decode(*opts, ctx); });
}

}  // namespace rtwire_cli
