// Shared by the examples: command-line flags on CLI11, parsed the same way everywhere.
//
//   rtwire_examples::listen_flags listen;              // --host, --port
//   CLI::App app{"my_server: ..."};
//   listen.add_to(app);
//   app.add_option("--max-message", max, "...");       // integers: CLI11 rejects "10x"
//   if (const auto code = rtwire_examples::parse_flags(app, argc, argv)) return *code;
//
// parse_flags() gives the exit status to return: 0 after --help (printed to stdout), 2 for a
// bad flag or value (the message names the flag), nullopt when the program should run.
// Not part of the library.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace rtwire_examples {

/// Parses argv into `app`. --help / --help-all print the usage and give 0; any other parse error
/// prints "<program>: <message>" and a hint to stderr and gives 2 (the usual usage-error status;
/// CLI11's own exit codes are 100+ and vary by error); nullopt on success.
inline std::optional<int> parse_flags(CLI::App& app, int argc, const char* const* argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    app.exit(e);
    return 0;
  } catch (const CLI::CallForAllHelp& e) {
    app.exit(e);
    return 0;
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "%s: %s\nRun with --help for the options.\n", app.get_name().c_str(),
                 e.what());
    return 2;
  }
  return std::nullopt;
}

/// --host and --port. The port is read as a decimal integer in 0..65535 (0: any free port);
/// "70000", "-1" and "abc" are refused with a message that says so, instead of wrapping or
/// becoming 0. The host is a name or an address; servers resolve it with resolve_listen().
struct listen_flags {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;

  void add_to(CLI::App& app) {
    app.add_option("--host", host, "Address or host name to listen on")->capture_default_str();
    app.add_option_function<std::string>(
           "--port",
           [this](const std::string& text) {
             // Digits only, at most 5 of them, value <= 65535: one spelling per port.
             if (text.empty() || text.size() > 5 ||
                 text.find_first_not_of("0123456789") != std::string::npos)
               throw CLI::ValidationError("--port",
                                          "'" + text + "' is not a port number (0..65535)");
             const unsigned long v = std::stoul(text);
             if (v > 65535)
               throw CLI::ValidationError("--port", "'" + text + "' is out of range (0..65535)");
             port = static_cast<std::uint16_t>(v);
           },
           "TCP port, 0..65535 (0: any free port; default " + std::to_string(port) + ")")
        ->type_name("PORT");
  }
};

/// --allow-origin ORIGIN (repeatable): the origins whose pages may call the server (CORS), by
/// exact match; "*" allows every origin.
inline void add_allow_origin(CLI::App& app, std::vector<std::string>& origins) {
  app.add_option("--allow-origin", origins,
                 "Origin allowed to call this server from a browser page (repeatable; exact "
                 "match, * for any)")
      ->type_name("ORIGIN")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->expected(1);
}

}  // namespace rtwire_examples
