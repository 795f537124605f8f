// rtwire — the WebSocket opening handshake (RFC 6455 §4), both roles, sans-IO.
//
// Server role:
//   rtwire::ws::server_handshake hs;
//   auto r = hs.feed(bytes);                 // repeat while r.status == need_more
//   if (r.status == server_handshake::state::request_ready) {
//     // policy: look at hs.request().origin, .protocols, .extensions, .target
//     if (auto ec = hs.accept(out, {.protocol = "chat"})) ...  // e.g. "chat" was not offered
//     // else `out` holds the 101 response
//     // bytes.substr(r.consumed) are the first WebSocket frames: hand them to the connection
//   } else if (r.status == server_handshake::state::rejected) {
//     hs.write_rejection(out);               // 400 / 426 / 431 / 505, then close
//   }
//
// Client role:
//   rtwire::ws::client_handshake hs;
//   hs.write_request(out, {.host = "example.com", .target = "/chat"}, nonce16);
//   auto r = hs.feed(response_bytes);        // accepted / declined / failed / need_more
//
// Nothing here performs I/O, reads a clock or draws random bytes: the nonce comes from the caller.
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

#include "rtwire/core/base64.hpp"
#include "rtwire/core/bytes.hpp"
#include "rtwire/core/error.hpp"
#include "rtwire/core/http1.hpp"
#include "rtwire/ws/accept_key.hpp"
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

// ------------------------------------------------------------------------------------------------
// Server role
// ------------------------------------------------------------------------------------------------

/// True if `key` is a Sec-WebSocket-Key value the server accepts (RFC 6455 §4.1 /7, §4.2.1 /5):
/// the base64 encoding of exactly 16 bytes, i.e. 24 characters ending in "==" whose trailing
/// bits are canonical (the strict base64 decoder). The handshake answers any other key with 400
/// (handshake_error::bad_key).
inline bool is_valid_key(std::string_view key) noexcept {
  if (key.size() != 24) return false;
  std::array<std::byte, 18> raw{};
  const base64::decode_result r = base64::decode(key, raw);
  return !r.ec && r.size == 16;
}

/// What a valid upgrade request asks for; the application's policy decides whether to accept.
/// Every view points into the request head (see server_handshake::feed for its lifetime).
struct upgrade_request {
  std::string_view target;                      ///< the request-target (resource name)
  std::string_view host;                        ///< the Host field value
  std::optional<std::string_view> origin;       ///< the Origin field value, if sent (RFC 6454)
  std::string_view key;                         ///< Sec-WebSocket-Key
  std::span<const std::string_view> protocols;  ///< offered subprotocols, in the client's order
  std::span<const extension> extensions;        ///< offered extensions, in the client's order
  const http1::request_head* head = nullptr;    ///< every header field, for anything else
};

/// What the server answers with: the chosen subprotocol and extensions, and extra fields.
struct accept_options {
  /// One of the offered subprotocols, or empty for none (RFC 6455 §4.2.2 /5.5.3 then no
  /// Sec-WebSocket-Protocol field is sent).
  std::string_view protocol{};
  /// The Sec-WebSocket-Extensions value to send (e.g. "permessage-deflate"), or empty. Every
  /// extension named in it must have been offered.
  std::string_view extensions{};
  /// Extra header fields (e.g. Set-Cookie); names must be tokens, values valid field values.
  std::span<const http1::header_field> headers{};
};

/// Server side of the opening handshake: parses and validates the client's request
/// (RFC 6455 §4.2.1) and writes the response (§4.2.2). One object per connection.
class server_handshake {
 public:
  enum class state : std::uint8_t {
    need_more,      ///< the request head is incomplete: feed more bytes
    request_ready,  ///< a valid upgrade request: call accept() or reject()
    rejected,       ///< invalid request: send write_rejection()'s response, then close
    accepted,       ///< accept() wrote the 101 response: the connection speaks WebSocket
  };

  struct result {
    state status;
    /// Bytes of the fed data that belonged to the request head. When status is request_ready the
    /// rest of the data (data.substr(consumed)) already belongs to the WebSocket connection.
    std::size_t consumed;
  };

