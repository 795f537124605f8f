// rtwire — command-line inspector for the rtwire codecs. See README.md for the interface.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "commands.hpp"
#include "rtwire/version.hpp"

namespace rtwire_cli {

bool read_input(const std::string& path, std::string& out, context& ctx) {
  if (path.empty() || path == "-") {
    std::ostringstream buffer;
    buffer << std::cin.rdbuf();
    out = std::move(buffer).str();
    return true;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "rtwire: cannot open '%s'\n", path.c_str());
    ctx.exit_code = exit_usage;
    return false;
  }
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

void write_stdout(std::string_view bytes) {
  std::fwrite(bytes.data(), 1, bytes.size(), stdout);
  std::fflush(stdout);
}

}  // namespace rtwire_cli

int main(int argc, char** argv) {
  CLI::App app{"rtwire: inspect WebSocket, SSE, SDP, ICE and STUN data with the rtwire codecs",
               "rtwire"};
  app.set_version_flag("--version", std::string("rtwire ") + RTWIRE_VERSION_STRING);
  app.require_subcommand(1);
  rtwire_cli::context ctx;
  rtwire_cli::add_ws_commands(app, ctx);
  rtwire_cli::add_sdp_commands(app, ctx);
  rtwire_cli::add_sse_commands(app, ctx);
  rtwire_cli::add_stun_commands(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints the message and the usage hint to stderr
    return rtwire_cli::exit_usage;
  }
  return ctx.exit_code;
}
