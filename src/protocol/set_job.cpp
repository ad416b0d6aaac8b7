// SetJob: the ring of blinded sets, then the release job (set_job.hpp).
#include "protocol/set_job.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "crypto/wipe.hpp"
#include "protocol/private_set.hpp"

namespace smpc::protocol {

namespace {

using crypto::group::Element;

std::string party_name(const FederationDef& fed, std::uint16_t party) {
  return "party " + fed.parties[party];
}

std::vector<std::uint8_t> flatten(const std::vector<Element>& set) {
  std::vector<std::uint8_t> out(set.size() * kSetElementBytes);
  for (std::size_t i = 0; i < set.size(); ++i) {
    std::memcpy(out.data() + i * kSetElementBytes, set[i].data(), kSetElementBytes);
  }
  return out;
}

std::vector<Element> elements_of(const std::vector<std::uint8_t>& bytes) {
  std::vector<Element> out(bytes.size() / kSetElementBytes);
  for (std::size_t i = 0; i < out.size(); ++i) {
    std::memcpy(out[i].data(), bytes.data() + i * kSetElementBytes, kSetElementBytes);
  }
  return out;
}

}  // namespace

SetJob::SetJob(SetParams params, std::vector<std::string> keys, crypto::RandomSource& rng)
    : params_(std::move(params)), keys_(std::move(keys)) {
  const FederationDef& fed = params_.job.federation;
  validate(fed);
  const std::size_t n = fed.parties.size();
  if (fed.threshold != 0 || compute_parties(fed).size() != n || input_parties(fed).size() != n ||
      output_parties(fed).size() != n) {
    throw ProtocolError(ErrorKind::kInvalidArgument,
                        "set operations need a peer-to-peer federation with additive sharing",
                        "Every party must hold keys, compute and learn the result, and all of "
                        "them must take part: a party left out would shrink the overlap unseen.",
                        "Run set operations in a federation without roles or a threshold.");
  }
  if (params_.at_least < 1 || params_.at_least > n) {
    throw ProtocolError(ErrorKind::kInvalidArgument, "the overlap must be held by between 1 and " +
                                                         std::to_string(n) + " parties, not " +
                                                         std::to_string(params_.at_least));
  }
  if (keys_.size() > kMaxSetElements) {
    throw ProtocolError(ErrorKind::kInvalidArgument,
                        "a set job takes at most " + std::to_string(kMaxSetElements) +
                            " keys per party, not " + std::to_string(keys_.size()));
  }
  if (params_.job.width != 1) {
    throw ProtocolError(ErrorKind::kInvalidArgument, "a set job releases one value, its count");
  }
  // The release job: this party's input is zero (plus its noise share)
  // until the ring has run; the counting party then adds the count.
  std::vector<crypto::Fp> zero(1);
  release_ = std::make_unique<AggregationJob>(params_.job, std::move(zero), rng);
  fingerprint_ = fingerprint(fed);
  policy_fingerprint_ = fingerprint(params_.job.policy);
  tag_ = private_set::key_tag(
      std::string_view(reinterpret_cast<const char*>(fingerprint_.data()), fingerprint_.size()),
      params_.job.job_id);
  received_.resize(n);
  full_.resize(n);
  nonces_.resize(n);
  dead_.resize(n);
}

SetJob::~SetJob() {
  for (std::string& k : keys_) crypto::wipe(k);
}

std::size_t SetJob::parties() const { return params_.job.federation.parties.size(); }

std::uint16_t SetJob::next() const {
  return static_cast<std::uint16_t>((params_.job.self + 1) % parties());
}

std::uint16_t SetJob::previous() const {
  return static_cast<std::uint16_t>((params_.job.self + parties() - 1) % parties());
}

Message SetJob::header(std::uint16_t to) const {
  Message m;
  m.type = MessageType::kBlinded;
  m.federation = params_.job.federation.name;
  m.job_id = params_.job.job_id;
  m.sender = params_.job.self;
  m.receiver = to;
  m.nonce = release_->nonce();
  m.fingerprint = fingerprint_;
  m.policy = policy_fingerprint_;
  m.descriptor = params_.job.descriptor;
  return m;
}

void SetJob::discard_run(const Message& abort) {
  release_->discard_run(abort);
  dead_[abort.sender].push_back(abort.nonce);
}

void SetJob::forget_run(std::uint16_t party, const Nonce& nonce) {
  release_->forget_run(party, nonce);
  if (party < parties()) dead_[party].push_back(nonce);
}

bool SetJob::dead(std::uint16_t sender, const Nonce& nonce) const {
  const std::vector<Nonce>& d = dead_[sender];
  return std::find(d.begin(), d.end(), nonce) != d.end();
}

std::vector<Outgoing> SetJob::start() {
  if (started_) throw std::logic_error("SetJob::start() called twice");
  started_ = true;
  scalar_ = crypto::group::Scalar::random();
  private_set::OwnSet own = private_set::blind_own(keys_, tag_, *scalar_);
  for (std::string& k : keys_) crypto::wipe(k);
  keys_.clear();
  duplicates_ = own.duplicates;
  std::vector<Outgoing> out;
  const std::uint16_t self = params_.job.self;
  if (parties() == 1) {
    full_[self] = std::move(own.elements);
  } else {
    Message m = header(next());
    m.origin = self;
    m.hops = 1;
    m.blinded = flatten(own.elements);
    if (fault_ == Fault::kRepeatBlinded && !own.elements.empty()) {
      m.blinded.insert(m.blinded.end(), m.blinded.begin(), m.blinded.begin() + kSetElementBytes);
    }
    out.push_back({m.receiver, std::move(m)});
  }
  // Sets may have come before this party started.
  std::vector<Message> early;
  early.swap(held_);
  for (Message& m : early) {
    std::vector<Outgoing> more = receive(std::move(m));
    for (Outgoing& o : more) out.push_back(std::move(o));
  }
  if (!ring_done_ && hops_taken_ == parties() - 1 &&
      (!is_counter() || std::all_of(full_.begin(), full_.end(), [](const auto& s) { return s; }))) {
    finish_ring(out);
  }
  return out;
}

void SetJob::aborted(const Message& m) const {
  const std::string why = m.reason.empty() ? std::string("no reason was given") : m.reason;
  throw ProtocolError(m.refused ? ErrorKind::kRefused : ErrorKind::kAborted,
                      party_name(params_.job.federation, m.sender) + " aborted the job", why);
}

std::vector<Outgoing> SetJob::receive(Message m) {
  if (ring_done_) return release_->receive(std::move(m));
  const FederationDef& fed = params_.job.federation;
  if (m.federation != fed.name || m.job_id != params_.job.job_id) {
    throw ProtocolError(ErrorKind::kMalformed, "message belongs to a different job");
  }
  if (m.receiver != params_.job.self || m.sender >= parties() || m.sender == params_.job.self) {
    throw ProtocolError(ErrorKind::kMalformed, "message is not addressed to this party");
  }
  if (dead(m.sender, m.nonce)) return {};
  if (m.type == MessageType::kAbort) {
    // (An abort of another run than the one whose sets came is stale.)
    if (nonces_[m.sender] && *nonces_[m.sender] != m.nonce) return {};
    aborted(m);
  }
  if (m.type != MessageType::kBlinded || !started_) {
    // The release job's first messages (a faster partner finished the
    // ring), or sets before this party started: kept until they fit.
    if (held_.size() >= 4 * parties()) {
      throw ProtocolError(ErrorKind::kMalformed,
                          party_name(fed, m.sender) + " sent more messages than a set job has");
    }
    held_.push_back(std::move(m));
    return {};
  }
  std::vector<Outgoing> out;
  if (!check_blinded(m)) return out;
  take_blinded(m, out);
  if (hops_taken_ == parties() - 1 &&
      (!is_counter() || std::all_of(full_.begin(), full_.end(), [](const auto& s) { return s; }))) {
    finish_ring(out);
  }
  return out;
}

bool SetJob::check_blinded(const Message& m) {
  const FederationDef& fed = params_.job.federation;
  const std::string party = party_name(fed, m.sender);
  if (m.fingerprint != fingerprint_) {
    throw ProtocolError(ErrorKind::kFederationMismatch,
                        "federation \"" + fed.name + "\" differs at " + party,
                        "The federation fingerprints differ.",
                        "Register the same federation definition (name, parties in order, scale, "
                        "threshold and roles) at every party.");
  }
  if (m.descriptor != params_.job.descriptor) {
    throw ProtocolError(ErrorKind::kJobMismatch,
                        party + " computes " + m.descriptor + " under this job id, this party " +
                            "computes " + params_.job.descriptor,
                        "Set operations match keys of one type, normalised the same way, and "
                        "count the same overlap at every party.",
                        "Use the same key type, normalisation and overlap at every party.");
  }
  if (m.policy != policy_fingerprint_) {
    throw ProtocolError(
        ErrorKind::kPolicyMismatch,
        "the release policy of job \"" + params_.job.job_id + "\" differs at " + party,
        "The release policy fingerprints differ.",
        "Every party must apply the same release policy to a job.");
  }
  const std::size_t n = parties();
  const std::uint16_t self = params_.job.self;
  const bool hop =
      m.hops >= 1 && m.hops < n && m.sender == previous() && m.origin == (self + n - m.hops) % n;
  const bool full = m.hops == n && is_counter() && m.origin < n &&
                    m.sender == (m.origin + n - 1) % n && m.origin != (self + 1) % n;
  if (!hop && !full) {
    throw ProtocolError(ErrorKind::kInconsistent,
                        party + " sent a blinded set out of the ring's order",
                        "Set of party index " + std::to_string(m.origin) + " after " +
                            std::to_string(static_cast<int>(m.hops)) + " blindings.");
  }
  if (nonces_[m.sender] && *nonces_[m.sender] != m.nonce) {
    throw ProtocolError(ErrorKind::kInconsistent,
                        party + " sent blinded sets of two runs of the job",
                        "A set job runs once: its id is spent when the first set leaves.",
                        "Run it again under a new job id.");
  }
  nonces_[m.sender] = m.nonce;
  std::optional<std::vector<std::uint8_t>>& before = received_[m.origin];
  // (At the counting party a set of one origin comes twice only when the
  // counter is also the hop before the last; the hop count tells them apart.)
  if (before && m.hops != n) {
    if (*before == m.blinded) return false;
    throw ProtocolError(ErrorKind::kInconsistent,
                        party + " sent two different blinded sets of one party",
                        "Party index " + std::to_string(m.origin) + "'s set came twice.");
  }
  if (m.hops == n && full_[m.origin]) {
    if (flatten(*full_[m.origin]) == m.blinded) return false;
    throw ProtocolError(ErrorKind::kInconsistent,
                        party + " sent two different fully blinded sets of one party",
                        "Party index " + std::to_string(m.origin) + "'s set came twice.");
  }
  if (m.hops != n) received_[m.origin] = m.blinded;
  return true;
}

void SetJob::take_blinded(const Message& m, std::vector<Outgoing>& out) {
  std::vector<Element> set = elements_of(m.blinded);
  const std::size_t n = parties();
  if (m.hops == n) {
    // A fully blinded set, at the counting party: distinct, valid elements.
    std::sort(set.begin(), set.end());
    if (std::adjacent_find(set.begin(), set.end()) != set.end()) {
      throw ProtocolError(ErrorKind::kMalformed, "a fully blinded set holds an element twice",
                          "A party's blinded set holds each of its keys once.");
    }
    for (const Element& e : set) {
      if (!crypto::group::is_valid(e)) {
        throw ProtocolError(ErrorKind::kMalformed,
                            "a fully blinded set holds a value that is no group element");
      }
    }
    full_[m.origin] = std::move(set);
    return;
  }
  std::vector<Element> again = private_set::reblind(set, *scalar_);
  ++hops_taken_;
  const auto hops = static_cast<std::uint8_t>(m.hops + 1);
  if (hops == n && is_counter()) {
    full_[m.origin] = std::move(again);
    return;
  }
  Message fwd = header(hops == n ? kCounter : next());
  fwd.origin = m.origin;
  fwd.hops = hops;
  fwd.blinded = flatten(again);
  if (fault_ == Fault::kRepeatBlinded && !again.empty()) {
    fwd.blinded.insert(fwd.blinded.end(), fwd.blinded.begin(),
                       fwd.blinded.begin() + kSetElementBytes);
  }
  out.push_back({fwd.receiver, std::move(fwd)});
}

void SetJob::finish_ring(std::vector<Outgoing>& out) {
  ring_done_ = true;
  if (is_counter()) {
    std::vector<std::vector<Element>> sets;
    sets.reserve(full_.size());
    for (auto& s : full_) sets.push_back(std::move(*s));
    const std::uint64_t count = private_set::count_held_by_at_least(sets, params_.at_least);
    release_->add_to_input(0, crypto::encode_summand(static_cast<crypto::i128>(count), parties()));
  }
  full_.clear();
  received_.clear();
  scalar_.reset();
  std::vector<Outgoing> first = release_->start();
  for (Outgoing& o : first) out.push_back(std::move(o));
  std::vector<Message> held;
  held.swap(held_);
  for (Message& m : held) {
    std::vector<Outgoing> more = release_->receive(std::move(m));
    for (Outgoing& o : more) out.push_back(std::move(o));
  }
}

bool SetJob::timeout(std::vector<Outgoing>& out) { return ring_done_ && release_->timeout(out); }

bool SetJob::unreachable(std::uint16_t party, const std::string& reason) {
  return ring_done_ && release_->unreachable(party, reason);
}

int SetJob::round() const {
  if (!started_) return 0;
  // Each set re-blinded here is a round of its own: a deadline per hop.
  return ring_done_ ? static_cast<int>(parties()) + release_->round()
                    : 1 + static_cast<int>(hops_taken_);
}

MessageType SetJob::current_round() const {
  return ring_done_ ? release_->current_round() : MessageType::kBlinded;
}

std::string SetJob::round_name(MessageType t) const {
  if (t == MessageType::kBlinded) return "the ring (blinded sets)";
  return "release " + release_->round_name(t);
}

std::vector<std::uint16_t> SetJob::missing() const {
  if (ring_done_) return release_->missing();
  std::vector<std::uint16_t> out;
  if (!started_) return out;
  const std::size_t n = parties();
  if (hops_taken_ < n - 1) out.push_back(previous());
  if (is_counter()) {
    for (std::size_t o = 0; o < n; ++o) {
      const auto last = static_cast<std::uint16_t>((o + n - 1) % n);
      if (!full_[o] && last != params_.job.self &&
          std::find(out.begin(), out.end(), last) == out.end()) {
        out.push_back(last);
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string SetJob::describe_missing() const {
  if (ring_done_) return "release " + release_->describe_missing();
  std::string out = "the ring (blinded sets) from ";
  bool first = true;
  for (std::uint16_t p : missing()) {
    out += (first ? "" : ", ") + party_name(params_.job.federation, p);
    first = false;
  }
  return out;
}

void SetJob::set_fault(Fault fault) {
  fault_ = fault;
  release_->set_fault(fault == Fault::kRepeatBlinded ? Fault::kNone : fault);
}

}  // namespace smpc::protocol