  using options = handshake_options;

  server_handshake() : server_handshake(options{}) {}
  // Views into the request would dangle in a copy; moving keeps them valid (they point into
  // heap buffers that move along).
  server_handshake(const server_handshake&) = delete;
  server_handshake& operator=(const server_handshake&) = delete;
  server_handshake(server_handshake&&) noexcept = default;
  server_handshake& operator=(server_handshake&&) noexcept = default;
  explicit server_handshake(options opts) : opts_(opts), parser_(opts.http) {
    protocols_.reserve(opts_.limit.max_protocols);
    extensions_.reserve(opts_.limit.max_extensions);
    params_.reserve(opts_.limit.max_extension_params);
  }

  /// Feeds bytes of the client's request.
  /// - {need_more, data.size()}: everything was consumed, the head is not complete.
  /// - {request_ready, n}: the head ended at data[n - 1] and is a valid upgrade request;
  ///   request() describes it. data.substr(n) are WebSocket bytes the client sent early.
  /// - {rejected, n}: the request is invalid: error() says why, rejection_status() is the HTTP
  ///   status, write_rejection() writes the response.
  /// Sticky: once the state is not need_more, feed() returns it again with consumed == 0.
  /// request()'s views point into `data` when the whole head arrived in one call, else into an
  /// internal buffer; they stay valid until reset() or destruction and, in the first case, while
  /// the caller keeps `data` alive.
  result feed(std::string_view data) {
    if (state_ != state::need_more) return {state_, 0};
    const std::size_t consumed = detail::feed_head(
        parser_, data, [this](std::error_code ec, std::size_t at) { fail(ec, at); },
        [this](const auto& head) { validate(head); });
    return {state_, consumed};
  }

  /// The client closed its side. A request still incomplete becomes rejected (unexpected end).
  state finish() {
    if (state_ == state::need_more)
      detail::finish_head(parser_, [this](std::error_code ec, std::size_t at) { fail(ec, at); });
    return state_;
  }

  /// The validated request (meaningful in request_ready and accepted). Returned by value: a
  /// handful of views, valid as described for feed().
  upgrade_request request() const noexcept {
    upgrade_request r = request_;
    r.key = std::string_view(key_.data(), key_.size());  // the handshake's own copy
    r.head = &parser_.head();
    return r;
  }

  /// Writes the 101 Switching Protocols response (RFC 6455 §4.2.2 /5) to `out` and moves to
  /// accepted. Returns an api_misuse error and writes nothing if the state is not request_ready,
  /// the protocol was not offered, an extension was not offered, or a header is invalid.
  /// [[nodiscard]]: a protocol the client did not offer, for example, writes nothing.
  template <output_buffer B>
  [[nodiscard]] std::error_code accept(B& out, const accept_options& opts = {}) {
    if (state_ != state::request_ready) return handshake_error::not_ready;
    if (!opts.protocol.empty()) {
      bool offered = false;
      for (std::string_view p : request_.protocols)
        offered = offered || p == opts.protocol;
      // RFC 6455 §4.2.2 /5.5.3: the selected subprotocol must be one the client offered.
      if (!offered) return handshake_error::protocol_not_offered;
    }
    if (!opts.extensions.empty()) {
      if (!detail::is_field_value(opts.extensions)) return handshake_error::invalid_argument;
      bool ok = true;
      detail::for_each_list_element(opts.extensions, [&](std::string_view element) {
        const std::string_view name = detail::trim_ows(element.substr(0, element.find(';')));
        bool offered = false;
        for (const extension& e : request_.extensions)
          offered = offered || e.name == name;
        ok = offered;
        return ok;
      });
      // RFC 6455 §9.1: the server may only accept extensions the client offered.
      if (!ok) return handshake_error::extension_not_offered;
    }
    // RFC 6455 §4.2.2 /5: the 101 response, written in one allocation by the http1 writer
    // (which also validates the caller's extra fields).
    std::array<char, accept_key_size> accept_value;
    // From the handshake's copy of the key: right even if the request's buffer was reused.
    compute_accept_key(std::string_view(key_.data(), key_.size()), accept_value.data());
    std::array<http1::header_field, 5> fields{{
        {"Upgrade", "websocket"},
        {"Connection", "Upgrade"},
        {"Sec-WebSocket-Accept", std::string_view(accept_value.data(), accept_value.size())},
    }};
    std::size_t n = 3;
    if (!opts.protocol.empty()) fields[n++] = {"Sec-WebSocket-Protocol", opts.protocol};
    if (!opts.extensions.empty()) fields[n++] = {"Sec-WebSocket-Extensions", opts.extensions};
    if (http1::write_response_head(out, 101, std::span(fields.data(), n), opts.headers))
      return handshake_error::invalid_argument;
    state_ = state::accepted;
    return {};
  }

