/*
 * Reading and writing smpc's configuration tables (schema smpc) through SPI.
 *
 * Catalog access runs as the owner of schema smpc (the role that created the
 * extension), like a SECURITY DEFINER function would: analysts and peer
 * roles need no rights on the tables themselves.
 */
#include "pg/common/common.h"

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_extension.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/array.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

PGDLLEXPORT Datum smpc_create_federation(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_federations_changed(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(smpc_federations_changed);
PGDLLEXPORT Datum smpc_federation_fingerprint(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(smpc_create_federation);
PG_FUNCTION_INFO_V1(smpc_federation_fingerprint);
}

/*
 * Errors out unless the extension's SQL objects in this database are the
 * version this library was built for: after installing a new library, the
 * old objects lack what it reads until ALTER EXTENSION smpc UPDATE. Checked
 * until it once succeeds in a backend (updates only go forward).
 */
static void
smpc_require_schema_version(void)
{
	static bool smpc_schema_ok = false;
	char	   *installed = NULL;

	if (smpc_schema_ok)
		return;
	/*
	 * An index scan of pg_extension, as extension.c reads it: the query
	 * this used to run was parsed and planned in every new backend, a few
	 * ms of each cold job at every party.
	 */
	Relation	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyData skey;
	ScanKeyInit(&skey, Anum_pg_extension_extname, BTEqualStrategyNumber, F_NAMEEQ,
				CStringGetDatum("smpc"));
	SysScanDesc scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &skey);
	HeapTuple	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		bool  isnull;
		Datum v = heap_getattr(tup, Anum_pg_extension_extversion, RelationGetDescr(rel), &isnull);

		if (!isnull)
			installed = text_to_cstring(DatumGetTextPP(v));
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (installed != NULL && strcmp(installed, SMPC_SCHEMA_VERSION) == 0)
	{
		smpc_schema_ok = true;
		return;
	}
	ereport(ERROR, errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			errmsg("the smpc library is version %s, but extension smpc in this database is %s",
				   SMPC_SCHEMA_VERSION, installed ? installed : "not installed"),
			errhint("Run ALTER EXTENSION smpc UPDATE in this database."));
}

/*
 * The query's plan, prepared and kept on first use. Always the generic plan:
 * these are key lookups and inserts, and a custom plan would copy every
 * parameter into the plan, such as a million-key job's 14 MB result text.
 */
static SPIPlanPtr
smpc_cached_plan(SmpcCachedQuery *q)
{
	if (q->plan == NULL)
	{
		SPIPlanPtr plan =
			SPI_prepare_cursor(q->sql, q->nargs, q->argtypes, CURSOR_OPT_GENERIC_PLAN);

		if (plan == NULL)
			elog(ERROR, "smpc: could not prepare \"%s\": %s", q->sql,
				 SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "smpc: could not keep the plan of \"%s\"", q->sql);
		q->plan = plan;
	}
	return q->plan;
}

/* Runs a cached query (common.h). */
int
smpc_spi_execute(SmpcCachedQuery *q, Datum *args, const char *nulls, bool read_only, long count)
{
	return SPI_execute_plan(smpc_cached_plan(q), args, nulls, read_only, count);
}

/*
 * Runs a cached read-only query on what is committed now rather than on the
 * caller's snapshot (common.h). A fresh catalog snapshot is an MVCC
 * snapshot of this moment that may be taken even during a parallel query,
 * where no new transaction snapshot may.
 */
int
smpc_spi_execute_now(SmpcCachedQuery *q, Datum *args, const char *nulls, long count)
{
	Snapshot snap;
	int		 rc;

	InvalidateCatalogSnapshot();
	snap = RegisterSnapshot(GetCatalogSnapshot(RelationRelationId));
	rc = SPI_execute_snapshot(smpc_cached_plan(q), args, nulls, snap, InvalidSnapshot, true, false,
							  count);
	UnregisterSnapshot(snap);
	return rc;
}

/* The role that owns schema smpc, i.e. installed the extension. */
static Oid
smpc_schema_owner(void)
{
	Oid		  nsp = get_namespace_oid("smpc", false);
	HeapTuple tup = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nsp));
	Oid		  owner;

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
	Oid owner = smpc_schema_owner();

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
	Oid				 userid = GetUserId();
	Datum			 args[1];
	SmpcOwnerContext owner;
	bool			 allowed = false;

	if (superuser() || has_privs_of_role(userid, get_role_oid("smpc_admin", false)))
		return;
	args[0] = CStringGetTextDatum(fed->name);
	smpc_begin_as_owner(&owner);
	SPI_connect();
	{
		static SmpcCachedQuery q = {
			"SELECT role_name FROM smpc.result_grants WHERE federation = $1", 1, {TEXTOID}, NULL};

		smpc_spi_execute(&q, args, NULL, true, 0);
	}
	for (uint64 i = 0; i < SPI_processed && !allowed; i++)
	{
		char *role = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		Oid	  roleid = get_role_oid(role, true);

		allowed = OidIsValid(roleid) && has_privs_of_role(userid, roleid);
	}
	SPI_finish();
	smpc_end_as_owner(&owner);
	if (!allowed)
		ereport(
			ERROR, errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			errmsg("permission denied to receive results of federation \"%s\"", fed->name),
			errdetail("No partner was contacted."),
			errhint("An smpc_admin can allow it with smpc.grant_results('%s', role).", fed->name));
}

