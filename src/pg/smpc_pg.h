/*
 * Declarations shared by the PostgreSQL-side files of smpc (src/pg, src/net).
 *
 * These files are C++ only for the compiler: they are written in C style, hold
 * no objects with destructors in frames that can ereport(), and reach the
 * C++ core only through the noexcept functions of bridge/core_api.hpp.
 */
#ifndef SMPC_PG_H
#define SMPC_PG_H

extern "C" {
#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "nodes/primnodes.h"
#include "utils/elog.h"
#include "utils/timestamp.h"
#include "executor/spi.h"
}

#include "bridge/core_api.hpp"

/* SQLSTATEs of our own (class SM), documented in README.md. */
#define ERRCODE_SMPC_PARTNER_TIMEOUT MAKE_SQLSTATE('S', 'M', '0', '0', '1')
#define ERRCODE_SMPC_FEDERATION_MISMATCH MAKE_SQLSTATE('S', 'M', '0', '0', '2')
#define ERRCODE_SMPC_PROTOCOL_VIOLATION MAKE_SQLSTATE('S', 'M', '0', '0', '3')
#define ERRCODE_SMPC_PARTNER_ABORTED MAKE_SQLSTATE('S', 'M', '0', '0', '4')
#define ERRCODE_SMPC_JOB_CONFLICT MAKE_SQLSTATE('S', 'M', '0', '0', '5')
#define ERRCODE_SMPC_POLICY_REFUSED MAKE_SQLSTATE('S', 'M', '0', '0', '6')
#define ERRCODE_SMPC_POLICY_MISMATCH MAKE_SQLSTATE('S', 'M', '0', '0', '7')
#define ERRCODE_SMPC_JOB_NOT_RUNNING MAKE_SQLSTATE('S', 'M', '0', '0', '8')
#define ERRCODE_SMPC_JOB_RELEASED MAKE_SQLSTATE('S', 'M', '0', '0', '9')

/* GUCs (module.cpp) */
extern int	smpc_timeout_ms;
extern char *smpc_federation_name;
extern bool smpc_allow_insecure_transport;
extern int	smpc_max_messages;
extern int	smpc_test_fault;	/* test builds (SMPC_TEST_BUILD) only */
#define SMPC_OUTSIDE_REJECT 0
#define SMPC_OUTSIDE_DROP 1
extern int	smpc_outside_domain;	/* grouped aggregates: keys outside the domain */
extern double smpc_epsilon;		/* differential privacy per job; 0: off */
/* The partner that asked for the job this backend runs (job_worker.cpp), or NULL. */
extern const char *smpc_job_initiator;
/* "dataset.column" while a job on a published dataset runs (datasets.cpp), or NULL. */
extern const char *smpc_job_dataset;
extern int	smpc_audit_queue_kb;
extern bool smpc_audit_server_log;

/* errors.cpp: raise a core status as a PostgreSQL error (never returns). */
extern void smpc_raise_status(const SmpcStatus *st) pg_attribute_noreturn();
extern void smpc_never_raise(void (*fn) (void *), void *arg);

/* module.cpp: what every smpc background worker shares. */
struct BackgroundWorker;
extern void smpc_bgworker_init(struct BackgroundWorker *worker, const char *function,
							   const char *type);

/* catalog.cpp: federations from smpc.federations. */
typedef struct SmpcFederationRow
{
	char	   *name;
	char	   *self_name;
	int			nparties;
	char	  **parties;
	int			scale;
	int			self;
	/* sharing and roles (party indexes, ascending; n 0 = every party) */
	int			threshold;		/* 0: additive n-of-n */
	int			ncompute;
	int		   *compute;
	int			ninputs;
	int		   *inputs;
	int			noutputs;
	int		   *outputs;
	/* release policy */
	int			min_parties;
	int64		min_rows;
	bool		require_bounds;
} SmpcFederationRow;

