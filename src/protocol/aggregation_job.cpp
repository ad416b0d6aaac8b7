// The sans-IO aggregation protocol; see aggregation_job.hpp for the rounds,
// the roles and which file holds what. This file: construction, who sends
// what to whom, start(), and what the caller reads. Invariants kept across
// the job's files:
//   - a received message is checked completely before any state changes, so
//     a rejected message leaves the job as it was;
//   - per sender and round at most one message is kept; an identical repeat
//     is ignored, a different one is equivocation;
//   - nothing but the row count is opened before the row count passed the
//     release policy, and a refused job keeps no opened value; in a grouped
//     job, nothing of a cell whose count is below the minimum is opened;
//   - nothing is opened before every compute party this one heard from in
//     the agree round named the same set S of inputs; every value is opened
//     over that S, carried in every count and partial message, and from at
//     least t compute parties;
//   - shares that arrive after this party's roster went out are never used;
//   - the result is only exposed after every partner that answered confirmed
//     (or vouched for) the same digest, and after at least a quorum of
//     compute parties did; a Shamir result only from more than t values, a
//     result with MAC tags only after every group matched its tag;
//   - committed() is true before the first message that opens anything (or
//     lets partners open it) is handed to the caller;
//   - a compute party that learns no result never holds the salt (it is
//     opened in the partial round, to outputs only), nor alpha.
#include "protocol/aggregation_job.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "crypto/noise.hpp"
#include "crypto/wipe.hpp"
#include "protocol/aggregation_job_internal.hpp"
#include "protocol/noise_plan.hpp"