  /// Refuses a valid request for the application's own reasons (e.g. 403 for an Origin it does
  /// not allow): writes a response with `status` (300..599), Connection: close and no body, and
  /// moves to rejected. api_misuse if the state is not request_ready or an argument is invalid.
  template <output_buffer B>
  std::error_code reject(B& out, int status, std::span<const http1::header_field> headers = {}) {
    if (state_ != state::request_ready) return handshake_error::not_ready;
    if (status < 300 || status > 599 || !detail::extra_headers_valid(headers))
      return handshake_error::invalid_argument;
    state_ = state::rejected;
    status_ = status;
    write_status_response(out, status, headers);
    return {};
  }

  /// When rejected because the request was invalid: writes the response to send before
  /// closing — 426 with Sec-WebSocket-Version: 13 for a missing or unsupported version
  /// (RFC 6455 §4.2.2 /4, §4.4), 431 for an oversize head (RFC 6585 §5), 505 for an
  /// unsupported HTTP major version, 400 for anything else. Returns not_ready otherwise.
  template <output_buffer B>
  std::error_code write_rejection(B& out) const {
    if (state_ != state::rejected || !error_) return handshake_error::not_ready;
    if (status_ == 426) {
      // RFC 9110 §15.5.22: a 426 response MUST carry Upgrade, and §7.8 then requires the
      // "upgrade" connection option.
      static constexpr http1::header_field fields[] = {
          {"Sec-WebSocket-Version", websocket_version},
          {"Upgrade", "websocket"},
          {"Connection", "Upgrade, close"},
          {"Content-Length", "0"},
      };
      (void)http1::write_response_head(out, 426, fields);  // constant fields: cannot fail
      return {};
    }
    write_status_response(out, status_, {});
    return {};
  }

  state current() const noexcept { return state_; }
  /// Why the request was rejected (an http1::error or a handshake_error) and, for HTTP syntax
  /// errors, at which byte of the head.
  const error_at& error() const noexcept { return error_; }
  /// The HTTP status of the rejection (0 unless rejected).
  int rejection_status() const noexcept { return status_; }

  /// Back to need_more for a new request (keeps allocated capacity).
  void reset() noexcept {
    parser_.reset();
    state_ = state::need_more;
    error_ = {};
    status_ = 0;
    request_ = {};
    protocols_.clear();
    extensions_.clear();
    params_.clear();
  }

 private:
  template <output_buffer B>
  static void write_status_response(B& out, int status,
                                    std::span<const http1::header_field> headers) {
    static constexpr http1::header_field fields[] = {{"Connection", "close"},
                                                     {"Content-Length", "0"}};
    // The status is 300..599 and `headers` were validated by the caller: cannot fail.
    (void)http1::write_response_head(out, status, fields, headers);
  }

  void fail(std::error_code ec, std::size_t offset = error_at::npos) {
    state_ = state::rejected;
    error_ = {ec, offset};
    if (ec == handshake_error::missing_version || ec == handshake_error::unsupported_version) {
      status_ = 426;
    } else if (ec.category() == category_for<detail::handshake_error_desc>()) {
      status_ = ec == make_error_code(handshake_error::too_many_protocols) ||
                        ec == make_error_code(handshake_error::too_many_extensions)
                    ? 431
                    : 400;
    } else {
      status_ = http1::status_for(ec);
    }
  }