/* The extension version whose SQL objects this library reads. */
#define SMPC_SCHEMA_VERSION "0.2.0"
extern void smpc_require_schema_version(void);
extern SmpcFederationRow *smpc_load_federation(const char *name, bool missing_ok);
extern char *smpc_default_federation_name(void);
extern void smpc_federation_as_core(const SmpcFederationRow *row, SmpcFederation *out);
extern Oid	smpc_schema_owner(void);
extern void smpc_check_result_grant(const SmpcFederationRow *fed);
extern void smpc_check_result_grant_as(const SmpcFederationRow *fed, Oid role);
extern bool smpc_party_is_input(const SmpcFederationRow *fed, int party);
extern char *smpc_party_list(const SmpcFederationRow *fed, uint64 mask, const char *sep);
/*
 * A query run through SPI with a plan prepared once per backend (kept with
 * SPI_keepplan; the plan cache replans it when the tables change): the
 * catalog lookups of every job would otherwise be parsed and planned each
 * time. Declare one static per call site; SPI must be connected.
 */
typedef struct SmpcCachedQuery
{
	const char *sql;
	int			nargs;
	Oid			argtypes[10];
	SPIPlanPtr	plan;
} SmpcCachedQuery;
extern int	smpc_spi_execute(SmpcCachedQuery *q, Datum *args, const char *nulls, bool read_only,
							 long count);
/* Read-only, on what is committed now (a fresh snapshot), also in parallel mode. */
extern int	smpc_spi_execute_now(SmpcCachedQuery *q, Datum *args, const char *nulls, long count);

typedef struct SmpcOwnerContext
{
	Oid			save_userid;
	int			save_sec;
	int			nestlevel;
} SmpcOwnerContext;

extern void smpc_begin_as_owner(SmpcOwnerContext *ctx);
extern void smpc_end_as_owner(const SmpcOwnerContext *ctx);

/* inbox.cpp: messages from partners, in shared memory. */
#define SMPC_MAX_MESSAGE_BYTES (34 * 1024 * 1024)	/* per message: vectors up to 2^21 values */
/* One inbox slot; larger messages take several (inbox.cpp). */
#define SMPC_INBOX_SLOT_BYTES (32 * 1024)
extern void smpc_inbox_shmem_request(void);
extern void smpc_inbox_shmem_startup(void);
extern bool smpc_inbox_ready(void);
extern void smpc_inbox_require(void);
/* smpc_inbox_register: the job is now claimed here, or why not. */
#define SMPC_CLAIM_OK 0
#define SMPC_CLAIM_RUNNING 1	/* the same job runs in another session */
#define SMPC_CLAIM_OTHER_FEDERATION 2	/* its id runs in another federation */
extern int	smpc_inbox_register(const uint8 *key, const uint8 *id_key, const char *federation,
								char *running_in);
extern void smpc_inbox_unregister(const uint8 *key);
extern void smpc_inbox_close_shares(const uint8 *key);
extern bool smpc_inbox_has_waiter(const uint8 *key);
extern void smpc_inbox_put(const uint8 *key, const SmpcMessageInfo *info,
						   const uint8 *data, size_t len);
extern bool smpc_inbox_pending(const uint8 *key);

/*
 * peer.cpp's error when a partner cannot be reached begins so, naming only
 * the party (job_runner.cpp passes such errors on to partners).
 */
#define SMPC_CONNECT_FAILED_PREFIX "could not connect to party \""

/* handover.cpp: a message to a partner goes back on the partner's own call. */
#define SMPC_HANDOVER_BYTES 4096	/* larger messages are always sent */
#define SMPC_HANDOVER_WAIT_MS 10	/* how long a call waits for the job's message (unordered) */
extern void smpc_handover_shmem_request(void);
extern void smpc_handover_shmem_startup(void);
extern void smpc_handover_begin(const uint8 *key, bool ordered, int self);
extern void smpc_handover_end(const uint8 *key);
extern void smpc_handover_called_early(const uint8 *key, int type, uint64 mask);
extern void smpc_handover_drop_posted(const uint8 *key);
extern bool smpc_handover_take_posted(const uint8 *key, int to, uint8 **data, size_t *len);
extern void smpc_handover_no_collect(const uint8 *key, int from, int type);
extern void smpc_handover_reject(const uint8 *key, int from, const SmpcStatus *why);
extern bool smpc_handover_rejected(const uint8 *key, int *from, SmpcStatus *why);
extern bool smpc_handover_offer(const uint8 *key, int to, int type, const uint8 *data, size_t len);
extern bytea *smpc_handover_collect(const uint8 *key, int from, int type);
#ifdef SMPC_TEST_BUILD
/* Bytes not zero in free handover entries (a test of their wiping). */
extern uint64 smpc_handover_residue(void);
#endif
/* deliver.cpp: checks a message handed back by partner `from` and files it. */
extern void smpc_receive_reply(const SmpcFederationRow *fed, const uint8 *key, int from,
							   const uint8 *data, size_t len);

