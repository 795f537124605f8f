// rtwire — TURN long-term credentials: static users and the TURN REST API's time-limited ones
// (draft-uberti-behave-turn-rest-00 §2.2, as coturn's --static-auth-secret implements it).
//
//   rtwire::turn::credential_store store;
//   store.add_user("alice", "secret-password");
//   store.set_rest_secret("shared-secret");
//   // on turn::need_credentials{user, realm, token} from the server:
//   std::optional<rtwire::stun::key> k = store.lookup(user, realm, unix_seconds_now);
//   use(k.has_value());
//
// REST API: the username is `expiry[:user]` with expiry a Unix time in seconds, and the password
// is base64(HMAC-SHA1(secret, username)); the web service that knows the secret hands both to a
// browser. lookup() refuses an expired username. A static user wins over the REST rule for the
// same username; either authenticates. The key is the RFC 8489 §9.2.2 long-term MD5 key.
#pragma once

#include <charconv>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "rtwire/core/base64.hpp"
#include "rtwire/core/bytes.hpp"
#include "rtwire/core/hmac.hpp"
#include "rtwire/stun/integrity.hpp"

namespace rtwire::turn {

/// The REST API password for `username`: base64(HMAC-SHA1(secret, username)), 28 characters.
inline std::string rest_password(std::string_view secret, std::string_view username) {
  const sha1::digest d = hmac<hmac_sha1>(as_bytes(secret), as_bytes(username));
  std::string out(base64::encoded_size(d.size()), '\0');
  base64::encode(std::as_bytes(std::span(d)), out.data());
  return out;
}

/// The expiry (Unix seconds) at the start of a REST API username, or nullopt when it does not
/// start with decimal digits followed by ':' or the end.
inline std::optional<std::uint64_t> rest_expiry(std::string_view username) noexcept {
  const std::string_view digits = username.substr(0, username.find(':'));
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size())
    return std::nullopt;
  return v;
}

/// The REST API username for `user` valid until `expiry` (Unix seconds).
inline std::string rest_username(std::uint64_t expiry, std::string_view user) {
  std::string s = std::to_string(expiry);
  if (!user.empty()) {
    s += ':';
    s += user;
  }
  return s;
}

class credential_store {
 public:
  void add_user(std::string user, std::string password) {
    users_[std::move(user)] = std::move(password);
  }
  void set_rest_secret(std::string secret) { rest_secret_ = std::move(secret); }
  bool empty() const noexcept { return users_.empty() && !rest_secret_; }

  /// The password of `username` at `unix_now`, or nullopt (unknown user, expired REST name).
  std::optional<std::string> password(std::string_view username, std::uint64_t unix_now) const {
    if (auto it = users_.find(username); it != users_.end()) return it->second;
    if (!rest_secret_) return std::nullopt;
    const auto expiry = rest_expiry(username);
    if (!expiry || *expiry < unix_now) return std::nullopt;
    return rest_password(*rest_secret_, username);
  }

  /// The long-term key (RFC 8489 §9.2.2, MD5) of `username` in `realm`, or nullopt.
  std::optional<stun::key> lookup(std::string_view username, std::string_view realm,
                                  std::uint64_t unix_now) const {
    const auto p = password(username, unix_now);
    if (!p) return std::nullopt;
    return stun::key::long_term(username, realm, *p);
  }

 private:
  std::map<std::string, std::string, std::less<>> users_;
  std::optional<std::string> rest_secret_;
};

}  // namespace rtwire::turn
