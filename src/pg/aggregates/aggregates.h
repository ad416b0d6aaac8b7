/*
 * aggregates/: the SQL aggregates. The local phase of each (the
 * transition state and the helpers that sums, averages, variances, grouped
 * aggregates and histograms share), the declared key domain of grouped
 * jobs, and the final functions that run a job (src/pg/jobs).
 */
#ifndef SMPC_PG_AGGREGATES_AGGREGATES_H
#define SMPC_PG_AGGREGATES_AGGREGATES_H

#include "pg/jobs/jobs.h"

#include <math.h>

extern "C" {
#include "access/tupdesc.h"
#include "utils/array.h"
#include "utils/numeric.h"
}

/* aggregates.cpp: value classes and results shared with smpc_join (join.cpp). */
extern SmpcValueClass smpc_value_class_of(Oid type);
extern Datum		  smpc_to_numeric(__int128 v, int scale);

/*
 * int128 (not __int128): PostgreSQL's typedef is only MAXALIGN-aligned, which
 * is what palloc gives; a plain __int128 member would let the compiler use
 * 16-byte aligned loads on 8-byte aligned memory.
 */
typedef struct SmpcAggState
{
	int64	   count;
	int128	   isum; /* integer sum, or numeric and double precision sum * 10^nscale */
	int32	   nscale;
	int128	   isq; /* variances: sum of squares * 10^sqscale */
	int32	   sqscale;
	double	   fixed_factor; /* double precision: 10^scale of the federation (= 10^nscale) */
	int64	   outside;		 /* values outside the bounds (clipped or rejected) */
	SmpcBounds bounds;
	int32	   input_error; /* SmpcInputError (jobs.h): the first; rows after it are skipped */
} SmpcAggState;

/*
 * Records that this party's input failed (the first error is kept); the
 * final function raises it after telling the partners (jobs.h). Returns
 * false, for `return smpc_input_failed(...)` in checks.
 */
static inline bool
smpc_input_failed(SmpcAggState *s, SmpcInputError e)
{
	if (s->input_error == SMPC_INPUT_OK)
		s->input_error = e;
	return false;
}

extern void			 smpc_numeric_overflow(void) pg_attribute_noreturn();
extern void			 smpc_add_scaled_to(int128 *sum, int32 *sumscale, __int128 v, int vscale);
extern int			 smpc_cmp_scaled(__int128 a, int as, __int128 b, int bs);
extern SmpcAggState *smpc_state_create(FunctionCallInfo fcinfo, bool with_bounds,
									   bool integer_class);
/*
 * Combines what every state shares (bounds, the first input error, rows,
 * values outside the bounds) of b into a, for parallel aggregation. False
 * when an input failed: the sums need not be combined, the final function
 * raises the error.
 */
extern bool smpc_state_merge(SmpcAggState *a, const SmpcAggState *b);

/*
 * The state of this row's transition: the one passed in, or (first row) a
 * new one with the bounds that apply. Inline: it runs for every row.
 */
static inline SmpcAggState *
smpc_state(FunctionCallInfo fcinfo, bool with_bounds, bool integer_class)
{
	if (likely(!PG_ARGISNULL(0)))
		return (SmpcAggState *) PG_GETARG_POINTER(0);
	return smpc_state_create(fcinfo, with_bounds, integer_class);
}

/* An integer input after the bounds (counted in s->outside when outside them). */
static inline int64
smpc_clip_int(SmpcAggState *s, int64 v)
{
	if (likely(!s->bounds.present) || (v >= s->bounds.lo && v <= s->bounds.hi))
		return v;
	s->outside++;
	if (s->bounds.reject)
		return v;
	return v < s->bounds.lo ? (int64) s->bounds.lo : (int64) s->bounds.hi;
}
extern double smpc_clip_float8(SmpcAggState *s, double v);

/*
 * A double precision input after the bounds, in the federation's fixed
 * point (units of 10^-scale, s->fixed_factor = 10^scale) rounded to the
 * nearest unit, ties to even: what sums, averages, variances and grouped
 * sums add, exactly. Clipped values are kept within the integer bounds.
 * False when the value is not finite or its magnitude in units is not below
 * `limit` (at most 1e37). Inline: it runs for every row.
 */
