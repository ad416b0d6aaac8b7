/*
 * Reading and writing smpc's configuration tables (schema smpc) through SPI.
 *
 * Catalog access runs as the owner of schema smpc (the role that created the
 * extension), like a SECURITY DEFINER function would: analysts and peer
 * roles need no rights on the tables themselves.
 */
#include "pg/smpc_pg.h"

extern "C" {
#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

PGDLLEXPORT Datum smpc_create_federation(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_federation_fingerprint(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(smpc_create_federation);
PG_FUNCTION_INFO_V1(smpc_federation_fingerprint);
}

/* The role that owns schema smpc, i.e. installed the extension. */
Oid
smpc_schema_owner(void)
{
	Oid			nsp = get_namespace_oid("smpc", false);
	HeapTuple	tup = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nsp));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for schema %u", nsp);
	owner = ((Form_pg_namespace) GETSTRUCT(tup))->nspowner;
	ReleaseSysCache(tup);
	return owner;
}

/*
 * Switches to the schema owner for catalog access, with a safe search_path
 * (pg_catalog, pg_temp) so that no object of the caller's can be picked up
 * by our queries while they run with the owner's rights, and as a
 * security-restricted operation. An error in between is fine: transaction
 * abort restores the user id and the settings.
 */
void
smpc_begin_as_owner(SmpcOwnerContext *ctx)
{
	Oid			owner = smpc_schema_owner();

	GetUserIdAndSecContext(&ctx->save_userid, &ctx->save_sec);
	SetUserIdAndSecContext(owner, ctx->save_sec | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	ctx->nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
}

void
smpc_end_as_owner(const SmpcOwnerContext *ctx)
{
	AtEOXact_GUC(true, ctx->nestlevel);
	SetUserIdAndSecContext(ctx->save_userid, ctx->save_sec);
}

/*
 * Errors out unless the current role may run jobs of the federation and
 * receive their results: a superuser, a member of smpc_admin, or a member
 * of a role named by smpc.grant_results. Called before any partner is
 * contacted.
 */
void
smpc_check_result_grant(const SmpcFederationRow *fed)
{
	Oid			userid = GetUserId();
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	SmpcOwnerContext owner;
	bool		allowed = false;

	if (superuser() || has_privs_of_role(userid, get_role_oid("smpc_admin", false)))
		return;
	args[0] = CStringGetTextDatum(fed->name);
	smpc_begin_as_owner(&owner);
	SPI_connect();
	SPI_execute_with_args("SELECT role_name FROM smpc.result_grants WHERE federation = $1",
						  1, argtypes, args, NULL, true, 0);
	for (uint64 i = 0; i < SPI_processed && !allowed; i++)
	{
		char	   *role = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		Oid			roleid = get_role_oid(role, true);

		allowed = OidIsValid(roleid) && has_privs_of_role(userid, roleid);
	}
	SPI_finish();
	smpc_end_as_owner(&owner);
	if (!allowed)
		ereport(ERROR,
				errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				errmsg("permission denied to receive results of federation \"%s\"", fed->name),
				errdetail("No partner was contacted."),
				errhint("An smpc_admin can allow it with smpc.grant_results('%s', role).", fed->name));
}

/* Fills the core's view of a federation (pointers into row). */
void
smpc_federation_as_core(const SmpcFederationRow *row, SmpcFederation *out)
{
	out->name = row->name;
	out->parties = (const char *const *) row->parties;
	out->nparties = row->nparties;
	out->scale = row->scale;
	out->self = row->self;
}

/*
 * Loads one federation, allocated in the caller's memory context. With
 * missing_ok, a missing federation gives NULL instead of an error.
 */
SmpcFederationRow *
smpc_load_federation(const char *name, bool missing_ok)
{
	MemoryContext callercxt = CurrentMemoryContext;
	SmpcFederationRow *row = NULL;
	SmpcOwnerContext owner;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];

	args[0] = CStringGetTextDatum(name);
	smpc_begin_as_owner(&owner);
	SPI_connect();
	SPI_execute_with_args("SELECT self_name, parties, scale, min_parties, min_rows, "
						  "require_bounds FROM smpc.federations WHERE name = $1",
						  1, argtypes, args, NULL, true, 1);
	if (SPI_processed == 1)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		char	   *self_name = TextDatumGetCString(SPI_getbinval(tup, desc, 1, &isnull));
		ArrayType  *arr = DatumGetArrayTypeP(SPI_getbinval(tup, desc, 2, &isnull));
		int			scale = DatumGetInt32(SPI_getbinval(tup, desc, 3, &isnull));
		int			min_parties = DatumGetInt32(SPI_getbinval(tup, desc, 4, &isnull));
		int64		min_rows = DatumGetInt64(SPI_getbinval(tup, desc, 5, &isnull));
		bool		require_bounds = DatumGetBool(SPI_getbinval(tup, desc, 6, &isnull));
		Datum	   *elems;
		bool	   *nulls;
		int			nelems;
		MemoryContext spicxt;

		deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &nelems);
		spicxt = MemoryContextSwitchTo(callercxt);
		row = (SmpcFederationRow *) palloc0(sizeof(SmpcFederationRow));
		row->name = pstrdup(name);
		row->self_name = pstrdup(self_name);
		row->scale = scale;
		row->min_parties = min_parties;
		row->min_rows = min_rows;
		row->require_bounds = require_bounds;
		row->nparties = nelems;
		row->parties = (char **) palloc(sizeof(char *) * (nelems + 1));
		row->self = -1;
		for (int i = 0; i < nelems; i++)
		{
			row->parties[i] = nulls[i] ? pstrdup("") : TextDatumGetCString(elems[i]);
			if (strcmp(row->parties[i], row->self_name) == 0)
				row->self = i;
		}
		row->parties[nelems] = NULL;
		MemoryContextSwitchTo(spicxt);
	}
	SPI_finish();
	smpc_end_as_owner(&owner);

	if (row == NULL && !missing_ok)
		ereport(ERROR,
				errcode(ERRCODE_UNDEFINED_OBJECT),
				errmsg("federation \"%s\" does not exist", name),
				errhint("Register it with smpc.create_federation(name, self, parties)."));
	return row;
}

