/*
 * The key domain of a grouped job: sorted, checked, fingerprinted and
 * indexed once per query.
 *
 * Why not qsort and bsearch: a million-key domain took 20 comparisons per
 * row through a function pointer and memcmp, with a cache miss at most of
 * them; sorting and looking up were a fifth of a million-key job's CPU.
 * Keys are compared by an 8-byte prefix first (text never holds a NUL, so
 * zero padding sorts a shorter key first, as memcmp order does), sorted
 * with an inlined comparison, and found through a hash index whose slots
 * hold the prefix: one probe, usually one cache miss, per row.
 *
 * Why a cache: a session that runs the same grouped report again (a pooled
 * application, a loop of jobs) read, sorted, fingerprinted and indexed the
 * same domain every time; at 100,000 keys that was a fifth of the job's CPU
 * at each party (BENCHMARKS.md). The last domain read is kept across
 * queries, with its index, when it fits in smpc.key_domain_cache; the next
 * query whose domain array has the same bytes uses it as it is. What a
 * domain is follows from those bytes alone (byte order, no collation), so
 * the cache never goes stale. A domain is kept only after it passed every
 * check, and callers never change a domain they are given.
 */
#include "pg/aggregates/aggregates.h"

#include <algorithm>

extern "C" {
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "port/pg_bswap.h"
#include "storage/proc.h"
#include "utils/memutils.h"
}

/* The domain kept across queries; cxt NULL: none. */
typedef struct SmpcDomainCache
{
	MemoryContext cxt;	 /* holds all of it; a child of TopMemoryContext */
	ArrayType	 *array; /* a copy of the array the keys point into */
	Size		  bytes; /* what it holds at most, index included */
	SmpcDomain	  domain;
	/*
	 * The local transaction that was last given it: aggregates of that
	 * transaction may still point into it, so it is not freed before the
	 * next transaction.
	 */
	LocalTransactionId given_in;
} SmpcDomainCache;

static SmpcDomainCache smpc_domain_cache;

static uint64
smpc_key_prefix(const char *data, int len)
{
	uint64 be = 0;

	memcpy(&be, data, Min(len, 8));
	return pg_ntoh64(be);
}

/* Byte order (memcmp, then the shorter first), prefix first. */
static inline bool
smpc_key_less(const SmpcKey &x, const SmpcKey &y)
{
	int c;

	if (x.prefix != y.prefix)
		return x.prefix < y.prefix;
	if (x.len <= 8 || y.len <= 8)
		return x.len < y.len;
	c = memcmp(x.data + 8, y.data + 8, Min(x.len, y.len) - 8);
	return c != 0 ? c < 0 : x.len < y.len;
}

uint32
smpc_domain_hash(const char *data, int len)
{
	return hash_bytes((const unsigned char *) data, len);
}

/* Reads, sorts, checks and fingerprints the keys of array (which out points into). */
static void
smpc_domain_read(ArrayType *array, SmpcDomain *out)
{
	Datum		  *elems;
	bool		  *nulls;
	int			   n;
	StringInfoData canon;

	if (ARR_ELEMTYPE(array) != TEXTOID)
		elog(ERROR, "smpc key domain must be text[]");
	deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	if (n == 0 || n > SMPC_MAX_GROUPS)
		ereport(ERROR, errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				errmsg("the key domain of a grouped smpc aggregate must have 1 to %d keys, not %d",
					   SMPC_MAX_GROUPS, n));
	out->n = n;
	out->slots = NULL;
	out->mask = 0;
	out->keys = (SmpcKey *) palloc(sizeof(SmpcKey) * n);
	for (int i = 0; i < n; i++)
	{
		text *t;

		if (nulls[i])
			ereport(ERROR, errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					errmsg("the key domain of a grouped smpc aggregate must not contain NULL"));
		t = DatumGetTextPP(elems[i]);
		out->keys[i].data = VARDATA_ANY(t);
		out->keys[i].len = VARSIZE_ANY_EXHDR(t);
		out->keys[i].prefix = smpc_key_prefix(out->keys[i].data, out->keys[i].len);
	}
	/*
	 * Plain data and a comparison that cannot throw: no C++ exception here.
	 * A lambda, not the function's address, so that the comparison is
	 * inlined: through a pointer, std::sort called it a few million times.
	 */
	std::sort(out->keys, out->keys + n,
			  [](const SmpcKey &x, const SmpcKey &y) { return smpc_key_less(x, y); });

	initStringInfo(&canon);
	for (int i = 0; i < n; i++)
	{
		uint32 len = (uint32) out->keys[i].len;

		if (i > 0 && !smpc_key_less(out->keys[i - 1], out->keys[i]))
			ereport(ERROR, errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("the key domain of a grouped smpc aggregate lists \"%.*s\" twice",
						   out->keys[i].len, out->keys[i].data));
		appendBinaryStringInfo(&canon, (const char *) &len, sizeof len);
		appendBinaryStringInfo(&canon, out->keys[i].data, out->keys[i].len);
	}
	smpc_sha256_hex(canon.data, canon.len, out->fingerprint);
	pfree(canon.data);
	pfree(elems);
	pfree(nulls);
}

