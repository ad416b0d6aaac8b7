/*
 * Differential privacy for a job (SET smpc.epsilon): the noise each value
 * gets, and the privacy-budget ledger that admits the job.
 *
 * Noise: a job with budget epsilon over a vector whose cells hold L
 * statistics (a sum and a count, say) spends epsilon / L on each (sequential
 * composition); cells are disjoint groups of rows, so each cell may spend
 * that much (parallel composition). A value of sensitivity D (in its fixed
 * point: 1 for a count, max(|lo|, |hi|) of the clipping bounds for a sum,
 * its square for a sum of squares) gets discrete Laplace noise with
 * alpha = exp(-x), x the largest double with x * L * D <= epsilon (exactly,
 * in integers: so x * D never exceeds epsilon / L by a rounding), drawn in
 * shares by the input parties with exact integer samplers
 * (protocol/noise_plan.hpp, crypto/noise.hpp). Sums and sums of squares
 * need bounds: without them the sensitivity is unbounded and the job is
 * refused. The samplers draw every scale up to 2^50 units, and no draw
 * fails; a larger scale (x below 2^-50) is refused here, before the job is
 * charged or sends anything.
 *
 * Ledger: smpc.audit_log. Before a job with noise sends anything, its
 * charge is written there as a record of its own (outcome 'charged',
 * epsilon, the budget charged) by the audit writer in the writer's own
 * transaction, and the job waits until it is on disk: rolling back the
 * caller's transaction, a failure or a partner that withholds its last
 * message cannot undo it. Only a job that fails before any of its messages
 * left this party is refunded (a 'refunded' record with -epsilon). No draw
 * of the samplers fails, so whether a job is refunded does not depend on
 * its noise, with one exception: a local sum plus its noise share outside
 * the field's no-wrap bound (protocol/noise_plan.hpp) fails the job before
 * it sends anything, which takes a local sum within a few noise scales of
 * +-(2^126 - 1) / n. A stored result returned again is not charged.
 *
 * A job without smpc.epsilon that a budget applies to is refused: an exact
 * release would spend more than any budget.
 *
 * Which budgets apply: budgets belong to this party, not to a federation.
 * A job reads base columns (sources.cpp: its value and a grouped job's key,
 * followed through renames, subqueries, views, expressions and inlined SQL
 * functions); each column takes the budgets named after it, declared in any
 * federation, else the '*' budgets; a job that reads no column takes the '*'
 * budgets, and one whose columns cannot be followed takes every budget
 * there is (it may read any column). A budget's ledger is every charge to
 * its name, through every federation: the shared budget (role NULL) counts
 * every role's spending, a role's budget its own. Each budget that applies
 * must still hold epsilon, at least one must apply, and the job is charged
 * once to each name that applies.
 *
 * Admissions are serialised by one lock for the whole database that no SQL
 * function can take (so no user can hold it), held from reading the
 * spending until the charges are on disk and released at once after: two
 * sessions can never both spend the last of a budget, through one
 * federation or two, and a job does not hold it while it waits for
 * partners.
 */
#include "pg/policy/policy.h"
#include "pg/audit/audit.h"

#include <math.h>

extern "C" {
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/array.h"
#include "utils/builtins.h"
}

/*
 * The sensitivity of a value of kind 'c', 's' or 'q' in its fixed point,
 * exactly: 1 for a count, max(|lo|, |hi|) for a sum, its square for a sum of
 * squares; UINT128 max when that does not fit 128 bits. False: unbounded.
 */
static bool
smpc_sensitivity(char kind, const SmpcBounds *b, unsigned __int128 *d)
{
	unsigned __int128 lo;
	unsigned __int128 hi;
	unsigned __int128 m;

	if (kind == 'c')
	{
		*d = 1;
		return true;
	}
	if (b == NULL || !b->present)
		return false;
	lo = b->lo < 0 ? -(unsigned __int128) b->lo : (unsigned __int128) b->lo;
	hi = b->hi < 0 ? -(unsigned __int128) b->hi : (unsigned __int128) b->hi;
	m = lo > hi ? lo : hi;
	if (kind == 'q' && __builtin_mul_overflow(m, m, d))
		*d = ~(unsigned __int128) 0;
	else if (kind != 'q')
		*d = m;
	return true;
}

