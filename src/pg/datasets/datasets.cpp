/*
 * Published datasets (smpc.datasets): what a partner may ask this party to
 * compute, and this party's side of such a job.
 *
 * A publication names the query that yields the rows, the columns that may
 * be aggregated and with which aggregates, the partners that may start jobs
 * and the role the jobs run as here. A partner's request only ever names a
 * dataset, a column and an aggregate; the SQL run here is built from the
 * publication alone: the aggregate over a published column (quoted) of the
 * published query, so nothing unpublished can be reached from outside.
 */
#include "pg/datasets/datasets.h"
#include "pg/aggregates/aggregates.h"
#include "net/peer.h"

extern "C" {
#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

PGDLLEXPORT Datum smpc_publish(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(smpc_publish);
}

/* The elements of a text[] as a List of C strings (NULL elements skipped). */
static List *
smpc_text_list(ArrayType *arr)
{
	Datum *elems;
	bool  *nulls;
	int	   n;
	List  *out = NIL;

	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
		if (!nulls[i])
			out = lappend(out, TextDatumGetCString(elems[i]));
	return out;
}

static bool
smpc_list_has(const List *list, const char *s)
{
	ListCell *lc;

	foreach (lc, list)
		if (strcmp((const char *) lfirst(lc), s) == 0)
			return true;
	return false;
}

/* "a, b, c" */
static char *
smpc_list_text(const List *list)
{
	StringInfoData buf;
	ListCell	  *lc;

	initStringInfo(&buf);
	foreach (lc, list)
		appendStringInfo(&buf, "%s%s", buf.len ? ", " : "", (const char *) lfirst(lc));
	return buf.data;
}

/*
 * The publication of dataset `name` in federation fed, allocated in the
 * caller's context; NULL when it is not published.
 */
SmpcDataset *
smpc_dataset_load(const SmpcFederationRow *fed, const char *name)
{
	MemoryContext	 callercxt = CurrentMemoryContext;
	SmpcDataset		*ds = NULL;
	SmpcOwnerContext owner;
	Oid				 argtypes[2] = {TEXTOID, TEXTOID};
	Datum			 args[2];

	args[0] = CStringGetTextDatum(fed->name);
	args[1] = CStringGetTextDatum(name);
	smpc_begin_as_owner(&owner);
	SPI_connect();
	SPI_execute_with_args("SELECT query, columns, aggregates, starters, run_as::oid, "
						  "search_path, require_bounds, column_kinds "
						  "FROM smpc.datasets WHERE federation = $1 AND name = $2",
						  2, argtypes, args, NULL, true, 1);
	if (SPI_processed == 1)
	{
		HeapTuple	  tup = SPI_tuptable->vals[0];
		TupleDesc	  desc = SPI_tuptable->tupdesc;
		bool		  isnull;
		Datum		  query = SPI_getbinval(tup, desc, 1, &isnull);
		bool		  no_query = isnull;
		Datum		  columns = SPI_getbinval(tup, desc, 2, &isnull);
		Datum		  aggregates = SPI_getbinval(tup, desc, 3, &isnull);
		Datum		  starters = SPI_getbinval(tup, desc, 4, &isnull);
		bool		  all_starters = isnull;
		Oid			  run_as = DatumGetObjectId(SPI_getbinval(tup, desc, 5, &isnull));
		Datum		  search_path = SPI_getbinval(tup, desc, 6, &isnull);
		bool		  require_bounds = DatumGetBool(SPI_getbinval(tup, desc, 7, &isnull));
		Datum		  kinds = SPI_getbinval(tup, desc, 8, &isnull);
		MemoryContext spicxt = MemoryContextSwitchTo(callercxt);

		ds = (SmpcDataset *) palloc0(sizeof(SmpcDataset));
		ds->federation = pstrdup(fed->name);
		ds->name = pstrdup(name);
		ds->query = no_query ? NULL : TextDatumGetCString(query);
		ds->columns = smpc_text_list(DatumGetArrayTypeP(columns));
		ds->column_kinds = smpc_text_list(DatumGetArrayTypeP(kinds));
		ds->aggregates = smpc_text_list(DatumGetArrayTypeP(aggregates));
		ds->all_starters = all_starters;
		ds->starters = all_starters ? NIL : smpc_text_list(DatumGetArrayTypeP(starters));
		ds->run_as = run_as;
		ds->search_path = TextDatumGetCString(search_path);
		ds->require_bounds = require_bounds;
		MemoryContextSwitchTo(spicxt);
	}
	SPI_finish();
	smpc_end_as_owner(&owner);
	return ds;
}

/*
 * Refuses (SM006) a job on dataset ds unless its publication allows
 * `aggregate` of `column` started by party `starter` (NULL: a session of
 * this party). The messages name only what was asked and what is published.
 */
void
smpc_dataset_admit(const SmpcFederationRow *fed, const SmpcDataset *ds, const char *aggregate,
				   const char *column, const char *starter)
{
	if (starter != NULL && !ds->all_starters && !smpc_list_has(ds->starters, starter))
		ereport(ERROR, errcode(ERRCODE_SMPC_POLICY_REFUSED),
				errmsg("party \"%s\" may not start jobs on dataset \"%s\" at party \"%s\"", starter,
					   ds->name, fed->self_name),
				errhint("The admin of party \"%s\" names the partners that may with "
						"smpc.publish(..., starters => ...).",
						fed->self_name));
	if (!smpc_list_has(ds->columns, column))
		ereport(ERROR, errcode(ERRCODE_SMPC_POLICY_REFUSED),
				errmsg("dataset \"%s\" at party \"%s\" does not publish column \"%s\"", ds->name,
					   fed->self_name, column),
				errdetail("Published columns: %s.", smpc_list_text(ds->columns)));
	if (!smpc_list_has(ds->aggregates, aggregate))
		ereport(ERROR, errcode(ERRCODE_SMPC_POLICY_REFUSED),
				errmsg("dataset \"%s\" at party \"%s\" does not allow %s", ds->name, fed->self_name,
					   aggregate),
				errdetail("Allowed aggregates: %s.", smpc_list_text(ds->aggregates)));
	if (ds->require_bounds && smpc_dataset_aggregate(aggregate) != SMPC_AGG_COUNT)
	{
		SmpcBounds b;

		smpc_bounds_for_column(fed, column, false, &b);
		if (!b.present)
			ereport(ERROR, errcode(ERRCODE_SMPC_POLICY_REFUSED),
					errmsg("dataset \"%s\" at party \"%s\" requires bounds for column \"%s\", and "
						   "none are declared there",
						   ds->name, fed->self_name, column),
					errhint("Its admin declares them with smpc.set_bounds('%s', '%s', lo, hi).",
							fed->name, column));
	}
}

SmpcAggregate
smpc_dataset_aggregate(const char *name)
{
	SmpcAggregate agg = smpc_aggregate_parse(name);

	return agg == SMPC_AGG_SUM || agg == SMPC_AGG_COUNT || agg == SMPC_AGG_AVG ? agg
																			   : SMPC_AGG_NONE;
}

/*
 * How the values of a published column are encoded, as found when it was
 * published: "integer", "numeric", "float8", or "other" (counts only); for
 * count, "any". Read from the publication: a partner's request is checked
 * without running the dataset's query in the partner's session.
 */
static const char *
smpc_dataset_column_kind(const SmpcDataset *ds, const char *column, const char *aggregate)
{
	ListCell *c;
	ListCell *k;

	if (smpc_dataset_aggregate(aggregate) == SMPC_AGG_COUNT)
		return "any";
	forboth(c, ds->columns, k, ds->column_kinds) if (strcmp((const char *) lfirst(c), column) ==
													 0) return (const char *) lfirst(k);
	return "other";
}

/*
 * The publication a partner's job on dataset `name` runs under, checked as
 * smpc_dataset_admit does for party `starter`, and the column's kind against
 * the initiator's value_class: from the stored publication, or (from_query)
 * from the query as the current role runs it. *out is set as soon as the
 * publication is loaded, so a caller can audit a refusal under its role.
 */
SmpcDataset *
smpc_dataset_for_partner(const SmpcFederationRow *fed, const char *name, const char *aggregate,
						 const char *column, const char *value_class, const char *starter,
						 bool from_query, SmpcDataset **out)
{
	SmpcDataset *ds = *out = smpc_dataset_load(fed, name);
	const char	*here;

	if (ds == NULL)
		ereport(
			ERROR, errcode(ERRCODE_SMPC_POLICY_REFUSED),
			errmsg("dataset \"%s\" is not published to federation \"%s\" at party \"%s\"", name,
				   fed->name, fed->self_name),
			errhint("Its admin publishes it with smpc.publish('%s', '%s', ...).", fed->name, name));
	smpc_dataset_admit(fed, ds, aggregate, column, starter);
	if (ds->query == NULL)
		return ds;
	here = from_query ? smpc_dataset_value_class(ds, column, aggregate, InvalidOid)
					  : smpc_dataset_column_kind(ds, column, aggregate);
	if (strcmp(here, value_class) != 0)
		ereport(ERROR, errcode(ERRCODE_SMPC_POLICY_MISMATCH),
				errmsg("column \"%s\" of dataset \"%s\" holds %s values at party \"%s\", but %s "
					   "values at party \"%s\"",
					   column, ds->name, here, fed->self_name, value_class, starter),
				errhint("Every party's query must give the column the same kind of type (integers, "
						"numeric or double precision)."));
	return ds;
}

/*
 * The dataset's query runs as role `as_role` (InvalidOid: the current role)
 * with the dataset's search_path, as a security-restricted operation (no
 * temporary objects, no SET ROLE), in federation ds->federation, until
 * smpc_end_as_owner(ctx) (which restores what it saved).
 */
static void
smpc_dataset_begin(const SmpcDataset *ds, Oid as_role, SmpcOwnerContext *ctx)
{
	GetUserIdAndSecContext(&ctx->save_userid, &ctx->save_sec);
	SetUserIdAndSecContext(OidIsValid(as_role) ? as_role : ctx->save_userid,
						   ctx->save_sec | SECURITY_LOCAL_USERID_CHANGE |
							   SECURITY_RESTRICTED_OPERATION);
	ctx->nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", ds->search_path, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("smpc.federation", ds->federation, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
}

/*
 * The value class ("integer", "numeric", "float8"; "any" for count) of
 * column `column` of the dataset's query, as role as_role sees it; with
 * aggregate "any", the column's kind ("other" for a type sums do not take)
 * (InvalidOid: the current role); NULL at a party that publishes no query.
 * Errors when the role may not read the query or the column is missing or
 * of a type the aggregate does not take.
 */
const char *
smpc_dataset_value_class(const SmpcDataset *ds, const char *column, const char *aggregate,
						 Oid as_role)
{
	SmpcOwnerContext ctx;
	Oid				 type;
	const char		*value_class;

	if (ds->query == NULL)
		return NULL;
	smpc_dataset_begin(ds, as_role, &ctx);
	SPI_connect();
	if (SPI_execute(
			psprintf("SELECT d.%s FROM (%s\n) AS d LIMIT 0", quote_identifier(column), ds->query),
			true, 0) != SPI_OK_SELECT)
		ereport(ERROR, errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("the query of dataset \"%s\" is not a SELECT", ds->name));
	type = SPI_gettypeid(SPI_tuptable->tupdesc, 1);
	SPI_finish();
	smpc_end_as_owner(&ctx);
	if (smpc_dataset_aggregate(aggregate) == SMPC_AGG_COUNT)
		return "any";
	value_class = smpc_value_class_name(smpc_value_class_of(type));
	if (value_class == NULL && strcmp(aggregate, "any") == 0)
		return "other";
	if (value_class == NULL)
		ereport(ERROR, errcode(ERRCODE_DATATYPE_MISMATCH),
				errmsg("column \"%s\" of dataset \"%s\" is of type %s, which %s does not take",
					   column, ds->name, format_type_be(type), aggregate),
				errhint("Sums and averages take smallint, integer, bigint, numeric or double "
						"precision; cast the column in the dataset's query."));
	return value_class;
}

/* The SQL type a non-input party joins a job of value class `value_class` with. */
static const char *
smpc_join_type_of(const char *value_class)
{
	switch (smpc_value_class_parse(value_class))
	{
		case SMPC_VALUE_NUMERIC:
			return "numeric";
		case SMPC_VALUE_FLOAT8:
			return "double precision";
		default:
			return "bigint"; /* integer, and "any" for count */
	}
}

/*
 * Runs this party's side of job job_id on dataset ds: the aggregate over
 * the column of its query, or, at a party without a query, smpc_join. Runs
 * as the current role, in federation ds->federation. Returns the joint
 * value as numeric (in the caller's context), *isnull where this party
 * learns none.
 */
Datum
smpc_dataset_run(const SmpcDataset *ds, const char *aggregate, const char *column,
				 const char *value_class, const char *job_id, bool *isnull)
{
	MemoryContext	 callercxt = CurrentMemoryContext;
	SmpcOwnerContext ctx;
	const char		*schema;
	char			*sql;
	Datum			 value;
	SmpcJobContext	*jctx = smpc_job_context();

	if (smpc_dataset_aggregate(aggregate) == SMPC_AGG_NONE)
		elog(ERROR, "unexpected smpc aggregate \"%s\"", aggregate);
	/* The aggregates are in the extension's schema, whatever the search_path. */
	SPI_connect();
	SPI_execute("SELECT n.nspname FROM pg_catalog.pg_extension e "
				"JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'smpc'",
				true, 1);
	if (SPI_processed != 1)
		elog(ERROR, "extension smpc is not installed");
	schema = MemoryContextStrdup(
		callercxt, quote_identifier(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1)));
	SPI_finish();

	if (ds->query != NULL)
		sql = psprintf("SELECT %s.smpc_%s(d.%s, %s)::numeric FROM (%s\n) AS d", schema, aggregate,
					   quote_identifier(column), quote_literal_cstr(job_id), ds->query);
	else
		sql = psprintf("SELECT %s.smpc_join(%s, %s::regtype, %s, %s)", schema,
					   quote_literal_cstr(aggregate),
					   quote_literal_cstr(smpc_join_type_of(value_class)),
					   quote_literal_cstr(job_id), quote_literal_cstr(column));
	smpc_dataset_begin(ds, InvalidOid, &ctx);
	/* Names the job after the dataset and column (jobs/job_runner.cpp). */
	jctx->dataset = psprintf("%s.%s", ds->name, column);
	PG_TRY();
	{
		SPI_connect();
		if (SPI_execute(sql, false, 0) != SPI_OK_SELECT || SPI_processed != 1)
			ereport(ERROR, errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("the query of dataset \"%s\" is not a SELECT", ds->name));
		value = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, isnull);
		if (!*isnull)
		{
			MemoryContext spicxt = MemoryContextSwitchTo(callercxt);

			value = datumCopy(value, false, -1);
			MemoryContextSwitchTo(spicxt);
		}
		SPI_finish();
	}
	PG_FINALLY();
	{
		jctx->dataset = NULL;
	}
	PG_END_TRY();
	smpc_end_as_owner(&ctx);
	return value;
}

