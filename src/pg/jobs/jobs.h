/*
 * jobs/: one aggregate job from its request to its result: the
 * orchestration (job_runner.cpp: checks, claim, privacy, audit), the I/O
 * loop of the exchange with partners (exchange_loop.cpp) and what it sends
 * (outbox.cpp), released jobs in smpc.jobs (job_records.cpp), spent job ids
 * (spent_ids.cpp), whose job ids are whose (job_namespace.cpp) and
 * smpc.job_status (job_status.cpp).
 */
#ifndef SMPC_PG_JOBS_JOBS_H
#define SMPC_PG_JOBS_JOBS_H

#include "pg/audit/audit.h"
#include "pg/messaging/messaging.h"
#include "pg/policy/policy.h"

/*
 * A partner's report that the job it was asked to run could not begin
 * (datasets/requests.cpp reads it): raises when it is one for the call
 * `nonce`, else ignores it.
 */
typedef void (*SmpcReportReader)(const SmpcFederationRow *fed, const char *job_id,
								 const uint8 *nonce, const uint8 *data, size_t len);

/*
 * The job this backend runs next, or runs now. The layers above (datasets/)
 * fill it before they run the query whose aggregate runs the job (the
 * aggregate cannot pass it on: SQL runs in between); the runner passes it
 * down explicitly from there and reports in it how far the job got. One
 * per backend (smpc_job_context()).
 */
typedef struct SmpcJobContext
{
	const char		*initiator;		/* the partner that asked for the job, or NULL */
	const char		*dataset;		/* "dataset.column" of a job on a published dataset, or NULL */
	const uint8		*request_nonce; /* the call whose partners' failure reports count, or NULL */
	SmpcReportReader read_report;	/* reads those reports (with request_nonce) */
	bool			 entered;		/* smpc_run_job was called */
	bool			 exchanged;		/* its round-1 messages went out */
	/*
	 * A partner had released the job before this attempt shared, and said
	 * whose inputs its result covers ("a,b,c"; for the audit record), or NULL.
	 */
	const char *released_covers;
} SmpcJobContext;

extern SmpcJobContext *smpc_job_context(void);

/* spent_ids.cpp: a job id that opened anything here never runs again. */
extern void smpc_spent_check(const SmpcFederationRow *fed, const char *job_id);
extern void smpc_spent_record(const SmpcFederationRow *fed, const char *job_id,
							  const char *descriptor, const char *initiator);

/*
 * job_namespace.cpp: ids of jobs that smpc_run starts begin with the
 * starting party's name and a colon; no other job may take one.
 */
extern char *smpc_job_id_for_run(const SmpcFederationRow *fed, const char *job_id);
extern void	 smpc_job_id_check_namespace(const SmpcFederationRow *fed, const char *job_id,
										 const char *starter);

/*
 * job_runner.cpp: the job an aggregate asks to run, with this party's input
 * (not a request message between parties: that is the bridge's SmpcRequest).
 */
typedef struct SmpcJobSpec
{
	const char	  *job_id;
	SmpcAggregate  aggregate;
	SmpcValueClass value_class;
	/* What else the job's descriptor names, e.g. " by 12 groups of domain ab12..." */
	const char		 *shape;
	int				  width;
	int				  scale;	   /* fixed point of the sum slot */
	int				  count_index; /* slot holding the row count, or -1 */
	int				  cells;	   /* grouped jobs (SmpcJobShape); 0: not grouped */
	int				  cell_width;
	int				  cell_count;
	__int128		 *inputs;		  /* width values (smpc_alloc_values) */
	bool			  inputs_present; /* false: this party supplies no input */
	int64			  rows;			  /* local rows aggregated (a non-input party must have none) */
	const SmpcBounds *bounds;		  /* that applied to the input (not for count) */
	int64			  outside;		  /* input values outside the bounds */
	/*
	 * Differential privacy (smpc.epsilon): what each value is, repeated
	 * for every cell (or once for the whole vector): 'c' a count, 's' a
	 * sum, 'q' a sum of squares. NULL: the job cannot take noise.
	 */
	const char		  *kinds;
	const int		  *noise_reach; /* per kind: SmpcNoiseShape's reach (policy.h); NULL: 1 */
	const char		  *column;		/* the column aggregated (for messages), or NULL */
	int				   input_error; /* SmpcInputError: this party's input failed; 0: none */
	const SmpcSources *sources;		/* what the job reads (privacy budgets); NULL: unknown */
	/*
	 * Set jobs (aggregates/sets.cpp): count the keys held by at least
	 * set_at_least parties (0: not a set job). set_keys: this party's
	 * set_nkeys distinct key digests, 32 bytes each; set_nulls and
	 * set_repeats: the NULL and repeated keys left out (for the audit).
	 */
	int			  set_at_least;
	const uint8	 *set_keys;
	int64		  set_nkeys;
	int			  set_groups; /* grouped: the number of groups (cells of one count); 0: one set */
	const uint32 *set_group_sizes; /* grouped: keys per group (set_keys in group order) */
	int64		  set_nulls;
	int64		  set_repeats;
	/*
	 * Intersection sums: the values are [sum, count]; set_values: the
	 * value of each of set_keys (NULL: this party gives none).
	 */
	bool		  set_sum;
	const uint64 *set_values;
	/* The overlap matrix: one count per pair of parties (cells of one count). */
	bool set_pairs;
} SmpcJobSpec;

