/*
 * Release policies at this party: which clipping bounds apply to an
 * aggregate's input, the checks this party makes before it contacts any
 * partner, and the policy a job runs under (protocol/release_policy.hpp),
 * built from the federation's settings and those bounds.
 *
 * Which bounds apply: bounds belong to base columns (a table's own columns,
 * by name; '*' for every column without an entry of its own). The input is
 * followed to the base columns it reads (sources.cpp), through aliases,
 * subqueries, CTEs, views, UNION ALL, inlined SQL functions and joins:
 *   - a rename of base columns (possibly cast to another number type) takes
 *     their bounds; renames of several columns must share one interval;
 *   - an expression takes none, and is refused for sums and averages when a
 *     column it reads has bounds: through an expression one row could carry
 *     a value past them. An administrator bounds an expression by making it
 *     a column: a stored generated column with an entry of its own;
 *   - a value that reads no column takes the '*' entry;
 *   - an input that cannot be followed counts as reading every column: with
 *     any bounds in the federation, sums and averages are refused.
 *
 * The bounds a party applied are part of the job's policy, which every party
 * must share, so naming another column can never make one party contribute
 * under looser bounds than its partners without the job being refused.
 */
#include "pg/policy/policy.h"

#include <math.h>

extern "C" {
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
}

/*
 * The name of the base column the aggregate's argument argno (0-based: the
 * value aggregated) is, or NULL when it is an expression or several.
 */
char *
smpc_input_column(FunctionCallInfo fcinfo, int argno)
{
	SmpcSources src;

	smpc_value_sources(fcinfo, argno, &src);
	if (!src.rename || list_length(src.values) != 1)
		return NULL;
	return (char *) linitial(src.values);
}

/* "[lo, hi]" of bounds, in their fixed point (policy.h). */
char *
smpc_bounds_text(const SmpcBounds *b)
{
	char lo[64];
	char hi[64];

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

static void smpc_bounds_for_sources(const SmpcFederationRow *fed, const SmpcSources *src,
									bool integer_class, SmpcBounds *out);

/* The same for the aggregate's argument argno (grouped aggregates: 1). */
void
smpc_bounds_load_arg(FunctionCallInfo fcinfo, const SmpcFederationRow *fed, bool integer_class,
					 int argno, SmpcBounds *out)
{
	SmpcSources src;

	smpc_value_sources(fcinfo, argno, &src);
	smpc_bounds_for_sources(fed, &src, integer_class, out);
}

/*
 * The bounds of column `column` (NULL: a value that reads no column) in
 * federation fed, in the job's fixed point: for parties that name the
 * column of a job they supply no input to (smpc_join), and for published
 * datasets' columns.
 */
void
smpc_bounds_for_column(const SmpcFederationRow *fed, const char *column, bool integer_class,
					   SmpcBounds *out)
{
	SmpcSources src;

	memset(&src, 0, sizeof src);
	src.rename = column != NULL;
	if (column != NULL)
		src.columns = src.values = list_make1(pstrdup(column));
	smpc_bounds_for_sources(fed, &src, integer_class, out);
}

/* An smpc.bounds entry, in the job's fixed point (as text: checked when used). */
typedef struct SmpcBoundsEntry
{
	char *name;
	char *lo;
	char *hi;
	bool  reject;
} SmpcBoundsEntry;

/* Every bounds entry of federation fed, at scale `scale`. */
static List *
smpc_bounds_entries(const SmpcFederationRow *fed, int scale)
{
	Datum			 args[2];
	SmpcOwnerContext owner;
	MemoryContext	 callercxt = CurrentMemoryContext;
	List			*entries = NIL;

	args[0] = CStringGetTextDatum(fed->name);
	args[1] = Int32GetDatum(scale);
	smpc_begin_as_owner(&owner);
	SPI_connect();
	{
		static SmpcCachedQuery q = {"SELECT column_name, ceil(lo * 10::numeric ^ $2)::text, "
									"floor(hi * 10::numeric ^ $2)::text, on_violation = 'reject' "
									"FROM smpc.bounds WHERE federation = $1",
									2,
									{TEXTOID, INT4OID},
									NULL};

		smpc_spi_execute(&q, args, NULL, true, 0);
	}
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple		 tup = SPI_tuptable->vals[i];
		TupleDesc		 desc = SPI_tuptable->tupdesc;
		SmpcBoundsEntry *e = (SmpcBoundsEntry *) MemoryContextAlloc(callercxt, sizeof *e);

		e->name = MemoryContextStrdup(callercxt, SPI_getvalue(tup, desc, 1));
		e->lo = MemoryContextStrdup(callercxt, SPI_getvalue(tup, desc, 2));
		e->hi = MemoryContextStrdup(callercxt, SPI_getvalue(tup, desc, 3));
		e->reject = strcmp(SPI_getvalue(tup, desc, 4), "t") == 0;
		entries = lappend(entries, e);
	}
	SPI_finish();
	smpc_end_as_owner(&owner);
	return entries;
}

