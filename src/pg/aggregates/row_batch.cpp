/*
 * Rows of a grouped integer sum or count, looked up in the key domain a
 * batch at a time.
 *
 * Why: at 100,000 keys the domain's index is 4 MB and the per-key sums and
 * counts 2.4 MB, so every row's probe misses the CPU's caches, and the next
 * row could not start before that miss ended: the executor's work between
 * two rows is too long for the CPU to run ahead. The lookup was 15 %
 * of all CPU time of a 100,000-group job at each party, 87 % of it on the
 * one load of the slot (BENCHMARKS.md). A batch hashes each row's key as it
 * comes and asks the CPU for its slot at once; when the batch is full it
 * looks the rows up (the slots are in the cache by then), asks for their
 * cells' sums and counts, and only then adds. The misses of a batch overlap
 * instead of following one another.
 *
 * Only integer sums and counts are batched: adding them in another order
 * gives the same result. Rows are still looked up in the order they came,
 * so the first key outside the domain is the one an error names, as
 * without batches, and every job of an Agg node first adds the node's batches
 * (smpc_group_flush_node), so that error still comes before anything is
 * sent. A key longer than SMPC_ROW_BATCH_KEY bytes is not
 * copied: the caller adds the batch and then that row on its own. A batch
 * judges keys outside the domain by the smpc.outside_domain its rows came
 * under, as each row was judged without batches: a row that comes under
 * another value (a function called per row changed it) is added after the
 * batch is.
 */
#include "pg/aggregates/aggregates.h"

bool
smpc_row_batch_add(SmpcRowBatch *batch, const SmpcDomain *domain, text *key, int64 value)
{
	int i = batch->n;

	Assert(i < SMPC_ROW_BATCH);
	Assert(i == 0 || batch->outside == smpc_outside_domain);
	if (key == NULL)
	{
		batch->len[i] = -1;
		batch->hash[i] = 0;
	}
	else
	{
		const char *data = VARDATA_ANY(key);
		int			len = VARSIZE_ANY_EXHDR(key);

		if (len > SMPC_ROW_BATCH_KEY)
			return false;
		memcpy(batch->key[i], data, len);
		batch->len[i] = len;
		batch->hash[i] = smpc_domain_hash(data, len);
		smpc_domain_prefetch(domain, batch->hash[i]);
	}
	batch->value[i] = value;
	batch->outside = smpc_outside_domain;
	batch->n = i + 1;
	return true;
}

void
smpc_row_batch_lookup(SmpcRowBatch *batch, const SmpcDomain *domain, int64 *dropped)
{
	for (int i = 0; i < batch->n; i++)
		batch->cell[i] = smpc_domain_cell_hashed(domain, batch->hash[i],
												 batch->len[i] < 0 ? NULL : batch->key[i],
												 Max(batch->len[i], 0), batch->outside, dropped);
}
