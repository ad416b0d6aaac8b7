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

-- At most 1,048,576 keys per party: refused at the next row, before any
-- partner is contacted.
SELECT smpc_intersect_count(g, 'k4') FROM generate_series(1, 1048577) g;

-- Grouped: the domain is declared, a group outside it refused (or dropped).
SELECT smpc_intersect_count_by(id, region, ARRAY['north'], 'k5') FROM people;
SELECT smpc_intersect_count_by(id, region, NULL, 'k5') FROM people;

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
SELECT smpc_normalize_key('x', 'soundex');
SELECT smpc_normalize_key('x', 'alnum,digits');

-- Every set aggregate and smpc_normalize_key is granted to smpc_analyst only.
SELECT p.oid::regprocedure AS function, has_function_privilege('smpc_analyst', p.oid, 'EXECUTE') AS analyst,
       has_function_privilege('public', p.oid, 'EXECUTE') AS public
FROM pg_proc p
WHERE p.proname ~ '^smpc_(intersect|overlap|union)_count' OR p.proname = 'smpc_normalize_key'
ORDER BY p.oid::regprocedure::text;

SELECT smpc.drop_federation('pair');
RESET smpc.federation;
