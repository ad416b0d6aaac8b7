-- What an smpc aggregate checks before it contacts any partner.
CREATE TABLE expenses (expenditure bigint, label text);
INSERT INTO expenses VALUES (10000, 'x'), (NULL, 'y');

-- Needs exactly one federation (or smpc.federation).
SELECT smpc.drop_federation('ico');
SELECT smpc_sum(expenditure, 'j1') FROM expenses;
SELECT smpc.create_federation('one', 'a', ARRAY['a', 'b']);
SELECT smpc.create_federation('two', 'a', ARRAY['a', 'b', 'c']);
SELECT smpc_sum(expenditure, 'j1') FROM expenses;
SET smpc.federation = 'nope';
SELECT smpc_sum(expenditure, 'j1') FROM expenses;
SET smpc.federation = 'one';

-- Every partner needs a server.
SELECT smpc_sum(expenditure, 'j1') FROM expenses;
-- The failed job left no record: it can be run again.
SELECT count(*) FROM smpc.jobs;

-- The job id must be one value for all rows, and not NULL.
SELECT smpc_sum(expenditure, label) FROM expenses;
SELECT smpc_sum(expenditure, NULL) FROM expenses;
SELECT smpc_sum(expenditure, random()::text) FROM expenses;
SELECT smpc_sum(expenditure, '') FROM expenses;
SELECT smpc_sum(expenditure, repeat('x', 16385)) FROM expenses;

-- Not with GROUP BY or as a window function (one job per query).
SELECT label, smpc_sum(expenditure, 'j2') FROM expenses GROUP BY label;
SELECT smpc_sum(expenditure, 'j3') OVER () FROM expenses;
-- Nor in a parallel worker: a plan that puts the whole aggregate there
-- (force_parallel_mode does for any parallel-safe query) is refused, with
-- what to do.
SET force_parallel_mode = on;
SELECT smpc_sum(expenditure, 'j4') FROM expenses;
RESET force_parallel_mode;

-- Every supported input type resolves.
SELECT p.oid::regprocedure AS aggregate, p.prorettype::regtype AS returns, p.proparallel
FROM pg_proc p JOIN pg_aggregate a ON a.aggfnoid = p.oid
WHERE p.proname LIKE 'smpc\_%' ORDER BY p.oid;
SELECT smpc_sum('t'::text, 'x');

-- The deliver endpoint only takes well-formed messages from the role that
-- the sending party's server names.
SELECT smpc.deliver('\x00');
SELECT smpc.deliver(smpc._test_message('one', 'job', 1, 0));
SELECT smpc.deliver(smpc._test_message('one', 'job', 0, 1));
SELECT smpc.deliver(smpc._test_message('one', 'job', 1, 1));
CREATE SERVER b FOREIGN DATA WRAPPER smpc
    OPTIONS (host '127.0.0.1', port '1', dbname 'org_b', peer_role 'peer_b');
SELECT smpc.deliver(smpc._test_message('one', 'job', 1, 0));
-- smpc.exchange (what partners of this version call) checks the same.
SELECT smpc.exchange('\x00');
SELECT smpc.exchange(smpc._test_message('one', 'job', 1, 0));
-- The check follows the servers at once (a session keeps each party's
-- peer_role until a server changes): once b names this login role its
-- message passes the check, and it fails again while c names that role
-- too, or after b names another.
ALTER SERVER b OPTIONS (SET peer_role 'postgres');
SELECT smpc.deliver(smpc._test_message('two', 'job', 1, 0));
CREATE SERVER c FOREIGN DATA WRAPPER smpc
    OPTIONS (host '127.0.0.1', port '1', dbname 'org_c', peer_role 'postgres');
SELECT smpc.deliver(smpc._test_message('two', 'job', 1, 0));
ALTER SERVER c OPTIONS (SET peer_role 'peer_c');
SELECT smpc.deliver(smpc._test_message('two', 'job', 1, 0));
DROP SERVER c;
ALTER SERVER b OPTIONS (SET peer_role 'peer_b');
SELECT smpc.deliver(smpc._test_message('two', 'job', 1, 0));
DROP SERVER b;

-- Who may run a job: USAGE on every partner's server and a user mapping are
-- needed; a partner's login role may never run one.
CREATE SERVER b FOREIGN DATA WRAPPER smpc
    OPTIONS (host '127.0.0.1', port '1', dbname 'org_b', peer_role 'peer_b');
