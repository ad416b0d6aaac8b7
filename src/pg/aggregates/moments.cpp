/*
 * smpc_variance, smpc_var_samp, smpc_var_pop, smpc_stddev, smpc_stddev_samp,
 * smpc_stddev_pop: the spread of a column over every party's rows.
 *
 * One job opens three joint values: the sum S, the sum of squares Q and the
 * count n, exactly (integers at scale 0; numeric and double precision at the
 * federation's scale s for S and 2s for Q; double precision values are
 * rounded to scale s row by row, then summed exactly). The six aggregates are one
 * computation (descriptor "variance(<class>)"): a job id released for one of
 * them answers any other from the same stored values. From them, in numeric
 * arithmetic (no cancellation, unlike a double computation of n Q - S^2):
 *   var_pop  = (n Q - S^2) / n^2
 *   var_samp = (n Q - S^2) / (n (n - 1))
 * and the standard deviations as their square roots, as PostgreSQL's own
 * aggregates define them (NULL for no rows, and var_samp of one row). With
 * noise (smpc.epsilon) n may be off by a few rows and the variance negative:
 * NULL when the noisy n is below 1 (2 for sample statistics), and a standard
 * deviation of 0 for a negative variance.
 * Results for integer and numeric inputs are numeric, for double precision
 * inputs double precision.
 */
#include "pg/aggregates/aggregates.h"

#include <math.h>