/* The status of a running job, kept with its claim (smpc.job_status). */
#define SMPC_JOB_RUNNING 1
#define SMPC_JOB_ENDED 2		/* released or failed; the claim ends with the transaction */
typedef struct SmpcJobStatus
{
	int			state;			/* 0: not yet shown */
	Oid			roleid;
	TimestampTz started;
	char		federation[64];
	char		job_id[256];	/* cut at 255 bytes */
	char		aggregate[192];	/* descriptor, e.g. "avg(integer) on expenditure.amount" */
	char		initiated_by[64];	/* party that asked for the job, or "" */
	char		round[64];
	char		waiting_for[512];
} SmpcJobStatus;

extern void smpc_inbox_set_status(const uint8 *key, const SmpcJobStatus *status, bool identity);
extern int	smpc_inbox_statuses(SmpcJobStatus **out, int **pids);
extern int	smpc_inbox_pid_of(const uint8 *key, Oid *roleid);
/* Moves every message filed under key into *msgs (a List of bytea *). */
extern List *smpc_inbox_take(const uint8 *key);

/*
 * fdw_validator.cpp: what a partner server's sslmode checks of the
 * certificate that answers. verify-ca checks only that the partner's CA
 * signed it: with one CA for several partners, any of them passes as
 * another, so it counts only when the server opts in (allow_verify_ca).
 */
typedef enum SmpcTlsCheck
{
	SMPC_TLS_FULL,				/* verify-full: the CA and the host name */
	SMPC_TLS_CA_ONLY,			/* verify-ca with allow_verify_ca: the CA only */
	SMPC_TLS_NONE				/* less: only with smpc.allow_insecure_transport */
} SmpcTlsCheck;
extern SmpcTlsCheck smpc_tls_check(const char *sslmode, bool allow_verify_ca);

/* net/peer.cpp: connections to partners and parallel delivery. */
typedef struct SmpcSend
{
	const char *party;			/* server name = party name */
	const uint8 *data;
	size_t		len;
	const char *what;			/* e.g. "round 1 (share)" for errors */
	char	   *failure;		/* out: why the party was unreachable or gone */
	int			failure_code;	/* out: the SQLSTATE of that */
	char	   *failure_detail; /* out, SMPC_SEND_COLLECT: the partner's DETAIL, or NULL */
	char	   *failure_hint;	/* out, SMPC_SEND_COLLECT: the partner's HINT, or NULL */
	uint8	   *reply;			/* out: the partner's message handed back (handover.cpp), or NULL */
	size_t		reply_len;
} SmpcSend;

/* How smpc_peer_send_all treats failures. */
typedef enum SmpcSendMode
{
	SMPC_SEND_STRICT,			/* raise the first failure */
	SMPC_SEND_BEST_EFFORT,		/* log failures (abort notices) */
	SMPC_SEND_TOLERANT,			/* unreachable partners go to SmpcSend.failure; a
								 * partner's refusal is raised */
	SMPC_SEND_COLLECT			/* every failure goes to SmpcSend.failure (requests):
								 * a partner's error as it sent it */
} SmpcSendMode;
/*
 * In STRICT and TOLERANT mode, a partner that answers that the job does not
 * run there (SM008: it has just ended there, or it restarted) or was already
 * released there (SM009) is not raised but goes to SmpcSend.failure: its
 * reason may still be on its way, or it finished without this party.
 */

extern void smpc_peer_init(void);
extern char *smpc_peer_role_of(const char *party);
/* needed[i]: this party will send to party i in this job. */
extern void smpc_peer_check_partners(const SmpcFederationRow *fed, const bool *needed);
/*
 * Delivers each message to its party (all in parallel) and waits for all
 * acknowledgements until deadline; failures as mode says.
 */
extern void smpc_peer_send_all(SmpcSend *sends, int n, TimestampTz deadline, SmpcSendMode mode);
/* Whether an smpc server is declared for the party. */
extern bool smpc_peer_has_server(const char *party);

/*
 * release_policy.cpp: the clipping bounds of an aggregate's input and the
 * policy a job runs under. Kept in the aggregate state (palloc'd), so the
 * 128-bit members use PostgreSQL's 8-byte aligned int128.
 */
