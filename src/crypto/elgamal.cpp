// Exponential ElGamal over ristretto255 through libsodium; the bounded
// search that decrypts a sum is baby-step giant-step over 32-byte
// encodings.
#include "crypto/elgamal.hpp"

#include <sodium.h>

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <unordered_map>
#include <utility>

namespace smpc::crypto::elgamal {

namespace {

bool is_identity(const Element& e) { return sodium_is_zero(e.data(), e.size()) == 1; }

Element add(const Element& a, const Element& b) {
  Element r;
  if (crypto_core_ristretto255_add(r.data(), a.data(), b.data()) != 0) {
    throw std::invalid_argument("not a ristretto255 element");
  }
  return r;
}

Element sub(const Element& a, const Element& b) {
  Element r;
  if (crypto_core_ristretto255_sub(r.data(), a.data(), b.data()) != 0) {
    throw std::invalid_argument("not a ristretto255 element");
  }
  return r;
}

// s · e, where either may give the identity (libsodium refuses that result).
Element mul(const std::uint8_t* s, const Element& e) {
  Element r;
  if (is_identity(e) || crypto_scalarmult_ristretto255(r.data(), s, e.data()) != 0) {
    r.fill(0);
  }
  return r;
}

// n · B for a small n (0 gives the identity).
Element small_base(std::uint64_t n) {
  std::uint8_t s[crypto_core_ristretto255_SCALARBYTES] = {0};
  for (int i = 0; i < 8; ++i) s[i] = static_cast<std::uint8_t>(n >> (8 * i));
  Element r;
  if (crypto_scalarmult_ristretto255_base(r.data(), s) != 0) r.fill(0);
  return r;
}

// The key of the search table: the first 8 bytes of an encoding (a hit is
// confirmed on the whole encoding).
std::uint64_t prefix(const Element& e) {
  std::uint64_t k;
  std::memcpy(&k, e.data(), sizeof k);
  return k;
}

constexpr std::uint64_t kPollSteps = 1024;

// Baby-step giant-step over many targets at once: for each m[t], the n in
// 0..bounds[t] with n · B = m[t], or nullopt. One table of j · B for all
// targets, sized so that their giant steps cost about as much as it; every
// giant step of every target is taken whether or not it matched earlier,
// so the time depends on the bounds only.
std::vector<std::optional<std::uint64_t>> search(const std::vector<Element>& m,
                                                 const std::vector<std::uint64_t>& bounds,
                                                 const std::function<void()>& poll) {
  double span = 0;
  for (std::uint64_t b : bounds) span += static_cast<double>(b) + 1;
  const std::uint64_t steps = static_cast<std::uint64_t>(std::sqrt(span)) + 1;
  std::unordered_multimap<std::uint64_t, std::pair<std::uint64_t, Element>> baby;
  baby.reserve(steps);
  Element p{};  // j · B
  const Element b = small_base(1);
  for (std::uint64_t j = 0; j < steps; ++j) {
    if (poll && j % kPollSteps == 0) poll();
    baby.emplace(prefix(p), std::make_pair(j, p));
    p = add(p, b);
  }
  const Element giant = p;  // steps · B
  std::vector<std::optional<std::uint64_t>> out(m.size());
  for (std::size_t t = 0; t < m.size(); ++t) {
    const std::uint64_t giants = bounds[t] / steps + 1;
    Element e = m[t];  // m − i · steps · B
    for (std::uint64_t i = 0; i < giants; ++i) {
      if (poll && i % kPollSteps == 0) poll();
      const auto range = baby.equal_range(prefix(e));
      for (auto it = range.first; it != range.second; ++it) {
        const std::uint64_t n = i * steps + it->second.first;
        if (it->second.second == e && !out[t] && n <= bounds[t]) out[t] = n;
      }
      e = sub(e, giant);
    }
  }
  return out;
}

}  // namespace

Ciphertext zero() { return Ciphertext{}; }

bool is_valid(const PublicKey& key) {
  for (const Element& x : key.x) {
    if (!group::is_valid(x)) return false;
  }
  return true;
}

bool is_valid(const Ciphertext& c) {
  auto canonical = [](const Element& e) {
    return group::top_bit_clear(e) && crypto_core_ristretto255_is_valid_point(e.data()) == 1;
  };
  if (!canonical(c.c1)) return false;
  for (const Element& e : c.c2) {
    if (!canonical(e)) return false;
  }
  return true;
}

SecretKey::SecretKey(std::array<group::Scalar, kLimbs> x, PublicKey pub)
    : x_(std::move(x)), public_(pub) {}

SecretKey SecretKey::random() {
  std::array<group::Scalar, kLimbs> x = {group::Scalar::random(), group::Scalar::random(),
                                         group::Scalar::random()};
  PublicKey pub;
  for (std::size_t i = 0; i < kLimbs; ++i) pub.x[i] = group::base_blind(x[i]);
  return SecretKey(std::move(x), pub);
}

std::array<std::uint64_t, kLimbs> limbs(std::uint64_t v) {
  std::array<std::uint64_t, kLimbs> out{};
  for (std::size_t i = 0; i < kLimbs; ++i) {
    out[i] = (v >> (kLimbBits * i)) & ((std::uint64_t{1} << kLimbBits) - 1);
  }
  return out;
}

Ciphertext encrypt(const PublicKey& key, std::uint64_t v) {
  if (v > kMaxValue) throw std::invalid_argument("a value to encrypt lies in 0..2^48 - 1");
  const group::Scalar r = group::Scalar::random();
  const std::array<std::uint64_t, kLimbs> l = limbs(v);
  Ciphertext c;
  c.c1 = group::base_blind(r);
  for (std::size_t i = 0; i < kLimbs; ++i) c.c2[i] = add(small_base(l[i]), mul(r.data(), key.x[i]));
  return c;
}

Ciphertext rerandomize(const PublicKey& key, const Ciphertext& c) {
  const group::Scalar s = group::Scalar::random();
  Ciphertext out;
  out.c1 = add(c.c1, group::base_blind(s));
  for (std::size_t i = 0; i < kLimbs; ++i) out.c2[i] = add(c.c2[i], mul(s.data(), key.x[i]));
  return out;
}

void add_into(Ciphertext& acc, const Ciphertext& c) {
  acc.c1 = add(acc.c1, c.c1);
  for (std::size_t i = 0; i < kLimbs; ++i) acc.c2[i] = add(acc.c2[i], c.c2[i]);
}

std::optional<unsigned __int128> SecretKey::decrypt_sum(const Ciphertext& c, std::uint64_t bound,
                                                        const std::function<void()>& poll) const {
  return decrypt_sums({c}, {bound}, poll).front();
}

std::vector<std::optional<unsigned __int128>> SecretKey::decrypt_sums(
    const std::vector<Ciphertext>& cs, const std::vector<std::uint64_t>& bounds,
    const std::function<void()>& poll) const {
  if (bounds.size() != cs.size()) throw std::invalid_argument("one bound per ciphertext");
  // (An invalid ciphertext still costs the whole search: its time says nothing.)
  std::vector<Element> m;
  std::vector<std::uint64_t> limb_bounds;
  std::vector<bool> valid;
  for (std::size_t k = 0; k < cs.size(); ++k) {
    valid.push_back(is_valid(cs[k]));
    for (std::size_t i = 0; i < kLimbs; ++i) {
      m.push_back(valid[k] ? sub(cs[k].c2[i], mul(x_[i].data(), cs[k].c1))
                           : Element{});  // limb_i · B
      limb_bounds.push_back(bounds[k]);
    }
  }
  const std::vector<std::optional<std::uint64_t>> n = search(m, limb_bounds, poll);
  std::vector<std::optional<unsigned __int128>> out(cs.size());
  for (std::size_t k = 0; k < cs.size(); ++k) {
    unsigned __int128 sum = 0;
    bool whole = valid[k];
    for (std::size_t i = 0; i < kLimbs; ++i) {
      const auto& limb = n[k * kLimbs + i];
      whole = whole && limb.has_value();
      if (limb) sum += static_cast<unsigned __int128>(*limb) << (kLimbBits * i);
    }
    if (whole) out[k] = sum;
  }
  return out;
}

}  // namespace smpc::crypto::elgamal
