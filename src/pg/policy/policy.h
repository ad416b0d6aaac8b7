/*
 * policy/: what a job may read and release: the base columns an
 * aggregate's input reads (sources.cpp), clipping bounds and release
 * policies (release_policy.cpp) and differential privacy (privacy.cpp).
 */
#ifndef SMPC_PG_POLICY_POLICY_H
#define SMPC_PG_POLICY_POLICY_H

#include "pg/common/common.h"

/*
 * release_policy.cpp: the clipping bounds of an aggregate's input and the
 * policy a job runs under. Kept in the aggregate state (palloc'd), so the
 * 128-bit members use PostgreSQL's 8-byte aligned int128.
 */
typedef struct SmpcBounds
{
	bool   loaded;	/* looked up (at the first row, or at the end) */
	bool   present; /* bounds apply */
	bool   reject;	/* values outside refuse the job */
	int32  scale;	/* fixed point of lo and hi */
	int128 lo;
	int128 hi;
	double flo; /* lo and hi as double precision */
	double fhi;
	char   column[NAMEDATALEN]; /* the column the aggregate reads, or "" */
	char   entry[NAMEDATALEN];	/* the smpc.bounds entry that applies */
	/* Why no bounds may apply (sums and averages are refused), or 0. */
	int32 escape;
	char  escape_what[2 * NAMEDATALEN]; /* the column(s), or what was not followed */
} SmpcBounds;

#define SMPC_ESCAPE_EXPRESSION 1 /* an expression over a bounded column */
#define SMPC_ESCAPE_UNKNOWN	   2 /* a value not followed, and bounds exist */
#define SMPC_ESCAPE_MIXED	   3 /* renames of columns whose bounds differ */

/*
 * sources.cpp: the base columns (a table's own columns) an aggregate's
 * input reads, followed down the plan through renames, subqueries, CTEs,
 * views, UNION ALL, inlined SQL functions and joins. Columns are named as
 * bounds and budgets name them.
 */
typedef struct SmpcSources
{
	bool  unknown;	 /* not everything could be followed: counts as
								 * reading every column */
	char  why[128];	 /* what could not be followed */
	bool  rename;	 /* the value is base columns' own values (or casts) */
	List *columns;	 /* char *: every base column read, distinct */
	List *values;	 /* renames: the base columns the value is */
	List *generated; /* the stored generated columns among values */
} SmpcSources;

extern void			smpc_value_sources(FunctionCallInfo fcinfo, int argno, SmpcSources *out);
extern SmpcSources *smpc_job_sources(FunctionCallInfo fcinfo, int argno);
extern bool			smpc_names_have(const List *names, const char *name);
/* "weight", "an expression over a, b": what a job's stored result is bound to (jobs.h). */
extern char *smpc_sources_text(const SmpcSources *s);

extern void	 smpc_bounds_load(FunctionCallInfo fcinfo, const SmpcFederationRow *fed,
							  bool integer_class, SmpcBounds *out);
extern char *smpc_input_column(FunctionCallInfo fcinfo, int argno);
extern void	 smpc_bounds_load_arg(FunctionCallInfo fcinfo, const SmpcFederationRow *fed,
								  bool integer_class, int argno, SmpcBounds *out);
extern void	 smpc_bounds_for_column(const SmpcFederationRow *fed, const char *column,
									bool integer_class, SmpcBounds *out);
extern bool	 smpc_bounds_equal(const SmpcBounds *a, const SmpcBounds *b);
extern char *smpc_bounds_text(const SmpcBounds *b);
extern void	 smpc_policy_check_input(const SmpcFederationRow *fed, const char *job_id,
									 SmpcAggregate aggregate, const SmpcBounds *b, int64 outside);
extern void smpc_policy_for_job(const SmpcFederationRow *fed, const SmpcBounds *b, SmpcPolicy *out);

/* privacy.cpp: differential privacy for a job (smpc.epsilon). */
/*
 * What the noise of a job is drawn for (the job's request, jobs.h): what
 * each of its width values is, repeated for every cell, as in
 * SmpcJobSpec.kinds; the bounds that apply; the column (for messages).
 */
typedef struct SmpcNoiseShape
{
	const char		 *kinds;
	int				  width;
	const SmpcBounds *bounds;
	const char		 *column;
	/*
	 * Per kind, how far one row reaches: its sensitivity is multiplied by
	 * it. n - 1 for the counts of an overlap matrix (one key of one party is
	 * in the n - 1 pairs of that party) and for the sum of an intersection
	 * sum (one key can bring every other party's total into the overlap);
	 * NULL: 1 for every kind.
	 */
	const int *reach;
} SmpcNoiseShape;
extern double *smpc_privacy_noise(const SmpcFederationRow *fed, const SmpcNoiseShape *shape,
								  double epsilon);
/* A job's charges to privacy budgets, recorded in smpc.audit_log before it starts. */
typedef struct SmpcPrivacyCharge
{
	List  *budget_datasets; /* char *: the budgets charged (a column, or '*') */
	double epsilon;
} SmpcPrivacyCharge;
/* (initiator: the partner that asked for the job, or NULL, for the audit records) */
extern void smpc_privacy_admit(const SmpcFederationRow *fed, const char *job_id,
							   const char *descriptor, const char *initiator,
							   const SmpcSources *sources, double epsilon,
							   SmpcPrivacyCharge *charge);
extern void smpc_privacy_require_none(const SmpcFederationRow *fed, const SmpcSources *sources);
extern void smpc_privacy_refund(const SmpcFederationRow *fed, const char *job_id,
								const char *descriptor, const char *initiator,
								const SmpcPrivacyCharge *charge);

#endif /* SMPC_PG_POLICY_POLICY_H */
