// Additive and Shamir secret sharing over GF(2^127 - 1).
//
// Shamir interpolation: with points (x_i, y_i), i < k,
//   f(x) = sum_i w_i * prod_{j != i} (x - x_j),  w_i = y_i / prod_{j != i} (x_i - x_j).
// The k weights cost O(k^2) once and one field inversion (the denominators
// are inverted together, Montgomery's batch trick); each evaluation then
// costs O(k), which makes checking many points against t of them cheap.
//
// Temporaries that hold shares, coefficients or expanded seeds are
// SecretVectors (wipe.hpp): zeroed when freed.
#include "crypto/sharing.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "crypto/wipe.hpp"

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

// The polynomial of degree below k through k points (x distinct), ready to
// be evaluated at many x.
class Lagrange {
 public:
  Lagrange(const ShamirShare* points, std::size_t k) : xs_(k), weights_(k) {
    std::vector<Fp> denominators(k, Fp::from_canonical(1));
    for (std::size_t i = 0; i < k; ++i) xs_[i] = from_index(points[i].x);
    for (std::size_t i = 0; i < k; ++i) {
      for (std::size_t j = 0; j < k; ++j) {
        if (j != i) denominators[i] *= xs_[i] - xs_[j];
      }
    }
    batch_invert(denominators);
    for (std::size_t i = 0; i < k; ++i) weights_[i] = points[i].y * denominators[i];
  }

  // f(x): sum_i w_i times the product of (x - x_j) over j != i, from the
  // products of the factors before i (running) and after i (suffix).
  Fp at(Fp x) const {
    const std::size_t k = xs_.size();
    std::vector<Fp> suffix(k + 1, Fp::from_canonical(1));
    for (std::size_t i = k; i-- > 0;) suffix[i] = suffix[i + 1] * (x - xs_[i]);
    Fp prefix = Fp::from_canonical(1);
    Fp sum;
    for (std::size_t i = 0; i < k; ++i) {
      sum += weights_[i] * prefix * suffix[i + 1];
      prefix *= x - xs_[i];
    }
    return sum;
  }

 private:
  std::vector<Fp> xs_;
  SecretVector<Fp> weights_;  // scaled shares
};

// Throws unless every x is nonzero and no two are equal.
void check_points(const std::vector<ShamirShare>& points) {
  std::vector<std::uint32_t> xs;
  xs.reserve(points.size());
  for (const ShamirShare& s : points) {
    if (s.x == 0) throw SharingError("share index 0 is not allowed");
    xs.push_back(s.x);
  }
  std::sort(xs.begin(), xs.end());
  const auto dup = std::adjacent_find(xs.begin(), xs.end());
  if (dup != xs.end()) throw SharingError("duplicate share index " + std::to_string(*dup));
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
  SecretVector<Fp> expanded(secrets.size());
  try {
    for (std::size_t i = 0; i < n; ++i) {
      if (i == full) continue;
      rng.fill(out.seeds[i].data(), out.seeds[i].size());
      expand_seed(out.seeds[i], expanded.data(), expanded.size());
      for (std::size_t k = 0; k < expanded.size(); ++k) out.full[k] -= expanded[k];
    }
  } catch (...) {
    // (OpenSSL failed midway: what is returned otherwise is the caller's to wipe.)
    wipe(out.full);
    wipe(out.seeds);
    throw;
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
  SecretVector<Fp> coeffs;
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
  SecretVector<Fp> coeffs(width * (t - 1));
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
  check_points(shares);
  return Lagrange(shares.data(), shares.size()).at(Fp());
}

Fp shamir_interpolate(const std::vector<ShamirShare>& points, Fp x) {
  if (points.empty()) throw SharingError("no points to interpolate");
  return Lagrange(points.data(), points.size()).at(x);
}

namespace {

// Whether points[0..n) lie on the polynomial through the first t of them.
bool on_one_polynomial(const ShamirShare* points, std::size_t n, std::size_t t) {
  if (n <= t) return true;
  const Lagrange base(points, t);
  for (std::size_t k = t; k < n; ++k) {
    if (base.at(from_index(points[k].x)) != points[k].y) return false;
  }
  return true;
}

}  // namespace

bool shamir_consistent(const std::vector<ShamirShare>& points, std::size_t t) {
  if (t < 1) throw SharingError("shamir threshold must be at least 1");
  check_points(points);
  return on_one_polynomial(points.data(), points.size(), t);
}

// With f0 the polynomial through the first t points, each later point k is
// off f0 by d_k = f0(x_k) - y_k. A single wrong point after them is the only
// one off f0. A single wrong point c among the first t (its y off by e) puts
// every later point off, by d_k = e * L_c(x_k), with L_c the Lagrange basis
// polynomial of c; writing W(x) for the product of (x - x_j) over the first
// t points, L_c(x) = W(x) / ((x - x_c) * prod_{j != c} (x_c - x_j)), so
// u_k = d_k / W(x_k) satisfies u_k * (x_k - x_c) = const, and two later
// points give x_c = (u_1 x_1 - u_2 x_2) / (u_1 - u_2). Each case names the
// only point whose removal can leave the others consistent (the others fit
// f0 on at least t points, so they could only lie on f0); a final check
// confirms it. This is the same answer as removing each point in turn, in
// O(n t) rather than O(n^2 t).
std::optional<std::size_t> shamir_culprit(const std::vector<ShamirShare>& points, std::size_t t) {
  if (t < 1) throw SharingError("shamir threshold must be at least 1");
  check_points(points);
  const std::size_t n = points.size();
  if (n < t + 2) return std::nullopt;
  const Lagrange base(points.data(), t);
  std::vector<std::size_t> off;
  SecretVector<Fp> off_by;
  for (std::size_t k = t; k < n; ++k) {
    const Fp d = base.at(from_index(points[k].x)) - points[k].y;
    if (d == Fp()) continue;
    off.push_back(k);
    off_by.push_back(d);
  }
  if (off.size() == 1) return off.front();
  if (off.size() != n - t) return std::nullopt;  // none off, or two wrong after the first t
  const auto u = [&](std::size_t i) {
    Fp w = Fp::from_canonical(1);
    const Fp x = from_index(points[off[i]].x);
    for (std::size_t j = 0; j < t; ++j) w *= x - from_index(points[j].x);
    return off_by[i] * w.inverse();
  };
  const Fp u1 = u(0), u2 = u(1);
  if (u1 == u2) return std::nullopt;
  const Fp x1 = from_index(points[off[0]].x), x2 = from_index(points[off[1]].x);
  const Fp xc = (u1 * x1 - u2 * x2) * (u1 - u2).inverse();
  for (std::size_t c = 0; c < t; ++c) {
    if (from_index(points[c].x) != xc) continue;
    SecretVector<ShamirShare> rest;
    rest.reserve(n - 1);
    for (std::size_t k = 0; k < n; ++k) {
      if (k != c) rest.push_back(points[k]);
    }
    if (!on_one_polynomial(rest.data(), rest.size(), t)) return std::nullopt;
    return c;
  }
  return std::nullopt;
}

}  // namespace smpc::crypto
