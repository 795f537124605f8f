// STUN (RFC 8489) on the RFC 5769 §2.1 sample request (108 bytes: SOFTWARE, PRIORITY,
// ICE-CONTROLLED, USERNAME, MESSAGE-INTEGRITY, FINGERPRINT), with the floors measured in the
// same binary:
//
//  - stun_parse: parse() only (header, six attributes, every known attribute's shape checked).
//  - stun_parse_fingerprint: + FINGERPRINT (CRC-32 over 100 bytes).
//  - stun_parse_integrity_fingerprint: + MESSAGE-INTEGRITY (HMAC-SHA1 over 84 bytes, key states
//    precomputed once) — what a responder does per check.
//  - stun_integrity_sha1: verify_integrity_sha1() alone on a parsed view.
//  - stun_build_seal: a Binding success (XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY, FINGERPRINT)
//    written and sealed into a stack buffer.
//  - stun_binding_respond: binding_responder::respond() on a plain Binding request.
//  - floors: openssl_hmac_sha1_reinit (EVP_MAC re-initialised with the same key: OpenSSL keeps
//    the padded-key states), openssl_hmac_sha1_dup (EVP_MAC_CTX_dup of a keyed context), both
//    over the same 84 bytes; rtwire_hmac_sha1 over them; zlib_crc32 and rtwire_crc32 over the
//    100 bytes FINGERPRINT covers.
//
// Run: rtwire_bench_stun --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <rtwire/core/crc32.hpp>
#include <rtwire/core/hmac.hpp>
#include <rtwire/stun.hpp>

#include <benchmark/benchmark.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#if defined(RTWIRE_BENCH_HAVE_OPENSSL)
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#endif
#if defined(RTWIRE_BENCH_HAVE_ZLIB)
#include <zlib.h>
#endif

