// Sealing, re-blinding and summing sets with values (sealed_set.hpp).
#include "protocol/sealed_set.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <stdexcept>

#include "protocol/message.hpp"
#include "protocol/private_set.hpp"
#include "protocol/protocol_error.hpp"
#include "protocol/work_split.hpp"

namespace smpc::protocol::sealed_set {

namespace {

constexpr std::size_t kE = crypto::group::kElementBytes;
static_assert(kValueKeyBytes == crypto::elgamal::kPublicKeyBytes);
static_assert(kSealedBytes == crypto::elgamal::kCiphertextBytes);

// The pairs (elements[i], sealed[i]) sorted by element; equal elements are
// merged (their sealed values added) and counted in *merged, or refused
// when merged is null.
SealedSet sorted_pairs(std::vector<Element> elements, std::vector<Ciphertext> sealed,
                       std::size_t* merged) {
  std::vector<std::size_t> order(elements.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return elements[a] < elements[b]; });
  SealedSet out;
  out.elements.reserve(elements.size());
  out.sealed.reserve(elements.size());
  for (std::size_t i : order) {
    if (!out.elements.empty() && out.elements.back() == elements[i]) {
      if (merged == nullptr) {
        throw ProtocolError(ErrorKind::kMalformed, "a blinded set holds an element twice",
                            "A party's blinded set holds each of its keys once.");
      }
      crypto::elgamal::add_into(out.sealed.back(), sealed[i]);
      ++*merged;
      continue;
    }
    out.elements.push_back(elements[i]);
    out.sealed.push_back(sealed[i]);
  }
  return out;
}

}  // namespace

SealedSet seal_own(const std::vector<std::string>& keys, const std::vector<std::uint64_t>& values,
                   std::string_view tag, const Scalar& s, const PublicKey& key,
                   const std::function<void()>& poll) {
  if (values.size() != keys.size()) {
    throw ProtocolError(ErrorKind::kInvalidArgument, "every key of a set with values needs one");
  }
  for (std::uint64_t v : values) {
    if (v > crypto::elgamal::kMaxValue) {
      throw ProtocolError(ErrorKind::kInvalidArgument,
                          "a value to sum over an overlap lies in 0..2^48 - 1");
    }
  }
  std::vector<Element> elements(keys.size());
  std::vector<Ciphertext> sealed(keys.size());
  split_work(
      keys.size(),
      [&](std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i) {
          elements[i] = crypto::group::blind(crypto::group::hash_to_group(keys[i], tag), s);
          sealed[i] = crypto::elgamal::encrypt(key, values[i]);
        }
      },
      poll);
  std::size_t merged = 0;
  SealedSet out = sorted_pairs(std::move(elements), std::move(sealed), &merged);
  out.duplicates = merged;
  return out;
}

SealedSet reblind(const SealedSet& set, const Scalar& s, const PublicKey& key,
                  const std::function<void()>& poll) {
  std::vector<Element> elements(set.elements.size());
  std::vector<Ciphertext> sealed(set.elements.size());
  split_work(
      set.elements.size(),
      [&](std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i) {
          if (!crypto::elgamal::is_valid(set.sealed[i])) {
            throw ProtocolError(ErrorKind::kMalformed,
                                "a blinded set holds a sealed value that is none",
                                "Every sealed value must be four canonical ristretto255 "
                                "encodings.");
          }
          try {
            elements[i] = crypto::group::blind(set.elements[i], s);
          } catch (const std::invalid_argument&) {
            throw ProtocolError(ErrorKind::kMalformed,
                                "a blinded set holds a value that is no group element",
                                "Every element must be a canonical ristretto255 encoding other "
                                "than the identity.");
          }
          sealed[i] = crypto::elgamal::rerandomize(key, set.sealed[i]);
        }
      },
      poll);
  return sorted_pairs(std::move(elements), std::move(sealed), nullptr);
}

Ciphertext overlap_sum(const SealedSet& set, const std::vector<const std::vector<Element>*>& others,
                       const std::function<void()>& poll) {
  Ciphertext sum = crypto::elgamal::zero();
  for (std::size_t i = 0; i < set.elements.size(); ++i) {
    if (poll && i % private_set::kPollEvery == 0) poll();
    const Element& e = set.elements[i];
    const bool everywhere = std::all_of(others.begin(), others.end(), [&](const auto* o) {
      return std::binary_search(o->begin(), o->end(), e);
    });
    if (everywhere) crypto::elgamal::add_into(sum, set.sealed[i]);
  }
  return sum;
}

std::vector<std::uint8_t> key_bytes(const PublicKey& key) {
  std::vector<std::uint8_t> out(kValueKeyBytes);
  for (std::size_t i = 0; i < key.x.size(); ++i)
    std::memcpy(out.data() + i * kE, key.x[i].data(), kE);
  return out;
}

PublicKey key_of(const std::vector<std::uint8_t>& bytes) {
  PublicKey key;
  if (bytes.size() != kValueKeyBytes) {
    throw ProtocolError(ErrorKind::kMalformed, "a value key has the wrong length");
  }
  for (std::size_t i = 0; i < key.x.size(); ++i)
    std::memcpy(key.x[i].data(), bytes.data() + i * kE, kE);
  if (!crypto::elgamal::is_valid(key)) {
    throw ProtocolError(ErrorKind::kMalformed, "a value key is not a public key",
                        "Its elements must be canonical ristretto255 encodings other than the "
                        "identity.");
  }
  return key;
}

std::vector<std::uint8_t> sealed_bytes(const std::vector<Ciphertext>& sealed) {
  std::vector<std::uint8_t> out(sealed.size() * kSealedBytes);
  std::uint8_t* p = out.data();
  for (const Ciphertext& c : sealed) {
    std::memcpy(p, c.c1.data(), kE);
    p += kE;
    for (const Element& e : c.c2) {
      std::memcpy(p, e.data(), kE);
      p += kE;
    }
  }
  return out;
}

std::vector<Ciphertext> sealed_of(const std::vector<std::uint8_t>& bytes, std::size_t count) {
  if (bytes.size() != count * kSealedBytes) {
    throw ProtocolError(ErrorKind::kMalformed, "sealed values do not match their elements");
  }
  std::vector<Ciphertext> out(count);
  const std::uint8_t* p = bytes.data();
  for (Ciphertext& c : out) {
    std::memcpy(c.c1.data(), p, kE);
    p += kE;
    for (Element& e : c.c2) {
      std::memcpy(e.data(), p, kE);
      p += kE;
    }
  }
  return out;
}

}  // namespace smpc::protocol::sealed_set
