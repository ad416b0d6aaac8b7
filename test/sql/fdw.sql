-- Partners are foreign servers of wrapper smpc; the validator checks options.
CREATE SERVER b FOREIGN DATA WRAPPER smpc
    OPTIONS (host '127.0.0.1', port '5432', dbname 'org_b', sslmode 'verify-full',
             sslrootcert '/nonexistent/ca.crt', peer_role 'peer_b');
-- sslmode defaults to verify-full.
CREATE SERVER c FOREIGN DATA WRAPPER smpc
    OPTIONS (host '127.0.0.1', port '5432', dbname 'org_c', peer_role 'peer_c');

-- Missing, unknown and bad options.
CREATE SERVER x FOREIGN DATA WRAPPER smpc;
CREATE SERVER x FOREIGN DATA WRAPPER smpc OPTIONS (host 'h', port '1', dbname 'd');
CREATE SERVER x FOREIGN DATA WRAPPER smpc OPTIONS (host 'h', dbname 'd', peer_role 'r');
CREATE SERVER x FOREIGN DATA WRAPPER smpc OPTIONS (host 'h', port '1', dbname 'd', peer_role 'r', bogus 'x');
CREATE SERVER x FOREIGN DATA WRAPPER smpc OPTIONS (host 'h', port '70000', dbname 'd', peer_role 'r');
CREATE SERVER x FOREIGN DATA WRAPPER smpc OPTIONS (host 'h', port '1', dbname 'd', peer_role 'r', password 'p');
CREATE SERVER x FOREIGN DATA WRAPPER smpc OPTIONS (host 'h', port '1', dbname 'd', peer_role 'r', sslmode 'sometimes');
ALTER SERVER b OPTIONS (DROP peer_role);
CREATE FOREIGN DATA WRAPPER smpc2 VALIDATOR smpc.fdw_validator OPTIONS (host 'x');

-- TLS without certificate verification needs an explicit superuser setting.
CREATE SERVER x FOREIGN DATA WRAPPER smpc OPTIONS (host 'h', port '1', dbname 'd', peer_role 'r', sslmode 'require');
CREATE SERVER x FOREIGN DATA WRAPPER smpc OPTIONS (host 'h', port '1', dbname 'd', peer_role 'r', sslmode 'disable');
SET smpc.allow_insecure_transport = on;
CREATE SERVER x FOREIGN DATA WRAPPER smpc OPTIONS (host 'h', port '1', dbname 'd', peer_role 'r', sslmode 'disable');
RESET smpc.allow_insecure_transport;
DROP SERVER x;

-- verify-ca checks the CA, not the host name: with one CA for all partners
-- any partner's certificate passes as another's. Only with the server option
-- allow_verify_ca, which only a superuser may set, and then with a warning.
CREATE SERVER x FOREIGN DATA WRAPPER smpc OPTIONS (host 'h', port '1', dbname 'd', peer_role 'r', sslmode 'verify-ca');
CREATE SERVER x FOREIGN DATA WRAPPER smpc OPTIONS (host 'h', port '1', dbname 'd', peer_role 'r', sslmode 'verify-ca', allow_verify_ca 'false');
ALTER SERVER b OPTIONS (SET sslmode 'verify-ca');
CREATE SERVER x FOREIGN DATA WRAPPER smpc OPTIONS (host 'h', port '1', dbname 'd', peer_role 'r', sslmode 'verify-ca', allow_verify_ca 'maybe');
CREATE SERVER x FOREIGN DATA WRAPPER smpc OPTIONS (host 'h', port '1', dbname 'd', peer_role 'r', sslmode 'verify-ca', allow_verify_ca 'true');
ALTER SERVER x OPTIONS (SET port '2');
ALTER SERVER x OPTIONS (DROP allow_verify_ca);
ALTER SERVER x OPTIONS (SET sslmode 'verify-full');
DROP SERVER x;
-- allow_insecure_transport admits verify-ca as it admits any unverified mode.
SET smpc.allow_insecure_transport = on;
CREATE SERVER x FOREIGN DATA WRAPPER smpc OPTIONS (host 'h', port '1', dbname 'd', peer_role 'r', sslmode 'verify-ca');
RESET smpc.allow_insecure_transport;
DROP SERVER x;