/* smpc_check_result_grant for role `role` instead of the current one. */
void
smpc_check_result_grant_as(const SmpcFederationRow *fed, Oid role)
{
	Oid save_userid;
	int save_sec;

	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(role, save_sec | SECURITY_LOCAL_USERID_CHANGE);
	smpc_check_result_grant(fed);
	SetUserIdAndSecContext(save_userid, save_sec);
}

/* "a, b, c" (with separator sep) of the parties in a bit mask, or NULL for an empty mask. */
char *
smpc_party_list(const SmpcFederationRow *fed, uint64 mask, const char *sep)
{
	StringInfoData buf;

	if (mask == 0)
		return NULL;
	initStringInfo(&buf);
	for (int i = 0; i < fed->nparties; i++)
		if (mask & (UINT64CONST(1) << i))
			appendStringInfo(&buf, "%s%s", buf.len ? sep : "", fed->parties[i]);
	return buf.data;
}

/* Whether party index `party` supplies an input in fed (no inputs list: every party). */
bool
smpc_party_is_input(const SmpcFederationRow *fed, int party)
{
	if (fed->ninputs == 0)
		return true;
	for (int k = 0; k < fed->ninputs; k++)
		if (fed->inputs[k] == party)
			return true;
	return false;
}

/*
 * (Read off the row, not asked of the core party by party: the delivery
 * endpoint asks on every call. A stored role list names distinct parties,
 * so one as long as the party list names them all, as an empty one does:
 * smpc.create_federation checked the lists.)
 */
bool
smpc_federation_peer_to_peer(const SmpcFederationRow *fed)
{
	return (fed->ncompute == 0 || fed->ncompute == fed->nparties) &&
		   (fed->ninputs == 0 || fed->ninputs == fed->nparties) &&
		   (fed->noutputs == 0 || fed->noutputs == fed->nparties);
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
	out->threshold = row->threshold;
	out->compute = row->compute;
	out->ncompute = row->ncompute;
	out->inputs = row->inputs;
	out->ninputs = row->ninputs;
	out->outputs = row->outputs;
	out->noutputs = row->noutputs;
}

/*
 * The party indexes of a role list (text[] of party names, NULL for every
 * party), ascending. `what` names the list in errors.
 */
static void
smpc_role_indexes(const SmpcFederationRow *row, ArrayType *arr, const char *what, int *n, int **out)
{
	Datum *elems;
	bool  *nulls;
	int	   nelems;
	bool  *seen;

	*n = 0;
	*out = NULL;
	if (arr == NULL)
		return;
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR, errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				errmsg("%s must be a one-dimensional array", what));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &nelems);
	seen = (bool *) palloc0(sizeof(bool) * (row->nparties + 1));
	for (int i = 0; i < nelems; i++)
	{
		char *party = nulls[i] ? NULL : TextDatumGetCString(elems[i]);
		int	  index = -1;

		for (int k = 0; party && k < row->nparties; k++)
			if (strcmp(row->parties[k], party) == 0)
				index = k;
		if (index < 0)
			ereport(ERROR, errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("%s names \"%s\", which is not in the party list", what,
						   party ? party : "NULL"));
		if (seen[index])
			ereport(ERROR, errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("%s names party \"%s\" twice", what, party));
		seen[index] = true;
	}
	*out = (int *) palloc(sizeof(int) * (nelems + 1));
	for (int k = 0; k < row->nparties; k++)
		if (seen[k])
			(*out)[(*n)++] = k;
}

