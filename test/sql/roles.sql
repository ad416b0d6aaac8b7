-- Roles created by the extension, and what each may do.
SELECT rolname, rolcanlogin, shobj_description(oid, 'pg_authid') AS comment
FROM pg_roles WHERE rolname LIKE 'smpc\_%' ORDER BY 1;

CREATE ROLE regress_admin IN ROLE smpc_admin;
CREATE ROLE regress_alice IN ROLE smpc_analyst;
CREATE ROLE regress_bob IN ROLE smpc_analyst;
CREATE ROLE regress_peer LOGIN IN ROLE smpc_peer;
CREATE ROLE regress_nobody;

-- The admin registers federations and declares partners.
SET ROLE regress_admin;
SELECT smpc.create_federation('roles_fed', 'a', ARRAY['a', 'b', 'c']);
CREATE SERVER b FOREIGN DATA WRAPPER smpc
    OPTIONS (host '127.0.0.1', port '1', dbname 'org_b', peer_role 'regress_peer');
SELECT name, parties FROM smpc.federations WHERE name = 'roles_fed';
RESET ROLE;

-- Jobs of two analysts (written here directly; real jobs need partners).
INSERT INTO smpc.jobs (federation, job_id, descriptor, state, result, started_by, input)
VALUES ('roles_fed', 'alice-1', 'sum(integer)', 'released', '42', 'regress_alice', 'reading no column'),
       ('roles_fed', 'bob-1', 'sum(integer)', 'released', '7', 'regress_bob', 'reading no column');

-- Row-level security: an analyst sees its own jobs only; the admin sees all.
SET ROLE regress_alice;
SELECT job_id, result FROM smpc.jobs ORDER BY job_id;
SELECT smpc_reconstruct(smpc_share(5::bigint, 3));
SELECT smpc.create_federation('x', 'a', ARRAY['a', 'b']);
SELECT * FROM smpc.federations;
DELETE FROM smpc.jobs;
RESET ROLE;
SET ROLE regress_bob;
SELECT job_id, result FROM smpc.jobs ORDER BY job_id;
RESET ROLE;
SET ROLE regress_admin;
SELECT job_id, result, started_by FROM smpc.jobs ORDER BY job_id;
RESET ROLE;

-- A stored result goes back only to the role that ran the job.
SET smpc.federation = 'roles_fed';
CREATE SERVER c FOREIGN DATA WRAPPER smpc
    OPTIONS (host '127.0.0.1', port '1', dbname 'org_c', peer_role 'regress_peer_c');
GRANT USAGE ON FOREIGN SERVER b, c TO smpc_analyst;
CREATE USER MAPPING FOR PUBLIC SERVER b OPTIONS (user 'x', password 'y');
CREATE USER MAPPING FOR PUBLIC SERVER c OPTIONS (user 'x', password 'y');
-- Only roles the admin allowed may receive results of the federation;
-- others are refused before any partner is contacted.
SET ROLE regress_alice;
SELECT smpc_sum(x, 'alice-1') FROM (VALUES (1)) v(x);
RESET ROLE;
SET ROLE regress_admin;
SELECT smpc.grant_results('roles_fed', 'regress_alice');
SELECT smpc.grant_results('roles_fed', 'regress_bob');
SELECT smpc.grant_results('roles_fed', 'no_such_role');
SELECT smpc.grant_results('no_such_federation', 'regress_bob');
SELECT federation, role_name FROM smpc.result_grants ORDER BY 2;
RESET ROLE;
SET ROLE regress_alice;
SELECT smpc_sum(x, 'alice-1') FROM (VALUES (1)) v(x);
RESET ROLE;
SET ROLE regress_bob;
SELECT smpc_sum(x, 'alice-1') FROM (VALUES (1)) v(x);
-- nor see the partners' credentials, nor make protocol messages.
SELECT srvname, umoptions FROM pg_user_mappings ORDER BY srvname;
SELECT smpc._test_message('roles_fed', 'alice-1', 1, 0);
RESET ROLE;
SET ROLE regress_admin;
SELECT smpc.revoke_results('roles_fed', 'regress_bob');
RESET ROLE;
SET ROLE regress_bob;
SELECT smpc_sum(x, 'bob-2') FROM (VALUES (1)) v(x);
RESET ROLE;

-- A partner's login role may only call the deliver endpoint.
SET ROLE regress_peer;
SELECT * FROM smpc.jobs;
SELECT * FROM smpc.federations;
SELECT smpc_share(1::bigint, 3);
SELECT smpc_sum(x, 'peer-1') FROM (VALUES (1)) v(x);
SELECT smpc.federation_fingerprint('roles_fed');
SELECT srvname, umoptions FROM pg_user_mappings ORDER BY srvname;
SELECT smpc.deliver('\x00');
RESET ROLE;

-- Over every object of the extension: what a partner's login role and an
-- analyst may use (anything new must be added here on purpose).
SELECT c.oid::regclass AS relation,
       has_table_privilege('regress_peer', c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE') AS peer,
       has_table_privilege('regress_alice', c.oid, 'SELECT') AS analyst_reads,
       has_table_privilege('regress_alice', c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE') AS analyst_writes
FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
WHERE d.classid = 'pg_class'::regclass AND d.deptype = 'e'
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'smpc')
ORDER BY 1;
SELECT p.oid::regprocedure AS function
FROM pg_depend d JOIN pg_proc p ON p.oid = d.objid
WHERE d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'smpc')
  AND has_function_privilege('regress_peer', p.oid, 'EXECUTE')
ORDER BY 1;

-- Everyone else: nothing.
SET ROLE regress_nobody;
SELECT smpc_sum(x, 'nobody-1') FROM (VALUES (1)) v(x);
SELECT smpc_share(1::bigint, 3);
SELECT smpc.deliver('\x00');
RESET ROLE;

RESET smpc.federation;
DROP USER MAPPING FOR PUBLIC SERVER b;
DROP USER MAPPING FOR PUBLIC SERVER c;
DROP SERVER b;
DROP SERVER c;
DELETE FROM smpc.jobs WHERE federation = 'roles_fed';
SELECT smpc.drop_federation('roles_fed');
DROP ROLE regress_admin, regress_alice, regress_bob, regress_peer, regress_nobody;