/* The entry named name, or (star) the '*' entry; NULL if none. */
static SmpcBoundsEntry *
smpc_bounds_entry(List *entries, const char *name, bool star)
{
	ListCell *lc;

	foreach (lc, entries)
	{
		SmpcBoundsEntry *e = (SmpcBoundsEntry *) lfirst(lc);

		if (strcmp(e->name, name) == 0)
			return e;
	}
	return star && strcmp(name, "*") != 0 ? smpc_bounds_entry(entries, "*", false) : NULL;
}

/* Sets out to entry e of federation fed. */
static void
smpc_bounds_apply(const SmpcFederationRow *fed, const SmpcBoundsEntry *e, SmpcBounds *out)
{
	__int128 lo;
	__int128 hi;

	if (!smpc_parse_scaled(e->lo, 0, &lo) || !smpc_parse_scaled(e->hi, 0, &hi))
		ereport(ERROR, errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				errmsg("the bounds of column \"%s\" in federation \"%s\" are too large for smpc",
					   e->name, fed->name));
	if (lo > hi)
		ereport(
			ERROR, errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			out->scale == 0
				? errmsg("no integer lies within the bounds of column \"%s\"", e->name)
				: errmsg(
					  "no value with %d fractional digits lies within the bounds of column \"%s\"",
					  out->scale, e->name),
			errhint("Widen the bounds with smpc.set_bounds()."));
	out->present = true;
	out->reject = e->reject;
	out->lo = lo;
	out->hi = hi;
	out->flo = (double) lo / pow(10.0, out->scale);
	out->fhi = (double) hi / pow(10.0, out->scale);
	strlcpy(out->entry, e->name, sizeof out->entry);
}

/* Marks out as refused for sums and averages: what escapes which bounds. */
static void
smpc_bounds_escape(SmpcBounds *out, int32 why, const char *what)
{
	out->escape = why;
	strlcpy(out->escape_what, what, sizeof out->escape_what);
}

/*
 * A column among names that has bounds (its own entry first, then any
 * that the '*' entry covers), or NULL.
 */
static const char *
smpc_bounded_column(List *entries, const List *names)
{
	const ListCell *lc;

	foreach (lc, names)
		if (smpc_bounds_entry(entries, (const char *) lfirst(lc), false) != NULL)
			return (const char *) lfirst(lc);
	foreach (lc, names)
		if (smpc_bounds_entry(entries, (const char *) lfirst(lc), true) != NULL)
			return (const char *) lfirst(lc);
	return NULL;
}