/* The slots of an index over n keys: a power of two, at most half full. */
static uint32
smpc_domain_slot_count(int n)
{
	uint32 nslots = 2;

	while (nslots < (uint32) n * 2)
		nslots *= 2;
	return nslots;
}

/* Whether the cache may be freed: no query of this transaction was given it. */
static bool
smpc_domain_cache_free(void)
{
	return smpc_domain_cache.cxt == NULL || smpc_domain_cache.given_in != MyProc->lxid;
}

static void
smpc_domain_cache_drop(void)
{
#ifdef SMPC_TEST_BUILD
	/* Keys still in use after this would read 0x7f bytes: TAP 021 would see them. */
	if (smpc_domain_cache.cxt != NULL)
		memset(ARR_DATA_PTR(smpc_domain_cache.array), 0x7f,
			   VARSIZE(smpc_domain_cache.array) - ARR_DATA_OFFSET(smpc_domain_cache.array));
#endif
	if (smpc_domain_cache.cxt != NULL)
		MemoryContextDelete(smpc_domain_cache.cxt);
	memset(&smpc_domain_cache, 0, sizeof smpc_domain_cache);
}

void
smpc_domain_cache_limit(int limit_kb)
{
	if (smpc_domain_cache.cxt != NULL && smpc_domain_cache.bytes > (Size) limit_kb * 1024 &&
		smpc_domain_cache_free())
		smpc_domain_cache_drop();
}