static inline bool
smpc_float8_fixed(SmpcAggState *s, double v, double limit, __int128 *out)
{
	double	 x = smpc_clip_float8(s, v) * s->fixed_factor;
	__int128 r;

	if (unlikely(!(fabs(x) < limit)))
		return false;
	x = rint(x);
	/* The cast to 64 bits is one instruction; to 128 bits a library call. */
	r = fabs(x) < 9.0e18 ? (__int128) (int64) x : (__int128) x;
	if (unlikely(s->bounds.present) && !s->bounds.reject)
		r = r < s->bounds.lo   ? (__int128) s->bounds.lo
			: r > s->bounds.hi ? (__int128) s->bounds.hi
							   : r;
	*out = r;
	return true;
}
/* The error of a double precision value or local sum beyond 10^37 units. */
extern void smpc_float8_sum_out_of_range(void) pg_attribute_noreturn();
/*
 * A numeric input after the bounds; false (with s->input_error set) for NaN,
 * infinity or a value beyond the fixed point.
 */
extern bool smpc_clip_numeric(SmpcAggState *s, Numeric num, __int128 *v, int *vscale);
/* Like smpc_add_scaled_to, false instead of an error on overflow. */
extern bool smpc_try_add_scaled_to(int128 *sum, int32 *sumscale, __int128 v, int vscale);
/* The input error of a double precision value that smpc_float8_fixed refused. */
static inline SmpcInputError
smpc_float8_error(double v, SmpcInputError range)
{
	return isnan(v) ? SMPC_INPUT_NAN : isinf(v) ? SMPC_INPUT_INFINITY : range;
}
/* An argument that is the same for every row, read from the query plan. */
extern Datum smpc_plan_arg(FunctionCallInfo fcinfo, int argno, const char *what);
/* The value class ("integer", "numeric", "float8") of argument 1. */
extern SmpcValueClass smpc_value_class(FunctionCallInfo fcinfo);
/*
 * A local sum in the job's fixed point `scale`: v at vscale (integers at 0,
 * numeric and double precision at their state's scale). Numeric values with
 * more fractional digits than the scale are an error, never rounded.
 */
extern __int128 smpc_fixed_point(__int128 v, int vscale, SmpcValueClass value_class, int scale);
/* Fills what every aggregate's job request shares; returns the federation. */
extern SmpcFederationRow *smpc_agg_request(FunctionCallInfo fcinfo, const SmpcAggState *s,
										   SmpcAggregate aggregate, SmpcValueClass value_class,
										   bool with_bounds, int value_arg, SmpcJobSpec *req,
										   SmpcBounds *bounds);
/* moments.cpp: a variance or standard deviation from joint S, Q and n. */
extern bool smpc_moments_numeric(const char *name, __int128 sum, __int128 sumsq, __int128 n,
								 int scale, Datum *out);
/*
 * result_rows.cpp: array-of-rows results (grouped aggregates, histograms,
 * percentiles), built row by row: smpc_rows_begin with the number of rows
 * expected, then for each row its values made in row_cxt (reset after each
 * row) and smpc_rows_add, then smpc_rows_end for the array.
 */
typedef struct SmpcRows
{
	TupleDesc	  desc; /* of the function's result's element type */
	Oid			  elemtype;
	char		  typalign;
	int			  count; /* rows added */
	char		 *data;	 /* the array: header, then the rows */
	Size		  used;
	Size		  size;
	MemoryContext row_cxt; /* for one row's values */
} SmpcRows;
extern void	 smpc_rows_begin(SmpcRows *rows, FunctionCallInfo fcinfo, int n);
extern void	 smpc_rows_add(SmpcRows *rows, const Datum *values, const bool *nulls);
extern Datum smpc_rows_end(SmpcRows *rows);
/*
 * partial_state.cpp: writing and reading the serialized partial states of
 * grouped aggregates and histograms (parallel workers to their leader).
 * smpc_packed_new makes a bytea of `size` payload bytes to fill with
 * smpc_packed_put; smpc_packed_open reads one with smpc_packed_get (and
 * smpc_packed_get_array, which pallocs), smpc_packed_close checks that
 * nothing is left over. A short or long state is an internal error.
 */
