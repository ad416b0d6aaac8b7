/*
 * smpc_sum, smpc_count, smpc_avg: the local phase, and the helpers every
 * aggregate's local phase and job request share.
 *
 * The local phase is ordinary aggregation (transition, combine, serialize,
 * deserialize; parallel safe, no network). Its state holds this party's
 * partial aggregate:
 *   integer types: exact 128-bit sum and count;
 *   numeric:       exact 128-bit sum scaled by 10^nscale (the largest display
 *                  scale seen so far) and count;
 *   float8:        each value rounded to the federation's fixed point (ties
 *                  to even), summed exactly as a 128-bit integer, and count;
 *                  rounding each row, not the sum, keeps one row's effect
 *                  within the bounds (the sensitivity that noise is
 *                  calibrated to) and the sum independent of row order.
 * Values outside the clipping bounds of the release policy (looked up at the
 * first row, release_policy.cpp) are clipped to them as they are added, or
 * only counted when the bounds reject them.
 *
 * The final functions (finals.cpp) encode it as signed integers in the
 * federation's fixed point, run the job with the partners once, and decode
 * the joint result.
 */
#include "pg/aggregates/aggregates.h"

#include <math.h>

extern "C" {
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "funcapi.h"
#include "nodes/execnodes.h"
#include "nodes/nodeFuncs.h"
#include "nodes/plannodes.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/array.h"
#include "utils/typcache.h"

PGDLLEXPORT Datum smpc_accum_int2(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_accum_int4(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_accum_int8(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_accum_numeric(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_accum_float8(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_count_accum(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_combine(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_serialize(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_deserialize(PG_FUNCTION_ARGS);

PG_FUNCTION_INFO_V1(smpc_accum_int2);
PG_FUNCTION_INFO_V1(smpc_accum_int4);
PG_FUNCTION_INFO_V1(smpc_accum_int8);
PG_FUNCTION_INFO_V1(smpc_accum_numeric);
PG_FUNCTION_INFO_V1(smpc_accum_float8);
PG_FUNCTION_INFO_V1(smpc_count_accum);
PG_FUNCTION_INFO_V1(smpc_combine);
PG_FUNCTION_INFO_V1(smpc_serialize);
PG_FUNCTION_INFO_V1(smpc_deserialize);
}

/* 10^k as a 128-bit integer, k <= 38. */
static __int128
smpc_pow10(int k)
{
	__int128 r = 1;

	for (int i = 0; i < k; i++)
		r *= 10;
	return r;
}

void
smpc_numeric_overflow(void)
{
	smpc_raise_input_error(SMPC_INPUT_NUMERIC_OVERFLOW);
}

/* Rescales *sum (at *scale fractional digits) to at least `scale` digits; false on overflow. */
static bool
smpc_raise_scale(int128 *sum, int32 *sumscale, int scale)
{
	int128 r;

	if (scale <= *sumscale)
		return true;
	if (scale > 38 || __builtin_mul_overflow(*sum, smpc_pow10(scale - *sumscale), &r))
		return false;
	*sum = r;
	*sumscale = scale;
	return true;
}

/* Adds v * 10^-vscale to *sum (at *sumscale digits), exactly or not at all. */
bool
smpc_try_add_scaled_to(int128 *sum, int32 *sumscale, __int128 v, int vscale)
{
	int128 r;

	if (!smpc_raise_scale(sum, sumscale, vscale) ||
		__builtin_mul_overflow(v, smpc_pow10(*sumscale - vscale), &v) ||
		__builtin_add_overflow(*sum, v, &r))
		return false;
	*sum = r;
	return true;
}

void
smpc_add_scaled_to(int128 *sum, int32 *sumscale, __int128 v, int vscale)
{
	if (!smpc_try_add_scaled_to(sum, sumscale, v, vscale))
		smpc_numeric_overflow();
}

/* Adds v * 10^-vscale to the numeric sum. */
static void
smpc_add_scaled(SmpcAggState *s, __int128 v, int vscale)
{
	smpc_add_scaled_to(&s->isum, &s->nscale, v, vscale);
}

/*
 * The state, created in the aggregate context on the first row. For sums and
 * averages (integer_class: whether the input is an integer type) it holds
 * the clipping bounds that apply, looked up once here.
 */
SmpcAggState *
smpc_state_create(FunctionCallInfo fcinfo, bool with_bounds, bool integer_class)
{
	MemoryContext aggcxt;
	SmpcAggState *s;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "smpc aggregate function called in non-aggregate context");
	s = (SmpcAggState *) MemoryContextAllocZero(aggcxt, sizeof(SmpcAggState));
	if (with_bounds)
	{
		SmpcFederationRow *fed = smpc_load_federation(smpc_default_federation_name(), false);

		smpc_bounds_load(fcinfo, fed, integer_class, &s->bounds);
		s->fixed_factor = pow(10.0, fed->scale);
		if (!integer_class)
		{
			/* Double precision sums and moments are kept at the federation's scale. */
			s->nscale = fed->scale;
			s->sqscale = 2 * fed->scale;
		}
	}
	return s;
}

/* Compares a at scale as with b at scale bs; a value too large to rescale
 * compares by its sign. */
int
smpc_cmp_scaled(__int128 a, int as, __int128 b, int bs)
{
	if (as < bs && __builtin_mul_overflow(a, smpc_pow10(bs - as), &a))
		return a < 0 ? -1 : 1;
	if (bs < as && __builtin_mul_overflow(b, smpc_pow10(as - bs), &b))
		return b < 0 ? 1 : -1;
	return a < b ? -1 : (a > b ? 1 : 0);
}

Datum
smpc_accum_int2(PG_FUNCTION_ARGS)
{
	SmpcAggState *s = smpc_state(fcinfo, true, true);

	if (!PG_ARGISNULL(1))
	{
		s->isum += smpc_clip_int(s, PG_GETARG_INT16(1));
		s->count++;
	}
	PG_RETURN_POINTER(s);
}

Datum
smpc_accum_int4(PG_FUNCTION_ARGS)
{
	SmpcAggState *s = smpc_state(fcinfo, true, true);

	if (!PG_ARGISNULL(1))
	{
		s->isum += smpc_clip_int(s, PG_GETARG_INT32(1));
		s->count++;
	}
	PG_RETURN_POINTER(s);
}

Datum
smpc_accum_int8(PG_FUNCTION_ARGS)
{
	SmpcAggState *s = smpc_state(fcinfo, true, true);

	if (!PG_ARGISNULL(1))
	{
		s->isum += smpc_clip_int(s, PG_GETARG_INT64(1));
		s->count++;
	}
	PG_RETURN_POINTER(s);
}

/* Parses a numeric input and applies the bounds: v * 10^-vscale. */
bool
smpc_clip_numeric(SmpcAggState *s, Numeric num, __int128 *v, int *vscale)
{
	char	   *text;
	const char *dot;
	bool		fits;

	if (numeric_is_nan(num))
		return smpc_input_failed(s, SMPC_INPUT_NAN);
	if (numeric_is_inf(num))
		return smpc_input_failed(s, SMPC_INPUT_INFINITY);
	text = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(num)));
	dot = strchr(text, '.');
	*vscale = dot ? (int) strlen(dot + 1) : 0;
	fits = *vscale <= 38 && smpc_parse_scaled(text, *vscale, v);
	pfree(text);
	if (!fits)
		return smpc_input_failed(s, SMPC_INPUT_NUMERIC_OVERFLOW);
	if (s->bounds.present)
	{
		bool below = smpc_cmp_scaled(*v, *vscale, s->bounds.lo, s->bounds.scale) < 0;

		if (below || smpc_cmp_scaled(*v, *vscale, s->bounds.hi, s->bounds.scale) > 0)
		{
			s->outside++;
			if (!s->bounds.reject)
			{
				*v = below ? (__int128) s->bounds.lo : (__int128) s->bounds.hi;
				*vscale = s->bounds.scale;
			}
		}
	}
	return true;
}

/* Applies the bounds to a double precision input. */
double
smpc_clip_float8(SmpcAggState *s, double v)
{
	/* NaN is not outside: it makes the sum NaN, which the final function refuses. */
	if (s->bounds.present && (v < s->bounds.flo || v > s->bounds.fhi))
	{
		s->outside++;
		if (!s->bounds.reject)
			v = v < s->bounds.flo ? s->bounds.flo : s->bounds.fhi;
	}
	return v;
}

Datum
smpc_accum_numeric(PG_FUNCTION_ARGS)
{
	SmpcAggState *s = smpc_state(fcinfo, true, false);

	if (!PG_ARGISNULL(1) && s->input_error == SMPC_INPUT_OK)
	{
		__int128 v;
		int		 vscale;

		if (!smpc_clip_numeric(s, PG_GETARG_NUMERIC(1), &v, &vscale))
			PG_RETURN_POINTER(s);
		if (!smpc_try_add_scaled_to(&s->isum, &s->nscale, v, vscale))
			(void) smpc_input_failed(s, SMPC_INPUT_NUMERIC_OVERFLOW);
		s->count++;
	}
	PG_RETURN_POINTER(s);
}

void
smpc_float8_sum_out_of_range(void)
{
	smpc_raise_input_error(SMPC_INPUT_FLOAT8_RANGE);
}

Datum
smpc_accum_float8(PG_FUNCTION_ARGS)
{
	SmpcAggState *s = smpc_state(fcinfo, true, false);

	if (!PG_ARGISNULL(1) && s->input_error == SMPC_INPUT_OK)
	{
		__int128 v;
		double	 x = PG_GETARG_FLOAT8(1);

		if (!smpc_float8_fixed(s, x, 1.0e37, &v))
			(void) smpc_input_failed(s, smpc_float8_error(x, SMPC_INPUT_FLOAT8_RANGE));
		else if (__builtin_add_overflow(s->isum, v, &s->isum))
			(void) smpc_input_failed(s, SMPC_INPUT_FLOAT8_RANGE);
		s->count++;
	}
	PG_RETURN_POINTER(s);
}

/* smpc_count: counts non-NULL values of any type. */
Datum
smpc_count_accum(PG_FUNCTION_ARGS)
{
	SmpcAggState *s = smpc_state(fcinfo, false, false);

	if (!PG_ARGISNULL(1))
		s->count++;
	PG_RETURN_POINTER(s);
}

bool
smpc_state_merge(SmpcAggState *a, const SmpcAggState *b)
{
	if (!a->bounds.loaded)
		a->bounds = b->bounds;
	else if (b->bounds.loaded && !smpc_bounds_equal(&a->bounds, &b->bounds))
		ereport(ERROR, errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				errmsg("the bounds of column \"%s\" changed while the query ran", a->bounds.column),
				errhint("Run the query again."));
	if (a->input_error == SMPC_INPUT_OK)
		a->input_error = b->input_error;
	a->count += b->count;
	a->outside += b->outside;
	return a->input_error == SMPC_INPUT_OK;
}

Datum
smpc_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	SmpcAggState *a;
	SmpcAggState *b;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "smpc aggregate function called in non-aggregate context");
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(PG_ARGISNULL(0) ? NULL : PG_GETARG_POINTER(0));
	b = (SmpcAggState *) PG_GETARG_POINTER(1);
	if (PG_ARGISNULL(0))
	{
		a = (SmpcAggState *) MemoryContextAlloc(aggcxt, sizeof(SmpcAggState));
		*a = *b;
		PG_RETURN_POINTER(a);
	}
	a = (SmpcAggState *) PG_GETARG_POINTER(0);
	/* (A failed input's sums are never used: the final function raises its error.) */
	if (!smpc_state_merge(a, b))
		PG_RETURN_POINTER(a);
	smpc_add_scaled(a, b->isum, b->nscale);
	smpc_add_scaled_to(&a->isq, &a->sqscale, b->isq, b->sqscale);
	PG_RETURN_POINTER(a);
}

Datum
smpc_serialize(PG_FUNCTION_ARGS)
{
	SmpcAggState *s = (SmpcAggState *) PG_GETARG_POINTER(0);
	bytea		 *out = (bytea *) palloc(VARHDRSZ + sizeof(SmpcAggState));

	SET_VARSIZE(out, VARHDRSZ + sizeof(SmpcAggState));
	memcpy(VARDATA(out), s, sizeof(SmpcAggState));
	PG_RETURN_BYTEA_P(out);
}

Datum
smpc_deserialize(PG_FUNCTION_ARGS)
{
	bytea		 *in = PG_GETARG_BYTEA_PP(0);
	SmpcAggState *s;

	if (VARSIZE_ANY_EXHDR(in) != sizeof(SmpcAggState))
		elog(ERROR, "invalid smpc aggregate state");
	s = (SmpcAggState *) palloc(sizeof(SmpcAggState));
	memcpy(s, VARDATA_ANY(in), sizeof(SmpcAggState));
	PG_RETURN_POINTER(s);
}

/*
 * The Aggref whose arguments are the ones written in the query. In a
 * Finalize Aggregate (parallel or partitionwise aggregation) the Aggref's
 * only argument is a Var for the partial aggregate's output, so follow it
 * down the child plans' target lists (through Gather, Append and the like)
 * to the partial Aggref. NULL if it cannot be found.
 */
static Aggref *
smpc_source_aggref(FunctionCallInfo fcinfo)
{
	Aggref	 *aggref = AggGetAggref(fcinfo);
	AggState *aggstate;
	Expr	 *expr;
	Plan	 *plan;

	if (aggref == NULL || fcinfo->context == NULL || !IsA(fcinfo->context, AggState))
		return NULL;
	if (!DO_AGGSPLIT_COMBINE(aggref->aggsplit))
		return aggref;
	aggstate = (AggState *) fcinfo->context;
	expr = ((TargetEntry *) llast(aggref->args))->expr;
	plan = outerPlan(aggstate->ss.ps.plan);
	for (int depth = 0; depth < 32 && plan != NULL; depth++)
	{
		TargetEntry *te;

		if (!IsA(expr, Var) || ((Var *) expr)->varno != OUTER_VAR)
			return NULL;
		te = get_tle_by_resno(plan->targetlist, ((Var *) expr)->varattno);
		if (te == NULL)
			return NULL;
		expr = te->expr;
		if (IsA(expr, Aggref))
			return (Aggref *) expr;
		if (IsA(plan, Append))
			plan = (Plan *) linitial(((Append *) plan)->appendplans);
		else if (IsA(plan, MergeAppend))
			plan = (Plan *) linitial(((MergeAppend *) plan)->mergeplans);
		else
			plan = outerPlan(plan);
	}
	return NULL;
}

/* Checks that the aggregate runs once per query, not per group or window. */
static void
smpc_check_plain_aggregate(FunctionCallInfo fcinfo)
{
	AggState *aggstate;

	if (AggGetAggref(fcinfo) == NULL || fcinfo->context == NULL || !IsA(fcinfo->context, AggState))
		ereport(ERROR, errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				errmsg("smpc aggregates cannot be used as window functions"));
	aggstate = (AggState *) fcinfo->context;
	if (((Agg *) aggstate->ss.ps.plan)->numCols > 0 || aggstate->maxsets > 1)
		ereport(ERROR, errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				errmsg("smpc aggregates cannot be used with GROUP BY"),
				errdetail("Each group would run a separate job under the same job id."),
				errhint("Run one query per group, each with its own job id, or use a grouped "
						"aggregate such as smpc_sum_by."));
}

/*
 * The value of argument argno (0-based; -1: the last, -2 the one before) of
 * this aggregate,
 * which must be the same for every row: the job id, a group domain, bucket
 * edges. It is read from the Aggref (a constant, or an expression without
 * columns such as a parameter) so that it is known even when no row reached
 * the transition function. `what` names it in errors.
 */
Datum
smpc_plan_arg(FunctionCallInfo fcinfo, int argno, const char *what)
{
	Aggref	 *source;
	AggState *aggstate;
	Expr	 *expr = NULL;
	Datum	  value;
	bool	  isnull;

	smpc_check_plain_aggregate(fcinfo);
	aggstate = (AggState *) fcinfo->context;
	source = smpc_source_aggref(fcinfo);
	if (source != NULL)
	{
		int n = list_length(source->args);
		int k = argno < 0 ? n + argno : argno;

		if (k >= 0 && k < n)
			expr = ((TargetEntry *) list_nth(source->args, k))->expr;
	}
	if (expr == NULL)
		ereport(ERROR, errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				errmsg("could not find the %s of this smpc aggregate in the query plan", what),
				errhint("Run the query with max_parallel_workers_per_gather = 0."));
	if (IsA(expr, Const))
	{
		value = ((Const *) expr)->constvalue;
		isnull = ((Const *) expr)->constisnull;
	}
	else
	{
		ExprState *state;

		if (contain_var_clause((Node *) expr) || contain_volatile_functions((Node *) expr))
			ereport(ERROR, errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("the %s of an smpc aggregate must be the same for every row", what),
					errhint("Pass a constant or a query parameter as the %s.", what));
		state = ExecInitExpr(expr, &aggstate->ss.ps);
		value = ExecEvalExpr(state, aggstate->ss.ps.ps_ExprContext, &isnull);
	}
	if (isnull)
		ereport(ERROR, errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("the %s of an smpc aggregate must not be NULL", what));
	return value;
}

/* The job id: the aggregate's last argument. */
static char *
smpc_job_id(FunctionCallInfo fcinfo)
{
	return TextDatumGetCString(smpc_plan_arg(fcinfo, -1, "job id"));
}

/*
 * How values of a type are encoded (integer, numeric or float8);
 * SMPC_VALUE_NONE for a type sums and averages do not take.
 */
SmpcValueClass
smpc_value_class_of(Oid type)
{
	switch (type)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
			return SMPC_VALUE_INTEGER;
		case NUMERICOID:
			return SMPC_VALUE_NUMERIC;
		case FLOAT8OID:
			return SMPC_VALUE_FLOAT8;
		default:
			return SMPC_VALUE_NONE;
	}
}

/* The value class of this aggregate's input. */
SmpcValueClass
smpc_value_class(FunctionCallInfo fcinfo)
{
	Oid			   type = get_fn_expr_argtype(fcinfo->flinfo, 1);
	SmpcValueClass value_class = smpc_value_class_of(type);

	if (value_class == SMPC_VALUE_NONE)
		elog(ERROR, "smpc aggregate called with unexpected type %u", type);
	return value_class;
}

/*
 * A local sum in the job's fixed point (aggregates.h). Double precision sums
 * were rounded row by row, at the federation's scale, which is the job's.
 */
__int128
smpc_fixed_point(__int128 v, int vscale, SmpcValueClass value_class, int scale)
{
	if (value_class == SMPC_VALUE_INTEGER)
		return v;
	if (vscale > scale)
	{
		__int128 div = smpc_pow10(vscale - scale);

		if (v % div != 0)
			ereport(ERROR, errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					errmsg("numeric values have more than %d fractional digits", scale),
					errdetail("The federation's scale is %d; smpc does not round numeric values.",
							  scale),
					errhint("Round the input, e.g. round(value, %d), or register the federation "
							"with a larger scale.",
							scale));
		return v / div;
	}
	if (__builtin_mul_overflow(v, smpc_pow10(scale - vscale), &v))
		smpc_numeric_overflow();
	return v;
}

/*
 * The parts of a job request every aggregate fills alike (aggregates.h):
 * job id, value class, fixed point, local row count and, with_bounds, the
 * bounds the rows were clipped to (looked up here when no row came).
 */
SmpcFederationRow *
smpc_agg_request(FunctionCallInfo fcinfo, const SmpcAggState *s, SmpcAggregate aggregate,
				 SmpcValueClass value_class, bool with_bounds, int value_arg, SmpcJobSpec *req,
				 SmpcBounds *bounds)
{
	SmpcFederationRow *fed;

	smpc_group_flush_node(fcinfo);
	memset(req, 0, sizeof *req);
	memset(bounds, 0, sizeof *bounds);
	req->job_id = smpc_job_id(fcinfo);
	req->aggregate = aggregate;
	req->value_class = value_class;
	req->inputs_present = true;
	req->rows = s ? s->count : 0;
	req->count_index = -1;
	req->column = smpc_input_column(fcinfo, value_arg);
	req->input_error = s ? s->input_error : SMPC_INPUT_OK;
	req->sources = smpc_job_sources(fcinfo, value_arg);
	fed = smpc_load_federation(smpc_default_federation_name(), false);
	req->scale = value_class == SMPC_VALUE_INTEGER || !with_bounds ? 0 : fed->scale;
	if (with_bounds)
	{
		if (s != NULL && s->bounds.loaded)
			*bounds = s->bounds;
		else
			smpc_bounds_load_arg(fcinfo, fed, value_class == SMPC_VALUE_INTEGER, value_arg, bounds);
		req->bounds = bounds;
		req->outside = s ? s->outside : 0;
	}
	return fed;
}
