/*
 * The bottom of the PostgreSQL glue (src/pg/README.md): what every other
 * folder of src/pg and src/net uses: PostgreSQL's basic headers, the core's
 * exception-free API, our SQLSTATEs and settings, core errors as PostgreSQL
 * errors, federations from the catalog and the SPI helpers.
 *
 * These files are C++ only for the compiler: they are written in C style, hold
 * no objects with destructors in frames that can ereport(), and reach the
 * C++ core only through the noexcept functions of bridge/core_api.hpp.
 */
#ifndef SMPC_PG_COMMON_H
#define SMPC_PG_COMMON_H

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

/* SQLSTATEs of our own (class SM), documented in docs/reference.md. */
#define ERRCODE_SMPC_PARTNER_TIMEOUT	 MAKE_SQLSTATE('S', 'M', '0', '0', '1')
#define ERRCODE_SMPC_FEDERATION_MISMATCH MAKE_SQLSTATE('S', 'M', '0', '0', '2')
#define ERRCODE_SMPC_PROTOCOL_VIOLATION	 MAKE_SQLSTATE('S', 'M', '0', '0', '3')
#define ERRCODE_SMPC_PARTNER_ABORTED	 MAKE_SQLSTATE('S', 'M', '0', '0', '4')
#define ERRCODE_SMPC_JOB_CONFLICT		 MAKE_SQLSTATE('S', 'M', '0', '0', '5')
#define ERRCODE_SMPC_POLICY_REFUSED		 MAKE_SQLSTATE('S', 'M', '0', '0', '6')
#define ERRCODE_SMPC_POLICY_MISMATCH	 MAKE_SQLSTATE('S', 'M', '0', '0', '7')
#define ERRCODE_SMPC_JOB_NOT_RUNNING	 MAKE_SQLSTATE('S', 'M', '0', '0', '8')
#define ERRCODE_SMPC_JOB_RELEASED		 MAKE_SQLSTATE('S', 'M', '0', '0', '9')

/* Settings (common/settings.cpp; defined as settings by _PG_init, module.cpp) */
extern int	 smpc_timeout_ms;
extern char *smpc_federation_name;
extern bool	 smpc_allow_insecure_transport;
extern int	 smpc_max_messages;
extern int	 smpc_test_fault; /* test builds (SMPC_TEST_BUILD) only */
#ifdef SMPC_TEST_BUILD
/* settings.cpp: sleeps ms, however often the latch is set meanwhile (test faults' pauses). */
extern void smpc_test_sleep(long ms);
#endif
#define SMPC_OUTSIDE_REJECT 0
#define SMPC_OUTSIDE_DROP	1
extern int smpc_outside_domain;		 /* grouped aggregates: keys outside the domain */
extern int smpc_key_domain_cache_kb; /* a key domain kept across queries, at most */
#define SMPC_REPEATED_COUNT_ONCE 0
#define SMPC_REPEATED_REFUSE	 1
extern int	  smpc_repeated_keys; /* set jobs: a party's repeated keys */
extern double smpc_epsilon;		  /* differential privacy per job; 0: off */
extern int	  smpc_audit_queue_kb;
extern bool	  smpc_audit_server_log;

/* errors.cpp: raise a core status as a PostgreSQL error (never returns). */
extern void smpc_raise_status(const SmpcStatus *st) pg_attribute_noreturn();
extern void smpc_never_raise(void (*fn)(void *), void *arg);

/* settings.cpp: what every smpc background worker shares. */
struct BackgroundWorker;
extern void smpc_bgworker_init(struct BackgroundWorker *worker, const char *function,
							   const char *type);

/* catalog.cpp: federations from smpc.federations. */
typedef struct SmpcFederationRow
{
	char  *name;
	char  *self_name;
	int	   nparties;
	char **parties;
	int	   scale;
	int	   self;
	/* sharing and roles (party indexes, ascending; n 0 = every party) */
	int	 threshold; /* 0: additive n-of-n */
	int	 ncompute;
	int *compute;
	int	 ninputs;
	int *inputs;
	int	 noutputs;
	int *outputs;
	/* release policy */
	int	  min_parties;
	int64 min_rows;
	bool  require_bounds;
	bool  overlap_pairs; /* set jobs may release each pair's overlap (smpc_overlap_matrix) */
} SmpcFederationRow;

/*
 * The extension version whose SQL objects this library reads: the Makefile
 * passes default_version of smpc.control, so the two cannot drift apart.
 */