typedef struct SmpcPacked
{
	char	   *at;
	const char *end;
} SmpcPacked;
extern bytea *smpc_packed_new(Size size, SmpcPacked *w);
extern void	  smpc_packed_put(SmpcPacked *w, const void *src, Size len);
extern void	  smpc_packed_open(bytea *in, SmpcPacked *r);
extern void	  smpc_packed_get(SmpcPacked *r, void *dst, Size len);
extern void	 *smpc_packed_get_array(SmpcPacked *r, Size elem, int n);
extern void	  smpc_packed_close(const SmpcPacked *r);
/*
 * A copy of [src, src + size) in cxt, or NULL for NULL: a combine function
 * keeps the first worker's arrays, which deserialization made in per-tuple
 * memory.
 */
extern void *smpc_copy_in(MemoryContext cxt, const void *src, Size size);

/* The most keys a domain may have: the job's vector holds two values per key. */
#define SMPC_MAX_GROUPS (1024 * 1024)

/* A key of the domain: bytes of a text value (not NUL-terminated). */
typedef struct SmpcKey
{
	const char *data;
	int			len;
	uint64		prefix; /* the first 8 bytes, big-endian, zero-padded */
} SmpcKey;

/*
 * A slot of the domain's hash index. It holds what decides most probes
 * without reading the key itself (a cache miss on a million-key domain):
 * keys shorter than 8 bytes are equal exactly when their prefixes are,
 * since text holds no NUL.
 */
typedef struct SmpcDomainSlot
{
	uint64 prefix;
	uint32 hash;
	int32  pos; /* the key's position; -1: empty */
} SmpcDomainSlot;

typedef struct SmpcDomain
{
	int				n;
	SmpcKey		   *keys;			 /* byte order */
	char			fingerprint[65]; /* SHA-256 of the length-prefixed keys, hex */
	SmpcDomainSlot *slots;			 /* open addressing, at most half full; NULL
								 * until smpc_domain_index */
	uint32			mask;			 /* number of slots - 1 (a power of two - 1) */
} SmpcDomain;

/*
 * Reads a text[] domain: sorts it, refuses NULL, duplicates and sizes
 * outside 1..SMPC_MAX_GROUPS and fingerprints it. Its keys and index may be
 * the session's kept domain (smpc.key_domain_cache, key_domain.cpp), valid
 * until the transaction ends: callers never change, free or reorder them.
 * Otherwise they are in CurrentMemoryContext, the keys pointing into the array.
 */
extern void smpc_domain_from_array(ArrayType *array, SmpcDomain *out);
/* Builds the hash index smpc_domain_cell needs (parties that aggregate rows). */
extern void smpc_domain_index(SmpcDomain *domain);
/* smpc.key_domain_cache changed to limit_kb: frees a kept domain above it, if no query holds it. */
extern void smpc_domain_cache_limit(int limit_kb);
/*
 * The cell of a row's group key (NULL: a NULL key) in an indexed domain, or
 * -1 when smpc.outside_domain = drop leaves the row out (counted in
 * *dropped); else a key outside the domain is an error.
 */
extern int smpc_domain_cell(const SmpcDomain *domain, text *key, int64 *dropped);
/*
 * The same in steps, for rows looked up in batches (row_batch.cpp): the
 * key's hash, a hint to the CPU to load the slot it starts at, and the
 * cell of key (data, len) with that hash (data NULL: a NULL key), keys
 * outside the domain judged by `outside` (an smpc.outside_domain value).
 */
extern uint32 smpc_domain_hash(const char *data, int len);
extern void	  smpc_domain_prefetch(const SmpcDomain *domain, uint32 hash);
extern int smpc_domain_cell_hashed(const SmpcDomain *domain, uint32 hash, const char *data, int len,
								   int outside, int64 *dropped);

/* row_batch.cpp: */
/* Rows of a batch; keys of at most SMPC_ROW_BATCH_KEY bytes are batched. */
#define SMPC_ROW_BATCH	   32
#define SMPC_ROW_BATCH_KEY 24

/*
 * Rows of a grouped integer sum or count whose keys are looked up in the
 * domain together (row_batch.cpp says why). cell[i] is filled by
 * smpc_row_batch_lookup.
 */
