// Test helper: reads the recorded SDP fixtures next to this file (tests/sdp/fixtures/).
#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace rtwire_test {

inline std::filesystem::path sdp_fixture_dir() {
  return std::filesystem::path(__FILE__).parent_path() / "fixtures";
}

/// The bytes of tests/sdp/fixtures/<name>, exactly; empty when the file is missing (tests
/// REQUIRE a non-empty result so that a missing fixture fails).
inline std::string read_sdp_fixture(const std::string& name) {
  std::ifstream in(sdp_fixture_dir() / name, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace rtwire_test