typedef struct SmpcBounds
{
	bool		loaded;			/* looked up (at the first row, or at the end) */
	bool		present;		/* bounds apply */
	bool		reject;			/* values outside refuse the job */
	int32		scale;			/* fixed point of lo and hi */
	int128		lo;
	int128		hi;
	double		flo;			/* lo and hi as double precision */
	double		fhi;
	char		column[NAMEDATALEN];	/* the column the aggregate reads, or "" */
	char		entry[NAMEDATALEN]; /* the smpc.bounds entry that applies */
	/* Why no bounds may apply (sums and averages are refused), or 0. */
	int32		escape;
	char		escape_what[2 * NAMEDATALEN];	/* the column(s), or what was not followed */
} SmpcBounds;

#define SMPC_ESCAPE_EXPRESSION 1	/* an expression over a bounded column */
#define SMPC_ESCAPE_UNKNOWN 2	/* a value not followed, and bounds exist */
#define SMPC_ESCAPE_MIXED 3		/* renames of columns whose bounds differ */

/*
 * sources.cpp: the base columns (a table's own columns) an aggregate's
 * input reads, followed down the plan through renames, subqueries, CTEs,
 * views, UNION ALL, inlined SQL functions and joins. Columns are named as
 * bounds and budgets name them.
 */
typedef struct SmpcSources
{
	bool		unknown;		/* not everything could be followed: counts as
								 * reading every column */
	char		why[128];		/* what could not be followed */
	bool		rename;			/* the value is base columns' own values (or casts) */
	List	   *columns;		/* char *: every base column read, distinct */
	List	   *values;			/* renames: the base columns the value is */
	List	   *generated;		/* the stored generated columns among values */
} SmpcSources;

extern void smpc_value_sources(FunctionCallInfo fcinfo, int argno, SmpcSources *out);
extern SmpcSources *smpc_job_sources(FunctionCallInfo fcinfo, int argno);
extern bool smpc_names_have(const List *names, const char *name);

/* aggregates.cpp: value classes and results shared with smpc_join (join.cpp). */
extern const char *smpc_value_class_of(Oid type);
extern Datum smpc_to_numeric(__int128 v, int scale);

/* The Aggref whose arguments are the ones written in the query (aggregates.cpp). */
extern Aggref *smpc_source_aggref(FunctionCallInfo fcinfo);
extern void smpc_bounds_load(FunctionCallInfo fcinfo, const SmpcFederationRow *fed,
							 bool integer_class, SmpcBounds *out);
extern char *smpc_input_column(FunctionCallInfo fcinfo, int argno);
extern void smpc_bounds_load_arg(FunctionCallInfo fcinfo, const SmpcFederationRow *fed,
								 bool integer_class, int argno, SmpcBounds *out);
extern void smpc_bounds_for_column(const SmpcFederationRow *fed, const char *column,
								   bool integer_class, SmpcBounds *out);
extern bool smpc_bounds_equal(const SmpcBounds *a, const SmpcBounds *b);
extern char *smpc_bounds_text(const SmpcBounds *b);
extern void smpc_policy_check_input(const SmpcFederationRow *fed, const char *job_id,
									const char *aggregate, const SmpcBounds *b, int64 outside);
extern void smpc_policy_for_job(const SmpcFederationRow *fed, const SmpcBounds *b,
								SmpcPolicy *out);

/*
 * audit.cpp: the audit record of a job attempt. Texts in the order of the
 * columns of smpc.audit_log (audit_writer.cpp inserts them in this order).
 */
enum SmpcAuditText
{
	SMPC_AUDIT_EVENT_ID,
	SMPC_AUDIT_FEDERATION,
	SMPC_AUDIT_JOB_ID,
	SMPC_AUDIT_AGGREGATE,
	SMPC_AUDIT_REQUESTED_BY,
	SMPC_AUDIT_LOGIN_ROLE,
	SMPC_AUDIT_QUERY_SHA256,
	SMPC_AUDIT_PARTNERS,		/* comma-separated */
	SMPC_AUDIT_OUTCOME,			/* released, returned, contributed, refused, failed,
								 * charged, refunded */
	SMPC_AUDIT_SQLSTATE,
	SMPC_AUDIT_REASON,
	SMPC_AUDIT_RESULT,
	SMPC_AUDIT_POLICY,
	SMPC_AUDIT_COVERS,			/* comma-separated */
	SMPC_AUDIT_DROPOUTS,
	SMPC_AUDIT_INITIATED_BY,	/* the partner that asked for the job, or NULL */
	SMPC_AUDIT_EPSILON,			/* privacy charged (refunded: negative), as text, or NULL */
	SMPC_AUDIT_BUDGET,			/* the privacy budget charged, or NULL */
	SMPC_AUDIT_VERIFIED,		/* released: "true" or "false", else NULL */
	SMPC_AUDIT_NTEXT
};

