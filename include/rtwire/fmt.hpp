// rtwire — optional {fmt} formatters (the only rtwire header that needs fmt; fmt 9 or newer).
//
//   fmt::print("{}\n", rtwire::http1::error::bare_lf);   // "rtwire.http1: bare LF ..."
//   fmt::print("{}\n", parser.error());                  // "... (at byte 17)"
//
// std::error_code itself is left alone (fmt >= 10 formats it in fmt/std.h; specialising it here
// would clash); format `ec.message()` or wrap it in rtwire::error_at.
#pragma once

#include <fmt/format.h>

#include <string>
#include <type_traits>

#include "rtwire/core/error.hpp"

/// Any rtwire module error value: "<category>: <message>".
template <class E>
struct fmt::formatter<E, char, std::enable_if_t<rtwire::is_error_enum_v<E>>>
    : fmt::formatter<fmt::string_view> {
  template <class FormatContext>
  auto format(E value, FormatContext& ctx) const -> decltype(ctx.out()) {
    const std::error_code ec = make_error_code(value);
    const std::string text = std::string(ec.category().name()) + ": " + ec.message();
    return fmt::formatter<fmt::string_view>::format(fmt::string_view(text), ctx);
  }
};

/// A positioned error: rtwire::to_string(), i.e. "<category>: <message> (at byte N)" or
/// "(at line L, column C)", or "no error".
template <>
struct fmt::formatter<rtwire::error_at> : fmt::formatter<fmt::string_view> {
  template <class FormatContext>
  auto format(const rtwire::error_at& e, FormatContext& ctx) const -> decltype(ctx.out()) {
    const std::string text = rtwire::to_string(e);
    return fmt::formatter<fmt::string_view>::format(fmt::string_view(text), ctx);
  }
};
