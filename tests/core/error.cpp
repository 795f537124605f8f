// The error machinery shared by every module (DESIGN.md §3): table-driven categories, coarse
// conditions, rtwire::error_at and the {fmt} formatters.
#include <rtwire/core/error.hpp>
#include <rtwire/fmt.hpp>

#include <array>
#include <sstream>
#include <string>
#include <system_error>

#include "catch.hpp"

namespace demo {

enum class error { too_big = 1, broken, misused };

struct error_desc {
  static constexpr const char* name = "rtwire.demo";
  static constexpr std::array<rtwire::error_entry<error>, 3> entries{{
      {error::too_big, "too big", rtwire::condition::limit_exceeded},
      {error::broken, "peer sent garbage", rtwire::condition::protocol_violation},
      {error::misused, "wrong call", rtwire::condition::api_misuse},
  }};
  static_assert(rtwire::detail::table_is_dense(entries));
};

inline std::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), rtwire::category_for<error_desc>()};
}

}  // namespace demo

template <>
struct std::is_error_code_enum<demo::error> : std::true_type {};
template <>
inline constexpr bool rtwire::is_error_enum_v<demo::error> = true;

namespace {

struct gap_desc {
  static constexpr std::array<rtwire::error_entry<demo::error>, 2> entries{{
      {demo::error::too_big, "a", rtwire::condition::bad_input},
      {demo::error::misused, "c", rtwire::condition::bad_input},
  }};
};
struct empty_message_desc {
  static constexpr std::array<rtwire::error_entry<demo::error>, 1> entries{{
      {demo::error::too_big, "", rtwire::condition::bad_input},
  }};
};
static_assert(!rtwire::detail::table_is_dense(gap_desc::entries));
static_assert(!rtwire::detail::table_is_dense(empty_message_desc::entries));

}  // namespace

TEST_CASE("a module error converts to std::error_code with its message and category") {
  const std::error_code ec = demo::error::broken;
  CHECK(ec.value() == 2);
  CHECK(std::string(ec.category().name()) == "rtwire.demo");
  CHECK(ec.message() == "peer sent garbage");
  CHECK(ec == demo::error::broken);
  CHECK(ec != demo::error::too_big);
  CHECK(static_cast<bool>(ec));
  // One category object per program, even though the library is header-only.
  CHECK(&ec.category() == &rtwire::category_for<demo::error_desc>());
}

TEST_CASE("module errors compare equal to their coarse condition") {
  CHECK(std::error_code(demo::error::too_big) == rtwire::condition::limit_exceeded);
  CHECK(std::error_code(demo::error::broken) == rtwire::condition::protocol_violation);
  CHECK(std::error_code(demo::error::misused) == rtwire::condition::api_misuse);
  CHECK(std::error_code(demo::error::misused) != rtwire::condition::protocol_violation);
  CHECK(std::error_code(demo::error::broken) != rtwire::condition::bad_input);
}

TEST_CASE("the condition category names every condition") {
  const auto& cat = rtwire::condition_category();
  CHECK(std::string(cat.name()) == "rtwire");
  CHECK(cat.message(static_cast<int>(rtwire::condition::protocol_violation)) ==
        "protocol violation");
  CHECK(cat.message(static_cast<int>(rtwire::condition::limit_exceeded)) == "limit exceeded");
  CHECK(cat.message(static_cast<int>(rtwire::condition::bad_input)) == "bad input");
  CHECK(cat.message(static_cast<int>(rtwire::condition::api_misuse)) == "API misuse");
  CHECK(cat.message(99) == "unknown rtwire condition");
}

TEST_CASE("an unknown value still gets a message and maps to itself") {
  const std::error_code ec(42, rtwire::category_for<demo::error_desc>());
  CHECK(ec.message() == "rtwire.demo: unknown error 42");
  CHECK(ec.default_error_condition().category() == ec.category());
  CHECK(ec != rtwire::condition::protocol_violation);
}

TEST_CASE("error_at carries the code and the byte offset") {
  rtwire::error_at none;
  CHECK_FALSE(none);
  CHECK(none.offset == rtwire::error_at::npos);
  const rtwire::error_at e{demo::error::broken, 17};
  CHECK(e);
  CHECK(e.message() == "peer sent garbage");
}

TEST_CASE("fmt formats error values and positioned errors") {
  CHECK(fmt::format("{}", demo::error::too_big) == "rtwire.demo: too big");
  CHECK(fmt::format("{}", rtwire::error_at{demo::error::broken, 17}) ==
        "rtwire.demo: peer sent garbage (at byte 17)");
  CHECK(fmt::format("{}", rtwire::error_at{demo::error::misused, rtwire::error_at::npos}) ==
        "rtwire.demo: wrong call");
  CHECK(fmt::format("{}", rtwire::error_at{}) == "no error");
  CHECK(fmt::format("[{:>22}]", demo::error::too_big) == "[  rtwire.demo: too big]");
  const rtwire::error_at text_error{
      .code = demo::error::broken, .offset = 40, .line = 3, .column = 7};
  CHECK(fmt::format("{}", text_error) == "rtwire.demo: peer sent garbage (at line 3, column 7)");
}

TEST_CASE("error_at: to_string, operator<< and comparison with a code") {
  const rtwire::error_at at_byte{demo::error::broken, 17};
  CHECK(rtwire::to_string(at_byte) == "rtwire.demo: peer sent garbage (at byte 17)");
  CHECK(rtwire::to_string({.code = demo::error::broken, .line = 2, .column = 1}) ==
        "rtwire.demo: peer sent garbage (at line 2, column 1)");
  CHECK(rtwire::to_string(rtwire::error_at{}) == "no error");
  std::ostringstream os;
  os << at_byte << '|' << rtwire::error_at{demo::error::misused};
  CHECK(os.str() == "rtwire.demo: peer sent garbage (at byte 17)|rtwire.demo: wrong call");
  CHECK(at_byte == demo::error::broken);
  CHECK(at_byte != demo::error::misused);
  CHECK(rtwire::error_at{} == std::error_code{});
}
