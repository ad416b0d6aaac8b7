// Hashing, blinding, re-blinding and counting of private set operations.
#include "protocol/private_set.hpp"

#include <algorithm>
#include <stdexcept>

#include "crypto/hash.hpp"
#include "protocol/protocol_error.hpp"
#include "protocol/work_split.hpp"

namespace smpc::protocol::private_set {

namespace {

// Sorted and without two equal elements; else a partner sent a set twice
// holding one element (or a local caller passed one).
void require_distinct(const std::vector<Element>& sorted, const char* what) {
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    throw ProtocolError(ErrorKind::kMalformed, std::string(what) + " holds an element twice",
                        "A party's blinded set holds each of its keys once.");
  }
}

}  // namespace

std::string key_tag(std::string_view federation_fingerprint, std::string_view job_id) {
  crypto::Sha256 h;
  h.update_field(federation_fingerprint);
  h.update_field(job_id);
  return "smpc-psi-v1-" + crypto::to_hex(h.finish());
}

OwnSet blind_own(const std::vector<std::string>& keys, std::string_view tag, const Scalar& s,
                 const std::function<void()>& poll) {
  OwnSet out;
  out.elements.resize(keys.size());
  split_work(
      keys.size(),
      [&](std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i) {
          out.elements[i] = crypto::group::blind(crypto::group::hash_to_group(keys[i], tag), s);
        }
      },
      poll);
  std::sort(out.elements.begin(), out.elements.end());
  auto last = std::unique(out.elements.begin(), out.elements.end());
  out.duplicates = static_cast<std::size_t>(out.elements.end() - last);
  out.elements.erase(last, out.elements.end());
  return out;
}

std::vector<Element> reblind(const std::vector<Element>& set, const Scalar& s,
                             const std::function<void()>& poll) {
  std::vector<Element> out(set.size());
  split_work(
      set.size(),
      [&](std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i) {
          // blind() checks the element (one decoding, not two).
          try {
            out[i] = crypto::group::blind(set[i], s);
          } catch (const std::invalid_argument&) {
            throw ProtocolError(ErrorKind::kMalformed,
                                "a blinded set holds a value that is no group element",
                                "Every element must be a canonical ristretto255 encoding other "
                                "than the identity.");
          }
        }
      },
      poll);
  std::sort(out.begin(), out.end());
  require_distinct(out, "a blinded set");
  return out;
}

std::uint64_t count_held_by_at_least(const std::vector<std::vector<Element>>& sets, std::size_t k) {
  if (k < 1 || k > sets.size()) {
    throw ProtocolError(ErrorKind::kInvalidArgument,
                        "an overlap count needs k between 1 and the number of sets");
  }
  std::vector<Element> all;
  std::size_t total = 0;
  for (const auto& s : sets) total += s.size();
  all.reserve(total);
  for (const auto& s : sets) {
    std::vector<Element> sorted(s);
    std::sort(sorted.begin(), sorted.end());
    require_distinct(sorted, "a fully blinded set");
    all.insert(all.end(), sorted.begin(), sorted.end());
  }
  std::sort(all.begin(), all.end());
  std::uint64_t count = 0;
  for (std::size_t i = 0; i < all.size();) {
    std::size_t j = i + 1;
    while (j < all.size() && all[j] == all[i]) ++j;
    if (j - i >= k) ++count;
    i = j;
  }
  return count;
}

std::vector<std::uint64_t> pair_overlaps(const std::vector<const std::vector<Element>*>& sets,
                                         const std::function<void()>& poll) {
  // The fully blinded sets come sorted (each hop sorts what it sends); one
  // that does not is sorted here, in a copy.
  std::vector<std::vector<Element>> copies(sets.size());
  std::vector<const std::vector<Element>*> sorted(sets.size());
  for (std::size_t i = 0; i < sets.size(); ++i) {
    sorted[i] = sets[i];
    if (!std::is_sorted(sets[i]->begin(), sets[i]->end())) {
      copies[i] = *sets[i];
      std::sort(copies[i].begin(), copies[i].end());
      sorted[i] = &copies[i];
    }
    require_distinct(*sorted[i], "a fully blinded set");
  }
  std::vector<std::uint64_t> out;
  out.reserve(sets.size() * (sets.size() - 1) / 2);
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    for (std::size_t j = i + 1; j < sorted.size(); ++j) {
      if (poll) poll();
      // A merge of two sorted, distinct sets: each common element once.
      std::uint64_t common = 0;
      auto a = sorted[i]->begin();
      auto b = sorted[j]->begin();
      while (a != sorted[i]->end() && b != sorted[j]->end()) {
        if (*a < *b) {
          ++a;
        } else if (*b < *a) {
          ++b;
        } else {
          ++common;
          ++a;
          ++b;
        }
      }
      out.push_back(common);
    }
  }
  return out;
}

}  // namespace smpc::protocol::private_set
