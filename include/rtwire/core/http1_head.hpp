// rtwire — parsed HTTP/1.1 heads: header fields, the field list with its lookups and body
// framing (RFC 9112 §6), and the request and response heads the parser fills and the writer
// writes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>
#include <vector>

#include "rtwire/core/error.hpp"
#include "rtwire/core/http1_error.hpp"
#include "rtwire/core/http1_grammar.hpp"

namespace rtwire::http1 {

// ---------------------------------------------------------------------------------------------
// Parsed heads
// ---------------------------------------------------------------------------------------------

/// One field line. Both views point into the parsed bytes (see request_parser::feed for their
/// lifetime). `value` has its leading and trailing OWS removed (RFC 9112 §5.1); with
/// options::allow_obs_fold each obs-fold inside it has been replaced by SP.
struct header_field {
  std::string_view name;
  std::string_view value;

  friend bool operator==(const header_field&, const header_field&) = default;
};

/// The outcome of header_list::content_length().
/// How a request's body is delimited (RFC 9112 §6.3).
enum class body_kind : std::uint8_t {
  /// No body (no Transfer-Encoding, no Content-Length): §6.3 (6).
  none,
  /// `length` bytes follow the head: §6.3 (5).
  content_length,
  /// Chunked transfer coding, possibly after other codings: §6.3 (4).
  chunked,
};

/// The result of header_list::request_body().
struct body_framing {
  body_kind kind = body_kind::none;
  /// The body length when kind == content_length.
  std::uint64_t length = 0;
  /// bad_content_length, bad_transfer_encoding or transfer_encoding_with_content_length (all
  /// answered 400); empty otherwise.
  std::error_code ec{};
};

struct content_length_result {
  /// At least one Content-Length field is present.
  bool present = false;
  /// The length; 0 when absent or invalid.
  std::uint64_t value = 0;
  /// error::bad_content_length when present but invalid; empty otherwise.
  std::error_code ec{};
};

/// The field lines of a head, in received order (duplicates kept, names as received). Lookups
/// compare names ASCII case-insensitively (RFC 9110 §5.1) and are linear: heads are small and
/// bounded by limits::max_headers.
class header_list {
 public:
  header_list() = default;
  /// A list built by hand (e.g. for the writer or for tests); the views must outlive the list.
  header_list(std::initializer_list<header_field> fields) : fields_(fields) {}

  /// Every field, in order.
  std::span<const header_field> all() const noexcept { return fields_; }
  std::size_t size() const noexcept { return fields_.size(); }
  bool empty() const noexcept { return fields_.empty(); }

  /// The value of the first field called `name` (case-insensitive), or nullopt.
  std::optional<std::string_view> find(std::string_view name) const noexcept {
    for (const auto& f : fields_) {
      if (iequals(f.name, name)) return f.value;
    }
    return std::nullopt;
  }

  /// How many fields are called `name` (case-insensitive).
  std::size_t count(std::string_view name) const noexcept {
    std::size_t n = 0;
    for (const auto& f : fields_)
      n += iequals(f.name, name) ? 1 : 0;
    return n;
  }

  /// Calls f(std::string_view element) for each non-empty element of the comma-separated lists
  /// of every field called `name`, in order (RFC 9110 §5.6.1: empty elements and OWS around
  /// elements are ignored; commas inside quoted-strings do not split). `f` returns void, or bool
  /// where false stops the walk. Returns false if `f` stopped it early, true otherwise.
  template <class F>
  bool for_each_element(std::string_view name, F&& f) const {
    for (const auto& field : fields_) {
      if (!iequals(field.name, name)) continue;
      if (!for_each_list_element(field.value, f)) return false;
    }
    return true;
  }

  /// True if any field called `name` has `token` (case-insensitive) as one whole element of its
  /// list, e.g. has_token("connection", "upgrade") for `Connection: keep-alive, Upgrade`.
  bool has_token(std::string_view name, std::string_view token) const noexcept {
    return !for_each_element(
        name, [&](std::string_view element) noexcept { return !iequals(element, token); });
  }

