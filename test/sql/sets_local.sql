-- What the set operations check before they contact any partner, and
-- smpc_normalize_key.
SELECT smpc.create_federation('pair', 'a', ARRAY['a', 'b']);
SET smpc.federation = 'pair';
CREATE TABLE people (id bigint, email text, region text);
INSERT INTO people VALUES (1, 'Ann@Example.org', 'north'), (2, NULL, 'south'), (NULL, 'bo@example.org', NULL);

-- Key types: text, bytea, integers (as bigint), uuid; others do not exist.
SELECT smpc_intersect_count(1.5::numeric, 'k1');
SELECT smpc_intersect_count(now(), 'k1');

-- One job per query, its id one value, not NULL.
SELECT region, smpc_intersect_count(id, 'k2') FROM people GROUP BY region;
SELECT smpc_union_count(id, email) FROM people;
SELECT smpc_union_count(id, NULL) FROM people;

-- at_least lies in 1..n, and is one value.
SELECT smpc_overlap_count(id, 3, 'k3') FROM people;
SELECT smpc_overlap_count(id, 0, 'k3') FROM people;
SELECT smpc_overlap_count(id, id::int, 'k3') FROM people;

-- At most 1,048,576 distinct keys per party: refused at the next one,
-- before any partner is contacted. Repeats beyond it are not refused: more
-- rows than that get as far as the partners (here: there is no server b).
SELECT smpc_intersect_count(g, 'k4') FROM generate_series(1, 1048577) g;
SELECT smpc_intersect_count(g % 1048576, 'k4b') FROM generate_series(1, 1300000) g;
SET smpc.repeated_keys = refuse;
SELECT smpc_intersect_count(g % 1048576, 'k4c') FROM generate_series(1, 1300000) g;
RESET smpc.repeated_keys;

-- Grouped: the domain is declared, a group outside it refused (or dropped).
SELECT smpc_intersect_count_by(id, region, ARRAY['north'], 'k5') FROM people;
SELECT smpc_intersect_count_by(id, region, NULL, 'k5') FROM people;
-- A group domain over the set jobs' limit is refused before it is read:
-- the session's kept domain (ARRAY['north'], read by k5) stays.
SELECT smpc_intersect_count_by(id, region, ARRAY(SELECT 'g' || g FROM generate_series(1, 65537) g), 'k5b') FROM people;
SELECT total_bytes < 65536 AS small_domain_kept FROM pg_backend_memory_contexts WHERE name = 'smpc key domain';

-- The options of smpc_normalize_key, when it is the key, must be constant.
SELECT smpc_intersect_count(smpc_normalize_key(email, CASE WHEN random() < 2 THEN 'trim' END), 'k6') FROM people;

-- smpc_normalize_key: steps in a fixed order whatever the order given.
SELECT smpc_normalize_key('  Ann   MARIE  ', 'trim');
SELECT smpc_normalize_key('  Ann   MARIE  ', 'lower,trim') = smpc_normalize_key('  Ann   MARIE  ', 'trim , LOWER');
SELECT smpc_normalize_key('O''Neil-Smith, J.', 'alnum,lower');
SELECT smpc_normalize_key('+44 (0)20 7946 0018', 'digits');
SELECT smpc_normalize_key('Ｅｘａｍｐｌｅ①', 'nfkc');
SELECT smpc_normalize_key(NULL, 'trim');
SELECT smpc_normalize_key('x', '');
SELECT smpc_normalize_key('x', 'metaphone');
SELECT smpc_normalize_key('x', 'alnum,digits');
SELECT smpc_normalize_key('x', 'soundex,date_dmy');
SELECT smpc_normalize_key('x', 'date_dmy, date_mdy');

