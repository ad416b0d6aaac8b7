/*
 * smpc_normalize_key: the canonical form of a join key that parties agree
 * on to link inexact records, and how a set job learns which form a party
 * used (smpc_key_normalization), so that parties that normalised
 * differently fail with a mismatch instead of an overlap that is silently
 * too small.
 *
 * Steps, each applied at most once and always in this order whatever the
 * order of the options: nfkc, trim, lower, then at most one of alnum,
 * digits, soundex, date_ymd, date_dmy and date_mdy. The order is fixed so
 * that the option list, sorted into it, names the function exactly: two
 * parties whose descriptors show the same list computed the same thing.
 */
#include "pg/aggregates/aggregates.h"

extern "C" {
#include "catalog/pg_collation.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"

PGDLLEXPORT Datum smpc_normalize_key(PG_FUNCTION_ARGS);

PG_FUNCTION_INFO_V1(smpc_normalize_key);
}

/* The options, in the order they are applied; from "alnum" on, one at most (a form). */
static const char *const smpc_normalize_steps[] = {
	"nfkc", "trim", "lower", "alnum", "digits", "soundex", "date_ymd", "date_dmy", "date_mdy"};
#define SMPC_FIRST_FORM 3
#define SMPC_NORMALIZE_HINT                                                                   \
	"Options are nfkc, trim and lower, and at most one of alnum, digits, soundex, date_ymd, " \
	"date_dmy and date_mdy, separated by commas."

/* The canonical option list of smpc_normalize_key, e.g. "nfkc,trim,lower". */
const char *
smpc_normalize_options(const char *options)
{
	bool		   on[lengthof(smpc_normalize_steps)] = {false};
	char		  *copy = pstrdup(options);
	char		  *tok;
	char		  *save = NULL;
	const char	  *form = NULL;
	StringInfoData out;

	for (tok = strtok_r(copy, ", ", &save); tok != NULL; tok = strtok_r(NULL, ", ", &save))
	{
		size_t i;

		for (i = 0; i < lengthof(smpc_normalize_steps); i++)
			if (pg_strcasecmp(tok, smpc_normalize_steps[i]) == 0)
				break;
		if (i == lengthof(smpc_normalize_steps))
			ereport(ERROR, errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("unknown smpc_normalize_key option \"%s\"", tok),
					errhint(SMPC_NORMALIZE_HINT));
		if (i >= SMPC_FIRST_FORM && form != NULL && strcmp(form, smpc_normalize_steps[i]) != 0)
			ereport(ERROR, errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("smpc_normalize_key options \"%s\" and \"%s\" exclude each other", form,
						   smpc_normalize_steps[i]),
					errdetail("Each gives the key a different final form."),
					errhint(SMPC_NORMALIZE_HINT));
		if (i >= SMPC_FIRST_FORM)
			form = smpc_normalize_steps[i];
		on[i] = true;
	}
	initStringInfo(&out);
	for (size_t i = 0; i < lengthof(smpc_normalize_steps); i++)
		if (on[i])
			appendStringInfo(&out, "%s%s", out.len ? "," : "", smpc_normalize_steps[i]);
	if (out.len == 0)
		ereport(ERROR, errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("smpc_normalize_key needs at least one option"),
				errhint(SMPC_NORMALIZE_HINT));
	return out.data;
}

/*
 * The canonical options as a job names them: a date form is "date" whatever
 * field order it read. Parties whose records write dates differently (one
 * 03/04/2026, another 2026-04-03) read them each in their own order and
 * still produce the same keys, so that difference must not fail the job.
 */
static const char *
smpc_normalization_named(const char *canonical)
{
	const char	  *date = strstr(canonical, "date_");
	StringInfoData out;
	char		  *copy = pstrdup(canonical);
	char		  *save = NULL;
	bool		   form = date != NULL || strstr(canonical, "soundex") != NULL;

	/*
	 * Nor does trim before soundex or a date: both read words and numbers
	 * whatever the spaces between them, so keys agree with or without it.
	 */
	initStringInfo(&out);
	for (char *tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save))
	{
		if (form && strcmp(tok, "trim") == 0)
			continue;
		appendStringInfo(&out, "%s%s", out.len ? "," : "",
						 strncmp(tok, "date_", 5) == 0 ? "date" : tok);
	}
	return out.data;
}

/*
 * How the key argument was normalised, as the descriptor names it: the
 * options of an smpc_normalize_key call that is the whole key expression,
 * or NULL. Every party's choice is part of the job, so a party that
 * normalised differently (or not at all) fails the job with a mismatch
 * instead of silently shrinking the overlap.
 */