typedef struct SmpcRowBatch
{
	int	   n;
	int	   outside;				/* smpc.outside_domain when its first row came */
	int32  len[SMPC_ROW_BATCH]; /* -1: a NULL key */
	uint32 hash[SMPC_ROW_BATCH];
	int32  cell[SMPC_ROW_BATCH];
	int64  value[SMPC_ROW_BATCH];
	char   key[SMPC_ROW_BATCH][SMPC_ROW_BATCH_KEY];
} SmpcRowBatch;

/*
 * Adds a row (key NULL: a NULL key) and starts loading its slot of the
 * domain's index. False, and nothing added, when the key is too long to be
 * batched. The batch must not be full (n < SMPC_ROW_BATCH).
 */
extern bool smpc_row_batch_add(SmpcRowBatch *batch, const SmpcDomain *domain, text *key,
							   int64 value);
/*
 * Fills the cells of the batch's rows, in row order, as smpc_domain_cell
 * does, judging keys outside the domain by batch->outside: the caller adds
 * the batch before a row that comes under another smpc.outside_domain.
 */
extern void smpc_row_batch_lookup(SmpcRowBatch *batch, const SmpcDomain *domain, int64 *dropped);
/*
 * grouped.cpp: adds the batched rows of every grouped aggregate of the Agg
 * node whose final function calls it. Every final function that runs a job
 * calls it first (smpc_agg_request, set jobs), so that a key outside a
 * domain fails the query before any of its jobs sends anything.
 */
extern void smpc_group_flush_node(FunctionCallInfo fcinfo);

/* result_rows.cpp: */
/*
 * A grouped job's result as smpc.group_value[]: per key of the domain (cell
 * c of `width` values), the value out[c * width] in fixed point `scale`,
 * divided by the count out[c * width + count_at] when count_at >= 0 (NULL
 * when that count is not positive); NULL and suppressed where the job
 * suppressed the cell (suppressed is per value, NULL: none).
 */
extern Datum smpc_group_value_rows(FunctionCallInfo fcinfo, const SmpcDomain *domain,
								   const __int128 *out, const bool *suppressed, int width,
								   int scale, int count_at);

/*
 * set_state.cpp: the local phase of the private set operations, each
 * party's keys as 32-byte digests in their group, with the total of their
 * values; and what the final functions (sets.cpp) take from it.
 */
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
/*
 * One blinded set per message: 2^20 keys (protocol/message.hpp,
 * kMaxSetElements), with their sealed values in an intersection sum.
 */
#define SMPC_SET_MAX_KEYS (1 << 20)
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

/* Zeroes the state's records, digests and values (also its memory's callback). */
extern void smpc_set_wipe(void *arg);
/* The class of a key type: text, bytea, integer (any width) or uuid. */
extern SmpcValueClass smpc_key_class_of(Oid type);
/* The group domain (the argument before the job id), within the groups a set job takes. */
extern void smpc_set_domain_load(FunctionCallInfo fcinfo, SmpcDomain *out);
/*
 * Sorts the records and drops repeats within a group; returns how many rows
 * repeated a key, here and while the rows were added.
 */
extern int64 smpc_set_distinct(SmpcSetState *s);
/*
 * The digests of the sorted, distinct records as the job takes them (in the
 * state's context, wiped with it), (groups > 0) how many fall in each group,
 * palloc'd, and (a party that gave values) each digest's value: its key's
 * total, clipped to bounds (if present; *outside counts the totals outside).
 */
extern uint8 *smpc_set_digests(SmpcSetState *s, int groups, uint32 **sizes, uint64 **values,
							   const SmpcBounds *bounds, int64 *outside);

/* key_normalize.cpp: the canonical option list of smpc_normalize_key, e.g. "trim,lower". */
extern const char *smpc_normalize_options(const char *options);
/*
 * The options of an smpc_normalize_key call that is the whole key argument
 * of this aggregate call, as the job descriptor names them (a date form
 * whatever its field order as "date"), or NULL.
 */
extern const char *smpc_key_normalization(FunctionCallInfo fcinfo);

#endif /* SMPC_PG_AGGREGATES_AGGREGATES_H */
