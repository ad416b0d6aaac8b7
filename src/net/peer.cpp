/*
 * Connections to partner databases; delivery.cpp sends messages over them.
 *
 * A partner is a foreign server of wrapper smpc whose name is the partner's
 * party name. Connection options come from the server, credentials from the
 * user mapping of the current user (or PUBLIC), as in postgres_fdw.
 * Connections are cached per (server, user) so a warm job opens none; they
 * are dropped when the server or mapping changes and when a transaction
 * aborts while a delivery was in flight (its state is then unknown).
 */
#include "net/peer.h"

extern "C" {
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "libpq-fe.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
}

static HTAB *smpc_conns = NULL;
/* Bumped whenever a connection is opened or closed (for delivery.cpp's wait set). */
uint64 smpc_conn_generation = 0;

void
smpc_conn_close(SmpcConn *entry)
{
	if (entry->conn)
	{
		PQfinish(entry->conn);
		ReleaseExternalFD();
		entry->conn = NULL;
		smpc_conn_generation++;
	}
	entry->busy = false;
	entry->stale = false;
}

/* At abort, close connections whose delivery did not finish. */
static void
smpc_peer_xact_callback(XactEvent event, void *arg)
{
	HASH_SEQ_STATUS scan;
	SmpcConn	   *entry;

	if (smpc_conns == NULL || (event != XACT_EVENT_ABORT && event != XACT_EVENT_PARALLEL_ABORT))
		return;
	hash_seq_init(&scan, smpc_conns);
	while ((entry = (SmpcConn *) hash_seq_search(&scan)) != NULL)
		if (entry->busy)
			smpc_conn_close(entry);
}

/*
 * Each party's peer_role as its smpc server names it, kept until a server
 * changes. Why: every delivered message checks the role against the
 * sender's server and every other party's (deliver.cpp), so a party of 25
 * read 24 servers from the catalog per message (a lookup, the options
 * array turned into a list, the wrapper looked up again): 6 % of all CPU of
 * a 25-party job.
 */
typedef struct SmpcPeerRole
{
	char  party[NAMEDATALEN]; /* hash key */
	char *role;				  /* NULL: no smpc server, or no peer_role */
} SmpcPeerRole;

static HTAB			*smpc_peer_roles = NULL;
static MemoryContext smpc_peer_roles_cxt = NULL;

/* Any change to a server, user mapping or wrapper: reconnect before the next use. */
static void
smpc_peer_inval_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	HASH_SEQ_STATUS scan;
	SmpcConn	   *entry;

	/*
	 * (Forgotten, not freed: a caller may be reading an entry; see
	 * smpc_peer_role_of. The wrapper counts too: a server is a party's only
	 * while its wrapper is smpc.)
	 */
	if (cacheid == FOREIGNSERVEROID || cacheid == FOREIGNDATAWRAPPEROID)
		smpc_peer_roles = NULL;
	if (smpc_conns == NULL)
		return;
	hash_seq_init(&scan, smpc_conns);
	while ((entry = (SmpcConn *) hash_seq_search(&scan)) != NULL)
		entry->stale = true;
}

