// The `rtwire` command-line inspector: shared plumbing for the per-codec subcommand files.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace rtwire_cli {

/// Exit codes shared by every subcommand (a public contract, see README.md).
inline constexpr int exit_ok = 0;
/// The input was read but rejected (a handshake refused, a protocol violation, a parse error).
inline constexpr int exit_rejected = 1;
/// Usage error: bad arguments, unreadable input file.
inline constexpr int exit_usage = 2;

/// Where a subcommand stores its exit code; main() returns it.
struct context {
  int exit_code = exit_ok;
};

/// Reads all of FILE, or standard input for "-" or an empty path. On failure prints a message to
/// stderr, sets ctx.exit_code = exit_usage and returns false.
bool read_input(const std::string& path, std::string& out, context& ctx);

/// Writes bytes to standard output exactly (binary-safe, no newline translation).
void write_stdout(std::string_view bytes);

// One registration function per codec; each adds its subcommand group to `app`.
void add_ws_commands(CLI::App& app, context& ctx);
/// `rtwire ws decode`, added to the `ws` group by add_ws_commands().
void add_ws_decode_command(CLI::App& ws_group, context& ctx);
void add_sdp_commands(CLI::App& app, context& ctx);
void add_sse_commands(CLI::App& app, context& ctx);
void add_stun_commands(CLI::App& app, context& ctx);

}  // namespace rtwire_cli