  static bool valid_target(std::string_view target) noexcept {
    // RFC 6455 §4.1 /1 and §3: origin-form (an absolute path with optional query), or an
    // absolute http/https URI. The HTTP parser already refused whitespace and controls.
    if (!target.empty() && target.front() == '/') return true;
    const auto has_scheme = [&](std::string_view scheme) {
      return target.size() > scheme.size() &&
             detail::iequals(target.substr(0, scheme.size()), scheme);
    };
    return has_scheme("http://") || has_scheme("https://") || has_scheme("ws://") ||
           has_scheme("wss://");
  }

  void validate(const http1::request_head& head) {
    // RFC 6455 §4.2.1 /1: "An HTTP/1.1 or higher GET request, including a Request-URI".
    if (head.method != "GET") return fail(handshake_error::method_not_get);
    if (head.version_major < 1 || (head.version_major == 1 && head.version_minor < 1))
      return fail(handshake_error::http_version_too_old);
    if (!valid_target(head.target)) return fail(handshake_error::bad_request_target);

    // One pass over the fields; rules are checked afterwards in the RFC's order so the error
    // reported does not depend on the field order.
    std::size_t hosts = 0, keys = 0, versions = 0;
    bool upgrade = false, connection = false;
    std::string_view host, key, version;
    std::optional<std::string_view> origin;
    handshake_error list_error{};
    for (const http1::header_field& f : head.headers.all()) {
      const std::string_view n = f.name;
      switch (n.size()) {
        case 4:
          if (detail::equals_lower(n, "host")) {
            ++hosts;
            host = f.value;
          }
          break;
        case 6:
          if (detail::equals_lower(n, "origin") && !origin) origin = f.value;
          break;
        case 7:
          // RFC 6455 §4.2.1 /3: Upgrade contains "websocket" (ASCII case-insensitive).
          if (detail::equals_lower(n, "upgrade"))
            upgrade = upgrade || detail::list_has_token(f.value, "websocket");
          break;
        case 10:
          // RFC 6455 §4.2.1 /4: Connection includes the token "Upgrade".
          if (detail::equals_lower(n, "connection"))
            connection = connection || detail::list_has_token(f.value, "upgrade");
          break;
        case 17:
          if (detail::equals_lower(n, "sec-websocket-key")) {
            ++keys;
            key = f.value;
          }
          break;
        case 21:
          if (detail::equals_lower(n, "sec-websocket-version")) {
            ++versions;
            version = f.value;
          }
          break;
        case 22:
          if (detail::equals_lower(n, "sec-websocket-protocol") && list_error == handshake_error{})
            list_error = collect_protocols(f.value);
          break;
        case 24:
          if (detail::equals_lower(n, "sec-websocket-extensions") &&
              list_error == handshake_error{})
            list_error = detail::parse_extensions(f.value, extensions_, params_);
          break;
        default:
          break;
      }
    }
    // RFC 6455 §4.2.1 /2 and RFC 9112 §3.2: exactly one Host field.
    if (hosts == 0) return fail(handshake_error::missing_host);
    if (hosts > 1) return fail(handshake_error::duplicate_host);
    if (!upgrade) return fail(handshake_error::missing_upgrade);
    if (!connection) return fail(handshake_error::missing_connection_upgrade);
    // RFC 6455 §4.2.1 /5 and §11.3.1: one Sec-WebSocket-Key, base64 of a 16-byte nonce.
    if (keys == 0) return fail(handshake_error::missing_key);
    if (keys > 1) return fail(handshake_error::duplicate_key);
    if (!is_valid_key(key)) return fail(handshake_error::bad_key);
    // RFC 6455 §4.2.1 /6 and §11.3.5: one Sec-WebSocket-Version, whose value is 13.
    if (versions == 0) return fail(handshake_error::missing_version);
    if (versions > 1) return fail(handshake_error::duplicate_version);
    if (version != websocket_version) return fail(handshake_error::unsupported_version);
    if (list_error != handshake_error{}) return fail(list_error);

    request_.target = head.target;
    request_.host = host;
    request_.origin = origin;
    // Copied: accept() computes Sec-WebSocket-Accept from it, possibly after the caller has
    // reused the buffer the request arrived in (is_valid_key() made it exactly 24 bytes).
    std::memcpy(key_.data(), key.data(), key_.size());
    request_.protocols = protocols_;
    request_.extensions = extensions_;
    state_ = state::request_ready;
  }

