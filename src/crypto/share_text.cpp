// Text form of a share: smpc1:<scheme>:<n>:<t>:<x>:<scale>:<32 hex digits>.
//
// The parser is strict and is a fuzzing target: every field has exactly one
// accepted spelling (decimal without sign or leading zeros, lower-case hex),
// so a share has exactly one text form. Error messages never contain share
// values.
#include "crypto/share_text.hpp"

#include <string>

#include "crypto/sharing.hpp"
#include "crypto/wipe.hpp"

namespace smpc::crypto {

namespace {

constexpr std::string_view kPrefix = "smpc1";
constexpr std::size_t kHexDigits = 2 * Fp::kBytes;

[[noreturn]] void malformed(const std::string& why) {
  throw SharingError("malformed share: " + why);
}

// Splits off the text up to the next ':' (or the rest when there is none).
std::string_view next_field(std::string_view* rest, bool* had_colon) {
  const std::size_t colon = rest->find(':');
  std::string_view field = rest->substr(0, colon);
  *had_colon = colon != std::string_view::npos;
  rest->remove_prefix(*had_colon ? colon + 1 : rest->size());
  return field;
}

// Canonical unsigned decimal ("0" or no leading zero), at most `max`.
std::uint32_t parse_number(std::string_view field, const char* what, std::uint32_t max) {
  if (field.empty()) malformed(std::string(what) + " is empty");
  if (field.size() > 1 && field[0] == '0') {
    malformed(std::string(what) + " has a leading zero");
  }
  if (field.size() > 10) malformed(std::string(what) + " is out of range");
  std::uint64_t v = 0;
  for (char c : field) {
    if (c < '0' || c > '9') malformed(std::string(what) + " is not a decimal number");
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v > max) malformed(std::string(what) + " is out of range");
  return static_cast<std::uint32_t>(v);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

void check_parameters(std::uint32_t n, std::uint32_t scale) {
  if (n < 2 || n > kMaxTextParties) {
    throw SharingError("number of parties must be between 2 and " +
                       std::to_string(kMaxTextParties) + ", got " + std::to_string(n));
  }
  if (scale > kMaxTextScale) {
    throw SharingError("scale must be at most " + std::to_string(kMaxTextScale) + ", got " +
                       std::to_string(scale));
  }
}

// Throws unless more than t Shamir shares lie on one polynomial, naming
// the odd one out (by its position among `points`) when that can be told.
void check_consistent(const std::vector<ShamirShare>& points, std::uint32_t t) {
  if (shamir_consistent(points, t)) return;
  const std::optional<std::size_t> odd = shamir_culprit(points, t);
  const std::string degree = std::to_string(t - 1);
  if (odd) {
    throw SharingError("share " + std::to_string(*odd + 1) + " (index " +
                       std::to_string(points[*odd].x) + ") does not fit the other " +
                       std::to_string(points.size() - 1) +
                       " shares, which lie on one polynomial of degree " + degree);
  }
  throw SharingError("the " + std::to_string(points.size()) +
                     " shares do not lie on one polynomial of degree " + degree +
                     ", and which of them is wrong cannot be told");
}

}  // namespace

std::string format_share(const TextShare& s) {
  std::uint8_t bytes[Fp::kBytes];
  const ScopedWipe wipe_bytes(bytes, sizeof bytes);
  s.y.to_bytes(bytes);
  std::string out;
  out.reserve(96);  // the longest share: never reallocated (and copied) while built
  out += kPrefix;
  out += ':';
  out += s.scheme;
  for (std::uint32_t v : {s.n, s.t, s.x, s.scale}) {
    out += ':';
    out += std::to_string(v);
  }
  out += ':';
  static constexpr char kDigits[] = "0123456789abcdef";
  for (std::uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0x0f];
  }
  return out;
}

TextShare parse_share(std::string_view text) {
  std::string_view rest = text;
  bool colon = false;
  if (next_field(&rest, &colon) != kPrefix || !colon) {
    malformed("it does not start with \"smpc1:\"");
  }

  TextShare s;
  const std::string_view scheme = next_field(&rest, &colon);
  if (scheme.size() != 1 || (scheme[0] != 'a' && scheme[0] != 's')) {
    malformed("unknown scheme (expected 'a' or 's')");
  }
  s.scheme = scheme[0];

  struct Field {
    const char* what;
    std::uint32_t* out;
    std::uint32_t max;
  };
  const Field numbers[] = {{"number of parties", &s.n, kMaxTextParties},
                           {"threshold", &s.t, kMaxTextParties},
                           {"share index", &s.x, kMaxTextParties},
                           {"scale", &s.scale, kMaxTextScale}};
  for (const Field& f : numbers) {
    if (!colon) malformed("too few fields");
    *f.out = parse_number(next_field(&rest, &colon), f.what, f.max);
  }
  if (!colon) malformed("too few fields");
  const std::string_view hex = next_field(&rest, &colon);
  if (colon) malformed("too many fields");

  if (s.n < 2) malformed("number of parties must be at least 2");
  if (s.scheme == 'a' && s.t != s.n)
    malformed("additive share threshold must equal the number of parties");
  if (s.scheme == 's' && (s.t < 2 || s.t > s.n)) {
    // (Threshold 1 is not sharing: every share would be the value.)
    malformed("threshold must be between 2 and the number of parties");
  }
  if (s.x < 1 || s.x > s.n) malformed("share index must be between 1 and the number of parties");

  if (hex.size() != kHexDigits) {
    malformed("value must be " + std::to_string(kHexDigits) + " lower-case hex digits");
  }
  std::uint8_t bytes[Fp::kBytes];
  const ScopedWipe wipe_bytes(bytes, sizeof bytes);
  for (std::size_t i = 0; i < Fp::kBytes; ++i) {
    const int hi = hex_value(hex[2 * i]);
    const int lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      malformed("value must be " + std::to_string(kHexDigits) + " lower-case hex digits");
    }
    bytes[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  try {
    s.y = Fp::from_bytes(bytes);
  } catch (const RangeError&) {
    malformed("value is not a field element");
  }
  return s;
}

std::vector<std::string> share_value(i128 scaled_value, std::uint32_t scale, std::uint32_t n,
                                     std::uint32_t threshold, RandomSource& rng) {
  check_parameters(n, scale);
  if (threshold > n) {
    throw SharingError("threshold " + std::to_string(threshold) +
                       " exceeds the number of parties " + std::to_string(n));
  }
  if (threshold == 1) {
    throw SharingError("threshold must be at least 2: with threshold 1 every share is the value");
  }
  const Fp secret = Fp::from_signed(scaled_value);

  std::vector<std::string> out;
  out.reserve(n);
  TextShare s;
  const ScopedWipe wipe_s(&s, sizeof s);
  s.n = n;
  s.scale = scale;
  if (threshold == 0) {
    s.scheme = 'a';
    s.t = n;
    std::vector<Fp> ys = additive_split(secret, n, rng);
    const ScopedWipe wipe_ys(ys.data(), ys.size() * sizeof(Fp));
    for (std::uint32_t i = 0; i < n; ++i) {
      s.x = i + 1;
      s.y = ys[i];
      out.push_back(format_share(s));
    }
  } else {
    s.scheme = 's';
    s.t = threshold;
    std::vector<ShamirShare> shares = shamir_split(secret, n, threshold, rng);
    const ScopedWipe wipe_shares(shares.data(), shares.size() * sizeof(ShamirShare));
    for (const ShamirShare& sh : shares) {
      s.x = sh.x;
      s.y = sh.y;
      out.push_back(format_share(s));
    }
  }
  return out;
}

i128 reconstruct_value(const std::vector<std::string>& shares, std::uint32_t* scale) {
  if (shares.empty()) throw SharingError("no shares given");
  SecretVector<TextShare> parsed;
  parsed.reserve(shares.size());
  for (const std::string& text : shares) parsed.push_back(parse_share(text));

  const TextShare& first = parsed.front();
  std::vector<bool> seen(first.n + 1, false);
  for (const TextShare& s : parsed) {
    if (s.scheme != first.scheme) throw SharingError("shares disagree on the sharing scheme");
    if (s.n != first.n) throw SharingError("shares disagree on the number of parties");
    if (s.t != first.t) throw SharingError("shares disagree on the threshold");
    if (s.scale != first.scale) throw SharingError("shares disagree on the scale");
    if (seen[s.x]) throw SharingError("duplicate share index " + std::to_string(s.x));
    seen[s.x] = true;
  }

  Fp secret;
  if (first.scheme == 'a') {
    if (parsed.size() != first.n) {
      throw SharingError("additive shares need all " + std::to_string(first.n) + " shares, got " +
                         std::to_string(parsed.size()));
    }
    for (const TextShare& s : parsed) secret += s.y;
  } else {
    if (parsed.size() < first.t) {
      throw SharingError("shamir shares need at least " + std::to_string(first.t) + " of " +
                         std::to_string(first.n) + " shares, got " + std::to_string(parsed.size()));
    }
    std::vector<ShamirShare> points;
    points.reserve(parsed.size());
    for (const TextShare& s : parsed) points.push_back(ShamirShare{s.x, s.y});
    const ScopedWipe wipe_points(points.data(), points.size() * sizeof(ShamirShare));
    check_consistent(points, first.t);
    secret = shamir_reconstruct(points);
  }
  if (scale != nullptr) *scale = first.scale;
  return secret.to_signed();
}

}  // namespace smpc::crypto
