-- Release policies: their settings, clipping bounds, and what a party
-- refuses on its own side before it contacts any partner.
SELECT smpc.create_federation('pol', 'a', ARRAY['a', 'b', 'c']);
SELECT name, min_parties, min_rows, require_bounds FROM smpc.federations WHERE name = 'pol';

-- Settings: NULL keeps a setting; impossible values are refused.
SELECT smpc.set_policy('pol', min_rows => 10);
SELECT smpc.set_policy('pol', min_parties => 1);
SELECT smpc.set_policy('pol', min_parties => 65);
SELECT smpc.set_policy('pol', min_rows => -1);
SELECT smpc.set_policy('nope', min_rows => 1);
SELECT smpc.set_policy(NULL, min_rows => 1);
SELECT name, min_parties, min_rows, require_bounds FROM smpc.federations WHERE name = 'pol';
SELECT smpc.set_policy('pol', min_rows => 0);

-- Bounds per column ('*': any other column, and expressions).
SELECT smpc.set_bounds('pol', 'amount', 0, 1000);
SELECT smpc.set_bounds('pol', 'amount', 0, 500, 'reject');
SELECT smpc.set_bounds('pol', '*', -1, 1);
SELECT smpc.set_bounds('pol', 'x', 2, 1);
SELECT smpc.set_bounds('pol', 'x', 'NaN', 1);
SELECT smpc.set_bounds('pol', 'x', 0, 'Infinity');
SELECT smpc.set_bounds('pol', 'x', 0, 1, 'clamp');
SELECT smpc.set_bounds('pol', '', 0, 1);
SELECT smpc.set_bounds('pol', repeat('x', 64), 0, 1);
SELECT smpc.set_bounds('pol', E'a\nb', 0, 1);
SELECT smpc.set_bounds('nope', 'x', 0, 1);
SELECT smpc.set_bounds('pol', 'x', NULL, 1);
SELECT federation, column_name, lo, hi, on_violation FROM smpc.bounds ORDER BY column_name;
SELECT smpc.drop_bounds('pol', '*') AS dropped, smpc.drop_bounds('pol', '*') AS again;

-- Partners that cannot be reached: every refusal below happens before any
-- partner is contacted; a job that gets past the policy fails connecting.
CREATE SERVER b FOREIGN DATA WRAPPER smpc
    OPTIONS (host '127.0.0.1', port '1', dbname 'org_b', peer_role 'peer_b');
CREATE SERVER c FOREIGN DATA WRAPPER smpc
    OPTIONS (host '127.0.0.1', port '1', dbname 'org_c', peer_role 'peer_c');
CREATE USER MAPPING FOR PUBLIC SERVER b OPTIONS (user 'peer_a', password 'x');
CREATE USER MAPPING FOR PUBLIC SERVER c OPTIONS (user 'peer_a', password 'x');
SET smpc.federation = 'pol';
SET smpc.timeout = '1s';
CREATE TABLE spend (amount integer, other integer, price numeric, ratio double precision);
INSERT INTO spend VALUES (100, 1, 1.5, 0.5), (600, 2, 2.25, 2.5), (50, NULL, -3, -0.25);

-- 'reject' bounds: a value outside refuses the job at this party.
SELECT smpc_sum(amount, 'p1') FROM spend;
SELECT smpc_avg(amount, 'p1') FROM spend WHERE amount < 500;
-- The table's column decides, whatever alias or view the query uses.
SELECT smpc_sum(s.x, 'p1') FROM spend AS s(x);
CREATE VIEW spend_view AS SELECT amount AS spent FROM spend;
SELECT smpc_sum(spent, 'p1') FROM spend_view;
-- An expression over the column escapes its bounds, whatever a subquery names it.
SELECT smpc_sum(amount, 'p1') FROM (SELECT amount * 2 AS amount FROM spend LIMIT 10) q;
-- numeric and double precision are compared in the federation's fixed point.
SELECT smpc.set_bounds('pol', 'price', -2.5, 2, 'reject');
SELECT smpc_sum(price, 'p1') FROM spend;
SELECT smpc.set_bounds('pol', 'ratio', 0, 1, 'reject');
SELECT smpc_sum(ratio, 'p1') FROM spend;
-- Bounds with more digits than the fixed point keeps are narrowed to it.
SELECT smpc.set_bounds('pol', 'amount', 0.5, 600.5, 'reject');
SELECT smpc_sum(amount, 'p1') FROM spend WHERE amount > 50;
SELECT smpc.set_bounds('pol', 'amount', 0.2, 0.8, 'reject');
SELECT smpc_sum(amount, 'p1') FROM spend;