namespace smpc::protocol {

using job_internal::bit;
using job_internal::kMaxEarlyMessages;

namespace {

// Cuts a reason to kMaxReasonBytes without splitting a UTF-8 sequence.
std::string truncate_reason(const std::string& reason) {
  if (reason.size() <= kMaxReasonBytes) return reason;
  std::size_t end = kMaxReasonBytes;
  while (end > 0 && (static_cast<unsigned char>(reason[end]) & 0xC0) == 0x80) --end;
  return reason.substr(0, end);
}

// Zeroes what a message holds of shares (values, seed) before it goes.
void wipe_secrets(Message& m) {
  crypto::wipe(m.values);
  crypto::wipe(m.seed.data(), m.seed.size());
}

}  // namespace

AggregationJob::AggregationJob(JobParams params, std::vector<crypto::Fp> input,
                               crypto::RandomSource& rng)
    : params_(std::move(params)), input_(std::move(input)), rng_(rng) {
  validate(params_.federation);
  validate(params_.policy);
  const FederationDef& fed = params_.federation;
  const std::size_t n = fed.parties.size();
  if (params_.self >= n) {
    throw ProtocolError(ErrorKind::kInvalidArgument, "party index " + std::to_string(params_.self) +
                                                         " is outside the federation of " +
                                                         std::to_string(n) + " parties");
  }
  if (params_.job_id.empty() || params_.job_id.size() > kMaxJobIdBytes) {
    throw ProtocolError(ErrorKind::kInvalidArgument,
                        "job id must have 1 to " + std::to_string(kMaxJobIdBytes) + " bytes");
  }
  if (params_.descriptor.empty() || params_.descriptor.size() > kMaxDescriptorBytes) {
    throw ProtocolError(
        ErrorKind::kInvalidArgument,
        "job descriptor must have 1 to " + std::to_string(kMaxDescriptorBytes) + " bytes");
  }

  compute_ = compute_parties(fed);
  compute_pos_.assign(n, -1);
  for (std::size_t k = 0; k < compute_.size(); ++k) compute_pos_[compute_[k]] = static_cast<int>(k);
  input_role_.assign(n, false);
  output_role_.assign(n, false);
  const std::vector<PartyIndex> inputs = input_parties(fed);
  for (PartyIndex i : inputs) input_role_[i] = true;
  for (PartyIndex i : output_parties(fed)) output_role_[i] = true;
  is_input_ = input_role_[params_.self];
  is_output_ = output_role_[params_.self];
  threshold_ = reconstruction_threshold(fed);
  shamir_ = fed.threshold != 0;
  bool inputs_compute = true;
  for (PartyIndex i : inputs) {
    inputs_compute = inputs_compute && compute_pos_[i] >= 0;
    input_mask_ |= bit(i);
  }
  tolerant_ = shamir_ || !inputs_compute;
  // A Byzantine quorum (aggregation_job.hpp, "Dropouts"): any two share t
  // compute parties. Additive sharing needs all of them (t = n_c).
  quorum_ = tolerant_ ? (compute_.size() + threshold_ + 1) / 2 : compute_.size();
  bool blind_compute =
      false;  // a compute party that neither supplies an input nor learns the result
  for (std::size_t j = 0; j < n; ++j) {
    vouching_ = vouching_ || ((compute_pos_[j] >= 0) != output_role_[j]);
    blind_compute = blind_compute || (compute_pos_[j] >= 0 && !input_role_[j] && !output_role_[j]);
  }
  mac_ = !shamir_ && blind_compute;

  width_ = params_.width != 0 ? params_.width : input_.size();
  if (width_ == 0 || width_ > kMaxValues) {
    throw ProtocolError(ErrorKind::kInvalidArgument,
                        "job input must have 1 to " + std::to_string(kMaxValues) + " values");
  }
  if (is_input_ && input_.size() != width_) {
    throw ProtocolError(ErrorKind::kInvalidArgument,
                        "an input party's input must have " + std::to_string(width_) + " values");
  }
  if (!is_input_ && !input_.empty()) {
    throw ProtocolError(ErrorKind::kInvalidArgument, "party \"" + fed.parties[params_.self] +
                                                         "\" supplies no input in federation \"" +
                                                         fed.name + "\"");
  }
  if (params_.count_index && *params_.count_index >= width_) {
    throw ProtocolError(ErrorKind::kInvalidArgument, "the row count index is outside the input");
  }
  if (params_.cells != 0) {
    if (params_.count_index || params_.cell_width == 0 ||
        params_.cell_count >= params_.cell_width || params_.cells * params_.cell_width != width_) {
      throw ProtocolError(ErrorKind::kInvalidArgument,
                          "the cells of a grouped job must fill its input, each with a row count");
    }
  } else if (params_.policy.min_rows > 0 && !params_.count_index) {
    throw ProtocolError(ErrorKind::kInvalidArgument,
                        "a minimum row count needs the row count in the job input");
  }
  check_admits(fed, params_.policy);
  if (!params_.noise_exponent.empty()) {
    if (params_.noise_exponent.size() != width_) {
      throw ProtocolError(ErrorKind::kInvalidArgument,
                          "the noise must name one parameter per value");
    }
    const std::uint32_t parts = noise_parts(fed, params_.policy);
    for (std::size_t k = 0; is_input_ && k < width_; ++k) {
      if (params_.noise_exponent[k] > 0) {
        input_[k] = add_noise_share(
            input_[k], crypto::laplace_noise_share(rng_, params_.noise_exponent[k], parts), fed);
      }
    }
  }

  fingerprint_ = fingerprint(fed);
  policy_fingerprint_ = fingerprint(params_.policy);
  for (std::size_t k = 0; k < width_; ++k) {
    const bool count = params_.cells != 0 ? k % params_.cell_width == params_.cell_count
                                          : params_.count_index && k == *params_.count_index;
    if (params_.policy.min_rows > 0 && count) {
      gated_.push_back(k);
    } else {
      rest_.push_back(k);
    }
  }
  // The salt and the MAC tags follow the caller's values; all are opened
  // in the partial round, to output parties only.
  wide_ = width_;
  if (vouching_) rest_.push_back(wide_++);
  if (mac_) {
    mac_per_cell_ = params_.cells != 0 && params_.policy.min_rows > 0;
    mac_groups_ = (gated_.empty() ? 0 : 1) + (mac_per_cell_ ? params_.cells : 1);
    first_tag_ = wide_;
    for (std::size_t g = 0; g < mac_groups_; ++g) rest_.push_back(wide_++);
    if (wide_ > kMaxValues) {
      throw ProtocolError(ErrorKind::kInvalidArgument,
                          "the job's values with their integrity checks (" + std::to_string(wide_) +
                              ") exceed the limit of " + std::to_string(kMaxValues));
    }
    if (is_compute(params_.self)) key_part_ = crypto::random_element(rng_);
  }
  if (mac_) phases_.push_back(MessageType::kKey);
  phases_.push_back(MessageType::kShare);
  if (tolerant_) {
    phases_.push_back(MessageType::kRoster);
    phases_.push_back(MessageType::kAgree);
  }
  if (!gated_.empty()) phases_.push_back(MessageType::kCount);
  if (!rest_.empty()) phases_.push_back(MessageType::kPartial);
  phases_.push_back(MessageType::kConfirm);
  if (vouching_) phases_.push_back(MessageType::kVouch);

  keys_.resize(n);
  shares_.resize(n);
  rosters_.resize(n);
  agrees_.resize(n);
  counts_.resize(n);
  partials_.resize(n);
  confirms_.resize(n);
  vouches_.resize(n);
  nonces_.resize(n);
  dropped_.assign(n, false);
  unreachable_.assign(n, false);
  drop_reason_.resize(n);
  early_.resize(n);
  dead_.resize(n);
  seen_.resize(n);
  dead_reason_.resize(n);
  acked_.assign(n, false);
  rng_.fill(nonce_.data(), nonce_.size());
}

// Nothing of the input, the shares, the sums or the key stays behind in
// freed memory.
AggregationJob::~AggregationJob() {
  crypto::wipe(input_);
  crypto::wipe(own_share_);
  crypto::wipe(held_);
  crypto::wipe(result_);
  crypto::wipe(gated_open_);
  crypto::wipe(&key_part_, sizeof key_part_);
  crypto::wipe(&key_, sizeof key_);
  for (Slots* s : {&shares_, &counts_, &partials_}) {
    for (std::optional<Message>& m : *s) {
      if (m) wipe_secrets(*m);
    }
  }
  for (std::vector<Message>& held : early_) {
    for (Message& m : held) wipe_secrets(m);
  }
}

// The fields every message of this job carries.
Message AggregationJob::header(MessageType type, std::uint16_t to) const {
  Message m;
  m.type = type;
  m.federation = params_.federation.name;
  m.job_id = params_.job_id;
  m.sender = params_.self;
  m.receiver = to;
  m.nonce = nonce_;
  m.fingerprint = fingerprint_;
  m.policy = policy_fingerprint_;
  m.descriptor = params_.descriptor;
  return m;
}

AggregationJob::Slots& AggregationJob::slots(MessageType type) {
  return const_cast<Slots&>(static_cast<const AggregationJob*>(this)->slots(type));
}

const AggregationJob::Slots& AggregationJob::slots(MessageType type) const {
  switch (type) {
    case MessageType::kKey:
      return keys_;
    case MessageType::kShare:
      return shares_;
    case MessageType::kRoster:
      return rosters_;
    case MessageType::kAgree:
      return agrees_;
    case MessageType::kCount:
      return counts_;
    case MessageType::kPartial:
      return partials_;
    case MessageType::kConfirm:
      return confirms_;
    case MessageType::kVouch:
      return vouches_;
    case MessageType::kAbort:
    case MessageType::kRequest:
    case MessageType::kBlinded:
    case MessageType::kSealedSum:
      break;
  }
  throw std::logic_error("no slots for abort messages");
}

MessageType AggregationJob::current() const {
  return phases_[static_cast<std::size_t>(phase_ == 0 ? 0 : phase_ - 1)];
}

// Number of values a message of `type` carries in this job.
std::size_t AggregationJob::expected_width(MessageType type) const {
  switch (type) {
    case MessageType::kKey:
      return 1;
    case MessageType::kShare:
      return wide_;
    case MessageType::kCount:
      return gated_.size();
    case MessageType::kPartial:
      return rest_.size();
    default:
      return 0;
  }
}

std::vector<std::uint16_t> AggregationJob::expected(MessageType type) const {
  std::vector<std::uint16_t> out;
  for (std::size_t j = 0; j < params_.federation.parties.size(); ++j) {
    const auto sender = static_cast<std::uint16_t>(j);
    if (j != params_.self && !dropped_[j] && sends_to_me(sender, type)) out.push_back(sender);
  }
  return out;
}

// Who sends what to whom; see the rounds in aggregation_job.hpp.
bool AggregationJob::sends_to_me(std::uint16_t sender, MessageType type) const {
  const std::uint16_t self = params_.self;
  switch (type) {
    case MessageType::kKey:
      return is_compute(sender) && (is_input_ || is_output_);
    case MessageType::kShare:
      return input_role_[sender] && is_compute(self);
    case MessageType::kRoster:
    case MessageType::kAgree:
      return is_compute(sender) && is_compute(self);
    case MessageType::kCount:
      return is_compute(sender) && (is_compute(self) || is_output_);
    case MessageType::kPartial:
      return is_compute(sender) && is_output_;
    case MessageType::kConfirm:
      return vouching_ ? output_role_[sender] && is_compute(self)
                       : is_compute(sender) && is_compute(self);
    case MessageType::kVouch:
      return is_compute(sender) && is_output_;
    case MessageType::kAbort:
    case MessageType::kRequest:
    case MessageType::kBlinded:
    case MessageType::kSealedSum:
      break;
  }
  return false;
}

bool AggregationJob::sends_to(std::uint16_t to, MessageType type) const {
  const std::uint16_t self = params_.self;
  switch (type) {
    case MessageType::kKey:
      return is_compute(self) && (input_role_[to] || output_role_[to]);
    case MessageType::kShare:
      return is_input_ && is_compute(to);
    case MessageType::kRoster:
    case MessageType::kAgree:
      return is_compute(self) && is_compute(to);
    case MessageType::kCount:
      return is_compute(self) && (is_compute(to) || output_role_[to]);
    case MessageType::kPartial:
      return is_compute(self) && output_role_[to];
    case MessageType::kConfirm:
      return vouching_ ? is_output_ && is_compute(to) : is_compute(self) && is_compute(to);
    case MessageType::kVouch:
      return is_compute(self) && output_role_[to];
    case MessageType::kAbort:
    case MessageType::kRequest:
    case MessageType::kBlinded:
    case MessageType::kSealedSum:
      break;
  }
  return false;
}

bool AggregationJob::complete(MessageType type) const {
  const Slots& s = slots(type);
  for (std::uint16_t j : expected(type)) {
    if (!s[j]) return false;
  }
  return true;
}

std::size_t AggregationJob::live_compute() const {
  std::size_t live = 0;
  for (std::uint16_t c : compute_) live += dropped_[c] ? 0 : 1;
  return live;
}

std::vector<std::uint16_t> AggregationJob::partners() const {
  std::vector<std::uint16_t> out;
  for (std::size_t j = 0; j < params_.federation.parties.size(); ++j) {
    if (j != params_.self) out.push_back(static_cast<std::uint16_t>(j));
  }
  return out;
}

void AggregationJob::discard_run(const Message& abort) {
  if (phase_ != 0) throw std::logic_error("AggregationJob::discard_run() after start()");
  const FederationDef& fed = params_.federation;
  if (abort.type != MessageType::kAbort || abort.federation != fed.name ||
      abort.job_id != params_.job_id || abort.receiver != params_.self ||
      abort.sender >= fed.parties.size() || abort.sender == params_.self) {
    throw ProtocolError(ErrorKind::kMalformed, "not an abort of this job from a partner");
  }
  std::vector<Nonce>& dead = dead_[abort.sender];
  // Bounded like early messages: a partner's aborted attempts are few.
  if (std::find(dead.begin(), dead.end(), abort.nonce) == dead.end() &&
      dead.size() < kMaxEarlyMessages) {
    dead.push_back(abort.nonce);
  }
  dead_reason_[abort.sender] = abort.reason.empty() ? "no reason was given" : abort.reason;
}

std::vector<Nonce> AggregationJob::runs_of(std::uint16_t party) const {
  std::vector<Nonce> out;
  if (party >= dead_.size() || party == params_.self) return out;
  if (nonces_[party]) out.push_back(*nonces_[party]);
  for (const auto* runs : {&seen_[party], &dead_[party]}) {
    for (const Nonce& n : *runs) {
      if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
    }
  }
  return out;
}

void AggregationJob::forget_run(std::uint16_t party, const Nonce& nonce) {
  if (phase_ != 0) throw std::logic_error("AggregationJob::forget_run() after start()");
  if (party >= dead_.size() || party == params_.self) {
    throw ProtocolError(ErrorKind::kMalformed, "not a partner of this job");
  }
  std::vector<Nonce>& dead = dead_[party];
  // Bounded like the aborts of dead runs: the oldest run is let go first.
  if (std::find(dead.begin(), dead.end(), nonce) != dead.end()) return;
  if (dead.size() >= kMaxEarlyMessages) dead.erase(dead.begin());
  dead.push_back(nonce);
}

std::string AggregationJob::dead_runs() const {
  std::string out;
  for (std::size_t j = 0; j < dead_.size(); ++j) {
    // (Runs forgotten with forget_run() have no reason: nobody aborted them.)
    if (dead_[j].empty() || dead_reason_[j].empty()) continue;
    if (!out.empty()) out += " ";
    out += "Party " + params_.federation.parties[j] +
           " aborted the job before this party started it: " + dead_reason_[j] + ".";
  }
  return out;
}

void AggregationJob::add_to_input(std::size_t k, crypto::Fp v) {
  if (phase_ != 0 || !is_input_ || k >= input_.size()) {
    throw std::logic_error("AggregationJob::add_to_input() after start() or outside the input");
  }
  input_[k] += v;
}

std::vector<Outgoing> AggregationJob::start() {
  if (phase_ != 0) throw std::logic_error("AggregationJob::start() called twice");
  std::vector<Outgoing> out;
  phase_ = 1;
  send_round(current(), out);
  // Messages that arrived before start() may already complete rounds.
  std::vector<Outgoing> more = advance();
  for (Outgoing& o : more) out.push_back(std::move(o));
  return out;
}

const std::vector<crypto::Fp>& AggregationJob::result() const {
  if (!finished_) throw std::logic_error("AggregationJob::result() before the job finished");
  if (refusal_) throw *refusal_;
  if (!is_output_) throw std::logic_error("AggregationJob::result() at a party without output");
  return result_;
}

std::vector<std::uint16_t> AggregationJob::covered() const {
  std::vector<std::uint16_t> out;
  for (std::size_t i = 0; i < input_role_.size(); ++i) {
    if (included_ & bit(i)) out.push_back(static_cast<std::uint16_t>(i));
  }
  return out;
}

std::vector<std::string> AggregationJob::dropouts() const {
  std::vector<std::string> out;
  for (std::size_t j = 0; j < dropped_.size(); ++j) {
    if (dropped_[j] || unreachable_[j]) {
      out.push_back("party " + params_.federation.parties[j] + ": " + drop_reason_[j]);
    }
  }
  return out;
}

std::string AggregationJob::round_name(MessageType t) const {
  for (std::size_t i = 0; i < phases_.size(); ++i) {
    if (phases_[i] == t) {
      return "round " + std::to_string(i + 1) + " (" + type_name(t) + ")";
    }
  }
  return type_name(t);
}

std::vector<std::uint16_t> AggregationJob::missing() const {
  std::vector<std::uint16_t> out;
  if (finished_) return out;
  const MessageType now = current();
  const Slots& s = slots(now);
  for (std::uint16_t j : expected(now)) {
    if (!s[j]) out.push_back(j);
  }
  return out;
}

std::string AggregationJob::describe_missing() const {
  std::vector<std::uint16_t> parties = missing();
  if (parties.empty()) return {};
  std::string out = round_name(current()) + " from ";
  for (std::size_t i = 0; i < parties.size(); ++i) {
    if (i > 0) out += ", ";
    out += "party " + params_.federation.parties[parties[i]];
  }
  return out;
}

Message AggregationJob::abort_message(std::uint16_t to, const std::string& reason,
                                      bool fatal) const {
  Message m = header(MessageType::kAbort, to);
  m.reason = truncate_reason(reason);
  m.refused = refusal_.has_value();
  m.fatal = fatal && !m.refused;
  // Before start() this run sent nothing: the abort is all of it.
  m.withdrawn = phase_ == 0;
  return m;
}

}  // namespace smpc::protocol