void
smpc_peer_init(void)
{
	RegisterXactCallback(smpc_peer_xact_callback, NULL);
	CacheRegisterSyscacheCallback(FOREIGNSERVEROID, smpc_peer_inval_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(USERMAPPINGOID, smpc_peer_inval_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(FOREIGNDATAWRAPPEROID, smpc_peer_inval_callback, (Datum) 0);
}

/*
 * Starts connecting to the partner (non-blocking; PQconnectPoll finishes it
 * in the wait loop, together with every other partner). Applies the TLS
 * policy and, for non-superusers, dblink's password rule before anything is
 * sent, unless a superuser set password_required 'false' on the mapping
 * (*password_required says which, for the check once connected). Returns
 * NULL with *error set when libpq failed at once.
 */
PGconn *
smpc_peer_connect_start(ForeignServer *server, UserMapping *um, bool *password_required,
						char **error)
{
	int			 nopts = list_length(server->options) + list_length(um->options) + 5;
	const char **keywords = (const char **) palloc0(sizeof(char *) * nopts);
	const char **values = (const char **) palloc0(sizeof(char *) * nopts);
	const char	*sslmode = "verify-full";
	bool		 allow_verify_ca = false;
	bool		 has_password = false;
	int			 n = 0;
	ListCell	*lc;
	PGconn		*conn;

	*password_required = true;
	foreach (lc, server->options)
	{
		DefElem *d = (DefElem *) lfirst(lc);

		if (strcmp(d->defname, "peer_role") == 0)
			continue;
		if (strcmp(d->defname, "sslmode") == 0)
		{
			sslmode = defGetString(d);
			continue;
		}
		if (strcmp(d->defname, "allow_verify_ca") == 0)
		{
			allow_verify_ca = defGetBoolean(d);
			continue;
		}
		keywords[n] = d->defname;
		values[n++] = defGetString(d);
	}
	foreach (lc, um->options)
	{
		DefElem *d = (DefElem *) lfirst(lc);

		if (strcmp(d->defname, "password") == 0 && defGetString(d)[0] != '\0')
			has_password = true;
		/* (Ours, not libpq's.) */
		if (strcmp(d->defname, "password_required") == 0)
		{
			*password_required = defGetBoolean(d);
			continue;
		}
		keywords[n] = d->defname;
		values[n++] = defGetString(d);
	}
	keywords[n] = "sslmode";
	values[n++] = sslmode;
	/*
	 * libpq negotiates GSSAPI encryption in preference to TLS, whatever
	 * sslmode says, when Kerberos credentials are at hand (or PGGSSENCMODE
	 * asks for it): the partner's certificate would go unchecked. Partner
	 * connections are TLS only; this also saves libpq's look for credentials
	 * at every connection.
	 */
	keywords[n] = "gssencmode";
	values[n++] = "disable";
	keywords[n] = "fallback_application_name";
	values[n++] = "smpc";
	keywords[n] = "client_encoding";
	values[n++] = GetDatabaseEncodingName();
	keywords[n] = NULL;
	values[n] = NULL;

	/* The validator's TLS policy, again: the options may predate it. */
	switch (smpc_tls_check(sslmode, allow_verify_ca))
	{
		case SMPC_TLS_FULL:
			break;
		case SMPC_TLS_CA_ONLY:
			ereport(LOG, errmsg("smpc: connecting to party \"%s\" with sslmode verify-ca: any "
								"certificate its CA "
								"signed passes as %s's (server option allow_verify_ca)",
								server->servername, server->servername));
			break;
		case SMPC_TLS_NONE:
			if (strcmp(sslmode, "verify-ca") == 0)
			{
				if (!smpc_allow_insecure_transport)
					ereport(
						ERROR, errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						errmsg("connection to party \"%s\" would not check that the certificate is "
							   "%s's",
							   server->servername, server->servername),
						errdetail(
							"The server's sslmode is \"verify-ca\", which accepts any certificate "
							"its CA signed, and the server does not set allow_verify_ca."),
						errhint("Use sslmode 'verify-full'. If the server's sslrootcert signs only "
								"this "
								"partner's certificate, a superuser can add the server option "
								"allow_verify_ca 'true'."));
				ereport(
					LOG,
					errmsg(
						"smpc: connecting to party \"%s\" with sslmode verify-ca, which does not "
						"check "
						"that the certificate is %s's, because smpc.allow_insecure_transport is on",
						server->servername, server->servername));
				break;
			}
			if (!smpc_allow_insecure_transport)
				ereport(ERROR, errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						errmsg("connection to party \"%s\" would not verify its certificate",
							   server->servername),
						errdetail("The server's sslmode is \"%s\".", sslmode),
						errhint("Use sslmode 'verify-full' with sslrootcert; "
								"a superuser can allow this with smpc.allow_insecure_transport."));
			ereport(LOG, errmsg("smpc: connecting to party \"%s\" without certificate verification "
								"(sslmode %s) "
								"because smpc.allow_insecure_transport is on",
								server->servername, sslmode));
			break;
	}
	/*
	 * A superuser's password_required 'false' holds only for a server a
	 * superuser owns: the owner of a server can change its host, and would
	 * otherwise send non-superusers' password-less logins wherever it likes
	 * (a local socket, say), as the server's operating-system user.
	 */
	if (!*password_required && !superuser_arg(server->owner))
		*password_required = true;
	if (!superuser() && !has_password && *password_required)
		ereport(ERROR, errcode(ERRCODE_S_R_E_PROHIBITED_SQL_STATEMENT_ATTEMPTED),
				errmsg("password is required to connect to party \"%s\"", server->servername),
				errdetail("Non-superusers must give a password in the user mapping."),
				errhint("To let them log in with a client certificate, a superuser can set "
						"password_required 'false' on the user mapping of a server that a "
						"superuser owns."));

	if (!AcquireExternalFD())
		ereport(ERROR, errcode(ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION),
				errmsg(SMPC_CONNECT_FAILED_PREFIX "%s\"", server->servername),
				errdetail("There are too many open files on the local server."),
				errhint("Raise max_files_per_process and/or \"ulimit -n\"."));
	conn = PQconnectStartParams(keywords, values, false);
	if (conn == NULL)
	{
		ReleaseExternalFD();
		ereport(ERROR, errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory"));
	}
	if (PQstatus(conn) == CONNECTION_BAD)
	{
		*error = pchomp(PQerrorMessage(conn));
		PQfinish(conn);
		ReleaseExternalFD();
		return NULL;
	}
	return conn;
}

/* The smpc server of a party, or NULL when there is none. */
static ForeignServer *
smpc_party_server(const char *party)
{
	ForeignServer *server = GetForeignServerByName(party, true);

	if (server == NULL || server->fdwid != GetForeignDataWrapperByName("smpc", false)->fdwid)
		return NULL;
	return server;
}

bool
smpc_peer_has_server(const char *party)
{
	return smpc_party_server(party) != NULL;
}

/* peer_role option of the smpc server named party, or NULL: from the catalog. */
static char *
smpc_peer_role_read(const char *party)
{
	ForeignServer *server = smpc_party_server(party);
	ListCell	  *lc;

	if (server == NULL)
		return NULL;
	foreach (lc, server->options)
	{
		DefElem *d = (DefElem *) lfirst(lc);

		if (strcmp(d->defname, "peer_role") == 0)
			return defGetString(d);
	}
	return NULL;
}

/*
 * peer_role option of the smpc server named party, or NULL; a copy in the
 * caller's memory context. Kept per party until a server changes (the
 * syscache callback above). The table is rebuilt, not updated, after a
 * change: the callback can run during the catalog read below (invalidations
 * are taken when a lock is), so an entry filled from a read that began
 * before the change lands in a table that is already forgotten.
 */
char *
smpc_peer_role_of(const char *party)
{
	HTAB		 *roles;
	SmpcPeerRole *entry;
	char		 *role;
	bool		  found;

	if (strlen(party) >= NAMEDATALEN)
		return smpc_peer_role_read(party); /* no such server: never kept */
	if (smpc_peer_roles == NULL)
	{
		HASHCTL ctl;

		if (smpc_peer_roles_cxt == NULL)
			smpc_peer_roles_cxt =
				AllocSetContextCreate(TopMemoryContext, "smpc peer roles", ALLOCSET_SMALL_SIZES);
		else
			MemoryContextReset(smpc_peer_roles_cxt);
		ctl.keysize = NAMEDATALEN;
		ctl.entrysize = sizeof(SmpcPeerRole);
		ctl.hcxt = smpc_peer_roles_cxt;
		smpc_peer_roles =
			hash_create("smpc peer roles", 64, &ctl, HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	}
	roles = smpc_peer_roles;
	entry = (SmpcPeerRole *) hash_search(roles, party, HASH_FIND, NULL);
	if (entry != NULL)
		return entry->role ? pstrdup(entry->role) : NULL;
	role = smpc_peer_role_read(party);
	if (smpc_peer_roles != roles)
		return role; /* a server changed while it was read: not kept */
	{
		/* Copied first: an entry is never left half filled (out of memory). */
		char *kept = role ? MemoryContextStrdup(smpc_peer_roles_cxt, role) : NULL;

		entry = (SmpcPeerRole *) hash_search(roles, party, HASH_ENTER, &found);
		entry->role = kept;
	}
	return role;
}

/*
 * Checks, before any message leaves, that the current user may run a job
 * with every partner: the partner's server exists, the user has USAGE on it
 * and a user mapping for it, and the user is not a partner's login role
 * (partners may deliver messages, never start jobs in our name).
 */
void
smpc_peer_check_partners(const SmpcFederationRow *fed, const bool *needed)
{
	const char *current = GetUserNameFromId(GetUserId(), false);
	const char *login = GetUserNameFromId(GetAuthenticatedUserId(), false);

	for (int i = 0; i < fed->nparties; i++)
	{
		ForeignServer *server;
		char		  *peer_role;
		AclResult	   aclresult;

		if (i == fed->self)
			continue;
		server = smpc_party_server(fed->parties[i]);
		/* A partner this party never sends to (delegated model) may have no server. */
		if (server == NULL && !needed[i])
			continue;
		if (server == NULL)
			ereport(
				ERROR, errcode(ERRCODE_UNDEFINED_OBJECT),
				errmsg("no smpc server for party \"%s\"", fed->parties[i]),
				errhint("Create it with CREATE SERVER %s FOREIGN DATA WRAPPER smpc OPTIONS (...).",
						fed->parties[i]));
		peer_role = smpc_peer_role_of(fed->parties[i]);
		if (peer_role && (strcmp(peer_role, current) == 0 || strcmp(peer_role, login) == 0))
			ereport(ERROR, errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					errmsg("role \"%s\" is the login role of party \"%s\" and may not run jobs",
						   strcmp(peer_role, current) == 0 ? current : login, fed->parties[i]),
					errdetail("Partners' login roles may only deliver messages."));
		aclresult = pg_foreign_server_aclcheck(server->serverid, GetUserId(), ACL_USAGE);
		if (aclresult != ACLCHECK_OK)
			aclcheck_error(aclresult, OBJECT_FOREIGN_SERVER, server->servername);
		(void) GetUserMapping(GetUserId(), server->serverid);
	}
}

/*
 * The cache entry of the current user's connection to a party. A cached
 * connection that is stale, broken or not idle is closed here; the caller
 * opens a new one when entry->conn is NULL.
 */
SmpcConn *
smpc_peer_entry(const char *party, ForeignServer **server_out, UserMapping **um_out)
{
	ForeignServer *server = smpc_party_server(party);
	UserMapping	  *um;
	SmpcConnKey	   key;
	SmpcConn	  *entry;
	bool		   found;

	if (server == NULL)
		ereport(ERROR, errcode(ERRCODE_UNDEFINED_OBJECT),
				errmsg("no smpc server for party \"%s\"", party),
				errhint("Create it with CREATE SERVER %s FOREIGN DATA WRAPPER smpc OPTIONS (...).",
						party));
	um = GetUserMapping(GetUserId(), server->serverid);

	if (smpc_conns == NULL)
	{
		HASHCTL ctl;

		ctl.keysize = sizeof(SmpcConnKey);
		ctl.entrysize = sizeof(SmpcConn);
		ctl.hcxt = TopMemoryContext;
		smpc_conns =
			hash_create("smpc connections", 16, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}

	/*
	 * One connection per local role, not per mapping: a PUBLIC mapping's
	 * connection opened by a superuser (who may skip the password rules) is
	 * never reused by another role after SET ROLE.
	 */
	key.serverid = server->serverid;
	key.userid = GetUserId();
	entry = (SmpcConn *) hash_search(smpc_conns, &key, HASH_ENTER, &found);
	if (!found)
	{
		entry->conn = NULL;
		entry->busy = false;
		entry->stale = false;
		entry->password_required = true;
	}
	if (entry->conn && (entry->stale || PQstatus(entry->conn) != CONNECTION_OK ||
						PQtransactionStatus(entry->conn) != PQTRANS_IDLE))
		smpc_conn_close(entry);
	*server_out = server;
	*um_out = um;
	return entry;
}
