/*
 * Release policies at this party: which clipping bounds apply to an
 * aggregate's input, the checks this party makes before it contacts any
 * partner, and the policy a job runs under (protocol/release_policy.hpp),
 * built from the federation's settings and those bounds.
 *
 * Which bounds apply: the smpc.bounds entry named like the column the
 * aggregate reads, else the '*' entry. The column is the aggregate's first
 * argument when that is a plain column reference (possibly through a
 * binary-compatible cast): for a table its real name, whatever alias the
 * query gives it; for a subquery, CTE or function its output name. The
 * planner expands views, so through a view the underlying table's column is
 * named. An expression names no column: only '*' applies to it.
 *
 * The bounds a party applied are part of the job's policy, which every party
 * must share, so naming another column can never make one party contribute
 * under looser bounds than its partners without the job being refused.
 */
#include "pg/smpc_pg.h"

#include <math.h>

extern "C" {
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "nodes/execnodes.h"
#include "nodes/primnodes.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
}

/*
 * The name of the column the aggregate's argument argno (0-based: the value
 * aggregated) reads, or NULL when it is an expression.
 */
char *
smpc_input_column(FunctionCallInfo fcinfo, int argno)
{
	Aggref	   *aggref = smpc_source_aggref(fcinfo);
	AggState   *aggstate = (AggState *) fcinfo->context;
	EState	   *estate = aggstate->ss.ps.state;
	Expr	   *expr;
	Var		   *var;
	Index		rti;
	AttrNumber	attno;
	RangeTblEntry *rte;

	if (aggref == NULL || list_length(aggref->args) < argno + 2)
		return NULL;
	expr = ((TargetEntry *) list_nth(aggref->args, argno))->expr;
	while (IsA(expr, RelabelType))
		expr = ((RelabelType *) expr)->arg;
	if (!IsA(expr, Var))
		return NULL;
	var = (Var *) expr;
	/* Executor Vars point at child plans; varnosyn keeps the query's own. */
	rti = var->varnosyn != 0 ? var->varnosyn : var->varno;
	attno = var->varnosyn != 0 ? var->varattnosyn : var->varattno;
	if (IS_SPECIAL_VARNO(rti) || rti > (Index) list_length(estate->es_range_table) || attno <= 0)
		return NULL;
	rte = rt_fetch(rti, estate->es_range_table);
	if (rte->rtekind == RTE_RELATION)
		return get_attname(rte->relid, attno, true);
	if (rte->eref != NULL && attno <= list_length(rte->eref->colnames))
		return pstrdup(strVal(list_nth(rte->eref->colnames, attno - 1)));
	return NULL;
}

/* "[lo, hi]" of bounds, in their fixed point. */
char *
smpc_bounds_text(const SmpcBounds *b)
{
	char		lo[64];
	char		hi[64];

	smpc_format_scaled(b->lo, b->scale, lo, sizeof lo);
	smpc_format_scaled(b->hi, b->scale, hi, sizeof hi);
	return psprintf("[%s, %s]", lo, hi);
}

/*
 * Looks up the bounds for this aggregate's input in federation fed, in the
 * job's fixed point (scale 0 for integer types, else the federation's
 * scale: the interval is narrowed to values representable there).
 */
void
smpc_bounds_load(FunctionCallInfo fcinfo, const SmpcFederationRow *fed, bool integer_class,
				 SmpcBounds *out)
{
	smpc_bounds_load_arg(fcinfo, fed, integer_class, 0, out);
}

/* The same for the aggregate's argument argno (grouped aggregates: 1). */
void
smpc_bounds_load_arg(FunctionCallInfo fcinfo, const SmpcFederationRow *fed, bool integer_class,
					 int argno, SmpcBounds *out)
{
	smpc_bounds_for_column(fed, smpc_input_column(fcinfo, argno), integer_class, out);
}

/*
 * The bounds of column `column` (NULL: an expression, only '*' applies) in
 * federation fed, in the job's fixed point.
 */