  handshake_error collect_protocols(std::string_view value) {
    handshake_error failure{};
    detail::for_each_list_element(value, [&](std::string_view p) {
      // RFC 6455 §4.1 /10: non-empty tokens, all unique.
      if (!detail::is_token(p)) {
        failure = handshake_error::bad_protocol_list;
        return false;
      }
      for (std::string_view q : protocols_) {
        if (q == p) {
          failure = handshake_error::bad_protocol_list;
          return false;
        }
      }
      if (protocols_.size() == protocols_.capacity()) {
        failure = handshake_error::too_many_protocols;
        return false;
      }
      protocols_.push_back(p);
      return true;
    });
    return failure;
  }

  options opts_;
  http1::request_parser parser_;
  state state_ = state::need_more;
  error_at error_{};
  int status_ = 0;
  upgrade_request request_{};
  std::vector<std::string_view> protocols_;
  std::vector<extension> extensions_;
  std::vector<extension_param> params_;
  std::array<char, 24> key_{};  // Sec-WebSocket-Key, copied from the request
};

// ------------------------------------------------------------------------------------------------
// Client role
// ------------------------------------------------------------------------------------------------

/// What the client asks for (RFC 6455 §4.1).
struct request_options {
  /// The Host field value: host, or host:port (required).
  std::string_view host{};
  /// The resource name: an absolute path with an optional query (RFC 6455 §3).
  std::string_view target = "/";
  /// The Origin field value, if any (browsers always send one).
  std::string_view origin{};
  /// Subprotocols to offer, in order of preference (each a token, all unique).
  std::span<const std::string_view> protocols{};
  /// The Sec-WebSocket-Extensions offer, e.g. "permessage-deflate; client_max_window_bits".
  std::string_view extensions{};
  /// Extra header fields (Authorization, Cookie, User-Agent, ...).
  std::span<const http1::header_field> headers{};
};

/// Client side of the opening handshake: writes the request from a caller-supplied nonce and
/// validates the server's response (RFC 6455 §4.1). One object per connection.
class client_handshake {
 public:
  enum class state : std::uint8_t {
    idle,       ///< write_request() not called yet
    need_more,  ///< waiting for (the rest of) the response head
    accepted,   ///< a valid 101: the connection speaks WebSocket
    declined,   ///< the server answered with another status (see response()); not a violation
    failed,     ///< the response broke RFC 6455 §4.1: _Fail the WebSocket Connection_
  };

  struct result {
    state status;
    /// Bytes of the fed data that belonged to the response head; data.substr(consumed) are the
    /// server's first WebSocket frames (accepted) or the start of a body (declined).
    std::size_t consumed;
  };

  using options = handshake_options;

  client_handshake() : client_handshake(options{}) {}
  // As for server_handshake: movable, not copyable.
  client_handshake(const client_handshake&) = delete;
  client_handshake& operator=(const client_handshake&) = delete;
  client_handshake(client_handshake&&) noexcept = default;
  client_handshake& operator=(client_handshake&&) noexcept = default;
  explicit client_handshake(options opts) : opts_(opts), parser_(opts.http) {
    extensions_.reserve(opts_.limit.max_extensions);
    params_.reserve(opts_.limit.max_extension_params);
  }