/* The bounds of an input that reads src (file header), in federation fed. */
static void
smpc_bounds_for_sources(const SmpcFederationRow *fed, const SmpcSources *src, bool integer_class,
						SmpcBounds *out)
{
	List				  *entries;
	const SmpcBoundsEntry *chosen = NULL;
	const char			  *chosen_column = NULL;
	bool				   rename = src->rename;
	const ListCell		  *lc;

	memset(out, 0, sizeof *out);
	out->loaded = true;
	out->scale = integer_class ? 0 : fed->scale;
	entries = smpc_bounds_entries(fed, out->scale);
	if (src->unknown)
	{
		if (entries != NIL)
			smpc_bounds_escape(out, SMPC_ESCAPE_UNKNOWN, src->why);
		return;
	}
	/* A generated column without bounds of its own is the expression it stores. */
	foreach (lc, src->generated)
		if (smpc_bounds_entry(entries, (const char *) lfirst(lc), false) == NULL)
			rename = false;
	if (!rename)
	{
		const char *bounded = smpc_bounded_column(entries, src->columns);

		if (bounded != NULL)
			smpc_bounds_escape(out, SMPC_ESCAPE_EXPRESSION, bounded);
		else if (src->columns == NIL && (chosen = smpc_bounds_entry(entries, "*", false)) != NULL)
			smpc_bounds_apply(fed, chosen, out);
		return;
	}
	foreach (lc, src->values)
	{
		const char			  *column = (const char *) lfirst(lc);
		const SmpcBoundsEntry *e = smpc_bounds_entry(entries, column, true);

		if (e == NULL)
			continue;
		if (chosen != NULL && (strcmp(e->lo, chosen->lo) != 0 || strcmp(e->hi, chosen->hi) != 0 ||
							   e->reject != chosen->reject))
		{
			smpc_bounds_escape(out, SMPC_ESCAPE_MIXED,
							   psprintf("\"%s\" and \"%s\"", chosen_column, column));
			return;
		}
		chosen = e;
		chosen_column = column;
	}
	/* Messages name the column whose bounds apply, else the first. */
	if (chosen_column == NULL && src->values != NIL)
		chosen_column = (const char *) linitial(src->values);
	if (chosen_column != NULL)
		strlcpy(out->column, chosen_column, sizeof out->column);
	if (chosen != NULL)
		smpc_bounds_apply(fed, chosen, out);
}

bool
smpc_bounds_equal(const SmpcBounds *a, const SmpcBounds *b)
{
	if (a->present != b->present || a->escape != b->escape ||
		strcmp(a->escape_what, b->escape_what) != 0)
		return false;
	return !a->present ||
		   (a->lo == b->lo && a->hi == b->hi && a->scale == b->scale && a->reject == b->reject);
}

