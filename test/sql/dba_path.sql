-- docs/dba.md, "What needs a superuser": after CREATE EXTENSION, a DBA who
-- is not a superuser sets up a federation and its partners, given
-- CREATEROLE, membership in smpc_admin and SET on the logging parameters.
-- Every step of the quick start, as that DBA.
CREATE ROLE regress_dba LOGIN CREATEROLE IN ROLE smpc_admin;

-- Without SET on the parameters, the password session cannot keep its
-- statements out of the log, and the DBA is told so.
SET ROLE regress_dba;
SET log_statement = 'none';
RESET ROLE;

GRANT SET ON PARAMETER log_statement, log_min_duration_statement,
    log_min_error_statement, log_parameter_max_length TO regress_dba;
SET ROLE regress_dba;
SELECT rolsuper FROM pg_roles WHERE rolname = current_user;
SET log_statement = 'none';
SET log_min_duration_statement = -1;
SET log_min_error_statement = 'panic';
CREATE ROLE regress_dba_peer_b LOGIN PASSWORD 'regress-only' IN ROLE smpc_peer;
ALTER ROLE regress_dba_peer_b SET log_parameter_max_length = 0;
RESET log_statement;
RESET log_min_duration_statement;
RESET log_min_error_statement;
SELECT smpc.create_federation('dba_fed', 'a', ARRAY['a', 'b', 'c']);
SELECT smpc.set_policy('dba_fed', min_rows => 1);
CREATE SERVER dba_b FOREIGN DATA WRAPPER smpc
    OPTIONS (host '127.0.0.1', port '1', dbname 'org_b', peer_role 'regress_dba_peer_b');
CREATE USER MAPPING FOR PUBLIC SERVER dba_b OPTIONS (user 'smpc_peer_a', password 'regress-only');
CREATE ROLE regress_dba_analyst IN ROLE smpc_analyst;
GRANT USAGE ON FOREIGN SERVER dba_b TO smpc_analyst;
SELECT smpc.grant_results('dba_fed', 'smpc_analyst');
SELECT name, parties FROM smpc.federations WHERE name = 'dba_fed';
SELECT srvname FROM pg_foreign_server WHERE srvname = 'dba_b';
SELECT rolname, rolconfig FROM pg_roles WHERE rolname = 'regress_dba_peer_b';
SELECT pg_has_role('regress_dba_peer_b', 'smpc_peer', 'MEMBER') AS peer_member;
-- and takes it down again.
DROP USER MAPPING FOR PUBLIC SERVER dba_b;
DROP SERVER dba_b;
SELECT smpc.revoke_results('dba_fed', 'smpc_analyst');
SELECT smpc.drop_federation('dba_fed');
DROP ROLE regress_dba_peer_b;
DROP ROLE regress_dba_analyst;
RESET ROLE;
REVOKE SET ON PARAMETER log_statement, log_min_duration_statement,
    log_min_error_statement, log_parameter_max_length FROM regress_dba;
DROP ROLE regress_dba;
