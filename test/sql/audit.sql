-- The audit trail: every attempt to run a job is recorded at this party,
-- whatever its outcome, by a background writer (so also when the job's own
-- transaction aborts). Append-only; row-level security decides who reads.
SELECT smpc.create_federation('aud', 'a', ARRAY['a', 'b', 'c']);
CREATE SERVER b FOREIGN DATA WRAPPER smpc
    OPTIONS (host '127.0.0.1', port '1', dbname 'org_b', peer_role 'regress_aud_peer');
CREATE SERVER c FOREIGN DATA WRAPPER smpc
    OPTIONS (host '127.0.0.1', port '1', dbname 'org_c', peer_role 'regress_aud_peer_c');
CREATE USER MAPPING FOR PUBLIC SERVER b OPTIONS (user 'peer_a', password 'secret-b');
CREATE USER MAPPING FOR PUBLIC SERVER c OPTIONS (user 'peer_a', password 'secret-c');
CREATE ROLE regress_aud_admin IN ROLE smpc_admin;
CREATE ROLE regress_aud_alice IN ROLE smpc_analyst;
CREATE ROLE regress_aud_bob IN ROLE smpc_analyst;
CREATE ROLE regress_aud_peer IN ROLE smpc_peer;
GRANT USAGE ON FOREIGN SERVER b, c TO smpc_analyst;
CREATE TABLE aud_t (x integer);
INSERT INTO aud_t VALUES (1), (5);
GRANT SELECT ON aud_t TO smpc_analyst;
SET smpc.federation = 'aud';

-- Waits (up to 10 s) until a condition holds (statistics read afresh each time).
CREATE FUNCTION pg_temp.wait_until(cond text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    ok boolean;
BEGIN
    FOR i IN 1..200 LOOP
        PERFORM pg_stat_clear_snapshot();
        EXECUTE 'SELECT ' || cond INTO ok;
        IF ok THEN
            RETURN true;
        END IF;
        PERFORM pg_sleep(0.05);
    END LOOP;
    RETURN false;
END $$;
-- Waits until the writer has stored n records of federation aud.
CREATE FUNCTION pg_temp.wait_audit(n integer) RETURNS boolean LANGUAGE sql AS $$
    SELECT pg_temp.wait_until(
        format('(SELECT count(*) FROM smpc.audit_log WHERE federation = %L) >= %s', 'aud', n))
$$;

-- 1. refused: alice may not receive the federation's results yet.
SET ROLE regress_aud_alice;
SELECT smpc_sum(x, 'aud-1') FROM aud_t;
RESET ROLE;
SELECT smpc.grant_results('aud', 'smpc_analyst');
-- 2. failed: the partners cannot be reached.
SET ROLE regress_aud_alice;
SELECT smpc_sum(x, 'aud-2') FROM aud_t;
RESET ROLE;
-- 3. refused: a value outside 'reject' bounds (1 of 2 values).
SELECT smpc.set_bounds('aud', 'x', 0, 2, 'reject');
SET ROLE regress_aud_bob;
SELECT smpc_avg(x, 'aud-3') FROM aud_t;
RESET ROLE;
SELECT smpc.drop_bounds('aud', 'x');
-- 4. returned: an earlier release given back (the row is written here
-- directly, as a real release needs partners), inside a transaction that is
-- rolled back: the record stays.
INSERT INTO smpc.jobs (federation, job_id, descriptor, state, result, started_by, input)
VALUES ('aud', 'aud-4', 'count(any)', 'released', '7', 'regress_aud_alice', 'reading x');
BEGIN;
SET LOCAL ROLE regress_aud_alice;
SELECT smpc_count(x, 'aud-4') FROM aud_t;
ROLLBACK;
-- 5. refused: bob asks for alice's stored result.
SET ROLE regress_aud_bob;
SELECT smpc_count(x, 'aud-4') FROM aud_t;
RESET ROLE;

SELECT pg_temp.wait_audit(5) AS all_recorded;
-- The writer reports its inserts to the statistics system: without that,
-- autovacuum never analyzes or vacuums smpc.audit_log, the planner keeps
-- taking it for empty, and every job's lookups in it (spent job ids,
-- privacy charges) scan the whole, ever longer table.
SELECT pg_temp.wait_until(
    '(SELECT n_tup_ins FROM pg_stat_all_tables WHERE relid = ''smpc.audit_log''::regclass) >= 5')
    AS inserts_counted;
SELECT job_id, aggregate, requested_by, login_role, partners, outcome, sqlstate, reason,
       result, policy, outside_bounds, finished_at >= started_at AS timed,
       backend_pid = pg_backend_pid() AS this_backend
