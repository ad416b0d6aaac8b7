/*
 * smpc_histogram and smpc_percentiles: the distribution of a column over
 * every party's rows, as counts over declared bucket edges, and percentiles
 * read off those counts.
 *
 * Edges e_1 < ... < e_k (numeric, constant for the query) make k + 1
 * buckets, as PostgreSQL's width_bucket(value, edges) numbers them:
 * bucket 0 holds values below e_1, bucket i (1 <= i < k) values in
 * [e_i, e_(i+1)), bucket k values from e_k up. Integer and numeric values are
 * compared with the edges exactly; double precision values with the edges
 * converted to double precision. One job opens the bucket counts (one cell
 * each; under min_rows a bucket below it is suppressed); its descriptor
 * names the number of buckets and a fingerprint of the edges, so parties
 * with different edges are refused. smpc_percentiles runs the same job
 * (a histogram's job id answers both).
 *
 * The local phase runs in parallel workers: each reads the edges from the
 * plan and counts its rows; it hands the leader its counts, the number of
 * edges and their fingerprint (partial_state.cpp), and the leader's final
 * function reads the edges again and checks that they are the same.
 *
 * Percentiles: for fraction p of N counted values, the value of rank
 * r = max(1, ceil(p N)) in ascending order, which is what percentile_disc(p)
 * returns. It lies in the bucket where the running count reaches r, so that
 * bucket's edges are returned as lower and upper bounds (NULL for the open
 * outer buckets): lower <= percentile_disc(p) < upper. The estimate
 * interpolates linearly within the bucket, assuming its values are spread
 * evenly: its error is at most the bucket's width. With any bucket
 * suppressed the ranks are unknown and every percentile is NULL.
 */
#include "pg/aggregates/aggregates.h"

#include <math.h>

