/*
 * smpc_sum, smpc_count, smpc_avg: the final functions. Each encodes this
 * party's partial aggregate (aggregates.cpp) as signed integers in the
 * federation's fixed point (integers at scale 0; numeric and float8 at the
 * federation's scale), runs the job with the partners once (jobs/), and
 * decodes the joint result. Also the numeric from fixed point that the
 * other aggregates' results share.
 */
#include "pg/aggregates/aggregates.h"

extern "C" {
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/typcache.h"

PGDLLEXPORT Datum smpc_sum_int_final(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_sum_numeric_final(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_sum_float8_final(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_count_final(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_avg_numeric_final(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_avg_float8_final(PG_FUNCTION_ARGS);

PG_FUNCTION_INFO_V1(smpc_sum_int_final);
PG_FUNCTION_INFO_V1(smpc_sum_numeric_final);
PG_FUNCTION_INFO_V1(smpc_sum_float8_final);
PG_FUNCTION_INFO_V1(smpc_count_final);
PG_FUNCTION_INFO_V1(smpc_avg_numeric_final);
PG_FUNCTION_INFO_V1(smpc_avg_float8_final);
}

/* This party's partial sum in the job's fixed point. */
static __int128
smpc_local_sum(const SmpcAggState *s, SmpcValueClass value_class, int scale)
{
	if (s == NULL)
		return 0;
	return smpc_fixed_point(s->isum, s->nscale, value_class, scale);
}

/*
 * Runs the job for this aggregate; returns the joint values, or false when
 * this party learns no result (it only supplies its input).
 */
static bool
smpc_final_run(FunctionCallInfo fcinfo, SmpcAggregate aggregate, SmpcValueClass value_class,
			   __int128 *out, int *scale)
{
	SmpcJobResult	   res;
	SmpcAggState	  *s = PG_ARGISNULL(0) ? NULL : (SmpcAggState *) PG_GETARG_POINTER(0);
	SmpcJobSpec		   req;
	SmpcBounds		   bounds;
	bool			   count = aggregate == SMPC_AGG_COUNT;
	SmpcFederationRow *fed =
		smpc_agg_request(fcinfo, s, aggregate, value_class, !count, 0, &req, &bounds);
	/* With a minimum row count, the count goes along (and is opened first). */
	bool gated = fed->min_rows > 0;

	*scale = req.scale;
	req.inputs = smpc_alloc_values(2);
	if (count)
	{
		req.width = 1;
		req.inputs[0] = s ? s->count : 0;
		req.count_index = gated ? 0 : -1;
		req.kinds = "c";
	}
	else
	{
		req.width = aggregate == SMPC_AGG_AVG || gated ? 2 : 1;
		req.kinds = req.width == 2 ? "sc" : "s";
		req.inputs[0] = smpc_local_sum(s, value_class, *scale);
		req.inputs[1] = s ? s->count : 0;
		req.count_index = gated ? 1 : -1;
	}
	smpc_run_job(fed, &req, out, &res);
	return res.has_result;
}

/* A scaled 128-bit value as numeric. */
Datum
smpc_to_numeric(__int128 v, int scale)
{
	char buf[64];

	/* Built directly when it fits bigint (numeric_in costs 10x more). */
	if (v >= PG_INT64_MIN && v <= PG_INT64_MAX && scale >= 0 && scale <= 18)
		return NumericGetDatum(scale == 0 ? int64_to_numeric((int64) v)
										  : int64_div_fast_to_numeric((int64) v, scale));
	smpc_format_scaled(v, scale, buf, sizeof buf);
	return DirectFunctionCall3(numeric_in, CStringGetDatum(buf), ObjectIdGetDatum(InvalidOid),
							   Int32GetDatum(-1));
}

Datum
smpc_sum_int_final(PG_FUNCTION_ARGS)
{
	__int128 out[2];
	int		 scale;

	if (!smpc_final_run(fcinfo, SMPC_AGG_SUM, SMPC_VALUE_INTEGER, out, &scale))
		PG_RETURN_NULL();
	if (out[0] > PG_INT64_MAX || out[0] < PG_INT64_MIN)
		ereport(ERROR, errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE), errmsg("bigint out of range"));
	PG_RETURN_INT64((int64) out[0]);
}

Datum
smpc_sum_numeric_final(PG_FUNCTION_ARGS)
{
	__int128 out[2];
	int		 scale;

	if (!smpc_final_run(fcinfo, SMPC_AGG_SUM, smpc_value_class(fcinfo), out, &scale))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(smpc_to_numeric(out[0], scale));
}

Datum
smpc_sum_float8_final(PG_FUNCTION_ARGS)
{
	__int128 out[2];
	int		 scale;

	if (!smpc_final_run(fcinfo, SMPC_AGG_SUM, SMPC_VALUE_FLOAT8, out, &scale))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8((double) out[0] / pow(10.0, scale));
}

Datum
smpc_count_final(PG_FUNCTION_ARGS)
{
	__int128 out[2];
	int		 scale;

	if (!smpc_final_run(fcinfo, SMPC_AGG_COUNT, SMPC_VALUE_ANY, out, &scale))
		PG_RETURN_NULL();
	PG_RETURN_INT64((int64) out[0]);
}

Datum
smpc_avg_numeric_final(PG_FUNCTION_ARGS)
{
	__int128 out[2];
	int		 scale;

	if (!smpc_final_run(fcinfo, SMPC_AGG_AVG, smpc_value_class(fcinfo), out, &scale) || out[1] <= 0)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(DirectFunctionCall2(numeric_div, smpc_to_numeric(out[0], scale),
										smpc_to_numeric(out[1], 0)));
}

Datum
smpc_avg_float8_final(PG_FUNCTION_ARGS)
{
	__int128 out[2];
	int		 scale;

	if (!smpc_final_run(fcinfo, SMPC_AGG_AVG, SMPC_VALUE_FLOAT8, out, &scale) || out[1] <= 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(((double) out[0] / pow(10.0, scale)) / (double) out[1]);
}
