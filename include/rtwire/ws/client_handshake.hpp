// rtwire — the client side of the WebSocket opening handshake (RFC 6455 §4.1): writes the
// request from the caller's nonce and validates the server's response. The usage sketch of both
// roles is in rtwire/ws/handshake.hpp.
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
