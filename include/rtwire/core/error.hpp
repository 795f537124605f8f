// rtwire — error machinery shared by every codec (DESIGN.md §3).
//
// Every module declares an `enum class error` (value 0 is never used: it means success), a
// table that gives each value a stable message and a coarse `rtwire::condition`, and registers
// the enum with `std::is_error_code_enum`. The category is a function-local static, so it has
// one address per program even though the library is header-only.
//
// Works with -fno-exceptions and -fno-rtti: std::error_category needs neither.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace rtwire {

/// Coarse classification of every rtwire error, for code that does not care which rule broke.
/// Compare with `ec == rtwire::condition::limit_exceeded`.
enum class condition {
  /// The peer (or the input stream) broke the protocol: the data is at fault.
  protocol_violation = 1,
  /// A configured limit (bytes, count, size) was exceeded: the data may be valid but too large.
  limit_exceeded,
  /// Input given directly by the caller is malformed (e.g. a base64 string, a cursor text).
  bad_input,
  /// The caller used the API wrongly (wrong state, wrong order, invalid argument).
  api_misuse,
};

namespace detail {

class condition_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "rtwire"; }
  std::string message(int value) const override {
    switch (static_cast<condition>(value)) {
      case condition::protocol_violation:
        return "protocol violation";
      case condition::limit_exceeded:
        return "limit exceeded";
      case condition::bad_input:
        return "bad input";
      case condition::api_misuse:
        return "API misuse";
    }
    return "unknown rtwire condition";
  }
};

}  // namespace detail

/// The category of `rtwire::condition`; its name() is "rtwire".
inline const std::error_category& condition_category() noexcept {
  static const detail::condition_category_impl category;
  return category;
}

inline std::error_condition make_error_condition(condition c) noexcept {
  return {static_cast<int>(c), condition_category()};
}

/// One row of a module's error table.
template <class Enum>
struct error_entry {
  Enum value{};
  std::string_view message{};
  condition cond = condition::protocol_violation;
};

namespace detail {

/// A std::error_category driven by a descriptor type:
///   struct desc {
///     static constexpr const char* name = "rtwire.http1";
///     static constexpr std::array<error_entry<error>, N> entries{...};
///   };
template <class Desc>
class table_category final : public std::error_category {
 public:
  const char* name() const noexcept override { return Desc::name; }

  std::string message(int value) const override {
    if (const auto* e = find(value)) return std::string(e->message);
    return std::string(Desc::name) + ": unknown error " + std::to_string(value);
  }

  std::error_condition default_error_condition(int value) const noexcept override {
    if (const auto* e = find(value)) return make_error_condition(e->cond);
    return {value, *this};
  }

  using entry_type = std::remove_cvref_t<decltype(Desc::entries[0])>;

  static constexpr const entry_type* find(int value) noexcept {
    for (const auto& e : Desc::entries)
      if (static_cast<int>(e.value) == value) return &e;
    return nullptr;
  }
};

/// Checks at compile time that a table lists every value 1..N exactly once, in order, with a
/// non-empty message. Use as `static_assert(detail::table_is_dense(desc::entries));`.
template <class Entries>
constexpr bool table_is_dense(const Entries& entries) noexcept {
  int expected = 1;
  for (const auto& e : entries) {
    if (static_cast<int>(e.value) != expected++ || e.message.empty()) return false;
  }
  return true;
}

}  // namespace detail

/// The singleton category for a descriptor (see detail::table_category).
template <class Desc>
const std::error_category& category_for() noexcept {
  static const detail::table_category<Desc> category;
  return category;
}

/// True for every rtwire module's `enum class error`; each module specialises it with
/// RTWIRE_REGISTER_ERROR_ENUM (used by rtwire/fmt.hpp to format any rtwire error value).
template <class E>
inline constexpr bool is_error_enum_v = false;

}  // namespace rtwire

/// Registers rtwire error enum `E` (fully qualified) with <system_error>, so it converts to
/// std::error_code through its make_error_code(), and with rtwire::is_error_enum_v. Use once, at
/// global scope, after the enum's make_error_code() is declared.
#define RTWIRE_REGISTER_ERROR_ENUM(E)                    \
  template <>                                            \
  struct std::is_error_code_enum<E> : std::true_type {}; \
  template <>                                            \
  inline constexpr bool rtwire::is_error_enum_v<E> = true

namespace rtwire {

/// The one error type every rtwire parser reports (DESIGN.md §1.3): what went wrong and where.
/// Incremental parsers answer `feed()`/`next()` with a `{status, consumed}` result and keep
/// their sticky failure in `error()`, which returns this type; the one-shot SDP parsers return it.
///
/// - `offset` counts bytes from the start of everything fed to the parser; `npos` when the error
///   has no byte position (e.g. a limit on a count, or a misuse of the API).
/// - `line` and `column` (1-based; column counts bytes from the start of the line) are set by
///   the line-oriented text parsers (SDP and ICE candidates); 0 when not applicable.
///
/// Converts to true when it holds an error; compares equal to an error code or enum value
/// (`parser.error() == rtwire::http1::error::bare_lf`). Printed by to_string(), `operator<<`
/// and rtwire/fmt.hpp as "<category>: <message> (at byte N)" or "(at line L, column C)".
struct error_at {
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  std::error_code code{};
  std::size_t offset = npos;
  std::size_t line = 0;
  std::size_t column = 0;

  explicit operator bool() const noexcept { return static_cast<bool>(code); }
  /// The reason alone, e.g. "line ends with a bare LF".
  std::string message() const { return code.message(); }

  friend bool operator==(const error_at& e, const std::error_code& ec) noexcept {
    return e.code == ec;
  }
};

/// "<category>: <message>" followed by " (at line L, column C)" or " (at byte N)" when the error
/// has that position; "no error" for an empty one.
inline std::string to_string(const error_at& e) {
  if (!e.code) return "no error";
  std::string text = std::string(e.code.category().name()) + ": " + e.code.message();
  if (e.line != 0) {
    text += " (at line " + std::to_string(e.line) + ", column " + std::to_string(e.column) + ")";
  } else if (e.offset != error_at::npos) {
    text += " (at byte " + std::to_string(e.offset) + ")";
  }
  return text;
}

/// Writes to_string(e). A template so that this header needs only <iosfwd>.
template <class CharT, class Traits>
std::basic_ostream<CharT, Traits>& operator<<(std::basic_ostream<CharT, Traits>& os,
                                              const error_at& e) {
  const std::string text = to_string(e);
  os.write(text.data(), static_cast<std::streamsize>(text.size()));
  return os;
}

}  // namespace rtwire

template <>
struct std::is_error_condition_enum<rtwire::condition> : std::true_type {};
