/*
 * Validator of the smpc foreign-data wrapper: which options partner servers
 * and user mappings may carry, which they must carry, and the TLS policy.
 *
 * The TLS policy: sslmode verify-full. verify-ca checks the certificate's
 * chain, not the host it names, so a partner whose certificate the same CA
 * signed passes as this one; a superuser may accept that for one server
 * with the option allow_verify_ca 'true' (as postgres_fdw leaves
 * password_required 'false' to superusers), and is warned each time the
 * server's options are set. Anything less needs the superuser setting
 * smpc.allow_insecure_transport. peer.cpp applies the same policy again at
 * every connection, to servers whose options predate it too.
 */
#include "net/peer.h"

extern "C" {
#include "access/reloptions.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_user_mapping.h"
#include "commands/defrem.h"
#include "miscadmin.h"
#include "utils/builtins.h"

PGDLLEXPORT Datum smpc_fdw_validator(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(smpc_fdw_validator);
}

/* libpq connection options a partner server may set, plus peer_role. */
static const char *const smpc_server_options[] = {"host",
												  "hostaddr",
												  "port",
												  "dbname",
												  "sslmode",
												  "sslrootcert",
												  "sslcrl",
												  "sslcert",
												  "sslkey",
												  "sslsni",
												  "channel_binding",
												  "connect_timeout",
												  "keepalives",
												  "keepalives_idle",
												  "keepalives_interval",
												  "keepalives_count",
												  "tcp_user_timeout",
												  "application_name",
												  "peer_role",
												  "allow_verify_ca",
												  NULL};

/* Credentials a user mapping may hold, and whether non-superusers must use a password. */
static const char *const smpc_mapping_options[] = {
	"user", "password", "sslcert", "sslkey", "sslpassword", "password_required", NULL};

static const char *const smpc_sslmodes[] = {"disable",	 "allow",		"prefer", "require",
											"verify-ca", "verify-full", NULL};

SmpcTlsCheck
smpc_tls_check(const char *sslmode, bool allow_verify_ca)
{
	if (strcmp(sslmode, "verify-full") == 0)
		return SMPC_TLS_FULL;
	if (strcmp(sslmode, "verify-ca") == 0 && allow_verify_ca)
		return SMPC_TLS_CA_ONLY;
	return SMPC_TLS_NONE;
}

static bool
smpc_in_list(const char *const *list, const char *name)
{
	for (int i = 0; list[i]; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

static char *
smpc_option_list(const char *const *list)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; list[i]; i++)
		appendStringInfo(&buf, "%s%s", i ? ", " : "", list[i]);
	return buf.data;
}

Datum
smpc_fdw_validator(PG_FUNCTION_ARGS)
{
	List			  *options = untransformRelOptions(PG_GETARG_DATUM(0));
	Oid				   catalog = PG_GETARG_OID(1);
	const char *const *allowed;
	bool has_host = false, has_port = false, has_dbname = false, has_peer_role = false,
		 has_user = false, allow_verify_ca = false;
	const char *sslmode = "verify-full";
	ListCell   *lc;

	if (catalog == ForeignServerRelationId)
		allowed = smpc_server_options;
	else if (catalog == UserMappingRelationId)
		allowed = smpc_mapping_options;
	else
	{
		if (options != NIL)
			ereport(ERROR, errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					errmsg("the smpc foreign-data wrapper takes no options here"),
					errhint("Set connection options on CREATE SERVER and credentials on CREATE "
							"USER MAPPING."));
		PG_RETURN_VOID();
	}

	foreach (lc, options)
	{
		DefElem	   *d = (DefElem *) lfirst(lc);
		const char *value = defGetString(d);

		if (!smpc_in_list(allowed, d->defname))
			ereport(ERROR, errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					errmsg("invalid option \"%s\"", d->defname),
					errhint("Valid options in this context are: %s.", smpc_option_list(allowed)));
		/*
		 * libpq reads these files in the server process, with the server's
		 * rights: a non-superuser could name the server's own key and
		 * certificate (or any other key the server can read) and present
		 * them to a partner, or to any host it names, as its own client
		 * identity.
		 */
		if ((strcmp(d->defname, "sslcert") == 0 || strcmp(d->defname, "sslkey") == 0) &&
			!superuser())
			ereport(ERROR, errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					errmsg("only a superuser may set %s", d->defname),
					errdetail("The server reads the file with its own rights: it could be a key "
							  "of the server that must not identify this role's connections."),
					errhint("Ask a superuser to set the client certificate and key."));
		if (strcmp(d->defname, "host") == 0 || strcmp(d->defname, "hostaddr") == 0)
			has_host = true;
		else if (strcmp(d->defname, "port") == 0)
		{
			char *end;
			long  port = strtol(value, &end, 10);

			if (*value == '\0' || *end != '\0' || port < 1 || port > 65535)
				ereport(ERROR, errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						errmsg("invalid port \"%s\"", value),
						errhint("Give a port number between 1 and 65535."));
			has_port = true;
		}
		else if (strcmp(d->defname, "dbname") == 0)
			has_dbname = true;
		else if (strcmp(d->defname, "peer_role") == 0)
			has_peer_role = value[0] != '\0';
		else if (strcmp(d->defname, "user") == 0)
			has_user = value[0] != '\0';
		else if (strcmp(d->defname, "sslmode") == 0)
		{
			if (!smpc_in_list(smpc_sslmodes, value))
				ereport(ERROR, errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						errmsg("invalid sslmode \"%s\"", value), errhint("Use verify-full."));
			sslmode = value;
		}
		else if (strcmp(d->defname, "password_required") == 0)
		{
			/*
			 * As postgres_fdw's: without the rule a non-superuser's job logs
			 * in with whatever else the mapping or the server offers, e.g.
			 * the client certificate a superuser set for cert authentication.
			 */
			if (!defGetBoolean(d) && !superuser())
				ereport(ERROR, errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						errmsg("only a superuser may set password_required 'false'"),
						errdetail("Without it, non-superusers' jobs may log in to the partner "
								  "without a password, e.g. with the client certificate set on "
								  "the mapping."));
		}
		else if (strcmp(d->defname, "allow_verify_ca") == 0)
		{
			allow_verify_ca = defGetBoolean(d);
			if (allow_verify_ca && !superuser())
				ereport(ERROR, errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						errmsg("only a superuser may set allow_verify_ca"),
						errdetail("With it, sslmode verify-ca lets any certificate that the "
								  "partner's CA signed pass as the partner's."));
		}
	}

	if (catalog == ForeignServerRelationId)
	{
		const char *missing = !has_host		   ? "host"
							  : !has_port	   ? "port"
							  : !has_dbname	   ? "dbname"
							  : !has_peer_role ? "peer_role"
											   : NULL;

		if (missing)
			ereport(ERROR, errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
					errmsg("smpc server needs option \"%s\"", missing),
					errhint("Required: host (or hostaddr), port, dbname, and peer_role, the local "
							"role this partner logs in as."));
		SmpcTlsCheck check = smpc_tls_check(sslmode, allow_verify_ca);

		if (check == SMPC_TLS_NONE && !smpc_allow_insecure_transport &&
			strcmp(sslmode, "verify-ca") == 0)
			ereport(
				ERROR, errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				errmsg(
					"sslmode \"verify-ca\" does not check that the certificate is this partner's"),
				errdetail(
					"verify-ca accepts any certificate that the CA in sslrootcert signed, whatever "
					"host it names: when that CA signs other partners' certificates too, any of "
					"them passes as this partner."),
				errhint("Use sslmode 'verify-full'. If sslrootcert holds a CA that signs only this "
						"partner's certificate, a superuser can add the server option "
						"allow_verify_ca 'true'."));
		if (check == SMPC_TLS_NONE && !smpc_allow_insecure_transport)
			ereport(ERROR, errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					errmsg("sslmode \"%s\" does not verify the partner's certificate", sslmode),
					errhint("Use sslmode 'verify-full' with sslrootcert; a superuser "
							"can allow this with SET smpc.allow_insecure_transport = on."));
		if (check == SMPC_TLS_CA_ONLY)
			ereport(
				WARNING,
				errmsg("sslmode \"verify-ca\" accepts any certificate that the CA in sslrootcert "
					   "signed as this partner's"),
				errdetail("The host name is not checked: if that CA also signs other partners' "
						  "certificates, any of those partners can pose as this one."),
				errhint("Give this server an sslrootcert that holds only the CA of this partner, "
						"or use sslmode 'verify-full'."));
	}
	else if (!has_user)
		ereport(ERROR, errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				errmsg("smpc user mapping needs option \"user\""),
				errhint("Give the role the partner created for this party, and its password."));
	PG_RETURN_VOID();
}
