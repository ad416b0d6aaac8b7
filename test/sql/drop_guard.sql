-- DROP EXTENSION smpc refuses while smpc.audit_log holds records, naming how
-- to archive them; after archiving and TRUNCATE it drops, and the archive
-- stays. Drops of other extensions are not held up.
SELECT evtname, evtevent, evttags, evtenabled FROM pg_event_trigger WHERE evtname = 'smpc_keep_audit_log';
-- Earlier files' jobs reach smpc.audit_log through the audit writer, later
-- and in the order they ended: once a job of this file is stored, theirs
-- are too, and none can arrive after the TRUNCATE below.
SELECT smpc.create_federation('dg', 'a', ARRAY['a', 'b']);
SET smpc.federation = 'dg';
SELECT smpc_variance(v, 'dg-last') FROM (VALUES (1e19::float8)) x(v);
DO $wait$
BEGIN
    FOR i IN 1..200 LOOP
        EXIT WHEN EXISTS (SELECT FROM smpc.audit_log WHERE job_id = 'dg-last');
        PERFORM pg_sleep(0.05);
    END LOOP;
END $wait$;
SELECT count(*) AS stored FROM smpc.audit_log WHERE job_id = 'dg-last';
RESET smpc.federation;
SELECT smpc.drop_federation('dg');
TRUNCATE smpc.audit_log;
INSERT INTO smpc.audit_log (event_id, federation, job_id, aggregate, requested_by, login_role,
                            query_sha256, partners, outcome, started_at, finished_at, backend_pid)
VALUES ('00000000-0000-4000-8000-000000000001', 'f', 'j1', 'sum(integer)', 'alice', 'alice', 'ab', '{b,c}',
        'released', '2026-01-05 10:00+00', '2026-01-05 10:00+00', 1),
       ('00000000-0000-4000-8000-000000000002', 'f', 'j2', 'sum(integer)', 'alice', 'alice', 'ab', '{b,c}',
        'failed', '2026-03-07 10:00+00', '2026-03-07 10:00+00', 1);
\set VERBOSITY default
\set SHOW_CONTEXT never
DROP EXTENSION smpc;
\echo :LAST_ERROR_SQLSTATE
DROP EXTENSION IF EXISTS smpc CASCADE;
\echo :LAST_ERROR_SQLSTATE
drop extension if exists no_such_extension, "smpc";
\echo :LAST_ERROR_SQLSTATE
-- Run by a function, the statement text says nothing: smpc is assumed.
CREATE FUNCTION pg_temp.drop_it(name text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('DROP EXTENSION %I', name);
END $$;
SELECT pg_temp.drop_it('smpc');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS records_kept FROM smpc.audit_log;
-- Other extensions drop as before, also for a role that cannot drop smpc.
DROP EXTENSION IF EXISTS no_such_extension;
CREATE ROLE regress_smpc_owner_of_other;
GRANT CREATE ON DATABASE :"DBNAME" TO regress_smpc_owner_of_other;
SET ROLE regress_smpc_owner_of_other;
CREATE EXTENSION pgcrypto;
SELECT pg_temp.drop_it('pgcrypto');
RESET ROLE;
SELECT count(*) AS pgcrypto_left FROM pg_extension WHERE extname = 'pgcrypto';
REVOKE CREATE ON DATABASE :"DBNAME" FROM regress_smpc_owner_of_other;
DROP ROLE regress_smpc_owner_of_other;
-- Archive, empty the log, drop: the archive outlives the extension.
CREATE TABLE audit_archive AS TABLE smpc.audit_log;
TRUNCATE smpc.audit_log;
DROP EXTENSION smpc;
SELECT job_id, outcome FROM audit_archive ORDER BY job_id;
DROP TABLE audit_archive;
CREATE EXTENSION smpc;