/* Checks a dataset or column name: 1 to 63 bytes, no control characters. */
static void
smpc_check_dataset_name(const char *name, const char *what)
{
	size_t len = strlen(name);

	if (len == 0 || len > 63)
		ereport(ERROR, errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("%s must have 1 to 63 bytes", what));
	for (const char *p = name; *p; p++)
		if ((unsigned char) *p < 0x20 || *p == 0x7f)
			ereport(ERROR, errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("%s must not contain control characters", what));
}

/* The non-NULL elements of a text[] argument; errors on NULL elements or an empty array. */
static List *
smpc_arg_list(FunctionCallInfo fcinfo, int arg, const char *what, bool allow_empty)
{
	ArrayType *arr = PG_GETARG_ARRAYTYPE_P(arg);

	if (array_contains_nulls(arr))
		ereport(ERROR, errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("%s must not contain NULL", what));
	if (!allow_empty && ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr)) == 0)
		ereport(ERROR, errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("%s must not be empty", what));
	return smpc_text_list(arr);
}

/*
 * smpc.publish(federation, dataset, query, columns, aggregates, starters,
 * run_as, require_bounds): checks everything a partner's job will need
 * (the role may log in, read the query and receive results; the columns
 * exist and have types the aggregates take) and stores the publication,
 * replacing an earlier one of the same name.
 */
