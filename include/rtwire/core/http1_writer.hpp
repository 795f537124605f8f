// rtwire — HTTP/1.1 head writer (RFC 9112 §3, §4, §5).
//
// Appends a start line, field lines and the final CRLF to a caller-owned rtwire::output_buffer.
// Every function validates what the caller passes first and, if anything is invalid, returns an
// http1::error (condition::api_misuse) and appends nothing: the writer never emits a head that
// rtwire's own parser (with default options) would reject.
//
//   std::string out;
//   rtwire::http1::write_status_line(out, 101);           // "HTTP/1.1 101 Switching Protocols"
//   rtwire::http1::write_field(out, "Upgrade", "websocket");
//   rtwire::http1::write_end(out);
//   // or a whole head in one allocation:
//   const rtwire::http1::header_field fields[] = {{"Content-Length", "0"}};
//   rtwire::http1::write_response_head(out, 404, fields);  // "HTTP/1.1 404 Not Found" + fields
//
// This is the one place rtwire writes HTTP/1 heads: the WebSocket handshake and the SSE
// encoder call it, and applications should too (it picks the standard reason phrase and makes
// CR/LF injection through a field impossible).
#pragma once

#include <cstddef>
#include <cstring>
#include <span>
#include <string_view>
#include <system_error>

#include "rtwire/core/bytes.hpp"
#include "rtwire/core/http1_head.hpp"

namespace rtwire::http1 {

/// The RFC 9110 §15 reason phrase of `status` (plus RFC 6585's 428, 429, 431 and 511), or ""
/// for a code with none.
constexpr std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 203:
      return "Non-Authoritative Information";
    case 204:
      return "No Content";
    case 205:
      return "Reset Content";
    case 206:
      return "Partial Content";
    case 300:
      return "Multiple Choices";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 305:
      return "Use Proxy";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 402:
      return "Payment Required";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 407:
      return "Proxy Authentication Required";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Range Not Satisfiable";
    case 417:
      return "Expectation Failed";
    case 421:
      return "Misdirected Request";
    case 422:
      return "Unprocessable Content";
    case 426:
      return "Upgrade Required";
    case 428:
      return "Precondition Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:  // RFC 9110 §15.6.2: the status's reason phrase, not a to-do marker
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    case 511:
      return "Network Authentication Required";
    default:
      return "";
  }
}

namespace detail {

/// RFC 9112 §3.2: the request-target is non-empty VCHARs (no SP, CTL or non-ASCII byte).
constexpr bool is_request_target(std::string_view s) noexcept {
  return !s.empty() && find_not(s, 0, cc_target) == s.size();
}

/// Appends the concatenation of `parts` with one resize.
template <output_buffer B, std::size_t N>
void append_all(B& buf, const std::string_view (&parts)[N]) {
  std::size_t total = 0;
  for (const auto& p : parts)
    total += p.size();
  unsigned char* out = rtwire::detail::grow(buf, total);
  for (const auto& p : parts) {
    if (p.empty()) continue;
    std::memcpy(out, p.data(), p.size());
    out += p.size();
  }
}

}  // namespace detail

/// Appends `method SP target SP HTTP/1.<minor> CRLF` (RFC 9112 §3).
/// Errors (nothing appended): invalid_method if `method` is not a token, invalid_target if
/// `target` is empty or holds SP, a control or a non-ASCII byte (percent-encode it), and
/// invalid_version unless 0 <= version_minor <= 9. Next: write_field() per field, then
/// write_end().
template <output_buffer B>
std::error_code write_request_line(B& buf, std::string_view method, std::string_view target,
                                   int version_minor = 1) {
  if (!is_token(method)) return error::invalid_method;
  if (!detail::is_request_target(target)) return error::invalid_target;
  if (version_minor < 0 || version_minor > 9) return error::invalid_version;
  char version[] = "HTTP/1.1\r\n";
  version[7] = static_cast<char>('0' + version_minor);
  detail::append_all(buf, {method, " ", target, " ", std::string_view(version, 10)});
  return {};
}