typedef struct SmpcAuditRecord
{
	const char *text[SMPC_AUDIT_NTEXT];	/* NULL: no value */
	TimestampTz started;
	TimestampTz finished;
	int64		outside;		/* input values outside the clipping bounds */
	int32		backend_pid;
} SmpcAuditRecord;

extern void smpc_audit_begin(SmpcAuditRecord *r, const SmpcFederationRow *fed,
							 const char *job_id, const char *descriptor, int64 outside);
struct SmpcJobRequest;
struct SmpcJobResult;
extern char *smpc_audit_result_text(const struct SmpcJobRequest *req, const __int128 *outputs,
									const struct SmpcJobResult *res);
extern void smpc_audit_released(SmpcAuditRecord *r, const char *outcome, const char *result);
extern void smpc_audit_failed(SmpcAuditRecord *r, const ErrorData *edata);
extern void smpc_audit_emit(SmpcAuditRecord *r);
extern bool smpc_audit_emit_durably(SmpcAuditRecord *r, int timeout_ms);
extern bool smpc_audit_recorded(const char *event_id);
extern bool smpc_audit_record_decode(const char *payload, Size len, SmpcAuditRecord *r);
extern void smpc_audit_log_record(const SmpcAuditRecord *r, const char *why);
extern void smpc_audit_log_payload(Size len, const char *why);

/* spent_ids.cpp: a job id that opened anything here never runs again. */
extern void smpc_spent_check(const SmpcFederationRow *fed, const char *job_id);
extern void smpc_spent_record(const SmpcFederationRow *fed, const char *job_id,
							  const char *descriptor);

/* audit_queue.cpp: records on their way to smpc.audit_log, and their writers. */
#define SMPC_AUDIT_MAX_WRITERS 64	/* databases with a writer at once */
extern void smpc_audit_shmem_request(void);
extern void smpc_audit_shmem_startup(void);
extern bool smpc_audit_queue_ready(void);
extern bool smpc_audit_enqueue(const void *payload, Size len);
extern bool smpc_audit_enqueue_at(const void *payload, Size len, uint64 *position, bool urgent);
extern void smpc_audit_writer_batching(bool on);
extern bool smpc_audit_handled(uint64 position);
extern bool smpc_audit_writer_attach(void);
extern bool smpc_audit_writer_detach(bool force);
extern int	smpc_audit_peek(int max, char **payloads, Size *lens, uint64 *positions);
extern void smpc_audit_mark_taken(const uint64 *positions, int n);

/* job_runner.cpp: the exchange for one aggregate job. */
typedef struct SmpcJobRequest
{
	const char *job_id;
	const char *aggregate;		/* "sum", "count", "avg", "variance", ... */
	const char *value_class;	/* "integer", "numeric", "float8" */
	/* What else the job's descriptor names, e.g. " by 12 groups of domain ab12..." */
	const char *shape;
	int			width;
	int			scale;			/* fixed point of the sum slot */
	int			count_index;	/* slot holding the row count, or -1 */
	int			cells;			/* grouped jobs (SmpcJobShape); 0: not grouped */
	int			cell_width;
	int			cell_count;
	__int128   *inputs;			/* width values (smpc_alloc_values) */
	bool		inputs_present; /* false: this party supplies no input */
	int64		rows;			/* local rows aggregated (a non-input party must have none) */
	const SmpcBounds *bounds;	/* that applied to the input (not for count) */
	int64		outside;		/* input values outside the bounds */
	/*
	 * Differential privacy (smpc.epsilon): what each value is, repeated
	 * for every cell (or once for the whole vector): 'c' a count, 's' a
	 * sum, 'q' a sum of squares. NULL: the job cannot take noise.
	 */
	const char *kinds;
	const char *column;			/* the column aggregated (for messages), or NULL */
	const SmpcSources *sources; /* what the job reads (privacy budgets); NULL: unknown */
} SmpcJobRequest;