-- The same counts under a parallel plan: workers clip, the leader adds up.
CREATE TABLE spend_big AS SELECT g % 1000 AS amount FROM generate_series(1, 100000) g;
ANALYZE spend_big;
SELECT smpc.set_bounds('pol', 'amount', 0, 989, 'reject');
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT smpc_sum(amount, 'p1') FROM spend_big;
SELECT smpc_sum(amount, 'p1') FROM spend_big;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- require_bounds: sums and averages over a column without bounds are refused;
-- counts need none.
SELECT smpc.drop_bounds('pol', 'amount');
SELECT smpc.set_policy('pol', require_bounds => true);
SELECT smpc_sum(other, 'p2') FROM spend;
SELECT smpc_avg(amount + 1, 'p2') FROM spend;
SELECT smpc_count(other, 'p2') FROM spend;
-- With bounds that clip, the job goes on (here: to the unreachable partners).
SELECT smpc.set_bounds('pol', 'other', 0, 1);
SELECT smpc_sum(other, 'p2') FROM spend;

-- min_parties above the federation's size.
SELECT smpc.set_policy('pol', min_parties => 4);
SELECT smpc_count(other, 'p3') FROM spend;

-- Refused jobs leave no job record.
SELECT count(*) FROM smpc.jobs WHERE federation = 'pol';

-- SQLSTATE of a refusal.
CREATE FUNCTION pg_temp.sqlstate_of(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END $$;
SELECT pg_temp.sqlstate_of($$SELECT smpc_count(other, 'p4') FROM spend$$) AS refused;

-- Only admins set policies; analysts may read the bounds.
CREATE ROLE regress_pol_admin IN ROLE smpc_admin;
CREATE ROLE regress_pol_analyst IN ROLE smpc_analyst;
SET ROLE regress_pol_analyst;
SELECT column_name, lo, hi FROM smpc.bounds WHERE federation = 'pol' ORDER BY 1;
SELECT smpc.set_policy('pol', min_parties => 2);
SELECT smpc.set_bounds('pol', 'other', 0, 100);
SELECT smpc.drop_bounds('pol', 'other');
RESET ROLE;
SET ROLE regress_pol_admin;
SELECT smpc.set_policy('pol', min_parties => 3, require_bounds => false);
SELECT smpc.set_bounds('pol', 'other', 0, 100);
SELECT smpc.drop_bounds('pol', 'other');
RESET ROLE;

-- Privacy budgets: set (and change), shown with what remains, dropped.
SET ROLE regress_pol_admin;
SELECT smpc.set_privacy_budget('pol', 'amount', 1.0);
SELECT smpc.set_privacy_budget('pol', 'amount', 2.0);
SELECT smpc.set_privacy_budget('pol', 'amount', 0.5, 'regress_pol_analyst');
SELECT smpc.set_privacy_budget('pol', '*', 3);
SELECT federation, dataset, role, budget, spent, remaining FROM smpc.privacy_budget_left ORDER BY 2, 3;
SELECT smpc.set_privacy_budget('pol', 'amount', 0);
SELECT smpc.set_privacy_budget('nowhere', 'amount', 1);
SELECT smpc.drop_privacy_budget('pol', 'amount', 'regress_pol_analyst');
SELECT smpc.drop_privacy_budget('pol', 'amount', 'regress_pol_analyst');
RESET ROLE;
-- Analysts read budgets but cannot change them.
SET ROLE regress_pol_analyst;
SELECT dataset, role FROM smpc.privacy_budgets ORDER BY 1, 2;
SELECT smpc.set_privacy_budget('pol', 'amount', 100);
RESET ROLE;
-- smpc.epsilon: a sum needs bounds, a job needs a budget; refused before any
-- partner is asked.
SET smpc.epsilon = 0.5;
SELECT smpc_sum(other, 'dp-nobounds') FROM spend;
-- Admission works inside a parallel plan too (fresh catalog snapshot): the
-- charge is on disk before the job fails at the unreachable partners.
SELECT smpc.set_bounds('pol', 'amount', 0, 999);
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT smpc_sum(amount, 'dp-parallel') FROM spend_big;
SELECT smpc_sum(amount, 'dp-parallel') FROM spend_big;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
SELECT dataset, role = current_user AS mine, outcome, epsilon FROM smpc.privacy_ledger WHERE job_id = 'dp-parallel' AND outcome = 'charged';
SELECT smpc.drop_privacy_budget('pol', 'amount'), smpc.drop_privacy_budget('pol', '*');
SELECT smpc_count(amount, 'dp-nobudget') FROM spend;
RESET smpc.epsilon;

-- Bounds go with their federation.
RESET smpc.federation;
RESET smpc.timeout;
DROP TABLE spend, spend_big CASCADE;
DROP USER MAPPING FOR PUBLIC SERVER b;
DROP USER MAPPING FOR PUBLIC SERVER c;
DROP SERVER b;
DROP SERVER c;
SELECT smpc.drop_federation('pol');
SELECT count(*) FROM smpc.bounds;
SELECT count(*) FROM smpc.privacy_budgets;
DROP ROLE regress_pol_admin, regress_pol_analyst;
