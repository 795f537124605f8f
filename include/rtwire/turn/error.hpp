// rtwire — TURN errors (category "rtwire.turn").
//
// The relay answers a client's bad request on the wire (a STUN error response with the RFC 8656
// code, see turn/server.hpp), so these errors are the caller's: a peer-policy CIDR that does not
// parse (bad_input), an answer to a token the
// server never issued or already settled (api_misuse). A TCP stream that is not STUN or
// ChannelData is reported with the STUN framer's own error; too many TCP clients is
// limit_exceeded. Close that connection in both cases.
#pragma once

#include <array>
#include <system_error>
#include <type_traits>

#include "rtwire/core/error.hpp"

namespace rtwire::turn {

/// Every way the TURN module can fail.
enum class error {
  /// A CIDR text is not `ADDRESS/PREFIX` with an IPv4 or IPv6 address. Condition: bad_input.
  bad_cidr = 1,
  /// A CIDR prefix length is larger than the address (32 or 128). Condition: bad_input.
  bad_prefix_length,
  /// on_relay_opened / on_relay_failed / on_credentials with a token that is not pending.
  /// Nothing changes. Condition: api_misuse.
  unknown_token,
  /// on_client_stream: more TCP clients than limits::max_tcp_clients hold a partial frame.
  /// Close the connection. Condition: limit_exceeded.
  too_many_streams,
};

namespace detail {

struct error_desc {
  static constexpr const char* name = "rtwire.turn";
  static constexpr std::array<error_entry<error>, 4> entries{{
      {error::bad_cidr, "not an IPv4 or IPv6 CIDR (ADDRESS/PREFIX)", condition::bad_input},
      {error::bad_prefix_length, "CIDR prefix longer than its address", condition::bad_input},
      {error::unknown_token, "token is not pending in the TURN server", condition::api_misuse},
      {error::too_many_streams, "more TCP clients than the TURN server's limit",
       condition::limit_exceeded},
  }};
};
static_assert(rtwire::detail::table_is_dense(error_desc::entries));

}  // namespace detail

/// The category of turn::error; its name() is "rtwire.turn".
inline const std::error_category& error_category() noexcept {
  return category_for<detail::error_desc>();
}

inline std::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace rtwire::turn

RTWIRE_REGISTER_ERROR_ENUM(rtwire::turn::error);
