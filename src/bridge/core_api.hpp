// The face of the C++ core (crypto, protocol) that PostgreSQL glue calls.
//
// Every function here is noexcept: exceptions are caught inside and turned
// into an SmpcStatus with fixed-size text, so no C++ exception ever reaches a
// PostgreSQL frame and the caller can ereport() after the call has returned,
// with no C++ frame alive (the longjmp of ereport would skip destructors).
// Nothing here allocates with palloc or calls PostgreSQL; no PostgreSQL
// header is included.
#pragma once

#include <cstddef>
#include <cstdint>

#include "protocol/message_type.hpp"

extern "C" {

// Status kinds; values above SMPC_OK mirror protocol::ErrorKind.
enum SmpcStatusKind {
  SMPC_OK = 0,
  SMPC_MALFORMED,
  SMPC_INVALID_ARGUMENT,
  SMPC_FEDERATION_MISMATCH,
  SMPC_JOB_MISMATCH,
  SMPC_INCONSISTENT,
  SMPC_ABORTED,
  SMPC_RANGE,
  SMPC_REFUSED,
  SMPC_POLICY_MISMATCH,
  SMPC_TOO_FEW_PARTIES,
  SMPC_OUT_OF_MEMORY,
  SMPC_INTERNAL,
  SMPC_INTERRUPTED,  // a long step stopped because the caller's interrupted() said so
};

struct SmpcStatus {
  int kind;
  char message[512];
  char detail[2048];
  char hint[512];
};

// A federation as the glue reads it from smpc.federations. Role lists are
// party indexes, ascending; empty (n 0) means every party.
struct SmpcFederation {
  const char* name;
  const char* const* parties;
  int nparties;
  int scale;
  int self;       // index of this party in parties
  int threshold;  // 0: additive n-of-n; t >= 2: Shamir t-of-n over the compute parties
  const int* compute;
  int ncompute;
  const int* inputs;
  int ninputs;
  const int* outputs;
  int noutputs;
};

// The release policy this party applies to a job (protocol/release_policy.hpp).
// Bounds are fixed point with `scale` fractional digits.
struct SmpcPolicy {
  int min_parties;
  std::uint64_t min_rows;
  bool has_bounds;
  bool reject;
  int scale;
  __int128 lo;
  __int128 hi;
  bool overlap_pairs;  // set jobs may release the overlap of each pair of parties
};

struct SmpcMessageInfo {
  int type;  // SmpcMessageType
  int sender;
  int receiver;
  char federation[64];
  std::uint8_t job_key[32];  // smpc_job_key(federation, job id)
  std::uint8_t nonce[16];
  std::uint8_t fingerprint[32];  // of the sender's federation definition
  std::size_t job_id_offset;     // the job id's bytes are data[offset .. offset+len)
  std::size_t job_id_len;
};

// Message types, as SmpcMessageInfo.type holds them: the C names of
// protocol::MessageType (protocol/message_type.hpp), which defines the numbers.
#define SMPC_PROTOCOL_TYPE(k) static_cast<int>(smpc::protocol::MessageType::k)
enum SmpcMessageType {
  SMPC_MSG_SHARE = SMPC_PROTOCOL_TYPE(kShare),
  SMPC_MSG_PARTIAL = SMPC_PROTOCOL_TYPE(kPartial),
  SMPC_MSG_CONFIRM = SMPC_PROTOCOL_TYPE(kConfirm),
  SMPC_MSG_ABORT = SMPC_PROTOCOL_TYPE(kAbort),
  SMPC_MSG_COUNT = SMPC_PROTOCOL_TYPE(kCount),
  SMPC_MSG_ROSTER = SMPC_PROTOCOL_TYPE(kRoster),
  SMPC_MSG_AGREE = SMPC_PROTOCOL_TYPE(kAgree),
  SMPC_MSG_VOUCH = SMPC_PROTOCOL_TYPE(kVouch),
  SMPC_MSG_REQUEST = SMPC_PROTOCOL_TYPE(kRequest),
  SMPC_MSG_KEY = SMPC_PROTOCOL_TYPE(kKey),
  SMPC_MSG_BLINDED = SMPC_PROTOCOL_TYPE(kBlinded),
  SMPC_MSG_SEALED_SUM = SMPC_PROTOCOL_TYPE(kSealedSum),
  // Every type lies in [SMPC_MSG_FIRST, SMPC_MSG_LAST].
  SMPC_MSG_FIRST = static_cast<int>(smpc::protocol::kFirstMessageType),
  SMPC_MSG_LAST = static_cast<int>(smpc::protocol::kLastMessageType),
};
#undef SMPC_PROTOCOL_TYPE
// "share", "partial", ... of a message type; "unknown" for any other number.
const char* smpc_message_type_name(int type) noexcept;
// The message type named `name`, or 0 (also for NULL).
int smpc_message_type_of(const char* name) noexcept;
// The type (SmpcMessageType) of an encoded message, read from its header
// alone (magic, version, type; nothing after them is checked, nothing is
// decoded): for messages of the outbox or ones smpc_message_inspect accepted.
// Returns SMPC_OK, SMPC_MALFORMED for a header that is not a valid one (too
// short, not smpc, another version, an unknown type) or SMPC_INVALID_ARGUMENT
// for a NULL pointer; *type_out is 0 unless SMPC_OK.
int smpc_message_type(const std::uint8_t* data, std::size_t len, int* type_out) noexcept;

typedef struct SmpcJob SmpcJob;

// Key under which a job's messages are filed: SHA-256 over the federation
// name and job id (length-prefixed).
bool smpc_job_key(const char* federation, const char* job_id, std::size_t job_id_len,
                  std::uint8_t out[32], SmpcStatus* st) noexcept;

// Checks a federation definition and writes its fingerprint as 64 hex digits
// plus NUL.
bool smpc_federation_check(const SmpcFederation* fed, char hex_out[65], SmpcStatus* st) noexcept;

// SHA-256 of data as 64 hex digits plus NUL (e.g. the audit trail's hash of
// a query's text).
void smpc_sha256_hex(const void* data, std::size_t len, char hex_out[65]) noexcept;

// Decodes a received message far enough to file it: header fields, job key.
bool smpc_message_inspect(const std::uint8_t* data, std::size_t len, SmpcMessageInfo* info,
                          SmpcStatus* st) noexcept;
// Compares the federation fingerprint of an inspected message (info) with
// the local definition; on mismatch fills st with SMPC_FEDERATION_MISMATCH
// and, for share messages, a detail naming what differs (decoding the
// message again only then).
bool smpc_message_check_federation(const std::uint8_t* data, std::size_t len,
                                   const SmpcMessageInfo* info, const SmpcFederation* local,
                                   SmpcStatus* st) noexcept;
// A valid message of the given type (SMPC_MSG_SHARE up to SMPC_MSG_VOUCH)
// under the default release policy,
// with zero values, for tests of the deliver endpoint. *out is malloc'd;
// free it with smpc_free_bytes.
bool smpc_test_message(const SmpcFederation* fed, const char* job_id, int sender, int receiver,
                       int type, std::uint8_t** out, std::size_t* out_len, SmpcStatus* st) noexcept;
void smpc_free_bytes(std::uint8_t* p) noexcept;

// A request (SMPC_MSG_REQUEST): that the receiver run job job_id on its
// published dataset, aggregating column; or, back to the initiator, that it
// could not (stage 4, with the reason).
// The C names of protocol::RequestStage (protocol/message_type.hpp).
enum SmpcRequestStage {
  SMPC_REQUEST_CHECK = static_cast<int>(smpc::protocol::RequestStage::kCheck),
  SMPC_REQUEST_LAUNCH = static_cast<int>(smpc::protocol::RequestStage::kLaunch),
  SMPC_REQUEST_WITHDRAW = static_cast<int>(smpc::protocol::RequestStage::kWithdraw),
  SMPC_REQUEST_FAILED = static_cast<int>(smpc::protocol::RequestStage::kFailed),
};
struct SmpcRequest {
  char descriptor[64];  // the job, e.g. "avg(integer)"
  char dataset[64];
  char column[64];
  int stage;               // SmpcRequestStage
  std::uint8_t nonce[16];  // the initiator's call
  bool refused;            // stage 4: a refusal (policy, permissions)
  char reason[1025];       // stage 4
};
// Encodes this party's request to party `receiver`; *out as smpc_test_message.
bool smpc_request_message(const SmpcFederation* fed, const char* job_id, int receiver,
                          const SmpcRequest* req, std::uint8_t** out, std::size_t* out_len,
                          SmpcStatus* st) noexcept;
// Reads the request of an SMPC_MSG_REQUEST message (fails for any other type).
bool smpc_request_read(const std::uint8_t* data, std::size_t len, SmpcRequest* out,
                       SmpcStatus* st) noexcept;

// Checks a policy and writes its description ("at least 3 parties, ...")
// into buf.
bool smpc_policy_describe(const SmpcPolicy* policy, char* buf, std::size_t len,
                          SmpcStatus* st) noexcept;

// The layout of a job's vector (protocol::JobParams).
struct SmpcJobShape {
  int width;        // values per input
  int count_index;  // the slot holding the row count, or -1
  // Grouped jobs: `cells` cells of cell_width values, the count at offset
  // cell_count of each; a cell below min_rows is suppressed. cells 0: none.
  int cells;
  int cell_width;
  int cell_count;
  // Differential privacy: per value, the exponent epsilon / sensitivity of
  // its noise (0: none), width of them; NULL: no noise (protocol::JobParams).
  const double* noise_exponent;
};

// Jobs. inputs are signed, already scaled integers (shape->width of them;
// they may be only 8-byte aligned), or NULL at a party that supplies no
// input. Fails with SMPC_REFUSED when the policy refuses the job before it
// starts.
SmpcJob* smpc_job_new(const SmpcFederation* fed, const char* job_id, std::size_t job_id_len,
                      const char* descriptor, const SmpcPolicy* policy, const SmpcJobShape* shape,
                      const void* inputs, SmpcStatus* st) noexcept;
// What a set job releases (smpc_set_job_new's output).
enum SmpcSetOutput { SMPC_SET_COUNTS = 0, SMPC_SET_SUM = 1, SMPC_SET_PAIRS = 2 };
// A set job (protocol/set_job.hpp): how many distinct keys at least
// `at_least` parties hold. keys: this party's nkeys keys, each key_bytes
// long (the glue's canonical digests of its typed keys; duplicates count
// once). Grouped: ngroups groups, group g's keys the next group_sizes[g]
// of them (ngroups 0: one set, group_sizes NULL). noise_exponent: that of
// each count (one, or ngroups), or NULL. The job's values are the counts
// (smpc_job_result(job, g)); under min_rows a grouped job suppresses the
// groups below it (smpc_job_suppressed).
// output SMPC_SET_SUM: an intersection sum (at_least must be every party):
// the job's values are [sum, count] (grouped: per group, group g's at 2g
// and 2g + 1, each group a cell that min_rows suppresses alone), values
// (NULL: this party gives none) the value of each key, 0 .. 2^48 - 1. SMPC_SET_PAIRS: the
// overlap matrix (not grouped; the policy must allow overlap_pairs): one
// count per pair of parties, (0, 1), (0, 2), ..., (1, 2), ..., each
// suppressed alone under min_rows. interrupted, if not NULL, is
// asked every 1,024 keys while the job blinds (smpc_job_start,
// smpc_job_receive): when it returns true the call fails with
// SMPC_INTERRUPTED (it must not raise or jump: it only reads a flag). Every
// other smpc_job_* call works on it as on an aggregation job.
SmpcJob* smpc_set_job_new(const SmpcFederation* fed, const char* job_id, std::size_t job_id_len,
                          const char* descriptor, const SmpcPolicy* policy,
                          const double* noise_exponent, const std::uint8_t* keys, std::size_t nkeys,
                          std::size_t key_bytes, const std::uint32_t* group_sizes, int ngroups,
                          int at_least, int output, const std::uint64_t* values,
                          bool (*interrupted)(void), SmpcStatus* st) noexcept;
// Set jobs: this party's keys given more than once (known after the start).
std::size_t smpc_job_duplicates(const SmpcJob* job) noexcept;
// The 32 bytes a set job takes for one key: SHA-256 over "smpc-key-v1",
// the key's class ("text", "integer", ...) and its canonical bytes, each
// length-prefixed. Keys of different classes never match; a key of any
// length costs 32 bytes from here on.
bool smpc_key_digest(const char* key_class, const void* data, std::size_t len,
                     std::uint8_t out[32]) noexcept;
// Roles of party `party` in the federation (for checks before a job).
bool smpc_federation_roles(const SmpcFederation* fed, int party, bool* is_input, bool* is_compute,
                           bool* is_output, SmpcStatus* st) noexcept;
void smpc_job_free(SmpcJob* job) noexcept;
// Before smpc_job_start only: an abort that was waiting here before this run
// started ends a partner's run that never involved this one; its messages are
// ignored and the job waits for the partner's retry. Fails for anything that
// is not an abort of this job.
bool smpc_job_discard_run(SmpcJob* job, const std::uint8_t* data, std::size_t len,
                          SmpcStatus* st) noexcept;
// "Party b aborted the job before this party started it: <reason>." for each
// discarded run (empty when none), for the timeout error.
void smpc_job_dead_runs(const SmpcJob* job, char* buf, std::size_t len) noexcept;
// The runs of partner `party` this job knew of (16-byte nonces, at most
// `max` written to `nonces`); returns how many there are. A run that fails
// keeps them for the next run of the job id (protocol/aggregation_job.hpp,
// "Bound to their run").
int smpc_job_runs_of(const SmpcJob* job, int party, std::uint8_t (*nonces)[16], int max) noexcept;
// Before smpc_job_start only: partner `party`'s run `nonce` (16 bytes) ended
// here in an earlier run of the job id; its messages are ignored.
bool smpc_job_forget_run(SmpcJob* job, int party, const std::uint8_t* nonce,
                         SmpcStatus* st) noexcept;
// Fills the outbox with the round-1 messages.
bool smpc_job_start(SmpcJob* job, SmpcStatus* st) noexcept;
// Feeds one received message; may add messages to the outbox.
bool smpc_job_receive(SmpcJob* job, const std::uint8_t* data, std::size_t len,
                      SmpcStatus* st) noexcept;
// The current round's deadline passed: true when the job goes on without
// the parties it waited for (new messages may be in the outbox), false when
// it cannot (the caller reports the timeout).
bool smpc_job_timeout(SmpcJob* job, SmpcStatus* st, bool* went_on) noexcept;
// Messages to party `party` could not be delivered: *went_on tells whether
// the job goes on (sending it nothing more, still awaiting its messages).
bool smpc_job_unreachable(SmpcJob* job, int party, const char* reason, bool* went_on,
                          SmpcStatus* st) noexcept;
// Deliberate misbehaviour for tests (smpc.test_fault, test builds only; the
// values are the setting's). The core's faults are protocol::Fault
// (protocol/aggregation_job.hpp); the pauses are the glue's own.
enum SmpcFault {
  SMPC_FAULT_NONE = 0,
  SMPC_FAULT_EQUIVOCATE_PARTIAL = 1,    // partial round: the first partner gets another sum
  SMPC_FAULT_WRONG_CONFIRM = 2,         // confirm round: the first partner gets a wrong digest
  SMPC_FAULT_EQUIVOCATE_SHARE = 3,      // share round: the first partner gets a second share
  SMPC_FAULT_EQUIVOCATE_COUNT = 4,      // count round: the first partner gets another sum
  SMPC_FAULT_WRONG_PARTIAL = 5,         // partial round: every partner gets the same wrong sum
  SMPC_FAULT_PAUSE_BEFORE_ROSTER = 6,   // glue: pause just before this party's roster goes out
  SMPC_FAULT_PAUSE_BEFORE_CONFIRM = 7,  // glue: pause just before its confirm goes out
  SMPC_FAULT_ABORT_AFTER_OPEN = 8,      // abort (fatally) as soon as the result is opened here
  SMPC_FAULT_EQUIVOCATE_KEY = 9,        // key round: the first partner gets another key part
  SMPC_FAULT_PAUSE_AFTER_FILING =
      10,                          // glue, at the called party: a call pauses after filing a share
  SMPC_FAULT_REPEAT_BLINDED = 11,  // set jobs: every blinded set sent repeats an element
  SMPC_FAULT_DROP_BLINDED = 12,    // set jobs: every partner's set passed on loses an element
  SMPC_FAULT_PAUSE_BEFORE_PICKUP =
      13,  // glue, at the called party: a confirm's call pauses before it may wait for a reply
};
// Makes the job misbehave as `fault` (SmpcFault) says; the glue's own faults
// and any other value leave it honest.
void smpc_job_set_fault(SmpcJob* job, int fault) noexcept;
// Whether this party has handed out a message that opens values (or lets
// partners open them): from then on the job id is spent here, and the
// caller must have recorded that durably before the outbox is sent.
bool smpc_job_committed(const SmpcJob* job) noexcept;
// This party's share reached compute party `party` (its server accepted it).
void smpc_job_acknowledged(SmpcJob* job, int party) noexcept;
// Whether the released result was checked against a compute party that
// changed a value (protocol/aggregation_job.hpp, "Verified results").
bool smpc_job_verified(const SmpcJob* job) noexcept;
// Replaces the outbox with an abort message to every partner. fatal: the
// job must stop everywhere (an inconsistency), not only without this party.
bool smpc_job_abort(SmpcJob* job, const char* reason, bool fatal, SmpcStatus* st) noexcept;

int smpc_job_outbox_size(const SmpcJob* job) noexcept;
void smpc_job_outbox_item(const SmpcJob* job, int i, int* to, const std::uint8_t** data,
                          std::size_t* len) noexcept;
void smpc_job_outbox_clear(SmpcJob* job) noexcept;

bool smpc_job_finished(const SmpcJob* job) noexcept;
// True when the finished job was refused by the release policy after the
// count round; fills st with the refusal (SMPC_REFUSED). An abort made
// afterwards (smpc_job_abort) tells partners that it was a refusal.
bool smpc_job_refused(const SmpcJob* job, SmpcStatus* st) noexcept;
int smpc_job_round(const SmpcJob* job) noexcept;
// Message type (SmpcMessageType) of the current round; 0 before the start
// and when finished.
int smpc_job_round_type(const SmpcJob* job) noexcept;
// "round 2 (count)": the round of this job in which messages of `type` go.
void smpc_job_round_name(const SmpcJob* job, int type, char* buf, std::size_t len) noexcept;
// Whether the finished job gave this party the result (an input-only party
// gets none).
bool smpc_job_has_result(const SmpcJob* job) noexcept;
// Signed joint result for slot i (only when smpc_job_has_result; 0 otherwise).
__int128 smpc_job_result(const SmpcJob* job, int i) noexcept;
// Grouped jobs: whether cell c was suppressed (below min_rows).
bool smpc_job_suppressed(const SmpcJob* job, int cell) noexcept;
// Bit mask of the input parties the result covers (bit i = party i).
std::uint64_t smpc_job_covered(const SmpcJob* job) noexcept;
// "party c: did not answer in round 1 (share); ..." for the parties the job
// went on without; empty when none.
void smpc_job_dropouts(const SmpcJob* job, char* buf, std::size_t len) noexcept;
// Which parties the job still waits for, and in which round.
void smpc_job_describe_missing(const SmpcJob* job, char* buf, std::size_t len) noexcept;
// Bitmask of the parties the job still waits for (bit i = party i).
std::uint64_t smpc_job_missing_mask(const SmpcJob* job) noexcept;

// Text shares (SQL smpc_share / smpc_reconstruct). share_value writes n
// NUL-terminated strings into a malloc'd array (free with smpc_free_strings).
bool smpc_share_value(__int128 scaled, int scale, int n, int threshold, char*** out,
                      SmpcStatus* st) noexcept;
void smpc_free_strings(char** strings, int n) noexcept;
bool smpc_reconstruct_value(const char* const* shares, int n, __int128* out, int* scale,
                            SmpcStatus* st) noexcept;

// Decimal text <-> scaled integers (crypto/int128_text.hpp), exception-free.
bool smpc_parse_scaled(const char* text, int scale, __int128* out) noexcept;
// Writes v / 10^scale as decimal text; buf needs 64 bytes.
void smpc_format_scaled(__int128 v, int scale, char* buf, std::size_t len) noexcept;
}
