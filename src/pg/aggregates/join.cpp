/*
 * smpc_join(aggregate, value_type, job_id, column_name): takes part in a job
 * at a party that supplies no input of its own: a compute party of the
 * delegated or hybrid model, or a party that only receives the result. It
 * runs the same job as the data owners' aggregates (same descriptor, same
 * release policy) with no input, and returns the joint result as numeric,
 * or NULL where this party learns none.
 *
 * column_name names the bounds entry the data owners' column uses (their
 * clipping bounds are part of the job's release policy, which every party
 * must share); NULL takes the '*' entry, as for an expression.
 */
#include "pg/aggregates/aggregates.h"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"

PGDLLEXPORT Datum smpc_join(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(smpc_join);
}

/* The value class of a job over values of type `type`. */
static SmpcValueClass
smpc_join_value_class(const char *aggregate, SmpcAggregate job_aggregate, Oid type)
{
	SmpcValueClass value_class = smpc_value_class_of(type);

	if (job_aggregate == SMPC_AGG_COUNT)
		return SMPC_VALUE_ANY;
	if (value_class == SMPC_VALUE_NONE)
		ereport(ERROR, errcode(ERRCODE_DATATYPE_MISMATCH),
				errmsg("smpc_%s does not take values of type %s", aggregate, format_type_be(type)),
				errhint("Use smallint, integer, bigint, numeric or double precision."));
	return value_class;
}

Datum
smpc_join(PG_FUNCTION_ARGS)
{
	char			  *aggregate;
	SmpcAggregate	   job_aggregate;
	bool			   moments;
	Oid				   type;
	SmpcJobSpec		   req;
	SmpcJobResult	   res;
	SmpcFederationRow *fed;
	SmpcBounds		   bounds;
	__int128		   out[3];
	bool			   gated;
	Datum			   stat;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR, errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("aggregate, value type and job id of smpc_join must not be NULL"));
	aggregate = text_to_cstring(PG_GETARG_TEXT_PP(0));
	type = PG_GETARG_OID(1);
	/* The six spread statistics are one job, "variance" (moments.cpp). */
	moments = strcmp(aggregate, "variance") == 0 || strcmp(aggregate, "var_samp") == 0 ||
			  strcmp(aggregate, "var_pop") == 0 || strcmp(aggregate, "stddev") == 0 ||
			  strcmp(aggregate, "stddev_samp") == 0 || strcmp(aggregate, "stddev_pop") == 0;
	job_aggregate = moments ? SMPC_AGG_VARIANCE : smpc_aggregate_parse(aggregate);
	if (job_aggregate != SMPC_AGG_SUM && job_aggregate != SMPC_AGG_COUNT &&
		job_aggregate != SMPC_AGG_AVG && !moments)
		ereport(ERROR, errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("smpc_join takes part in sum, count, avg, variance, var_samp, var_pop, "
					   "stddev, stddev_samp or stddev_pop jobs, not \"%s\"",
					   aggregate));

	memset(&req, 0, sizeof req);
	memset(&bounds, 0, sizeof bounds);
	req.job_id = text_to_cstring(PG_GETARG_TEXT_PP(2));
	req.aggregate = job_aggregate;
	req.value_class = smpc_join_value_class(aggregate, job_aggregate, type);
	req.inputs_present = false;
	fed = smpc_load_federation(smpc_default_federation_name(), false);
	req.scale =
		req.value_class == SMPC_VALUE_INTEGER || job_aggregate == SMPC_AGG_COUNT ? 0 : fed->scale;
	gated = fed->min_rows > 0;
	if (job_aggregate == SMPC_AGG_COUNT)
	{
		req.width = 1;
		req.count_index = gated ? 0 : -1;
		req.kinds = "c";
	}
	else
	{
		smpc_bounds_for_column(fed, PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3)),
							   req.value_class == SMPC_VALUE_INTEGER, &bounds);
		req.width = moments ? 3 : job_aggregate == SMPC_AGG_AVG || gated ? 2 : 1;
		req.count_index = moments ? (gated ? 2 : -1) : gated ? 1 : -1;
		req.kinds = moments ? "sqc" : req.width == 2 ? "sc" : "s";
		req.bounds = &bounds;
	}
	smpc_run_job(fed, &req, out, &res);
	if (!res.has_result)
		PG_RETURN_NULL();
	if (moments)
	{
		if (!smpc_moments_numeric(aggregate, out[0], out[1], out[2], req.scale, &stat))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(stat);
	}
	if (job_aggregate == SMPC_AGG_COUNT)
		PG_RETURN_DATUM(smpc_to_numeric(out[0], 0));
	if (job_aggregate == SMPC_AGG_SUM)
		PG_RETURN_DATUM(smpc_to_numeric(out[0], req.scale));
	if (out[1] <= 0) /* no rows (or, with noise, a count below one) */
		PG_RETURN_NULL();
	PG_RETURN_DATUM(DirectFunctionCall2(numeric_div, smpc_to_numeric(out[0], req.scale),
										smpc_to_numeric(out[1], 0)));
}
