/*
 * Private set operations on a join key: smpc_intersect_count (keys every
 * party holds), smpc_overlap_count (keys at least k parties hold) and
 * smpc_union_count (distinct keys over all parties), smpc_overlap_matrix
 * (the keys each pair of parties shares), their grouped forms
 * over a public domain (smpc_intersect_count_by, ...: a count per group of
 * the keys the parties put in that group). How keys are normalised for
 * record linkage is key_normalize.cpp.
 *
 * The local phase keeps a 32-byte digest of each key (smpc_key_digest: the
 * key's class and canonical bytes), so a key of any length costs 32 bytes
 * and keys of different types never match. The final function drops
 * repeated keys and runs a set job (protocol/set_job.hpp through the
 * bridge): the sets are blinded round the ring of parties and the count is
 * released like any job's value, under the release policy, noise and
 * audit. NULL keys are left out and counted; both counts go into the audit
 * record.
 */
#include "pg/aggregates/aggregates.h"

extern "C" {
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "nodes/nodeFuncs.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/uuid.h"

PGDLLEXPORT Datum smpc_set_accum(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_set_by_accum(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_set_sum_accum(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_intersect_sum_final(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_intersect_avg_final(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_intersect_count_final(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_overlap_count_final(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_union_count_final(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_intersect_count_by_final(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_overlap_count_by_final(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_union_count_by_final(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_overlap_matrix_final(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_set_sum_by_accum(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_intersect_sum_by_final(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_intersect_avg_by_final(PG_FUNCTION_ARGS);

PG_FUNCTION_INFO_V1(smpc_set_accum);
PG_FUNCTION_INFO_V1(smpc_set_by_accum);
PG_FUNCTION_INFO_V1(smpc_set_sum_accum);
PG_FUNCTION_INFO_V1(smpc_intersect_sum_final);
PG_FUNCTION_INFO_V1(smpc_intersect_avg_final);
PG_FUNCTION_INFO_V1(smpc_intersect_count_final);
PG_FUNCTION_INFO_V1(smpc_overlap_count_final);
PG_FUNCTION_INFO_V1(smpc_union_count_final);
PG_FUNCTION_INFO_V1(smpc_intersect_count_by_final);
PG_FUNCTION_INFO_V1(smpc_overlap_count_by_final);
PG_FUNCTION_INFO_V1(smpc_union_count_by_final);
PG_FUNCTION_INFO_V1(smpc_overlap_matrix_final);
PG_FUNCTION_INFO_V1(smpc_set_sum_by_accum);
PG_FUNCTION_INFO_V1(smpc_intersect_sum_by_final);
PG_FUNCTION_INFO_V1(smpc_intersect_avg_by_final);
}

#define SMPC_KEY_DIGEST_BYTES 32
/*
 * A key as the state keeps it: its group (big-endian, so records sort by
 * group), its digest (records match on these), and the sum of its values
 * (intersection sums; else 0).
 */
#define SMPC_SET_MATCH_BYTES  (4 + SMPC_KEY_DIGEST_BYTES)
#define SMPC_SET_RECORD_BYTES (SMPC_SET_MATCH_BYTES + 8)
/* A value summed over an overlap: 0 .. 2^48 - 1 (crypto/elgamal.hpp), also a key's total. */
#define SMPC_SET_MAX_VALUE ((UINT64CONST(1) << 48) - 1)
/* One blinded set per message: 2^20 keys (protocol/message.hpp, kMaxSetElements). */
#define SMPC_SET_MAX_KEYS (1 << 20)
/* Keys with values of an intersection sum (protocol/message.hpp, kMaxSealedElements). */
#define SMPC_SET_MAX_VALUED_KEYS (1 << 17)
/* Groups of a grouped set job (protocol/message.hpp, kMaxSetSegments). */
#define SMPC_SET_MAX_GROUPS (1 << 16)

typedef struct SmpcSetState
{
	uint8		  *records; /* n records of SMPC_SET_RECORD_BYTES, in the aggregate's context */
	int64		   n;
	int64		   cap;
	int64		   sorted;	/* records[0, sorted) are sorted and distinct (after a compaction) */
	bool		   valued;	/* intersection sums: this party gave a value (not NULL) */
	int64		   repeats; /* rows whose key repeated one already taken */
	int64		   nulls;	/* rows with a NULL key */
	int64		   dropped; /* grouped: rows whose group is outside the domain (dropped) */
	SmpcValueClass key_class;
	Oid			   key_type; /* of argument 1 (integer keys: the width to read) */
	SmpcDomain	   domain;	 /* grouped: the group domain, indexed */
	uint8		  *digests;	 /* the digests as the job takes them (smpc_set_digests) */
	int64		   ndigests;
	uint64		  *values; /* intersection sums: the value of each digest, or NULL */
	/*
	 * Zeroes the records and digests when the aggregate's memory goes,
	 * whatever ended the query: they are unsalted hashes of keys such as
	 * e-mail addresses, which a dictionary reverses.
	 */
	MemoryContextCallback wipe;
} SmpcSetState;

static void
smpc_set_wipe(void *arg)
{
	SmpcSetState *s = (SmpcSetState *) arg;

	if (s->records != NULL)
		explicit_bzero(s->records, (size_t) s->cap * SMPC_SET_RECORD_BYTES);
	if (s->digests != NULL)
		explicit_bzero(s->digests, (size_t) s->ndigests * SMPC_KEY_DIGEST_BYTES);
	if (s->values != NULL)
		explicit_bzero(s->values, (size_t) s->ndigests * sizeof(uint64));
}

/* The class of a key type: text, bytea, integer (any width) or uuid. */
static SmpcValueClass
smpc_key_class_of(Oid type)
{
	switch (type)
	{
		case TEXTOID:
		case VARCHAROID:
			return SMPC_VALUE_TEXT;
		case BYTEAOID:
			return SMPC_VALUE_BYTEA;
		case INT2OID:
		case INT4OID:
		case INT8OID:
			return SMPC_VALUE_INTEGER;
		case UUIDOID:
			return SMPC_VALUE_UUID;
		default:
			elog(ERROR, "smpc set aggregate called with unexpected key type %u", type);
	}
	return SMPC_VALUE_NONE;
}

/* The digest of one key: its class and canonical bytes (UTF-8, big-endian). */
static void
smpc_key_digest_of(SmpcValueClass key_class, Oid type, Datum key, uint8 *out)
{
	const char *data;
	size_t		len;
	uint8		be[8];

	switch (key_class)
	{
		case SMPC_VALUE_TEXT:
		{
			text *t = DatumGetTextPP(key);

			/* Every party hashes UTF-8, whatever its database encoding. */
			len = VARSIZE_ANY_EXHDR(t);
			data = pg_server_to_any(VARDATA_ANY(t), (int) len, PG_UTF8);
			if (data != VARDATA_ANY(t))
				len = strlen(data);
			break;
		}
		case SMPC_VALUE_BYTEA:
		{
			bytea *b = DatumGetByteaPP(key);

			data = VARDATA_ANY(b);
			len = VARSIZE_ANY_EXHDR(b);
			break;
		}
		case SMPC_VALUE_INTEGER:
		{
			int64 v = type == INT2OID	? DatumGetInt16(key)
					  : type == INT4OID ? DatumGetInt32(key)
										: DatumGetInt64(key);

			for (int i = 0; i < 8; i++)
				be[i] = (uint8) ((uint64) v >> (56 - 8 * i));
			data = (const char *) be;
			len = 8;
			break;
		}
		default:
			data = (const char *) DatumGetUUIDP(key)->data;
			len = UUID_LEN;
			break;
	}
	if (!smpc_key_digest(smpc_value_class_name(key_class), data, len, out))
		ereport(ERROR, errcode(ERRCODE_INTERNAL_ERROR), errmsg("could not hash an smpc key"));
}

/* The group domain (the argument before the job id), within the groups a set job takes. */
static void
smpc_set_domain_load(FunctionCallInfo fcinfo, SmpcDomain *out)
{
	smpc_domain_from_array(DatumGetArrayTypeP(smpc_plan_arg(fcinfo, -2, "group domain")), out);
	if (out->n > SMPC_SET_MAX_GROUPS)
		ereport(ERROR, errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				errmsg("a grouped smpc set job takes at most %d groups, not %d",
					   SMPC_SET_MAX_GROUPS, out->n));
}

/* The state, on the first row (grouped: with the group domain, indexed). */
static SmpcSetState *
smpc_set_state(FunctionCallInfo fcinfo, bool grouped)
{
	MemoryContext aggcxt;
	MemoryContext old;
	SmpcSetState *s;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "smpc set aggregate called in non-aggregate context");
	if (!PG_ARGISNULL(0))
		return (SmpcSetState *) PG_GETARG_POINTER(0);
	s = (SmpcSetState *) MemoryContextAllocZero(aggcxt, sizeof(SmpcSetState));
	s->key_type = get_fn_expr_argtype(fcinfo->flinfo, 1);
	s->key_class = smpc_key_class_of(s->key_type);
	s->wipe.func = smpc_set_wipe;
	s->wipe.arg = s;
	MemoryContextRegisterResetCallback(aggcxt, &s->wipe);
	if (grouped)
	{
		old = MemoryContextSwitchTo(aggcxt);
		smpc_set_domain_load(fcinfo, &s->domain);
		smpc_domain_index(&s->domain);
		MemoryContextSwitchTo(old);
	}
	return s;
}

static int
smpc_record_cmp(const void *a, const void *b)
{
	return memcmp(a, b, SMPC_SET_MATCH_BYTES);
}

/* The value of a record, and adding to it (a key's values add up, within the range). */
static uint64
smpc_record_value(const uint8 *rec)
{
	uint64 v;

	memcpy(&v, rec + SMPC_SET_MATCH_BYTES, sizeof v);
	return v;
}

static void
smpc_record_add_value(uint8 *rec, uint64 add)
{
	uint64 v = smpc_record_value(rec);

	if (add > SMPC_SET_MAX_VALUE - v)
		ereport(ERROR, errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				errmsg("the values of one key add up beyond %llu",
					   (unsigned long long) SMPC_SET_MAX_VALUE),
				errdetail("Intersection sums seal each key's total, from 0 to 2^48 - 1."),
				errhint("Sum in larger units (e.g. whole currency units instead of cents)."));
	v += add;
	memcpy(rec + SMPC_SET_MATCH_BYTES, &v, sizeof v);
}

/*
 * Sorts the records (by group, then digest) and drops repeats within a
 * group. Afterwards all records are the sorted prefix.
 */
static void
smpc_set_compact(SmpcSetState *s)
{
	int64 out = 0;

	if (s->n > 0)
	{
		qsort(s->records, (size_t) s->n, SMPC_SET_RECORD_BYTES, smpc_record_cmp);
		for (int64 i = 1; i < s->n; i++)
			if (memcmp(s->records + i * SMPC_SET_RECORD_BYTES,
					   s->records + out * SMPC_SET_RECORD_BYTES, SMPC_SET_MATCH_BYTES) == 0)
				smpc_record_add_value(s->records + out * SMPC_SET_RECORD_BYTES,
									  smpc_record_value(s->records + i * SMPC_SET_RECORD_BYTES));
			else
			{
				out++;
				if (out != i)
					memcpy(s->records + out * SMPC_SET_RECORD_BYTES,
						   s->records + i * SMPC_SET_RECORD_BYTES, SMPC_SET_RECORD_BYTES);
			}
		out++;
		/* The records dropped hold key digests: zero them. */
		explicit_bzero(s->records + out * SMPC_SET_RECORD_BYTES,
					   (size_t) (s->n - out) * SMPC_SET_RECORD_BYTES);
	}
	s->repeats += s->n - out;
	s->n = out;
	s->sorted = out;
}

/* The record in the sorted prefix that matches rec, or NULL. */
static uint8 *
smpc_set_seen(const SmpcSetState *s, const uint8 *rec)
{
	if (s->sorted == 0)
		return NULL;
	return (uint8 *) bsearch(rec, s->records, (size_t) s->sorted, SMPC_SET_RECORD_BYTES,
							 smpc_record_cmp);
}

/*
 * Adds the key of this row (argument 1) in group `group`.
 *
 * The limit is on distinct keys, not rows: when the records are full they
 * are sorted and their repeats dropped, and from then on a row whose key
 * is in that sorted prefix is counted as a repeat without being kept. So a
 * party with ten million rows of a million customers takes part; one with
 * more distinct keys than a set carries is refused before anything is sent.
 */
static void
smpc_set_add(FunctionCallInfo fcinfo, SmpcSetState *s, uint32 group, uint64 value)
{
	MemoryContext aggcxt = GetMemoryChunkContext(s);
	uint8		  rec[SMPC_SET_RECORD_BYTES];
	uint8		 *seen;

	rec[0] = (uint8) (group >> 24);
	rec[1] = (uint8) (group >> 16);
	rec[2] = (uint8) (group >> 8);
	rec[3] = (uint8) group;
	smpc_key_digest_of(s->key_class, s->key_type, PG_GETARG_DATUM(1), rec + 4);
	memcpy(rec + SMPC_SET_MATCH_BYTES, &value, sizeof value);
	seen = smpc_set_seen(s, rec);
	if (seen == NULL && s->n >= SMPC_SET_MAX_KEYS)
	{
		smpc_set_compact(s);
		seen = smpc_set_seen(s, rec);
	}
	if (seen != NULL)
	{
		s->repeats++;
		smpc_record_add_value(seen, value);
		explicit_bzero(rec, sizeof rec);
		return;
	}
	if (s->n >= SMPC_SET_MAX_KEYS)
	{
		explicit_bzero(rec, sizeof rec);
		ereport(
			ERROR, errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			errmsg("an smpc set job takes at most %d distinct keys per party", SMPC_SET_MAX_KEYS),
			errdetail("This party has more, not counting rows that repeat a key. Each "
					  "party's keys travel as one set of 32 bytes per key (32 MB at most), "
					  "and each party keeps every set that passes through it while it "
					  "re-blinds it. Nothing was sent."),
			errhint("Split the job by a public prefix of the key, one job id per part."));
	}
	if (s->n == s->cap)
	{
		int64 cap = Min(Max(s->cap * 2, 1024), (int64) SMPC_SET_MAX_KEYS);

		uint8 *grown = (uint8 *) MemoryContextAllocHuge(aggcxt, cap * SMPC_SET_RECORD_BYTES);

		/* (Not repalloc: the old block would be freed unwiped.) */
		if (s->records != NULL)
		{
			memcpy(grown, s->records, (size_t) s->n * SMPC_SET_RECORD_BYTES);
			explicit_bzero(s->records, (size_t) s->cap * SMPC_SET_RECORD_BYTES);
			pfree(s->records);
		}
		s->records = grown;
		s->cap = cap;
	}
	memcpy(s->records + s->n * SMPC_SET_RECORD_BYTES, rec, sizeof rec);
	explicit_bzero(rec, sizeof rec);
	s->n++;
}

/* smpc._set_accum(internal, key, [at_least,] job_id): one key. */
Datum
smpc_set_accum(PG_FUNCTION_ARGS)
{
	SmpcSetState *s = smpc_set_state(fcinfo, false);

	if (PG_ARGISNULL(1))
		s->nulls++;
	else
		smpc_set_add(fcinfo, s, 0, 0);
	PG_RETURN_POINTER(s);
}

/*
 * smpc._set_sum_accum(internal, key, value bigint, job_id): one key and its
 * value. A party that gives no values passes NULL for every row; a NULL
 * value of a party that gives some adds nothing (as in SQL's sum), but its
 * key still takes part in the overlap.
 */
/* The value argument argno of a sum's row (NULL: 0, and s->valued unchanged). */
static uint64
smpc_set_value_arg(FunctionCallInfo fcinfo, SmpcSetState *s, int argno)
{
	int64 v = PG_ARGISNULL(argno) ? 0 : PG_GETARG_INT64(argno);

	if (v < 0 || (uint64) v > SMPC_SET_MAX_VALUE)
		ereport(ERROR, errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				errmsg("intersection sums take values from 0 to %llu, not %lld",
					   (unsigned long long) SMPC_SET_MAX_VALUE, (long long) v),
				errdetail("Each value is sealed in 16-bit parts whose sums the party that gave "
						  "them opens by a bounded search."),
				errhint("Shift values by a constant (and subtract it times the overlap's "
						"smpc_intersect_count), or sum in larger units."));
	if (!PG_ARGISNULL(argno))
		s->valued = true;
	return (uint64) v;
}

Datum
smpc_set_sum_accum(PG_FUNCTION_ARGS)
{
	SmpcSetState *s = smpc_set_state(fcinfo, false);
	uint64		  v = smpc_set_value_arg(fcinfo, s, 2);

	if (PG_ARGISNULL(1))
		s->nulls++;
	else
		smpc_set_add(fcinfo, s, 0, v);
	PG_RETURN_POINTER(s);
}

/* Adds this row's key (argument 1) in its group (argument 2) with value. */
static void
smpc_set_add_in_group(FunctionCallInfo fcinfo, SmpcSetState *s, uint64 value)
{
	int g;

	if (PG_ARGISNULL(1))
	{
		s->nulls++;
		return;
	}
	g = smpc_domain_cell(&s->domain, PG_ARGISNULL(2) ? NULL : PG_GETARG_TEXT_PP(2), &s->dropped);
	if (g >= 0)
		smpc_set_add(fcinfo, s, (uint32) g, value);
}

/*
 * smpc._set_sum_by_accum(internal, key, group, value bigint, domain, job_id):
 * one key in its group, and its value (as smpc._set_sum_accum's).
 */
Datum
smpc_set_sum_by_accum(PG_FUNCTION_ARGS)
{
	SmpcSetState *s = smpc_set_state(fcinfo, true);

	smpc_set_add_in_group(fcinfo, s, smpc_set_value_arg(fcinfo, s, 3));
	PG_RETURN_POINTER(s);
}

/* smpc._set_by_accum(internal, key, group, [at_least,] domain, job_id): one key in its group. */
Datum
smpc_set_by_accum(PG_FUNCTION_ARGS)
{
	SmpcSetState *s = smpc_set_state(fcinfo, true);

	smpc_set_add_in_group(fcinfo, s, 0);
	PG_RETURN_POINTER(s);
}

/*
 * Sorts the records and drops repeats within a group; returns how many rows
 * repeated a key, here and while the rows were added.
 */
static int64
smpc_set_distinct(SmpcSetState *s)
{
	smpc_set_compact(s);
	return s->repeats;
}

/*
 * The digests of the sorted, distinct records as the job takes them (in the
 * state's context, wiped with it), and (groups > 0) how many fall in each
 * group, palloc'd.
 */
static uint8 *
smpc_set_digests(SmpcSetState *s, int groups, uint32 **sizes, uint64 **values)
{
	uint8 *out = (uint8 *) MemoryContextAllocExtended(
		GetMemoryChunkContext(s), Max(s->n, 1) * SMPC_KEY_DIGEST_BYTES, MCXT_ALLOC_HUGE);

	s->digests = out;
	s->ndigests = s->n;
	*sizes = groups > 0 ? (uint32 *) palloc0(sizeof(uint32) * groups) : NULL;
	*values = s->valued ? (uint64 *) MemoryContextAllocExtended(GetMemoryChunkContext(s),
																Max(s->n, 1) * sizeof(uint64),
																MCXT_ALLOC_HUGE)
						: NULL;
	s->values = *values;
	for (int64 i = 0; i < s->n; i++)
	{
		const uint8 *rec = s->records + i * SMPC_SET_RECORD_BYTES;
		uint32		 g =
			((uint32) rec[0] << 24) | ((uint32) rec[1] << 16) | ((uint32) rec[2] << 8) | rec[3];

		memcpy(out + i * SMPC_KEY_DIGEST_BYTES, rec + 4, SMPC_KEY_DIGEST_BYTES);
		if (*values != NULL)
			(*values)[i] = smpc_record_value(rec);
		if (groups > 0)
			(*sizes)[g]++;
	}
	return out;
}

/* Whether a set job sums values over the overlap: [sum, count]. */
static bool
smpc_set_sums(SmpcAggregate kind)
{
	return kind == SMPC_AGG_INTERSECT_SUM || kind == SMPC_AGG_INTERSECT_AVG ||
		   kind == SMPC_AGG_INTERSECT_SUM_BY || kind == SMPC_AGG_INTERSECT_AVG_BY;
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

	if (s != NULL && s->valued && s->n > SMPC_SET_MAX_VALUED_KEYS)
		ereport(ERROR, errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				errmsg("intersection sums take at most %d keys with values per party, not %lld",
					   SMPC_SET_MAX_VALUED_KEYS, (long long) s->n),
				errdetail("Each key travels with its sealed value, 160 bytes in all. Nothing "
						  "was sent."),
				errhint("Split the job by a public prefix of the key, one job id per part."));
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
	req.width = smpc_set_sums(kind) ? 2 * Max(groups, 1)
				: req.set_pairs		? fed->nparties * (fed->nparties - 1) / 2
									: Max(groups, 1);
	/* Intersection sums: the sum, then the overlap count, which min_rows judges. */
	req.count_index = smpc_set_sums(kind) && !grouped ? 1 : -1;
	/*
	 * Grouped: one count per group, each a cell of its own (suppressed alone
	 * under min_rows); the overlap matrix: one per pair.
	 */
	req.cells = req.set_pairs ? req.width : groups;
	req.cell_width = req.cells == 0 ? 0 : smpc_set_sums(kind) ? 2 : 1;
	/* Grouped sums: each group's [sum, count], its count judged by min_rows. */
	req.cell_count = smpc_set_sums(kind) && grouped ? 1 : 0;
	req.inputs = smpc_alloc_values(req.width);
	req.inputs_present = true;
	req.rows = s ? s->n : 0;
	/*
	 * Noise: a row is one key at one party, which changes a count (one per
	 * group: the group of that row) by at most 1; in the overlap matrix it
	 * changes each of the n - 1 pairs of its party, so each pair's noise is
	 * calibrated to n - 1 (privacy.cpp). (Noise on a sum needs bounds on the
	 * values: not offered for intersection sums.)
	 */
	req.kinds = smpc_set_sums(kind) ? NULL : "c";
	req.noise_reach = req.set_pairs ? fed->nparties - 1 : 1;
	req.column = smpc_input_column(fcinfo, 0);
	req.sources = smpc_job_sources(fcinfo, 0);
	req.set_keys = s ? smpc_set_digests(s, groups, &sizes, &values) : NULL;
	req.set_values = values;
	req.set_sum = smpc_set_sums(kind);
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
	SmpcRows	  rows;

	if (!smpc_set_run(fcinfo, kind, at_least, true, &domain, &out, &res))
		PG_RETURN_NULL();
	smpc_rows_begin(&rows, fcinfo, domain.n);
	for (int g = 0; g < domain.n; g++)
	{
		Datum		  values[3];
		bool		  nulls[3] = {false, false, false};
		bool		  suppressed = res.suppressed != NULL && res.suppressed[g];
		MemoryContext old = MemoryContextSwitchTo(rows.row_cxt);

		values[0] =
			PointerGetDatum(cstring_to_text_with_len(domain.keys[g].data, domain.keys[g].len));
		values[1] = suppressed ? (Datum) 0 : smpc_to_numeric(out[g], 0);
		nulls[1] = suppressed;
		values[2] = BoolGetDatum(suppressed);
		MemoryContextSwitchTo(old);
		smpc_rows_add(&rows, values, nulls);
	}
	return smpc_rows_end(&rows);
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
	SmpcRows	  rows;

	if (!smpc_set_run(fcinfo, kind, 0, true, &domain, &out, &res))
		PG_RETURN_NULL();
	smpc_rows_begin(&rows, fcinfo, domain.n);
	for (int g = 0; g < domain.n; g++)
	{
		Datum		  values[3];
		bool		  nulls[3] = {false, false, false};
		bool		  suppressed = res.suppressed != NULL && res.suppressed[2 * g]; /* per value */
		bool		  avg = kind == SMPC_AGG_INTERSECT_AVG_BY;
		MemoryContext old = MemoryContextSwitchTo(rows.row_cxt);

		values[0] =
			PointerGetDatum(cstring_to_text_with_len(domain.keys[g].data, domain.keys[g].len));
		nulls[1] = suppressed || (avg && out[2 * g + 1] <= 0);
		if (!nulls[1])
			values[1] = avg ? DirectFunctionCall2(numeric_div, smpc_to_numeric(out[2 * g], 0),
												  smpc_to_numeric(out[2 * g + 1], 0))
							: smpc_to_numeric(out[2 * g], 0);
		values[2] = BoolGetDatum(suppressed);
		MemoryContextSwitchTo(old);
		smpc_rows_add(&rows, values, nulls);
	}
	return smpc_rows_end(&rows);
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