/* n zeroed 128-bit values, 16-byte aligned (palloc only aligns to 8). */
extern __int128 *smpc_alloc_values(int n);

/* What a job gave this party. */
typedef struct SmpcJobResult
{
	bool		has_result;		/* false: this party only supplied its input */
	char	   *covers;			/* input parties covered, comma-separated; NULL: unknown */
	char	   *dropouts;		/* "party c: ...; ..." or NULL */
	bool	   *suppressed;		/* per output slot: not released (a small cell); NULL: none */
	const char *result_text;	/* the values as smpc.jobs keeps them ("v1,v2,-"), or NULL */
	bool		verified;		/* checked against a compute party that changed a value */
} SmpcJobResult;

/*
 * Runs the job in federation fed (or returns its stored result); fills
 * outputs[0..width) with the joint values, in the same fixed point as the
 * inputs, when res->has_result. A request without inputs (inputs_present
 * false) is that of a party that supplies none.
 */
extern void smpc_run_job(const SmpcFederationRow *fed, const SmpcJobRequest *req,
						 __int128 *outputs, SmpcJobResult *res);

/*
 * job_records.cpp: released jobs in smpc.jobs. Lookups only read, so they
 * work while a parallel plan runs; the row of a job released by this
 * transaction is written when the query's executor finishes.
 */
extern void smpc_job_records_init(void);
extern bool smpc_job_lookup_pending(const SmpcFederationRow *fed, const char *job_id,
									const char *descriptor, __int128 *outputs, int width,
									SmpcJobResult *res);
extern bool smpc_job_lookup_stored(const SmpcFederationRow *fed, const char *job_id,
								   const char *descriptor, __int128 *outputs, int width,
								   SmpcJobResult *res);
/* "v1,v2,-": joint values in fixed point, "-" for a suppressed one. */
extern char *smpc_result_text(const __int128 *outputs, int width, const bool *suppressed);
extern bool smpc_job_is_released(const SmpcFederationRow *fed, const char *job_id);
/* Claims the job here (inbox.cpp), or raises SM005: a job id runs once per party. */
extern void smpc_job_claim(const SmpcFederationRow *fed, const char *job_id, const uint8 *key);
extern char *smpc_job_covers(const SmpcFederationRow *fed, const char *job_id);
/* Also sets res->result_text. */
extern void smpc_job_record(const SmpcFederationRow *fed, const char *job_id,
							const char *descriptor, const uint8 *key, const __int128 *outputs,
							int width, TimestampTz started, SmpcJobResult *res);

/* privacy.cpp: differential privacy for a job (smpc.epsilon). */
extern double *smpc_privacy_noise(const SmpcFederationRow *fed, const SmpcJobRequest *req,
								  double epsilon);
/* A job's charges to privacy budgets, recorded in smpc.audit_log before it starts. */
typedef struct SmpcPrivacyCharge
{
	List	   *budget_datasets;	/* char *: the budgets charged (a column, or '*') */
	double		epsilon;
} SmpcPrivacyCharge;
extern void smpc_privacy_admit(const SmpcFederationRow *fed, const char *job_id,
							   const char *descriptor, const SmpcSources *sources,
							   double epsilon, SmpcPrivacyCharge *charge);
extern void smpc_privacy_require_none(const SmpcFederationRow *fed, const SmpcSources *sources);
extern void smpc_privacy_refund(const SmpcFederationRow *fed, const char *job_id,
								const char *descriptor, const SmpcPrivacyCharge *charge);

/* datasets.cpp: datasets published to a federation (smpc.datasets). */
typedef struct SmpcDataset
{
	char	   *federation;
	char	   *name;
	char	   *query;			/* NULL: this party supplies no input */
	List	   *columns;		/* of char * */
	List	   *column_kinds;	/* per column: "integer", "numeric", "float8", "other" */
	List	   *aggregates;		/* "sum", "count", "avg" */
	bool		all_starters;	/* every partner may start jobs */
	List	   *starters;
	Oid			run_as;
	char	   *search_path;
	bool		require_bounds;
} SmpcDataset;