  /// Appends the opening request to `out`, with Sec-WebSocket-Key = base64(nonce). The nonce
  /// must be 16 bytes from a good random source (RFC 6455 §4.1 /7, §10.3); rtwire draws no
  /// random numbers itself. Returns invalid_argument (writing nothing) for an empty or invalid
  /// host, a target that is not an absolute path, protocols that are not unique tokens, or
  /// invalid header fields; not_ready if a request was already written.
  template <output_buffer B>
  std::error_code write_request(B& out, const request_options& req,
                                std::span<const std::byte, 16> nonce) {
    if (state_ != state::idle) return handshake_error::not_ready;
    if (req.host.empty() || !detail::is_field_value(req.host) ||
        req.host.find_first_of(" \t") != std::string_view::npos)
      return handshake_error::invalid_argument;
    if (req.target.empty() || req.target.front() != '/') return handshake_error::invalid_argument;
    for (char ch : req.target) {
      const auto c = static_cast<unsigned char>(ch);
      if (c <= 0x20 || c >= 0x7f) return handshake_error::invalid_argument;
    }
    if (!detail::is_field_value(req.origin) || !detail::is_field_value(req.extensions) ||
        !detail::extra_headers_valid(req.headers))
      return handshake_error::invalid_argument;
    if (req.protocols.size() > opts_.limit.max_protocols) return handshake_error::invalid_argument;
    for (std::size_t i = 0; i < req.protocols.size(); ++i) {
      if (!detail::is_token(req.protocols[i])) return handshake_error::invalid_argument;
      for (std::size_t j = 0; j < i; ++j)
        if (req.protocols[j] == req.protocols[i]) return handshake_error::invalid_argument;
    }
    // Remember the offered extension names: the response may only accept those (§4.1 /5).
    offered_extensions_.clear();
    if (!req.extensions.empty()) {
      std::vector<extension> offered;
      std::vector<extension_param> offered_params;
      offered.reserve(opts_.limit.max_extensions);
      offered_params.reserve(opts_.limit.max_extension_params);
      if (detail::parse_extensions(req.extensions, offered, offered_params) != handshake_error{})
        return handshake_error::invalid_argument;
      for (const extension& e : offered)
        offered_extensions_.emplace_back(e.name);
    }
    offered_protocols_.assign(req.protocols.begin(), req.protocols.end());

    base64::encode(bytes_view(nonce.data(), nonce.size()), key_.data());
    compute_accept_key(std::string_view(key_.data(), key_.size()), expected_accept_.data());

    std::string protocols;  // RFC 6455 §4.1 /10: one comma-separated field
    for (std::size_t i = 0; i < req.protocols.size(); ++i) {
      if (i != 0) protocols += ", ";
      protocols += req.protocols[i];
    }
    std::array<http1::header_field, 8> fields{{
        {"Host", req.host},
        {"Upgrade", "websocket"},
        {"Connection", "Upgrade"},
        {"Sec-WebSocket-Key", std::string_view(key_.data(), key_.size())},
        {"Sec-WebSocket-Version", websocket_version},
    }};
    std::size_t n = 5;
    if (!req.origin.empty()) fields[n++] = {"Origin", req.origin};
    if (!protocols.empty()) fields[n++] = {"Sec-WebSocket-Protocol", protocols};
    if (!req.extensions.empty()) fields[n++] = {"Sec-WebSocket-Extensions", req.extensions};
    if (http1::write_request_head(out, "GET", req.target, std::span(fields.data(), n), req.headers))
      return handshake_error::invalid_argument;
    state_ = state::need_more;
    return {};
  }

  /// Feeds bytes of the server's response.
  /// - {need_more, data.size()}: the head is incomplete.
  /// - {accepted, n}: a valid 101; protocol() and extensions() tell what was agreed;
  ///   data.substr(n) are WebSocket frames.
  /// - {declined, n}: the server answered another status (e.g. 401, 403, a redirect); response()
  ///   has the head, data.substr(n) starts its body. The WebSocket connection is not established.
  /// - {failed, n}: the response broke RFC 6455 §4.1; error() says why.
  /// Calling feed() before write_request() returns {idle, 0}; once settled, the same state with
  /// consumed == 0. Views stay valid as for server_handshake::feed().
  result feed(std::string_view data) {
    if (state_ != state::need_more) return {state_, 0};
    const std::size_t consumed = detail::feed_head(
        parser_, data, [this](std::error_code ec, std::size_t at) { fail(ec, at); },
        [this](const auto& head) { validate(head); });
    return {state_, consumed};
  }

  /// The server closed before the head was complete: failed (unexpected end).
  state finish() {
    if (state_ == state::need_more)
      detail::finish_head(parser_, [this](std::error_code ec, std::size_t at) { fail(ec, at); });
    return state_;
  }