/* A role list of the row as text[] of names, or NULL for every party. */
static Datum
smpc_role_array(const SmpcFederationRow *row, int n, const int *idx, bool *isnull)
{
	Datum *elems;

	*isnull = n == 0;
	if (n == 0)
		return (Datum) 0;
	elems = (Datum *) palloc(sizeof(Datum) * n);
	for (int i = 0; i < n; i++)
		elems[i] = CStringGetTextDatum(row->parties[idx[i]]);
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/*
 * Federations this backend has read, kept across transactions: every job
 * and every delivered message needs its federation, and reading the table
 * costs a query each time. Any change to smpc.federations fires a trigger
 * (smpc._federations_changed) that invalidates the table's relcache entry
 * at commit; the callback below then drops the whole cache in every
 * backend. Entries are copied out, so callers own what they get.
 */
static SmpcFederationRow *smpc_read_federation(const char *name, bool missing_ok);
static MemoryContext	  smpc_fed_cache_cxt = NULL;
static List				 *smpc_fed_cache = NIL; /* of SmpcFederationRow * */
static Oid				  smpc_fed_cache_relid = InvalidOid;
static uint64			  smpc_fed_cache_generation = 0; /* counts invalidations */

static void
smpc_fed_cache_invalidate(Datum arg, Oid relid)
{
	if (relid != InvalidOid && relid != smpc_fed_cache_relid)
		return;
	if (smpc_fed_cache_cxt != NULL)
		MemoryContextReset(smpc_fed_cache_cxt);
	smpc_fed_cache = NIL;
	/* The table may have been dropped and made again (a new OID): look it up anew. */
	smpc_fed_cache_relid = InvalidOid;
	smpc_fed_cache_generation++;
}

/* A deep copy of a federation row in the current memory context. */
static SmpcFederationRow *
smpc_federation_copy(const SmpcFederationRow *src)
{
	SmpcFederationRow *row = (SmpcFederationRow *) palloc(sizeof(SmpcFederationRow));

	*row = *src;
	row->name = pstrdup(src->name);
	row->self_name = pstrdup(src->self_name);
	row->parties = (char **) palloc(sizeof(char *) * (src->nparties + 1));
	for (int i = 0; i < src->nparties; i++)
		row->parties[i] = pstrdup(src->parties[i]);
	row->parties[src->nparties] = NULL;
	row->compute = (int *) palloc(sizeof(int) * Max(src->ncompute, 1));
	memcpy(row->compute, src->compute, sizeof(int) * src->ncompute);
	row->inputs = (int *) palloc(sizeof(int) * Max(src->ninputs, 1));
	memcpy(row->inputs, src->inputs, sizeof(int) * src->ninputs);
	row->outputs = (int *) palloc(sizeof(int) * Max(src->noutputs, 1));
	memcpy(row->outputs, src->outputs, sizeof(int) * src->noutputs);
	return row;
}

/* Called by the trigger on smpc.federations: every backend drops its cache. */
Datum
smpc_federations_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "smpc._federations_changed() must be called as a trigger");
	CacheInvalidateRelcache(trigdata->tg_relation);
	return PointerGetDatum(NULL);
}

/*
 * Loads one federation, allocated in the caller's memory context. With
 * missing_ok, a missing federation gives NULL instead of an error.
 */
SmpcFederationRow *
smpc_load_federation(const char *name, bool missing_ok)
{
	ListCell		  *lc;
	SmpcFederationRow *row;
	uint64			   generation;

	smpc_require_schema_version();
	if (smpc_fed_cache_cxt == NULL)
	{
		smpc_fed_cache_cxt =
			AllocSetContextCreate(TopMemoryContext, "smpc federations", ALLOCSET_SMALL_SIZES);
		CacheRegisterRelcacheCallback(smpc_fed_cache_invalidate, (Datum) 0);
	}
	if (!OidIsValid(smpc_fed_cache_relid))
	{
		Oid relid = get_relname_relid("federations", get_namespace_oid("smpc", false));

		/*
		 * Locking the table takes in every invalidation committed before
		 * (which may empty the cache); only then is the OID recorded.
		 */
		LockRelationOid(relid, AccessShareLock);
		smpc_fed_cache_relid = relid;
	}
	foreach (lc, smpc_fed_cache)
	{
		SmpcFederationRow *cached = (SmpcFederationRow *) lfirst(lc);

		if (strcmp(cached->name, name) == 0)
			return smpc_federation_copy(cached);
	}
	/*
	 * A miss: read what is committed now (a fresh snapshot, not the
	 * caller's, which may predate a change whose invalidation was just
	 * taken in), and keep it only if no invalidation came meanwhile.
	 */
	generation = smpc_fed_cache_generation;
	row = smpc_read_federation(name, missing_ok);
	if (row != NULL && generation == smpc_fed_cache_generation && OidIsValid(smpc_fed_cache_relid))
	{
		MemoryContext old = MemoryContextSwitchTo(smpc_fed_cache_cxt);

		smpc_fed_cache = lappend(smpc_fed_cache, smpc_federation_copy(row));
		MemoryContextSwitchTo(old);
	}
	return row;
}