/* A finite positive double as mant * 2^exp, mant an integer below 2^53. */
static uint64
smpc_double_parts(double v, int *exp)
{
	int	   e;
	double m = frexp(v, &e);

	*exp = e - 53;
	return (uint64) ldexp(m, 53);
}

/* Whether x * a <= epsilon exactly (x, epsilon positive; a below 2^63). */
static bool
smpc_privacy_within(double x, uint64 a, double epsilon)
{
	int				  ex;
	int				  ee;
	unsigned __int128 lhs = (unsigned __int128) smpc_double_parts(x, &ex) * a; /* < 2^116 */
	uint64			  me = smpc_double_parts(epsilon, &ee);
	int				  k = ex - ee;

	/* lhs * 2^k <= me */
	if (k >= 0)
		return k < 64 && lhs <= (unsigned __int128) (me >> k);
	k = -k;
	if (k >= 128)
		return true;
	/* lhs <= me * 2^k, i.e. ceil(lhs / 2^k) <= me */
	return (lhs >> k) + ((lhs & ((((unsigned __int128) 1) << k) - 1)) != 0) <= me;
}

/* The samplers' smallest exponent (crypto::kMinLaplaceExponent): a noise scale of at most 2^50. */
#define SMPC_PRIVACY_MIN_EXPONENT 0x1.0p-50

/*
 * Per value of the job (shape), the exponent x of its noise, alpha = exp(-x): the
 * largest double with x * L * d <= epsilon exactly (L statistics per cell, d
 * the value's sensitivity), so that rounding never spends more than
 * epsilon / L; 0 for a value that cannot change (d = 0). A scale beyond
 * what the samplers draw (x below 2^-50) is refused here, before anything
 * is sent.
 */
double *
smpc_privacy_noise(const SmpcFederationRow *fed, const SmpcNoiseShape *shape, double epsilon)
{
	int		stats = (int) strlen(shape->kinds);
	double *per_kind = (double *) palloc0(sizeof(double) * stats);
	double *x = (double *) palloc0(sizeof(double) * shape->width);

	/* One exponent per statistic of a cell; every cell repeats them. */
	for (int k = 0; k < stats; k++)
	{
		unsigned __int128 d;
		double			  xk;

		if (!smpc_sensitivity(shape->kinds[k], shape->bounds, &d))
			ereport(ERROR, errcode(ERRCODE_SMPC_POLICY_REFUSED),
					errmsg("a job with smpc.epsilon needs clipping bounds for the column it sums"),
					errdetail("Without bounds one row can change a sum without limit, so no noise "
							  "is enough."),
					errhint("Declare them with smpc.set_bounds('%s', '%s', lo, hi) at every party.",
							fed->name, shape->column ? shape->column : "*"));
		if (d == 0)
			continue;
		if (shape->reach != NULL && shape->reach[k] > 1 &&
			__builtin_mul_overflow(d, (unsigned __int128) shape->reach[k], &d))
			d = ~(unsigned __int128) 0; /* a scale far beyond 2^50: refused below */
		/* epsilon <= 100 and L * d above 2^60 is a scale far beyond 2^50 */
		xk = d > ((unsigned __int128) 1 << 60) ? 0 : (epsilon / stats) / (double) d;
		while (xk > 0 && !smpc_privacy_within(xk, (uint64) stats * (uint64) d, epsilon))
			xk = nextafter(xk, 0);
		while (xk > 0 &&
			   smpc_privacy_within(nextafter(xk, HUGE_VAL), (uint64) stats * (uint64) d, epsilon))
			xk = nextafter(xk, HUGE_VAL);
		if (!(xk >= SMPC_PRIVACY_MIN_EXPONENT) && shape->kinds[k] == 'c')
			ereport(ERROR, errcode(ERRCODE_SMPC_POLICY_REFUSED),
					errmsg("smpc.epsilon %g is too small for a count", epsilon),
					errdetail("The noise scale, %d divided by epsilon / %d, would exceed 2^50, the "
							  "largest that is drawn.",
							  shape->reach ? Max(shape->reach[k], 1) : 1, stats),
					errhint("Use a larger epsilon."));
		if (!(xk >= SMPC_PRIVACY_MIN_EXPONENT))
			ereport(
				ERROR, errcode(ERRCODE_SMPC_POLICY_REFUSED),
				errmsg("smpc.epsilon %g is too small for the bounds of column \"%s\"", epsilon,
					   shape->column ? shape->column : "*"),
				errdetail("The noise scale, the sensitivity divided by epsilon / %d, would exceed "
						  "2^50 units of the job's fixed point, the largest that is drawn.",
						  stats),
				errhint("Use a larger epsilon or narrower bounds."));
		per_kind[k] = xk;
	}
	for (int k = 0; k < shape->width; k++)
		x[k] = per_kind[k % stats];
	pfree(per_kind);
	return x;
}

