-- The SQL surface of grouped results, histograms and percentiles at one
-- server: every refusal below happens before any partner is contacted.
SELECT smpc.create_federation('wide', 'p0',
    ARRAY(SELECT 'p' || g FROM generate_series(0, 9) g));
DO $servers$
BEGIN
    FOR g IN 1..9 LOOP
        EXECUTE format('CREATE SERVER p%s FOREIGN DATA WRAPPER smpc OPTIONS '
                       '(host %L, port %L, dbname %L, peer_role %L)',
                       g, '127.0.0.1', '1', 'org_p' || g, 'peer_p' || g);
        EXECUTE format('CREATE USER MAPPING FOR PUBLIC SERVER p%s OPTIONS (user %L, password %L)',
                       g, 'peer_p0', 'x');
    END LOOP;
END
$servers$;
SET smpc.federation = 'wide';
SET smpc.timeout = '1s';
CREATE TABLE sales (region text, amount integer, price numeric, ratio double precision);
INSERT INTO sales VALUES ('north', 10, 1.5, 0.25), ('south', 20, 2.5, 0.5), ('east', 30, -1, 4);

-- Key domains: no NULL, no duplicates, 1 to 1048576 keys.
SELECT smpc_sum_by(region, amount, ARRAY['north', NULL], 'g1') FROM sales;
SELECT smpc_sum_by(region, amount, ARRAY['north', 'south', 'north'], 'g1') FROM sales;
SELECT smpc_count_by(region, '{}'::text[], 'g1') FROM sales;
SELECT smpc_count_by(region, ARRAY(SELECT 'k' || g FROM generate_series(1, 1048577) g), 'g1') FROM sales;
-- Keys outside the domain, and NULL keys.
SELECT smpc_count_by(region, ARRAY['north', 'south'], 'g2') FROM sales;
SELECT smpc_avg_by(NULL::text, amount, ARRAY['north'], 'g2') FROM sales;
-- The session keeps the last domain it read (smpc.key_domain_cache), even
-- for a query that failed after reading it; lowering the setting frees it.
SELECT name, parent, total_bytes > 0 AS holds FROM pg_backend_memory_contexts
WHERE name = 'smpc key domain';
SET smpc.key_domain_cache = 0;
SELECT count(*) FROM pg_backend_memory_contexts WHERE name = 'smpc key domain';
RESET smpc.key_domain_cache;
-- The domain and job id must be the same for every row.
SELECT smpc_count_by(region, ARRAY[region], 'g3') FROM sales;
SELECT smpc_count_by(region, ARRAY['north', 'south', 'east'], region) FROM sales;
-- GROUP BY runs one job per group: refused, pointing at grouped aggregates.
SELECT region, smpc_sum(amount, 'g4') FROM sales GROUP BY region;
-- Many keys among many parties: more inbox slots than smpc.max_messages.
SELECT smpc_sum_by(region, amount,
    ARRAY['north', 'south', 'east'] || ARRAY(SELECT 'k' || g FROM generate_series(1, 32765) g), 'g5')
FROM sales;
-- A cursor whose query failed on a key outside its domain stays open after
-- ROLLBACK TO SAVEPOINT, its rows still batched (row_batch.cpp): a later
-- job of the transaction is judged by its own rows (here the inbox check
-- of g5), not by the cursor's key.
BEGIN;
DECLARE tail CURSOR FOR SELECT smpc_count_by(k, ARRAY['north'], 'g-cursor')
FROM (SELECT 'north' AS k FROM generate_series(1, 40) UNION ALL SELECT 'outside-y') x;
SAVEPOINT before_fetch;
FETCH tail;
ROLLBACK TO SAVEPOINT before_fetch;
SELECT smpc_sum_by(region, amount,
    ARRAY['north', 'south', 'east'] || ARRAY(SELECT 'k' || g FROM generate_series(1, 32765) g), 'g-after')
FROM sales;
ROLLBACK;
-- Rows batched under one smpc.outside_domain are judged by it, not by the
-- value a later row's function set: outside-y comes under drop and is left
-- out, north under reject. The job then reaches the inbox check of g5.
SELECT smpc_count_by(k, ARRAY['north', 'south', 'east'] ||
    ARRAY(SELECT 'k' || g FROM generate_series(1, 32765) g), 'g-mode')
FROM (SELECT CASE WHEN set_config('smpc.outside_domain', m, false) IS NOT NULL THEN k END AS k
      FROM (VALUES (1, 'outside-y', 'drop'), (2, 'north', 'reject')) v(o, k, m)
      ORDER BY o) x;
SHOW smpc.outside_domain;

-- Bucket edges: ascending, finite, not NULL, 1 to 32767 of them.
SELECT smpc_histogram(amount, ARRAY[10, 10], 'h1') FROM sales;
SELECT smpc_histogram(amount, ARRAY[20, 10], 'h1') FROM sales;
SELECT smpc_histogram(price, ARRAY[1.50, 1.5], 'h1') FROM sales;
SELECT smpc_histogram(ratio, ARRAY[0, NULL], 'h1') FROM sales;
SELECT smpc_histogram(ratio, ARRAY[0, 'Infinity'::numeric], 'h1') FROM sales;
SELECT smpc_histogram(amount, '{}'::numeric[], 'h1') FROM sales;
-- Fractions between 0 and 1.
SELECT smpc_percentiles(amount, ARRAY[0.5, 1.01], ARRAY[0, 100], 'p1') FROM sales;
SELECT smpc_percentiles(amount, ARRAY[-0.1], ARRAY[0, 100], 'p1') FROM sales;

-- Spread: squares that do not fit are an error, never a wrap.
SELECT smpc_variance(v, 'v1') FROM (VALUES (9000000000000000000::bigint), (9000000000000000000)) x(v);
SELECT smpc_variance(v, 'v1') FROM (VALUES (1e19::float8)) x(v);

-- Every new aggregate, with its result type; all are parallel safe (the job
-- runs in the final function, which is parallel restricted).
SELECT p.oid::regprocedure AS aggregate, p.prorettype::regtype AS returns, p.proparallel
FROM pg_proc p JOIN pg_aggregate a ON a.aggfnoid = p.oid
WHERE p.proname IN ('smpc_sum_by', 'smpc_avg_by', 'smpc_count_by', 'smpc_histogram', 'smpc_percentiles')
ORDER BY 1::text;

RESET smpc.federation;
RESET smpc.timeout;
DROP TABLE sales;
DO $servers$
BEGIN
    FOR g IN 1..9 LOOP
        EXECUTE format('DROP USER MAPPING FOR PUBLIC SERVER p%s', g);
        EXECUTE format('DROP SERVER p%s', g);
    END LOOP;
END
$servers$;
SELECT smpc.drop_federation('wide');
