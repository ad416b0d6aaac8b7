/*
 * smpc_sum_by, smpc_avg_by, smpc_count_by: results per group over a public
 * key domain, in one job whatever the number of groups.
 *
 * The domain (the keys a result has rows for) is declared for the job: an
 * array argument, constant for the query (a literal, a parameter, or a
 * scalar subquery over a table). Keys are put in byte order without
 * duplicates; the job's descriptor names their number and a SHA-256
 * fingerprint of that list, so parties with different domains never
 * compute together (the job is refused as a mismatch). Cell c of the job's
 * vector holds key c's partial aggregate: (sum, count) for averages, and for
 * sums when the release policy sets min_rows; the count alone for counts;
 * the sum alone otherwise.
 *
 * Under min_rows the protocol opens every cell's count first and suppresses
 * the cells below it: their values are never opened (aggregation_job.hpp).
 *
 * A row whose key is NULL or not in the domain fails the query before
 * anything is sent, or is left out with smpc.outside_domain = drop.
 *
 * The local phase runs in parallel workers like any aggregate's: each
 * worker reads and indexes the domain itself (it is part of the plan) and
 * aggregates its rows into arrays as long as the domain; it hands the
 * leader only those arrays (partial_state.cpp), which the leader adds cell
 * by cell. The leader's final function reads the domain again from the
 * plan and checks that it is the one the workers counted over.
 */
#include "pg/aggregates/aggregates.h"

