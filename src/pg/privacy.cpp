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
 * alpha = exp(-x), x = (epsilon / L) / D, drawn in shares by the input parties
 * (protocol/noise_plan.hpp). Sums and sums of squares need bounds: without
 * them the sensitivity is unbounded and the job is refused.
 *
 * Ledger: released jobs keep their epsilon in smpc.jobs (with the budget
 * they were charged to), so the ledger commits or rolls back with the
 * result, and a stored result returned again costs nothing. A job is
 * admitted by the budgets in smpc.privacy_budgets for its dataset (a
 * published dataset's "dataset.column", else the column the aggregate
 * reads; a dataset without an entry of its own takes the '*' entries): the
 * shared budget (role NULL) counts every role's spending, a role's budget
 * its own; each that exists must still hold epsilon, and at least one must
 * exist. Jobs on one dataset are admitted one at a time (an advisory lock
 * held to the end of the transaction), and spending is read with a fresh
 * snapshot, so two sessions cannot both spend the last of a budget.
 */
#include "pg/smpc_pg.h"

#include <math.h>

extern "C" {
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/snapmgr.h"
}

double		smpc_epsilon = 0;

/* Sensitivity of a value of kind 'c', 's' or 'q' in its fixed point; < 0: unbounded. */
static double
smpc_sensitivity(char kind, const SmpcBounds *b)
{
	double		m;

	if (kind == 'c')
		return 1;
	if (b == NULL || !b->present)
		return -1;
	m = fmax(fabs((double) b->lo), fabs((double) b->hi));
	return kind == 'q' ? m * m : m;
}

/* Per value of the job, the exponent epsilon / sensitivity of its noise. */
double *
smpc_privacy_noise(const SmpcFederationRow *fed, const SmpcJobRequest *req, double epsilon)
{
	int			stats = (int) strlen(req->kinds);
	double	   *x = (double *) palloc0(sizeof(double) * req->width);

	for (int k = 0; k < req->width; k++)
	{
		double		d = smpc_sensitivity(req->kinds[k % stats], req->bounds);

		if (d < 0)
			ereport(ERROR,
					errcode(ERRCODE_SMPC_POLICY_REFUSED),
					errmsg("a job with smpc.epsilon needs clipping bounds for the column it sums"),
					errdetail("Without bounds one row can change a sum without limit, so no noise is enough."),
					errhint("Declare them with smpc.set_bounds('%s', '%s', lo, hi) at every party.",
							fed->name, req->column ? req->column : "*"));
		x[k] = d == 0 ? 0 : (epsilon / stats) / d;
		/* The noise scale 1 / expm1(x): beyond 2^50 no draw is meaningful. */
		if (d > 0 && !(1 / expm1(x[k]) <= 1125899906842624.0))
			ereport(ERROR,
					errcode(ERRCODE_SMPC_POLICY_REFUSED),
					errmsg("smpc.epsilon %g is too small for the bounds of column \"%s\"", epsilon,
						   req->column ? req->column : "*"),
					errdetail("The noise would exceed 2^50 units of the job's fixed point."),
					errhint("Use a larger epsilon or narrower bounds."));
	}
	return x;
}

/* Serialises admissions to one dataset's budgets until the transaction ends. */
static void
smpc_privacy_lock(const char *federation, const char *dataset)
{
	LOCKTAG		tag;
	uint32		a = hash_bytes((const unsigned char *) federation, (int) strlen(federation));
	uint32		b = hash_bytes((const unsigned char *) dataset, (int) strlen(dataset));

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, a, b ^ 0x736d7063, 2);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
}

/*
 * Admits a job spending epsilon on `dataset` for the current role, or
 * raises SM006. Returns the budget's dataset name the spending is charged
 * to (the dataset, or '*').
 */
char *
smpc_privacy_admit(const SmpcFederationRow *fed, const char *dataset, double epsilon)
{
	static const char *sql =
		"SELECT b.dataset, b.role, b.epsilon, "
		"       coalesce((SELECT sum(j.epsilon) FROM smpc.jobs j "
		"                 WHERE j.federation = b.federation AND j.budget_dataset = b.dataset "
		"                   AND (b.role IS NULL OR j.started_by = b.role)), 0) "
		"FROM smpc.privacy_budgets b "
		"WHERE b.federation = $1 AND (b.role IS NULL OR b.role = $3) "
		"  AND b.dataset = CASE WHEN EXISTS (SELECT FROM smpc.privacy_budgets x "
		"                                    WHERE x.federation = $1 AND x.dataset = $2) "
		"                       THEN $2 ELSE '*' END";
	Oid			argtypes[3] = {TEXTOID, TEXTOID, NAMEOID};
	Datum		args[3];
	char	   *role = GetUserNameFromId(GetUserId(), false);
	SmpcOwnerContext owner;
	MemoryContext callercxt = CurrentMemoryContext;
	char	   *charged = NULL;
	char	   *refusal = NULL;
	Snapshot	snap;
	SPIPlanPtr	plan;
	uint64		n;

	smpc_privacy_lock(fed->name, dataset);
	args[0] = CStringGetTextDatum(fed->name);
	args[1] = CStringGetTextDatum(dataset);
	args[2] = DirectFunctionCall1(namein, CStringGetDatum(role));
	/*
	 * Spending committed up to now, even during a parallel query (where no
	 * new transaction snapshot may be taken): a fresh catalog snapshot is an
	 * MVCC snapshot of this moment.
	 */
	InvalidateCatalogSnapshot();
	snap = RegisterSnapshot(GetCatalogSnapshot(RelationRelationId));
	smpc_begin_as_owner(&owner);
	SPI_connect();
	plan = SPI_prepare(sql, 3, argtypes);
	if (plan == NULL)
		elog(ERROR, "smpc: could not prepare the privacy budget query");
	SPI_execute_snapshot(plan, args, NULL, snap, InvalidSnapshot, true, false, 0);
	n = SPI_processed;
	for (uint64 i = 0; i < n && refusal == NULL; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *name = SPI_getvalue(tup, desc, 1);
		char	   *who = SPI_getvalue(tup, desc, 2);
		double		budget = strtod(SPI_getvalue(tup, desc, 3), NULL);
		double		spent = strtod(SPI_getvalue(tup, desc, 4), NULL) +
			smpc_job_pending_epsilon(fed->name, name, who);

		charged = MemoryContextStrdup(callercxt, name);
		if (spent + epsilon > budget * (1 + 1e-12))
		{
			double		left = fmax(budget - spent, 0);

			refusal = who
				? psprintf("Role \"%s\" has %g of its budget of %g left on dataset \"%s\"",
						   who, left, budget, name)
				: psprintf("The shared budget of %g on dataset \"%s\" has %g left",
						   budget, name, left);
			refusal = MemoryContextStrdup(callercxt, refusal);
		}
	}
	SPI_finish();
	smpc_end_as_owner(&owner);
	UnregisterSnapshot(snap);
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
	return charged;
}