extern "C" {
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"

PGDLLEXPORT Datum smpc_accum_sq_int2(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_accum_sq_int4(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_accum_sq_int8(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_accum_sq_numeric(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_accum_sq_float8(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_moments_numeric_final(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_moments_float8_final(PG_FUNCTION_ARGS);

PG_FUNCTION_INFO_V1(smpc_accum_sq_int2);
PG_FUNCTION_INFO_V1(smpc_accum_sq_int4);
PG_FUNCTION_INFO_V1(smpc_accum_sq_int8);
PG_FUNCTION_INFO_V1(smpc_accum_sq_numeric);
PG_FUNCTION_INFO_V1(smpc_accum_sq_float8);
PG_FUNCTION_INFO_V1(smpc_moments_numeric_final);
PG_FUNCTION_INFO_V1(smpc_moments_float8_final);
}

/* Adds an integer input (after the bounds) and its square. */
static void
smpc_add_int_sq(SmpcAggState *s, int64 raw)
{
	int64	 v = smpc_clip_int(s, raw);
	__int128 sq = (__int128) v * (__int128) v; /* < 2^126: cannot overflow */

	s->isum += v;
	if (__builtin_add_overflow(s->isq, sq, &s->isq))
		smpc_numeric_overflow();
	s->count++;
}

Datum
smpc_accum_sq_int2(PG_FUNCTION_ARGS)
{
	SmpcAggState *s = smpc_state(fcinfo, true, true);

	if (!PG_ARGISNULL(1))
		smpc_add_int_sq(s, PG_GETARG_INT16(1));
	PG_RETURN_POINTER(s);
}

Datum
smpc_accum_sq_int4(PG_FUNCTION_ARGS)
{
	SmpcAggState *s = smpc_state(fcinfo, true, true);

	if (!PG_ARGISNULL(1))
		smpc_add_int_sq(s, PG_GETARG_INT32(1));
	PG_RETURN_POINTER(s);
}

Datum
smpc_accum_sq_int8(PG_FUNCTION_ARGS)
{
	SmpcAggState *s = smpc_state(fcinfo, true, true);

	if (!PG_ARGISNULL(1))
		smpc_add_int_sq(s, PG_GETARG_INT64(1));
	PG_RETURN_POINTER(s);
}

Datum
smpc_accum_sq_numeric(PG_FUNCTION_ARGS)
{
	SmpcAggState *s = smpc_state(fcinfo, true, false);

	if (!PG_ARGISNULL(1) && s->input_error == SMPC_INPUT_OK)
	{
		__int128 v;
		__int128 sq;
		int		 vscale;

		if (!smpc_clip_numeric(s, PG_GETARG_NUMERIC(1), &v, &vscale))
			PG_RETURN_POINTER(s);
		if (2 * vscale > 38 || __builtin_mul_overflow(v, v, &sq) ||
			!smpc_try_add_scaled_to(&s->isum, &s->nscale, v, vscale) ||
			!smpc_try_add_scaled_to(&s->isq, &s->sqscale, sq, 2 * vscale))
			(void) smpc_input_failed(s, SMPC_INPUT_NUMERIC_OVERFLOW);
		s->count++;
	}
	PG_RETURN_POINTER(s);
}

Datum
smpc_accum_sq_float8(PG_FUNCTION_ARGS)
{
	SmpcAggState *s = smpc_state(fcinfo, true, false);

	if (!PG_ARGISNULL(1) && s->input_error == SMPC_INPUT_OK)
	{
		/*
		 * Each value is rounded to the federation's scale and then summed,
		 * squares too, exactly (aggregates.h): a sum of squares in double
		 * precision would lose the digits the variance is made of (values
		 * near 1e8). Below 10^18 units a square fits 128 bits.
		 */
		__int128 v;
		double	 x = PG_GETARG_FLOAT8(1);

		if (!smpc_float8_fixed(s, x, 1.0e18, &v))
			(void) smpc_input_failed(s, smpc_float8_error(x, SMPC_INPUT_VARIANCE_RANGE));
		else if (__builtin_add_overflow(s->isum, v, &s->isum) ||
				 __builtin_add_overflow(s->isq, v * v, &s->isq))
			(void) smpc_input_failed(s, SMPC_INPUT_NUMERIC_OVERFLOW);
		s->count++;
	}
	PG_RETURN_POINTER(s);
}

/*
 * The statistic `name` ("var_samp", "var_pop", "stddev_samp",
 * "stddev_pop"; "variance" and "stddev" are the sample ones) of the joint
 * sum S (at scale), sum of squares Q (at 2 * scale) and count n, as
 * numeric; false when it is NULL (n = 0, or n = 1 for a sample statistic).
 */
bool
smpc_moments_numeric(const char *name, __int128 sum, __int128 sumsq, __int128 n, int scale,
					 Datum *out)
{
	bool  sample = strstr(name, "_pop") == NULL;
	bool  root = strncmp(name, "stddev", 6) == 0;
	Datum dn;
	Datum numerator;
	Datum denominator;
	Datum var;

	if (n <= 0 || (sample && n <= 1))
		return false;
	dn = smpc_to_numeric(n, 0);
	numerator = DirectFunctionCall2(
		numeric_sub, DirectFunctionCall2(numeric_mul, dn, smpc_to_numeric(sumsq, 2 * scale)),
		DirectFunctionCall2(numeric_mul, smpc_to_numeric(sum, scale), smpc_to_numeric(sum, scale)));
	denominator = DirectFunctionCall2(numeric_mul, dn, sample ? smpc_to_numeric(n - 1, 0) : dn);
	var = DirectFunctionCall2(numeric_div, numerator, denominator);
	/* Exact moments never give a negative variance; noisy ones can (its root is 0). */
	if (root && DatumGetBool(DirectFunctionCall2(numeric_lt, var, smpc_to_numeric(0, 0))))
		var = smpc_to_numeric(0, 0);
	*out = root ? DirectFunctionCall1(numeric_sqrt, var) : var;
	return true;
}

/* Runs the job of a variance or standard deviation; false: no result here. */
static bool
smpc_moments_run(FunctionCallInfo fcinfo, SmpcValueClass value_class, Datum *out)
{
	SmpcAggState	  *s = PG_ARGISNULL(0) ? NULL : (SmpcAggState *) PG_GETARG_POINTER(0);
	SmpcJobSpec		   req;
	SmpcJobResult	   res;
	SmpcBounds		   bounds;
	SmpcFederationRow *fed =
		smpc_agg_request(fcinfo, s, SMPC_AGG_VARIANCE, value_class, true, 0, &req, &bounds);
	__int128 outv[3];
	char	*name = get_func_name(AggGetAggref(fcinfo)->aggfnoid);

	req.width = 3;
	req.kinds = "sqc";
	req.count_index = fed->min_rows > 0 ? 2 : -1;
	req.inputs = smpc_alloc_values(3);
	if (s != NULL)
	{
		req.inputs[0] = smpc_fixed_point(s->isum, s->nscale, value_class, req.scale);
		req.inputs[1] = smpc_fixed_point(s->isq, s->sqscale, value_class, 2 * req.scale);
		req.inputs[2] = s->count;
	}
	smpc_run_job(fed, &req, outv, &res);
	if (!res.has_result)
		return false;
	/* "smpc_var_pop" -> "var_pop" */
	return smpc_moments_numeric(name + strlen("smpc_"), outv[0], outv[1], outv[2], req.scale, out);
}

/* Integer and numeric inputs: a numeric result. */
Datum
smpc_moments_numeric_final(PG_FUNCTION_ARGS)
{
	Datum out;

	if (!smpc_moments_run(fcinfo, smpc_value_class(fcinfo), &out))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(out);
}

/* Double precision inputs: computed exactly, returned as double precision. */
Datum
smpc_moments_float8_final(PG_FUNCTION_ARGS)
{
	Datum out;

	if (!smpc_moments_run(fcinfo, SMPC_VALUE_FLOAT8, &out))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(DirectFunctionCall1(numeric_float8, out));
}
