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
 * A job without smpc.epsilon on a dataset that a budget applies to is
 * refused: an exact release would spend more than any budget.
 *
 * Admission: the budgets in smpc.privacy_budgets for the job's dataset (a
 * published dataset's "dataset.column", else the column the aggregate
 * reads; a dataset without entries of its own takes the '*' entries): the
 * shared budget (role NULL) counts every role's spending, a role's budget
 * its own; each that exists must still hold epsilon, and at least one must
 * exist. Admissions in one federation are serialised by a lock that no SQL
 * function can take (so no user can hold it), held from reading the
 * spending until the charge is on disk and released at once after: two
 * sessions can never both spend the last of a budget, and a job does not
 * hold it while it waits for partners.
 */
#include "pg/smpc_pg.h"

#include <math.h>

extern "C" {
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/builtins.h"
}

double		smpc_epsilon = 0;

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
	int			e;
	double		m = frexp(v, &e);

	*exp = e - 53;
	return (uint64) ldexp(m, 53);
}

/* Whether x * a <= epsilon exactly (x, epsilon positive; a below 2^63). */
static bool
smpc_privacy_within(double x, uint64 a, double epsilon)
{
	int			ex;
	int			ee;
	unsigned __int128 lhs = (unsigned __int128) smpc_double_parts(x, &ex) * a;	/* < 2^116 */
	uint64		me = smpc_double_parts(epsilon, &ee);
	int			k = ex - ee;

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
 * Per value of the job, the exponent x of its noise, alpha = exp(-x): the
 * largest double with x * L * d <= epsilon exactly (L statistics per cell, d
 * the value's sensitivity), so that rounding never spends more than
 * epsilon / L; 0 for a value that cannot change (d = 0). A scale beyond
 * what the samplers draw (x below 2^-50) is refused here, before anything
 * is sent.
 */
double *
smpc_privacy_noise(const SmpcFederationRow *fed, const SmpcJobRequest *req, double epsilon)
{
	int			stats = (int) strlen(req->kinds);
	double	   *per_kind = (double *) palloc0(sizeof(double) * stats);
	double	   *x = (double *) palloc0(sizeof(double) * req->width);

	/* One exponent per statistic of a cell; every cell repeats them. */
	for (int k = 0; k < stats; k++)
	{
		unsigned __int128 d;
		double		xk;

		if (!smpc_sensitivity(req->kinds[k], req->bounds, &d))
			ereport(ERROR,
					errcode(ERRCODE_SMPC_POLICY_REFUSED),
					errmsg("a job with smpc.epsilon needs clipping bounds for the column it sums"),
					errdetail("Without bounds one row can change a sum without limit, so no noise is enough."),
					errhint("Declare them with smpc.set_bounds('%s', '%s', lo, hi) at every party.",
							fed->name, req->column ? req->column : "*"));
		if (d == 0)
			continue;
		/* epsilon <= 100 and L * d above 2^60 is a scale far beyond 2^50 */
		xk = d > ((unsigned __int128) 1 << 60) ? 0 : (epsilon / stats) / (double) d;
		while (xk > 0 && !smpc_privacy_within(xk, (uint64) stats * (uint64) d, epsilon))
			xk = nextafter(xk, 0);
		while (xk > 0 && smpc_privacy_within(nextafter(xk, HUGE_VAL), (uint64) stats * (uint64) d, epsilon))
			xk = nextafter(xk, HUGE_VAL);
		if (!(xk >= SMPC_PRIVACY_MIN_EXPONENT))
			ereport(ERROR,
					errcode(ERRCODE_SMPC_POLICY_REFUSED),
					errmsg("smpc.epsilon %g is too small for the bounds of column \"%s\"", epsilon,
						   req->column ? req->column : "*"),
					errdetail("The noise scale, the sensitivity divided by epsilon / %d, would exceed 2^50 units of the job's fixed point, the largest that is drawn.",
							  stats),
					errhint("Use a larger epsilon or narrower bounds."));
		per_kind[k] = xk;
	}
	for (int k = 0; k < req->width; k++)
		x[k] = per_kind[k % stats];
	pfree(per_kind);
	return x;
}

/*
 * The lock that serialises admissions in a federation: an advisory lock tag
 * with a field4 that pg_advisory_lock() never uses (it uses 1 and 2).
 */
#define SMPC_PRIVACY_LOCK_SPACE 0x534d

static void
smpc_privacy_locktag(LOCKTAG *tag, const char *federation)
{
	uint32		h = hash_bytes((const unsigned char *) federation, (int) strlen(federation));

	SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId, h, 0x736d7063, SMPC_PRIVACY_LOCK_SPACE);
}

/* Spending per budget that applies, read with a fresh snapshot. */
typedef struct SmpcBudgetRow
{
	char	   *dataset;
	char	   *role;			/* NULL: the shared budget */
	double		budget;
	double		spent;
} SmpcBudgetRow;

static int
smpc_privacy_budgets(const SmpcFederationRow *fed, const char *dataset, const char *role,
					 SmpcBudgetRow **rows)
{
	static SmpcCachedQuery q = {
		"SELECT b.dataset, b.role, b.epsilon, "
		"       coalesce((SELECT sum(l.epsilon) FROM smpc.audit_log l "
		"                 WHERE l.outcome IN ('charged', 'refunded') "
		"                   AND l.federation = b.federation AND l.budget_dataset = b.dataset "
		"                   AND (b.role IS NULL OR l.requested_by = b.role)), 0) "
		"FROM smpc.privacy_budgets b "
		"WHERE b.federation = $1 AND (b.role IS NULL OR b.role = $3) "
		"  AND b.dataset = CASE WHEN EXISTS (SELECT FROM smpc.privacy_budgets x "
		"                                    WHERE x.federation = $1 AND x.dataset = $2) "
		"                       THEN $2 ELSE '*' END",
	3, {TEXTOID, TEXTOID, NAMEOID}, NULL};
	Datum		args[3];
	SmpcOwnerContext owner;
	MemoryContext callercxt = CurrentMemoryContext;
	int			n;

	args[0] = CStringGetTextDatum(fed->name);
	args[1] = CStringGetTextDatum(dataset);
	args[2] = DirectFunctionCall1(namein, CStringGetDatum(role));
	smpc_begin_as_owner(&owner);
	SPI_connect();
	/* Spending committed up to now, not as of the caller's snapshot. */
	smpc_spi_execute_now(&q, args, NULL, 0);
	n = (int) SPI_processed;
	*rows = (SmpcBudgetRow *) MemoryContextAllocZero(callercxt, sizeof(SmpcBudgetRow) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *who = SPI_getvalue(tup, desc, 2);

		(*rows)[i].dataset = MemoryContextStrdup(callercxt, SPI_getvalue(tup, desc, 1));
		(*rows)[i].role = who ? MemoryContextStrdup(callercxt, who) : NULL;
		(*rows)[i].budget = strtod(SPI_getvalue(tup, desc, 3), NULL);
		(*rows)[i].spent = strtod(SPI_getvalue(tup, desc, 4), NULL);
	}
	SPI_finish();
	smpc_end_as_owner(&owner);
	return n;
}

/* Whether the audit record event_id is in smpc.audit_log (committed now). */
static bool
smpc_privacy_recorded(const char *event_id)
{
	static SmpcCachedQuery q = {"SELECT 1 FROM smpc.audit_log WHERE event_id = $1::uuid",
	1, {TEXTOID}, NULL};
	Datum		args[1];
	SmpcOwnerContext owner;
	bool		found;

	args[0] = CStringGetTextDatum(event_id);
	smpc_begin_as_owner(&owner);
	SPI_connect();
	smpc_spi_execute_now(&q, args, NULL, 1);
	found = SPI_processed == 1;
	SPI_finish();
	smpc_end_as_owner(&owner);
	return found;
}

/* How long a job waits for its charge to be on disk. */
#define SMPC_PRIVACY_CHARGE_TIMEOUT_MS 10000

/*
 * Admits a job spending epsilon on `dataset` for the current role and
 * records the charge durably, or raises SM006 (smpc_pg.h).
 */
void
smpc_privacy_admit(const SmpcFederationRow *fed, const char *job_id, const char *descriptor,
				   const char *dataset, double epsilon, SmpcPrivacyCharge *charge)
{
	char	   *role = GetUserNameFromId(GetUserId(), false);
	SmpcBudgetRow *rows;
	char	   *refusal = NULL;
	LOCKTAG		tag;
	SmpcAuditRecord rec;
	int			n;
	bool		written;

	smpc_privacy_locktag(&tag, fed->name);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
	n = smpc_privacy_budgets(fed, dataset, role, &rows);
	for (int i = 0; i < n && refusal == NULL; i++)
	{
		double		left = fmax(rows[i].budget - rows[i].spent, 0);

		if (rows[i].spent + epsilon <= rows[i].budget * (1 + 1e-12))
			continue;
		refusal = rows[i].role
			? psprintf("Role \"%s\" has %g of its budget of %g left on dataset \"%s\"",
					   rows[i].role, left, rows[i].budget, rows[i].dataset)
			: psprintf("The shared budget of %g on dataset \"%s\" has %g left",
					   rows[i].budget, rows[i].dataset, left);
	}
	if (n == 0)
		ereport(ERROR,
				errcode(ERRCODE_SMPC_POLICY_REFUSED),
				errmsg("no privacy budget for dataset \"%s\" in federation \"%s\"", dataset, fed->name),
				errdetail("A job with smpc.epsilon spends privacy budget, which this party's administrator grants per dataset."),
				errhint("An smpc_admin member runs SELECT smpc.set_privacy_budget('%s', '%s', epsilon).",
						fed->name, dataset));
	if (refusal != NULL)
		ereport(ERROR,
				errcode(ERRCODE_SMPC_POLICY_REFUSED),
				errmsg("privacy budget exhausted: this job needs epsilon %g", epsilon),
				errdetail("%s.", refusal),
				errhint("Use a smaller smpc.epsilon, or ask the administrator for more budget (smpc.set_privacy_budget)."));

	/* The charge, on disk before anything is sent. */
	charge->budget_dataset = pstrdup(rows[0].dataset);
	charge->epsilon = epsilon;
	smpc_audit_begin(&rec, fed, job_id, descriptor, 0);
	rec.text[SMPC_AUDIT_OUTCOME] = "charged";
	rec.text[SMPC_AUDIT_EPSILON] = psprintf("%.17g", epsilon);
	rec.text[SMPC_AUDIT_BUDGET] = charge->budget_dataset;
	written = smpc_audit_emit_durably(&rec, SMPC_PRIVACY_CHARGE_TIMEOUT_MS) &&
		smpc_privacy_recorded(rec.text[SMPC_AUDIT_EVENT_ID]);
	LockRelease(&tag, ExclusiveLock, false);
	if (!written)
		ereport(ERROR,
				errcode(ERRCODE_SMPC_POLICY_REFUSED),
				errmsg("could not record the privacy charge of job \"%s\" in smpc.audit_log", job_id),
				errdetail("A job with smpc.epsilon starts only once its charge is on disk."),
				errhint("Check the server log for errors of the smpc audit writer, and smpc.audit_queue_size."));
}

/*
 * An exact job (no smpc.epsilon) spends unlimited budget: refused on a
 * dataset that a privacy budget applies to (its own, or '*').
 */
void
smpc_privacy_require_none(const SmpcFederationRow *fed, const char *dataset)
{
	Datum		args[2];
	SmpcOwnerContext owner;
	char	   *budgeted = NULL;
	MemoryContext callercxt = CurrentMemoryContext;

	args[0] = CStringGetTextDatum(fed->name);
	args[1] = CStringGetTextDatum(dataset);
	smpc_begin_as_owner(&owner);
	SPI_connect();
	{
		static SmpcCachedQuery q = {"SELECT dataset FROM smpc.privacy_budgets "
			"WHERE federation = $1 AND dataset IN ($2, '*') ORDER BY dataset = '*'",
		2, {TEXTOID, TEXTOID}, NULL};

		smpc_spi_execute(&q, args, NULL, true, 1);
	}
	if (SPI_processed == 1)
		budgeted = MemoryContextStrdup(callercxt, SPI_getvalue(SPI_tuptable->vals[0],
															  SPI_tuptable->tupdesc, 1));
	SPI_finish();
	smpc_end_as_owner(&owner);
	if (budgeted != NULL)
		ereport(ERROR,
				errcode(ERRCODE_SMPC_POLICY_REFUSED),
				errmsg("dataset \"%s\" has a privacy budget: jobs on it need smpc.epsilon", dataset),
				errdetail("An exact result spends more than any budget (the budget that applies is \"%s\").",
						  budgeted),
				errhint("SET smpc.epsilon to the budget this job may spend, at every party."));
}

/*
 * Gives a charge back: for a job that failed before any of its messages
 * left this party (nothing of its input went anywhere). Best effort: a
 * refund that is lost only leaves the budget charged.
 */
void
smpc_privacy_refund(const SmpcFederationRow *fed, const char *job_id, const char *descriptor,
					const SmpcPrivacyCharge *charge)
{
	SmpcAuditRecord rec;

	smpc_audit_begin(&rec, fed, job_id, descriptor, 0);
	rec.text[SMPC_AUDIT_OUTCOME] = "refunded";
	rec.text[SMPC_AUDIT_EPSILON] = psprintf("%.17g", -charge->epsilon);
	rec.text[SMPC_AUDIT_BUDGET] = charge->budget_dataset;
	smpc_audit_emit(&rec);
}
