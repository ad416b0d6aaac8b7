/*
 * Private set operations on a join key, their final functions:
 * smpc_intersect_count (keys every party holds), smpc_overlap_count (keys
 * at least k parties hold), smpc_union_count (distinct keys over all
 * parties), smpc_overlap_matrix (the keys each pair of parties shares),
 * smpc_intersect_sum and _avg (the parties' values over the keys all hold),
 * and the grouped forms over a public domain (smpc_intersect_count_by, ...,
 * smpc_intersect_sum_by: a count or sum per group of the keys the parties
 * put in that group). The local phase is set_state.cpp; how keys are
 * normalised for record linkage, key_normalize.cpp.
 *
 * Each final function drops repeated keys and runs a set job
 * (protocol/set_job.hpp through the bridge): the sets are blinded round the
 * ring of parties and the counts (and sums) are released like any job's
 * values, under the release policy, noise and audit. NULL keys are left
 * out and counted; both counts go into the audit record.
 */
#include "pg/aggregates/aggregates.h"

extern "C" {
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"

PGDLLEXPORT Datum smpc_intersect_sum_final(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_intersect_avg_final(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_intersect_count_final(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_overlap_count_final(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_union_count_final(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_intersect_count_by_final(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_overlap_count_by_final(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_union_count_by_final(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_overlap_matrix_final(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_intersect_sum_by_final(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_intersect_avg_by_final(PG_FUNCTION_ARGS);

PG_FUNCTION_INFO_V1(smpc_intersect_sum_final);
PG_FUNCTION_INFO_V1(smpc_intersect_avg_final);
PG_FUNCTION_INFO_V1(smpc_intersect_count_final);
PG_FUNCTION_INFO_V1(smpc_overlap_count_final);
PG_FUNCTION_INFO_V1(smpc_union_count_final);
PG_FUNCTION_INFO_V1(smpc_intersect_count_by_final);
PG_FUNCTION_INFO_V1(smpc_overlap_count_by_final);
PG_FUNCTION_INFO_V1(smpc_union_count_by_final);
PG_FUNCTION_INFO_V1(smpc_overlap_matrix_final);
PG_FUNCTION_INFO_V1(smpc_intersect_sum_by_final);
PG_FUNCTION_INFO_V1(smpc_intersect_avg_by_final);
}

/*
 * Runs the set job. kind: the aggregate; at_least: 0 for every party
 * (intersection), else k; grouped: by the group domain (the argument
 * before the job id). Returns false when this party learns no result; else
 * out holds one count (or one per group) and *res what the job gave, and
 * *used (if not NULL) the federation the job ran in.
 */
static bool
smpc_set_run(FunctionCallInfo fcinfo, SmpcAggregate kind, int at_least, bool grouped,
			 SmpcDomain *domain, __int128 **out, SmpcJobResult *res,
			 SmpcFederationRow **used = NULL)
{
	SmpcSetState	  *s = PG_ARGISNULL(0) ? NULL : (SmpcSetState *) PG_GETARG_POINTER(0);
	SmpcFederationRow *fed = smpc_load_federation(smpc_default_federation_name(), false);
	const char		  *normalized = smpc_key_normalization(fcinfo);
	SmpcJobSpec		   req;
	int64			   repeats = s ? smpc_set_distinct(s) : 0;
	int				   groups = 0;
	uint32			  *sizes = NULL;
	uint64			  *values = NULL;
	/* Intersection sums: the value argument, and the bounds of what it reads. */
	int		   value_arg = grouped ? 2 : 1;
	SmpcBounds bounds;
	int64	   outside = 0;

	smpc_group_flush_node(fcinfo);
	memset(&bounds, 0, sizeof bounds);
	if (repeats > 0 && smpc_repeated_keys == SMPC_REPEATED_REFUSE)
		ereport(ERROR, errcode(ERRCODE_UNIQUE_VIOLATION),
				errmsg_plural("%lld key of this party's set job repeats an earlier one",
							  "%lld keys of this party's set job repeat earlier ones", repeats,
							  (long long) repeats),
				errdetail("smpc.repeated_keys is refuse. This party holds %lld distinct keys "
						  "(in a grouped job: distinct within their group). Nothing was sent.",
						  (long long) s->n),
				errhint("Find them with GROUP BY key HAVING count(*) > 1, or SET "
						"smpc.repeated_keys = count_once to count each key once."));

	if (s != NULL && s->valued && fed->self == 0)
		ereport(ERROR, errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("party \"%s\" counts the overlap of federation \"%s\" and cannot give "
					   "values to an intersection sum",
					   fed->self_name, fed->name),
				errdetail("The counting party (the federation's first) sees every fully blinded "
						  "set; with the key to its own values it would learn which parties hold "
						  "each of its keys. Nothing was sent."),
				errhint("Pass NULL::bigint as the value here, and give the values at another "
						"party."));
	if (at_least == 0)
		at_least = fed->nparties;
	if (at_least < 1 || at_least > fed->nparties)
		ereport(ERROR, errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("at_least must be between 1 and %d, the number of parties of federation "
					   "\"%s\"",
					   fed->nparties, fed->name),
				errhint("%d counts the keys every party holds, 1 the distinct keys of all parties.",
						fed->nparties));
	if (grouped)
	{
		if (s != NULL)
			*domain = s->domain;
		else
			smpc_set_domain_load(fcinfo, domain);
		groups = domain->n;
		if (s != NULL && s->dropped > 0)
			ereport(NOTICE, errmsg("%lld rows with a group outside the job's domain were left out",
								   (long long) s->dropped));
	}
	memset(&req, 0, sizeof req);
	req.job_id = TextDatumGetCString(smpc_plan_arg(fcinfo, -1, "job id"));
	req.aggregate = kind;
	req.value_class = s ? s->key_class : smpc_key_class_of(get_fn_expr_argtype(fcinfo->flinfo, 1));
	req.shape = psprintf(
		"%s%s%s%s", grouped ? psprintf(" by %d groups %.32s", groups, domain->fingerprint) : "",
		(kind == SMPC_AGG_OVERLAP_COUNT || kind == SMPC_AGG_OVERLAP_COUNT_BY)
			? psprintf(" held by at least %d", at_least)
			: "",
		normalized ? " normalized by " : "", normalized ? normalized : "");
	req.set_pairs = kind == SMPC_AGG_OVERLAP_MATRIX;
	req.width = smpc_aggregate_sums_overlap(kind) ? 2 * Max(groups, 1)
				: req.set_pairs					  ? fed->nparties * (fed->nparties - 1) / 2
												  : Max(groups, 1);
	/* Intersection sums: the sum, then the overlap count, which min_rows judges. */
	req.count_index = smpc_aggregate_sums_overlap(kind) && !grouped ? 1 : -1;
	/*
	 * Grouped: one count per group, each a cell of its own (suppressed alone
	 * under min_rows); the overlap matrix: one per pair.
	 */
	req.cells = req.set_pairs ? req.width : groups;
	req.cell_width = req.cells == 0 ? 0 : smpc_aggregate_sums_overlap(kind) ? 2 : 1;
	/* Grouped sums: each group's [sum, count], its count judged by min_rows. */
	req.cell_count = smpc_aggregate_sums_overlap(kind) && grouped ? 1 : 0;
	req.inputs = smpc_alloc_values(req.width);
	req.inputs_present = true;
	req.rows = s ? s->n : 0;
	/*
	 * Noise: a row is one key at one party, which changes a count (one per
	 * group: the group of that row) by at most 1; in the overlap matrix it
	 * changes each of the n - 1 pairs of its party, so each pair's noise is
	 * calibrated to n - 1 (privacy.cpp). In an intersection sum it can bring
	 * a key into the overlap with the totals of every other party (the
	 * counting party gives none): the sum's sensitivity is n - 1 times the
	 * bound of a key's total.
	 */
	if (smpc_aggregate_sums_overlap(kind))
	{
		int *reach = (int *) palloc(2 * sizeof(int));

		reach[0] = fed->nparties - 1;
		reach[1] = 1;
		req.kinds = "sc";
		req.noise_reach = reach;
		/*
		 * Bounds apply to each key's total at a party that gives values; a
		 * party that passes NULL takes those of what its NULL reads (the
		 * '*' entry). Every party's policy names them, so all must agree.
		 */
		smpc_bounds_load_arg(fcinfo, fed, true, value_arg, &bounds);
		req.bounds = &bounds;
		req.column = smpc_input_column(fcinfo, value_arg);
		req.sources = smpc_job_sources(fcinfo, value_arg);
	}
	else
	{
		int *reach = (int *) palloc(sizeof(int));

		reach[0] = req.set_pairs ? fed->nparties - 1 : 1;
		req.kinds = "c";
		req.noise_reach = reach;
		req.column = smpc_input_column(fcinfo, 0);
		req.sources = smpc_job_sources(fcinfo, 0);
	}
	req.set_keys = s ? smpc_set_digests(s, groups, &sizes, &values, &bounds, &outside) : NULL;
	req.outside = outside;
	req.set_values = values;
	req.set_sum = smpc_aggregate_sums_overlap(kind);
	if (grouped && sizes == NULL)
		sizes = (uint32 *) palloc0(sizeof(uint32) * groups);
	req.set_nkeys = s ? s->n : 0;
	req.set_at_least = at_least;
	req.set_groups = groups;
	req.set_group_sizes = sizes;
	req.set_nulls = s ? s->nulls : 0;
	req.set_repeats = repeats;
	*out = smpc_alloc_values(req.width);
	smpc_run_job(fed, &req, *out, res);
	if (used != NULL)
		*used = fed;
	/* The job has its own copy (wiped by the core); the rest when the query's memory goes. */
	if (s != NULL)
		smpc_set_wipe(s);
	return res->has_result;
}

/*
 * smpc_intersect_sum: the sum of the values the parties gave over the keys
 * every party holds, as numeric (the count goes out with it and is in the
 * audit record and smpc.jobs). smpc_intersect_avg: the same job (its own
 * name in the descriptor, so a party running the other fails it), the sum
 * divided by the count; NULL over an empty overlap, as avg() over no rows.
 */
Datum
smpc_intersect_sum_final(PG_FUNCTION_ARGS)
{
	__int128	 *out;
	SmpcJobResult res;
	SmpcDomain	  domain;

	if (!smpc_set_run(fcinfo, SMPC_AGG_INTERSECT_SUM, 0, false, &domain, &out, &res))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(smpc_to_numeric(out[0], 0));
}

Datum
smpc_intersect_avg_final(PG_FUNCTION_ARGS)
{
	__int128	 *out;
	SmpcJobResult res;
	SmpcDomain	  domain;

	if (!smpc_set_run(fcinfo, SMPC_AGG_INTERSECT_AVG, 0, false, &domain, &out, &res) || out[1] <= 0)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(
		DirectFunctionCall2(numeric_div, smpc_to_numeric(out[0], 0), smpc_to_numeric(out[1], 0)));
}

/* A count as bigint. */
static Datum
smpc_set_count_result(FunctionCallInfo fcinfo, SmpcAggregate kind, int at_least)
{
	__int128	 *out;
	SmpcJobResult res;
	SmpcDomain	  domain;

	if (!smpc_set_run(fcinfo, kind, at_least, false, &domain, &out, &res))
		PG_RETURN_NULL();
	PG_RETURN_INT64((int64) out[0]);
}

/* The counts per group as smpc.group_value[] (a suppressed group: NULL). */
static Datum
smpc_set_group_result(FunctionCallInfo fcinfo, SmpcAggregate kind, int at_least)
{
	__int128	 *out;
	SmpcJobResult res;
	SmpcDomain	  domain;

	if (!smpc_set_run(fcinfo, kind, at_least, true, &domain, &out, &res))
		PG_RETURN_NULL();
	return smpc_group_value_rows(fcinfo, &domain, out, res.suppressed, 1, 0, -1);
}

/* at_least of smpc_overlap_count(_by): the argument `argno`; 0 would mean every party. */
static int
smpc_at_least_arg(FunctionCallInfo fcinfo, int argno)
{
	int at_least = DatumGetInt32(smpc_plan_arg(fcinfo, argno, "at_least"));

	return at_least <= 0 ? -1 : at_least;
}

Datum
smpc_intersect_count_final(PG_FUNCTION_ARGS)
{
	return smpc_set_count_result(fcinfo, SMPC_AGG_INTERSECT_COUNT, 0);
}

Datum
smpc_overlap_count_final(PG_FUNCTION_ARGS)
{
	return smpc_set_count_result(fcinfo, SMPC_AGG_OVERLAP_COUNT, smpc_at_least_arg(fcinfo, -2));
}

Datum
smpc_union_count_final(PG_FUNCTION_ARGS)
{
	return smpc_set_count_result(fcinfo, SMPC_AGG_UNION_COUNT, 1);
}

Datum
smpc_intersect_count_by_final(PG_FUNCTION_ARGS)
{
	return smpc_set_group_result(fcinfo, SMPC_AGG_INTERSECT_COUNT_BY, 0);
}

Datum
smpc_overlap_count_by_final(PG_FUNCTION_ARGS)
{
	return smpc_set_group_result(fcinfo, SMPC_AGG_OVERLAP_COUNT_BY, smpc_at_least_arg(fcinfo, -3));
}

Datum
smpc_union_count_by_final(PG_FUNCTION_ARGS)
{
	return smpc_set_group_result(fcinfo, SMPC_AGG_UNION_COUNT_BY, 1);
}

/*
 * smpc_overlap_matrix: each pair of parties' overlap as smpc.overlap_pair[],
 * pairs in the federation's order (a suppressed pair: NULL).
 */
Datum
smpc_overlap_matrix_final(PG_FUNCTION_ARGS)
{
	__int128		  *out;
	SmpcJobResult	   res;
	SmpcDomain		   domain;
	SmpcRows		   rows;
	SmpcFederationRow *fed;
	int				   cell = 0;

	if (!smpc_set_run(fcinfo, SMPC_AGG_OVERLAP_MATRIX, 2, false, &domain, &out, &res, &fed))
		PG_RETURN_NULL();
	/* The names of the federation the job ran in (its fingerprint was the partners'). */
	smpc_rows_begin(&rows, fcinfo, fed->nparties * (fed->nparties - 1) / 2);
	for (int a = 0; a < fed->nparties; a++)
		for (int b = a + 1; b < fed->nparties; b++, cell++)
		{
			Datum		  values[4];
			bool		  nulls[4] = {false, false, false, false};
			bool		  suppressed = res.suppressed != NULL && res.suppressed[cell];
			MemoryContext old = MemoryContextSwitchTo(rows.row_cxt);

			values[0] = CStringGetTextDatum(fed->parties[a]);
			values[1] = CStringGetTextDatum(fed->parties[b]);
			values[2] = suppressed ? (Datum) 0 : Int64GetDatum((int64) out[cell]);
			nulls[2] = suppressed;
			values[3] = BoolGetDatum(suppressed);
			MemoryContextSwitchTo(old);
			smpc_rows_add(&rows, values, nulls);
		}
	return smpc_rows_end(&rows);
}

/*
 * smpc_intersect_sum_by and smpc_intersect_avg_by: per group, the sum of
 * the values the parties gave over the keys every party put in that group
 * (or that sum over the group's overlap count: NULL over an empty one), as
 * smpc.group_value[]; a suppressed group: NULL.
 */
static Datum
smpc_set_group_sums(FunctionCallInfo fcinfo, SmpcAggregate kind)
{
	__int128	 *out;
	SmpcJobResult res;
	SmpcDomain	  domain;

	if (!smpc_set_run(fcinfo, kind, 0, true, &domain, &out, &res))
		PG_RETURN_NULL();
	/* Each group's [sum, count]: the sum, or the sum over the count. */
	return smpc_group_value_rows(fcinfo, &domain, out, res.suppressed, 2, 0,
								 kind == SMPC_AGG_INTERSECT_AVG_BY ? 1 : -1);
}

Datum
smpc_intersect_sum_by_final(PG_FUNCTION_ARGS)
{
	return smpc_set_group_sums(fcinfo, SMPC_AGG_INTERSECT_SUM_BY);
}

Datum
smpc_intersect_avg_by_final(PG_FUNCTION_ARGS)
{
	return smpc_set_group_sums(fcinfo, SMPC_AGG_INTERSECT_AVG_BY);
}