/*
 * The lock that serialises admissions in this database: an advisory lock
 * tag with a field4 that pg_advisory_lock() never uses (it uses 1 and 2).
 */
#define SMPC_PRIVACY_LOCK_SPACE 0x534d

static void
smpc_privacy_locktag(LOCKTAG *tag)
{
	SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId, 0x62756467, 0x736d7063, SMPC_PRIVACY_LOCK_SPACE);
}

/* A budget in smpc.privacy_budgets, with its spending once read. */
typedef struct SmpcBudgetRow
{
	char  *federation; /* where it was declared */
	char  *dataset;	   /* a column, or '*' */
	char  *role;	   /* NULL: the shared budget */
	double budget;
	double spent;
} SmpcBudgetRow;

/* Every budget at this party, in any federation, as committed now. */
static List *
smpc_privacy_budget_rows(void)
{
	static SmpcCachedQuery q = {
		"SELECT federation, dataset, role, epsilon FROM smpc.privacy_budgets "
		"ORDER BY dataset = '*', dataset, role NULLS FIRST, federation",
		0,
		{},
		NULL};
	SmpcOwnerContext owner;
	MemoryContext	 callercxt = CurrentMemoryContext;
	List			*rows = NIL;

	smpc_begin_as_owner(&owner);
	SPI_connect();
	smpc_spi_execute_now(&q, NULL, NULL, 0);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	   tup = SPI_tuptable->vals[i];
		TupleDesc	   desc = SPI_tuptable->tupdesc;
		SmpcBudgetRow *r = (SmpcBudgetRow *) MemoryContextAllocZero(callercxt, sizeof *r);
		char		  *who = SPI_getvalue(tup, desc, 3);

		r->federation = MemoryContextStrdup(callercxt, SPI_getvalue(tup, desc, 1));
		r->dataset = MemoryContextStrdup(callercxt, SPI_getvalue(tup, desc, 2));
		r->role = who ? MemoryContextStrdup(callercxt, who) : NULL;
		r->budget = strtod(SPI_getvalue(tup, desc, 4), NULL);
		rows = lappend(rows, r);
	}
	SPI_finish();
	smpc_end_as_owner(&owner);
	return rows;
}

/* Whether a budget named dataset is among rows. */
static bool
smpc_privacy_named(List *rows, const char *dataset)
{
	ListCell *lc;

	foreach (lc, rows)
		if (strcmp(((SmpcBudgetRow *) lfirst(lc))->dataset, dataset) == 0)
			return true;
	return false;
}

/*
 * The column among what src reads that budget r applies to (file header):
 * a column name, "*" for a job that reads no column, "" for one whose
 * columns cannot be followed; NULL if r does not apply.
 */
static const char *
smpc_privacy_applies_to(List *rows, const SmpcBudgetRow *r, const SmpcSources *src)
{
	ListCell *lc;

	if (src == NULL || src->unknown)
		return "";
	if (src->columns == NIL)
		return strcmp(r->dataset, "*") == 0 ? "*" : NULL;
	foreach (lc, src->columns)
	{
		const char *column = (const char *) lfirst(lc);

		if (strcmp(r->dataset, column) == 0 ||
			(strcmp(r->dataset, "*") == 0 && !smpc_privacy_named(rows, column)))
			return column;
	}
	return NULL;
}

/* What src reads, for messages about budgets. */
static const char *
smpc_privacy_what(const SmpcSources *src)
{
	if (src == NULL)
		return "an input that was not followed";
	return src->why;
}

