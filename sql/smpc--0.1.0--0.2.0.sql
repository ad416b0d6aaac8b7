-- smpc 0.1.0 -> 0.2.0: release policies and the audit trail.
--
-- CREATE EXTENSION smpc installs 0.1.0 and then runs this script; an existing
-- installation gets the same with ALTER EXTENSION smpc UPDATE. Released
-- scripts are never edited.

\echo Use "ALTER EXTENSION smpc UPDATE TO '0.2.0'" to load this file. \quit

-- Release policies ----------------------------------------------------------
--
-- Every party enforces its own policy on its own side. The policy a job runs
-- under (minimum parties, minimum joint row count, the bounds the input was
-- clipped to) is hashed into every message, so parties that apply different
-- policies refuse to compute together and the error names what differs.

ALTER TABLE smpc.federations
    ADD COLUMN min_parties integer NOT NULL DEFAULT 3
        CHECK (min_parties BETWEEN 2 AND 64),
    ADD COLUMN min_rows bigint NOT NULL DEFAULT 0
        CHECK (min_rows >= 0),
    ADD COLUMN require_bounds boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN smpc.federations.min_parties IS
    'release policy: a job needs at least this many parties (with two, each learns the other''s input)';
COMMENT ON COLUMN smpc.federations.min_rows IS
    'release policy: the joint row count below which nothing is released; the count is opened first (0: off)';
COMMENT ON COLUMN smpc.federations.require_bounds IS
    'release policy: refuse sums and averages over a column that has no clipping bounds';

-- Clipping bounds per column (by the name of the column the aggregate reads;
-- '*' for every column without its own entry, and for expressions).
CREATE TABLE smpc.bounds (
    federation    text NOT NULL REFERENCES smpc.federations (name) ON DELETE CASCADE,
    column_name   text NOT NULL CHECK (column_name <> '' AND octet_length(column_name) <= 63),
    lo            numeric NOT NULL,
    hi            numeric NOT NULL,
    on_violation  text NOT NULL DEFAULT 'clip' CHECK (on_violation IN ('clip', 'reject')),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (federation, column_name),
    CHECK (lo <= hi)
);
REVOKE ALL ON smpc.bounds FROM PUBLIC;
COMMENT ON TABLE smpc.bounds IS
    'release policy: per-column bounds [lo, hi] applied to every input value before it is shared';
SELECT pg_catalog.pg_extension_config_dump('smpc.bounds', '');

CREATE FUNCTION smpc.set_policy(federation text, min_parties integer DEFAULT NULL,
                                min_rows bigint DEFAULT NULL, require_bounds boolean DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF set_policy.federation IS NULL THEN
        RAISE EXCEPTION 'federation must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF set_policy.min_parties NOT BETWEEN 2 AND 64 THEN
        RAISE EXCEPTION 'min_parties must be between 2 and 64'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'With two parties each learns the other''s input from the joint result; use 3 or more.';
    END IF;
    IF set_policy.min_rows < 0 THEN
        RAISE EXCEPTION 'min_rows must not be negative' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE smpc.federations f
    SET min_parties = coalesce(set_policy.min_parties, f.min_parties),
        min_rows = coalesce(set_policy.min_rows, f.min_rows),
        require_bounds = coalesce(set_policy.require_bounds, f.require_bounds)
    WHERE f.name = set_policy.federation;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'federation "%" does not exist', set_policy.federation
            USING ERRCODE = 'undefined_object';
    END IF;
END $$;
REVOKE ALL ON FUNCTION smpc.set_policy(text, integer, bigint, boolean) FROM PUBLIC;
COMMENT ON FUNCTION smpc.set_policy(text, integer, bigint, boolean) IS
    'sets the release policy of a federation (NULL keeps a setting): minimum parties, minimum joint row count, whether bounds are required';

CREATE FUNCTION smpc.set_bounds(federation text, column_name text, lo numeric, hi numeric,
                                on_violation text DEFAULT 'clip')
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF set_bounds.federation IS NULL OR set_bounds.column_name IS NULL OR set_bounds.lo IS NULL
       OR set_bounds.hi IS NULL OR set_bounds.on_violation IS NULL THEN
        RAISE EXCEPTION 'arguments of smpc.set_bounds must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT EXISTS (SELECT FROM smpc.federations f WHERE f.name = set_bounds.federation) THEN
        RAISE EXCEPTION 'federation "%" does not exist', set_bounds.federation
            USING ERRCODE = 'undefined_object';
    END IF;
    IF set_bounds.column_name = '' OR octet_length(set_bounds.column_name) > 63
       OR set_bounds.column_name ~ '[[:cntrl:]]' THEN
        RAISE EXCEPTION 'column name must have 1 to 63 bytes and no control characters'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF set_bounds.lo = 'NaN' OR set_bounds.hi = 'NaN' OR set_bounds.lo IN ('Infinity', '-Infinity')
       OR set_bounds.hi IN ('Infinity', '-Infinity') THEN
        RAISE EXCEPTION 'bounds must be finite numbers' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF set_bounds.lo > set_bounds.hi THEN
        RAISE EXCEPTION 'lower bound % is greater than upper bound %', set_bounds.lo, set_bounds.hi
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF set_bounds.on_violation NOT IN ('clip', 'reject') THEN
        RAISE EXCEPTION 'on_violation must be ''clip'' or ''reject'''
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO smpc.bounds AS b (federation, column_name, lo, hi, on_violation)
    VALUES (set_bounds.federation, set_bounds.column_name, set_bounds.lo, set_bounds.hi,
            set_bounds.on_violation)
    ON CONFLICT ON CONSTRAINT bounds_pkey DO UPDATE
    SET lo = excluded.lo, hi = excluded.hi, on_violation = excluded.on_violation,
        updated_at = now();
END $$;
REVOKE ALL ON FUNCTION smpc.set_bounds(text, text, numeric, numeric, text) FROM PUBLIC;
COMMENT ON FUNCTION smpc.set_bounds(text, text, numeric, numeric, text) IS
    'declares the bounds [lo, hi] of a column (''*'': any other column): values outside are clipped or, with ''reject'', refuse the job';

CREATE FUNCTION smpc.drop_bounds(federation text, column_name text)
RETURNS boolean
LANGUAGE sql STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    WITH gone AS (
        DELETE FROM smpc.bounds b
        WHERE b.federation = drop_bounds.federation AND b.column_name = drop_bounds.column_name
        RETURNING 1)
    SELECT count(*) > 0 FROM gone;
END;
REVOKE ALL ON FUNCTION smpc.drop_bounds(text, text) FROM PUBLIC;
COMMENT ON FUNCTION smpc.drop_bounds(text, text) IS
    'removes the bounds of a column; true when there were any';

GRANT EXECUTE ON FUNCTION smpc.set_policy(text, integer, bigint, boolean),
    smpc.set_bounds(text, text, numeric, numeric, text), smpc.drop_bounds(text, text)
    TO smpc_admin;
GRANT SELECT ON smpc.bounds TO smpc_admin, smpc_analyst;