  state current() const noexcept { return state_; }
  const error_at& error() const noexcept { return error_; }
  /// The response head (meaningful once accepted, declined or failed after a complete head).
  const http1::response_head& response() const noexcept { return parser_.head(); }
  /// The subprotocol the server selected, or empty.
  std::string_view protocol() const noexcept { return protocol_; }
  /// The extensions the server accepted, with their parameters.
  std::span<const extension> extensions() const noexcept { return extensions_; }
  /// The Sec-WebSocket-Key that was sent.
  std::string_view key() const noexcept { return {key_.data(), key_.size()}; }

 private:
  void fail(std::error_code ec, std::size_t offset = error_at::npos) {
    state_ = state::failed;
    error_ = {ec, offset};
  }

  void validate(const http1::response_head& head) {
    // RFC 6455 §4.1: "If the status code received from the server is not 101, the client
    // handles the response per HTTP procedures" — that is a refusal, not a violation.
    if (head.status != 101) {
      state_ = state::declined;
      return;
    }
    if (head.version_major != 1 || head.version_minor != 1)
      return fail(handshake_error::response_version_not_http11);
    bool upgrade = false, connection = false;
    std::size_t accepts = 0, protocol_fields = 0;
    std::string_view accept;
    handshake_error list_error{};
    for (const http1::header_field& f : head.headers.all()) {
      const std::string_view n = f.name;
      if (detail::equals_lower(n, "upgrade")) {
        // RFC 6455 §4.1 (response) /2: Upgrade must be "websocket", case-insensitively.
        upgrade = upgrade || detail::iequals(detail::trim_ows(f.value), "websocket");
      } else if (detail::equals_lower(n, "connection")) {
        connection = connection || detail::list_has_token(f.value, "upgrade");
      } else if (detail::equals_lower(n, "sec-websocket-accept")) {
        ++accepts;
        accept = f.value;
      } else if (detail::equals_lower(n, "sec-websocket-protocol")) {
        ++protocol_fields;
        protocol_ = f.value;
      } else if (detail::equals_lower(n, "sec-websocket-extensions")) {
        if (list_error == handshake_error{})
          list_error = detail::parse_extensions(f.value, extensions_, params_);
      }
    }
    if (!upgrade) return fail(handshake_error::response_missing_upgrade);
    // RFC 6455 §4.1 (response) /3.
    if (!connection) return fail(handshake_error::response_missing_connection_upgrade);
    // RFC 6455 §4.1 (response) /4 and §11.3.3: exactly one Sec-WebSocket-Accept, equal to
    // base64(SHA-1(key + GUID)); compared exactly (it is base64, so case matters).
    if (accepts == 0) return fail(handshake_error::missing_accept);
    if (accepts > 1) return fail(handshake_error::duplicate_accept);
    if (accept != std::string_view(expected_accept_.data(), expected_accept_.size()))
      return fail(handshake_error::accept_mismatch);
    // RFC 6455 §4.1 (response) /6 and §11.3.4: at most one subprotocol, one that was offered.
    if (protocol_fields > 1) return fail(handshake_error::unexpected_protocol);
    if (protocol_fields == 1) {
      bool offered = false;
      for (const std::string& p : offered_protocols_)
        offered = offered || p == protocol_;
      if (!offered) return fail(handshake_error::unexpected_protocol);
    }
    // RFC 6455 §4.1 (response) /5: every extension must have been offered.
    if (list_error == handshake_error::too_many_extensions) return fail(list_error);
    if (list_error != handshake_error{}) return fail(handshake_error::unexpected_extension);
    for (const extension& e : extensions_) {
      bool offered = false;
      for (const std::string& name : offered_extensions_)
        offered = offered || name == e.name;
      if (!offered) return fail(handshake_error::unexpected_extension);
    }
    state_ = state::accepted;
  }

  options opts_;
  http1::response_parser parser_;
  state state_ = state::idle;
  error_at error_{};
  std::array<char, 24> key_{};
  std::array<char, accept_key_size> expected_accept_{};
  std::vector<std::string> offered_protocols_;
  std::vector<std::string> offered_extensions_;
  std::string_view protocol_;
  std::vector<extension> extensions_;
  std::vector<extension_param> params_;
};

}  // namespace rtwire::ws