-- User mappings hold the credentials.
CREATE USER MAPPING FOR PUBLIC SERVER b OPTIONS (user 'peer_a', password 'secret');
CREATE USER MAPPING FOR CURRENT_USER SERVER c OPTIONS (password 'secret');
CREATE USER MAPPING FOR CURRENT_USER SERVER c OPTIONS (user 'peer_a', host 'evil');
CREATE USER MAPPING FOR CURRENT_USER SERVER c OPTIONS (user 'peer_a', password 'secret', sslcert '/x.crt', sslkey '/x.key');

-- Credentials are hidden from users who may not see them.
CREATE ROLE smpc_regress_other;
SET ROLE smpc_regress_other;
SELECT srvname, umoptions FROM pg_user_mappings ORDER BY srvname, usename;
SELECT umoptions FROM pg_user_mapping;
RESET ROLE;

-- A non-superuser setting can not enable insecure transport.
SET ROLE smpc_regress_other;
SET smpc.allow_insecure_transport = on;
RESET ROLE;
-- Nor opt in to verify-ca.
GRANT USAGE ON FOREIGN DATA WRAPPER smpc TO smpc_regress_other;
SET ROLE smpc_regress_other;
CREATE SERVER x FOREIGN DATA WRAPPER smpc OPTIONS (host 'h', port '1', dbname 'd', peer_role 'r', sslmode 'verify-ca', allow_verify_ca 'true');
CREATE SERVER x FOREIGN DATA WRAPPER smpc OPTIONS (host 'h', port '1', dbname 'd', peer_role 'r', sslmode 'verify-full', allow_verify_ca 'true');
-- Nor change the options of a server that opted in (whoever owns it).
RESET ROLE;
CREATE SERVER x FOREIGN DATA WRAPPER smpc OPTIONS (host 'h', port '1', dbname 'd', peer_role 'r', sslmode 'verify-ca', allow_verify_ca 'true');
ALTER SERVER x OWNER TO smpc_regress_other;
SET ROLE smpc_regress_other;
ALTER SERVER x OPTIONS (SET port '2');
RESET ROLE;
DROP SERVER x;
-- Nor name files for the client certificate and key: the server reads them
-- with its own rights (they could be its own key and certificate).
SET ROLE smpc_regress_other;
CREATE SERVER x FOREIGN DATA WRAPPER smpc OPTIONS (host 'h', port '1', dbname 'd', peer_role 'r', sslkey '/etc/ssl/private/ssl-cert-snakeoil.key');
CREATE SERVER x FOREIGN DATA WRAPPER smpc OPTIONS (host 'h', port '1', dbname 'd', peer_role 'r');
CREATE USER MAPPING FOR CURRENT_USER SERVER x OPTIONS (user 'u', password 'p', sslcert 'server.crt');
CREATE USER MAPPING FOR CURRENT_USER SERVER x OPTIONS (user 'u', password 'p', sslkey 'server.key');
CREATE USER MAPPING FOR CURRENT_USER SERVER x OPTIONS (user 'u', password 'p');
ALTER USER MAPPING FOR CURRENT_USER SERVER x OPTIONS (ADD sslkey 'server.key');
DROP USER MAPPING FOR CURRENT_USER SERVER x;
RESET ROLE;
DROP SERVER x;
REVOKE USAGE ON FOREIGN DATA WRAPPER smpc FROM smpc_regress_other;
DROP ROLE smpc_regress_other;

-- GUCs.
SHOW smpc.timeout;
SET smpc.timeout = '3s';
SHOW smpc.timeout;
SET smpc.timeout = 0;
RESET smpc.timeout;
SET smpc.no_such_setting = 1;
SHOW smpc.max_messages;

DROP USER MAPPING FOR CURRENT_USER SERVER c;
DROP USER MAPPING FOR PUBLIC SERVER b;
DROP SERVER b;
DROP SERVER c;
