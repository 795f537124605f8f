// `rtwire sdp ...` and `rtwire ice ...`: parse and format SDP (RFC 8866), parse ICE candidates
// (RFC 8839) and compute candidate priorities (RFC 8445). The interface is a public contract:
//
//   rtwire sdp parse  [--lenient] [FILE|-]   the session as JSON; "LINE:COL: message", exit 1
//   rtwire sdp format [--lenient] [FILE|-]   the session re-serialised (byte-identical)
//   rtwire ice parse  [--lenient] CANDIDATE  the candidate as JSON; a message, exit 1
//   rtwire ice priority TYPE_PREF LOCAL_PREF COMPONENT
#include <rtwire/sdp.hpp>

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

json text_or_null(const std::optional<std::string_view>& v) {
  if (!v) return nullptr;
  return std::string(*v);
}

json strings(std::span<const std::string_view> v) {
  json a = json::array();
  for (const auto s : v)
    a.push_back(std::string(s));
  return a;
}

json connection_json(const rtwire::sdp::connection& c) {
  return {{"nettype", std::string(c.nettype)},
          {"addrtype", std::string(c.addrtype)},
          {"address", std::string(c.address)}};
}

json bandwidths_json(std::span<const rtwire::sdp::bandwidth> v) {
  json a = json::array();
  for (const auto& b : v)
    a.push_back({{"type", std::string(b.type)}, {"value", b.value}});
  return a;
}

json attributes_json(std::span<const rtwire::sdp::attribute> v) {
  json a = json::array();
  for (const auto& at : v)
    a.push_back({{"name", std::string(at.name)}, {"value", text_or_null(at.value)}});
  return a;
}

json session_json(const rtwire::sdp::session& s) {
  json j;
  j["version"] = s.version;
  j["origin"] = {{"username", std::string(s.origin.username)},
                 {"session_id", std::string(s.origin.session_id)},
                 {"session_version", std::string(s.origin.session_version)},
                 {"nettype", std::string(s.origin.nettype)},
                 {"addrtype", std::string(s.origin.addrtype)},
                 {"address", std::string(s.origin.address)}};
  j["session_name"] = std::string(s.session_name);
  j["information"] = text_or_null(s.information);
  j["uri"] = text_or_null(s.uri);
  j["emails"] = strings(s.emails);
  j["phones"] = strings(s.phones);
  j["connection"] = s.connection ? connection_json(*s.connection) : json(nullptr);
  j["bandwidths"] = bandwidths_json(s.bandwidths);
  json timings = json::array();
  for (const auto& t : s.timings)
    timings.push_back({{"start", t.start}, {"stop", t.stop}, {"repeats", strings(t.repeats)}});
  j["timings"] = std::move(timings);
  j["time_zones"] = text_or_null(s.time_zones);
  j["key"] = text_or_null(s.key);
  j["attributes"] = attributes_json(s.attributes);
  json media = json::array();
  for (const auto& m : s.media) {
    json mj;
    mj["type"] = std::string(m.type);
    mj["port"] = m.port;
    mj["port_count"] = m.port_count ? json(*m.port_count) : json(nullptr);
    mj["protocol"] = std::string(m.protocol);
    mj["formats"] = strings(m.formats);
    mj["information"] = text_or_null(m.information);
    json conns = json::array();
    for (const auto& c : m.connections)
      conns.push_back(connection_json(c));
    mj["connections"] = std::move(conns);
    mj["bandwidths"] = bandwidths_json(m.bandwidths);
    mj["key"] = text_or_null(m.key);
    mj["attributes"] = attributes_json(m.attributes);
    media.push_back(std::move(mj));
  }
  j["media"] = std::move(media);
  return j;
}

json candidate_json(const rtwire::sdp::candidate& c) {
  json j;
  j["foundation"] = std::string(c.foundation);
  j["component"] = c.component;
  j["transport"] = std::string(c.transport);
  j["priority"] = c.priority;
  j["address"] = std::string(c.address);
  j["port"] = c.port;
  j["type"] = std::string(c.type);
  j["related_address"] =
      c.related_address.empty() ? json(nullptr) : json(std::string(c.related_address));
  j["related_port"] = c.related_port ? json(*c.related_port) : json(nullptr);
  j["tcptype"] = c.tcptype.empty() ? json(nullptr) : json(std::string(c.tcptype));
  json ext = json::array();
  for (const auto& e : c.extensions())
    ext.push_back(json::array({std::string(e.name), std::string(e.value)}));
  j["extensions"] = std::move(ext);
  const auto parts = c.decomposed_priority();
  j["priority_parts"] = {{"type_preference", parts.type_preference},
                         {"local_preference", parts.local_preference},
                         {"component", parts.component}};
  return j;
}

struct sdp_options {
  bool lenient = false;
  std::string file = "-";
};