#ifndef SMPC_SCHEMA_VERSION
#error "SMPC_SCHEMA_VERSION comes from the Makefile (default_version in smpc.control)"
#endif
extern SmpcFederationRow *smpc_load_federation(const char *name, bool missing_ok);
extern char				 *smpc_default_federation_name(void);
extern void smpc_federation_as_core(const SmpcFederationRow *row, SmpcFederation *out);
extern void smpc_check_result_grant(const SmpcFederationRow *fed);
extern void smpc_check_result_grant_as(const SmpcFederationRow *fed, Oid role);
extern bool smpc_party_is_input(const SmpcFederationRow *fed, int party);
/*
 * Whether every party of fed supplies an input, computes and learns the
 * result (peer to peer): only then do partners' calls hand messages back
 * (messaging/handover.cpp).
 */
extern bool	 smpc_federation_peer_to_peer(const SmpcFederationRow *fed);
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
extern int smpc_spi_execute(SmpcCachedQuery *q, Datum *args, const char *nulls, bool read_only,
							long count);
/* Read-only, on what is committed now (a fresh snapshot), also in parallel mode. */
extern int smpc_spi_execute_now(SmpcCachedQuery *q, Datum *args, const char *nulls, long count);

typedef struct SmpcOwnerContext
{
	Oid save_userid;
	int save_sec;
	int nestlevel;
} SmpcOwnerContext;

extern void smpc_begin_as_owner(SmpcOwnerContext *ctx);
extern void smpc_end_as_owner(const SmpcOwnerContext *ctx);

/*
 * kinds.cpp: what a job computes and how its values are encoded. Inside the
 * glue they are enums; SQL and the job descriptor every party must share
 * name them as text, which smpc_aggregate_name and smpc_value_class_name
 * give unchanged ("sum", "integer", ...) and the _parse functions read.
 */
typedef enum SmpcAggregate
{
	SMPC_AGG_NONE = 0, /* not an aggregate of a job */
	SMPC_AGG_SUM,
	SMPC_AGG_COUNT,
	SMPC_AGG_AVG,
	SMPC_AGG_VARIANCE,	/* S, Q and n of variances and standard deviations */
	SMPC_AGG_HISTOGRAM, /* also percentiles */
	/* Set jobs (aggregates/sets.cpp): distinct keys held by all, by k, by any party. */
	SMPC_AGG_INTERSECT_COUNT,
	SMPC_AGG_OVERLAP_COUNT,
	SMPC_AGG_UNION_COUNT,
	/* Their grouped forms: a count per group of a public domain. */
	SMPC_AGG_INTERSECT_COUNT_BY,
	SMPC_AGG_OVERLAP_COUNT_BY,
	SMPC_AGG_UNION_COUNT_BY,
	/* The sum of the parties' values over the keys every party holds, and that count. */
	SMPC_AGG_INTERSECT_SUM,
	SMPC_AGG_INTERSECT_AVG, /* the same job, the sum divided by the count */
	/* The distinct keys each pair of parties holds (the overlap matrix). */
	SMPC_AGG_OVERLAP_MATRIX,
	/* Intersection sums and averages per group of a public domain. */
	SMPC_AGG_INTERSECT_SUM_BY,
	SMPC_AGG_INTERSECT_AVG_BY
} SmpcAggregate;

/* Whether a set job sums values over the overlap (its values: [sum, count] per group). */
static inline bool
smpc_aggregate_sums_overlap(SmpcAggregate kind)
{
	return kind == SMPC_AGG_INTERSECT_SUM || kind == SMPC_AGG_INTERSECT_AVG ||
		   kind == SMPC_AGG_INTERSECT_SUM_BY || kind == SMPC_AGG_INTERSECT_AVG_BY;
}

typedef enum SmpcValueClass
{
	SMPC_VALUE_NONE = 0, /* a type sums and averages do not take */
	SMPC_VALUE_INTEGER,	 /* smallint, integer, bigint: exact, at scale 0 */
	SMPC_VALUE_NUMERIC,	 /* exact, at the federation's scale */
	SMPC_VALUE_FLOAT8,	 /* rounded row by row to the federation's scale */
	SMPC_VALUE_ANY,		 /* counts: any type */
	/* The keys of set jobs (integer keys are SMPC_VALUE_INTEGER): */
	SMPC_VALUE_TEXT,
	SMPC_VALUE_BYTEA,
	SMPC_VALUE_UUID
} SmpcValueClass;

extern const char	 *smpc_aggregate_name(SmpcAggregate agg);
extern SmpcAggregate  smpc_aggregate_parse(const char *name);
extern const char	 *smpc_value_class_name(SmpcValueClass vc);
extern SmpcValueClass smpc_value_class_parse(const char *name);

#endif /* SMPC_PG_COMMON_H */