/*
 * The federation aggregates use: smpc.federation, or else the only one
 * registered.
 */
char *
smpc_default_federation_name(void)
{
	MemoryContext callercxt = CurrentMemoryContext;
	char	   *result = NULL;
	uint64		count;
	SmpcOwnerContext owner;

	if (smpc_federation_name && smpc_federation_name[0])
		return pstrdup(smpc_federation_name);

	smpc_begin_as_owner(&owner);
	SPI_connect();
	SPI_execute("SELECT name FROM smpc.federations ORDER BY name LIMIT 2", true, 0);
	count = SPI_processed;
	if (count == 1)
		result = MemoryContextStrdup(callercxt,
									 SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
	SPI_finish();
	smpc_end_as_owner(&owner);

	if (count == 0)
		ereport(ERROR,
				errcode(ERRCODE_UNDEFINED_OBJECT),
				errmsg("no federation is registered"),
				errhint("Register one with smpc.create_federation(name, self, parties)."));
	if (count > 1)
		ereport(ERROR,
				errcode(ERRCODE_AMBIGUOUS_PARAMETER),
				errmsg("more than one federation is registered"),
				errhint("Choose one with SET smpc.federation = 'name'."));
	return result;
}

/*
 * smpc.create_federation(name, self, parties, scale): checks the definition
 * with the core (names, duplicates, size, scale) and stores it.
 */
Datum
smpc_create_federation(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *self_name = text_to_cstring(PG_GETARG_TEXT_PP(1));
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(2);
	int			scale = PG_GETARG_INT32(3);
	SmpcFederationRow row;
	SmpcFederation core;
	SmpcStatus	st;
	char		hex[65];
	Datum	   *elems;
	bool	   *nulls;
	int			nelems;
	SmpcOwnerContext owner;
	Oid			argtypes[4] = {TEXTOID, TEXTOID, TEXTARRAYOID, INT4OID};
	Datum		args[4];

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				errmsg("parties must be a one-dimensional array"));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &nelems);
	memset(&row, 0, sizeof row);
	row.name = name;
	row.self_name = self_name;
	row.scale = scale;
	row.nparties = nelems;
	row.parties = (char **) palloc(sizeof(char *) * (nelems + 1));
	row.self = -1;
	for (int i = 0; i < nelems; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					errmsg("party names must not be NULL"));
		row.parties[i] = TextDatumGetCString(elems[i]);
		if (strcmp(row.parties[i], self_name) == 0)
			row.self = i;
	}
	if (row.self < 0)
		ereport(ERROR,
				errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("this party's name \"%s\" is not in the party list", self_name),
				errhint("List every party, this one included, in the same order at every party."));

	smpc_federation_as_core(&row, &core);
	if (!smpc_federation_check(&core, hex, &st))
		smpc_raise_status(&st);

	args[0] = PointerGetDatum(cstring_to_text(name));
	args[1] = PointerGetDatum(cstring_to_text(self_name));
	args[2] = PointerGetDatum(arr);
	args[3] = Int32GetDatum(scale);
	smpc_begin_as_owner(&owner);
	SPI_connect();
	SPI_execute_with_args("INSERT INTO smpc.federations (name, self_name, parties, scale) "
						  "VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING",
						  4, argtypes, args, NULL, false, 0);
	if (SPI_processed != 1)
		ereport(ERROR,
				errcode(ERRCODE_DUPLICATE_OBJECT),
				errmsg("federation \"%s\" already exists", name),
				errhint("Drop it first with smpc.drop_federation('%s').", name));
	SPI_finish();
	smpc_end_as_owner(&owner);
	PG_RETURN_VOID();
}

/* smpc.federation_fingerprint(name): hex SHA-256 of the canonical definition. */
Datum
smpc_federation_fingerprint(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	SmpcFederationRow *row = smpc_load_federation(name, false);
	SmpcFederation core;
	SmpcStatus	st;
	char		hex[65];

	smpc_federation_as_core(row, &core);
	if (!smpc_federation_check(&core, hex, &st))
		smpc_raise_status(&st);
	PG_RETURN_TEXT_P(cstring_to_text(hex));
}