-- soundex: American Soundex per word (the census rules: h and w do not
-- separate letters of one digit, vowels do); no letters, no key.
SELECT n, smpc_normalize_key(n, 'soundex') FROM (VALUES ('Robert'), ('Rupert'), ('Ashcraft'),
  ('Tymczak'), ('Pfister'), ('Honeyman'), ('Ellery'), ('  robert  SMYTH '), ('Lee'),
  ('O''Brien-Smith'), ('Müller'), ('123'), ('')) v(n);

-- Dates: read in the option's field order whatever DateStyle says, written
-- as ISO; not a date (or a time, a zone, a word such as today): NULL.
SET DateStyle = 'SQL, MDY';
SELECT d, smpc_normalize_key(d, 'date_dmy') AS dmy, smpc_normalize_key(d, 'date_mdy') AS mdy,
       smpc_normalize_key(d, 'date_ymd') AS ymd
FROM (VALUES ('03/04/2026'), ('2026-04-03'), ('3 April 2026'), ('Apr 3, 2026'), ('20260403'),
  ('3.4.2026'), ('03-Apr-2026'), ('03/04/26'), ('Friday, 3 Apr 2026'), ('today'), ('epoch'),
  ('2026-04-03 10:00'), ('2026-04-03 EST'), ('2026-04-03 Europe/Paris'), ('2026-04-03 n/a'),
  ('03/04/2026 x-ray'), ('030426'), ('03042026'), ('20260403 000000'), ('3 Apr 2026 0000'),
  ('5874898-01-01'), ('31/02/2026'), ('not a date'), ('0001-01-01 BC'), ('')) v(d);
RESET DateStyle;

-- smpc.repeated_keys = refuse: a key this party holds twice fails the
-- query before any partner is contacted (grouped: twice in one group).
SET smpc.repeated_keys = refuse;
SELECT smpc_intersect_count(k, 'k7') FROM (VALUES ('a'), ('b'), ('a'), ('a'), (NULL), (NULL)) v(k);
SELECT smpc_union_count_by(k, g, ARRAY['x', 'y'], 'k7') FROM (VALUES ('a', 'x'), ('a', 'x')) v(k, g);
RESET smpc.repeated_keys;

