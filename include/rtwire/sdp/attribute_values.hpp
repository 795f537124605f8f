// rtwire — the small value types SDP attributes share: media direction, space-separated token
// lists and a=fmtp parameter lists.
//
//   using namespace rtwire::sdp;
//   auto dir = direction_of(m.attributes).value_or(direction::sendrecv);
//   for (std::string_view mid : token_list("0 1 data")) use(mid);
//   for (const format_parameter& p : parameter_list("minptime=10;useinbandfec=1"))
//     use(p.key, p.value.value_or(""));
//
// Views only: nothing here allocates, and every view points into the text it was made from.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>

#include "rtwire/sdp/detail/text.hpp"
#include "rtwire/sdp/session.hpp"

namespace rtwire::sdp {

/// Media direction (RFC 8866 §6.7 and RFC 3264 §5.1). Also used by a=extmap (RFC 8285 §7).
enum class direction : std::uint8_t { sendrecv, sendonly, recvonly, inactive };

/// The direction named `s` ("sendrecv", "sendonly", "recvonly", "inactive"), or std::nullopt.
inline std::optional<direction> parse_direction(std::string_view s) noexcept {
  if (s == "sendrecv") return direction::sendrecv;
  if (s == "sendonly") return direction::sendonly;
  if (s == "recvonly") return direction::recvonly;
  if (s == "inactive") return direction::inactive;
  return std::nullopt;
}

/// The text of a direction.
constexpr std::string_view to_string(direction d) noexcept {
  switch (d) {
    case direction::sendrecv:
      return "sendrecv";
    case direction::sendonly:
      return "sendonly";
    case direction::recvonly:
      return "recvonly";
    case direction::inactive:
      return "inactive";
  }
  return "sendrecv";
}

/// The first direction attribute (a=sendrecv / sendonly / recvonly / inactive) among `attrs`;
/// std::nullopt when there is none (RFC 8866 §6.7: the default is sendrecv, unless the session
/// level says otherwise).
inline std::optional<direction> direction_of(std::span<const attribute> attrs) noexcept {
  for (const auto& a : attrs)
    if (!a.value)
      if (auto d = parse_direction(a.name)) return d;
  return std::nullopt;
}

/// A view of space-separated tokens (a=group mids, a=ice-options, a=ssrc-group SSRCs, ...).
/// Runs of spaces count as one separator; iterating never yields an empty token.
class token_list {
 public:
  token_list() = default;
  explicit token_list(std::string_view text) noexcept : text_(text) {}

  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    using pointer = const std::string_view*;
    using reference = std::string_view;

    iterator() = default;
    iterator(std::string_view rest) noexcept : rest_(rest) { advance(); }
    std::string_view operator*() const noexcept { return token_; }
    iterator& operator++() noexcept {
      advance();
      return *this;
    }
    iterator operator++(int) noexcept {
      iterator old = *this;
      advance();
      return old;
    }
    friend bool operator==(const iterator& a, const iterator& b) noexcept {
      return a.token_.data() == b.token_.data() && a.token_.size() == b.token_.size();
    }

   private:
    void advance() noexcept {
      std::size_t i = 0;
      while (i < rest_.size() && rest_[i] == ' ')
        ++i;
      rest_.remove_prefix(i);
      if (rest_.empty()) {
        token_ = {};
        return;
      }
      const std::size_t end = rest_.find(' ');
      token_ = rest_.substr(0, end);
      rest_.remove_prefix(end == std::string_view::npos ? rest_.size() : end);
    }
    std::string_view rest_;
    std::string_view token_;
  };

  iterator begin() const noexcept { return iterator(text_); }
  iterator end() const noexcept { return {}; }
  /// The number of tokens.
  std::size_t size() const noexcept {
    std::size_t n = 0;
    for (auto it = begin(); it != end(); ++it)
      ++n;
    return n;
  }
  bool empty() const noexcept { return begin() == end(); }
  /// True when one of the tokens equals `token`.
  bool contains(std::string_view token) const noexcept {
    for (const auto t : *this)
      if (t == token) return true;
    return false;
  }
  /// The underlying text.
  std::string_view text() const noexcept { return text_; }

 private:
  std::string_view text_;
};

/// One `key=value` of an a=fmtp parameter list; `value` is std::nullopt for a parameter without
/// '=' (such as RED's "111/111" or telephone-event's "0-15").
struct format_parameter {
  std::string_view key;
  std::optional<std::string_view> value;
};

/// A view of the ';'-separated parameters of a=fmtp (RFC 8866 §6.15: the syntax is the media
/// format's; nearly every WebRTC codec uses key=value;key=value). Spaces around ';' are skipped,
/// empty parameters are not yielded.
class parameter_list {
 public:
  parameter_list() = default;
  explicit parameter_list(std::string_view text) noexcept : text_(text) {}

  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = format_parameter;
    using difference_type = std::ptrdiff_t;
    using pointer = const format_parameter*;
    using reference = format_parameter;

    iterator() = default;
    iterator(std::string_view rest) noexcept : rest_(rest), done_(false) { advance(); }
    format_parameter operator*() const noexcept { return current_; }
    iterator& operator++() noexcept {
      advance();
      return *this;
    }
    iterator operator++(int) noexcept {
      iterator old = *this;
      advance();
      return old;
    }
    friend bool operator==(const iterator& a, const iterator& b) noexcept {
      return a.done_ == b.done_ && (a.done_ || a.current_.key.data() == b.current_.key.data());
    }

   private:
    void advance() noexcept {
      while (true) {
        if (rest_.empty() && raw_exhausted_) {
          done_ = true;
          current_ = {};
          return;
        }
        const std::size_t semi = rest_.find(';');
        std::string_view item = rest_.substr(0, semi);
        if (semi == std::string_view::npos) {
          rest_ = {};
          raw_exhausted_ = true;
        } else {
          rest_.remove_prefix(semi + 1);
        }
        item = detail::trim_right(detail::trim_left(item));
        if (item.empty()) continue;
        const std::size_t eq = item.find('=');
        if (eq == std::string_view::npos) {
          current_ = {item, std::nullopt};
        } else {
          current_ = {item.substr(0, eq), item.substr(eq + 1)};
        }
        return;
      }
    }
    std::string_view rest_;
    format_parameter current_{};
    bool done_ = true;
    bool raw_exhausted_ = false;
  };

  iterator begin() const noexcept { return iterator(text_); }
  iterator end() const noexcept { return {}; }
  /// The value of the first parameter called `key` (std::nullopt when absent; an empty view
  /// when present without '=' ).
  std::optional<std::string_view> find(std::string_view key) const noexcept {
    for (const auto p : *this)
      if (p.key == key) return p.value.value_or(std::string_view());
    return std::nullopt;
  }
  std::string_view text() const noexcept { return text_; }

 private:
  std::string_view text_;
};

}  // namespace rtwire::sdp