/*
 * What can be wrong with this party's own input (NaN, infinity, a sum beyond
 * the fixed point). The aggregates record the first such error in their
 * state instead of raising it per row; smpc_run_job then tells the partners
 * at once (an abort naming the class, never a value) and raises it here, so
 * partners do not wait out their timeout for a party that has stopped.
 */
typedef enum SmpcInputError
{
	SMPC_INPUT_OK = 0,
	SMPC_INPUT_NAN,
	SMPC_INPUT_INFINITY,
	SMPC_INPUT_NUMERIC_OVERFLOW, /* a numeric sum beyond 128 bits or 38 fractional digits */
	SMPC_INPUT_FLOAT8_RANGE,	 /* a double precision value or sum beyond 10^37 units */
	SMPC_INPUT_VARIANCE_RANGE	 /* a double precision value beyond 10^18 units (variances) */
} SmpcInputError;

/* Raises the error of an input error class (job_runner.cpp). */
extern void smpc_raise_input_error(int input_error) pg_attribute_noreturn();
/* What partners are told: "party a cannot aggregate its input: it holds NaN". */
extern char *smpc_input_error_reason(const SmpcFederationRow *fed, int input_error);

/* n zeroed 128-bit values, 16-byte aligned (palloc only aligns to 8). */
extern __int128 *smpc_alloc_values(int n);

/* What a job gave this party. */
typedef struct SmpcJobResult
{
	bool		has_result;	 /* false: this party only supplied its input */
	char	   *covers;		 /* input parties covered, comma-separated; NULL: unknown */
	char	   *dropouts;	 /* "party c: ...; ..." or NULL */
	bool	   *suppressed;	 /* per output slot: not released (a small cell); NULL: none */
	const char *result_text; /* the values as smpc.jobs keeps them ("v1,v2,-"), or NULL */
	bool		verified;	 /* checked against a compute party that changed a value */
} SmpcJobResult;

/*
 * Runs the job in federation fed (or returns its stored result); fills
 * outputs[0..width) with the joint values, in the same fixed point as the
 * inputs, when res->has_result. A request without inputs (inputs_present
 * false) is that of a party that supplies none.
 */
extern void smpc_run_job(const SmpcFederationRow *fed, const SmpcJobSpec *req, __int128 *outputs,
						 SmpcJobResult *res);

/*
 * job_records.cpp: released jobs in smpc.jobs. Lookups only read, so they
 * work while a parallel plan runs; the row of a job released by this
 * transaction is written when the query's executor finishes.
 */
extern void smpc_job_records_init(void);
/*
 * Which job a stored result is the result of: the descriptor every party
 * shares, and what this party's input read (its base columns as the
 * sources check sees them, and the bounds that applied). A stored result is
 * returned only to a job that is the same in both.
 */
typedef struct SmpcJobIdentity
{
	const char *descriptor; /* e.g. "sum(integer)" (compared between parties) */
	const char *input;		/* e.g. "reading weight clipped to [0, 10000]" (this party's) */
} SmpcJobIdentity;

extern bool	 smpc_job_lookup_pending(const SmpcFederationRow *fed, const char *job_id,
									 const SmpcJobIdentity *id, __int128 *outputs, int width,
									 SmpcJobResult *res);
extern bool	 smpc_job_lookup_stored(const SmpcFederationRow *fed, const char *job_id,
									const SmpcJobIdentity *id, __int128 *outputs, int width,
									SmpcJobResult *res);
