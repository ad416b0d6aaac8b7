-- smpc_share / smpc_reconstruct: secret sharing of single values.

-- Additive n-of-n: all shares give the value back.
SELECT smpc_reconstruct(smpc_share(12345::bigint, 3));
SELECT smpc_reconstruct(smpc_share('-9223372036854775808'::bigint, 2));
SELECT smpc_reconstruct(smpc_share(0::bigint, 7));
SELECT smpc_reconstruct(smpc_share(-12.345, 5));
SELECT smpc_reconstruct(smpc_share(123456789012345678901234567890.5, 3));

-- Shares are random: two sharings of the same value differ.
SELECT smpc_share(42::bigint, 3) <> smpc_share(42::bigint, 3) AS differ;

-- Text form: smpc1:<scheme>:<n>:<t>:<x>:<scale>:<32 hex digits>.
SELECT s ~ '^smpc1:a:3:3:[123]:2:[0-9a-f]{32}$' AS well_formed
FROM unnest(smpc_share(1.25, 3)) AS s;
SELECT s ~ '^smpc1:s:5:3:[1-5]:0:[0-9a-f]{32}$' AS well_formed
FROM unnest(smpc_share(7::bigint, 5, 3)) AS s;

-- Shamir threshold-of-n: every subset of size threshold gives the value back.
WITH sh AS (SELECT smpc_share(-777::bigint, 5, 3) AS s)
SELECT i, j, k, smpc_reconstruct(ARRAY[s[i], s[j], s[k]])
FROM sh, generate_series(1, 5) i, generate_series(1, 5) j, generate_series(1, 5) k
WHERE i < j AND j < k
ORDER BY i, j, k;
-- More than threshold shares work too.
SELECT smpc_reconstruct(smpc_share(31.4159::numeric, 4, 2));

-- Bad arguments.
SELECT smpc_share(1::bigint, 1);
SELECT smpc_share(1::bigint, 0);
SELECT smpc_share(1::bigint, 3, 0);
SELECT smpc_share(1::bigint, 3, 4);
-- Threshold 1 would make every share the value itself.
SELECT smpc_share(1::bigint, 3, 1);
SELECT smpc_share(1.5, 2, 1);
SELECT smpc_share(NULL::bigint, 3);
SELECT smpc_share(1::bigint, NULL);
SELECT smpc_share(1::numeric, 3, NULL);
SELECT smpc_share(1e40, 3);
SELECT smpc_share('NaN'::numeric, 3);
SELECT smpc_share(0.0000000000000000000000000000001, 3);

-- Bad shares.
SELECT smpc_reconstruct(NULL);
SELECT smpc_reconstruct('{}');
SELECT smpc_reconstruct(ARRAY[NULL::text]);
SELECT smpc_reconstruct(ARRAY['not a share']);
SELECT smpc_reconstruct(ARRAY['smpc1:a:3:3:1:0:ffffffffffffffffffffffffffffff7f']);
WITH sh AS (SELECT smpc_share(5::bigint, 3) AS s)
SELECT smpc_reconstruct(s[1:2]) FROM sh;
WITH sh AS (SELECT smpc_share(5::bigint, 5, 3) AS s)
SELECT smpc_reconstruct(s[1:2]) FROM sh;
WITH sh AS (SELECT smpc_share(5::bigint, 5, 3) AS s)
SELECT smpc_reconstruct(ARRAY[s[1], s[1], s[2]]) FROM sh;
SELECT smpc_reconstruct(ARRAY[(smpc_share(5::bigint, 3))[1], (smpc_share(5::bigint, 4))[2]]);

-- The SQLSTATE of refused thresholds and inconsistent shares: 22023.
CREATE FUNCTION pg_temp.sqlstate_of(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END $$;
SELECT pg_temp.sqlstate_of($$SELECT smpc_share(1::bigint, 3, 1)$$) AS threshold_1,
       pg_temp.sqlstate_of($$WITH sh AS (SELECT smpc_share(5::bigint, 4, 2) AS s,
                                                smpc_share(6::bigint, 4, 2) AS o)
                             SELECT smpc_reconstruct(ARRAY[s[1], s[2], o[3], s[4]]) FROM sh$$) AS inconsistent;

-- More than threshold Shamir shares must lie on one polynomial: a share of
-- another value (here o[k], or a forged one) is refused, not averaged in.
-- With threshold + 2 shares or more the odd one is named.
WITH sh AS (SELECT smpc_share(5::bigint, 5, 3) AS s, smpc_share(6::bigint, 5, 3) AS o)
SELECT smpc_reconstruct(ARRAY[s[1], s[2], s[3], s[4], o[5]]) FROM sh;
WITH sh AS (SELECT smpc_share(5::bigint, 5, 3) AS s, smpc_share(6::bigint, 5, 3) AS o)
SELECT smpc_reconstruct(ARRAY[o[1], s[2], s[3], s[4], s[5]]) FROM sh;
WITH sh AS (SELECT smpc_share(5::bigint, 5, 2) AS s, smpc_share(6::bigint, 5, 2) AS o)
SELECT smpc_reconstruct(ARRAY[s[1], o[3], s[4], s[5]]) FROM sh;
-- With threshold + 1 shares it cannot be told which one is wrong.
WITH sh AS (SELECT smpc_share(5::bigint, 5, 3) AS s, smpc_share(6::bigint, 5, 3) AS o)
SELECT smpc_reconstruct(ARRAY[s[1], s[2], o[3], s[4]]) FROM sh;
-- Two wrong shares of five: refused, none named.
WITH sh AS (SELECT smpc_share(5::bigint, 5, 3) AS s, smpc_share(6::bigint, 5, 3) AS o)
SELECT smpc_reconstruct(ARRAY[s[1], o[2], s[3], o[4], s[5]]) FROM sh;
-- Every consistent subset of more than threshold shares works.
WITH sh AS (SELECT smpc_share(-777::bigint, 5, 3) AS s)
SELECT smpc_reconstruct(ARRAY[s[1], s[2], s[3], s[4]]) AS four,
       smpc_reconstruct(s) AS all_five
FROM sh;