  /// The message's Content-Length, strictly (RFC 9110 §8.6): every Content-Length field is a
  /// list of 1*DIGIT elements (OWS around them allowed, no empty element, no sign), the value
  /// fits in 64 bits, and all elements of all fields are the same number (RFC 9110 §8.6 allows
  /// accepting "42, 42"; differing values are an error). Result: {false, 0, {}} when absent,
  /// {true, n, {}} when valid, {true, 0, error::bad_content_length} otherwise.
  content_length_result content_length() const noexcept {
    content_length_result r;
    bool have_value = false;
    for (const auto& field : fields_) {
      if (!iequals(field.name, "content-length")) continue;
      r.present = true;
      std::string_view rest = field.value;
      while (true) {
        const std::size_t comma = rest.find(',');
        const std::string_view element = trim_ows(rest.substr(0, comma));
        std::uint64_t v = 0;
        if (!parse_decimal(element, v) || (have_value && v != r.value)) {
          return {true, 0, make_error_code(error::bad_content_length)};
        }
        r.value = v;
        have_value = true;
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
    }
    return r;
  }

  /// How the body of a request with these fields is delimited (RFC 9112 §6.3):
  /// - Transfer-Encoding whose final coding is "chunked" (case-insensitive): chunked;
  /// - Transfer-Encoding otherwise: error::bad_transfer_encoding (§6.3 (4): the length cannot be
  ///   determined; the server MUST answer 400 and close);
  /// - Transfer-Encoding and Content-Length together: error::transfer_encoding_with_content_length
  ///   (§6.3 (3): "ought to be handled as an error" — the request-smuggling shape);
  /// - Content-Length alone: content_length() rules (error::bad_content_length when invalid);
  /// - neither: no body (§6.3 (6)).
  body_framing request_body() const noexcept {
    bool transfer_encoding = false;
    bool chunked_last = false;
    for (const auto& field : fields_) {
      if (!iequals(field.name, "transfer-encoding")) continue;
      transfer_encoding = true;
      auto note = [&](std::string_view coding) { chunked_last = iequals(coding, "chunked"); };
      for_each_list_element(field.value, note);
    }
    const content_length_result length = content_length();
    if (transfer_encoding && length.present)
      return {body_kind::none, 0, make_error_code(error::transfer_encoding_with_content_length)};
    if (transfer_encoding) {
      if (!chunked_last) return {body_kind::none, 0, make_error_code(error::bad_transfer_encoding)};
      return {body_kind::chunked, 0, {}};
    }
    if (length.ec) return {body_kind::none, 0, length.ec};
    if (length.present) return {body_kind::content_length, length.value, {}};
    return {};
  }

  /// Appends a field (no validation: the writer validates when it writes).
  void add(std::string_view name, std::string_view value) { fields_.push_back({name, value}); }
  void clear() noexcept { fields_.clear(); }
  void reserve(std::size_t n) { fields_.reserve(n); }

 private:
  static constexpr bool parse_decimal(std::string_view s, std::uint64_t& out) noexcept {
    if (s.empty()) return false;
    std::uint64_t v = 0;
    for (const char c : s) {
      if (c < '0' || c > '9') return false;
      const auto digit = static_cast<std::uint64_t>(c - '0');
      if (v > (UINT64_MAX - digit) / 10) return false;  // would overflow 64 bits
      v = v * 10 + digit;
    }
    out = v;
    return true;
  }

  std::vector<header_field> fields_;
};

/// A parsed request head. Views: see request_parser::feed().
struct request_head {
  std::string_view method;
  std::string_view target;
  int version_major = 1;
  int version_minor = 1;
  header_list headers;
};

/// A parsed response head. Views: see response_parser::feed().
struct response_head {
  int version_major = 1;
  int version_minor = 1;
  int status = 0;
  /// May be empty (RFC 9112 §4).
  std::string_view reason;
  header_list headers;
};

}  // namespace rtwire::http1