/// Appends `HTTP/1.<minor> SP status SP reason CRLF` (RFC 9112 §4). The reason may be empty
/// (the SP before it is still written). Errors (nothing appended): invalid_status unless
/// 100 <= status <= 999, invalid_reason if `reason` holds a control other than HTAB,
/// invalid_version unless 0 <= version_minor <= 9. Next: write_field()s, then write_end().
template <output_buffer B>
std::error_code write_status_line(B& buf, int status, std::string_view reason,
                                  int version_minor = 1) {
  if (status < 100 || status > 999) return error::invalid_status;
  // RFC 9112 §4: reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ).
  if (detail::find_not(reason, 0, detail::cc_field) != reason.size()) return error::invalid_reason;
  if (version_minor < 0 || version_minor > 9) return error::invalid_version;
  char line[] = "HTTP/1.1 000 ";
  line[7] = static_cast<char>('0' + version_minor);
  line[9] = static_cast<char>('0' + status / 100);
  line[10] = static_cast<char>('0' + status / 10 % 10);
  line[11] = static_cast<char>('0' + status % 10);
  detail::append_all(buf, {std::string_view(line, 13), reason, "\r\n"});
  return {};
}

/// write_status_line() with the standard reason_phrase(status) (empty for an unknown code).
template <output_buffer B>
std::error_code write_status_line(B& buf, int status) {
  return write_status_line(buf, status, reason_phrase(status));
}

/// Appends `name: value CRLF` (RFC 9112 §5). Errors (nothing appended): invalid_field_name if
/// `name` is not a token (RFC 9110 §5.1); invalid_field_value if `value` holds CR, LF, NUL or
/// any control other than HTAB, or starts or ends with SP/HTAB (RFC 9110 §5.5).
template <output_buffer B>
std::error_code write_field(B& buf, std::string_view name, std::string_view value) {
  if (!is_token(name)) return error::invalid_field_name;
  if (!is_field_value(value)) return error::invalid_field_value;
  detail::append_all(buf, {name, ": ", value, "\r\n"});
  return {};
}

/// Appends the empty line (CRLF) that ends the head (RFC 9112 §2.1). Cannot fail.
template <output_buffer B>
void write_end(B& buf) {
  rtwire::detail::append(buf, "\r\n");
}

namespace detail {

/// Every field of `headers` is writable (see write_field()).
inline std::error_code check_fields(const header_list& headers) noexcept {
  for (const header_field& f : headers.all()) {
    if (!is_token(f.name)) return error::invalid_field_name;
    if (!is_field_value(f.value)) return error::invalid_field_value;
  }
  return {};
}

template <output_buffer B>
void append_fields_and_end(B& buf, const header_list& headers) {
  for (const header_field& f : headers.all())
    append_all(buf, {f.name, ": ", f.value, "\r\n"});
  write_end(buf);
}

}  // namespace detail