/* Refuses (SM006) a sum or average whose input would escape bounds. */
static void
smpc_policy_refuse_escape(const SmpcFederationRow *fed, const char *job_id, const SmpcBounds *b)
{
	if (b->escape == SMPC_ESCAPE_EXPRESSION)
		ereport(ERROR, errcode(ERRCODE_SMPC_POLICY_REFUSED),
				errmsg("the value of job \"%s\" is an expression over column \"%s\", which has "
					   "clipping bounds",
					   job_id, b->escape_what),
				errdetail("Bounds hold for a column's own values; through an expression one row "
						  "could move the result past them. No partner was contacted."),
				errhint("Aggregate the column itself, or have the administrator make the "
						"expression a stored generated column and declare its bounds with "
						"smpc.set_bounds('%s', column, lo, hi).",
						fed->name));
	if (b->escape == SMPC_ESCAPE_UNKNOWN)
		ereport(ERROR, errcode(ERRCODE_SMPC_POLICY_REFUSED),
				errmsg("smpc cannot tell which columns the value of job \"%s\" reads, and "
					   "federation \"%s\" has clipping bounds",
					   job_id, fed->name),
				errdetail("The value comes through %s, so it counts as reading every column. No "
						  "partner was contacted.",
						  b->escape_what),
				errhint("Aggregate columns of tables directly or through views, subqueries, CTEs, "
						"UNION ALL, joins or SQL functions that the planner inlines."));
	ereport(
		ERROR, errcode(ERRCODE_SMPC_POLICY_REFUSED),
		errmsg("the value of job \"%s\" reads columns %s, whose clipping bounds differ", job_id,
			   b->escape_what),
		errdetail("One interval must bound every value of a job. No partner was contacted."),
		errhint("Aggregate each column in a job of its own, or declare the same bounds for them."));
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
 * Intersection sums bound each key's total at a party that gives values
 * (aggregates/set_state.cpp): the errors say so.
 */
void
smpc_policy_check_input(const SmpcFederationRow *fed, const char *job_id, SmpcAggregate aggregate,
						const SmpcBounds *b, int64 outside)
{
	const char *column;
	bool		totals = smpc_aggregate_sums_overlap(aggregate);

	if (aggregate == SMPC_AGG_OVERLAP_MATRIX && !fed->overlap_pairs)
		ereport(ERROR, errcode(ERRCODE_SMPC_POLICY_REFUSED),
				errmsg("the release policy of federation \"%s\" does not allow the overlap of "
					   "pairs of parties",
					   fed->name),
				errdetail_plural("An overlap matrix releases how many keys each pair of parties "
								 "shares (%d pair here). No partner was contacted.",
								 "An overlap matrix releases how many keys each pair of parties "
								 "shares (%d pairs here). No partner was contacted.",
								 fed->nparties * (fed->nparties - 1) / 2,
								 fed->nparties * (fed->nparties - 1) / 2),
				errhint("If the federation agrees, every party runs SELECT "
						"smpc.set_overlap_pairs('%s').",
						fed->name));
	if (b == NULL || aggregate == SMPC_AGG_COUNT)
		return;
	if (b->escape != 0)
		smpc_policy_refuse_escape(fed, job_id, b);
	column = b->column[0] ? psprintf("\"%s\"", b->column) : "(an expression)";
	if (!b->present && fed->require_bounds)
		ereport(ERROR, errcode(ERRCODE_SMPC_POLICY_REFUSED),
				errmsg("the release policy of federation \"%s\" requires bounds for column %s",
					   fed->name, column),
				errdetail("No partner was contacted."),
				errhint("Declare them with smpc.set_bounds('%s', column, lo, hi) at every party.",
						fed->name));
	if (b->present && totals && b->hi < 0)
		ereport(
			ERROR, errcode(ERRCODE_SMPC_POLICY_REFUSED),
			errmsg("the bounds %s of column %s lie below 0, where intersection sums take no "
				   "values",
				   smpc_bounds_text(b), column),
			errdetail("Intersection sums seal each key's total, from 0 to 2^48 - 1. No partner "
					  "was contacted."),
			errhint("Widen the bounds with smpc.set_bounds('%s', ...) at every party.", fed->name));
	if (!b->present || outside == 0)
		return;
	if (b->reject && totals)
		ereport(
			ERROR, errcode(ERRCODE_SMPC_POLICY_REFUSED),
			errmsg("column %s holds key totals outside its bounds %s", column, smpc_bounds_text(b)),
			errdetail_plural("%lld key's total lies outside. Intersection sums bound each "
							 "key's total; the release policy rejects such totals (bounds "
							 "\"%s\"); no partner was contacted.",
							 "%lld keys' totals lie outside. Intersection sums bound each "
							 "key's total; the release policy rejects such totals (bounds "
							 "\"%s\"); no partner was contacted.",
							 outside, (long long) outside, b->entry),
			errhint("Correct or filter the values, or have every party clip them with "
					"smpc.set_bounds(..., 'clip')."));
	if (b->reject)
		ereport(ERROR, errcode(ERRCODE_SMPC_POLICY_REFUSED),
				errmsg("column %s holds values outside its bounds %s", column, smpc_bounds_text(b)),
				errdetail_plural("%lld value lies outside. The release policy rejects such values "
								 "(bounds \"%s\"); no partner was contacted.",
								 "%lld values lie outside. The release policy rejects such values "
								 "(bounds \"%s\"); no partner was contacted.",
								 outside, (long long) outside, b->entry),
				errhint("Correct or filter the values, or have every party clip them with "
						"smpc.set_bounds(..., 'clip')."));
	ereport(LOG, errmsg("smpc: job \"%s\" of federation \"%s\": %lld %s of column %s clipped to %s",
						job_id, fed->name, (long long) outside, totals ? "key totals" : "values",
						column, smpc_bounds_text(b)));
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
