// Additive n-of-n and Shamir t-of-n secret sharing over GF(2^127 - 1).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <vector>

#include "crypto/field.hpp"
#include "crypto/prg.hpp"
#include "crypto/random.hpp"

namespace smpc::crypto {

// Bad sharing parameters (n < 2, t out of range, duplicate x, too few shares).
class SharingError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// n uniformly random elements whose sum is `secret`. Any n-1 of them are
// independent of the secret. Requires n >= 2.
std::vector<Fp> additive_split(Fp secret, std::size_t n, RandomSource& rng);
// The same for a vector, with every share but party full's expanded from a
// fresh seed (prg.hpp): seeds[i] stands for party i's share (seeds[full] is
// unused), and only party full's share is a vector of its own. Any n - 1 of the
// shares are as independent of the secrets as the keystream is of random.
struct SeededSplit {
  std::vector<Seed> seeds;
  std::vector<Fp> full;
};
SeededSplit additive_split_seeded(const std::vector<Fp>& secrets, std::size_t n, std::size_t full,
                                  RandomSource& rng);
Fp additive_combine(const std::vector<Fp>& shares);

struct ShamirShare {
  std::uint32_t x;  // evaluation point, 1..n (party index + 1); never 0
  Fp y;
};

// Points (1, f(1)) .. (n, f(n)) of a random polynomial f of degree t-1 with
// f(0) = secret. Requires 1 <= t <= n and n >= 2.
std::vector<ShamirShare> shamir_split(Fp secret, std::size_t n, std::size_t t, RandomSource& rng);
// The same for a vector, one independent polynomial per element: out[i][k]
// is f_k(i + 1).
std::vector<std::vector<Fp>> shamir_split(const std::vector<Fp>& secrets, std::size_t n,
                                          std::size_t t, RandomSource& rng);
// Lagrange interpolation at 0 over all given shares (x distinct and nonzero).
// With at least t shares of a degree t-1 polynomial this is the secret.
Fp shamir_reconstruct(const std::vector<ShamirShare>& shares);
// f(x) for the polynomial f of degree below points.size() through points
// (x distinct).
Fp shamir_interpolate(const std::vector<ShamirShare>& points, Fp x);

// Checking more than t shares (x distinct; t >= 1). Any t points lie on one
// polynomial of degree t - 1; each point beyond t is a check on the others.
// Whether every point lies on the polynomial of degree t - 1 through the
// first t (true when there are at most t points).
bool shamir_consistent(const std::vector<ShamirShare>& points, std::size_t t);
// The position in points of the one point whose removal leaves the others
// consistent; empty when no single point does (and always with fewer than
// t + 2 points, where any one of them could be the wrong one). A single
// wrong point among t + 2 or more is always found. Costs O(n t + t^2).
std::optional<std::size_t> shamir_culprit(const std::vector<ShamirShare>& points, std::size_t t);

}  // namespace smpc::crypto
