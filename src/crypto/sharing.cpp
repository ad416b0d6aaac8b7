// Additive and Shamir secret sharing over GF(2^127 - 1).
//
// Shamir reconstruction interpolates at 0: with points (x_i, y_i),
//   f(0) = sum_i y_i * prod_{j != i} x_j / (x_j - x_i),
// and the k denominators are inverted together (Montgomery's batch trick), so
// reconstruction costs one field inversion however many shares there are.
#include "crypto/sharing.hpp"

#include <algorithm>
#include <limits>
#include <string>

namespace smpc::crypto {

namespace {

Fp from_index(std::uint64_t x) { return Fp::from_canonical(static_cast<u128>(x)); }

// Inverts every element of v in place (all must be nonzero).
void batch_invert(std::vector<Fp>& v) {
  std::vector<Fp> prefix(v.size());
  Fp acc = Fp::from_canonical(1);
  for (std::size_t i = 0; i < v.size(); ++i) {
    prefix[i] = acc;
    acc *= v[i];
  }
  Fp inv = acc.inverse();
  for (std::size_t i = v.size(); i-- > 0;) {
    const Fp vi = v[i];
    v[i] = inv * prefix[i];
    inv *= vi;
  }
}

void check_shamir(std::size_t n, std::size_t t) {
  if (n < 2) throw SharingError("shamir sharing needs at least 2 parties");
  if (n > std::numeric_limits<std::uint32_t>::max()) {
    throw SharingError("too many parties for shamir sharing");
  }
  if (t < 1) throw SharingError("shamir threshold must be at least 1");
  if (t > n) {
    throw SharingError("shamir threshold " + std::to_string(t) + " exceeds the number of parties " +
                       std::to_string(n));
  }
}

}  // namespace

// n-1 uniform shares and one that makes the sum come out right.
std::vector<Fp> additive_split(Fp secret, std::size_t n, RandomSource& rng) {
  if (n < 2) throw SharingError("additive sharing needs at least 2 parties");
  std::vector<Fp> shares;
  shares.reserve(n);
  Fp sum;
  for (std::size_t i = 0; i + 1 < n; ++i) {
    shares.push_back(random_element(rng));
    sum += shares.back();
  }
  shares.push_back(secret - sum);
  return shares;
}

SeededSplit additive_split_seeded(const std::vector<Fp>& secrets, std::size_t n, std::size_t full,
                                  RandomSource& rng) {
  if (n < 2) throw SharingError("additive sharing needs at least 2 parties");
  if (full >= n) throw SharingError("the full share must go to one of the parties");
  SeededSplit out;
  out.seeds.resize(n);
  out.full = secrets;
  std::vector<Fp> expanded(secrets.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (i == full) continue;
    rng.fill(out.seeds[i].data(), out.seeds[i].size());
    expand_seed(out.seeds[i], expanded.data(), expanded.size());
    for (std::size_t k = 0; k < expanded.size(); ++k) out.full[k] -= expanded[k];
  }
  return out;
}

Fp additive_combine(const std::vector<Fp>& shares) {
  if (shares.empty()) throw SharingError("no shares to combine");
  Fp sum;
  for (Fp s : shares) sum += s;
  return sum;
}

// Random polynomial of degree t-1 with constant term `secret`, evaluated at
// x = 1..n by Horner's rule.
std::vector<ShamirShare> shamir_split(Fp secret, std::size_t n, std::size_t t, RandomSource& rng) {
  check_shamir(n, t);
  // coeffs[0] = secret, coeffs[1..t-1] random.
  std::vector<Fp> coeffs;
  coeffs.reserve(t);
  coeffs.push_back(secret);
  for (std::size_t k = 1; k < t; ++k) coeffs.push_back(random_element(rng));

  std::vector<ShamirShare> shares;
  shares.reserve(n);
  for (std::size_t i = 1; i <= n; ++i) {
    const Fp x = from_index(i);
    Fp y = coeffs.back();
    for (std::size_t k = t - 1; k-- > 0;) y = y * x + coeffs[k];
    shares.push_back(ShamirShare{static_cast<std::uint32_t>(i), y});
  }
  return shares;
}

std::vector<std::vector<Fp>> shamir_split(const std::vector<Fp>& secrets, std::size_t n,
                                          std::size_t t, RandomSource& rng) {
  check_shamir(n, t);
  const std::size_t width = secrets.size();
  // coeffs[k * (t - 1) + j]: coefficient j + 1 of element k's polynomial.
  std::vector<Fp> coeffs(width * (t - 1));
  random_elements(rng, coeffs.data(), coeffs.size());
  std::vector<std::vector<Fp>> out(n, std::vector<Fp>(width));
  for (std::size_t i = 1; i <= n; ++i) {
    const Fp x = from_index(i);
    for (std::size_t k = 0; k < width; ++k) {
      const Fp* c = coeffs.data() + k * (t - 1);
      Fp y;
      for (std::size_t j = t - 1; j-- > 0;) y = (y + c[j]) * x;
      out[i - 1][k] = y + secrets[k];
    }
  }
  return out;
}

// Lagrange interpolation at 0 over all given shares.
Fp shamir_reconstruct(const std::vector<ShamirShare>& shares) {
  if (shares.empty()) throw SharingError("no shares to reconstruct from");
  std::vector<std::uint32_t> xs;
  xs.reserve(shares.size());
  for (const ShamirShare& s : shares) {
    if (s.x == 0) throw SharingError("share index 0 is not allowed");
    xs.push_back(s.x);
  }
  std::sort(xs.begin(), xs.end());
  const auto dup = std::adjacent_find(xs.begin(), xs.end());
  if (dup != xs.end()) throw SharingError("duplicate share index " + std::to_string(*dup));

  const std::size_t k = shares.size();
  // numerators[i] = prod_{j != i} x_j, denominators[i] = prod_{j != i} (x_j - x_i).
  std::vector<Fp> numerators(k, Fp::from_canonical(1));
  std::vector<Fp> denominators(k, Fp::from_canonical(1));
  for (std::size_t i = 0; i < k; ++i) {
    const Fp xi = from_index(shares[i].x);
    for (std::size_t j = 0; j < k; ++j) {
      if (j == i) continue;
      const Fp xj = from_index(shares[j].x);
      numerators[i] *= xj;
      denominators[i] *= xj - xi;
    }
  }
  batch_invert(denominators);
  Fp secret;
  for (std::size_t i = 0; i < k; ++i) secret += shares[i].y * numerators[i] * denominators[i];
  return secret;
}

}  // namespace smpc::crypto
