// Sec-WebSocket-Accept (RFC 6455 §4.2.2), SHA-1 and base64: rtwire against OpenSSL, Boost.Beast
// and websocketpp, in one binary.
//
//  - accept_key_*: one accept value per item from 64 different valid 24-character keys, cycled.
//    rtwire writes into a caller buffer (and, as `_string`, returns a std::string like the peers
//    that allocate); OpenSSL is SHA1() over key + GUID, then EVP_EncodeBlock; Beast is
//    make_sec_ws_accept; websocketpp is its hybi13 processor's sha1::calc + base64_encode.
//  - sha1_*: bytes/s on 64 B, 1 KiB and 1 MiB, rtwire dispatched (SHA-NI where the CPU has it)
//    and forced to the portable path, OpenSSL SHA1(), websocketpp sha1::calc.
//  - base64_encode_* / base64_decode_*: bytes/s of input on 20 B (a digest), 1 KiB and 64 KiB,
//    rtwire vs OpenSSL EVP_EncodeBlock / EVP_DecodeBlock vs Beast's detail::base64.
//
// Run: rtwire_bench_accept_key --benchmark_min_time=0.2
#include <rtwire/core/base64.hpp>
#include <rtwire/core/sha1.hpp>
#include <rtwire/detail/cpu.hpp>
#include <rtwire/ws/accept_key.hpp>

#include <benchmark/benchmark.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "peers/peers.hpp"

#if defined(RTWIRE_BENCH_HAVE_OPENSSL)
#include <openssl/evp.h>
#include <openssl/sha.h>
#endif

#if defined(RTWIRE_BENCH_HAVE_BEAST)
#include <boost/beast/core/detail/base64.hpp>
#include <boost/beast/websocket/detail/hybi13.hpp>
#endif