/* Reads one federation from smpc.federations (smpc_load_federation). */
static SmpcFederationRow *
smpc_read_federation(const char *name, bool missing_ok)
{
	MemoryContext		   callercxt = CurrentMemoryContext;
	SmpcFederationRow	  *row = NULL;
	SmpcOwnerContext	   owner;
	Datum				   args[1];
	static SmpcCachedQuery q = {
		"SELECT self_name, parties, scale, min_parties, min_rows, "
		"require_bounds, threshold, compute, inputs, outputs, overlap_pairs "
		"FROM smpc.federations WHERE name = $1",
		1,
		{TEXTOID},
		NULL};

	args[0] = CStringGetTextDatum(name);
	smpc_begin_as_owner(&owner);
	SPI_connect();
	/* What is committed now (see smpc_load_federation). */
	smpc_spi_execute_now(&q, args, NULL, 1);
	if (SPI_processed == 1)
	{
		HeapTuple	  tup = SPI_tuptable->vals[0];
		TupleDesc	  desc = SPI_tuptable->tupdesc;
		bool		  isnull;
		char		 *self_name = TextDatumGetCString(SPI_getbinval(tup, desc, 1, &isnull));
		ArrayType	 *arr = DatumGetArrayTypeP(SPI_getbinval(tup, desc, 2, &isnull));
		int			  scale = DatumGetInt32(SPI_getbinval(tup, desc, 3, &isnull));
		int			  min_parties = DatumGetInt32(SPI_getbinval(tup, desc, 4, &isnull));
		int64		  min_rows = DatumGetInt64(SPI_getbinval(tup, desc, 5, &isnull));
		bool		  require_bounds = DatumGetBool(SPI_getbinval(tup, desc, 6, &isnull));
		int			  threshold = DatumGetInt32(SPI_getbinval(tup, desc, 7, &isnull));
		ArrayType	 *roles[3];
		Datum		 *elems;
		bool		 *nulls;
		int			  nelems;
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
		row->threshold = threshold;
		row->overlap_pairs = DatumGetBool(SPI_getbinval(tup, desc, 11, &isnull));
		for (int r = 0; r < 3; r++)
		{
			Datum d = SPI_getbinval(tup, desc, 8 + r, &isnull);

			roles[r] = isnull ? NULL : DatumGetArrayTypeP(d); /* read before SPI_finish */
		}
		smpc_role_indexes(row, roles[0], "compute", &row->ncompute, &row->compute);
		smpc_role_indexes(row, roles[1], "inputs", &row->ninputs, &row->inputs);
		smpc_role_indexes(row, roles[2], "outputs", &row->noutputs, &row->outputs);
		MemoryContextSwitchTo(spicxt);
	}
	SPI_finish();
	smpc_end_as_owner(&owner);

	if (row == NULL && !missing_ok)
		ereport(ERROR, errcode(ERRCODE_UNDEFINED_OBJECT),
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
	MemoryContext	 callercxt = CurrentMemoryContext;
	char			*result = NULL;
	uint64			 count;
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
		ereport(ERROR, errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("no federation is registered"),
				errhint("Register one with smpc.create_federation(name, self, parties)."));
	if (count > 1)
		ereport(ERROR, errcode(ERRCODE_AMBIGUOUS_PARAMETER),
				errmsg("more than one federation is registered"),
				errhint("Choose one with SET smpc.federation = 'name'."));
	return result;
}

/*
 * smpc.create_federation(name, self, parties, scale, threshold, compute,
 * inputs, outputs): checks the definition with the core (names, duplicates,
 * size, scale, threshold, roles) and stores it. The role lists may be NULL
 * (every party); the first four arguments may not.
 */
Datum
smpc_create_federation(PG_FUNCTION_ARGS)
{
	char			 *name;
	char			 *self_name;
	ArrayType		 *arr;
	int				  scale;
	int				  threshold = PG_NARGS() > 4 && !PG_ARGISNULL(4) ? PG_GETARG_INT32(4) : 0;
	ArrayType		 *roles[3] = {NULL, NULL, NULL};
	SmpcFederationRow row;
	SmpcFederation	  core;
	SmpcStatus		  st;
	char			  hex[65];
	Datum			 *elems;
	bool			 *nulls;
	int				  nelems;
	SmpcOwnerContext  owner;
	Oid				  argtypes[8] = {TEXTOID, TEXTOID,		TEXTARRAYOID, INT4OID,
									 INT4OID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID};
	Datum			  args[8];
	char			  argnulls[8] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};

	smpc_require_schema_version();
	for (int i = 0; i < 4; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR, errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					errmsg("name, self, parties and scale must not be NULL"));
	if (PG_NARGS() > 4 && PG_ARGISNULL(4))
		ereport(ERROR, errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				errmsg("threshold must not be NULL"), errhint("Use 0 for n-of-n sharing."));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	self_name = text_to_cstring(PG_GETARG_TEXT_PP(1));
	arr = PG_GETARG_ARRAYTYPE_P(2);
	scale = PG_GETARG_INT32(3);
	for (int r = 0; r < 3; r++)
		if (PG_NARGS() > 5 + r && !PG_ARGISNULL(5 + r))
			roles[r] = PG_GETARG_ARRAYTYPE_P(5 + r);

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR, errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
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
			ereport(ERROR, errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					errmsg("party names must not be NULL"));
		row.parties[i] = TextDatumGetCString(elems[i]);
		if (strcmp(row.parties[i], self_name) == 0)
			row.self = i;
	}
	if (row.self < 0)
		ereport(ERROR, errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("this party's name \"%s\" is not in the party list", self_name),
				errhint("List every party, this one included, in the same order at every party."));
	row.threshold = threshold;
	smpc_role_indexes(&row, roles[0], "compute", &row.ncompute, &row.compute);
	smpc_role_indexes(&row, roles[1], "inputs", &row.ninputs, &row.inputs);
	smpc_role_indexes(&row, roles[2], "outputs", &row.noutputs, &row.outputs);
	/* A list naming every party is the default. */
	if (row.ncompute == row.nparties)
		row.ncompute = 0;
	if (row.ninputs == row.nparties)
		row.ninputs = 0;
	if (row.noutputs == row.nparties)
		row.noutputs = 0;

	smpc_federation_as_core(&row, &core);
	if (!smpc_federation_check(&core, hex, &st))
		smpc_raise_status(&st);

	args[0] = PointerGetDatum(cstring_to_text(name));
	args[1] = PointerGetDatum(cstring_to_text(self_name));
	args[2] = PointerGetDatum(arr);
	args[3] = Int32GetDatum(scale);
	args[4] = Int32GetDatum(threshold);
	{
		bool isnull;

		args[5] = smpc_role_array(&row, row.ncompute, row.compute, &isnull);
		argnulls[5] = isnull ? 'n' : ' ';
		args[6] = smpc_role_array(&row, row.ninputs, row.inputs, &isnull);
		argnulls[6] = isnull ? 'n' : ' ';
		args[7] = smpc_role_array(&row, row.noutputs, row.outputs, &isnull);
		argnulls[7] = isnull ? 'n' : ' ';
	}
	smpc_begin_as_owner(&owner);
	SPI_connect();
	SPI_execute_with_args("INSERT INTO smpc.federations (name, self_name, parties, scale, "
						  "threshold, compute, inputs, outputs) "
						  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (name) DO NOTHING",
						  8, argtypes, args, argnulls, false, 0);
	if (SPI_processed != 1)
		ereport(ERROR, errcode(ERRCODE_DUPLICATE_OBJECT),
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
	char			  *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	SmpcFederationRow *row = smpc_load_federation(name, false);
	SmpcFederation	   core;
	SmpcStatus		   st;
	char			   hex[65];

	smpc_federation_as_core(row, &core);
	if (!smpc_federation_check(&core, hex, &st))
		smpc_raise_status(&st);
	PG_RETURN_TEXT_P(cstring_to_text(hex));
}
