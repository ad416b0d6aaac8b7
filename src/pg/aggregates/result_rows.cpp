/*
 * Array-of-rows results (grouped aggregates, histograms, percentiles):
 * each row is formed and written straight into the array being built.
 *
 * Why not heap_form_tuple for every row and then construct_array: with a
 * million groups that kept a million tuples (and each row's numeric and
 * text) alive at once and then copied them all into the array, well over
 * 100 MB of fresh memory per job. On these VMs a fresh page costs a page
 * fault and a zeroing, and forming the rows that way took a fifth of a
 * million-group job's CPU at each party (BENCHMARKS.md). Here a row's
 * values are made in a small context that is reset after each row, and
 * only the array itself is new memory. The array is laid out as
 * construct_array lays it out: one dimension from 1, no null bitmap, each
 * element at the element type's alignment, padding zeroed.
 */
#include "pg/aggregates/aggregates.h"

extern "C" {
#include "access/htup_details.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/fmgrprotos.h"
#include "utils/typcache.h"
}

/* A first guess of a row's size; the array grows when rows are larger. */
#define SMPC_ROW_GUESS_BYTES 64

void
smpc_rows_begin(SmpcRows *rows, FunctionCallInfo fcinfo, int n)
{
	int16 typlen;
	bool  typbyval;
	Size  guess;

	rows->elemtype = get_element_type(get_fn_expr_rettype(fcinfo->flinfo));
	rows->desc = BlessTupleDesc(lookup_rowtype_tupdesc_copy(rows->elemtype, -1));
	get_typlenbyvalalign(rows->elemtype, &typlen, &typbyval, &rows->typalign);
	rows->count = 0;
	rows->used = ARR_OVERHEAD_NONULLS(1);
	guess = rows->used + (Size) Max(n, 1) * SMPC_ROW_GUESS_BYTES;
	rows->size = Min(guess, MaxAllocSize);
	rows->data = (char *) palloc(rows->size);
	rows->row_cxt =
		AllocSetContextCreate(CurrentMemoryContext, "smpc result row", ALLOCSET_SMALL_SIZES);
}

void
smpc_rows_add(SmpcRows *rows, const Datum *values, const bool *nulls)
{
	MemoryContext old = MemoryContextSwitchTo(rows->row_cxt);
	HeapTuple	  tuple = heap_form_tuple(rows->desc, (Datum *) values, (bool *) nulls);
	/* A composite datum is its tuple's header and data, with no toast pointer in it. */
	HeapTupleHeader datum =
		HeapTupleHasExternal(tuple)
			? DatumGetHeapTupleHeader(heap_copy_tuple_as_datum(tuple, rows->desc))
			: tuple->t_data;
	Size len = HeapTupleHeaderGetDatumLength(datum);
	Size padded = att_align_nominal(len, rows->typalign);

	MemoryContextSwitchTo(old);
	if (rows->used + padded > rows->size)
	{
		Size want = Max(rows->size * 2, rows->used + padded);

		if (rows->used + padded > MaxAllocSize)
			ereport(ERROR, errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					errmsg("array size exceeds the maximum allowed (%d)", (int) MaxAllocSize));
		rows->size = Min(want, MaxAllocSize);
		rows->data = (char *) repalloc(rows->data, rows->size);
	}
	memcpy(rows->data + rows->used, datum, len);
	memset(rows->data + rows->used + len, 0, padded - len);
	rows->used += padded;
	rows->count++;
	MemoryContextReset(rows->row_cxt);
}

Datum
smpc_rows_end(SmpcRows *rows)
{
	ArrayType *array = (ArrayType *) rows->data;

	MemoryContextDelete(rows->row_cxt);
	if (rows->count == 0)
	{
		pfree(rows->data);
		return PointerGetDatum(construct_empty_array(rows->elemtype));
	}
	memset(array, 0, ARR_OVERHEAD_NONULLS(1));
	SET_VARSIZE(array, rows->used);
	array->ndim = 1;
	array->dataoffset = 0;
	array->elemtype = rows->elemtype;
	ARR_DIMS(array)[0] = rows->count;
	ARR_LBOUND(array)[0] = 1;
	return PointerGetDatum(array);
}

Datum
smpc_group_value_rows(FunctionCallInfo fcinfo, const SmpcDomain *domain, const __int128 *out,
					  const bool *suppressed, int width, int scale, int count_at)
{
	SmpcRows rows;

	smpc_rows_begin(&rows, fcinfo, domain->n);
	for (int c = 0; c < domain->n; c++)
	{
		Datum		  values[3];
		bool		  nulls[3] = {false, false, false};
		bool		  cut = suppressed != NULL && suppressed[c * width];
		MemoryContext old = MemoryContextSwitchTo(rows.row_cxt);

		values[0] =
			PointerGetDatum(cstring_to_text_with_len(domain->keys[c].data, domain->keys[c].len));
		values[2] = BoolGetDatum(cut);
		if (cut || (count_at >= 0 && out[c * width + count_at] <= 0))
			nulls[1] = true;
		else if (count_at < 0)
			values[1] = smpc_to_numeric(out[c * width], scale);
		else
			values[1] = DirectFunctionCall2(numeric_div, smpc_to_numeric(out[c * width], scale),
											smpc_to_numeric(out[c * width + count_at], 0));
		MemoryContextSwitchTo(old);
		smpc_rows_add(&rows, values, nulls);
	}
	return smpc_rows_end(&rows);
}