/* The spending on each of rows (the ledger, through every federation). */
static void
smpc_privacy_spending(List *rows)
{
	static SmpcCachedQuery q = {
		"SELECT budget_dataset, requested_by::text, sum(epsilon)::text FROM smpc.audit_log "
		"WHERE outcome IN ('charged', 'refunded') AND budget_dataset = ANY ($1) "
		"GROUP BY 1, 2",
		1,
		{TEXTARRAYOID},
		NULL};
	SmpcOwnerContext owner;
	Datum			*names = (Datum *) palloc(sizeof(Datum) * Max(list_length(rows), 1));
	Datum			 args[1];
	ListCell		*lc;
	int				 n = 0;

	foreach (lc, rows)
		names[n++] = CStringGetTextDatum(((SmpcBudgetRow *) lfirst(lc))->dataset);
	args[0] = PointerGetDatum(construct_array(names, n, TEXTOID, -1, false, TYPALIGN_INT));
	smpc_begin_as_owner(&owner);
	SPI_connect();
	/* Spending committed up to now, not as of the caller's snapshot. */
	smpc_spi_execute_now(&q, args, NULL, 0);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		const char *dataset = SPI_getvalue(tup, desc, 1);
		const char *who = SPI_getvalue(tup, desc, 2);
		double		spent = strtod(SPI_getvalue(tup, desc, 3), NULL);

		foreach (lc, rows)
		{
			SmpcBudgetRow *r = (SmpcBudgetRow *) lfirst(lc);

			if (strcmp(r->dataset, dataset) == 0 && (r->role == NULL || strcmp(r->role, who) == 0))
				r->spent += spent;
		}
	}
	SPI_finish();
	smpc_end_as_owner(&owner);
}

/* How long a job waits for its charge to be on disk. */
#define SMPC_PRIVACY_CHARGE_TIMEOUT_MS 10000

/* Records the charge of epsilon (negative: a refund) to budget `dataset`. */
static bool
smpc_privacy_record(const SmpcFederationRow *fed, const char *job_id, const char *descriptor,
					const char *initiator, const char *outcome, const char *dataset, double epsilon,
					bool durably)
{
	SmpcAuditRecord rec;

	smpc_audit_begin(&rec, fed, job_id, descriptor, 0, initiator);
	rec.text[SMPC_AUDIT_OUTCOME] = outcome;
	rec.text[SMPC_AUDIT_EPSILON] = psprintf("%.17g", epsilon);
	rec.text[SMPC_AUDIT_BUDGET] = dataset;
	if (!durably)
	{
		smpc_audit_emit(&rec);
		return true;
	}
	return smpc_audit_emit_durably(&rec, SMPC_PRIVACY_CHARGE_TIMEOUT_MS) &&
		   smpc_audit_recorded(rec.text[SMPC_AUDIT_EVENT_ID]);
}

/*
 * Admits a job that reads src and spends epsilon, for the current role, and
 * records its charges durably, or raises SM006 (pg/policy/policy.h).
 */