extern bool	 smpc_job_is_released(const SmpcFederationRow *fed, const char *job_id);
extern char *smpc_job_released_covers(const SmpcFederationRow *fed, const char *job_id);
/* Claims the job here (inbox.cpp), or raises SM005: a job id runs once per party. */
extern void smpc_job_claim(const SmpcFederationRow *fed, const char *job_id, const uint8 *key);
/* The covers of a released job as smpc.jobs keeps them (not the bridge's smpc_job_covered). */
extern char *smpc_job_stored_covers(const SmpcFederationRow *fed, const char *job_id);
/* Also sets res->result_text. */
extern void smpc_job_record(const SmpcFederationRow *fed, const char *job_id,
							const SmpcJobIdentity *id, const uint8 *key, const __int128 *outputs,
							int width, TimestampTz started, SmpcJobResult *res);

/* The released result as the audit log shows it (job_records.cpp). */
extern char *smpc_audit_result_text(const SmpcJobSpec *req, const __int128 *outputs,
									const SmpcJobResult *res);

/*
 * Inside jobs/ only: the exchange of one job with its partners, as the
 * runner hands it to the I/O loop (exchange_loop.cpp).
 */
typedef struct SmpcExchange
{
	const SmpcFederationRow *fed;
	const char				*job_id;
	const char				*descriptor;
	const SmpcJobSpec		*req;
	const SmpcPolicy		*policy;
	const double			*noise;	   /* per value, the exponent of its noise, or NULL: none */
	const uint8				*key;	   /* smpc_job_key */
	bool					 tolerant; /* the job may go on without partners that drop out */
	SmpcJobContext			*ctx;
	bool					 spent; /* its spent job id is recorded (spent_ids.cpp) */
	MemoryContext			 cxt;	/* outlives the loop's passes (exchange_loop.cpp) */
	/* Partners' messages handed back on this party's calls, not yet read (in cxt). */
	List *replies;
	/* The messages the loop's pass is reading (exchange_loop.cpp). */
	List *reading;
} SmpcExchange;

/*
 * The message type of a message in the wire format, or 0 if its header does
 * not decode. The core that wrote the message says which type it is: the
 * glue never reads the wire format itself.
 */
static inline int
smpc_wire_type(const uint8 *data, size_t len)
{
	int type = 0;

	return smpc_message_type(data, len, &type) == SMPC_OK ? type : 0;
}

/*
 * ended_runs.cpp: the partners' runs a failed run knew of, ignored by the
 * next run of the job id here (messages are bound to their run), and the
 * job ids that failed or were refused here.
 */
extern void smpc_ended_runs_shmem_request(void);
extern void smpc_ended_runs_shmem_startup(void);
extern void smpc_ended_job_record(const uint8 *key);
/*
 * An smpc_run call at this party (its request nonce) that ended: partners'
 * reports for it come too late (datasets/requests.cpp).
 */
extern void smpc_ended_call_record(const uint8 *key, const uint8 *nonce);
extern bool smpc_ended_call_known(const uint8 *key, const uint8 *nonce);
extern void smpc_ended_runs_record(const SmpcJob *job, const SmpcFederationRow *fed,
								   const uint8 *key);
extern bool smpc_ended_run_known(const uint8 *key, int sender, const uint8 *nonce);
extern int	smpc_ended_job_keys(uint8 **keys);
extern void smpc_ended_runs_apply(SmpcJob *job, const SmpcFederationRow *fed, const uint8 *key);

/* exchange_loop.cpp: runs the exchange; fills outputs and res. */
extern void smpc_job_exchange(SmpcExchange *x, __int128 *outputs, SmpcJobResult *res);

/* outbox.cpp: what the exchange loop sends. */
extern void	 smpc_send_round(SmpcJob *job, SmpcExchange *x, TimestampTz deadline, char **gone);
extern void	 smpc_notify_abort(SmpcJob *job, const SmpcFederationRow *fed, const uint8 *key,
							   const ErrorData *edata, const char *reason);
extern char *smpc_format_timeout(void);
extern char *smpc_format_elapsed(TimestampTz since);
/*
 * What errors say once this party's values were opened (its job id is
 * spent), and once its confirm went out (a partner that holds every
 * confirm releases: SECURITY.md, "Availability").
 */
#define SMPC_SPENT_ID_HINT \
	"Values of the job were opened, so its id is spent: run it again under a new job id."
#define SMPC_CONFIRM_OUT_NOTE                                                                   \
	"partners that received every confirm may have released the result (smpc.job_status there " \
	"says whether they did)"

#endif /* SMPC_PG_JOBS_JOBS_H */