namespace {

constexpr std::size_t key_count = 64;

/// 64 valid Sec-WebSocket-Key values (base64 of 16 bytes each, from a fixed pattern).
const std::array<std::string, key_count>& keys() {
  static const std::array<std::string, key_count> k = [] {
    std::array<std::string, key_count> out;
    for (std::size_t i = 0; i < key_count; ++i) {
      std::array<std::byte, 16> nonce;
      for (std::size_t j = 0; j < nonce.size(); ++j) {
        nonce[j] = static_cast<std::byte>(i * 16 + j * 151 + 7);
      }
      rtwire::base64::encode_append(nonce, out[i]);
    }
    return out;
  }();
  return k;
}

std::vector<std::byte> pattern_bytes(std::size_t n) {
  std::vector<std::byte> v(n);
  for (std::size_t i = 0; i < n; ++i)
    v[i] = static_cast<std::byte>(i * 167 + 13);
  return v;
}

/// Restricts rtwire to its portable code for the lifetime of the object.
class portable_only {
 public:
  portable_only() noexcept { rtwire::detail::cpu_features_override(0); }
  ~portable_only() { rtwire::detail::cpu_features_override(rtwire::detail::all_features); }
  portable_only(const portable_only&) = delete;
  portable_only& operator=(const portable_only&) = delete;
};

// ------------------------------------------------------------------------------------------------
// Sec-WebSocket-Accept
// ------------------------------------------------------------------------------------------------

template <class Compute>
void run_accept(benchmark::State& state, Compute compute) {
  const auto& k = keys();
  std::size_t i = 0;
  for (auto _ : state) {
    compute(std::string_view(k[i++ % key_count]));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void accept_key_rtwire(benchmark::State& state) {
  run_accept(state, [](std::string_view key) {
    char out[rtwire::ws::accept_key_size];
    rtwire::ws::compute_accept_key(key, out);
    benchmark::DoNotOptimize(out);
  });
}
BENCHMARK(accept_key_rtwire);

void accept_key_rtwire_portable(benchmark::State& state) {
  const portable_only forced;
  accept_key_rtwire(state);
}
BENCHMARK(accept_key_rtwire_portable);

void accept_key_rtwire_string(benchmark::State& state) {
  run_accept(state, [](std::string_view key) {
    std::string s = rtwire::ws::accept_key(key);
    benchmark::DoNotOptimize(s.data());
  });
}
BENCHMARK(accept_key_rtwire_string);

#if defined(RTWIRE_BENCH_HAVE_OPENSSL)
void accept_key_openssl(benchmark::State& state) {
  run_accept(state, [](std::string_view key) {
    constexpr std::string_view guid = rtwire::ws::websocket_guid;
    unsigned char message[128];
    std::memcpy(message, key.data(), key.size());
    std::memcpy(message + key.size(), guid.data(), guid.size());
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(message, key.size() + guid.size(), digest);
    unsigned char out[rtwire::ws::accept_key_size + 1];  // EVP_EncodeBlock adds a NUL
    EVP_EncodeBlock(out, digest, SHA_DIGEST_LENGTH);
    benchmark::DoNotOptimize(out);
  });
}
BENCHMARK(accept_key_openssl);
#endif

#if defined(RTWIRE_BENCH_HAVE_BEAST)
void accept_key_beast(benchmark::State& state) {
  run_accept(state, [](std::string_view key) {
    boost::beast::websocket::detail::sec_ws_accept_type accept;
    boost::beast::websocket::detail::make_sec_ws_accept(
        accept, boost::beast::string_view(key.data(), key.size()));
    benchmark::DoNotOptimize(accept.data());
  });
}
BENCHMARK(accept_key_beast);
#endif

#if defined(RTWIRE_BENCH_HAVE_WEBSOCKETPP)
void accept_key_websocketpp(benchmark::State& state) {
  run_accept(state, [](std::string_view key) {
    std::string s = rtwire_bench::websocketpp_accept_key(key);
    benchmark::DoNotOptimize(s.data());
  });
}
BENCHMARK(accept_key_websocketpp);
#endif

// ------------------------------------------------------------------------------------------------
// SHA-1 throughput
// ------------------------------------------------------------------------------------------------

void sha1_sizes(benchmark::internal::Benchmark* b) {
  b->Arg(64)->Arg(1024)->Arg(1 << 20);
}

template <class Hash>
void run_sha1(benchmark::State& state, Hash hash) {
  const std::vector<std::byte> data = pattern_bytes(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    benchmark::DoNotOptimize(data.data());
    hash(data);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void sha1_rtwire(benchmark::State& state) {
  run_sha1(state, [](const std::vector<std::byte>& data) {
    rtwire::sha1::digest d = rtwire::sha1::hash(data);
    benchmark::DoNotOptimize(d);
  });
}
BENCHMARK(sha1_rtwire)->Apply(sha1_sizes);

void sha1_rtwire_portable(benchmark::State& state) {
  const portable_only forced;
  sha1_rtwire(state);
}
BENCHMARK(sha1_rtwire_portable)->Apply(sha1_sizes);

#if defined(RTWIRE_BENCH_HAVE_OPENSSL)
void sha1_openssl(benchmark::State& state) {
  run_sha1(state, [](const std::vector<std::byte>& data) {
    unsigned char d[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(data.data()), data.size(), d);
    benchmark::DoNotOptimize(d);
  });
}
BENCHMARK(sha1_openssl)->Apply(sha1_sizes);
#endif

#if defined(RTWIRE_BENCH_HAVE_WEBSOCKETPP)
void sha1_websocketpp(benchmark::State& state) {
  run_sha1(state, [](const std::vector<std::byte>& data) {
    unsigned char d[20];
    rtwire_bench::websocketpp_sha1(data.data(), data.size(), d);
    benchmark::DoNotOptimize(d);
  });
}
BENCHMARK(sha1_websocketpp)->Apply(sha1_sizes);
#endif

// ------------------------------------------------------------------------------------------------
// base64 throughput (bytes of input per second)
// ------------------------------------------------------------------------------------------------

void base64_sizes(benchmark::internal::Benchmark* b) {
  b->Arg(20)->Arg(1024)->Arg(64 * 1024);
}

template <class Encode>
void run_encode(benchmark::State& state, Encode encode) {
  const std::vector<std::byte> data = pattern_bytes(static_cast<std::size_t>(state.range(0)));
  std::vector<char> out(rtwire::base64::encoded_size(data.size()) + 1);
  for (auto _ : state) {
    benchmark::DoNotOptimize(data.data());
    encode(data, out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

template <class Decode>
void run_decode(benchmark::State& state, Decode decode) {
  const std::vector<std::byte> data = pattern_bytes(static_cast<std::size_t>(state.range(0)));
  std::string text;
  rtwire::base64::encode_append(data, text);
  std::vector<std::byte> out(rtwire::base64::max_decoded_size(text.size()) + 3);
  for (auto _ : state) {
    benchmark::DoNotOptimize(text.data());
    const std::size_t n = decode(text, out);
    if (n != data.size()) state.SkipWithError("decoded size mismatch");
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}

void base64_encode_rtwire(benchmark::State& state) {
  run_encode(state,
             [](const std::vector<std::byte>& in, char* out) { rtwire::base64::encode(in, out); });
}
BENCHMARK(base64_encode_rtwire)->Apply(base64_sizes);

void base64_decode_rtwire(benchmark::State& state) {
  run_decode(state, [](const std::string& text, std::vector<std::byte>& out) {
    return rtwire::base64::decode(text, out).size;
  });
}
BENCHMARK(base64_decode_rtwire)->Apply(base64_sizes);

#if defined(RTWIRE_BENCH_HAVE_OPENSSL)
void base64_encode_openssl(benchmark::State& state) {
  run_encode(state, [](const std::vector<std::byte>& in, char* out) {
    EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out),
                    reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  });
}
BENCHMARK(base64_encode_openssl)->Apply(base64_sizes);

void base64_decode_openssl(benchmark::State& state) {
  run_decode(state, [](const std::string& text, std::vector<std::byte>& out) {
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(text.data()),
                                  static_cast<int>(text.size()));
    // EVP_DecodeBlock counts the padding as output; take it back off.
    std::size_t pad = 0;
    if (!text.empty() && text.back() == '=') pad = text[text.size() - 2] == '=' ? 2 : 1;
    return static_cast<std::size_t>(n) - pad;
  });
}
BENCHMARK(base64_decode_openssl)->Apply(base64_sizes);
#endif

#if defined(RTWIRE_BENCH_HAVE_BEAST)
void base64_encode_beast(benchmark::State& state) {
  run_encode(state, [](const std::vector<std::byte>& in, char* out) {
    boost::beast::detail::base64::encode(out, in.data(), in.size());
  });
}
BENCHMARK(base64_encode_beast)->Apply(base64_sizes);

void base64_decode_beast(benchmark::State& state) {
  run_decode(state, [](const std::string& text, std::vector<std::byte>& out) {
    return boost::beast::detail::base64::decode(out.data(), text.data(), text.size()).first;
  });
}
BENCHMARK(base64_decode_beast)->Apply(base64_sizes);
#endif

}  // namespace