const char *
smpc_key_normalization(FunctionCallInfo fcinfo)
{
	Aggref	 *aggref = AggGetAggref(fcinfo);
	Expr	 *key;
	FuncExpr *call;
	Node	 *options;
	char	 *name;

	if (aggref == NULL || aggref->args == NIL)
		return NULL;
	key = ((TargetEntry *) linitial(aggref->args))->expr;
	while (key != NULL && IsA(key, RelabelType))
		key = ((RelabelType *) key)->arg;
	if (key == NULL || !IsA(key, FuncExpr))
		return NULL;
	call = (FuncExpr *) key;
	name = get_func_name(call->funcid);
	if (name == NULL || strcmp(name, "smpc_normalize_key") != 0 || list_length(call->args) != 2)
		return NULL;
	options = (Node *) lsecond(call->args);
	if (!IsA(options, Const) || ((Const *) options)->constisnull)
		ereport(ERROR, errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("the options of smpc_normalize_key must be a constant in a set job"),
				errdetail("They are part of the job, which every party must run alike."));
	return smpc_normalization_named(
		smpc_normalize_options(TextDatumGetCString(((Const *) options)->constvalue)));
}

/* Keeps the bytes keep() accepts, collapsing runs of whitespace when trim. */
static text *
smpc_filter_text(text *in, bool trim, int only)
{
	const char	  *p = VARDATA_ANY(in);
	int			   len = VARSIZE_ANY_EXHDR(in);
	StringInfoData out;
	bool		   space = false;

	initStringInfo(&out);
	for (int i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) p[i];
		bool ws = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';

		if (only == 'd' && !(c >= '0' && c <= '9'))
			continue;
		/* alnum: ASCII letters and digits, and every non-ASCII byte (letters of other scripts). */
		if (only == 'a' && c < 128 && !isalnum(c))
			continue;
		if (trim && ws)
		{
			space = out.len > 0;
			continue;
		}
		if (space)
			appendStringInfoChar(&out, ' ');
		space = false;
		appendStringInfoChar(&out, (char) c);
	}
	return cstring_to_text_with_len(out.data, out.len);
}

/*
 * The American Soundex digit of an ASCII letter: '0' for a vowel (a, e, i,
 * o, u, y: it separates two consonants of one digit), 0 for h and w (they
 * do not).
 */
static char
smpc_soundex_digit(char c)
{
	static const char digits[] = "01230120022455012623010202";

	c = (char) pg_ascii_tolower((unsigned char) c);
	if (c == 'h' || c == 'w')
		return 0;
	return digits[c - 'a'];
}

/*
 * soundex: the American Soundex code (as the US census defines it: a
 * letter and three digits) of every word, the words being the runs of
 * ASCII letters, joined by one space. "Robert Smith" and "rupert  smyth"
 * both give "R163 S530". NULL when the key has no ASCII letter: an empty
 * phonetic key would match every other empty one.
 */
static text *
smpc_soundex_text(text *in)
{
	const char	  *p = VARDATA_ANY(in);
	int			   len = VARSIZE_ANY_EXHDR(in);
	StringInfoData out;

	initStringInfo(&out);
	for (int i = 0; i < len;)
	{
		char code[5] = "0000";
		int	 n = 1;
		char last;

		if (!isalpha((unsigned char) p[i]) || (unsigned char) p[i] >= 128)
		{
			i++;
			continue;
		}
		code[0] = (char) pg_ascii_toupper((unsigned char) p[i]);
		last = smpc_soundex_digit(p[i]);
		for (i++; i < len && (unsigned char) p[i] < 128 && isalpha((unsigned char) p[i]); i++)
		{
			char d = smpc_soundex_digit(p[i]);

			if (d == 0)
				continue; /* h, w: the letters around them count as adjacent */
			if (d != '0' && d != last && n < 4)
				code[n++] = d;
			last = d;
		}
		appendStringInfo(&out, "%s%s", out.len ? " " : "", code);
	}
	if (out.len == 0)
		return NULL;
	return cstring_to_text_with_len(out.data, out.len);
}

/*
 * Whether a word of a date is a month name. (Not weekday names: a session's
 * timezone_abbreviations may make "sat" a time zone, which would make the
 * same text a date at one party and not at another.)
 */
static bool
smpc_month_word(const char *word)
{
	static const char *const names[] = {
		"jan",	"january",	 "feb",	 "february", "mar",	 "march",	 "apr",	   "april",
		"may",	"jun",		 "june", "jul",		 "july", "aug",		 "august", "sep",
		"sept", "september", "oct",	 "october",	 "nov",	 "november", "dec",	   "december"};

	for (size_t i = 0; i < lengthof(names); i++)
		if (pg_strcasecmp(word, names[i]) == 0)
			return true;
	return false;
}

/*
 * Whether the fields ParseDateTime found can only be a calendar date read
 * the same way at every party: one field written with separators
 * (2026-04-03, 03/04/2026, 3.4.2026, 03-Apr-2026), or up to three numbers
 * and month names (3 April 2026, Apr 3 2026, 3 4 2026); a run of five or
 * more digits (20260403) only alone and only year first (PostgreSQL reads
 * it as YYYYMMDD or YYMMDD whatever the order). Anything else (a time, a
 * zone, another word such as today or epoch) is not.
 */
