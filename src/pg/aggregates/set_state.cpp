/*
 * The local phase of the private set operations: each row's key becomes a
 * 32-byte digest (smpc_key_digest: the key's class and canonical bytes), so
 * a key of any length costs 32 bytes and keys of different types never
 * match; a record keeps it with its group and the total of its values
 * (intersection sums). Repeats are dropped when the records fill up (the
 * limit is on distinct keys) and before the job; NULL keys are counted.
 * Every record is zeroed when the aggregate's memory goes. The final
 * functions that run the job are sets.cpp.
 */
#include "pg/aggregates/aggregates.h"

extern "C" {
#include "mb/pg_wchar.h"
#include "utils/memutils.h"
#include "utils/uuid.h"

PGDLLEXPORT Datum smpc_set_accum(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_set_by_accum(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_set_sum_accum(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_set_sum_by_accum(PG_FUNCTION_ARGS);

PG_FUNCTION_INFO_V1(smpc_set_accum);
PG_FUNCTION_INFO_V1(smpc_set_by_accum);
PG_FUNCTION_INFO_V1(smpc_set_sum_accum);
PG_FUNCTION_INFO_V1(smpc_set_sum_by_accum);
}

void
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
SmpcValueClass
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
void
smpc_set_domain_load(FunctionCallInfo fcinfo, SmpcDomain *out)
{
	ArrayType *array = DatumGetArrayTypeP(smpc_plan_arg(fcinfo, -2, "group domain"));
	int		   n = ArrayGetNItems(ARR_NDIM(array), ARR_DIMS(array));

	/* Before it is read: a refused domain must not replace the session's kept one. */
	if (n > SMPC_SET_MAX_GROUPS)
		ereport(ERROR, errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				errmsg("a grouped smpc set job takes at most %d groups, not %d",
					   SMPC_SET_MAX_GROUPS, n));
	smpc_domain_from_array(array, out);
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
					  "party's keys travel as one set of 32 bytes per key (32 MiB at most; "
					  "160 bytes and 160 MiB with the values of an intersection sum), "
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
int64
smpc_set_distinct(SmpcSetState *s)
{
	smpc_set_compact(s);
	return s->repeats;
}

/*
 * A key's total within the bounds of an intersection sum (bounds NULL or
 * absent: as it is): above hi it is clipped to hi, or (reject) counted in
 * *outside for the release policy to refuse the job before anything is
 * sent (smpc_policy_check_input). A total below lo is never raised to it: a
 * party's keys whose values are all NULL would then add lo each, and
 * whether a party gives values at all depends on its rows, so one row
 * could move the sum by lo times the overlap (far beyond the sensitivity
 * the noise is calibrated to). Under reject it refuses the job. Bounds
 * below 0 hold no total: the release policy refuses them before anything
 * is sent (smpc_policy_check_input), and nothing is clipped here.
 */
static uint64
smpc_clip_total(uint64 v, const SmpcBounds *b, int64 *outside)
{
	if (b == NULL || !b->present || b->hi < 0)
		return v;
	if ((__int128) v > b->hi)
	{
		(*outside)++;
		return b->reject ? v : (uint64) b->hi;
	}
	if ((__int128) v < b->lo && b->reject)
		(*outside)++;
	return v;
}

/*
 * The digests of the sorted, distinct records as the job takes them (in the
 * state's context, wiped with it), and (groups > 0) how many fall in each
 * group, palloc'd.
 */
uint8 *
smpc_set_digests(SmpcSetState *s, int groups, uint32 **sizes, uint64 **values,
				 const SmpcBounds *bounds, int64 *outside)
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
			(*values)[i] = smpc_clip_total(smpc_record_value(rec), bounds, outside);
		if (groups > 0)
			(*sizes)[g]++;
	}
	return out;
}