extern SmpcDataset *smpc_dataset_load(const SmpcFederationRow *fed, const char *name);
extern void smpc_dataset_admit(const SmpcFederationRow *fed, const SmpcDataset *ds,
							   const char *aggregate, const char *column, const char *starter);
extern const char *smpc_dataset_value_class(const SmpcDataset *ds, const char *column,
											const char *aggregate, Oid as_role);
extern const char *smpc_dataset_column_kind(const SmpcDataset *ds, const char *column,
											const char *aggregate);
extern SmpcDataset *smpc_dataset_for_partner(const SmpcFederationRow *fed, const char *name,
											 const char *aggregate, const char *column,
											 const char *value_class, const char *starter,
											 bool from_query, SmpcDataset **out);
extern Datum smpc_dataset_run(const SmpcDataset *ds, const char *aggregate, const char *column,
							  const char *value_class, const char *job_id, bool *isnull);

/*
 * partner_jobs.cpp: the jobs this party runs because a partner asked, one
 * shared-memory slot each while the job's background worker lives.
 */
#define SMPC_PARTNER_JOB_ID_MAX 1023
typedef struct SmpcPartnerJob
{
	Oid			dbid;
	Oid			roleid;			/* the dataset's run_as */
	uint8		key[32];		/* smpc_job_key */
	uint8		nonce[16];		/* the initiator's call */
	char		federation[64];
	char		dataset[64];
	char		column[64];
	char		descriptor[64]; /* of the request, e.g. "avg(integer)" */
	char		initiator[64];	/* party name */
	char		job_id[SMPC_PARTNER_JOB_ID_MAX + 1];
	int			pid;			/* the worker, once started */
	bool		withdrawn;
} SmpcPartnerJob;

extern int	smpc_max_partner_jobs;
extern void smpc_partner_jobs_shmem_request(void);
extern void smpc_partner_jobs_shmem_startup(void);
extern int	smpc_partner_job_claim(const SmpcPartnerJob *job, uint64 *generation);
extern bool smpc_partner_job_get(int slot, uint64 generation, SmpcPartnerJob *out);
extern void smpc_partner_job_started(int slot, uint64 generation, int pid);
extern void smpc_partner_job_release(int slot, uint64 generation);
extern int	smpc_partner_job_withdraw(const uint8 *key, const char *initiator, const uint8 *nonce);
extern bool smpc_partner_job_withdrawn(int slot, uint64 generation);

/*
 * requests.cpp: requests (message type 9) between the party that starts a
 * job on a published dataset and its partners.
 */
/* deliver: a request from a partner (checks, launches, withdraws, reports). */
extern void smpc_request_receive(const SmpcFederationRow *fed, const SmpcMessageInfo *info,
								 const uint8 *data, size_t len);
/* Parses "avg(integer)" into its aggregate and value class; false if it is not one. */
extern bool smpc_request_parse_descriptor(const char *descriptor, char *aggregate,
										  char *value_class);
/* The initiator's side: the partners that took the job, for withdrawals. */
typedef struct SmpcRequestRun
{
	const SmpcFederationRow *fed;
	const char *job_id;
	SmpcRequest request;
	bool	   *launched;		/* per party index */
} SmpcRequestRun;
extern void smpc_request_launch_all(SmpcRequestRun *run);
extern void smpc_request_withdraw_all(SmpcRequestRun *run);
/* The call whose partners' failure reports the running job heeds, or NULL. */
extern const uint8 *smpc_request_nonce;
/* Exchange loop: a request message filed for the job; raises when it is a
 * failure report for the current call, else ignores it. */
extern void smpc_request_take_report(const SmpcFederationRow *fed, const char *job_id,
									 const uint8 *data, size_t len);
/* A partner job's worker: tells the initiator why the job could not begin. */
extern void smpc_request_report_failure(const SmpcFederationRow *fed, const SmpcPartnerJob *job,
										const ErrorData *edata);
/* Audits a partner's request that was refused or failed before a job began. */
extern void smpc_request_audit_failure(const SmpcFederationRow *fed, const char *job_id,
									   const char *descriptor, const char *initiator,
									   const char *requested_by, const ErrorData *edata);

/* job_runner.cpp: how far this backend's latest job got (partner job workers). */
extern bool smpc_job_entered;	/* smpc_run_job was called */
extern bool smpc_job_exchanged; /* its round-1 messages went out */

#endif							/* SMPC_PG_H */