namespace detail {

/// The bytes `fields` take as field lines, or error::invalid_field_name/_value for the first
/// field that is not writable (RFC 9110 §5.1, §5.5: a name is a token; a value holds no CR, LF,
/// NUL or other control, so no caller-supplied text can end a line early and inject a field).
inline std::error_code measure_fields(std::span<const header_field> fields, std::size_t& size,
                                      bool validate = true) noexcept {
  for (const header_field& f : fields) {
    if (validate && !is_token(f.name)) return error::invalid_field_name;
    if (validate && !is_field_value(f.value)) return error::invalid_field_value;
    size += f.name.size() + 2 + f.value.size() + 2;
  }
  return {};
}

inline char* put(char* p, std::string_view s) noexcept {
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

inline char* put_fields(char* p, std::span<const header_field> fields) noexcept {
  for (const header_field& f : fields) {
    p = put(p, f.name);
    p = put(p, ": ");
    p = put(p, f.value);
    p = put(p, "\r\n");
  }
  return p;
}

/// Writes a validated head of `size` bytes in one allocation: the start line's `parts`, the
/// field lines of `fields` and `more`, the empty line.
template <output_buffer B, std::size_t N>
void put_head(B& buf, std::size_t size, const std::string_view (&parts)[N],
              std::span<const header_field> fields, std::span<const header_field> more) {
  char* p = reinterpret_cast<char*>(rtwire::detail::grow(buf, size));
  for (const std::string_view part : parts)
    p = put(p, part);
  p = put_fields(p, fields);
  p = put_fields(p, more);
  put(p, "\r\n");
}

/// write_response_head() for rtwire's own codecs, whose `fields` are constants or values they
/// have already validated (the WebSocket 101: a computed accept key, an offered subprotocol
/// token): with `fields_checked` only `more`, the application's fields, is validated again.
/// Validating the known fields cost a fifth of a whole server handshake.
template <output_buffer B>
std::error_code write_response_head(B& buf, int status, std::span<const header_field> fields,
                                    std::span<const header_field> more, bool fields_checked) {
  if (status < 100 || status > 999) return error::invalid_status;
  const std::string_view reason = reason_phrase(status);
  std::size_t size = 13 + reason.size() + 2 + 2;
  if (auto ec = detail::measure_fields(fields, size, !fields_checked)) return ec;
  if (auto ec = detail::measure_fields(more, size)) return ec;
  char line[] = "HTTP/1.1 000 ";
  line[9] = static_cast<char>('0' + status / 100);
  line[10] = static_cast<char>('0' + status / 10 % 10);
  line[11] = static_cast<char>('0' + status % 10);
  detail::put_head(buf, size, {std::string_view(line, 13), reason, "\r\n"}, fields, more);
  return {};
}

}  // namespace detail

/// Appends a whole HTTP/1.1 response head with one allocation: `HTTP/1.1 <status>
/// <reason_phrase(status)>`, the field lines of `fields` and then of `more` in order, and the
/// empty line. This is how rtwire writes every response head (the WebSocket 101/4xx answers,
/// the SSE stream head); `more` is for the caller's extra fields (CORS, cookies).
/// Errors (nothing appended): invalid_status unless 100 <= status <= 999; invalid_field_name /
/// invalid_field_value for a field that is not writable (see write_field(): CR/LF injection is
/// impossible).
template <output_buffer B>
std::error_code write_response_head(B& buf, int status, std::span<const header_field> fields,
                                    std::span<const header_field> more = {}) {
  return detail::write_response_head(buf, status, fields, more, /*fields_checked=*/false);
}

/// Appends a whole HTTP/1.1 request head with one allocation: `<method> <target> HTTP/1.1`, the
/// field lines of `fields` and then of `more` in order, and the empty line.
/// Errors (nothing appended): invalid_method, invalid_target (see write_request_line()),
/// invalid_field_name / invalid_field_value (see write_field()).
template <output_buffer B>
std::error_code write_request_head(B& buf, std::string_view method, std::string_view target,
                                   std::span<const header_field> fields,
                                   std::span<const header_field> more = {}) {
  if (!is_token(method)) return error::invalid_method;
  if (!detail::is_request_target(target)) return error::invalid_target;
  std::size_t size = method.size() + 1 + target.size() + 11 + 2;
  if (auto ec = detail::measure_fields(fields, size)) return ec;
  if (auto ec = detail::measure_fields(more, size)) return ec;
  detail::put_head(buf, size, {method, " ", target, " HTTP/1.1\r\n"}, fields, more);
  return {};
}

/// Appends a whole request head: request line, every field in order, final CRLF. Validates all
/// of it first (the errors of write_request_line() and write_field(); invalid_version unless the
/// version is 1.0..1.9) and appends nothing on error.
template <output_buffer B>
std::error_code write_request_head(B& buf, const request_head& head) {
  if (head.version_major != 1) return error::invalid_version;
  if (auto ec = detail::check_fields(head.headers)) return ec;
  if (auto ec = write_request_line(buf, head.method, head.target, head.version_minor)) return ec;
  detail::append_fields_and_end(buf, head.headers);
  return {};
}

/// Appends a whole response head: status line (head.reason as given, even if empty), every
/// field in order, final CRLF. Validates all of it first (the errors of write_status_line() and
/// write_field(); invalid_version unless the version is 1.0..1.9) and appends nothing on error.
template <output_buffer B>
std::error_code write_response_head(B& buf, const response_head& head) {
  if (head.version_major != 1) return error::invalid_version;
  if (auto ec = detail::check_fields(head.headers)) return ec;
  if (auto ec = write_status_line(buf, head.status, head.reason, head.version_minor)) return ec;
  detail::append_fields_and_end(buf, head.headers);
  return {};
}

}  // namespace rtwire::http1