extern "C" {
#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

PGDLLEXPORT Datum smpc_hist_accum_int2(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_hist_accum_int4(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_hist_accum_int8(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_hist_accum_numeric(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_hist_accum_float8(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_hist_combine(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_hist_serialize(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_hist_deserialize(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_histogram_final(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_percentiles_final(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_join_histogram(PG_FUNCTION_ARGS);

PG_FUNCTION_INFO_V1(smpc_hist_accum_int2);
PG_FUNCTION_INFO_V1(smpc_hist_accum_int4);
PG_FUNCTION_INFO_V1(smpc_hist_accum_int8);
PG_FUNCTION_INFO_V1(smpc_hist_accum_numeric);
PG_FUNCTION_INFO_V1(smpc_hist_accum_float8);
PG_FUNCTION_INFO_V1(smpc_hist_combine);
PG_FUNCTION_INFO_V1(smpc_hist_serialize);
PG_FUNCTION_INFO_V1(smpc_hist_deserialize);
PG_FUNCTION_INFO_V1(smpc_histogram_final);
PG_FUNCTION_INFO_V1(smpc_percentiles_final);
PG_FUNCTION_INFO_V1(smpc_join_histogram);
}

#define SMPC_MAX_EDGES 32767

/* The declared edges: as numeric, as exact scaled integers, as double. */
typedef struct SmpcEdges
{
	int		n;
	Datum  *numeric;
	int128 *scaled; /* edge i is scaled[i] * 10^-scales[i] */
	int32  *scales;
	double *approx;
	char	fingerprint[65];
} SmpcEdges;

typedef struct SmpcHistState
{
	SmpcEdges edges;  /* combined from parallel workers: only n and the fingerprint */
	int64	 *counts; /* n + 1 buckets */
	int64	  rows;
	int32	  input_error; /* SmpcInputError: the first; the final function aborts the job */
} SmpcHistState;

static void smpc_edges_from_array(ArrayType *array, SmpcEdges *out);

/* Reads and checks the edges (argument edges_arg, from the end). */
static void
smpc_edges_load(FunctionCallInfo fcinfo, int edges_arg, SmpcEdges *out)
{
	smpc_edges_from_array(DatumGetArrayTypeP(smpc_plan_arg(fcinfo, edges_arg, "bucket edges")),
						  out);
}

/* Checks edges given as numeric[] and puts them in the forms comparisons use. */
static void
smpc_edges_from_array(ArrayType *array, SmpcEdges *out)
{
	bool		  *nulls;
	StringInfoData canon;

	deconstruct_array(array, NUMERICOID, -1, false, TYPALIGN_INT, &out->numeric, &nulls, &out->n);
	if (out->n == 0 || out->n > SMPC_MAX_EDGES)
		ereport(ERROR, errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				errmsg("a histogram needs 1 to %d bucket edges, not %d", SMPC_MAX_EDGES, out->n));
	out->scaled = (int128 *) palloc(sizeof(int128) * out->n);
	out->scales = (int32 *) palloc(sizeof(int32) * out->n);
	out->approx = (double *) palloc(sizeof(double) * out->n);
	initStringInfo(&canon);
	for (int i = 0; i < out->n; i++)
	{
		Numeric		num;
		char	   *text;
		const char *dot;
		__int128	v;

		if (nulls[i])
			ereport(ERROR, errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					errmsg("bucket edges must not be NULL"));
		num = DatumGetNumeric(out->numeric[i]);
		if (numeric_is_nan(num) || numeric_is_inf(num))
			ereport(ERROR, errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("bucket edges must be finite numbers"));
		/* 1.50 and 1.5 are the same edge. */
		text = numeric_normalize(num);
		dot = strchr(text, '.');
		out->scales[i] = dot ? (int32) strlen(dot + 1) : 0;
		if (out->scales[i] > 38 || !smpc_parse_scaled(text, out->scales[i], &v))
			ereport(ERROR, errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					errmsg("bucket edge %s has too many digits for smpc", text));
		out->scaled[i] = v;
		out->approx[i] = DatumGetFloat8(DirectFunctionCall1(numeric_float8, out->numeric[i]));
		if (i > 0 &&
			smpc_cmp_scaled(out->scaled[i - 1], out->scales[i - 1], v, out->scales[i]) >= 0)
			ereport(ERROR, errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("bucket edges must be in strictly ascending order"),
					errdetail("Edge %d is not above edge %d.", i + 1, i));
		appendStringInfo(&canon, "%s\n", text);
	}
	smpc_sha256_hex(canon.data, canon.len, out->fingerprint);
	pfree(canon.data);
}

static SmpcHistState *
smpc_hist_state(FunctionCallInfo fcinfo)
{
	MemoryContext  aggcxt;
	MemoryContext  old;
	SmpcHistState *s;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "smpc aggregate function called in non-aggregate context");
	if (!PG_ARGISNULL(0))
		return (SmpcHistState *) PG_GETARG_POINTER(0);
	old = MemoryContextSwitchTo(aggcxt);
	s = (SmpcHistState *) palloc0(sizeof(SmpcHistState));
	/* smpc_histogram(value, edges, job), smpc_percentiles(value, fractions, edges, job) */
	smpc_edges_load(fcinfo, -2, &s->edges);
	s->counts = (int64 *) palloc0(sizeof(int64) * (s->edges.n + 1));
	MemoryContextSwitchTo(old);
	return s;
}

/* The bucket of v * 10^-vscale: the number of edges at or below it. */
static int
smpc_bucket_of_scaled(const SmpcEdges *e, __int128 v, int vscale)
{
	int lo = 0;
	int hi = e->n;

	while (lo < hi)
	{
		int mid = (lo + hi) / 2;

		if (smpc_cmp_scaled(e->scaled[mid], e->scales[mid], v, vscale) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
smpc_bucket_of_double(const SmpcEdges *e, double v)
{
	int lo = 0;
	int hi = e->n;

	while (lo < hi)
	{
		int mid = (lo + hi) / 2;

		if (e->approx[mid] <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static Datum
smpc_hist_add_scaled(FunctionCallInfo fcinfo, __int128 v, int vscale)
{
	SmpcHistState *s = smpc_hist_state(fcinfo);

	s->counts[smpc_bucket_of_scaled(&s->edges, v, vscale)]++;
	s->rows++;
	PG_RETURN_POINTER(s);
}

/* Records this party's input error (the first is kept); the final function aborts the job. */
static Datum
smpc_hist_failed(SmpcHistState *s, SmpcInputError e)
{
	if (s->input_error == SMPC_INPUT_OK)
		s->input_error = e;
	PG_RETURN_POINTER(s);
}

Datum
smpc_hist_accum_int2(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(smpc_hist_state(fcinfo));
	return smpc_hist_add_scaled(fcinfo, PG_GETARG_INT16(1), 0);
}

Datum
smpc_hist_accum_int4(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(smpc_hist_state(fcinfo));
	return smpc_hist_add_scaled(fcinfo, PG_GETARG_INT32(1), 0);
}

Datum
smpc_hist_accum_int8(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(smpc_hist_state(fcinfo));
	return smpc_hist_add_scaled(fcinfo, PG_GETARG_INT64(1), 0);
}

Datum
smpc_hist_accum_numeric(PG_FUNCTION_ARGS)
{
	SmpcAggState nobounds;
	__int128	 v;
	int			 vscale;

	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(smpc_hist_state(fcinfo));
	/* Histograms count: clipping bounds (for sums) do not apply. */
	memset(&nobounds, 0, sizeof nobounds);
	if (!smpc_clip_numeric(&nobounds, PG_GETARG_NUMERIC(1), &v, &vscale))
		return smpc_hist_failed(smpc_hist_state(fcinfo), (SmpcInputError) nobounds.input_error);
	return smpc_hist_add_scaled(fcinfo, v, vscale);
}

Datum
smpc_hist_accum_float8(PG_FUNCTION_ARGS)
{
	SmpcHistState *s = smpc_hist_state(fcinfo);
	double		   v;

	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(s);
	v = PG_GETARG_FLOAT8(1);
	if (isnan(v))
		return smpc_hist_failed(s, SMPC_INPUT_NAN);
	s->counts[smpc_bucket_of_double(&s->edges, v)]++;
	s->rows++;
	PG_RETURN_POINTER(s);
}

/*
 * Parallel aggregation. The serialized state: the number of edges, their
 * fingerprint, the rows counted, the first input error, then the n + 1
 * bucket counts.
 */
Datum
smpc_hist_serialize(PG_FUNCTION_ARGS)
{
	SmpcHistState *s = (SmpcHistState *) PG_GETARG_POINTER(0);
	int32		   n = s->edges.n;
	SmpcPacked	   w;
	bytea		  *out;

	out = smpc_packed_new(sizeof n + sizeof s->edges.fingerprint + sizeof s->rows +
							  sizeof s->input_error + sizeof(int64) * (n + 1),
						  &w);
	smpc_packed_put(&w, &n, sizeof n);
	smpc_packed_put(&w, s->edges.fingerprint, sizeof s->edges.fingerprint);
	smpc_packed_put(&w, &s->rows, sizeof s->rows);
	smpc_packed_put(&w, &s->input_error, sizeof s->input_error);
	smpc_packed_put(&w, s->counts, sizeof(int64) * (n + 1));
	PG_RETURN_BYTEA_P(out);
}

Datum
smpc_hist_deserialize(PG_FUNCTION_ARGS)
{
	SmpcHistState *s = (SmpcHistState *) palloc0(sizeof(SmpcHistState));
	SmpcPacked	   r;
	int32		   n;

	smpc_packed_open(PG_GETARG_BYTEA_PP(0), &r);
	smpc_packed_get(&r, &n, sizeof n);
	smpc_packed_get(&r, s->edges.fingerprint, sizeof s->edges.fingerprint);
	smpc_packed_get(&r, &s->rows, sizeof s->rows);
	smpc_packed_get(&r, &s->input_error, sizeof s->input_error);
	if (n < 1 || n > SMPC_MAX_EDGES ||
		s->edges.fingerprint[sizeof s->edges.fingerprint - 1] != '\0')
		elog(ERROR, "invalid smpc histogram state");
	s->edges.n = n;
	s->counts = (int64 *) smpc_packed_get_array(&r, sizeof(int64), n + 1);
	smpc_packed_close(&r);
	PG_RETURN_POINTER(s);
}

/* Adds worker state b's counts to a's. */
Datum
smpc_hist_combine(PG_FUNCTION_ARGS)
{
	MemoryContext  aggcxt;
	SmpcHistState *a;
	SmpcHistState *b;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "smpc aggregate function called in non-aggregate context");
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(PG_ARGISNULL(0) ? NULL : PG_GETARG_POINTER(0));
	b = (SmpcHistState *) PG_GETARG_POINTER(1);
	if (PG_ARGISNULL(0))
	{
		/* A copy in the aggregate context; the edges are read again at the end. */
		a = (SmpcHistState *) smpc_copy_in(aggcxt, b, sizeof(SmpcHistState));
		a->counts = (int64 *) smpc_copy_in(aggcxt, b->counts, sizeof(int64) * (b->edges.n + 1));
		PG_RETURN_POINTER(a);
	}
	a = (SmpcHistState *) PG_GETARG_POINTER(0);
	if (a->edges.n != b->edges.n || strcmp(a->edges.fingerprint, b->edges.fingerprint) != 0)
		elog(ERROR, "smpc histogram states of different bucket edges");
	if (a->input_error == SMPC_INPUT_OK)
		a->input_error = b->input_error;
	a->rows += b->rows;
	for (int i = 0; i <= a->edges.n; i++)
		a->counts[i] += b->counts[i];
	PG_RETURN_POINTER(a);
}

static bool smpc_hist_exchange(const SmpcFederationRow *fed, SmpcJobSpec *reqp,
							   const SmpcEdges *edges, const SmpcHistState *s, __int128 **counts,
							   bool **suppressed);

/*
 * Runs the histogram job: joint counts per bucket (n + 1 values) and which
 * were suppressed. False where this party learns no result.
 */
static bool
smpc_hist_run(FunctionCallInfo fcinfo, SmpcEdges *edges, __int128 **counts, bool **suppressed)
{
	SmpcHistState	  *s = PG_ARGISNULL(0) ? NULL : (SmpcHistState *) PG_GETARG_POINTER(0);
	SmpcValueClass	   value_class = smpc_value_class(fcinfo);
	SmpcAggState	   base;
	SmpcJobSpec		   req;
	SmpcBounds		   bounds;
	SmpcFederationRow *fed;

	memset(&base, 0, sizeof base);
	base.count = s ? s->rows : 0;
	/* This party's input failed: the job tells the partners and raises it. */
	base.input_error = s ? s->input_error : SMPC_INPUT_OK;
	fed = smpc_agg_request(fcinfo, &base, SMPC_AGG_HISTOGRAM, value_class, false, 0, &req, &bounds);
	if (s != NULL && s->edges.numeric != NULL)
		*edges = s->edges;
	else
		smpc_edges_load(fcinfo, -2, edges);
	/* Combined from parallel workers: they counted with the same edges. */
	if (s != NULL &&
		(s->edges.n != edges->n || strcmp(s->edges.fingerprint, edges->fingerprint) != 0))
		elog(ERROR, "the bucket edges of an smpc histogram changed while the query ran");
	return smpc_hist_exchange(fed, &req, edges, s, counts, suppressed);
}

/*
 * The histogram job proper, its request's common parts filled (s: this
 * party's counts; NULL at a party without input).
 */
static bool
smpc_hist_exchange(const SmpcFederationRow *fed, SmpcJobSpec *reqp, const SmpcEdges *edges,
				   const SmpcHistState *s, __int128 **counts, bool **suppressed)
{
	SmpcJobSpec	  req = *reqp;
	SmpcJobResult res;
	int			  nb;

	nb = edges->n + 1;
	req.width = nb;
	req.kinds = "c";
	if (fed->min_rows > 0)
	{
		req.cells = nb;
		req.cell_width = 1;
		req.cell_count = 0;
	}
	req.shape = psprintf(" by %d buckets %.32s", nb, edges->fingerprint);
	req.inputs = smpc_alloc_values(nb);
	for (int b = 0; s != NULL && b < nb; b++)
		req.inputs[b] = s->counts[b];
	*counts = smpc_alloc_values(nb);
	smpc_run_job(fed, &req, *counts, &res);
	*suppressed = res.suppressed;
	return res.has_result;
}

static Datum smpc_bucket_rows(FunctionCallInfo fcinfo, const SmpcEdges *edgesp,
							  const __int128 *counts, const bool *suppressed);

/* smpc.bucket[]: (lower, upper, count, suppressed) per bucket, ascending. */
Datum
smpc_histogram_final(PG_FUNCTION_ARGS)
{
	SmpcEdges edges;
	__int128 *counts;
	bool	 *suppressed;

	if (!smpc_hist_run(fcinfo, &edges, &counts, &suppressed))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(smpc_bucket_rows(fcinfo, &edges, counts, suppressed));
}

/* The buckets of a histogram result as smpc.bucket[]. */
static Datum
smpc_bucket_rows(FunctionCallInfo fcinfo, const SmpcEdges *edgesp, const __int128 *counts,
				 const bool *suppressed)
{
	const SmpcEdges edges = *edgesp;
	SmpcRows		rows;
	int				nb;

	nb = edges.n + 1;
	smpc_rows_begin(&rows, fcinfo, nb);
	for (int b = 0; b < nb; b++)
	{
		Datum values[4];
		bool  nulls[4] = {b == 0, b == edges.n, false, false};
		bool  sup = suppressed != NULL && suppressed[b];

		values[0] = b > 0 ? edges.numeric[b - 1] : (Datum) 0;
		values[1] = b < edges.n ? edges.numeric[b] : (Datum) 0;
		values[2] = Int64GetDatum((int64) counts[b]);
		nulls[2] = sup;
		values[3] = BoolGetDatum(sup);
		smpc_rows_add(&rows, values, nulls);
	}
	return smpc_rows_end(&rows);
}

/*
 * smpc.percentile[]: (fraction, value, lower, upper) per requested fraction,
 * in the order given (see the file header for what they mean).
 */
Datum
smpc_percentiles_final(PG_FUNCTION_ARGS)
{
	ArrayType *fa = DatumGetArrayTypeP(smpc_plan_arg(fcinfo, 1, "fractions"));
	Datum	  *fractions;
	bool	  *fnulls;
	int		   nf;
	SmpcEdges  edges;
	__int128  *counts;
	bool	  *suppressed;
	SmpcRows   rows;
	__int128   total = 0;
	int		   nb;

	deconstruct_array(fa, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &fractions, &fnulls, &nf);
	for (int i = 0; i < nf; i++)
		if (fnulls[i] || !(DatumGetFloat8(fractions[i]) >= 0 && DatumGetFloat8(fractions[i]) <= 1))
			ereport(ERROR, errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					errmsg("percentile fractions must be between 0 and 1"));
	if (!smpc_hist_run(fcinfo, &edges, &counts, &suppressed))
		PG_RETURN_NULL();
	nb = edges.n + 1;
	for (int b = 0; b < nb; b++)
		total += Max(counts[b], 0);
	smpc_rows_begin(&rows, fcinfo, nf);
	for (int i = 0; i < nf; i++)
	{
		double p = DatumGetFloat8(fractions[i]);
		Datum  values[4];
		bool   nulls[4] = {false, true, true, true};

		values[0] = fractions[i];
		if (suppressed == NULL && total > 0)
		{
			__int128 rank = Max((__int128) ceil(p * (double) total), 1);
			__int128 before = 0;
			int		 b = 0;

			while (b < nb - 1 && before + Max(counts[b], 0) < rank)
			{
				before += Max(counts[b], 0);
				b++;
			}
			nulls[2] = b == 0;
			nulls[3] = b == edges.n;
			if (!nulls[2])
				values[2] = edges.numeric[b - 1];
			if (!nulls[3])
				values[3] = edges.numeric[b];
			nulls[1] = false;
			if (nulls[2] || nulls[3])
				values[1] = nulls[2] ? values[3] : values[2]; /* the nearest known bound */
			else
			{
				/* lower + width * (rank - before - 1/2) / count */
				double frac = ((double) (rank - before) - 0.5) / (double) Max(counts[b], 1);
				Datum  width = DirectFunctionCall2(numeric_sub, values[3], values[2]);

				values[1] = DirectFunctionCall2(
					numeric_add, values[2],
					DirectFunctionCall2(numeric_mul, width,
										DirectFunctionCall1(float8_numeric, Float8GetDatum(frac))));
			}
		}
		smpc_rows_add(&rows, values, nulls);
	}
	PG_RETURN_DATUM(smpc_rows_end(&rows));
}

/*
 * smpc_join_histogram(value_type, edges, job_id): takes part in a histogram
 * job without an input (the delegated model's compute parties, output-only
 * parties); the buckets where this party learns the result, else NULL.
 */
Datum
smpc_join_histogram(PG_FUNCTION_ARGS)
{
	SmpcValueClass	   value_class;
	SmpcFederationRow *fed;
	SmpcJobSpec		   req;
	SmpcEdges		   edges;
	__int128		  *counts;
	bool			  *suppressed;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR, errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("value type, edges and job id of smpc_join_histogram must not be NULL"));
	value_class = smpc_value_class_of(PG_GETARG_OID(0));
	if (value_class == SMPC_VALUE_NONE)
		ereport(ERROR, errcode(ERRCODE_DATATYPE_MISMATCH),
				errmsg("smpc_histogram does not take values of type %s",
					   format_type_be(PG_GETARG_OID(0))),
				errhint("Use smallint, integer, bigint, numeric or double precision."));
	smpc_edges_from_array(PG_GETARG_ARRAYTYPE_P(1), &edges);
	memset(&req, 0, sizeof req);
	req.job_id = text_to_cstring(PG_GETARG_TEXT_PP(2));
	req.aggregate = SMPC_AGG_HISTOGRAM;
	req.value_class = value_class;
	req.inputs_present = false;
	req.count_index = -1;
	fed = smpc_load_federation(smpc_default_federation_name(), false);
	if (!smpc_hist_exchange(fed, &req, &edges, NULL, &counts, &suppressed))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(smpc_bucket_rows(fcinfo, &edges, counts, suppressed));
}
