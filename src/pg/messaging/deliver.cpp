/*
 * smpc.deliver(message bytea) and smpc.exchange(message bytea): the
 * endpoints partners call to hand us a protocol message (exchange may hand
 * one back, handover.cpp), and smpc._test_message() for tests of them.
 *
 * Checks, in order, before anything is stored: the session came over TLS
 * or a Unix socket (peer_transport.cpp); the server log would not
 * record the message (smpc_deliver_check_logging, which also keeps it so
 * for the session: smpc_deliver_pin_logging); the message decodes; its
 * federation exists here; its federation fingerprint equals ours (else the
 * error lists what differs); it is addressed to this party; its sender is a
 * party of the federation and is the party whose foreign server names the
 * authenticated login role as peer_role (so one partner cannot pose as
 * another). Only then is it filed in the inbox, which wakes the job waiting
 * for it. (Release policies are compared by the job itself: they depend on
 * the job.)
 */
#include "pg/messaging/messaging.h"
#include "net/peer.h"

extern "C" {
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"

PGDLLEXPORT Datum smpc_deliver(PG_FUNCTION_ARGS);
PGDLLEXPORT Datum smpc_exchange(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(smpc_exchange);
PGDLLEXPORT Datum smpc_deliver_ready(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(smpc_deliver_ready);
PGDLLEXPORT Datum smpc_sql_test_message(PG_FUNCTION_ARGS);
PG_FUNCTION_INFO_V1(smpc_deliver);
PG_FUNCTION_INFO_V1(smpc_sql_test_message);
}

SmpcDeliverHooks smpc_deliver_hooks;

/*
 * Whether pgaudit (when loaded) logs the parameters of this call: session
 * logging of the READ or FUNCTION class (pgaudit.log, a list where "-class"
 * removes a class and "all" means every class) with pgaudit.log_parameter.
 */
static bool
smpc_pgaudit_logs_parameters(void)
{
	const char *param = GetConfigOption("pgaudit.log_parameter", true, false);
	const char *classes = GetConfigOption("pgaudit.log", true, false);
	bool		read = false;
	bool		function = false;
	char	   *list;
	char	   *save = NULL;

	if (param == NULL || strcmp(param, "on") != 0 || classes == NULL)
		return false;
	list = pstrdup(classes);
	for (char *tok = strtok_r(list, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save))
	{
		bool		add = tok[0] != '-';
		const char *name = add ? tok : tok + 1;

		if (pg_strcasecmp(name, "all") == 0)
			read = function = add;
		else if (pg_strcasecmp(name, "read") == 0)
			read = add;
		else if (pg_strcasecmp(name, "function") == 0)
			function = add;
	}
	pfree(list);
	return read || function;
}

/*
 * A delivered message holds a share, bound as a parameter of this call. The
 * server log records bound parameters when it logs the statement (all
 * statements, slow ones, sampled ones) unless log_parameter_max_length is 0,
 * or when the statement fails unless log_parameter_max_length_on_error is 0;
 * pgaudit can log them too. Deliveries are refused while any could happen, so that a misconfigured
 * peer role is noticed at once instead of filling the log with shares.
 */
static void
smpc_deliver_check_logging(void)
{
	const char *setting = NULL;

	if (log_parameter_max_length != 0)
	{
		if (log_statement == LOGSTMT_ALL)
			setting = "log_statement = all";
		else if (log_min_duration_statement >= 0)
			setting = "log_min_duration_statement";
		else if (log_min_duration_sample >= 0 && log_statement_sample_rate > 0)
			setting = "log_min_duration_sample";
		else if (log_xact_sample_rate > 0)
			setting = "log_transaction_sample_rate";
	}
	if (setting == NULL && log_parameter_max_length_on_error != 0)
		setting = "log_parameter_max_length_on_error";
	if (setting == NULL && smpc_pgaudit_logs_parameters())
		setting = "pgaudit.log_parameter and pgaudit.log covering READ or FUNCTION";
	if (setting != NULL)
		smpc_inbox_note_log_refusal(GetUserNameFromId(GetAuthenticatedUserId(), false), setting);
	if (setting != NULL)
		ereport(ERROR, errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				errmsg("smpc refuses deliveries whose contents the server log would record"),
				errdetail("With %s, the server log records the parameters of this role's "
						  "statements, and a delivered message holds a secret share.",
						  setting),
				errhint("ALTER ROLE %s SET log_parameter_max_length = 0; and leave "
						"log_parameter_max_length_on_error at 0.",
						quote_identifier(GetUserNameFromId(GetAuthenticatedUserId(), false))));
}

/*
 * Keeps the parameters of this session's statements out of the server log
 * for the rest of the session, whatever the configuration says later. The
 * check above sees the settings of one moment, but a delivery is logged
 * when the server receives it, before smpc.exchange runs and could refuse:
 * a reload that turns on log_statement = all while a sender keeps its
 * connection open would have the next share logged. So the settings that
 * decide whether parameters are logged are set here at session level (as a
 * SET would), which outranks postgresql.conf, ALTER SYSTEM and a reload of
 * either; ALTER ROLE and ALTER DATABASE settings apply only to new
 * sessions, which call smpc.deliver_ready() first. Statements are still
 * logged as configured, without their parameters. (The peer role cannot
 * undo log_parameter_max_length or pgaudit.log_parameter: they need
 * superuser; log_parameter_max_length_on_error only it could, for its own
 * shares.)
 */
static void
smpc_deliver_pin_logging(void)
{
	(void) set_config_option("log_parameter_max_length", "0", PGC_SUSET, PGC_S_SESSION,
							 GUC_ACTION_SET, true, 0, false);
	(void) set_config_option("log_parameter_max_length_on_error", "0", PGC_SUSET, PGC_S_SESSION,
							 GUC_ACTION_SET, true, 0, false);
	if (GetConfigOption("pgaudit.log_parameter", true, false) != NULL)
		(void) set_config_option("pgaudit.log_parameter", "off", PGC_SUSET, PGC_S_SESSION,
								 GUC_ACTION_SET, true, 0, false);
}

/* Refuses a session that reached this server over TCP without TLS (peer_transport.cpp). */
static void
smpc_deliver_check_transport(void)
{
	if (!smpc_allow_insecure_transport && smpc_port_is_plain_network(MyProcPort))
		smpc_refuse_plain_peer(GetUserNameFromId(GetAuthenticatedUserId(), false));
}

/*
 * smpc.deliver_ready(): what senders call first on a new connection. Fails
 * like smpc.deliver would if the log would record deliveries, before any
 * share is sent; else keeps it so for the session (smpc_deliver_pin_logging).
 */
Datum
smpc_deliver_ready(PG_FUNCTION_ARGS)
{
	smpc_deliver_check_transport();
	smpc_deliver_check_logging();
	smpc_deliver_pin_logging();
	PG_RETURN_VOID();
}

/* What is wrong with the sender a message names, if anything. */
typedef enum SmpcSenderCheck
{
	SMPC_SENDER_OK,
	SMPC_SENDER_NO_PEER_ROLE, /* its server names no peer_role */
	SMPC_SENDER_OTHER_ROLE,	  /* its server names another role than the login */
	SMPC_SENDER_SHARED_ROLE	  /* another party's server names the login role too */
} SmpcSenderCheck;

/*
 * Checks that party `sender` of fed is the one whose server names the
 * authenticated login role (GetAuthenticatedUserId: unaffected by SET ROLE
 * and SECURITY DEFINER) as peer_role, and that no other party's server names
 * it (such a role could pose as any of them). Sets *peer_role and, for a
 * shared role, *other (the other party's index). The sender index must be a
 * partner's.
 */
static SmpcSenderCheck
smpc_check_sender(const SmpcFederationRow *fed, int sender, const char *login_role,
				  char **peer_role, int *other)
{
	*peer_role = smpc_peer_role_of(fed->parties[sender]);
	if (*peer_role == NULL)
		return SMPC_SENDER_NO_PEER_ROLE;
	if (strcmp(*peer_role, login_role) != 0)
		return SMPC_SENDER_OTHER_ROLE;
	for (int i = 0; i < fed->nparties; i++)
	{
		char *role;

		if (i == sender || i == fed->self)
			continue;
		role = smpc_peer_role_of(fed->parties[i]);
		if (role && strcmp(role, login_role) == 0)
		{
			*other = i;
			return SMPC_SENDER_SHARED_ROLE;
		}
	}
	return SMPC_SENDER_OK;
}

#define SMPC_NO_HANDOVER (-2) /* *pickup: the federation hands nothing back */

/*
 * Checks and files a delivered message (see the top of this file). Returns
 * false for a request (handled at once, not filed). For smpc.exchange
 * (pickup not NULL), the call's wait for the job's own message is set up
 * just before the message is filed (smpc_handover_prepare): *pickup and
 * *wait_ms are for smpc_handover_finish, unless *pickup is
 * SMPC_NO_HANDOVER.
 */
static bool
smpc_receive(bytea *msg, SmpcMessageInfo *out, int *pickup, int *wait_ms)
{
	const uint8		  *data = (const uint8 *) VARDATA_ANY(msg);
	size_t			   len = VARSIZE_ANY_EXHDR(msg);
	SmpcMessageInfo	   info;
	SmpcStatus		   st;
	SmpcFederationRow *fed;
	SmpcFederation	   core;
	const char		  *sender;
	char			  *peer_role;
	char			  *login_role;
	int				   other = -1;
	bool			   running; /* a run of the job waits here */

	smpc_inbox_require();
	smpc_deliver_check_transport();
	smpc_deliver_check_logging();
	/* A caller that skipped smpc.deliver_ready() is covered once this call commits. */
	smpc_deliver_pin_logging();
	if (len > SMPC_MAX_MESSAGE_BYTES)
		ereport(ERROR, errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				errmsg("smpc message of %zu bytes exceeds the limit of %d bytes", len,
					   SMPC_MAX_MESSAGE_BYTES));
	if (!smpc_message_inspect(data, len, &info, &st))
		ereport(ERROR, errcode(ERRCODE_SMPC_PROTOCOL_VIOLATION),
				errmsg("invalid smpc message: %s", st.message));
	fed = smpc_load_federation(info.federation, true);
	if (fed == NULL)
		ereport(ERROR, errcode(ERRCODE_UNDEFINED_OBJECT),
				errmsg("federation \"%s\" does not exist at this party", info.federation));
	login_role = GetUserNameFromId(GetAuthenticatedUserId(), false);
	/* First the definition: a different party order would make the indexes below meaningless. */
	smpc_federation_as_core(fed, &core);
	if (!smpc_message_check_federation(data, len, &info, &core, &st))
	{
		/*
		 * A job here may hear of it no other way (handover.cpp, ordered
		 * jobs): it is told, but only when the sender named is the login
		 * role's own party, so nobody can fail others' jobs in its name.
		 */
		if (info.sender >= 0 && info.sender < fed->nparties && info.sender != fed->self &&
			smpc_check_sender(fed, info.sender, login_role, &peer_role, &other) == SMPC_SENDER_OK)
			smpc_handover_reject(info.job_key, info.sender, &st);
		smpc_raise_status(&st);
	}
	if (info.receiver != fed->self)
		ereport(
			ERROR, errcode(ERRCODE_SMPC_PROTOCOL_VIOLATION),
			errmsg("message is addressed to party number %d, but this is party \"%s\" (number %d)",
				   info.receiver, fed->self_name, fed->self));
	if (info.sender < 0 || info.sender >= fed->nparties || info.sender == fed->self)
		ereport(
			ERROR, errcode(ERRCODE_SMPC_PROTOCOL_VIOLATION),
			errmsg("message names sender number %d, which is not a partner in federation \"%s\"",
				   info.sender, fed->name));

	sender = fed->parties[info.sender];
	switch (smpc_check_sender(fed, info.sender, login_role, &peer_role, &other))
	{
		case SMPC_SENDER_OK:
			break;
		case SMPC_SENDER_NO_PEER_ROLE:
			ereport(
				ERROR, errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				errmsg("no smpc server with a peer_role is declared for party \"%s\"", sender),
				errhint(
					"CREATE SERVER %s FOREIGN DATA WRAPPER smpc OPTIONS (..., peer_role '...').",
					sender));
			break;
		case SMPC_SENDER_OTHER_ROLE:
			ereport(ERROR, errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					errmsg("role \"%s\" may not send messages as party \"%s\"", login_role, sender),
					errdetail("Server \"%s\" names role \"%s\" as the peer_role of party \"%s\".",
							  sender, peer_role, sender));
			break;
		case SMPC_SENDER_SHARED_ROLE:
			ereport(ERROR, errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					errmsg("role \"%s\" is the peer_role of both party \"%s\" and party \"%s\"",
						   login_role, sender, fed->parties[other]),
					errhint("Give every partner its own login role."));
			break;
	}
	/* Requests are about starting jobs, not messages of a running one. */
	if (info.type == SMPC_MSG_REQUEST)
	{
		smpc_deliver_hooks.request_receive(fed, &info, data, len);
		return false;
	}
	/*
	 * The job's state here. A share may come before the job starts here (the
	 * partner was quicker) and is kept; anything else needs a run of the job
	 * that is waiting now: a partial or confirm is only ever sent after the
	 * sender got this party's share. A job released here takes nothing more.
	 */
	running = smpc_inbox_has_waiter(info.job_key);
	if (!running)
	{
		char *job_id = pnstrdup((const char *) data + info.job_id_offset, info.job_id_len);

		if (smpc_deliver_hooks.job_is_released(fed, job_id))
		{
			/*
			 * The sender (authenticated above: a party of the federation)
			 * learns whose inputs the release covers, as every party of the
			 * job did: a party restarted mid-job learns whether its input
			 * is in it (jobs/outbox.cpp reads the list at the end).
			 */
			char *covers = smpc_deliver_hooks.job_covers(fed, job_id);

			ereport(ERROR, errcode(ERRCODE_SMPC_JOB_RELEASED),
					errmsg("job \"%s\" of federation \"%s\" was already released at party \"%s\"",
						   job_id, fed->name, fed->self_name),
					covers ? errdetail("A released job takes no more messages. Its result "
									   "covers the inputs of %s.",
									   covers)
						   : errdetail("A released job takes no more messages."));
		}
		/*
		 * Partners send a party with an input nothing but its share's round
		 * (and, in jobs with MAC keys, the key round before it; in set
		 * jobs, the blinded sets of the ring, which pass through parties
		 * that have not started yet) before they hold its share; a party without one (a compute or output party of
		 * the delegated model) may get rosters, partials and confirms before
		 * it has joined the job.
		 */
		if (info.type != SMPC_MSG_SHARE && info.type != SMPC_MSG_KEY &&
			info.type != SMPC_MSG_BLINDED && info.type != SMPC_MSG_ABORT &&
			smpc_party_is_input(fed, fed->self))
			ereport(ERROR, errcode(ERRCODE_SMPC_JOB_NOT_RUNNING),
					errmsg("no run of job \"%s\" is waiting for a %s message at party \"%s\"",
						   job_id, smpc_message_type_name(info.type), fed->self_name));
	}
#ifdef SMPC_TEST_BUILD
	/*
	 * Test builds: pause_before_pickup, set for a partner's login role,
	 * holds its calls that bring a confirm, after the checks above and
	 * before the call may wait for a reply, until the job here has ended
	 * (at most 20 s; test/t/016: it ends with a quorum of other confirms).
	 */
	if (pickup != NULL && smpc_test_fault == SMPC_FAULT_PAUSE_BEFORE_PICKUP &&
		info.type == SMPC_MSG_CONFIRM)
		for (int i = 0; i < 400 && smpc_inbox_has_waiter(info.job_key); i++)
			smpc_test_sleep(50);
#endif
	/*
	 * Only a peer-to-peer job hands its messages back (job_runner.cpp): in
	 * another federation the call would wait for a message that never
	 * comes, SMPC_HANDOVER_EARLY_WAIT_MS on every call.
	 */
	if (pickup != NULL && !smpc_federation_peer_to_peer(fed))
		*pickup = SMPC_NO_HANDOVER;
	else if (pickup != NULL)
		/*
		 * A share may wait long for a job not begun here only where its call
		 * is the pair's one way (an ordered job: no dropout threshold), and
		 * not for a job that runs here without a handover entry (its table
		 * was full), whose offer never comes.
		 */
		*pickup = smpc_handover_prepare(
			info.job_key, info.sender, info.type,
			fed->threshold == 0 && smpc_pair_caller(info.sender, fed->self) && !running, wait_ms);
	PG_TRY();
	{
		smpc_inbox_file(info.job_key, &info, data, len, sender, GetAuthenticatedUserId());
#ifdef SMPC_TEST_BUILD
		/*
		 * Test builds: pause_after_filing, set for a partner's login role,
		 * holds its smpc.exchange calls for a second between filing a share
		 * and collecting this party's (test/t/001_three_parties.pl: a job
		 * that begins here meanwhile finds the call waiting, and hands its
		 * share over). A cancel meanwhile releases the pickup, below.
		 */
		if (pickup != NULL && smpc_test_fault == SMPC_FAULT_PAUSE_AFTER_FILING &&
			info.type == SMPC_MSG_SHARE)
			smpc_test_sleep(1000);
#endif
	}
	PG_CATCH();
	{
		if (pickup != NULL)
			smpc_handover_abandon(*pickup);
		PG_RE_THROW();
	}
	PG_END_TRY();
	*out = info;
	return true;
}

Datum
smpc_deliver(PG_FUNCTION_ARGS)
{
	SmpcMessageInfo info;

	/* This caller takes nothing back: the job here must send to it. */
	if (smpc_receive(PG_GETARG_BYTEA_PP(0), &info, NULL, NULL))
		smpc_handover_no_collect(info.job_key, info.sender, info.type);
	PG_RETURN_VOID();
}

/*
 * smpc.exchange(message bytea): smpc.deliver, returning this party's own
 * message of the same round for the caller when the job here is about to
 * send one (handover.cpp); NULL otherwise.
 */
Datum
smpc_exchange(PG_FUNCTION_ARGS)
{
	SmpcMessageInfo info;
	bytea		   *reply;
	int				pickup = -1;
	int				wait_ms = 0;

	if (!smpc_receive(PG_GETARG_BYTEA_PP(0), &info, &pickup, &wait_ms) ||
		pickup == SMPC_NO_HANDOVER)
		PG_RETURN_NULL();
	reply = smpc_handover_finish(pickup, wait_ms, info.job_key, info.sender, info.type);
	if (reply == NULL)
		PG_RETURN_NULL();
	PG_RETURN_BYTEA_P(reply);
}

/*
 * A message partner `from` handed back on our delivery call (the result of
 * smpc.exchange there): checked like a delivery, except that the sender is
 * the partner whose server we called (TLS verified its certificate, as for
 * every peer connection). Returned as a bytea in the current memory context
 * for the job that made the call (jobs/exchange_loop.cpp), not filed in the
 * inbox: it answers this party's own call, one per call, so no quota
 * applies, and a partner whose quarter of the inbox is full cannot make the
 * job fail here after its last message went out (when the others release).
 */
bytea *
smpc_reply_check(const SmpcFederationRow *fed, const uint8 *key, int from, const uint8 *data,
				 size_t len)
{
	bytea		   *copy;
	SmpcMessageInfo info;
	SmpcStatus		st;
	SmpcFederation	core;
	const char	   *party = fed->parties[from];

	if (len > SMPC_MAX_MESSAGE_BYTES || !smpc_message_inspect(data, len, &info, &st))
		ereport(ERROR, errcode(ERRCODE_SMPC_PROTOCOL_VIOLATION),
				errmsg("party \"%s\" answered a delivery with an invalid smpc message", party),
				len > SMPC_MAX_MESSAGE_BYTES ? 0 : errdetail_internal("%s", st.message));
	smpc_federation_as_core(fed, &core);
	if (strcmp(info.federation, fed->name) != 0 ||
		!smpc_message_check_federation(data, len, &info, &core, &st))
		ereport(
			ERROR, errcode(ERRCODE_SMPC_FEDERATION_MISMATCH),
			errmsg(
				"party \"%s\" answered a delivery with a message of another federation definition",
				party));
	if (info.sender != from || info.receiver != fed->self || memcmp(info.job_key, key, 32) != 0 ||
		info.type == SMPC_MSG_ABORT || info.type == SMPC_MSG_REQUEST)
		ereport(
			ERROR, errcode(ERRCODE_SMPC_PROTOCOL_VIOLATION),
			errmsg(
				"party \"%s\" answered a delivery with a message that is not its own for this job",
				party),
			errdetail("It names sender %d, receiver %d and type %s.", info.sender, info.receiver,
					  smpc_message_type_name(info.type)));
	copy = (bytea *) palloc(VARHDRSZ + len);
	SET_VARSIZE(copy, VARHDRSZ + len);
	memcpy(VARDATA(copy), data, len);
	return copy;
}

/* smpc._test_message(federation, job_id, sender, receiver, type) */
Datum
smpc_sql_test_message(PG_FUNCTION_ARGS)
{
	char			  *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char			  *job_id = text_to_cstring(PG_GETARG_TEXT_PP(1));
	int				   sender = PG_GETARG_INT32(2);
	int				   receiver = PG_GETARG_INT32(3);
	char			  *type_name = text_to_cstring(PG_GETARG_TEXT_PP(4));
	int				   type = smpc_message_type_of(type_name);
	SmpcFederationRow *fed = smpc_load_federation(name, false);
	SmpcFederation	   core;
	SmpcStatus		   st;
	uint8_t			  *bytes;
	size_t			   len;
	bytea			  *out;

	if (!superuser())
		ereport(ERROR, errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				errmsg("only superusers may build test messages"));
	if (type == 0 || type == SMPC_MSG_REQUEST)
		ereport(ERROR, errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				errmsg("message type must be share, roster, agree, count, partial, confirm, vouch "
					   "or abort"));
	smpc_federation_as_core(fed, &core);
	if (!smpc_test_message(&core, job_id, sender, receiver, type, &bytes, &len, &st))
		smpc_raise_status(&st);
	out = (bytea *) palloc(VARHDRSZ + len);
	SET_VARSIZE(out, VARHDRSZ + len);
	memcpy(VARDATA(out), bytes, len);
	smpc_free_bytes(bytes);
	PG_RETURN_BYTEA_P(out);
}