FROM smpc.audit_log WHERE federation = 'aud' ORDER BY started_at;
-- The query is kept as a SHA-256 of its text, not as the text.
SELECT job_id FROM smpc.audit_log
WHERE federation = 'aud'
  AND query_sha256 = encode(sha256(convert_to('SELECT smpc_sum(x, ''aud-2'') FROM aud_t;', 'UTF8')), 'hex');
-- Nothing secret: no password of a user mapping, in any column.
SELECT count(*) AS with_password FROM smpc.audit_log a
WHERE a::text LIKE '%secret-b%' OR a::text LIKE '%secret-c%';

-- Who reads what: admins everything, analysts their own records, others
-- (partners' login roles included) nothing.
SET ROLE regress_aud_alice;
SELECT job_id, outcome FROM smpc.audit_log WHERE federation = 'aud' ORDER BY started_at;
RESET ROLE;
SET ROLE regress_aud_bob;
SELECT job_id, outcome FROM smpc.audit_log WHERE federation = 'aud' ORDER BY started_at;
RESET ROLE;
SET ROLE regress_aud_admin;
SELECT count(*) FROM smpc.audit_log WHERE federation = 'aud';
RESET ROLE;
SET ROLE regress_aud_peer;
SELECT count(*) FROM smpc.audit_log;
RESET ROLE;

-- Nobody but a superuser changes it: without rights, and even when someone
-- grants them by mistake.
SET ROLE regress_aud_admin;
INSERT INTO smpc.audit_log (event_id, federation, job_id, aggregate, requested_by, login_role,
                            query_sha256, partners, outcome, started_at, finished_at, backend_pid)
VALUES (gen_random_uuid(), 'aud', 'forged', 'sum(integer)', 'x', 'x', '', '{}', 'released',
        now(), now(), 0);
UPDATE smpc.audit_log SET outcome = 'released' WHERE federation = 'aud';
DELETE FROM smpc.audit_log WHERE federation = 'aud';
TRUNCATE smpc.audit_log;
RESET ROLE;
-- (With rights granted, row-level security leaves UPDATE and DELETE no row
-- to touch, and the trigger refuses TRUNCATE.)
GRANT ALL ON smpc.audit_log TO regress_aud_admin;
SET ROLE regress_aud_admin;
UPDATE smpc.audit_log SET outcome = 'released' WHERE federation = 'aud';
DELETE FROM smpc.audit_log WHERE federation = 'aud';
TRUNCATE smpc.audit_log;
RESET ROLE;
SELECT outcome, count(*) FROM smpc.audit_log WHERE federation = 'aud' GROUP BY 1 ORDER BY 1;
REVOKE ALL ON smpc.audit_log FROM regress_aud_admin;
-- Not even a superuser updates a row; a superuser may delete (retention).
UPDATE smpc.audit_log SET outcome = 'released' WHERE federation = 'aud';
SELECT count(*) FROM smpc.audit_log WHERE federation = 'aud';
DELETE FROM smpc.audit_log WHERE federation = 'aud';
SELECT count(*) FROM smpc.audit_log WHERE federation = 'aud';

-- Every job start looks up its id in smpc.jobs whatever the federation. It
-- reads by index: a scan of every job ever recorded made each job here
-- slower than the one before.
INSERT INTO smpc.jobs (federation, job_id, descriptor, state, result, started_by, input)
SELECT 'aud', 'aud-filler-' || g, 'count(any)', 'released', '1', 'regress_aud_alice', 'reading x'
FROM generate_series(1, 5000) g;
ANALYZE smpc.jobs;
BEGIN;
SET LOCAL ROLE regress_aud_alice;
SELECT smpc_count(x, 'aud-4') FROM aud_t;
RESET ROLE;
SELECT seq_scan AS jobs_scanned_whole FROM pg_stat_xact_all_tables
WHERE relid = 'smpc.jobs'::regclass;
ROLLBACK;
SELECT pg_temp.wait_audit(1) AS recorded;
DELETE FROM smpc.audit_log WHERE federation = 'aud';
DELETE FROM smpc.jobs WHERE job_id LIKE 'aud-filler-%';

-- Dropping a federation keeps its audit records.
SELECT smpc_sum(x, 'aud-6') FROM aud_t;
SELECT pg_temp.wait_audit(1) AS recorded;
RESET smpc.federation;
DROP USER MAPPING FOR PUBLIC SERVER b;
DROP USER MAPPING FOR PUBLIC SERVER c;
REVOKE ALL ON FOREIGN SERVER b, c FROM smpc_analyst;
DROP SERVER b;
DROP SERVER c;
DELETE FROM smpc.jobs WHERE federation = 'aud';
SELECT smpc.drop_federation('aud');
SELECT job_id, outcome FROM smpc.audit_log WHERE federation = 'aud';
DELETE FROM smpc.audit_log WHERE federation = 'aud';
DROP TABLE aud_t;
DROP ROLE regress_aud_admin, regress_aud_alice, regress_aud_bob, regress_aud_peer;