extern "C" {
#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

PGDLLEXPORT Datum smpc_group_accum_int2(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_group_accum_int4(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_group_accum_int8(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_group_accum_numeric(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_group_accum_float8(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_group_count_accum(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_group_combine(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_group_serialize(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_group_deserialize(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_sum_by_final(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_avg_by_final(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_count_by_final(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_join_by(PG_FUNCTION_ARGS);

PG_FUNCTION_INFO_V1(smpc_group_accum_int2);
PG_FUNCTION_INFO_V1(smpc_group_accum_int4);
PG_FUNCTION_INFO_V1(smpc_group_accum_int8);
PG_FUNCTION_INFO_V1(smpc_group_accum_numeric);
PG_FUNCTION_INFO_V1(smpc_group_accum_float8);
PG_FUNCTION_INFO_V1(smpc_group_count_accum);
PG_FUNCTION_INFO_V1(smpc_group_combine);
PG_FUNCTION_INFO_V1(smpc_group_serialize);
PG_FUNCTION_INFO_V1(smpc_group_deserialize);
PG_FUNCTION_INFO_V1(smpc_sum_by_final);
PG_FUNCTION_INFO_V1(smpc_avg_by_final);
PG_FUNCTION_INFO_V1(smpc_count_by_final);
PG_FUNCTION_INFO_V1(smpc_join_by);
}

typedef struct SmpcGroupState
{
	SmpcAggState   base;		/* bounds, values outside them, rows aggregated */
	SmpcValueClass value_class; /* of the values; SMPC_VALUE_ANY: counts */
	/*
	 * Its keys and index only where rows were aggregated; a state combined
	 * from parallel workers' has only the number of keys and fingerprint.
	 */
	SmpcDomain domain;
	int128	  *sums;   /* per key, at scales[k] (integer: 0); NULL for counts */
	int32	  *scales; /* numeric and double precision (rounded per row, aggregates.h) only */
	int64	  *counts;
	int64	   dropped; /* rows whose key is outside the domain */
	/* Integer sums and counts: rows not yet added (row_batch.cpp). */
	SmpcRowBatch batch;
	/*
	 * States that aggregate rows: in smpc_group_states while their memory
	 * lives, with the Agg node that calls them (fcinfo->context).
	 */
	void				  *node;
	struct SmpcGroupState *prev;
	struct SmpcGroupState *next;
	MemoryContextCallback  unlist;
} SmpcGroupState;

/*
 * The states of this backend's running queries that may hold batched rows.
 * Why: PostgreSQL calls the final functions of an Agg node one after
 * another once every row is in, and a final function runs its job at once.
 * A key outside the domain in the last, partial batch of a later aggregate
 * would fail the query only after the jobs of the aggregates before it
 * had run: every job first flushes the batches of its own Agg node
 * (smpc_group_flush_node). Only of its own node: another query's state (a
 * cursor's, one that failed under a savepoint and waits to be closed) is
 * judged by its own query. A state leaves the list when its aggregate
 * context is reset or deleted, an error's cleanup included.
 */
static SmpcGroupState *smpc_group_states_head; /* the oldest */
static SmpcGroupState *smpc_group_states_tail;

static void
smpc_group_list(SmpcGroupState *s)
{
	s->prev = smpc_group_states_tail;
	s->next = NULL;
	if (s->prev != NULL)
		s->prev->next = s;
	else
		smpc_group_states_head = s;
	smpc_group_states_tail = s;
}

static void
smpc_group_unlist(void *arg)
{
	SmpcGroupState *s = (SmpcGroupState *) arg;

	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		smpc_group_states_head = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	else
		smpc_group_states_tail = s->prev;
}

/* Reads, sorts and checks the domain argument (the one before the job id). */
static void
smpc_domain_load(FunctionCallInfo fcinfo, SmpcDomain *out)
{
	smpc_domain_from_array(DatumGetArrayTypeP(smpc_plan_arg(fcinfo, -2, "key domain")), out);
}

/*
 * The state, on the first row: the domain and per-key arrays in the
 * aggregate context, and the bounds of the value column (argument 1).
 */
static SmpcGroupState *
smpc_group_state(FunctionCallInfo fcinfo, SmpcValueClass value_class)
{
	bool			with_bounds = value_class != SMPC_VALUE_ANY;
	bool			integer_class = value_class == SMPC_VALUE_INTEGER;
	MemoryContext	aggcxt;
	MemoryContext	old;
	SmpcGroupState *s;
	int				n;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "smpc aggregate function called in non-aggregate context");
	if (!PG_ARGISNULL(0))
		return (SmpcGroupState *) PG_GETARG_POINTER(0);
	old = MemoryContextSwitchTo(aggcxt);
	s = (SmpcGroupState *) palloc0(sizeof(SmpcGroupState));
	s->value_class = value_class;
	s->node = fcinfo->context;
	s->unlist.func = smpc_group_unlist;
	s->unlist.arg = s;
	MemoryContextRegisterResetCallback(aggcxt, &s->unlist);
	smpc_group_list(s);
	smpc_domain_load(fcinfo, &s->domain);
	smpc_domain_index(&s->domain); /* only rows need it: not the final function or smpc_join_by */
	n = s->domain.n;
	/* Only the arrays the value type uses: a million keys, 36 MB for all. */
	if (with_bounds)
		s->sums = (int128 *) palloc0(sizeof(int128) * n);
	if (with_bounds && !integer_class)
		s->scales = (int32 *) palloc0(sizeof(int32) * n);
	s->counts = (int64 *) palloc0(sizeof(int64) * n);
	MemoryContextSwitchTo(old);
	if (with_bounds)
	{
		SmpcFederationRow *fed = smpc_load_federation(smpc_default_federation_name(), false);

		smpc_bounds_load_arg(fcinfo, fed, integer_class, 1, &s->base.bounds);
		s->base.nscale = fed->scale;
		s->base.fixed_factor = pow(10.0, fed->scale);
	}
	return s;
}

/* The cell of this row's key (argument 1), or -1 when the row is left out. */
static int
smpc_group_cell(FunctionCallInfo fcinfo, SmpcGroupState *s)
{
	return smpc_domain_cell(&s->domain, PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1), &s->dropped);
}

/* Adds integer value v (ignored by counts) of a row to cell c (-1: left out). */
static inline void
smpc_group_add_to(SmpcGroupState *s, int c, int64 v)
{
	if (c < 0)
		return;
	if (s->sums != NULL)
		s->sums[c] += smpc_clip_int(&s->base, v);
	s->counts[c]++;
	s->base.count++;
}

/*
 * Adds the batched rows of an integer sum or count to their cells. Every
 * reader of the per-key arrays calls it first.
 */
static void
smpc_group_flush(SmpcGroupState *s)
{
	SmpcRowBatch *b = &s->batch;

	if (b->n == 0)
		return;
	smpc_row_batch_lookup(b, &s->domain, &s->dropped);
	for (int i = 0; i < b->n; i++)
	{
		if (b->cell[i] < 0)
			continue;
		if (s->sums != NULL)
			__builtin_prefetch(&s->sums[b->cell[i]], 1);
		__builtin_prefetch(&s->counts[b->cell[i]], 1);
	}
	for (int i = 0; i < b->n; i++)
		smpc_group_add_to(s, b->cell[i], b->value[i]);
	b->n = 0;
}

void
smpc_group_flush_node(FunctionCallInfo fcinfo)
{
	for (SmpcGroupState *s = smpc_group_states_head; s != NULL; s = s->next)
		if (s->node == fcinfo->context)
			smpc_group_flush(s);
}

/* Transition of integer sums and counts: a row with value v (counts: 0). */
static Datum
smpc_group_add_row(FunctionCallInfo fcinfo, SmpcGroupState *s, int64 v)
{
	text *key = PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1);

	/* The batch's rows are judged under the smpc.outside_domain they came with. */
	if (s->batch.n > 0 && s->batch.outside != smpc_outside_domain)
		smpc_group_flush(s);
	if (smpc_row_batch_add(&s->batch, &s->domain, key, v))
	{
		if (s->batch.n == SMPC_ROW_BATCH)
			smpc_group_flush(s);
		PG_RETURN_POINTER(s);
	}
	/* A key too long to batch: the rows before it first, then it alone. */
	smpc_group_flush(s);
	smpc_group_add_to(s, smpc_domain_cell(&s->domain, key, &s->dropped), v);
	PG_RETURN_POINTER(s);
}

/* Shared transition of the integer types: v is the value (argument 2). */
static Datum
smpc_group_add_int(FunctionCallInfo fcinfo, int64 v)
{
	return smpc_group_add_row(fcinfo, smpc_group_state(fcinfo, SMPC_VALUE_INTEGER), v);
}

Datum
smpc_group_accum_int2(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(2))
		PG_RETURN_POINTER(smpc_group_state(fcinfo, SMPC_VALUE_INTEGER));
	return smpc_group_add_int(fcinfo, PG_GETARG_INT16(2));
}

Datum
smpc_group_accum_int4(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(2))
		PG_RETURN_POINTER(smpc_group_state(fcinfo, SMPC_VALUE_INTEGER));
	return smpc_group_add_int(fcinfo, PG_GETARG_INT32(2));
}

Datum
smpc_group_accum_int8(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(2))
		PG_RETURN_POINTER(smpc_group_state(fcinfo, SMPC_VALUE_INTEGER));
	return smpc_group_add_int(fcinfo, PG_GETARG_INT64(2));
}

Datum
smpc_group_accum_numeric(PG_FUNCTION_ARGS)
{
	SmpcGroupState *s = smpc_group_state(fcinfo, SMPC_VALUE_NUMERIC);
	int				c;
	__int128		v;
	int				vscale;

	/*
	 * After an input error the rows are skipped: the final function aborts
	 * the job. (In parallel workers only the failing worker's rows are: the
	 * query may then fail on another worker's error, e.g. a key outside the
	 * domain, instead; it fails either way.)
	 */
	if (PG_ARGISNULL(2) || s->base.input_error != SMPC_INPUT_OK ||
		(c = smpc_group_cell(fcinfo, s)) < 0)
		PG_RETURN_POINTER(s);
	if (!smpc_clip_numeric(&s->base, PG_GETARG_NUMERIC(2), &v, &vscale))
		PG_RETURN_POINTER(s);
	if (!smpc_try_add_scaled_to(&s->sums[c], &s->scales[c], v, vscale))
	{
		(void) smpc_input_failed(&s->base, SMPC_INPUT_NUMERIC_OVERFLOW);
		PG_RETURN_POINTER(s);
	}
	s->counts[c]++;
	s->base.count++;
	PG_RETURN_POINTER(s);
}

Datum
smpc_group_accum_float8(PG_FUNCTION_ARGS)
{
	SmpcGroupState *s = smpc_group_state(fcinfo, SMPC_VALUE_FLOAT8);
	int				c;
	double			x;
	__int128		v;

	if (PG_ARGISNULL(2) || s->base.input_error != SMPC_INPUT_OK ||
		(c = smpc_group_cell(fcinfo, s)) < 0)
		PG_RETURN_POINTER(s);
	x = PG_GETARG_FLOAT8(2);
	if (!smpc_float8_fixed(&s->base, x, 1.0e37, &v))
		(void) smpc_input_failed(&s->base, smpc_float8_error(x, SMPC_INPUT_FLOAT8_RANGE));
	else if (__builtin_add_overflow(s->sums[c], v, &s->sums[c]))
		(void) smpc_input_failed(&s->base, SMPC_INPUT_FLOAT8_RANGE);
	if (s->base.input_error != SMPC_INPUT_OK)
		PG_RETURN_POINTER(s);
	s->scales[c] = s->base.nscale;
	s->counts[c]++;
	s->base.count++;
	PG_RETURN_POINTER(s);
}

/* smpc_count_by: rows per key. */
Datum
smpc_group_count_accum(PG_FUNCTION_ARGS)
{
	return smpc_group_add_row(fcinfo, smpc_group_state(fcinfo, SMPC_VALUE_ANY), 0);
}

/*
 * Parallel aggregation. The serialized state: the common state, the value
 * class, the domain's size and fingerprint, the rows left out, then the
 * arrays the value class uses (sums, scales, counts), n cells each.
 */
Datum
smpc_group_serialize(PG_FUNCTION_ARGS)
{
	SmpcGroupState *s = (SmpcGroupState *) PG_GETARG_POINTER(0);
	int32			vc = (int32) s->value_class;
	int32			n = s->domain.n;
	Size			size;
	SmpcPacked		w;
	bytea		   *out;

	smpc_group_flush(s);
	size = sizeof s->base + sizeof vc + sizeof n + sizeof s->domain.fingerprint +
		   sizeof s->dropped +
		   (Size) n *
			   (sizeof(int64) + (s->sums ? sizeof(int128) : 0) + (s->scales ? sizeof(int32) : 0));
	out = smpc_packed_new(size, &w);
	smpc_packed_put(&w, &s->base, sizeof s->base);
	smpc_packed_put(&w, &vc, sizeof vc);
	smpc_packed_put(&w, &n, sizeof n);
	smpc_packed_put(&w, s->domain.fingerprint, sizeof s->domain.fingerprint);
	smpc_packed_put(&w, &s->dropped, sizeof s->dropped);
	if (s->sums)
		smpc_packed_put(&w, s->sums, sizeof(int128) * n);
	if (s->scales)
		smpc_packed_put(&w, s->scales, sizeof(int32) * n);
	smpc_packed_put(&w, s->counts, sizeof(int64) * n);
	PG_RETURN_BYTEA_P(out);
}

Datum
smpc_group_deserialize(PG_FUNCTION_ARGS)
{
	SmpcGroupState *s = (SmpcGroupState *) palloc0(sizeof(SmpcGroupState));
	SmpcPacked		r;
	int32			vc;
	int32			n;

	smpc_packed_open(PG_GETARG_BYTEA_PP(0), &r);
	smpc_packed_get(&r, &s->base, sizeof s->base);
	smpc_packed_get(&r, &vc, sizeof vc);
	smpc_packed_get(&r, &n, sizeof n);
	smpc_packed_get(&r, s->domain.fingerprint, sizeof s->domain.fingerprint);
	smpc_packed_get(&r, &s->dropped, sizeof s->dropped);
	if (vc < SMPC_VALUE_INTEGER || vc > SMPC_VALUE_ANY || n < 1 || n > SMPC_MAX_GROUPS ||
		s->domain.fingerprint[sizeof s->domain.fingerprint - 1] != '\0')
		elog(ERROR, "invalid smpc grouped aggregate state");
	s->value_class = (SmpcValueClass) vc;
	s->domain.n = n;
	if (s->value_class != SMPC_VALUE_ANY)
		s->sums = (int128 *) smpc_packed_get_array(&r, sizeof(int128), n);
	if (s->value_class == SMPC_VALUE_NUMERIC || s->value_class == SMPC_VALUE_FLOAT8)
		s->scales = (int32 *) smpc_packed_get_array(&r, sizeof(int32), n);
	s->counts = (int64 *) smpc_packed_get_array(&r, sizeof(int64), n);
	smpc_packed_close(&r);
	PG_RETURN_POINTER(s);
}

/* A copy of a worker's state in the leader's aggregate context (no keys). */
static SmpcGroupState *
smpc_group_copy(const SmpcGroupState *b, MemoryContext cxt)
{
	int				n = b->domain.n;
	SmpcGroupState *a = (SmpcGroupState *) smpc_copy_in(cxt, b, sizeof(SmpcGroupState));

	a->domain.keys = NULL;
	a->domain.slots = NULL;
	/* Not listed: it holds no batched rows (b was flushed). */
	a->node = NULL;
	a->prev = a->next = NULL;
	memset(&a->unlist, 0, sizeof a->unlist);
	a->sums = (int128 *) smpc_copy_in(cxt, b->sums, sizeof(int128) * n);
	a->scales = (int32 *) smpc_copy_in(cxt, b->scales, sizeof(int32) * n);
	a->counts = (int64 *) smpc_copy_in(cxt, b->counts, sizeof(int64) * n);
	return a;
}

/* Adds worker state b to a, cell by cell. */
Datum
smpc_group_combine(PG_FUNCTION_ARGS)
{
	MemoryContext	aggcxt;
	SmpcGroupState *a;
	SmpcGroupState *b;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "smpc aggregate function called in non-aggregate context");
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(PG_ARGISNULL(0) ? NULL : PG_GETARG_POINTER(0));
	b = (SmpcGroupState *) PG_GETARG_POINTER(1);
	smpc_group_flush(b);
	if (PG_ARGISNULL(0))
		PG_RETURN_POINTER(smpc_group_copy(b, aggcxt));
	a = (SmpcGroupState *) PG_GETARG_POINTER(0);
	smpc_group_flush(a);
	if (a->value_class != b->value_class || a->domain.n != b->domain.n ||
		strcmp(a->domain.fingerprint, b->domain.fingerprint) != 0)
		elog(ERROR, "smpc grouped aggregate states of different key domains");
	a->dropped += b->dropped;
	/* (A failed input's sums are never used: the final function raises its error.) */
	if (!smpc_state_merge(&a->base, &b->base))
		PG_RETURN_POINTER(a);
	for (int c = 0; c < a->domain.n; c++)
	{
		a->counts[c] += b->counts[c];
		if (a->sums == NULL)
			continue;
		if (a->scales == NULL)
			a->sums[c] += b->sums[c]; /* integers: below 2^63 rows of 64 bits each */
		else if (!smpc_try_add_scaled_to(&a->sums[c], &a->scales[c], b->sums[c], b->scales[c]))
		{
			(void) smpc_input_failed(&a->base, a->value_class == SMPC_VALUE_FLOAT8
												   ? SMPC_INPUT_FLOAT8_RANGE
												   : SMPC_INPUT_NUMERIC_OVERFLOW);
			break;
		}
	}
	PG_RETURN_POINTER(a);
}

/* Which grouped aggregate a final function computes. */
typedef enum SmpcGroupKind
{
	SMPC_GROUP_SUM,
	SMPC_GROUP_AVG,
	SMPC_GROUP_COUNT
} SmpcGroupKind;

/* The aggregate a grouped job computes per key. */
static SmpcAggregate
smpc_group_aggregate(SmpcGroupKind kind)
{
	return kind == SMPC_GROUP_SUM	? SMPC_AGG_SUM
		   : kind == SMPC_GROUP_AVG ? SMPC_AGG_AVG
									: SMPC_AGG_COUNT;
}

static Datum smpc_group_run(FunctionCallInfo fcinfo, SmpcGroupKind kind,
							const SmpcFederationRow *fed, const SmpcDomain *domain_in,
							const SmpcGroupState *s, SmpcJobSpec *reqp);

/*
 * Runs the grouped job and builds its result: an array of smpc.group_value
 * (key, value, suppressed), one per key of the domain, in byte order.
 */
static Datum
smpc_group_final(FunctionCallInfo fcinfo, SmpcGroupKind kind)
{
	SmpcGroupState	  *s = PG_ARGISNULL(0) ? NULL : (SmpcGroupState *) PG_GETARG_POINTER(0);
	SmpcDomain		   domain;
	SmpcValueClass	   value_class = kind == SMPC_GROUP_COUNT
										 ? SMPC_VALUE_ANY
										 : smpc_value_class_of(get_fn_expr_argtype(fcinfo->flinfo, 2));
	SmpcJobSpec		   req;
	SmpcBounds		   bounds;
	SmpcFederationRow *fed;

	if (value_class == SMPC_VALUE_NONE)
		elog(ERROR, "smpc grouped aggregate called with an unexpected type");
	/* (smpc_agg_request adds the batched rows of s, and of the node's other states.) */
	fed =
		smpc_agg_request(fcinfo, s ? &s->base : NULL, smpc_group_aggregate(kind), value_class,
						 kind != SMPC_GROUP_COUNT, kind == SMPC_GROUP_COUNT ? 0 : 1, &req, &bounds);
	if (s != NULL && s->domain.keys != NULL)
		domain = s->domain;
	else
		smpc_domain_load(fcinfo, &domain);
	/* Combined from parallel workers: they counted over the same domain. */
	if (s != NULL &&
		(s->domain.n != domain.n || strcmp(s->domain.fingerprint, domain.fingerprint) != 0))
		elog(ERROR, "the key domain of an smpc grouped aggregate changed while the query ran");
	if (s != NULL && s->dropped > 0)
		ereport(NOTICE, errmsg("%lld rows with a key outside the job's domain were left out",
							   (long long) s->dropped));
	return smpc_group_run(fcinfo, kind, fed, &domain, s, &req);
}

/*
 * Runs a grouped job whose request has its common parts filled (at an input
 * party s holds the local partial aggregates; NULL: none) and builds its
 * result.
 */
static Datum
smpc_group_run(FunctionCallInfo fcinfo, SmpcGroupKind kind, const SmpcFederationRow *fed,
			   const SmpcDomain *domain_in, const SmpcGroupState *s, SmpcJobSpec *reqp)
{
	SmpcDomain	   domain = *domain_in;
	SmpcJobSpec	   req = *reqp;
	SmpcValueClass value_class = req.value_class;
	SmpcJobResult  res;
	bool		   gated;
	int			   width;
	int			   sum_at;
	int			   count_at;
	__int128	  *out;

	/* Cell layout: (sum, count), the sum alone, or the count alone. */
	gated = fed->min_rows > 0;
	sum_at = kind == SMPC_GROUP_COUNT ? -1 : 0;
	count_at = kind == SMPC_GROUP_COUNT ? 0 : (kind == SMPC_GROUP_AVG || gated ? 1 : -1);
	width = (sum_at >= 0) + (count_at >= 0);
	if (gated)
	{
		req.cells = domain.n;
		req.cell_width = width;
		req.cell_count = count_at;
	}
	req.width = width * domain.n;
	req.kinds = kind == SMPC_GROUP_COUNT ? "c" : width == 2 ? "sc" : "s";
	req.shape = psprintf(" by %d keys %.32s", domain.n, domain.fingerprint);
	req.inputs = smpc_alloc_values(req.width);
	for (int c = 0; s != NULL && c < domain.n; c++)
	{
		if (sum_at >= 0)
			req.inputs[c * width + sum_at] =
				smpc_fixed_point(s->sums[c], s->scales ? s->scales[c] : 0, value_class, req.scale);
		if (count_at >= 0)
			req.inputs[c * width + count_at] = s->counts[c];
	}
	out = smpc_alloc_values(req.width);
	smpc_run_job(fed, &req, out, &res);
	if (!res.has_result)
		PG_RETURN_NULL(); /* this party learns no result */

	return smpc_group_value_rows(fcinfo, &domain, out, res.suppressed, width,
								 kind == SMPC_GROUP_COUNT ? 0 : req.scale,
								 kind == SMPC_GROUP_AVG ? count_at : -1);
}

Datum
smpc_sum_by_final(PG_FUNCTION_ARGS)
{
	return smpc_group_final(fcinfo, SMPC_GROUP_SUM);
}

Datum
smpc_avg_by_final(PG_FUNCTION_ARGS)
{
	return smpc_group_final(fcinfo, SMPC_GROUP_AVG);
}

Datum
smpc_count_by_final(PG_FUNCTION_ARGS)
{
	return smpc_group_final(fcinfo, SMPC_GROUP_COUNT);
}

/*
 * smpc_join_by(aggregate, value_type, domain, job_id, column_name): takes
 * part in a grouped job without an input (the delegated model's compute
 * parties, output-only parties), as smpc_join does for single aggregates.
 */
Datum
smpc_join_by(PG_FUNCTION_ARGS)
{
	char			  *aggregate;
	SmpcGroupKind	   kind;
	SmpcValueClass	   value_class;
	SmpcFederationRow *fed;
	SmpcJobSpec		   req;
	SmpcBounds		   bounds;
	SmpcDomain		   domain;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		ereport(
			ERROR, errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			errmsg("aggregate, value type, domain and job id of smpc_join_by must not be NULL"));
	aggregate = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (strcmp(aggregate, "sum_by") == 0)
		kind = SMPC_GROUP_SUM;
	else if (strcmp(aggregate, "avg_by") == 0)
		kind = SMPC_GROUP_AVG;
	else if (strcmp(aggregate, "count_by") == 0)
		kind = SMPC_GROUP_COUNT;
	else
		ereport(ERROR, errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("smpc_join_by takes part in sum_by, avg_by or count_by jobs, not \"%s\"",
					   aggregate));
	value_class = kind == SMPC_GROUP_COUNT ? SMPC_VALUE_ANY : smpc_value_class_of(PG_GETARG_OID(1));
	if (value_class == SMPC_VALUE_NONE)
		ereport(ERROR, errcode(ERRCODE_DATATYPE_MISMATCH),
				errmsg("smpc_%s does not take values of type %s", aggregate,
					   format_type_be(PG_GETARG_OID(1))),
				errhint("Use smallint, integer, bigint, numeric or double precision."));
	smpc_domain_from_array(PG_GETARG_ARRAYTYPE_P(2), &domain);

	memset(&req, 0, sizeof req);
	memset(&bounds, 0, sizeof bounds);
	req.job_id = text_to_cstring(PG_GETARG_TEXT_PP(3));
	req.aggregate = smpc_group_aggregate(kind);
	req.value_class = value_class;
	req.inputs_present = false;
	req.count_index = -1;
	req.column = PG_ARGISNULL(4) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(4));
	fed = smpc_load_federation(smpc_default_federation_name(), false);
	req.scale = kind == SMPC_GROUP_COUNT || value_class == SMPC_VALUE_INTEGER ? 0 : fed->scale;
	if (kind != SMPC_GROUP_COUNT)
	{
		smpc_bounds_for_column(fed, req.column, value_class == SMPC_VALUE_INTEGER, &bounds);
		req.bounds = &bounds;
	}
	return smpc_group_run(fcinfo, kind, fed, &domain, NULL, &req);
}
