// libFuzzer target: the text form of shares (crypto/share_text.hpp), as read
// back by SQL smpc_reconstruct().
//
// Properties checked for every input:
//   1. parse_share() returns a share or throws SharingError; any other
//      exception escapes and libFuzzer reports it as a crash.
//   2. A parsed share formats back to exactly the input: every share has one
//      text form.
//   3. reconstruct_value() on the input split at '\n' returns a value or
//      throws SharingError or RangeError.
//   4. When it returns a value, sharing that value again with the same
//      scheme, n, t and scale and reconstructing gives the same value and
//      scale.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/field.hpp"
#include "crypto/share_text.hpp"
#include "crypto/sharing.hpp"
#include "fuzz_check.hpp"
#include "test_random.hpp"

namespace smpc::fuzz {
namespace {

using crypto::i128;
using crypto::TextShare;

// The input's lines; a trailing '\n' yields a last, empty line.
std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  for (;;) {
    const std::size_t nl = text.find('\n');
    lines.emplace_back(text.substr(0, nl));
    if (nl == std::string_view::npos) return lines;
    text.remove_prefix(nl + 1);
  }
}

// Properties 1 and 2.
void check_single(std::string_view text) {
  TextShare s;
  try {
    s = crypto::parse_share(text);
  } catch (const crypto::SharingError&) {
    return;
  }
  check(crypto::format_share(s) == text, "format_share(parse_share(text)) != text");
}

// Properties 3 and 4.
void check_reconstruct(std::string_view text) {
  const std::vector<std::string> lines = split_lines(text);
  i128 value = 0;
  std::uint32_t scale = 0;
  try {
    value = crypto::reconstruct_value(lines, &scale);
  } catch (const crypto::SharingError&) {
    return;
  } catch (const crypto::RangeError&) {
    return;
  }

  // reconstruct_value succeeded, so every line parses and all agree.
  const TextShare first = crypto::parse_share(lines.front());
  const std::uint32_t threshold = first.scheme == 'a' ? 0 : first.t;
  test::DeterministicRandom rng(0x5eed);
  const std::vector<std::string> again = crypto::share_value(value, scale, first.n, threshold, rng);
  check(again.size() == first.n, "share_value returned the wrong number of shares");
  std::uint32_t scale_again = 0;
  check(crypto::reconstruct_value(again, &scale_again) == value, "reconstruct(share(v)) != v");
  check(scale_again == scale, "reconstruct(share(v)) changed the scale");
}

}  // namespace
}  // namespace smpc::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  smpc::fuzz::check_single(text);
  smpc::fuzz::check_reconstruct(text);
  return 0;
}
