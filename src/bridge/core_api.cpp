// Exception-free wrappers over the C++ core; see core_api.hpp.
#include "bridge/core_api.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "crypto/hash.hpp"
#include "crypto/int128_text.hpp"
#include "crypto/random.hpp"
#include "crypto/share_text.hpp"
#include "crypto/sharing.hpp"
#include "crypto/wipe.hpp"
#include "protocol/aggregation_job.hpp"
#include "protocol/federation.hpp"
#include "protocol/message.hpp"
#include "protocol/noise_plan.hpp"
#include "protocol/protocol_error.hpp"
#include "protocol/release_policy.hpp"
#include "protocol/set_job.hpp"

using smpc::crypto::Fp;
using smpc::protocol::ErrorKind;
using smpc::protocol::ProtocolError;

struct SmpcJob {
  smpc::crypto::OpenSslRandom rng;
  // An aggregation job (owned here), or a set job's release job (owned by
  // `set`): what every call that is not about the set's ring works on.
  std::unique_ptr<smpc::protocol::AggregationJob> own;
  smpc::protocol::AggregationJob* job = nullptr;
  std::unique_ptr<smpc::protocol::SetJob> set;
  std::vector<std::pair<int, std::vector<std::uint8_t>>> outbox;
};

namespace {

void copy_text(char* dst, std::size_t cap, const std::string& src) {
  std::size_t n = src.size() < cap - 1 ? src.size() : cap - 1;
  std::memcpy(dst, src.data(), n);
  dst[n] = '\0';
}

void set_status(SmpcStatus* st, int kind, const std::string& msg, const std::string& detail = {},
                const std::string& hint = {}) {
  st->kind = kind;
  copy_text(st->message, sizeof st->message, msg);
  copy_text(st->detail, sizeof st->detail, detail);
  copy_text(st->hint, sizeof st->hint, hint);
}

int kind_of(ErrorKind k) {
  switch (k) {
    case ErrorKind::kMalformed:
      return SMPC_MALFORMED;
    case ErrorKind::kInvalidArgument:
      return SMPC_INVALID_ARGUMENT;
    case ErrorKind::kFederationMismatch:
      return SMPC_FEDERATION_MISMATCH;
    case ErrorKind::kJobMismatch:
      return SMPC_JOB_MISMATCH;
    case ErrorKind::kInconsistent:
      return SMPC_INCONSISTENT;
    case ErrorKind::kAborted:
      return SMPC_ABORTED;
    case ErrorKind::kRange:
      return SMPC_RANGE;
    case ErrorKind::kRefused:
      return SMPC_REFUSED;
    case ErrorKind::kPolicyMismatch:
      return SMPC_POLICY_MISMATCH;
    case ErrorKind::kTooFewParties:
      return SMPC_TOO_FEW_PARTIES;
    case ErrorKind::kInterrupted:
      return SMPC_INTERRUPTED;
  }
  return SMPC_INTERNAL;
}

// The core's fault for an SmpcFault; none for the glue's own (the pauses)
// and for any other number.
smpc::protocol::Fault core_fault(int fault) {
  using smpc::protocol::Fault;
  switch (fault) {
    case SMPC_FAULT_EQUIVOCATE_PARTIAL:
      return Fault::kEquivocatePartial;
    case SMPC_FAULT_WRONG_CONFIRM:
      return Fault::kWrongConfirm;
    case SMPC_FAULT_EQUIVOCATE_SHARE:
      return Fault::kEquivocateShare;
    case SMPC_FAULT_EQUIVOCATE_COUNT:
      return Fault::kEquivocateCount;
    case SMPC_FAULT_WRONG_PARTIAL:
      return Fault::kWrongPartial;
    case SMPC_FAULT_ABORT_AFTER_OPEN:
      return Fault::kAbortAfterOpen;
    case SMPC_FAULT_EQUIVOCATE_KEY:
      return Fault::kEquivocateKey;
    case SMPC_FAULT_REPEAT_BLINDED:
      return Fault::kRepeatBlinded;
    case SMPC_FAULT_DROP_BLINDED:
      return Fault::kDropBlinded;
    default:
      return Fault::kNone;
  }
}

// Runs f, turning every exception into a status. Returns true on success.
template <typename F>
bool guarded(SmpcStatus* st, F&& f) noexcept {
  st->kind = SMPC_OK;
  st->message[0] = st->detail[0] = st->hint[0] = '\0';
  try {
    f();
    return true;
  } catch (const ProtocolError& e) {
    set_status(st, kind_of(e.kind()), e.what(), e.detail(), e.hint());
  } catch (const smpc::crypto::RangeError& e) {
    set_status(st, SMPC_RANGE, e.what());
  } catch (const smpc::crypto::SharingError& e) {
    set_status(st, SMPC_INVALID_ARGUMENT, e.what());
  } catch (const std::bad_alloc&) {
    set_status(st, SMPC_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception& e) {
    set_status(st, SMPC_INTERNAL, std::string("internal error: ") + e.what());
  } catch (...) {
    set_status(st, SMPC_INTERNAL, "internal error: unknown exception");
  }
  return false;
}

std::vector<smpc::protocol::PartyIndex> to_role(const int* list, int n) {
  std::vector<smpc::protocol::PartyIndex> role;
  for (int i = 0; i < n; i++) {
    if (list[i] < 0 || list[i] > 0xFFFF)
      throw ProtocolError(ErrorKind::kInvalidArgument, "a role names an invalid party index");
    role.push_back(static_cast<smpc::protocol::PartyIndex>(list[i]));
  }
  return role;
}

smpc::protocol::FederationDef to_def(const SmpcFederation* fed) {
  smpc::protocol::FederationDef def;
  def.name = fed->name;
  for (int i = 0; i < fed->nparties; i++) def.parties.emplace_back(fed->parties[i]);
  def.scale = fed->scale;
  if (fed->threshold < 0)
    throw ProtocolError(ErrorKind::kInvalidArgument, "threshold must not be negative");
  def.threshold = static_cast<std::uint32_t>(fed->threshold);
  def.compute = to_role(fed->compute, fed->ncompute);
  def.inputs = to_role(fed->inputs, fed->ninputs);
  def.outputs = to_role(fed->outputs, fed->noutputs);
  smpc::protocol::normalize(def);
  return def;
}

smpc::protocol::ReleasePolicy to_policy(const SmpcPolicy* p) {
  smpc::protocol::ReleasePolicy policy;
  policy.min_parties = static_cast<std::uint32_t>(p->min_parties);
  policy.min_rows = p->min_rows;
  policy.overlap_pairs = p->overlap_pairs;
  if (p->has_bounds) {
    smpc::protocol::ClipBounds b;
    b.lo = p->lo;
    b.hi = p->hi;
    b.scale = p->scale;
    b.reject = p->reject;
    policy.bounds = b;
  }
  smpc::protocol::validate(policy);
  return policy;
}

// Encodes the job's answers into the outbox; the decoded copies (which may
// hold shares) are wiped.
void fill_outbox(SmpcJob* job, std::vector<smpc::protocol::Outgoing>&& out) {
  for (auto& o : out) {
    job->outbox.emplace_back(o.to, smpc::protocol::encode(o.message));
    smpc::crypto::wipe(o.message.values);
    smpc::crypto::wipe(o.message.seed.data(), o.message.seed.size());
  }
}

// Empties the outbox, wiping the encoded messages (shares among them).
void clear_outbox(SmpcJob* job) {
  for (auto& item : job->outbox) smpc::crypto::wipe(item.second);
  job->outbox.clear();
}

}  // namespace

extern "C" {

bool smpc_job_key(const char* federation, const char* job_id, std::size_t job_id_len,
                  std::uint8_t out[32], SmpcStatus* st) noexcept {
  return guarded(st, [&] {
    smpc::crypto::Sha256 h;
    h.update_field("smpc-job-key-v1");
    h.update_field(federation);
    h.update_field(std::string_view(job_id, job_id_len));
    auto d = h.finish();
    std::memcpy(out, d.data(), d.size());
  });
}

bool smpc_federation_check(const SmpcFederation* fed, char hex_out[65], SmpcStatus* st) noexcept {
  return guarded(st, [&] {
    auto def = to_def(fed);
    smpc::protocol::validate(def);
    copy_text(hex_out, 65, smpc::crypto::to_hex(smpc::protocol::fingerprint(def)));
  });
}

bool smpc_message_inspect(const std::uint8_t* data, std::size_t len, SmpcMessageInfo* info,
                          SmpcStatus* st) noexcept {
  return guarded(st, [&] {
    auto m = smpc::protocol::decode(data, len, smpc::protocol::Values::kCheck);
    info->type = static_cast<int>(m.type);
    info->sender = m.sender;
    info->receiver = m.receiver;
    copy_text(info->federation, sizeof info->federation, m.federation);
    std::memcpy(info->nonce, m.nonce.data(), m.nonce.size());
    std::memcpy(info->fingerprint, m.fingerprint.data(), m.fingerprint.size());
    info->job_id_len = m.job_id.size();
    // Layout (message.hpp): magic 4, version 1, type 1, federation u8 length
    // + bytes, job id u16 length + bytes.
    info->job_id_offset = 4 + 1 + 1 + 1 + m.federation.size() + 2;
    SmpcStatus inner;
    if (!smpc_job_key(m.federation.c_str(), m.job_id.data(), m.job_id.size(), info->job_key,
                      &inner))
      throw std::runtime_error(inner.message);
  });
}

bool smpc_message_check_federation(const std::uint8_t* data, std::size_t len,
                                   const SmpcMessageInfo* info, const SmpcFederation* local,
                                   SmpcStatus* st) noexcept {
  return guarded(st, [&] {
    auto here = to_def(local);
    const auto ours = smpc::protocol::fingerprint(here);
    if (std::memcmp(info->fingerprint, ours.data(), ours.size()) == 0) return;
    auto m = smpc::protocol::decode(data, len, smpc::protocol::Values::kCheck);
    // Name the sender by its own definition when it sent one: with a
    // different party order, our index would name the wrong party.
    std::string sender = "a partner";
    std::string detail;
    if (m.type == smpc::protocol::MessageType::kShare) {
      try {
        auto theirs = smpc::protocol::parse_canonical(m.definition);
        if (m.sender < theirs.parties.size()) sender = "party " + theirs.parties[m.sender];
        detail = smpc::protocol::describe_difference(here, theirs);
      } catch (const ProtocolError&) {
        detail = "The partner's definition could not be read.";
      }
    }
    throw ProtocolError(ErrorKind::kFederationMismatch,
                        "federation \"" + here.name + "\" is defined differently at " + sender +
                            " and at party " + here.parties[local->self],
                        detail.empty() ? detail : "Differences: " + detail + ".",
                        "Every party must register the same federation with "
                        "smpc.create_federation(); compare smpc.federation_fingerprint().");
  });
}

bool smpc_test_message(const SmpcFederation* fed, const char* job_id, int sender, int receiver,
                       int type, std::uint8_t** out, std::size_t* out_len,
                       SmpcStatus* st) noexcept {
  *out = nullptr;
  return guarded(st, [&] {
    auto def = to_def(fed);
    smpc::protocol::Message m;
    if (type < SMPC_MSG_SHARE || type > SMPC_MSG_VOUCH)
      throw ProtocolError(ErrorKind::kInvalidArgument, "unknown type");
    m.type = static_cast<smpc::protocol::MessageType>(type);
    m.federation = def.name;
    m.job_id = job_id;
    m.sender = static_cast<std::uint16_t>(sender);
    m.receiver = static_cast<std::uint16_t>(receiver);
    m.fingerprint = smpc::protocol::fingerprint(def);
    m.descriptor = "sum(integer)";
    const smpc::protocol::ReleasePolicy policy;  // the default policy
    m.policy = smpc::protocol::fingerprint(policy);
    if (m.type == smpc::protocol::MessageType::kShare) {
      m.definition = smpc::protocol::canonical_text(def);
      m.policy_text = smpc::protocol::canonical_text(policy);
    }
    if (m.type == smpc::protocol::MessageType::kShare ||
        m.type == smpc::protocol::MessageType::kPartial ||
        m.type == smpc::protocol::MessageType::kCount)
      m.values.assign(1, Fp());
    if (m.type == smpc::protocol::MessageType::kAbort) m.reason = "test";
    auto bytes = smpc::protocol::encode(m);
    auto* p = static_cast<std::uint8_t*>(std::malloc(bytes.size()));
    if (!p) throw std::bad_alloc();
    std::memcpy(p, bytes.data(), bytes.size());
    *out = p;
    *out_len = bytes.size();
  });
}

const char* smpc_message_type_name(int type) noexcept {
  if (type < SMPC_MSG_FIRST || type > SMPC_MSG_LAST) return "unknown";
  return smpc::protocol::type_name(static_cast<smpc::protocol::MessageType>(type));
}

int smpc_message_type_of(const char* name) noexcept {
  for (int t = SMPC_MSG_FIRST; name != nullptr && t <= SMPC_MSG_LAST; ++t) {
    if (std::strcmp(name, smpc_message_type_name(t)) == 0) return t;
  }
  return 0;
}

int smpc_message_type(const std::uint8_t* data, std::size_t len, int* type_out) noexcept {
  if (type_out == nullptr) return SMPC_INVALID_ARGUMENT;
  *type_out = 0;
  if (data == nullptr) return SMPC_INVALID_ARGUMENT;
  try {
    *type_out = static_cast<int>(smpc::protocol::peek_type(data, len));
    return SMPC_OK;
  } catch (const ProtocolError& e) {
    return kind_of(e.kind());
  } catch (...) {
    return SMPC_INTERNAL;
  }
}

bool smpc_request_message(const SmpcFederation* fed, const char* job_id, int receiver,
                          const SmpcRequest* req, std::uint8_t** out, std::size_t* out_len,
                          SmpcStatus* st) noexcept {
  *out = nullptr;
  return guarded(st, [&] {
    auto def = to_def(fed);
    smpc::protocol::Message m;
    m.type = smpc::protocol::MessageType::kRequest;
    m.federation = def.name;
    m.job_id = job_id;
    m.sender = static_cast<std::uint16_t>(fed->self);
    m.receiver = static_cast<std::uint16_t>(receiver);
    std::memcpy(m.nonce.data(), req->nonce, m.nonce.size());
    m.fingerprint = smpc::protocol::fingerprint(def);
    m.descriptor = req->descriptor;
    m.dataset = req->dataset;
    m.column = req->column;
    if (req->stage < 1 || req->stage > 4)
      throw ProtocolError(ErrorKind::kInvalidArgument, "unknown request stage");
    m.stage = static_cast<smpc::protocol::RequestStage>(req->stage);
    if (m.stage == smpc::protocol::RequestStage::kFailed) {
      m.refused = req->refused;
      m.reason = req->reason;
    }
    auto bytes = smpc::protocol::encode(m);
    auto* p = static_cast<std::uint8_t*>(std::malloc(bytes.size()));
    if (!p) throw std::bad_alloc();
    std::memcpy(p, bytes.data(), bytes.size());
    *out = p;
    *out_len = bytes.size();
  });
}

bool smpc_request_read(const std::uint8_t* data, std::size_t len, SmpcRequest* out,
                       SmpcStatus* st) noexcept {
  return guarded(st, [&] {
    auto m = smpc::protocol::decode(data, len);
    if (m.type != smpc::protocol::MessageType::kRequest)
      throw ProtocolError(ErrorKind::kMalformed, "message is not a request");
    if (m.descriptor.size() >= sizeof out->descriptor)
      throw ProtocolError(ErrorKind::kMalformed, "request names an unknown job");
    copy_text(out->descriptor, sizeof out->descriptor, m.descriptor);
    copy_text(out->dataset, sizeof out->dataset, m.dataset);
    copy_text(out->column, sizeof out->column, m.column);
    out->stage = static_cast<int>(m.stage);
    std::memcpy(out->nonce, m.nonce.data(), m.nonce.size());
    out->refused = m.refused;
    copy_text(out->reason, sizeof out->reason, m.reason);
  });
}

void smpc_sha256_hex(const void* data, std::size_t len, char hex_out[65]) noexcept {
  try {
    smpc::crypto::Sha256 h;
    h.update(static_cast<const std::uint8_t*>(data), len);
    copy_text(hex_out, 65, smpc::crypto::to_hex(h.finish()));
  } catch (...) {
    copy_text(hex_out, 65, "");
  }
}

void smpc_free_bytes(std::uint8_t* p) noexcept { std::free(p); }

bool smpc_policy_describe(const SmpcPolicy* policy, char* buf, std::size_t len,
                          SmpcStatus* st) noexcept {
  return guarded(st, [&] { copy_text(buf, len, smpc::protocol::describe(to_policy(policy))); });
}

SmpcJob* smpc_job_new(const SmpcFederation* fed, const char* job_id, std::size_t job_id_len,
                      const char* descriptor, const SmpcPolicy* policy, const SmpcJobShape* shape,
                      const void* inputs, SmpcStatus* st) noexcept {
  SmpcJob* result = nullptr;
  guarded(st, [&] {
    auto job = std::make_unique<SmpcJob>();
    smpc::protocol::JobParams params;
    params.federation = to_def(fed);
    params.self = static_cast<std::uint16_t>(fed->self);
    params.job_id.assign(job_id, job_id_len);
    params.descriptor = descriptor;
    params.policy = to_policy(policy);
    if (shape->count_index >= 0) params.count_index = static_cast<std::size_t>(shape->count_index);
    if (shape->width <= 0 || shape->cells < 0 || shape->cell_width < 0 || shape->cell_count < 0)
      throw smpc::protocol::ProtocolError(smpc::protocol::ErrorKind::kInvalidArgument,
                                          "invalid job shape");
    params.width = static_cast<std::size_t>(shape->width);
    params.cells = static_cast<std::size_t>(shape->cells);
    params.cell_width = static_cast<std::size_t>(shape->cell_width);
    params.cell_count = static_cast<std::size_t>(shape->cell_count);
    if (shape->noise_exponent != nullptr)
      params.noise_exponent.assign(shape->noise_exponent, shape->noise_exponent + shape->width);
    const std::size_t summands = smpc::protocol::input_parties(params.federation).size();
    std::vector<Fp> values;
    const auto* bytes = static_cast<const unsigned char*>(inputs);
    if (inputs != nullptr) {
      const smpc::crypto::SummandEncoder as_summand(summands);
      // Reserved: no blocks holding inputs are freed while it grows.
      values.reserve(static_cast<std::size_t>(shape->width));
      try {
        for (int i = 0; i < shape->width; i++) {
          __int128 v;
          std::memcpy(&v, bytes + sizeof v * static_cast<std::size_t>(i), sizeof v);
          values.push_back(as_summand(v));
        }
      } catch (...) {
        smpc::crypto::wipe(values);  // (a value out of range: the ones before it)
        throw;
      }
    }
    job->own = std::make_unique<smpc::protocol::AggregationJob>(std::move(params),
                                                                std::move(values), job->rng);
    job->job = job->own.get();
    result = job.release();
  });
  return result;
}

SmpcJob* smpc_set_job_new(const SmpcFederation* fed, const char* job_id, std::size_t job_id_len,
                          const char* descriptor, const SmpcPolicy* policy,
                          const double* noise_exponent, const std::uint8_t* keys, std::size_t nkeys,
                          std::size_t key_bytes, const std::uint32_t* group_sizes, int ngroups,
                          int at_least, int output, const std::uint64_t* values,
                          bool (*interrupted)(void), SmpcStatus* st) noexcept {
  SmpcJob* result = nullptr;
  guarded(st, [&] {
    auto job = std::make_unique<SmpcJob>();
    smpc::protocol::SetParams params;
    params.job.federation = to_def(fed);
    params.job.self = static_cast<std::uint16_t>(fed->self);
    params.job.job_id.assign(job_id, job_id_len);
    params.job.descriptor = descriptor;
    params.job.policy = to_policy(policy);
    if (ngroups < 0 || (ngroups > 0 && group_sizes == nullptr))
      throw smpc::protocol::ProtocolError(smpc::protocol::ErrorKind::kInvalidArgument,
                                          "invalid groups of a set job");
    if (output != SMPC_SET_COUNTS && output != SMPC_SET_SUM && output != SMPC_SET_PAIRS)
      throw smpc::protocol::ProtocolError(smpc::protocol::ErrorKind::kInvalidArgument,
                                          "invalid output of a set job");
    const bool sum = output == SMPC_SET_SUM;
    const std::size_t n = static_cast<std::size_t>(fed->nparties);
    const std::size_t cells = ngroups == 0 ? 1 : static_cast<std::size_t>(ngroups);
    const std::size_t width = sum ? 2 * cells : output == SMPC_SET_PAIRS ? n * (n - 1) / 2 : cells;
    params.groups = static_cast<std::size_t>(ngroups);
    params.job.width = width;
    params.sum = sum;
    params.pairs = output == SMPC_SET_PAIRS;
    if (sum && ngroups > 0) {
      // [sum, count] per group, each a cell that min_rows suppresses alone.
      params.job.cells = cells;
      params.job.cell_width = 2;
      params.job.cell_count = 1;
    } else if (sum) {
      // [sum, count]: min_rows judges the count.
      if (params.job.policy.min_rows > 0) params.job.count_index = 1;
    } else if (ngroups > 0 || params.pairs) {
      // One count per group (or pair), each a cell that min_rows suppresses alone.
      params.job.cells = width;
      params.job.cell_width = 1;
      params.job.cell_count = 0;
    } else if (params.job.policy.min_rows > 0) {
      params.job.count_index = 0;
    }
    if (noise_exponent != nullptr)
      params.job.noise_exponent.assign(noise_exponent, noise_exponent + width);
    if (at_least < 1)
      throw smpc::protocol::ProtocolError(smpc::protocol::ErrorKind::kInvalidArgument,
                                          "a set job counts keys held by at least one party");
    params.at_least = static_cast<std::size_t>(at_least);
    if (interrupted != nullptr) params.interrupted = interrupted;
    std::vector<std::string> own;
    own.reserve(nkeys);
    for (std::size_t i = 0; i < nkeys; ++i)
      own.emplace_back(reinterpret_cast<const char*>(keys) + i * key_bytes, key_bytes);
    std::vector<std::uint32_t> sizes;
    if (ngroups > 0) sizes.assign(group_sizes, group_sizes + ngroups);
    std::vector<std::uint64_t> own_values;
    if (values != nullptr) own_values.assign(values, values + nkeys);
    job->set = std::make_unique<smpc::protocol::SetJob>(std::move(params), std::move(own), job->rng,
                                                        std::move(sizes), std::move(own_values));
    job->job = &job->set->release();
    result = job.release();
  });
  return result;
}

std::size_t smpc_job_duplicates(const SmpcJob* job) noexcept {
  return job->set ? job->set->duplicates() : 0;
}

bool smpc_key_digest(const char* key_class, const void* data, std::size_t len,
                     std::uint8_t out[32]) noexcept {
  try {
    smpc::crypto::Sha256 h;
    h.update_field("smpc-key-v1");
    h.update_field(key_class);
    h.update_field(std::string_view(static_cast<const char*>(data), len));
    const auto d = h.finish();
    std::memcpy(out, d.data(), d.size());
    return true;
  } catch (...) {
    return false;
  }
}

void smpc_job_free(SmpcJob* job) noexcept {
  if (job != nullptr) clear_outbox(job);
  delete job;
}

bool smpc_federation_roles(const SmpcFederation* fed, int party, bool* is_input, bool* is_compute,
                           bool* is_output, SmpcStatus* st) noexcept {
  return guarded(st, [&] {
    auto def = to_def(fed);
    smpc::protocol::validate(def);
    auto has = [party](const std::vector<smpc::protocol::PartyIndex>& role) {
      for (auto i : role)
        if (i == party) return true;
      return false;
    };
    *is_input = has(smpc::protocol::input_parties(def));
    *is_compute = has(smpc::protocol::compute_parties(def));
    *is_output = has(smpc::protocol::output_parties(def));
  });
}

bool smpc_job_timeout(SmpcJob* job, SmpcStatus* st, bool* went_on) noexcept {
  *went_on = false;
  return guarded(st, [&] {
    std::vector<smpc::protocol::Outgoing> out;
    *went_on = job->set ? job->set->timeout(out) : job->job->timeout(out);
    fill_outbox(job, std::move(out));
  });
}

bool smpc_job_unreachable(SmpcJob* job, int party, const char* reason, bool* went_on,
                          SmpcStatus* st) noexcept {
  *went_on = false;
  return guarded(st, [&] {
    const auto p = static_cast<std::uint16_t>(party);
    *went_on = job->set ? job->set->unreachable(p, reason) : job->job->unreachable(p, reason);
  });
}

bool smpc_job_discard_run(SmpcJob* job, const std::uint8_t* data, std::size_t len,
                          SmpcStatus* st) noexcept {
  return guarded(st, [&] {
    auto m = smpc::protocol::decode(data, len);
    if (job->set)
      job->set->discard_run(m);
    else
      job->job->discard_run(m);
  });
}

void smpc_job_dead_runs(const SmpcJob* job, char* buf, std::size_t len) noexcept {
  try {
    copy_text(buf, len, job->job->dead_runs());
  } catch (...) {
    copy_text(buf, len, "");
  }
}

int smpc_job_runs_of(const SmpcJob* job, int party, std::uint8_t (*nonces)[16], int max) noexcept {
  try {
    if (party < 0 || party > 0xffff) return 0;
    const auto runs = job->job->runs_of(static_cast<std::uint16_t>(party));
    for (std::size_t i = 0; i < runs.size() && static_cast<int>(i) < max; ++i) {
      std::memcpy(nonces[i], runs[i].data(), 16);
    }
    return static_cast<int>(runs.size());
  } catch (...) {
    return 0;
  }
}

bool smpc_job_forget_run(SmpcJob* job, int party, const std::uint8_t* nonce,
                         SmpcStatus* st) noexcept {
  return guarded(st, [&] {
    if (party < 0 || party > 0xffff) {
      throw smpc::protocol::ProtocolError(smpc::protocol::ErrorKind::kMalformed,
                                          "not a partner of this job");
    }
    smpc::protocol::Nonce n{};
    std::memcpy(n.data(), nonce, n.size());
    if (job->set)
      job->set->forget_run(static_cast<std::uint16_t>(party), n);
    else
      job->job->forget_run(static_cast<std::uint16_t>(party), n);
  });
}

bool smpc_job_start(SmpcJob* job, SmpcStatus* st) noexcept {
  return guarded(st, [&] { fill_outbox(job, job->set ? job->set->start() : job->job->start()); });
}

bool smpc_job_receive(SmpcJob* job, const std::uint8_t* data, std::size_t len,
                      SmpcStatus* st) noexcept {
  return guarded(st, [&] {
    auto m = smpc::protocol::decode(data, len);
    fill_outbox(job, job->set ? job->set->receive(std::move(m)) : job->job->receive(std::move(m)));
  });
}

void smpc_job_set_fault(SmpcJob* job, int fault) noexcept {
  if (job->set)
    job->set->set_fault(core_fault(fault));
  else
    job->job->set_fault(core_fault(fault));
}

bool smpc_job_committed(const SmpcJob* job) noexcept {
  return job->set ? job->set->committed() : job->job->committed();
}

void smpc_job_acknowledged(SmpcJob* job, int party) noexcept {
  if (party >= 0) job->job->acknowledged(static_cast<std::uint16_t>(party));
}

bool smpc_job_verified(const SmpcJob* job) noexcept { return job->job->verified(); }

bool smpc_job_abort(SmpcJob* job, const char* reason, bool fatal, SmpcStatus* st) noexcept {
  return guarded(st, [&] {
    clear_outbox(job);
    for (std::uint16_t to : job->job->partners()) {
      auto m = job->job->abort_message(to, reason, fatal);
      job->outbox.emplace_back(static_cast<int>(to), smpc::protocol::encode(m));
    }
  });
}

int smpc_job_outbox_size(const SmpcJob* job) noexcept {
  return static_cast<int>(job->outbox.size());
}

void smpc_job_outbox_item(const SmpcJob* job, int i, int* to, const std::uint8_t** data,
                          std::size_t* len) noexcept {
  const auto& item = job->outbox[static_cast<std::size_t>(i)];
  *to = item.first;
  *data = item.second.data();
  *len = item.second.size();
}

void smpc_job_outbox_clear(SmpcJob* job) noexcept { clear_outbox(job); }

bool smpc_job_finished(const SmpcJob* job) noexcept { return job->job->finished(); }

bool smpc_job_refused(const SmpcJob* job, SmpcStatus* st) noexcept {
  const auto& refusal = job->job->refusal();
  if (!refusal) return false;
  try {
    set_status(st, kind_of(refusal->kind()), refusal->what(), refusal->detail(), refusal->hint());
  } catch (...) {
    // Out of memory while copying the texts: still a refusal, without them.
    st->kind = SMPC_REFUSED;
    std::snprintf(st->message, sizeof st->message, "%s", "the release policy refused the job");
    st->detail[0] = st->hint[0] = '\0';
  }
  return true;
}

int smpc_job_round(const SmpcJob* job) noexcept {
  return job->set ? job->set->round() : job->job->round();
}

int smpc_job_round_type(const SmpcJob* job) noexcept {
  if (job->job->finished() || smpc_job_round(job) == 0) return 0;
  return static_cast<int>(job->set ? job->set->current_round() : job->job->current_round());
}

void smpc_job_round_name(const SmpcJob* job, int type, char* buf, std::size_t len) noexcept {
  try {
    const auto t = static_cast<smpc::protocol::MessageType>(type);
    copy_text(buf, len, job->set ? job->set->round_name(t) : job->job->round_name(t));
  } catch (...) {
    copy_text(buf, len, "a round");
  }
}

bool smpc_job_has_result(const SmpcJob* job) noexcept { return job->job->has_result(); }

__int128 smpc_job_result(const SmpcJob* job, int i) noexcept {
  try {
    return job->job->result().at(static_cast<std::size_t>(i)).to_signed();
  } catch (...) {
    return 0;  // no result here (callers check smpc_job_has_result first)
  }
}

bool smpc_job_suppressed(const SmpcJob* job, int cell) noexcept {
  const std::vector<bool>& s = job->job->suppressed();
  return cell >= 0 && static_cast<std::size_t>(cell) < s.size() &&
         s[static_cast<std::size_t>(cell)];
}

std::uint64_t smpc_job_covered(const SmpcJob* job) noexcept {
  std::uint64_t mask = 0;
  try {
    for (auto i : job->job->covered()) mask |= std::uint64_t{1} << i;
  } catch (...) {
  }
  return mask;
}

void smpc_job_dropouts(const SmpcJob* job, char* buf, std::size_t len) noexcept {
  try {
    std::string out;
    for (const std::string& d : job->job->dropouts()) out += (out.empty() ? "" : "; ") + d;
    copy_text(buf, len, out);
  } catch (...) {
    copy_text(buf, len, "");
  }
}

void smpc_job_describe_missing(const SmpcJob* job, char* buf, std::size_t len) noexcept {
  try {
    copy_text(buf, len, job->set ? job->set->describe_missing() : job->job->describe_missing());
  } catch (...) {
    copy_text(buf, len, "(unknown)");
  }
}

std::uint64_t smpc_job_missing_mask(const SmpcJob* job) noexcept {
  std::uint64_t mask = 0;
  try {
    for (auto i : job->set ? job->set->missing() : job->job->missing())
      mask |= std::uint64_t{1} << i;
  } catch (...) {
  }
  return mask;
}

bool smpc_share_value(__int128 scaled, int scale, int n, int threshold, char*** out,
                      SmpcStatus* st) noexcept {
  *out = nullptr;
  return guarded(st, [&] {
    if (n < 2 || n > static_cast<int>(smpc::crypto::kMaxTextParties))
      throw smpc::crypto::SharingError("parties must be between 2 and " +
                                       std::to_string(smpc::crypto::kMaxTextParties));
    if (threshold < 0 || threshold > n)
      throw smpc::crypto::SharingError("threshold must be between 1 and the number of parties");
    smpc::crypto::OpenSslRandom rng;
    auto shares = smpc::crypto::share_value(scaled, static_cast<std::uint32_t>(scale),
                                            static_cast<std::uint32_t>(n),
                                            static_cast<std::uint32_t>(threshold), rng);
    auto** arr = static_cast<char**>(std::calloc(shares.size(), sizeof(char*)));
    if (!arr) throw std::bad_alloc();
    for (std::size_t i = 0; i < shares.size(); i++) {
      arr[i] = static_cast<char*>(std::malloc(shares[i].size() + 1));
      if (!arr[i]) {
        smpc_free_strings(arr, static_cast<int>(i));
        throw std::bad_alloc();
      }
      std::memcpy(arr[i], shares[i].c_str(), shares[i].size() + 1);
    }
    *out = arr;
  });
}

void smpc_free_strings(char** strings, int n) noexcept {
  if (!strings) return;
  for (int i = 0; i < n; i++) std::free(strings[i]);
  std::free(strings);
}

bool smpc_reconstruct_value(const char* const* shares, int n, __int128* out, int* scale,
                            SmpcStatus* st) noexcept {
  return guarded(st, [&] {
    std::vector<std::string> v(shares, shares + n);
    std::uint32_t s = 0;
    *out = smpc::crypto::reconstruct_value(v, &s);
    *scale = static_cast<int>(s);
  });
}

bool smpc_parse_scaled(const char* text, int scale, __int128* out) noexcept {
  try {
    return smpc::crypto::parse_scaled_decimal(text, scale, out);
  } catch (...) {
    return false;
  }
}

void smpc_format_scaled(__int128 v, int scale, char* buf, std::size_t len) noexcept {
  try {
    copy_text(buf, len, smpc::crypto::format_scaled_decimal(v, scale));
  } catch (...) {
    copy_text(buf, len, "");
  }
}

}  // extern "C"
