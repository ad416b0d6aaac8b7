/*
 * jobs/: one aggregate job from its request to its result: the runner
 * (job_runner.cpp), released jobs in smpc.jobs (job_records.cpp), spent job
 * ids (spent_ids.cpp) and smpc.job_status (job_status.cpp).
 */
#ifndef SMPC_PG_JOBS_JOBS_H
#define SMPC_PG_JOBS_JOBS_H

#include "pg/audit/audit.h"
#include "pg/messaging/messaging.h"
#include "pg/policy/policy.h"

/* The partner that asked for the job this backend runs (job_worker.cpp), or NULL. */
extern const char *smpc_job_initiator;
/* "dataset.column" while a job on a published dataset runs (datasets.cpp), or NULL. */
extern const char *smpc_job_dataset;

/* spent_ids.cpp: a job id that opened anything here never runs again. */
extern void smpc_spent_check(const SmpcFederationRow *fed, const char *job_id);
extern void smpc_spent_record(const SmpcFederationRow *fed, const char *job_id,
							  const char *descriptor);

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

struct SmpcJobRequest;
struct SmpcJobResult;
extern char *smpc_audit_result_text(const struct SmpcJobRequest *req, const __int128 *outputs,
									const struct SmpcJobResult *res);

/* job_runner.cpp: how far this backend's latest job got (partner job workers). */
extern bool smpc_job_entered;	/* smpc_run_job was called */
extern bool smpc_job_exchanged; /* its round-1 messages went out */

#endif							/* SMPC_PG_JOBS_JOBS_H */