SELECT smpc.grant_results('one', 'smpc_analyst');
CREATE ROLE smpc_regress_analyst IN ROLE smpc_analyst;
-- peer_b is made an analyst too: even then a partner's login role is refused.
CREATE ROLE peer_b IN ROLE smpc_analyst;
GRANT SELECT ON expenses TO smpc_regress_analyst, peer_b;
SET ROLE smpc_regress_analyst;
SELECT smpc_sum(expenditure, 'j4') FROM expenses;
RESET ROLE;
GRANT USAGE ON FOREIGN SERVER b TO smpc_regress_analyst, peer_b;
SET ROLE smpc_regress_analyst;
SELECT smpc_sum(expenditure, 'j4') FROM expenses;
RESET ROLE;
SET ROLE peer_b;
SELECT smpc_sum(expenditure, 'j4') FROM expenses;
RESET ROLE;

-- The catalog queries run as the extension owner with a fixed search_path:
-- an operator planted in the caller's search_path is never called by them.
CREATE SCHEMA evil;
GRANT USAGE ON SCHEMA evil TO smpc_regress_analyst;
CREATE FUNCTION evil.text_eq(text, text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'hijacked as %', current_user;
END $$;
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.text_eq);
CREATE USER MAPPING FOR smpc_regress_analyst SERVER b OPTIONS (user 'peer_a', password 'x');
-- Two parties are below the default release policy; allow them here so that
-- the job gets as far as connecting (every catalog query on the way runs).
SELECT smpc.set_policy('one', min_parties => 2);
SET ROLE smpc_regress_analyst;
SET search_path = evil, pg_catalog, public;
SELECT smpc_sum(expenditure, 'j5') FROM expenses;
RESET search_path;
RESET ROLE;
DROP USER MAPPING FOR smpc_regress_analyst SERVER b;
DROP SCHEMA evil CASCADE;
REVOKE ALL ON expenses FROM smpc_regress_analyst, peer_b;
REVOKE ALL ON FOREIGN SERVER b FROM smpc_regress_analyst, peer_b;
DROP ROLE smpc_regress_analyst;
DROP ROLE peer_b;
DROP SERVER b;

-- Double precision sums and averages round each value to the federation's
-- fixed point (scale 6 here) and add exactly, as variances do: one row never
-- moves a sum by more than its rounded value, and the same rows in any
-- order, or split among parallel workers, give a bit-identical partial sum.
-- The local phase alone, seen through its serialized state: 1e11 plus
-- 99,999 values of 0.3 to 0.5 adds up in double precision to a sum that
-- depends on the order (after 1e11 each addition rounds to 2^-16).
CREATE AGGREGATE float8_state(double precision, text) (
    SFUNC = smpc._accum_float8, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._serialize, PARALLEL = SAFE);
CREATE AGGREGATE float8_sq_state(double precision, text) (
    SFUNC = smpc._accum_sq_float8, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._serialize, PARALLEL = SAFE);
CREATE TABLE float_rows (v double precision);
INSERT INTO float_rows SELECT CASE WHEN i = 1 THEN 1e11 ELSE 0.3 + (i % 3) * 0.1 END
FROM generate_series(1, 100000) i;
ANALYZE float_rows;
SET max_parallel_workers_per_gather = 0;
SELECT (SELECT float8_state(v, 'j' ORDER BY v) FROM float_rows)
     = (SELECT float8_state(v, 'j' ORDER BY v DESC) FROM float_rows) AS sum_same_in_any_order,
       (SELECT float8_sq_state(v, 'j' ORDER BY v) FROM float_rows)
     = (SELECT float8_sq_state(v, 'j' ORDER BY v DESC) FROM float_rows) AS squares_same_in_any_order;
CREATE TEMP TABLE serial_states AS
SELECT float8_state(v, 'j') AS sum_state, float8_sq_state(v, 'j') AS sq_state FROM float_rows;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;  -- every row goes through a worker's partial state
EXPLAIN (COSTS OFF) SELECT float8_state(v, 'j') FROM float_rows;
SELECT float8_state(v, 'j') = (SELECT sum_state FROM serial_states) AS sum_same_in_parallel,
       float8_sq_state(v, 'j') = (SELECT sq_state FROM serial_states) AS squares_same_in_parallel
FROM float_rows;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
DROP TABLE float_rows, serial_states;
DROP AGGREGATE float8_state(double precision, text);
DROP AGGREGATE float8_sq_state(double precision, text);

-- Grouped aggregates and histograms in parallel workers: each worker counts
-- over the domain (here a scalar subquery the leader evaluates once) or the
-- edges, and the leader adds the workers' arrays. The combined partial
-- state equals the one one process builds, for every value class (numeric
-- values of different scales, double precision rounded row by row).
CREATE AGGREGATE group_state_numeric(text, numeric, text[], text) (
    SFUNC = smpc._group_accum_numeric, STYPE = internal,
    COMBINEFUNC = smpc._group_combine, SERIALFUNC = smpc._group_serialize,
    DESERIALFUNC = smpc._group_deserialize, FINALFUNC = smpc._group_serialize, PARALLEL = SAFE);