namespace {

namespace stun = rtwire::stun;

constexpr std::string_view password = "VOkJxbRl1RmTxUk/WvJxBt";

const std::string& request() {
  static const std::string bytes = [] {
    static constexpr unsigned char r[] = {
        0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
        0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e,
        0x20, 0x74, 0x65, 0x73, 0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24,
        0x00, 0x04, 0x6e, 0x00, 0x01, 0xff, 0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1,
        0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68,
        0x36, 0x76, 0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c,
        0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49, 0xc1, 0xb5,
        0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf};
    return std::string(reinterpret_cast<const char*>(r), sizeof r);
  }();
  return bytes;
}

rtwire::bytes_view request_view() {
  return rtwire::as_bytes(std::string_view(request()));
}

/// The 84 bytes MESSAGE-INTEGRITY covers (header + 64 bytes of attributes before it).
constexpr std::size_t mi_covered = 84;
/// The 100 bytes FINGERPRINT covers.
constexpr std::size_t fp_covered = 100;

void stun_parse(benchmark::State& state) {
  const auto in = request_view();
  for (auto _ : state) {
    auto r = stun::parse(in);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(in.size()));
}
BENCHMARK(stun_parse);

void stun_parse_fingerprint(benchmark::State& state) {
  const auto in = request_view();
  for (auto _ : state) {
    const auto r = stun::parse(in);
    const bool ok = r && stun::verify_fingerprint(r.value) == stun::check::ok;
    benchmark::DoNotOptimize(ok);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(stun_parse_fingerprint);

void stun_parse_integrity_fingerprint(benchmark::State& state) {
  const auto in = request_view();
  const auto k = stun::key::short_term(password);
  for (auto _ : state) {
    const auto r = stun::parse(in);
    const bool ok = r && stun::verify_integrity(r.value, k) == stun::check::ok &&
                    stun::verify_fingerprint(r.value) == stun::check::ok;
    benchmark::DoNotOptimize(ok);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(stun_parse_integrity_fingerprint);

void stun_integrity_sha1(benchmark::State& state) {
  const auto r = stun::parse(request_view());
  const auto k = stun::key::short_term(password);
  for (auto _ : state) {
    const auto c = stun::verify_integrity_sha1(r.value, k);
    benchmark::DoNotOptimize(c);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(stun_integrity_sha1);

void stun_build_seal(benchmark::State& state) {
  const auto k = stun::key::short_term(password);
  const auto r = stun::parse(request_view());
  const auto source = stun::address::v4(192, 0, 2, 1, 32853);
  std::array<std::byte, 128> buf;
  for (auto _ : state) {
    stun::writer w(buf,
                   stun::message_type(stun::message_class::success_response, stun::method::binding),
                   r.value.transaction_id());
    w.add_xor_address(stun::attr::xor_mapped_address, source);
    const auto n = w.seal(&k, true);
    benchmark::DoNotOptimize(n);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(stun_build_seal);

void stun_binding_respond(benchmark::State& state) {
  static constexpr unsigned char req[] = {
      0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
      0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x28, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00};
  std::array<std::byte, sizeof req> in;
  std::memcpy(in.data(), req, sizeof req);
  // Put the right FINGERPRINT in.
  const std::uint32_t fp = stun::fingerprint_of(rtwire::bytes_view(in.data(), 24));
  for (int i = 0; i < 4; ++i)
    in[24 + static_cast<std::size_t>(i)] = static_cast<std::byte>(fp >> (24 - 8 * i));
  stun::binding_responder responder;
  const auto source = stun::address::v4(192, 0, 2, 1, 32853);
  std::array<std::byte, 576> out;
  for (auto _ : state) {
    const std::size_t n = responder.respond(in, source, out);
    benchmark::DoNotOptimize(n);
    benchmark::ClobberMemory();
  }
  if (responder.counters().success != static_cast<std::uint64_t>(state.iterations()))
    state.SkipWithError("the request was not answered");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(stun_binding_respond);

// ------------------------------------------------------------------------------------------------
// Floors: HMAC-SHA1 and CRC-32 over the same bytes.
// ------------------------------------------------------------------------------------------------

void rtwire_hmac_sha1(benchmark::State& state) {
  const rtwire::hmac_key<rtwire::hmac_sha1> k(password);
  const auto in = request_view().first(mi_covered);
  for (auto _ : state) {
    const auto d = k.mac(in);
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(rtwire_hmac_sha1);

#if defined(RTWIRE_BENCH_HAVE_OPENSSL)
struct openssl_hmac {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  openssl_hmac() {
    char digest[] = "SHA1";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_construct_end()};
    EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(password.data()), password.size(),
                 params);
  }
  ~openssl_hmac() {
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
  }
  openssl_hmac(const openssl_hmac&) = delete;
  openssl_hmac& operator=(const openssl_hmac&) = delete;
};

void openssl_hmac_sha1_reinit(benchmark::State& state) {
  openssl_hmac h;
  const auto* in = reinterpret_cast<const unsigned char*>(request().data());
  unsigned char out[EVP_MAX_MD_SIZE];
  for (auto _ : state) {
    std::size_t len = 0;
    // A null key keeps the key: OpenSSL restores its saved inner/outer states.
    EVP_MAC_init(h.ctx, nullptr, 0, nullptr);
    EVP_MAC_update(h.ctx, in, mi_covered);
    EVP_MAC_final(h.ctx, out, &len, sizeof out);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(openssl_hmac_sha1_reinit);

void openssl_hmac_sha1_dup(benchmark::State& state) {
  openssl_hmac h;
  const auto* in = reinterpret_cast<const unsigned char*>(request().data());
  unsigned char out[EVP_MAX_MD_SIZE];
  for (auto _ : state) {
    std::size_t len = 0;
    EVP_MAC_CTX* c = EVP_MAC_CTX_dup(h.ctx);
    EVP_MAC_update(c, in, mi_covered);
    EVP_MAC_final(c, out, &len, sizeof out);
    EVP_MAC_CTX_free(c);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(openssl_hmac_sha1_dup);
#endif

void rtwire_crc32(benchmark::State& state) {
  const auto in = request_view().first(fp_covered);
  for (auto _ : state) {
    const std::uint32_t c = rtwire::crc32::compute(in);
    benchmark::DoNotOptimize(c);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(fp_covered));
}
BENCHMARK(rtwire_crc32);

#if defined(RTWIRE_BENCH_HAVE_ZLIB)
void zlib_crc32(benchmark::State& state) {
  const auto* in = reinterpret_cast<const Bytef*>(request().data());
  for (auto _ : state) {
    const uLong c = crc32(0, in, static_cast<uInt>(fp_covered));
    benchmark::DoNotOptimize(c);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(fp_covered));
}
BENCHMARK(zlib_crc32);
#endif

}  // namespace