void
smpc_bounds_for_column(const SmpcFederationRow *fed, const char *column, bool integer_class,
					   SmpcBounds *out)
{
	int			scale = integer_class ? 0 : fed->scale;
	Datum		args[3];
	char		nulls[3] = {' ', column ? ' ' : 'n', ' '};
	SmpcOwnerContext owner;
	MemoryContext callercxt = CurrentMemoryContext;
	char	   *entry = NULL;
	char	   *lo_text = NULL;
	char	   *hi_text = NULL;
	char	   *mode = NULL;
	__int128	lo;
	__int128	hi;

	memset(out, 0, sizeof *out);
	out->loaded = true;
	out->scale = scale;
	args[0] = CStringGetTextDatum(fed->name);
	args[1] = column ? CStringGetTextDatum(column) : (Datum) 0;
	args[2] = Int32GetDatum(scale);
	smpc_begin_as_owner(&owner);
	SPI_connect();
	{
		static SmpcCachedQuery q = {"SELECT column_name, ceil(lo * 10::numeric ^ $3)::text, "
			"floor(hi * 10::numeric ^ $3)::text, on_violation "
			"FROM smpc.bounds WHERE federation = $1 AND column_name IN ($2, '*') "
		"ORDER BY column_name = '*' LIMIT 1", 3, {TEXTOID, TEXTOID, INT4OID}, NULL};

		smpc_spi_execute(&q, args, nulls, true, 1);
	}
	if (SPI_processed == 1)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;

		entry = MemoryContextStrdup(callercxt, SPI_getvalue(tup, desc, 1));
		lo_text = MemoryContextStrdup(callercxt, SPI_getvalue(tup, desc, 2));
		hi_text = MemoryContextStrdup(callercxt, SPI_getvalue(tup, desc, 3));
		mode = MemoryContextStrdup(callercxt, SPI_getvalue(tup, desc, 4));
	}
	SPI_finish();
	smpc_end_as_owner(&owner);
	if (column)
		strlcpy(out->column, column, sizeof out->column);
	if (entry == NULL)
		return;

	if (!smpc_parse_scaled(lo_text, 0, &lo) || !smpc_parse_scaled(hi_text, 0, &hi))
		ereport(ERROR,
				errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				errmsg("the bounds of column \"%s\" in federation \"%s\" are too large for smpc",
					   entry, fed->name));
	if (lo > hi)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				scale == 0
				? errmsg("no integer lies within the bounds of column \"%s\"", entry)
				: errmsg("no value with %d fractional digits lies within the bounds of column \"%s\"",
						 scale, entry),
				errhint("Widen the bounds with smpc.set_bounds()."));
	out->present = true;
	out->reject = strcmp(mode, "reject") == 0;
	out->lo = lo;
	out->hi = hi;
	out->flo = (double) lo / pow(10.0, scale);
	out->fhi = (double) hi / pow(10.0, scale);
	strlcpy(out->entry, entry, sizeof out->entry);
}

bool
smpc_bounds_equal(const SmpcBounds *a, const SmpcBounds *b)
{
	if (a->present != b->present)
		return false;
	return !a->present || (a->lo == b->lo && a->hi == b->hi && a->scale == b->scale &&
						   a->reject == b->reject);
}

/*
 * What this party checks before it contacts any partner: bounds that the
 * policy requires, and values that 'reject' bounds refuse. Logs how many
 * values were clipped.
 *
 * How many values 'reject' bounds found outside is a fact about this
 * party's data: it goes into the detail, never the message. The message of
 * an SM error can reach partners (the failure report of a job on a
 * published dataset quotes it to the initiator, whose own error then
 * travels on as its abort reason); the detail stays with the local session
 * and server log, and the audit trail keeps the count (outside_bounds).
 */
void
smpc_policy_check_input(const SmpcFederationRow *fed, const char *job_id, const char *aggregate,
						const SmpcBounds *b, int64 outside)
{
	const char *column;

	if (b == NULL || strcmp(aggregate, "count") == 0)
		return;
	column = b->column[0] ? psprintf("\"%s\"", b->column) : "(an expression)";
	if (!b->present && fed->require_bounds)
		ereport(ERROR,
				errcode(ERRCODE_SMPC_POLICY_REFUSED),
				errmsg("the release policy of federation \"%s\" requires bounds for column %s",
					   fed->name, column),
				errdetail("No partner was contacted."),
				errhint("Declare them with smpc.set_bounds('%s', column, lo, hi) at every party.",
						fed->name));
	if (!b->present || outside == 0)
		return;
	if (b->reject)
		ereport(ERROR,
				errcode(ERRCODE_SMPC_POLICY_REFUSED),
				errmsg("column %s holds values outside its bounds %s", column, smpc_bounds_text(b)),
				errdetail_plural("%lld value lies outside. The release policy rejects such values (bounds \"%s\"); no partner was contacted.",
								 "%lld values lie outside. The release policy rejects such values (bounds \"%s\"); no partner was contacted.",
								 outside, (long long) outside, b->entry),
				errhint("Correct or filter the values, or have every party clip them with smpc.set_bounds(..., 'clip')."));
	ereport(LOG,
			errmsg("smpc: job \"%s\" of federation \"%s\": %lld values of column %s clipped to %s",
				   job_id, fed->name, (long long) outside, column, smpc_bounds_text(b)));
}

/* The policy a job runs under at this party. */
void
smpc_policy_for_job(const SmpcFederationRow *fed, const SmpcBounds *b, SmpcPolicy *out)
{
	memset(out, 0, sizeof *out);
	out->min_parties = fed->min_parties;
	out->min_rows = (uint64) fed->min_rows;
	if (b != NULL && b->present)
	{
		out->has_bounds = true;
		out->reject = b->reject;
		out->scale = b->scale;
		out->lo = b->lo;
		out->hi = b->hi;
	}
}
