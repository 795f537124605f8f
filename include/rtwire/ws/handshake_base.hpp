// rtwire — what both roles of the WebSocket opening handshake share (RFC 6455 §4, §9.1): the
// protocol version, the Sec-WebSocket-Extensions model and its parser, the handshake limits and
// options, and feeding a head through the rtwire/core/http1 parser. See rtwire/ws/handshake.hpp.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "rtwire/core/bytes.hpp"
#include "rtwire/core/error.hpp"
#include "rtwire/core/http1.hpp"
#include "rtwire/ws/error.hpp"

namespace rtwire::ws {

// ------------------------------------------------------------------------------------------------
// Shared pieces
// ------------------------------------------------------------------------------------------------

/// The only protocol version RFC 6455 defines (§4.1 step 9, §4.4).
inline constexpr std::string_view websocket_version = "13";

/// One `name[=value]` parameter of an extension (RFC 6455 §9.1). A quoted-string value is given
/// without its quotes; RFC 6455 §9.1 requires it to be a token once unquoted, so quoted values
/// containing a backslash escape are rejected.
struct extension_param {
  std::string_view name;
  std::optional<std::string_view> value;
};

/// One element of a Sec-WebSocket-Extensions list: an extension token and its parameters.
struct extension {
  std::string_view name;
  std::span<const extension_param> params;
};

/// Limits on what a peer may send in the handshake, besides the HTTP head limits.
struct handshake_limits {
  std::size_t max_protocols = 32;         ///< subprotocol tokens offered or selected
  std::size_t max_extensions = 16;        ///< extension elements
  std::size_t max_extension_params = 64;  ///< parameters over all extension elements
};

/// Construction options of both handshake roles: the HTTP head limits and policies, and the
/// handshake's own limits.
struct handshake_options {
  http1::options http{};
  handshake_limits limit{};
};

namespace detail {

// The HTTP grammar comes from rtwire/core/http1 (public API), case folding from core/ascii.
using ascii::equals_lower;
using http1::for_each_list_element;
using http1::iequals;
using http1::is_field_value;
using http1::is_token;
using http1::list_has_token;
using http1::trim_ows;

/// Parses Sec-WebSocket-Extensions list elements (RFC 6455 §9.1) into `out` / `params`, whose
/// capacities are the limits (they never reallocate, so the spans stay valid). Returns the error.
inline handshake_error parse_extensions(std::string_view value, std::vector<extension>& out,
                                        std::vector<extension_param>& params) {
  handshake_error failure{};
  for_each_list_element(value, [&](std::string_view element) {
    // extension = extension-token *( ";" extension-param )
    std::size_t semi = element.find(';');
    const std::string_view name = trim_ows(element.substr(0, semi));
    if (!is_token(name)) {
      failure = handshake_error::bad_extension_list;
      return false;
    }
    if (out.size() == out.capacity()) {
      failure = handshake_error::too_many_extensions;
      return false;
    }
    const std::size_t first_param = params.size();
    while (semi != std::string_view::npos) {
      element.remove_prefix(semi + 1);
      semi = element.find(';');
      const std::string_view param = element.substr(0, semi);
      // extension-param = token [ "=" (token | quoted-string) ]
      const std::size_t eq = param.find('=');
      const std::string_view pname = trim_ows(param.substr(0, eq));
      std::optional<std::string_view> pvalue;
      if (eq != std::string_view::npos) {
        std::string_view v = trim_ows(param.substr(eq + 1));
        if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
        // RFC 6455 §9.1: a quoted-string value MUST be a token after unescaping; escapes (which
        // could only hide token characters) are not accepted.
        if (!is_token(v)) {
          failure = handshake_error::bad_extension_list;
          return false;
        }
        pvalue = v;
      }
      if (!is_token(pname)) {
        failure = handshake_error::bad_extension_list;
        return false;
      }
      if (params.size() == params.capacity()) {
        failure = handshake_error::too_many_extensions;
        return false;
      }
      params.push_back({pname, pvalue});
    }
    out.push_back({name, std::span<const extension_param>(params.data() + first_param,
                                                          params.size() - first_param)});
    return true;
  });
  return failure;
}

/// Feeds `data` to a head parser (both roles): on a violation calls fail(code, offset), on a
/// complete head calls done(head). Returns the bytes the parser consumed.
template <class Parser, class Fail, class Done>
std::size_t feed_head(Parser& parser, std::string_view data, Fail&& fail, Done&& done) {
  const http1::feed_result r = parser.feed(data);
  if (r.status == http1::parse_status::error) fail(parser.error().code, parser.error().offset);
  if (r.status == http1::parse_status::done) done(parser.head());
  return r.consumed;
}

/// The peer closed: a head in progress is a violation (http1::error::unexpected_end).
template <class Parser, class Fail>
void finish_head(Parser& parser, Fail&& fail) {
  if (parser.finish() == http1::parse_status::error)
    fail(parser.error().code, parser.error().offset);
}

inline bool extra_headers_valid(std::span<const http1::header_field> headers) noexcept {
  for (const auto& h : headers)
    if (!is_token(h.name) || !is_field_value(h.value)) return false;
  return true;
}

}  // namespace detail

}  // namespace rtwire::ws