Datum
smpc_publish(PG_FUNCTION_ARGS)
{
	char			  *federation;
	char			  *name;
	List			  *columns;
	List			  *aggregates;
	List			  *starters = NIL;
	List			  *kinds = NIL;
	Oid				   run_as;
	Oid				   caller = GetUserId();
	SmpcFederationRow *fed;
	SmpcDataset		   ds;
	HeapTuple		   roletup;
	bool			   can_login;
	ListCell		  *lc;
	SmpcOwnerContext   owner;
	Oid	  argtypes[11] = {TEXTOID, TEXTOID, TEXTOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
						  OIDOID,  TEXTOID, BOOLOID, TEXTARRAYOID, NAMEOID};
	Datum args[11];
	char  nulls[11] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};

	for (int i = 0; i < 8; i++)
		if (PG_ARGISNULL(i) && i != 2 && i != 5 && i != 6)
			ereport(ERROR, errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					errmsg("only query, starters and run_as of smpc.publish may be NULL"));
	if (!superuser() && !has_privs_of_role(caller, get_role_oid("smpc_admin", false)))
		ereport(ERROR, errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				errmsg("permission denied to publish datasets"),
				errhint("Only superusers and members of smpc_admin may."));
	federation = text_to_cstring(PG_GETARG_TEXT_PP(0));
	name = text_to_cstring(PG_GETARG_TEXT_PP(1));
	fed = smpc_load_federation(federation, false);
	smpc_check_dataset_name(name, "dataset name");
	columns = smpc_arg_list(fcinfo, 3, "columns", false);
	aggregates = smpc_arg_list(fcinfo, 4, "aggregates", false);
	foreach (lc, columns)
		smpc_check_dataset_name((const char *) lfirst(lc), "column name");
	foreach (lc, aggregates)
	{
		const char *a = (const char *) lfirst(lc);

		if (smpc_dataset_aggregate(a) == SMPC_AGG_NONE)
			ereport(ERROR, errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("aggregates must be sum, count or avg, not \"%s\"", a));
	}
	if (!PG_ARGISNULL(5))
	{
		starters = smpc_arg_list(fcinfo, 5, "starters", true);
		foreach (lc, starters)
		{
			const char *p = (const char *) lfirst(lc);
			bool		known = false;

			for (int i = 0; i < fed->nparties; i++)
				known = known || (i != fed->self && strcmp(fed->parties[i], p) == 0);
			if (!known)
				ereport(
					ERROR, errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("starter \"%s\" is not a partner in federation \"%s\"", p, federation));
		}
	}
	if (PG_ARGISNULL(2) && smpc_party_is_input(fed, fed->self))
		ereport(
			ERROR, errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			errmsg("party \"%s\" supplies an input in federation \"%s\": its dataset needs a query",
				   fed->self_name, federation));
	if (!PG_ARGISNULL(2) && !smpc_party_is_input(fed, fed->self))
		ereport(ERROR, errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("party \"%s\" supplies no input in federation \"%s\": publish its dataset "
					   "without a query",
					   fed->self_name, federation),
				errdetail("It takes part in jobs on the dataset by computing or receiving only."));

	/* The role partners' jobs run as: one the caller may act as, that may log in. */
	run_as = PG_ARGISNULL(6) ? caller : PG_GETARG_OID(6);
	if (!has_privs_of_role(caller, run_as))
		ereport(ERROR, errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				errmsg("permission denied to publish a dataset that runs as role \"%s\"",
					   GetUserNameFromId(run_as, false)),
				errdetail("Only roles whose privileges the caller has may be named."));
	roletup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(run_as));
	if (!HeapTupleIsValid(roletup))
		elog(ERROR, "cache lookup failed for role %u", run_as);
	can_login = ((Form_pg_authid) GETSTRUCT(roletup))->rolcanlogin;
	ReleaseSysCache(roletup);
	if (!can_login)
		ereport(
			ERROR, errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			errmsg("role \"%s\" cannot run partners' jobs: it does not have the LOGIN attribute",
				   GetUserNameFromId(run_as, false)),
			errdetail("Partners' jobs run in background workers that log in as this role."),
			errhint(
				"ALTER ROLE %s LOGIN; it needs no password, and pg_hba.conf may reject its logins.",
				quote_identifier(GetUserNameFromId(run_as, false))));

	/* What a job will run, tried now as run_as: the query, each column's type. */
	memset(&ds, 0, sizeof ds);
	ds.federation = federation;
	ds.name = name;
	ds.query = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	if (ds.query != NULL)
	{
		List *parsed = raw_parser(ds.query, RAW_PARSE_DEFAULT);

		if (list_length(parsed) != 1 || !IsA(((RawStmt *) linitial(parsed))->stmt, SelectStmt))
			ereport(ERROR, errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("the query of dataset \"%s\" must be one SELECT statement", name),
					errhint("For a table or view, publish 'SELECT * FROM name'."));
	}
	ds.search_path = GetConfigOptionByName("search_path", NULL, false);
	foreach (lc, columns)
	{
		const char *column = (const char *) lfirst(lc);
		bool		sums = smpc_list_has(aggregates, "sum") || smpc_list_has(aggregates, "avg");
		const char *kind =
			ds.query == NULL ? "other"
							 : smpc_dataset_value_class(&ds, column, sums ? "sum" : "any", run_as);

		kinds = lappend(kinds, (void *) kind);
	}
	if (superuser_arg(run_as))
		ereport(WARNING,
				errmsg("partners' jobs on dataset \"%s\" run as superuser \"%s\"", name,
					   GetUserNameFromId(run_as, false)),
				errhint("Name a role with only the rights the query needs: run_as => role."));
	smpc_check_result_grant_as(fed, run_as);

	args[0] = CStringGetTextDatum(federation);
	args[1] = CStringGetTextDatum(name);
	args[2] = ds.query ? CStringGetTextDatum(ds.query) : (Datum) 0;
	nulls[2] = ds.query ? ' ' : 'n';
	args[3] = PG_GETARG_DATUM(3);
	args[4] = PG_GETARG_DATUM(4);
	args[5] = PG_ARGISNULL(5) ? (Datum) 0 : PG_GETARG_DATUM(5);
	nulls[5] = PG_ARGISNULL(5) ? 'n' : ' ';
	args[6] = ObjectIdGetDatum(run_as);
	args[7] = CStringGetTextDatum(ds.search_path);
	args[8] = BoolGetDatum(PG_GETARG_BOOL(7));
	{
		Datum *elems = (Datum *) palloc(sizeof(Datum) * list_length(kinds));
		int	   n = 0;

		foreach (lc, kinds)
			elems[n++] = CStringGetTextDatum((const char *) lfirst(lc));
		args[9] = PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
	}
	args[10] = DirectFunctionCall1(namein, CStringGetDatum(GetUserNameFromId(caller, false)));
	smpc_begin_as_owner(&owner);
	SPI_connect();
	if (SPI_execute_with_args(
			"INSERT INTO smpc.datasets AS d (federation, name, query, columns, "
			"aggregates, starters, run_as, search_path, require_bounds, "
			"column_kinds, published_by) "
			"VALUES ($1, $2, $3, $4, $5, $6, $7::regrole, $8, $9, $10, $11) "
			"ON CONFLICT (federation, name) DO UPDATE SET query = excluded.query, "
			"columns = excluded.columns, column_kinds = excluded.column_kinds, "
			"aggregates = excluded.aggregates, "
			"starters = excluded.starters, run_as = excluded.run_as, "
			"search_path = excluded.search_path, "
			"require_bounds = excluded.require_bounds, "
			"published_by = excluded.published_by, published_at = now()",
			11, argtypes, args, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not store the publication of dataset \"%s\"", name);
	SPI_finish();
	smpc_end_as_owner(&owner);
	PG_RETURN_VOID();
}
