// `rtwire sse ...`: the Server-Sent Events subcommands.
//   rtwire sse decode [--last-event-id ID] [--chunk N] [--max-line N] [--max-data N] [FILE|-]
//       one JSON line per dispatched event {"type","data","id"} (id = the last event ID at
//       dispatch), {"retry":N} for each valid retry line, and last
//       {"end":{"last_event_id":"...","retry":N|null}}. Any input is an event stream; only an
//       exceeded limit fails: {"error":"..."} (with the byte offset in the message) and exit 1.
//   rtwire sse encode [FILE|-]
//       reads JSON lines {"id","event","data","retry","comment"} (all optional) and writes the
//       event stream; an event that cannot be encoded: message on stderr, exit 1.
#include <rtwire/sse/decoder.hpp>
#include <rtwire/sse/encoder.hpp>

#include <algorithm>
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

struct decode_args {
  std::string path = "-";
  std::string last_event_id;
  std::size_t chunk = 0;  // 0: the whole input at once
  std::size_t max_line = rtwire::sse::limits{}.max_line_bytes;
  std::size_t max_data = rtwire::sse::limits{}.max_data_bytes;
};

void print_json(const nlohmann::ordered_json& j) {
  // The decoder's strings are valid UTF-8 (invalid input became U+FFFD), so dump() cannot fail.
  const std::string line = j.dump() + "\n";
  std::fwrite(line.data(), 1, line.size(), stdout);
}

int run_decode(const decode_args& args, context& ctx) {
  std::string input;
  if (!read_input(args.path, input, ctx)) return exit_usage;
  rtwire::sse::decoder_options opts;
  opts.limit.max_line_bytes = args.max_line;
  opts.limit.max_data_bytes = args.max_data;
  opts.last_event_id = args.last_event_id;
  rtwire::sse::decoder dec(opts);

  // Returns false once the decoder reached end or error.
  auto drain = [&]() -> bool {
    for (;;) {
      const rtwire::sse::result r = dec.next();
      switch (r.status) {
        case rtwire::sse::status::event:
          print_json(
              {{"type", r.event.type}, {"data", r.event.data}, {"id", r.event.last_event_id}});
          break;
        case rtwire::sse::status::retry:
          print_json({{"retry", r.retry}});
          break;
        case rtwire::sse::status::need_more:
          return true;
        case rtwire::sse::status::end: {
          nlohmann::ordered_json end = {{"last_event_id", dec.last_event_id()}, {"retry", nullptr}};
          if (const auto t = dec.reconnection_time()) end["retry"] = *t;
          print_json({{"end", end}});
          return false;
        }
        case rtwire::sse::status::error: {
          std::string message = dec.error().message();
          if (dec.error().offset != rtwire::error_at::npos)
            message += " (at byte " + std::to_string(dec.error().offset) + ")";
          print_json({{"error", message}});
          return false;
        }
      }
    }
  };

  const std::string_view all = input;
  const std::size_t step = args.chunk == 0 ? std::max<std::size_t>(all.size(), 1) : args.chunk;
  bool more = true;
  for (std::size_t at = 0; more && at < all.size(); at += step) {
    // Cannot fail: drain() consumed the previous chunk, and stopped the loop on an error.
    if (const auto ec = dec.feed(all.substr(at, step))) {
      print_json({{"error", ec.message()}});
      return exit_rejected;
    }
    more = drain();
  }
  if (more) {
    dec.finish();
    drain();
  }
  std::fflush(stdout);
  return dec.error() ? exit_rejected : exit_ok;
}

/// Reads an optional string member; false (with a message) when present but not a string.
bool get_string(const nlohmann::json& obj, const char* key, std::optional<std::string>& out,
                std::size_t line) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return true;
  if (!it->is_string()) {
    std::fprintf(stderr, "rtwire: line %zu: \"%s\" must be a string\n", line, key);
    return false;
  }
  out = it->get<std::string>();
  return true;
}

