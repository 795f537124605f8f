// Fuzz target: rtwire's SHA-256 (portable and SHA-NI), MD5, HMAC-SHA1/SHA256/MD5 and CRC-32
// against OpenSSL and zlib on the same bytes. The first input byte picks the HMAC key length
// (0..130, so keys shorter than, equal to and longer than a block), the key is the next bytes,
// the message the rest.
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "rtwire/core/crc32.hpp"
#include "rtwire/core/hmac.hpp"
#include "rtwire/core/md5.hpp"
#include "rtwire/core/sha256.hpp"
#include "rtwire/detail/cpu.hpp"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

template <class D>
bool same(const D& ours, const unsigned char* theirs, unsigned len) {
  return len == ours.size() && std::memcmp(ours.data(), theirs, len) == 0;
}

void digests(const std::uint8_t* msg, std::size_t n) {
  const rtwire::bytes_view in(reinterpret_cast<const std::byte*>(msg), n);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_Digest(msg, n, md, &len, EVP_sha256(), nullptr);
  check(same(rtwire::sha256::hash(in), md, len));
  EVP_Digest(msg, n, md, &len, EVP_md5(), nullptr);
  check(same(rtwire::md5::hash(in), md, len));
}

template <class Algo>
void mac(const EVP_MD* md_type, const std::uint8_t* key, std::size_t key_len,
         const std::uint8_t* msg, std::size_t n) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  HMAC(md_type, key, static_cast<int>(key_len), msg, n, md, &len);
  const rtwire::hmac_key<Algo> k(
      rtwire::bytes_view(reinterpret_cast<const std::byte*>(key), key_len));
  check(same(k.mac(rtwire::bytes_view(reinterpret_cast<const std::byte*>(msg), n)), md, len));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::size_t key_len = data[0] % 131u;
  if (key_len > size - 1) key_len = size - 1;
  const std::uint8_t* key = data + 1;
  const std::uint8_t* msg = key + key_len;
  const std::size_t n = size - 1 - key_len;
  namespace cpu = rtwire::detail;
  for (std::uint32_t mask : {std::uint32_t{0}, cpu::all_features}) {
    cpu::cpu_features_override(mask);
    digests(data, size);
    mac<rtwire::hmac_sha1>(EVP_sha1(), key, key_len, msg, n);
    mac<rtwire::hmac_sha256>(EVP_sha256(), key, key_len, msg, n);
    mac<rtwire::hmac_md5>(EVP_md5(), key, key_len, msg, n);
  }
  cpu::cpu_features_override(cpu::all_features);
  const std::uint32_t theirs = static_cast<std::uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(data), static_cast<uInt>(size)));
  check(rtwire::crc32::compute(
            rtwire::bytes_view(reinterpret_cast<const std::byte*>(data), size)) == theirs);
  return 0;
}
