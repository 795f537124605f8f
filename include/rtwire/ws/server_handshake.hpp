// rtwire — the server side of the WebSocket opening handshake (RFC 6455 §4.2): validates the
// client's request and writes the 101 (or the rejection) through rtwire/core/http1. The usage
// sketch of both roles is in rtwire/ws/handshake.hpp.
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
#include "rtwire/ws/handshake_base.hpp"

namespace rtwire::ws {

// ------------------------------------------------------------------------------------------------
// Server role
// ------------------------------------------------------------------------------------------------

/// True if `key` is a Sec-WebSocket-Key value the server accepts (RFC 6455 §4.1 /7, §4.2.1 /5):
/// the base64 encoding of exactly 16 bytes, i.e. 24 characters ending in "==" whose trailing
/// bits are canonical (the strict base64 decoder). The handshake answers any other key with 400
/// (handshake_error::bad_key).
inline bool is_valid_key(std::string_view key) noexcept {
  // RFC 6455 §4.1 /7, §4.2.1 /5: the key is a base64-encoded 16-byte nonce; rtwire takes the
  // canonical base64 (RFC 4648 §3.5, §4) of 16 bytes only: 22 alphabet characters, the last of
  // them with its 4 pad bits zero, then "=="; base64::decode() accepts exactly these, one table
  // lookup per character here (the table's non-alphabet values have a bit in 0xC0).
  if (key.size() != 24 || key[22] != '=' || key[23] != '=') return false;
  const auto value = [&](std::size_t i) {
    return base64::detail::decode_table[static_cast<unsigned char>(key[i])];
  };
  unsigned any = 0;
  for (std::size_t i = 0; i < 22; ++i)
    any |= value(i);
  return any < 64 && (value(21) & 0x0f) == 0;
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
    const std::string_view accept_view(accept_value.data(), accept_value.size());
    if (opts.headers.empty()) {
      // Nothing of the caller's to validate: the same bytes as below, from constant pieces.
      const bool p = !opts.protocol.empty(), x = !opts.extensions.empty();
      http1::detail::append_all(
          out, {"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: "
                "Upgrade\r\nSec-WebSocket-Accept: ",
                accept_view, p ? "\r\nSec-WebSocket-Protocol: " : "", opts.protocol,
                x ? "\r\nSec-WebSocket-Extensions: " : "", opts.extensions, "\r\n\r\n"});
      state_ = state::accepted;
      return {};
    }
    std::array<http1::header_field, 5> fields{{
        {"Upgrade", "websocket"},
        {"Connection", "Upgrade"},
        {"Sec-WebSocket-Accept", accept_view},
    }};
    std::size_t n = 3;
    if (!opts.protocol.empty()) fields[n++] = {"Sec-WebSocket-Protocol", opts.protocol};
    if (!opts.extensions.empty()) fields[n++] = {"Sec-WebSocket-Extensions", opts.extensions};
    // Every field here is known to be valid (constants, a base64 key, an offered token, an
    // extension list checked above), so only the caller's opts.headers are validated again.
    if (http1::detail::write_response_head(out, 101, std::span(fields.data(), n), opts.headers,
                                           /*fields_checked=*/true))
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

  /// list_has_token() for a lowercase token literal, with the common case (the value is the token
  /// alone) compared 8 bytes at a time: equals_lower() folds case exactly here, since the bytes
  /// it would confuse with letters, digits or '-' are controls, which no field value holds.
  static bool has_token(std::string_view value, std::string_view lower) noexcept {
    return detail::equals_lower(value, lower) || detail::list_has_token(value, lower);
  }

  void validate(const http1::request_head& head) {
    // RFC 6455 §4.2.1 /1: "An HTTP/1.1 or higher GET request, including a Request-URI".
    // (Fixed-size compares: the compiler turns them into a load and a compare, no call.)
    if (head.method.size() != 3 || std::memcmp(head.method.data(), "GET", 3) != 0)
      return fail(handshake_error::method_not_get);
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
    // The lengths of the names looked at below: a browser sends as many other fields, which
    // then cost one test instead of an indirect jump.
    constexpr std::uint32_t lengths =
        1u << 4 | 1u << 6 | 1u << 7 | 1u << 10 | 1u << 17 | 1u << 21 | 1u << 22 | 1u << 24;
    for (const http1::header_field& f : head.headers.all()) {
      const std::string_view n = f.name;
      if (n.size() >= 32 || ((lengths >> n.size()) & 1u) == 0) continue;
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
            upgrade = upgrade || has_token(f.value, "websocket");
          break;
        case 10:
          // RFC 6455 §4.2.1 /4: Connection includes the token "Upgrade".
          if (detail::equals_lower(n, "connection"))
            connection = connection || has_token(f.value, "upgrade");
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
    static_assert(websocket_version.size() == 2);
    if (version.size() != 2 || std::memcmp(version.data(), websocket_version.data(), 2) != 0)
      return fail(handshake_error::unsupported_version);
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

  // RFC 6455 §4.1 /10: Sec-WebSocket-Protocol is a list (RFC 9110 §5.6.1: elements separated by
  // commas, OWS around them, empty ones ignored) of non-empty tokens, all unique. One pass: a
  // token runs to its first non-tchar byte, after which only OWS may come before the comma or
  // the end. Any other byte (a quote, a separator, SP inside) makes its element a non-token.
  // Splitting the list first (quoted-strings and all) and testing each element gives the same
  // outcome: the elements before the first such byte split the same way, and the element that
  // holds it is not a token either way.
  handshake_error collect_protocols(std::string_view value) {
    std::size_t i = 0;
    const std::size_t n = value.size();
    for (;;) {
      while (i != n && (value[i] == ',' || http1::detail::is_ows(value[i])))
        ++i;  // OWS and empty elements
      if (i == n) return {};
      const std::size_t start = i;
      i = http1::detail::find_not(value, i, http1::detail::cc_tchar);
      const std::string_view token = value.substr(start, i - start);
      while (i != n && http1::detail::is_ows(value[i]))
        ++i;
      if (token.empty() || (i != n && value[i] != ',')) return handshake_error::bad_protocol_list;
      for (std::string_view q : protocols_)
        if (q == token) return handshake_error::bad_protocol_list;
      if (protocols_.size() == protocols_.capacity()) return handshake_error::too_many_protocols;
      protocols_.push_back(token);
    }
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

}  // namespace rtwire::ws
