// Shared body of the HTTP head parser fuzz targets (http1_request.cpp, http1_response.cpp).
//
// For each of the four option policies (bare LF, obs-fold) and two limit sets (the defaults, and
// small limits derived from the input so every limit is hit), the input is parsed whole, in three
// chunks cut at input-derived points, and byte by byte; the runs must agree exactly (status,
// error and offset, bytes consumed and parsed head when done). A parsed head must then survive the
// writer: it is accepted, and parsing its output gives the same head. Any disagreement calls
// __builtin_trap().
#pragma once

#include <rtwire/core/http1.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace rtwire_fuzz {

namespace http1 = rtwire::http1;

struct snapshot {
  http1::parse_status status = http1::parse_status::need_more;
  std::size_t consumed = 0;
  std::error_code code;
  std::size_t offset = 0;
  std::string head;  // canonical text of the parsed head

  bool operator==(const snapshot&) const = default;
};

inline void append_fields(std::string& s, const http1::header_list& headers) {
  for (const auto& f : headers.all())
    s.append(1, '\0').append(f.name).append(1, '\0').append(f.value);
}

inline std::string canonical(const http1::request_head& h) {
  std::string s;
  s.append(h.method).append(1, '\0').append(h.target).append(1, '\0');
  s += std::to_string(h.version_major) + "." + std::to_string(h.version_minor);
  append_fields(s, h.headers);
  return s;
}

inline std::string canonical(const http1::response_head& h) {
  std::string s;
  s += std::to_string(h.version_major) + "." + std::to_string(h.version_minor) + " ";
  s += std::to_string(h.status);
  s.append(1, '\0').append(h.reason);
  append_fields(s, h.headers);
  return s;
}

inline std::error_code write_head(std::string& out, const http1::request_head& h) {
  return http1::write_request_head(out, h);
}

inline std::error_code write_head(std::string& out, const http1::response_head& h) {
  return http1::write_response_head(out, h);
}

template <class Parser>
snapshot run(const http1::options& opts, const std::vector<std::string_view>& chunks) {
  Parser parser(opts);
  snapshot out;
  std::size_t before = 0;  // stream bytes in the chunks already fed
  for (const std::string_view chunk : chunks) {
    const auto r = parser.feed(chunk);
    if (r.status == http1::parse_status::need_more) {
      if (r.consumed != chunk.size()) __builtin_trap();
      before += chunk.size();
      continue;
    }
    if (r.status == http1::parse_status::error) {
      // The bytes of this chunk before the offending byte (which may lie in an earlier chunk:
      // a line is validated when its LF arrives, so this total is not split-invariant).
      const std::size_t off = parser.error().offset;
      if (r.consumed != std::min(chunk.size(), off > before ? off - before : 0)) __builtin_trap();
    } else {
      out.consumed = before + r.consumed;
    }
    // Sticky.
    const auto again = parser.feed(chunk);
    if (again.status != r.status || again.consumed != 0) __builtin_trap();
    break;
  }
  out.status = parser.finish();
  out.code = parser.error().code;
  out.offset = parser.error().offset;
  if (out.status == http1::parse_status::done) out.head = canonical(parser.head());
  return out;
}

template <class Parser, class Head>
void round_trip(const Head& head) {
  std::string written;
  if (write_head(written, head)) __builtin_trap();  // a parsed head is writable
  http1::options opts;
  opts.limit = {written.size(), head.headers.size(), written.size(), 0};
  Parser again(opts);
  const auto r = again.feed(written);
  if (r.status != http1::parse_status::done || r.consumed != written.size()) __builtin_trap();
  if (canonical(again.head()) != canonical(head)) __builtin_trap();
}

template <class Parser>
void check(std::string_view input, const http1::options& opts, std::uint64_t h) {
  const std::size_t n = input.size();
  std::size_t a = static_cast<std::size_t>(h % (n + 1));
  std::size_t b = static_cast<std::size_t>((h >> 32) % (n + 1));
  if (a > b) std::swap(a, b);
  const snapshot whole = run<Parser>(opts, {input});
  if (run<Parser>(opts, {input.substr(0, a), input.substr(a, b - a), input.substr(b)}) != whole)
    __builtin_trap();
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < n; ++i)
    bytes.push_back(input.substr(i, 1));
  if (run<Parser>(opts, bytes) != whole) __builtin_trap();
  if (whole.consumed > n) __builtin_trap();

  if (whole.status == http1::parse_status::done) {
    Parser parser(opts);
    parser.feed(input);
    round_trip<Parser>(parser.head());
  }
}

/// The body of both fuzz targets: every option policy and two limit sets per input.
template <class Parser>
int fuzz_head_parser(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::uint64_t h = 14695981039346656037ull;  // FNV-1a: cut points and small limits
  for (std::size_t i = 0; i < size; ++i)
    h = (h ^ data[i]) * 1099511628211ull;
  for (int policy = 0; policy < 4; ++policy) {
    http1::options opts;
    opts.allow_bare_lf = (policy & 1) != 0;
    opts.allow_obs_fold = (policy & 2) != 0;
    check<Parser>(input, opts, h);
    opts.limit.max_head_bytes = 16 + h % 256;
    opts.limit.max_line_bytes = 8 + (h >> 8) % 128;
    opts.limit.max_headers = (h >> 16) % 8;
    opts.limit.max_leading_empty_lines = (h >> 24) % 3;  // requests only
    check<Parser>(input, opts, h);
  }
  return 0;
}

}  // namespace rtwire_fuzz
