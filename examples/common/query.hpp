// Shared by the example servers: the query part of a request-target (application/x-www-form-
// urlencoded, as browsers and curl send it). Not part of the library.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace rtwire_examples {

/// Decodes %XX and '+' in a query value; nullopt on a malformed escape.
inline std::optional<std::string> percent_decode(std::string_view s) {
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

/// A query parameter's lookup: absent, present but malformed (a bad %XX escape: report
/// "malformed query", not "missing"), or present with its decoded value.
struct query_value {
  bool present = false;
  std::optional<std::string> value;  // nullopt when absent or malformed

  bool malformed() const noexcept { return present && !value; }
};

/// Query parameter `key` of a request-target (its first occurrence). A key without '=' has the
/// empty value.
inline query_value query_lookup(std::string_view target, std::string_view key) {
  const std::size_t q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == key)
      return {true,
              eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1))};
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return {};
}

/// True if some query parameter's value of `target` has a malformed %XX escape.
inline bool query_is_malformed(std::string_view target) {
  const std::size_t q = target.find('?');
  if (q == std::string_view::npos) return false;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    if (!percent_decode(rest.substr(0, amp))) return true;
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return false;
}

/// The decoded value of query parameter `key` in a request-target (the first occurrence), or
/// nullopt when it is absent or malformed (see query_lookup() to tell the two apart).
inline std::optional<std::string> query_param(std::string_view target, std::string_view key) {
  return query_lookup(target, key).value;
}

}  // namespace rtwire_examples