void
smpc_privacy_admit(const SmpcFederationRow *fed, const char *job_id, const char *descriptor,
				   const char *initiator, const SmpcSources *src, double epsilon,
				   SmpcPrivacyCharge *charge)
{
	char	   *role = GetUserNameFromId(GetUserId(), false);
	List	   *rows;
	List	   *applying = NIL;
	const char *first = NULL;
	char	   *refusal = NULL;
	LOCKTAG		tag;
	bool		written = true;
	ListCell   *lc;

	smpc_privacy_locktag(&tag);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
	rows = smpc_privacy_budget_rows();
	foreach (lc, rows)
	{
		SmpcBudgetRow *r = (SmpcBudgetRow *) lfirst(lc);
		const char	  *column = smpc_privacy_applies_to(rows, r, src);

		if (column == NULL || (r->role != NULL && strcmp(r->role, role) != 0))
			continue;
		applying = lappend(applying, r);
		if (first == NULL)
			first = column;
	}
	if (applying == NIL)
	{
		const char *dataset = src != NULL && !src->unknown && src->columns != NIL
								  ? (const char *) linitial(src->columns)
								  : "*";

		LockRelease(&tag, ExclusiveLock, false);
		ereport(
			ERROR, errcode(ERRCODE_SMPC_POLICY_REFUSED),
			errmsg("no privacy budget for dataset \"%s\" in federation \"%s\"", dataset, fed->name),
			src != NULL && !src->unknown
				? errdetail("A job with smpc.epsilon spends privacy budget, which this party's "
							"administrator grants per dataset.")
				: errdetail("The job's value comes through %s, so it needs a budget for every "
							"column, and there is none.",
							smpc_privacy_what(src)),
			errhint(
				"An smpc_admin member runs SELECT smpc.set_privacy_budget('%s', '%s', epsilon).",
				fed->name, dataset));
	}
	smpc_privacy_spending(applying);
	foreach (lc, applying)
	{
		SmpcBudgetRow *r = (SmpcBudgetRow *) lfirst(lc);
		double		   left = fmax(r->budget - r->spent, 0);

		if (r->spent + epsilon <= r->budget * (1 + 1e-12))
			continue;
		refusal = r->role
					  ? psprintf("Role \"%s\" has %g of its budget of %g left on dataset \"%s\"",
								 r->role, left, r->budget, r->dataset)
					  : psprintf("The shared budget of %g on dataset \"%s\" has %g left", r->budget,
								 r->dataset, left);
		break;
	}
	if (refusal != NULL)
	{
		LockRelease(&tag, ExclusiveLock, false);
		ereport(ERROR, errcode(ERRCODE_SMPC_POLICY_REFUSED),
				errmsg("privacy budget exhausted: this job needs epsilon %g", epsilon),
				errdetail("%s.", refusal),
				errhint("Use a smaller smpc.epsilon, or ask the administrator for more budget "
						"(smpc.set_privacy_budget)."));
	}

	/* The charges, on disk before anything is sent: once per budget name. */
	charge->budget_datasets = NIL;
	charge->epsilon = epsilon;
	foreach (lc, applying)
	{
		const char *dataset = ((SmpcBudgetRow *) lfirst(lc))->dataset;

		if (smpc_names_have(charge->budget_datasets, dataset))
			continue;
		charge->budget_datasets = lappend(charge->budget_datasets, pstrdup(dataset));
		written = written && smpc_privacy_record(fed, job_id, descriptor, initiator, "charged",
												 dataset, epsilon, true);
	}
	LockRelease(&tag, ExclusiveLock, false);
	if (!written)
		ereport(
			ERROR, errcode(ERRCODE_SMPC_POLICY_REFUSED),
			errmsg("could not record the privacy charge of job \"%s\" in smpc.audit_log", job_id),
			errdetail("A job with smpc.epsilon starts only once its charge is on disk."),
			errhint("Check the server log for errors of the smpc audit writer, and "
					"smpc.audit_queue_size."));
}

/*
 * An exact job (no smpc.epsilon) spends unlimited budget: refused when a
 * privacy budget applies to what it reads (src), for any role.
 */
void
smpc_privacy_require_none(const SmpcFederationRow *fed, const SmpcSources *src)
{
	List	 *rows = smpc_privacy_budget_rows();
	ListCell *lc;

	foreach (lc, rows)
	{
		SmpcBudgetRow *r = (SmpcBudgetRow *) lfirst(lc);
		const char	  *column = smpc_privacy_applies_to(rows, r, src);

		if (column == NULL)
			continue;
		if (column[0] == '\0')
			ereport(ERROR, errcode(ERRCODE_SMPC_POLICY_REFUSED),
					errmsg("smpc cannot tell which columns this job reads, and this party has "
						   "privacy budgets: it needs smpc.epsilon"),
					errdetail("The job's value comes through %s, so every budget applies (the "
							  "first is \"%s\", declared in federation \"%s\").",
							  smpc_privacy_what(src), r->dataset, r->federation),
					errhint("SET smpc.epsilon to the budget this job may spend, at every party, or "
							"aggregate columns of tables directly."));
		ereport(ERROR, errcode(ERRCODE_SMPC_POLICY_REFUSED),
				errmsg("dataset \"%s\" has a privacy budget: jobs on it need smpc.epsilon", column),
				errdetail("An exact result spends more than any budget (the budget that applies is "
						  "\"%s\", declared in federation \"%s\").",
						  r->dataset, r->federation),
				errhint("SET smpc.epsilon to the budget this job may spend, at every party."));
	}
}

/*
 * Gives the charges back: for a job that failed before any of its messages
 * left this party (nothing of its input went anywhere). Best effort: a
 * refund that is lost only leaves the budget charged.
 */
void
smpc_privacy_refund(const SmpcFederationRow *fed, const char *job_id, const char *descriptor,
					const char *initiator, const SmpcPrivacyCharge *charge)
{
	ListCell *lc;

	foreach (lc, charge->budget_datasets)
		(void) smpc_privacy_record(fed, job_id, descriptor, initiator, "refunded",
								   (const char *) lfirst(lc), -charge->epsilon, false);
}
