/*
 * smpc_share() and smpc_reconstruct(): secret sharing of single values as
 * SQL functions (text shares, see crypto/share_text.hpp).
 */
#include "pg/aggregates/aggregates.h"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"

PGDLLEXPORT Datum smpc_share_numeric(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_share_int8(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_reconstruct(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(smpc_share_numeric);
PG_FUNCTION_INFO_V1(smpc_share_int8);
PG_FUNCTION_INFO_V1(smpc_reconstruct);
}

/* Checks the arguments common to both smpc_share variants. */
static void
smpc_share_args(FunctionCallInfo fcinfo, int *parties, int *threshold)
{
	for (int i = 0; i < PG_NARGS(); i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR, errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					errmsg("smpc_share arguments must not be NULL"));
	*parties = PG_GETARG_INT32(1);
	*threshold = PG_NARGS() > 2 ? PG_GETARG_INT32(2) : 0;
	if (*parties < 2 || *parties > 1024)
		ereport(ERROR, errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("parties must be between 2 and 1024, not %d", *parties));
	if (PG_NARGS() > 2 && (*threshold < 2 || *threshold > *parties))
		ereport(
			ERROR, errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			errmsg("threshold must be between 2 and the number of parties (%d), not %d", *parties,
				   *threshold),
			*threshold == 1
				? errdetail("With threshold 1 every share would be the value itself.")
				: errdetail("Any threshold shares reconstruct the value; fewer reveal nothing."),
			errhint("Give a threshold from 2 to %d, or none for additive shares that need all %d.",
					*parties, *parties));
}

/* Shares as a text[] result. */
static Datum
smpc_shares_result(__int128 scaled, int scale, int parties, int threshold)
{
	char	 **shares;
	SmpcStatus st;
	Datum	  *elems;
	ArrayType *arr;

	if (!smpc_share_value(scaled, scale, parties, threshold, &shares, &st))
		smpc_raise_status(&st);
	elems = (Datum *) palloc(sizeof(Datum) * parties);
	for (int i = 0; i < parties; i++)
	{
		elems[i] = CStringGetTextDatum(shares[i]);
		explicit_bzero(shares[i], strlen(shares[i])); /* (the result is the caller's copy) */
	}
	smpc_free_strings(shares, parties);
	arr = construct_array(elems, parties, TEXTOID, -1, false, TYPALIGN_INT);
	PG_RETURN_ARRAYTYPE_P(arr);
}

Datum
smpc_share_int8(PG_FUNCTION_ARGS)
{
	int parties, threshold;

	smpc_share_args(fcinfo, &parties, &threshold);
	return smpc_shares_result(PG_GETARG_INT64(0), 0, parties, threshold);
}

Datum
smpc_share_numeric(PG_FUNCTION_ARGS)
{
	int			parties, threshold;
	Numeric		num;
	char	   *text;
	const char *dot;
	int			scale;
	__int128	scaled;

	smpc_share_args(fcinfo, &parties, &threshold);
	num = PG_GETARG_NUMERIC(0);
	if (numeric_is_nan(num) || numeric_is_inf(num))
		ereport(ERROR, errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				errmsg("cannot share NaN or infinity"));
	text = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(num)));
	dot = strchr(text, '.');
	scale = dot ? (int) strlen(dot + 1) : 0;
	if (scale > 30 || !smpc_parse_scaled(text, scale, &scaled))
		ereport(ERROR, errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				errmsg("value does not fit the field"),
				errdetail("Shared values must have at most 30 fractional digits and fit, scaled, "
						  "in about 37 decimal digits."));
	return smpc_shares_result(scaled, scale, parties, threshold);
}

Datum
smpc_reconstruct(PG_FUNCTION_ARGS)
{
	ArrayType	*arr;
	Datum		*elems;
	bool		*nulls;
	int			 n;
	const char **texts;
	__int128	 value;
	int			 scale;
	SmpcStatus	 st;
	bool		 ok;
	char		 buf[64];

	if (PG_ARGISNULL(0))
		ereport(ERROR, errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("shares must not be NULL"));
	arr = PG_GETARG_ARRAYTYPE_P(0);
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	if (n == 0)
		ereport(ERROR, errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("no shares given"));
	texts = (const char **) palloc(sizeof(char *) * n);
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR, errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					errmsg("share %d is NULL", i + 1));
		texts[i] = TextDatumGetCString(elems[i]);
	}
	ok = smpc_reconstruct_value(texts, n, &value, &scale, &st);
	for (int i = 0; i < n; i++)
		explicit_bzero((char *) texts[i], strlen(texts[i]));
	if (!ok)
	{
		/* (Errors about the shares themselves: what they must be.) */
		if (st.kind == SMPC_INVALID_ARGUMENT && st.hint[0] == '\0')
			strlcpy(st.hint,
					"Pass the shares smpc_share() returned for one value, unchanged: all of "
					"them for additive shares, at least threshold of them for Shamir shares.",
					sizeof st.hint);
		smpc_raise_status(&st);
	}
	smpc_format_scaled(value, scale, buf, sizeof buf);
	PG_RETURN_DATUM(DirectFunctionCall3(numeric_in, CStringGetDatum(buf),
										ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
}