static bool
smpc_date_fields_ok(char **field, const int *ftype, int nf, int order)
{
	if (nf < 1 || nf > 3)
		return false;
	for (int i = 0; i < nf; i++)
	{
		switch (ftype[i])
		{
			case DTK_DATE:
				if (nf != 1)
					return false;
				break;
			case DTK_NUMBER:
				if (strlen(field[i]) >= 5 && (nf != 1 || order != DATEORDER_YMD))
					return false;
				break;
			case DTK_STRING:
				if (!smpc_month_word(field[i]))
					return false;
				break;
			default:
				return false;
		}
	}
	return true;
}

/*
 * date_ymd, date_dmy, date_mdy: the date the text writes, in ISO form
 * (YYYY-MM-DD, years 1 to 9999), reading numeric dates in the option's
 * field order whatever the session's DateStyle (so "03/04/2026" is the same
 * date at every party; two-digit years as PostgreSQL reads them, 1970 to
 * 2069). The forms smpc_date_fields_ok takes; NULL for any other text
 * (set jobs leave NULL keys out and count them), never an error: a value
 * such as "n/a" in a date column must not stop a job.
 */
static text *
smpc_date_text(text *in, int order)
{
	char		*s = text_to_cstring(in);
	char		 workbuf[MAXDATELEN + 1];
	char		*field[MAXDATEFIELDS];
	int			 ftype[MAXDATEFIELDS];
	int			 nf;
	int			 dtype;
	struct pg_tm tm;
	fsec_t		 fsec = 0;
	int			 saved = DateOrder;
	volatile int err = 0;

	if (strlen(s) > MAXDATELEN)
		return NULL;
	if (ParseDateTime(s, workbuf, sizeof workbuf, field, ftype, MAXDATEFIELDS, &nf) != 0)
		return NULL;
	if (!smpc_date_fields_ok(field, ftype, nf, order))
		return NULL;
	memset(&tm, 0, sizeof tm);
	/*
	 * The field order of this call only, whatever DateStyle says. No time
	 * zone argument: DecodeDateTime then refuses a zone by its result
	 * instead of looking the name up (which raises an error for an unknown
	 * one).
	 */
	DateOrder = order;
	PG_TRY();
	{
		err = DecodeDateTime(field, ftype, nf, &dtype, &tm, &fsec, NULL);
	}
	PG_FINALLY();
	{
		DateOrder = saved;
	}
	PG_END_TRY();
	if (err != 0 || dtype != DTK_DATE || tm.tm_year < 1 || tm.tm_year > 9999 || tm.tm_hour != 0 ||
		tm.tm_min != 0 || tm.tm_sec != 0 || fsec != 0)
		return NULL;
	return cstring_to_text(psprintf("%04d-%02d-%02d", tm.tm_year, tm.tm_mon, tm.tm_mday));
}

/*
 * smpc_normalize_key(key text, options text): the canonical form of a key
 * for record linkage (see the file header for the order of the steps):
 * nfkc (Unicode NFKC; UTF-8 databases), trim (no leading or trailing
 * whitespace, inner runs as one space), lower (lower case under the
 * database's collation), alnum (ASCII letters and digits and non-ASCII
 * characters only), digits (ASCII digits only), soundex (a phonetic code
 * per word), date_ymd / date_dmy / date_mdy (an ISO date). NULL when a
 * phonetic or date form finds nothing to encode.
 */
Datum
smpc_normalize_key(PG_FUNCTION_ARGS)
{
	text	   *key = PG_GETARG_TEXT_PP(0);
	const char *steps = smpc_normalize_options(text_to_cstring(PG_GETARG_TEXT_PP(1)));
	char	   *copy = pstrdup(steps);
	char	   *save = NULL;

	for (char *tok = strtok_r(copy, ",", &save); tok != NULL && key != NULL;
		 tok = strtok_r(NULL, ",", &save))
	{
		if (strcmp(tok, "nfkc") == 0)
		{
			if (GetDatabaseEncoding() != PG_UTF8)
				ereport(ERROR, errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("smpc_normalize_key option \"nfkc\" needs a UTF8 database"));
			key = DatumGetTextPP(DirectFunctionCall2(unicode_normalize_func, PointerGetDatum(key),
													 CStringGetTextDatum("NFKC")));
		}
		else if (strcmp(tok, "trim") == 0)
			key = smpc_filter_text(key, true, 0);
		else if (strcmp(tok, "lower") == 0)
			key = DatumGetTextPP(
				DirectFunctionCall1Coll(lower, DEFAULT_COLLATION_OID, PointerGetDatum(key)));
		else if (strcmp(tok, "alnum") == 0)
			key = smpc_filter_text(key, false, 'a');
		else if (strcmp(tok, "digits") == 0)
			key = smpc_filter_text(key, false, 'd');
		else if (strcmp(tok, "soundex") == 0)
			key = smpc_soundex_text(key);
		else if (strcmp(tok, "date_ymd") == 0)
			key = smpc_date_text(key, DATEORDER_YMD);
		else if (strcmp(tok, "date_dmy") == 0)
			key = smpc_date_text(key, DATEORDER_DMY);
		else
			key = smpc_date_text(key, DATEORDER_MDY);
	}
	if (key == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(key);
}
