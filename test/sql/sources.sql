-- Bounds and privacy budgets follow the base columns (table and column) an
-- aggregate reads, through aliases, subqueries, CTEs, views, UNION ALL, SQL
-- functions and joins; an expression over a bounded or budgeted column is
-- refused unless the administrator bounded it; a value smpc cannot follow
-- is treated as reading every column; budgets are kept per column across
-- every federation; a job id is used once across every federation.
--
-- The partners cannot be reached: a job refused by this party's policy says
-- why (SM006) before contacting anyone; a job that gets past the policy
-- fails connecting (08001), which here means it would have been released.
SELECT smpc.create_federation('src', 'a', ARRAY['a', 'b', 'c']);
SELECT smpc.create_federation('src2', 'a', ARRAY['a', 'b', 'c']);
CREATE SERVER b FOREIGN DATA WRAPPER smpc
    OPTIONS (host '127.0.0.1', port '1', dbname 'org_b', peer_role 'peer_b');
CREATE SERVER c FOREIGN DATA WRAPPER smpc
    OPTIONS (host '127.0.0.1', port '1', dbname 'org_c', peer_role 'peer_c');
CREATE USER MAPPING FOR PUBLIC SERVER b OPTIONS (user 'peer_a', password 'x');
CREATE USER MAPPING FOR PUBLIC SERVER c OPTIONS (user 'peer_a', password 'x');
SET smpc.federation = 'src';
SET smpc.timeout = '1s';
-- Each statement's outcome as a short line: the SQLSTATE and the first
-- line of the message (the connection errors' details vary by platform).
CREATE FUNCTION pg_temp.outcome(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    msg text;
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
    RETURN SQLSTATE || ': ' || msg;
END $$;

CREATE TABLE spend (amount integer, other integer);
INSERT INTO spend VALUES (100, 1), (600, 2), (50, NULL);
CREATE TABLE spend2 (amount integer);
INSERT INTO spend2 VALUES (700);
-- 'reject' bounds make the bounds a job applies visible: 600 and 700 lie
-- outside, so a job clipped to the bounds of amount is refused.
SELECT smpc.set_bounds('src', 'amount', 0, 500, 'reject');

-- Every shape that renames amount gets its bounds.
CREATE VIEW spend_view AS SELECT amount AS spent FROM spend;
CREATE VIEW spend_top AS SELECT amount AS spent FROM spend ORDER BY amount LIMIT 10;
CREATE FUNCTION same(x integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT x';
CREATE FUNCTION spend_rows() RETURNS TABLE (v integer) LANGUAGE sql STABLE
    AS 'SELECT amount FROM spend';
SELECT q AS "query", pg_temp.outcome(q) FROM (VALUES
    ($$SELECT smpc_sum(amount, 's-plain') FROM spend$$),
    ($$SELECT smpc_sum(s.x, 's-alias') FROM spend AS s(x)$$),
    ($$SELECT smpc_sum(y, 's-sub') FROM (SELECT amount AS y FROM spend) q$$),
    ($$SELECT smpc_sum(y, 's-sub-limit') FROM (SELECT amount AS y FROM spend LIMIT 10) q$$),
    ($$WITH c AS (SELECT amount AS z FROM spend) SELECT smpc_sum(z, 's-cte') FROM c$$),
    ($$WITH c AS MATERIALIZED (SELECT amount AS z FROM spend) SELECT smpc_sum(z, 's-cte-mat') FROM c$$),
    ($$SELECT smpc_sum(spent, 's-view') FROM spend_view$$),
    ($$SELECT smpc_sum(spent, 's-view-limit') FROM spend_top$$),
    ($$SELECT smpc_sum(amount::numeric, 's-cast') FROM spend$$),
    ($$SELECT smpc_sum(u, 's-union') FROM (SELECT amount AS u FROM spend UNION ALL SELECT amount FROM spend2) q$$),
    ($$SELECT smpc_sum(u, 's-union-other') FROM (SELECT other AS u FROM spend UNION ALL SELECT amount FROM spend2) q$$),
    ($$SELECT smpc_sum(same(amount), 's-sqlfunc') FROM spend$$),
    ($$SELECT smpc_sum(v, 's-srf') FROM spend_rows()$$),
    ($$SELECT smpc_sum(s.amount, 's-join') FROM spend s JOIN spend2 t ON s.amount < t.amount$$)
) AS shapes(q);

-- Expressions over amount escape its bounds: refused, exact or not.
CREATE FUNCTION plus_zero(x integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT x + 0';
CREATE FUNCTION opaque(x integer) RETURNS integer LANGUAGE plpgsql IMMUTABLE AS 'BEGIN RETURN x; END';
CREATE FUNCTION spend_rows_volatile() RETURNS TABLE (v integer) LANGUAGE sql
    AS 'SELECT amount FROM spend';
CREATE VIEW spend_scaled AS SELECT amount * 2 AS spent FROM spend;
SELECT q AS "query", pg_temp.outcome(q) FROM (VALUES
    ($$SELECT smpc_sum(amount + 0, 'e-plus') FROM spend$$),
    ($$SELECT smpc_sum(amount * 1.0, 'e-times') FROM spend$$),
    ($$SELECT smpc_sum(CASE WHEN amount > 0 THEN amount ELSE 0 END, 'e-case') FROM spend$$),
    ($$SELECT smpc_sum(y, 'e-sub') FROM (SELECT amount - 1 AS y FROM spend LIMIT 10) q$$),
    ($$WITH c AS MATERIALIZED (SELECT amount / 2 AS z FROM spend) SELECT smpc_sum(z, 'e-cte') FROM c$$),
    ($$SELECT smpc_sum(spent, 'e-view') FROM spend_scaled$$),
    ($$SELECT smpc_sum(u, 'e-union') FROM (SELECT amount + 0 AS u FROM spend UNION ALL SELECT amount FROM spend2) q$$),
    ($$SELECT smpc_sum(plus_zero(amount), 'e-sqlfunc') FROM spend$$),
    ($$SELECT smpc_sum(s.amount + t.amount, 'e-join') FROM spend s JOIN spend2 t ON true$$),
    ($$SELECT smpc_avg(amount + 0, 'e-avg') FROM spend$$),
    ($$SELECT smpc_variance(amount + 0, 'e-var') FROM spend$$),
    ($$SELECT smpc_sum_by('k', amount + 0, ARRAY['k'], 'e-by') FROM spend$$)
) AS shapes(q);

-- Values smpc cannot follow are treated as reading every column: with any
-- bounds in the federation, sums and averages are refused.
SELECT q AS "query", pg_temp.outcome(q) FROM (VALUES
    ($$SELECT smpc_sum(opaque(amount), 'u-plpgsql') FROM spend$$),
    ($$SELECT smpc_sum(v, 'u-srf') FROM spend_rows_volatile()$$),
    ($$SELECT smpc_sum(n, 'u-recursive') FROM (WITH RECURSIVE r(n) AS (SELECT amount FROM spend UNION ALL SELECT n - 1 FROM r WHERE n > 599) SELECT n FROM r) q$$)
) AS shapes(q);
-- Counts take no bounds.
SELECT pg_temp.outcome($$SELECT smpc_count(amount + 0, 'u-count') FROM spend$$);

-- The message says what to do.
SELECT smpc_sum(amount + 0, 'e-message') FROM spend;
SELECT smpc_sum(opaque(amount), 'u-message') FROM spend;

-- An expression is bounded by making it a column: a stored generated column
-- with bounds of its own. Without them it is an expression over amount.
ALTER TABLE spend ADD COLUMN doubled integer GENERATED ALWAYS AS (amount * 2) STORED;
SELECT pg_temp.outcome($$SELECT smpc_sum(doubled, 'g-1') FROM spend$$);
SELECT smpc.set_bounds('src', 'doubled', 0, 1000, 'reject');
SELECT pg_temp.outcome($$SELECT smpc_sum(doubled, 'g-2') FROM spend$$);
SELECT pg_temp.outcome($$SELECT smpc_sum(d, 'g-3') FROM (SELECT doubled AS d FROM spend LIMIT 5) q$$);
SELECT smpc.drop_bounds('src', 'doubled');

-- The same under a parallel plan (workers clip), a generic plan of a
-- prepared statement, and a query run through SPI.
CREATE TABLE spend_big AS SELECT g % 1000 AS amount FROM generate_series(1, 100000) g;
ANALYZE spend_big;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT smpc_sum(y, 'par-1') FROM (SELECT amount + 0 AS y FROM spend_big) q;
SELECT smpc_sum(y, 'par-1') FROM (SELECT amount + 0 AS y FROM spend_big) q;
SELECT smpc_sum(y, 'par-2') FROM (SELECT amount AS y FROM spend_big) q;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
SET plan_cache_mode = force_generic_plan;
PREPARE scaled(text) AS SELECT smpc_sum(amount * 1, $1) FROM spend;
SELECT pg_temp.outcome($$EXECUTE scaled('prep-1')$$);
SELECT pg_temp.outcome($$EXECUTE scaled('prep-2')$$);
DEALLOCATE scaled;
RESET plan_cache_mode;
CREATE FUNCTION spi_sum(job text) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE
    r numeric;
BEGIN
    SELECT smpc_sum(amount + 0, job) INTO r FROM spend;
    RETURN r;
END $$;
SELECT pg_temp.outcome($$SELECT spi_sum('spi-1')$$);

-- Privacy budgets follow the same columns. An exact job on a budgeted
-- column is refused, whatever shape reads it.
SELECT smpc.drop_bounds('src', 'amount');
SELECT smpc.set_privacy_budget('src', 'other', 1.0);
CREATE VIEW other_view AS SELECT other AS o FROM spend;
CREATE FUNCTION other_rows() RETURNS TABLE (v integer) LANGUAGE sql STABLE
    AS 'SELECT other FROM spend';
SELECT q AS "query", pg_temp.outcome(q) FROM (VALUES
    ($$SELECT smpc_count(other, 'b-plain') FROM spend$$),
    ($$SELECT smpc_count(s.x, 'b-alias') FROM spend AS s(a, x)$$),
    ($$SELECT smpc_count(other + 0, 'b-expr') FROM spend$$),
    ($$SELECT smpc_count(other * 1.0, 'b-times') FROM spend$$),
    ($$SELECT smpc_count(CASE WHEN other > 1 THEN 1 END, 'b-case') FROM spend$$),
    ($$SELECT smpc_count(o, 'b-sub') FROM (SELECT other AS o FROM spend LIMIT 10) q$$),
    ($$WITH c AS MATERIALIZED (SELECT other AS o FROM spend) SELECT smpc_count(o, 'b-cte') FROM c$$),
    ($$SELECT smpc_count(o, 'b-view') FROM other_view$$),
    ($$SELECT smpc_count(u, 'b-union') FROM (SELECT amount AS u FROM spend2 UNION ALL SELECT other FROM spend) q$$),
    ($$SELECT smpc_count(same(other), 'b-sqlfunc') FROM spend$$),
    ($$SELECT smpc_count(v, 'b-srf') FROM other_rows()$$),
    ($$SELECT smpc_count(s.other, 'b-join') FROM spend s JOIN spend2 t ON true$$),
    ($$SELECT smpc_count_by(other::text, ARRAY['1', '2'], 'b-key') FROM spend WHERE other IS NOT NULL$$),
    ($$SELECT smpc_count(opaque(amount), 'b-opaque') FROM spend$$),
    ($$SELECT smpc_count(amount, 'b-other-column') FROM spend$$)
) AS shapes(q);
-- A noisy job is charged to the budgets of the columns it reads.
SET smpc.epsilon = 0.25;
SELECT q AS "query", pg_temp.outcome(q) FROM (VALUES
    ($$SELECT smpc_count(other + 0, 'n-expr') FROM spend$$),
    ($$SELECT smpc_count(o, 'n-view') FROM other_view$$),
    ($$SELECT smpc_count(u, 'n-union') FROM (SELECT amount AS u FROM spend2 UNION ALL SELECT other FROM spend) q$$),
    ($$SELECT smpc_count(opaque(amount), 'n-opaque') FROM spend$$)
) AS shapes(q);
SELECT job_id, dataset, outcome, epsilon FROM smpc.privacy_ledger
WHERE job_id LIKE 'n-%' AND outcome = 'charged' ORDER BY job_id, dataset;
-- None sent anything (the partners cannot be reached): all are refunded.
DO $$
BEGIN
    FOR i IN 1 .. 200 LOOP
        EXIT WHEN (SELECT count(*) FROM smpc.privacy_ledger
                   WHERE job_id LIKE 'n-%' AND outcome = 'refunded') = 4;
        PERFORM pg_sleep(0.05);
    END LOOP;
END $$;
SELECT sum(epsilon) AS net FROM smpc.privacy_ledger WHERE job_id LIKE 'n-%';

-- One ledger per column across federations: what federation src spent on
-- other counts in federation src2 (here a charge recorded as a released
-- job of src would have recorded it).
INSERT INTO smpc.audit_log (event_id, federation, job_id, aggregate, requested_by, login_role,
    query_sha256, partners, outcome, epsilon, budget_dataset, started_at, finished_at, backend_pid)
VALUES (gen_random_uuid(), 'src', 'spent-in-src', 'count(integer) with epsilon 0.9', current_user,
    current_user, '', '{b,c}', 'charged', 0.9, 'other', now(), now(), 0);
SELECT smpc.set_privacy_budget('src2', 'other', 1.0);
SELECT smpc.drop_privacy_budget('src', 'other');
SET smpc.federation = 'src2';
SELECT smpc_count(other, 'x-1') FROM spend;
SELECT federation, dataset, budget, spent, round(remaining::numeric, 6) AS remaining FROM smpc.privacy_budget_left;
RESET smpc.epsilon;
-- A budget declared in one federation refuses exact jobs in every other.
SELECT smpc.set_privacy_budget('src', 'other', 1.0);
SELECT smpc.drop_privacy_budget('src2', 'other');
SELECT smpc_count(other, 'x-2') FROM spend;
SELECT smpc.drop_privacy_budget('src', 'other');
SET smpc.federation = 'src';

-- A job id is used once across every federation of this party: a job
-- released in src (its row) refuses the same id in src2.
INSERT INTO smpc.jobs (federation, job_id, descriptor, state, result, started_by, input)
VALUES ('src', 'once', 'count(any)', 'released', '3', current_user, 'reading amount');
SET smpc.federation = 'src2';
SELECT smpc_count(amount, 'once') FROM spend;
SET smpc.federation = 'src';
SELECT smpc_count(amount, 'once') FROM spend;

RESET smpc.federation;
RESET smpc.timeout;
DROP FUNCTION spi_sum(text), same(integer), plus_zero(integer), opaque(integer), spend_rows(),
    spend_rows_volatile(), other_rows();
DROP VIEW other_view;
DROP TABLE spend, spend2, spend_big CASCADE;
DROP USER MAPPING FOR PUBLIC SERVER b;
DROP USER MAPPING FOR PUBLIC SERVER c;
DROP SERVER b;
DROP SERVER c;
SELECT smpc.drop_federation('src'), smpc.drop_federation('src2');