/// Reads and parses the input of `sdp parse` / `sdp format`; on failure reports and returns false.
bool load_session(const sdp_options& o, context& ctx, std::string& text, rtwire::sdp::session& s) {
  if (!read_input(o.file, text, ctx)) return false;
  rtwire::sdp::parse_options options;
  options.mode = o.lenient ? rtwire::sdp::mode::lenient : rtwire::sdp::mode::strict;
  if (const auto err = rtwire::sdp::parse(text, s, options)) {
    std::fprintf(stderr, "%zu:%zu: %s\n", err.line, err.column, err.message().c_str());
    ctx.exit_code = exit_rejected;
    return false;
  }
  return true;
}

}  // namespace

void add_sdp_commands(CLI::App& app, context& ctx) {
  // ---- rtwire sdp ----
  auto* sdp = app.add_subcommand("sdp", "Parse and format SDP session descriptions (RFC 8866)");
  sdp->require_subcommand(1);

  auto parse_opts = std::make_shared<sdp_options>();
  auto* parse = sdp->add_subcommand("parse", "Print the session description as JSON");
  parse->add_flag("--lenient", parse_opts->lenient,
                  "Accept what browsers accept (LF line ends, unknown lines, ...)");
  parse->add_option("file", parse_opts->file, "SDP file, or - for standard input")
      ->capture_default_str();
  parse->callback([parse_opts, &ctx] {
    std::string text;
    rtwire::sdp::session s;
    if (!load_session(*parse_opts, ctx, text, s)) return;
    write_stdout(session_json(s).dump(2) + "\n");
  });

  auto format_opts = std::make_shared<sdp_options>();
  auto* format = sdp->add_subcommand(
      "format", "Re-serialise the session description (byte-identical to what was parsed)");
  format->add_flag("--lenient", format_opts->lenient,
                   "Accept what browsers accept (LF line ends, unknown lines, ...)");
  format->add_option("file", format_opts->file, "SDP file, or - for standard input")
      ->capture_default_str();
  format->callback([format_opts, &ctx] {
    std::string text;
    rtwire::sdp::session s;
    if (!load_session(*format_opts, ctx, text, s)) return;
    write_stdout(rtwire::sdp::to_string(s));
  });

  // ---- rtwire ice ----
  auto* ice = app.add_subcommand("ice", "Parse ICE candidates (RFC 8839), compute priorities");
  ice->require_subcommand(1);

  struct ice_parse_options {
    bool lenient = false;
    std::string candidate;
  };
  auto ice_opts = std::make_shared<ice_parse_options>();
  auto* ice_parse = ice->add_subcommand("parse", "Print one candidate as JSON");
  ice_parse->add_flag("--lenient", ice_opts->lenient,
                      "Accept what Chrome accepts (empty foundation, component 0, ...)");
  ice_parse
      ->add_option("candidate", ice_opts->candidate,
                   "The candidate, with or without \"a=\" and \"candidate:\"")
      ->required();
  ice_parse->callback([ice_opts, &ctx] {
    rtwire::sdp::candidate c;
    const auto m = ice_opts->lenient ? rtwire::sdp::mode::lenient : rtwire::sdp::mode::strict;
    if (const auto err = rtwire::sdp::parse_candidate(ice_opts->candidate, c, {.mode = m})) {
      std::fprintf(stderr, "column %zu: %s\n", err.column, err.message().c_str());
      ctx.exit_code = exit_rejected;
      return;
    }
    write_stdout(candidate_json(c).dump(2) + "\n");
  });

  struct priority_options {
    std::uint32_t type_preference = 0;
    std::uint32_t local_preference = 0;
    std::uint32_t component = 1;
  };
  auto prio = std::make_shared<priority_options>();
  auto* priority =
      ice->add_subcommand("priority",
                          "Compute a candidate priority (RFC 8445 §5.1.2.1): 2^24*TYPE_PREF + "
                          "2^8*LOCAL_PREF + (256 - COMPONENT)");
  // Checked in order: a non-number is reported as such, not as "not in range".
  const CLI::Validator decimal(
      [](std::string& v) -> std::string {
        if (v.empty() || v.size() > 10 || v.find_first_not_of("0123456789") != std::string::npos)
          return "'" + v + "' is not a decimal integer";
        return {};
      },
      "INT");
  priority->add_option("type_pref", prio->type_preference, "Type preference, 0-126")
      ->required()
      ->check(decimal)
      ->check(CLI::Range(0, 126));
  priority->add_option("local_pref", prio->local_preference, "Local preference, 0-65535")
      ->required()
      ->check(decimal)
      ->check(CLI::Range(0, 65535));
  priority->add_option("component", prio->component, "Component ID, 1-256")
      ->required()
      ->check(decimal)
      ->check(CLI::Range(1, 256));
  priority->callback([prio] {
    // The ranges were checked above, so the priority always exists.
    const auto p = rtwire::sdp::candidate_priority(prio->type_preference, prio->local_preference,
                                                   prio->component);
    write_stdout(std::to_string(p.value_or(0)) + "\n");
  });
}

}  // namespace rtwire_cli
