/*
 * The names of aggregates and value classes (common.h): the text SQL and
 * job descriptors use, which must not change, for the enums the glue
 * passes around.
 */
#include "pg/common/common.h"

/* In the order of the enums. */
static const char *const smpc_aggregate_names[] = {
	NULL,
	"sum",
	"count",
	"avg",
	"variance",
	"histogram",
	"intersect_count",
	"overlap_count",
	"union_count",
	"intersect_count_by",
	"overlap_count_by",
	"union_count_by",
	"intersect_sum",
	"intersect_avg",
	"overlap_matrix",
	"intersect_sum_by",
	"intersect_avg_by",
};

static const char *const smpc_value_class_names[] = {
	NULL, "integer", "numeric", "float8", "any", "text", "bytea", "uuid",
};

/* The index of name in names[1..n), or 0 (the enums' NONE). */
static int
smpc_name_index(const char *const *names, int n, const char *name)
{
	for (int i = 1; name != NULL && i < n; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return 0;
}

/* "sum", ...; NULL for SMPC_AGG_NONE. */
const char *
smpc_aggregate_name(SmpcAggregate agg)
{
	return (int) agg >= 0 && agg < lengthof(smpc_aggregate_names) ? smpc_aggregate_names[agg]
																  : NULL;
}

/* The aggregate named name, or SMPC_AGG_NONE. */
SmpcAggregate
smpc_aggregate_parse(const char *name)
{
	return (SmpcAggregate) smpc_name_index(smpc_aggregate_names, lengthof(smpc_aggregate_names),
										   name);
}

/* "integer", ...; NULL for SMPC_VALUE_NONE. */
const char *
smpc_value_class_name(SmpcValueClass vc)
{
	return (int) vc >= 0 && vc < lengthof(smpc_value_class_names) ? smpc_value_class_names[vc]
																  : NULL;
}

/* The value class named name, or SMPC_VALUE_NONE. */
SmpcValueClass
smpc_value_class_parse(const char *name)
{
	return (SmpcValueClass) smpc_name_index(smpc_value_class_names,
											lengthof(smpc_value_class_names), name);
}
