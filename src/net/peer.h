/*
 * Connections to partners (peer.cpp), delivery over them (delivery.cpp)
 * and what their foreign servers must
 * check of the TLS certificate that answers (fdw_validator.cpp). Below
 * every folder of src/pg but common (src/pg/README.md).
 */
#ifndef SMPC_NET_PEER_H
#define SMPC_NET_PEER_H

#include "pg/common/common.h"

/*
 * peer.cpp's error when a partner cannot be reached begins so, naming only
 * the party (job_runner.cpp passes such errors on to partners).
 */
#define SMPC_CONNECT_FAILED_PREFIX "could not connect to party \""
/*
 * In the error delivery.cpp raises when a partner refused a delivery (party
 * "b" rejected the ...): delivery.cpp builds its message from it, so the
 * outbox, which recognises such errors by it, cannot drift from the text.
 */
#define SMPC_REJECTED_INFIX "\" rejected the "

/*
 * fdw_validator.cpp: what a partner server's sslmode checks of the
 * certificate that answers. verify-ca checks only that the partner's CA
 * signed it: with one CA for several partners, any of them passes as
 * another, so it counts only when the server opts in (allow_verify_ca).
 */
typedef enum SmpcTlsCheck
{
	SMPC_TLS_FULL,	  /* verify-full: the CA and the host name */
	SMPC_TLS_CA_ONLY, /* verify-ca with allow_verify_ca: the CA only */
	SMPC_TLS_NONE	  /* less: only with smpc.allow_insecure_transport */
} SmpcTlsCheck;
extern SmpcTlsCheck smpc_tls_check(const char *sslmode, bool allow_verify_ca);

/* net/peer.cpp: connections to partners and parallel delivery. */
typedef struct SmpcSend
{
	const char	*party; /* server name = party name */
	const uint8 *data;
	size_t		 len;
	const char	*what;			 /* e.g. "round 1 (share)" for errors */
	char		*failure;		 /* out: why the party was unreachable or gone */
	int			 failure_code;	 /* out: the SQLSTATE of that */
	char		*failure_detail; /* out, SMPC_SEND_COLLECT and a release (SM009): the
								  * partner's DETAIL, or NULL */
	char		*failure_hint;	 /* out, SMPC_SEND_COLLECT: the partner's HINT, or NULL */
	uint8		*reply; /* out: the partner's message handed back (handover.cpp), or NULL */
	size_t		 reply_len;
} SmpcSend;

/* How smpc_peer_send_all treats failures. */
typedef enum SmpcSendMode
{
	SMPC_SEND_STRICT,	   /* raise the first failure */
	SMPC_SEND_BEST_EFFORT, /* log failures (abort notices) */
	SMPC_SEND_TOLERANT,	   /* unreachable partners go to SmpcSend.failure; a
								 * partner's refusal is raised */
	SMPC_SEND_COLLECT	   /* every failure goes to SmpcSend.failure (requests):
								 * a partner's error as it sent it */
} SmpcSendMode;
/*
 * In STRICT and TOLERANT mode, a partner that answers that the job does not
 * run there (SM008: it has just ended there, or it restarted) or was already
 * released there (SM009) is not raised but goes to SmpcSend.failure: its
 * reason may still be on its way, or it finished without this party.
 */

extern void	 smpc_peer_init(void);
extern char *smpc_peer_role_of(const char *party);
/* needed[i]: this party will send to party i in this job. */
extern void smpc_peer_check_partners(const SmpcFederationRow *fed, const bool *needed);
/*
 * Delivers each message to its party (all in parallel) and waits for all
 * acknowledgements until deadline; failures as mode says.
 */
extern void smpc_peer_send_all(SmpcSend *sends, int n, TimestampTz deadline, SmpcSendMode mode);
/* Whether an smpc server is declared for the party. */
extern bool smpc_peer_has_server(const char *party);

/*
 * Inside net/ only: the connection cache of peer.cpp, which delivery.cpp
 * sends over.
 */
struct ForeignServer;
struct UserMapping;
typedef struct SmpcConnKey
{
	Oid serverid;
	Oid userid;
} SmpcConnKey;

typedef struct SmpcConn
{
	SmpcConnKey		key;
	struct pg_conn *conn;			   /* libpq's PGconn */
	bool			busy;			   /* a delivery is in flight */
	bool			stale;			   /* server or mapping changed */
	bool			password_required; /* the mapping's rule for non-superusers */
} SmpcConn;

extern uint64		   smpc_conn_generation;
extern void			   smpc_conn_close(SmpcConn *entry);
extern struct pg_conn *smpc_peer_connect_start(struct ForeignServer *server, struct UserMapping *um,
											   bool *password_required, char **error);
extern SmpcConn		  *smpc_peer_entry(const char *party, struct ForeignServer **server_out,
									   struct UserMapping **um_out);

#endif /* SMPC_NET_PEER_H */