-- smpc_intersect_sum: values from 0 to 2^48 - 1 (a key's total too); at
-- most 1,048,576 distinct keys, as for every set job.
SELECT smpc_intersect_sum(id, -1, 's1') FROM people;
SELECT smpc_intersect_sum(id, 281474976710656, 's1') FROM people;
SELECT smpc_intersect_sum(k, v, 's1') FROM (VALUES ('a', 281474976710655), ('a', 1)) x(k, v);
SELECT smpc_intersect_sum(g, 1, 's3') FROM generate_series(1, 1048577) g;
-- This party (a) is the federation's first, which counts: no values here.
SELECT smpc_intersect_sum(id, id, 's4') FROM people;
SELECT smpc_intersect_avg(id, id, 's4') FROM people;
-- Grouped: the same rules, per group of a declared domain.
SELECT smpc_intersect_sum_by(id, region, id, ARRAY['north', 'south'], 's5') FROM people;
SELECT smpc_intersect_sum_by(id, region, -1, ARRAY['north', 'south'], 's5') FROM people;

-- The overlap matrix: smpc.set_overlap_pairs sets the release policy's
-- overlap_pairs (off by default).
SELECT overlap_pairs FROM smpc.federations WHERE name = 'pair';
SELECT smpc.set_overlap_pairs('pair');
SELECT overlap_pairs FROM smpc.federations WHERE name = 'pair';
SELECT smpc.set_overlap_pairs('pair', false);
SELECT smpc.set_overlap_pairs('pair', NULL);
SELECT smpc.set_overlap_pairs('nope');

-- In a federation of three (servers that nobody answers at): the matrix is
-- refused without overlap_pairs, before any partner is contacted.
-- (This party is b here, so it may give values to intersection sums.)
SELECT smpc.create_federation('trio', 'b', ARRAY['a', 'b', 'c']);
CREATE SERVER a FOREIGN DATA WRAPPER smpc
    OPTIONS (host '127.0.0.1', port '1', dbname 'org_a', peer_role 'regress_sets_peer_a');
CREATE SERVER c FOREIGN DATA WRAPPER smpc
    OPTIONS (host '127.0.0.1', port '1', dbname 'org_c', peer_role 'regress_sets_peer_c');
CREATE USER MAPPING FOR PUBLIC SERVER a OPTIONS (user 'peer_b', password 'x');
CREATE USER MAPPING FOR PUBLIC SERVER c OPTIONS (user 'peer_b', password 'x');
SET smpc.federation = 'trio';
SELECT smpc_overlap_matrix(email, 'm1') FROM people;
-- Noise on the overlap matrix: one key of one party changes its n - 1
-- pairs, so each pair gets epsilon / (n - 1). An epsilon a count can take
-- (noise scale 1 / 1.5e-15, below 2^50) is too small for the matrix of
-- three parties (1 / 0.75e-15, above): refused before anything is sent.
SELECT smpc.set_overlap_pairs('trio');
SET smpc.epsilon = 1.5e-15;
SELECT smpc_overlap_matrix(email, 'e1') FROM people;
RESET smpc.epsilon;
-- Intersection sums under the release policy's bounds, which apply to each
-- key's total at a party that gives values (here: key 2's total is 2).
-- Noise needs them; 'reject' refuses a total outside, an expression over a
-- bounded column is refused; all before anything is sent.
SET smpc.epsilon = 1;
SELECT smpc_intersect_sum(id, id, 's7') FROM people;
RESET smpc.epsilon;
SELECT smpc.set_bounds('trio', 'id', 0, 1, 'reject');
SELECT smpc_intersect_sum(id, id, 's8') FROM people;
SELECT smpc_intersect_sum_by(id, region, id, ARRAY['north', 'south'], 's8') FROM people;
SELECT smpc_intersect_sum(id, id + 0, 's9') FROM people;
-- Bounds below 0 hold no key total: refused by the release policy before
-- anything is sent (SM006), and audited as its refusals are.
SELECT smpc.set_bounds('trio', 'id', -5, -1);
SELECT smpc_intersect_sum(id, id, 's11') FROM people;
DO $$
BEGIN
    FOR i IN 1..200 LOOP
        EXIT WHEN EXISTS (SELECT FROM smpc.audit_log WHERE job_id = 's11');
        PERFORM pg_sleep(0.05);
    END LOOP;
END $$;
SELECT job_id, outcome, sqlstate, reason FROM smpc.audit_log WHERE job_id = 's11';
-- The sum's noise is calibrated to n - 1 times the bound of a key's total
-- (one key can bring every other party's total into the overlap): with
-- totals up to 2^48, epsilon 0.75 would do for one party's total (a scale
-- of 2^48 / 0.375, below 2^50) but not for two (2^49 / 0.375, above).
SELECT smpc.set_bounds('trio', 'id', 0, 281474976710656);
SET smpc.epsilon = 0.75;
SELECT smpc_intersect_sum(id, id, 's10') FROM people;
RESET smpc.epsilon;
SELECT smpc.drop_bounds('trio', 'id');
SET smpc.federation = 'pair';
SELECT smpc.drop_federation('trio');
DROP USER MAPPING FOR PUBLIC SERVER a;
DROP USER MAPPING FOR PUBLIC SERVER c;
DROP SERVER a, c;

-- Every set aggregate and smpc_normalize_key is granted to smpc_analyst only.
SELECT p.oid::regprocedure AS function, has_function_privilege('smpc_analyst', p.oid, 'EXECUTE') AS analyst,
       has_function_privilege('public', p.oid, 'EXECUTE') AS public
FROM pg_proc p
WHERE p.proname ~ '^smpc_(intersect|overlap|union)_(count|sum|avg|matrix)' OR p.proname = 'smpc_normalize_key'
ORDER BY p.oid::regprocedure::text;

SELECT smpc.drop_federation('pair');
RESET smpc.federation;
