/*
 * The serialized partial state of a grouped aggregate or histogram: what a
 * parallel worker hands its leader (Partial Aggregate to Finalize
 * Aggregate).
 *
 * Such a state holds arrays as long as the key domain (up to a million
 * cells, 28 MB), so the size is computed first and the bytea written once
 * (a growing StringInfo would copy it several times). Reading checks every
 * length against what is left: a state that does not parse is an internal
 * error, never a read past the end.
 */
#include "pg/aggregates/aggregates.h"

extern "C" {
#include "utils/memutils.h"
}

bytea *
smpc_packed_new(Size size, SmpcPacked *w)
{
	bytea *out;

	if (size > MaxAllocSize - VARHDRSZ)
		elog(ERROR, "smpc partial aggregate state of %zu bytes is too large", size);
	out = (bytea *) palloc(VARHDRSZ + size);
	SET_VARSIZE(out, VARHDRSZ + size);
	w->at = VARDATA(out);
	w->end = w->at + size;
	return out;
}

void
smpc_packed_put(SmpcPacked *w, const void *src, Size len)
{
	if (len > (Size) (w->end - w->at))
		elog(ERROR, "smpc partial aggregate state overflows its size");
	if (len > 0)
		memcpy(w->at, src, len);
	w->at += len;
}

void
smpc_packed_open(bytea *in, SmpcPacked *r)
{
	r->at = VARDATA_ANY(in);
	r->end = r->at + VARSIZE_ANY_EXHDR(in);
}

void
smpc_packed_get(SmpcPacked *r, void *dst, Size len)
{
	if (len > (Size) (r->end - r->at))
		elog(ERROR, "invalid smpc partial aggregate state: %zu bytes short",
			 len - (Size) (r->end - r->at));
	if (len > 0)
		memcpy(dst, r->at, len);
	r->at += len;
}

void *
smpc_packed_get_array(SmpcPacked *r, Size elem, int n)
{
	void *out;

	if (n < 0 || (Size) n > (Size) (r->end - r->at) / elem)
		elog(ERROR, "invalid smpc partial aggregate state: an array of %d elements", n);
	out = palloc(elem * (Size) n);
	smpc_packed_get(r, out, elem * (Size) n);
	return out;
}

void *
smpc_copy_in(MemoryContext cxt, const void *src, Size size)
{
	void *out;

	if (src == NULL)
		return NULL;
	out = MemoryContextAlloc(cxt, size);
	memcpy(out, src, size);
	return out;
}

void
smpc_packed_close(const SmpcPacked *r)
{
	if (r->at != r->end)
		elog(ERROR, "invalid smpc partial aggregate state: %zu bytes left over",
			 (Size) (r->end - r->at));
}