int run_encode(const std::string& path, context& ctx) {
  std::string input;
  if (!read_input(path, input, ctx)) return exit_usage;
  std::string out;
  std::size_t line_no = 0;
  std::size_t start = 0;
  while (start < input.size()) {
    std::size_t end = input.find('\n', start);
    if (end == std::string::npos) end = input.size();
    const std::string_view line = std::string_view(input).substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;  // blank line

    const nlohmann::json obj = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (obj.is_discarded() || !obj.is_object()) {
      std::fprintf(stderr, "rtwire: line %zu: not a JSON object\n", line_no);
      write_stdout(out);
      return exit_rejected;
    }
    // The fields are a public contract: an unknown one is a mistake (a typo such as "date"
    // would otherwise be dropped silently), not something to ignore.
    for (const auto& member : obj.items()) {
      const std::string& key = member.key();
      if (key != "id" && key != "event" && key != "data" && key != "retry" && key != "comment") {
        std::fprintf(stderr,
                     "rtwire: line %zu: unknown field \"%s\" (expected id, event, data, retry, "
                     "comment)\n",
                     line_no, key.c_str());
        write_stdout(out);
        return exit_rejected;
      }
    }
    std::optional<std::string> id, type, data, comment;
    std::optional<std::uint64_t> retry;
    if (!get_string(obj, "id", id, line_no) || !get_string(obj, "event", type, line_no) ||
        !get_string(obj, "data", data, line_no) || !get_string(obj, "comment", comment, line_no)) {
      write_stdout(out);
      return exit_rejected;
    }
    if (const auto it = obj.find("retry"); it != obj.end() && !it->is_null()) {
      if (!it->is_number_unsigned()) {
        std::fprintf(stderr, "rtwire: line %zu: \"retry\" must be a non-negative integer\n",
                     line_no);
        write_stdout(out);
        return exit_rejected;
      }
      retry = it->get<std::uint64_t>();
    }
    if (comment) rtwire::sse::write_comment(out, *comment);
    rtwire::sse::outgoing_event ev;
    if (id) ev.id = *id;
    if (type) ev.type = *type;
    if (data) ev.data = *data;
    ev.retry = retry;
    if (const auto ec = rtwire::sse::write_event(out, ev)) {
      std::fprintf(stderr, "rtwire: line %zu: %s\n", line_no, ec.message().c_str());
      write_stdout(out);
      return exit_rejected;
    }
  }
  write_stdout(out);
  return exit_ok;
}

}  // namespace

/// Accepts decimal integers >= 1.
const CLI::Validator positive(
    [](std::string& v) -> std::string {
      if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos ||
          v.find_first_not_of('0') == std::string::npos)
        return "must be a positive integer";
      return {};
    },
    "N>0");

void add_sse_commands(CLI::App& app, context& ctx) {
  CLI::App* sse = app.add_subcommand("sse", "Server-Sent Events (WHATWG HTML \u00a79.2)");
  sse->require_subcommand(1);

  auto* decode = sse->add_subcommand(
      "decode",
      "Decode a text/event-stream exactly as a browser does: one JSON line per event, per retry, "
      "and a final {\"end\":...}; exit 1 only when a limit is exceeded");
  auto dargs = std::make_shared<decode_args>();
  decode->add_option("--last-event-id", dargs->last_event_id,
                     "The last event ID carried in from a previous connection");
  decode
      ->add_option("--chunk", dargs->chunk,
                   "Feed the input in chunks of N bytes (default: all at once)")
      ->check(positive);
  decode->add_option("--max-line", dargs->max_line, "Longest line in bytes")
      ->check(positive)
      ->capture_default_str();
  decode->add_option("--max-data", dargs->max_data, "Longest event data in bytes")
      ->check(positive)
      ->capture_default_str();
  decode->add_option("FILE", dargs->path, "File with the stream, or - for standard input");
  decode->callback([dargs, &ctx] { ctx.exit_code = run_decode(*dargs, ctx); });

  auto* encode = sse->add_subcommand(
      "encode",
      "Write an event stream from JSON lines {\"id\",\"event\",\"data\",\"retry\",\"comment\"}");
  auto path = std::make_shared<std::string>("-");
  encode->add_option("FILE", *path, "File with JSON lines, or - for standard input");
  encode->callback([path, &ctx] { ctx.exit_code = run_encode(*path, ctx); });
}

}  // namespace rtwire_cli
