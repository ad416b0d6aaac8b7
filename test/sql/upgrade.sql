-- ALTER EXTENSION smpc UPDATE on an installation of 0.1.0 that holds data
-- (every upgrade script of the chain, one after another):
-- the data stays, the new settings get their defaults, and the objects are
-- those of a fresh installation (sql/smpc.sql). The member lists are
-- compared here; test/t/026_upgrade_compare.pl compares every catalog row.
CREATE TEMP TABLE fresh AS
SELECT pg_describe_object(classid, objid, 0) AS object
FROM pg_depend
WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
  AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'smpc');
SELECT extversion FROM pg_extension WHERE extname = 'smpc';
TRUNCATE smpc.audit_log;
DROP EXTENSION smpc;
CREATE EXTENSION smpc VERSION '0.1.0';
SELECT extversion FROM pg_extension WHERE extname = 'smpc';
SELECT count(*) AS audit_log_in_0_1_0 FROM pg_class WHERE relname = 'audit_log';
-- The new library refuses to work with the old objects, saying what to do.
SELECT smpc.create_federation('old', 'a', ARRAY['a', 'b', 'c'], 2);
-- Data as 0.1.0 kept it.
INSERT INTO smpc.federations (name, self_name, parties, scale) VALUES ('old', 'a', '{a,b,c}', 2);
INSERT INTO smpc.jobs (federation, job_id, descriptor, state, result)
VALUES ('old', 'old-1', 'sum(integer)', 'released', '42');
-- Through 0.2.0, with a view over a grouped aggregate and a grant on it:
-- 0.3.0 makes grouped aggregates and histograms parallel safe in place, so
-- both stay.
ALTER EXTENSION smpc UPDATE TO '0.2.0';
CREATE ROLE upgrade_reader;
CREATE VIEW sums_by_region AS
SELECT smpc_sum_by(r, v, ARRAY['n', 's'], 'view-1') AS sums FROM (VALUES ('n', 1)) x(r, v);
GRANT EXECUTE ON FUNCTION smpc_sum_by(text, integer, text[], text) TO upgrade_reader;
ALTER EXTENSION smpc UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'smpc';
SELECT count(*) AS view_kept FROM pg_views WHERE viewname = 'sums_by_region';
SELECT has_function_privilege('upgrade_reader', 'smpc_sum_by(text, integer, text[], text)', 'EXECUTE')
       AS grant_kept;
-- The overlap matrix is off in an upgraded federation; only smpc_admin may
-- allow it.
SELECT overlap_pairs FROM smpc.federations WHERE name = 'old';
SELECT has_function_privilege('smpc_admin', 'smpc.set_overlap_pairs(text, boolean)', 'EXECUTE') AS admin,
       has_function_privilege('public', 'smpc.set_overlap_pairs(text, boolean)', 'EXECUTE') AS public;
SELECT p.proname, p.proparallel, a.aggcombinefn, a.aggserialfn, a.aggdeserialfn
FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
WHERE a.aggfnoid = 'smpc_sum_by(text, integer, text[], text)'::regprocedure
   OR a.aggfnoid = 'smpc_histogram(bigint, numeric[], text)'::regprocedure
ORDER BY 1;
DROP VIEW sums_by_region;
REVOKE EXECUTE ON FUNCTION smpc_sum_by(text, integer, text[], text) FROM upgrade_reader;
DROP ROLE upgrade_reader;
SELECT 'only after the update' AS where_, object FROM (
    SELECT pg_describe_object(classid, objid, 0) AS object
    FROM pg_depend
    WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
      AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'smpc')
    EXCEPT SELECT object FROM fresh) a
UNION ALL
SELECT 'only when fresh', object FROM (
    SELECT object FROM fresh
    EXCEPT
    SELECT pg_describe_object(classid, objid, 0)
    FROM pg_depend
    WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
      AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'smpc')) b
ORDER BY 1, 2;
SELECT count(*) AS objects FROM fresh;
-- The data of 0.1.0 is still there, with the default policy.
SELECT name, scale, min_parties, min_rows, require_bounds, threshold, compute FROM smpc.federations;
SELECT federation, job_id, result FROM smpc.jobs;
SELECT smpc.federation_fingerprint('old') IS NOT NULL AS fingerprint;
SELECT smpc.drop_federation('old');