CREATE AGGREGATE group_state_float8(text, double precision, text[], text) (
    SFUNC = smpc._group_accum_float8, STYPE = internal,
    COMBINEFUNC = smpc._group_combine, SERIALFUNC = smpc._group_serialize,
    DESERIALFUNC = smpc._group_deserialize, FINALFUNC = smpc._group_serialize, PARALLEL = SAFE);
CREATE AGGREGATE group_state_count(text, text[], text) (
    SFUNC = smpc._group_count_accum, STYPE = internal,
    COMBINEFUNC = smpc._group_combine, SERIALFUNC = smpc._group_serialize,
    DESERIALFUNC = smpc._group_deserialize, FINALFUNC = smpc._group_serialize, PARALLEL = SAFE);
CREATE AGGREGATE hist_state(bigint, numeric[], text) (
    SFUNC = smpc._hist_accum_int8, STYPE = internal,
    COMBINEFUNC = smpc._hist_combine, SERIALFUNC = smpc._hist_serialize,
    DESERIALFUNC = smpc._hist_deserialize, FINALFUNC = smpc._hist_serialize, PARALLEL = SAFE);
CREATE TABLE grouped_rows AS
SELECT 'k' || (i % 1000) AS k, i::bigint AS i,
       CASE WHEN i % 3 = 0 THEN round(i / 7.0, 1) ELSE round(i / 7.0, 4) END AS n,
       i / 7.0::float8 AS f
FROM generate_series(1, 200000) i;
ANALYZE grouped_rows;
CREATE TEMP VIEW grouped_states AS
SELECT group_state_numeric(k, n, (SELECT array_agg('k' || g) FROM generate_series(0, 999) g), 'j') AS n_state,
       group_state_float8(k, f, (SELECT array_agg('k' || g) FROM generate_series(0, 999) g), 'j') AS f_state,
       group_state_count(k, (SELECT array_agg('k' || g) FROM generate_series(0, 999) g), 'j') AS c_state,
       hist_state(i, ARRAY[10, 1000, 150000.5], 'j') AS h_state
FROM grouped_rows;
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial_grouped AS SELECT * FROM grouped_states;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;  -- every row goes through a worker's partial state
EXPLAIN (COSTS OFF) SELECT * FROM grouped_states;
SELECT g.n_state = s.n_state AS numeric_same_in_parallel,
       g.f_state = s.f_state AS float8_same_in_parallel,
       g.c_state = s.c_state AS count_same_in_parallel,
       g.h_state = s.h_state AS histogram_same_in_parallel,
       length(g.n_state) > 1000 * 28 AS holds_every_cell
FROM grouped_states g, serial_grouped s;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
DROP VIEW grouped_states;
DROP TABLE grouped_rows, serial_grouped;
DROP AGGREGATE group_state_numeric(text, numeric, text[], text);
DROP AGGREGATE group_state_float8(text, double precision, text[], text);
DROP AGGREGATE group_state_count(text, text[], text);
DROP AGGREGATE hist_state(bigint, numeric[], text);

-- SQLSTATEs a client can act on (README lists them).
CREATE FUNCTION pg_temp.sqlstate_of(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END $$;
SELECT pg_temp.sqlstate_of($$SELECT smpc_sum(expenditure, NULL) FROM expenses$$) AS null_job_id,
       pg_temp.sqlstate_of($$SELECT smpc.deliver('\x00')$$) AS malformed_message,
       pg_temp.sqlstate_of($$SELECT smpc_share(1::bigint, 1)$$) AS bad_parties,
       pg_temp.sqlstate_of($$SELECT smpc_share(1e40, 3)$$) AS too_large,
       pg_temp.sqlstate_of($$SELECT smpc_reconstruct(ARRAY['x'])$$) AS bad_share,
       pg_temp.sqlstate_of($$SELECT smpc.federation_fingerprint('nope')$$) AS no_federation;

-- Every object of the extension has a comment.
SELECT pg_describe_object(classid, objid, 0) AS without_comment
FROM pg_depend d
WHERE d.refclassid = 'pg_extension'::regclass
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'smpc')
  AND d.deptype = 'e'
  AND obj_description(objid, classid::regclass::name) IS NULL
ORDER BY 1;

-- DROP EXTENSION removes everything it created, once the audit log is
-- emptied (it refuses while the log holds records: drop_guard).
TRUNCATE smpc.audit_log;
DROP EXTENSION smpc;
SELECT count(*) FROM pg_namespace WHERE nspname = 'smpc';
SELECT count(*) FROM pg_foreign_data_wrapper WHERE fdwname = 'smpc';
SELECT count(*) FROM pg_proc WHERE proname LIKE 'smpc%';
CREATE EXTENSION smpc;