void
smpc_domain_from_array(ArrayType *array, SmpcDomain *out)
{
	Size bytes = VARSIZE(array);
	int	 n = ArrayGetNItems(ARR_NDIM(array), ARR_DIMS(array));
	Size keep = bytes + (Size) n * sizeof(SmpcKey) +
				(Size) smpc_domain_slot_count(n) * sizeof(SmpcDomainSlot);
	Size		  limit = (Size) smpc_key_domain_cache_kb * 1024;
	MemoryContext cxt;
	MemoryContext old;
	ArrayType	 *copy;

	smpc_domain_cache_limit(smpc_key_domain_cache_kb); /* lowered in this transaction */
	if (smpc_domain_cache.cxt != NULL && VARSIZE(smpc_domain_cache.array) == bytes &&
		memcmp(smpc_domain_cache.array, array, bytes) == 0)
	{
		*out = smpc_domain_cache.domain;
		smpc_domain_cache.given_in = MyProc->lxid;
		return;
	}
	/*
	 * Parallel workers and partner jobs' workers run one query and exit: a
	 * copy there would never be used again.
	 */
	if (keep > limit || n > SMPC_MAX_GROUPS || !smpc_domain_cache_free() ||
		MyBackendType != B_BACKEND)
	{
		smpc_domain_read(array, out);
		return;
	}
	/*
	 * Read into a context of the query's, so that an error frees it; only a
	 * domain that passed every check moves to TopMemoryContext.
	 */
	cxt = AllocSetContextCreate(CurrentMemoryContext, "smpc key domain", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	copy = (ArrayType *) palloc(bytes);
	memcpy(copy, array, bytes);
	smpc_domain_read(copy, out);
	MemoryContextSwitchTo(old);
	smpc_domain_cache_drop();
	MemoryContextSetParent(cxt, TopMemoryContext);
	smpc_domain_cache.cxt = cxt;
	smpc_domain_cache.array = copy;
	smpc_domain_cache.bytes = keep;
	smpc_domain_cache.domain = *out;
	smpc_domain_cache.given_in = MyProc->lxid;
}

/* Builds domain's index in CurrentMemoryContext. */
static void
smpc_domain_build_index(SmpcDomain *domain)
{
	uint32 nslots = smpc_domain_slot_count(domain->n);

	domain->mask = nslots - 1;
	domain->slots = (SmpcDomainSlot *) palloc(sizeof(SmpcDomainSlot) * nslots);
	for (uint32 h = 0; h < nslots; h++)
		domain->slots[h].pos = -1;
	for (int i = 0; i < domain->n; i++)
	{
		uint32 hash = smpc_domain_hash(domain->keys[i].data, domain->keys[i].len);
		uint32 h = hash & domain->mask;

		while (domain->slots[h].pos >= 0)
			h = (h + 1) & domain->mask;
		domain->slots[h].prefix = domain->keys[i].prefix;
		domain->slots[h].hash = hash;
		domain->slots[h].pos = i;
	}
}

void
smpc_domain_index(SmpcDomain *domain)
{
	SmpcDomainCache *c = &smpc_domain_cache;

	if (c->cxt == NULL || domain->keys != c->domain.keys)
	{
		smpc_domain_build_index(domain);
		return;
	}
	if (c->domain.slots == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(c->cxt);

		smpc_domain_build_index(&c->domain);
		MemoryContextSwitchTo(old);
	}
	domain->slots = c->domain.slots;
	domain->mask = c->domain.mask;
}

void
smpc_domain_prefetch(const SmpcDomain *domain, uint32 hash)
{
	__builtin_prefetch(&domain->slots[hash & domain->mask]);
}

/* The position of key (data, len) with hash `hash` in an indexed domain, or -1. */
static int
smpc_domain_find_hashed(const SmpcDomain *domain, uint32 hash, const char *data, int len)
{
	uint64 prefix = smpc_key_prefix(data, len);

	for (uint32 h = hash & domain->mask;; h = (h + 1) & domain->mask)
	{
		const SmpcDomainSlot *s = &domain->slots[h];
		const SmpcKey		 *k;

		if (s->pos < 0)
			return -1;
		if (s->hash != hash || s->prefix != prefix)
			continue;
		if (len < 8)
			return s->pos; /* the prefix is the whole key, NUL-padded */
		k = &domain->keys[s->pos];
		if (k->len == len && memcmp(k->data + 8, data + 8, len - 8) == 0)
			return s->pos;
	}
}

/*
 * A row whose key (data NULL: a NULL key) is not in the domain: -1 when
 * `outside` (the row's smpc.outside_domain) is drop (counted in *dropped),
 * else an error.
 */
static int
smpc_domain_miss(const SmpcDomain *domain, const char *data, int len, int outside, int64 *dropped)
{
	if (outside == SMPC_OUTSIDE_DROP)
	{
		(*dropped)++;
		return -1;
	}
	if (data == NULL)
		ereport(ERROR, errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("a row's group key is NULL, which is not in the job's key domain"),
				errhint("Filter such rows out, or SET smpc.outside_domain = drop."));
	ereport(
		ERROR, errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		errmsg("group key \"%.*s\" is not in the job's key domain", len, data),
		errdetail_plural("The job's domain has %d key; every party must declare the same ones.",
						 "The job's domain has %d keys; every party must declare the same ones.",
						 domain->n, domain->n),
		errhint("Add the key to the domain at every party, filter such rows out, or SET "
				"smpc.outside_domain = drop."));
	return -1; /* not reached */
}

int
smpc_domain_cell_hashed(const SmpcDomain *domain, uint32 hash, const char *data, int len,
						int outside, int64 *dropped)
{
	int c = data == NULL ? -1 : smpc_domain_find_hashed(domain, hash, data, len);

	return c >= 0 ? c : smpc_domain_miss(domain, data, len, outside, dropped);
}

int
smpc_domain_cell(const SmpcDomain *domain, text *key_text, int64 *dropped)
{
	const char *data = key_text ? VARDATA_ANY(key_text) : NULL;
	int			len = key_text ? VARSIZE_ANY_EXHDR(key_text) : 0;

	return smpc_domain_cell_hashed(domain, data ? smpc_domain_hash(data, len) : 0, data, len,
								   smpc_outside_domain, dropped);
}
