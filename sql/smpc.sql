-- smpc: secure multi-party aggregation. The complete install script of the
-- current version (default_version in smpc.control): every object as it is
-- now. `make` copies it to smpc--<version>.sql, the file CREATE EXTENSION
-- runs; installations of older versions reach the same objects through the
-- frozen upgrade scripts smpc--<old>--<new>.sql (sql/README.md).
--
-- User-facing functions and aggregates are created in the extension's schema
-- (the first schema on search_path when CREATE EXTENSION runs, usually
-- public). Configuration and state live in schema smpc, which belongs to the
-- extension. Nothing is granted to PUBLIC.

\echo Use "CREATE EXTENSION smpc" to load this file. \quit

CREATE SCHEMA smpc;
REVOKE ALL ON SCHEMA smpc FROM PUBLIC;
COMMENT ON SCHEMA smpc IS 'smpc configuration, job records and the partner deliver endpoint';

-- Federations: the agreed, ordered set of parties. Every party registers the
-- same definition; its fingerprint is compared at the start of each job.
-- The release policy (min_parties, min_rows, require_bounds, overlap_pairs) is enforced by
-- every party on its own side (see "Release policies" below).
-- threshold 0 keeps additive n-of-n sharing over the compute parties; t >= 2
-- uses Shamir t-of-n: any t compute parties reconstruct, t - 1 learn
-- nothing, and a job survives the loss of the others. The role lists (NULL:
-- every party) give the delegated model (data owners only supply inputs to
-- two or three compute parties) and the hybrid model (an external provider
-- runs one compute party, the organisation the other). All of it is part of
-- the federation's fingerprint.
CREATE TABLE smpc.federations (
    name        text PRIMARY KEY,
    self_name   text NOT NULL,
    parties     text[] NOT NULL,
    scale       integer NOT NULL DEFAULT 6,
    created_at  timestamptz NOT NULL DEFAULT now(),
    min_parties integer NOT NULL DEFAULT 3
                CHECK (min_parties BETWEEN 2 AND 64),
    min_rows    bigint NOT NULL DEFAULT 0
                CHECK (min_rows >= 0),
    require_bounds boolean NOT NULL DEFAULT false,
    threshold   integer NOT NULL DEFAULT 0 CHECK (threshold = 0 OR threshold BETWEEN 2 AND 64),
    compute     text[],
    inputs      text[],
    outputs     text[],
    overlap_pairs boolean NOT NULL DEFAULT false,
    CHECK (self_name = ANY (parties)),
    CHECK (scale BETWEEN 0 AND 18)
);
REVOKE ALL ON smpc.federations FROM PUBLIC;
COMMENT ON TABLE smpc.federations IS 'federations this party belongs to: name, own party name, ordered party list, fixed-point scale';
SELECT pg_catalog.pg_extension_config_dump('smpc.federations', '');
COMMENT ON COLUMN smpc.federations.min_parties IS
    'release policy: a job needs at least this many parties (with two, each learns the other''s input)';
COMMENT ON COLUMN smpc.federations.min_rows IS
    'release policy: the joint row count below which nothing is released; the count is opened first (0: off)';
COMMENT ON COLUMN smpc.federations.require_bounds IS
    'release policy: refuse sums and averages over a column that has no clipping bounds';
COMMENT ON COLUMN smpc.federations.threshold IS
    '0: additive n-of-n sharing (every compute party needed); t >= 2: Shamir t-of-n over the compute parties';
COMMENT ON COLUMN smpc.federations.compute IS 'parties that hold shares and compute (NULL: every party)';
COMMENT ON COLUMN smpc.federations.inputs IS 'parties that supply an input (NULL: every party)';
COMMENT ON COLUMN smpc.federations.outputs IS 'parties that learn the result (NULL: every party)';
COMMENT ON COLUMN smpc.federations.overlap_pairs IS
    'release policy: set jobs may release how many keys each pair of parties shares (smpc_overlap_matrix, smpc.set_overlap_pairs); every party must allow it';

-- Jobs: one row per job id and federation. A released job is never computed
-- again: re-running it returns the stored result.
CREATE TABLE smpc.jobs (
    federation   text NOT NULL REFERENCES smpc.federations (name) ON DELETE CASCADE,
    job_id       text NOT NULL,
    descriptor   text NOT NULL,
    state        text NOT NULL CHECK (state IN ('released', 'contributed')),
    result       text,
    started_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at  timestamptz,
    started_by   name NOT NULL DEFAULT current_user,
    covers       text[],
    verified     boolean,
    input        text,
    PRIMARY KEY (federation, job_id)
);
REVOKE ALL ON smpc.jobs FROM PUBLIC;
COMMENT ON TABLE smpc.jobs IS 'secure computations run by this party; released results are kept and returned again for the same job id';
SELECT pg_catalog.pg_extension_config_dump('smpc.jobs', '');
COMMENT ON COLUMN smpc.jobs.state IS
    'released: this party got the result; contributed: this party only supplied its input (it learns no result)';
COMMENT ON COLUMN smpc.jobs.covers IS 'the input parties whose inputs the released result includes';
COMMENT ON COLUMN smpc.jobs.verified IS
    'true when the released result was checked against a compute party that changed a value; false when the job could not check it (additive peer-to-peer); NULL for contributed jobs';
COMMENT ON COLUMN smpc.jobs.input IS
    'what this party''s input read (its base columns, the bounds it was clipped to): the stored result is returned only to a job with the same descriptor and input; NULL for jobs recorded before 0.3.0';
-- Every job start looks up its id here whatever the federation (a stored
-- result, or the id used in another federation): without this index that
-- lookup reads every job ever recorded, so each job cost more than the last.
CREATE INDEX jobs_job_id ON smpc.jobs (job_id);
-- A grouped job's result is a long text (2 million values for a million
-- keys): lz4 stores it several times faster than the default pglz, where the
-- server has it.
DO $$
BEGIN
    ALTER TABLE smpc.jobs ALTER COLUMN result SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    NULL;
END
$$;

CREATE FUNCTION smpc.create_federation(name text, self text, parties text[], scale integer DEFAULT 6,
                                       threshold integer DEFAULT 0, compute text[] DEFAULT NULL,
                                       inputs text[] DEFAULT NULL, outputs text[] DEFAULT NULL)
RETURNS void
LANGUAGE C CALLED ON NULL INPUT
AS 'MODULE_PATHNAME', 'smpc_create_federation';
REVOKE ALL ON FUNCTION smpc.create_federation(text, text, text[], integer, integer, text[], text[], text[])
    FROM PUBLIC;
COMMENT ON FUNCTION smpc.create_federation(text, text, text[], integer, integer, text[], text[], text[]) IS
    'registers a federation: its name, this party''s name, the ordered party list, the decimal scale, the threshold (0: n-of-n) and the compute, input and output parties (NULL: all)';

CREATE FUNCTION smpc.drop_federation(name text)
RETURNS void
LANGUAGE sql STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    DELETE FROM smpc.federations f WHERE f.name = drop_federation.name;
END;
REVOKE ALL ON FUNCTION smpc.drop_federation(text) FROM PUBLIC;
COMMENT ON FUNCTION smpc.drop_federation(text) IS 'removes a federation and its job records';

-- Which roles may run jobs of (and so receive results from) a federation.
-- Checked before any partner is contacted. Superusers and smpc_admin members
-- always may.
CREATE TABLE smpc.result_grants (
    federation  text NOT NULL REFERENCES smpc.federations (name) ON DELETE CASCADE,
    role_name   name NOT NULL,
    granted_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (federation, role_name)
);
REVOKE ALL ON smpc.result_grants FROM PUBLIC;
COMMENT ON TABLE smpc.result_grants IS 'roles allowed to run jobs of a federation and receive their results';
SELECT pg_catalog.pg_extension_config_dump('smpc.result_grants', '');

CREATE FUNCTION smpc.grant_results(federation text, role_name name)
RETURNS void
LANGUAGE plpgsql STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM smpc.federations f WHERE f.name = grant_results.federation) THEN
        RAISE EXCEPTION 'federation "%" does not exist', grant_results.federation
            USING ERRCODE = 'undefined_object';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles r WHERE r.rolname = grant_results.role_name) THEN
        RAISE EXCEPTION 'role "%" does not exist', grant_results.role_name
            USING ERRCODE = 'undefined_object';
    END IF;
    INSERT INTO smpc.result_grants (federation, role_name)
    VALUES (grant_results.federation, grant_results.role_name)
    ON CONFLICT DO NOTHING;
END $$;
REVOKE ALL ON FUNCTION smpc.grant_results(text, name) FROM PUBLIC;
COMMENT ON FUNCTION smpc.grant_results(text, name) IS
    'lets a role (and its members) run jobs of the federation and receive their results';

CREATE FUNCTION smpc.revoke_results(federation text, role_name name)
RETURNS void
LANGUAGE sql STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    DELETE FROM smpc.result_grants g
    WHERE g.federation = revoke_results.federation AND g.role_name = revoke_results.role_name;
END;
REVOKE ALL ON FUNCTION smpc.revoke_results(text, name) FROM PUBLIC;
COMMENT ON FUNCTION smpc.revoke_results(text, name) IS 'undoes smpc.grant_results';

CREATE FUNCTION smpc.federation_fingerprint(name text)
RETURNS text
LANGUAGE C STRICT STABLE
AS 'MODULE_PATHNAME', 'smpc_federation_fingerprint';
REVOKE ALL ON FUNCTION smpc.federation_fingerprint(text) FROM PUBLIC;
COMMENT ON FUNCTION smpc.federation_fingerprint(text) IS
    'SHA-256 of the canonical federation definition; equal at every party of a correctly configured federation';

-- The endpoint partners call over libpq. SECURITY DEFINER so that peer login
-- roles need nothing but EXECUTE on it; the sender named in the message must
-- be the party whose foreign server names the logged-in role as peer_role.
CREATE FUNCTION smpc.deliver(message bytea)
RETURNS void
LANGUAGE C STRICT VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'smpc_deliver';
REVOKE ALL ON FUNCTION smpc.deliver(bytea) FROM PUBLIC;
COMMENT ON FUNCTION smpc.deliver(bytea) IS
    'receives a protocol message from a partner; grant EXECUTE to the login role each partner uses';

-- Partners are foreign servers of this wrapper (like postgres_fdw): the server
-- name is the partner's party name, options say how to reach it, and a user
-- mapping holds the credentials of the role the partner created for us.
CREATE FUNCTION smpc.fdw_validator(text[], oid)
RETURNS void
LANGUAGE C STRICT
AS 'MODULE_PATHNAME', 'smpc_fdw_validator';
COMMENT ON FUNCTION smpc.fdw_validator(text[], oid) IS 'checks the options of smpc foreign servers and user mappings';

CREATE FOREIGN DATA WRAPPER smpc VALIDATOR smpc.fdw_validator;
COMMENT ON FOREIGN DATA WRAPPER smpc IS 'partner databases of secure multi-party jobs';

-- Test helper: a well-formed message, for tests of the deliver endpoint's
-- checks (spoofed senders, unknown jobs, wrong rounds). Superuser only.
CREATE FUNCTION smpc._test_message(federation text, job_id text, sender integer, receiver integer,
                                   type text DEFAULT 'share')
RETURNS bytea
LANGUAGE C STRICT
AS 'MODULE_PATHNAME', 'smpc_sql_test_message';
REVOKE ALL ON FUNCTION smpc._test_message(text, text, integer, integer, text) FROM PUBLIC;
COMMENT ON FUNCTION smpc._test_message(text, text, integer, integer, text) IS
    'builds a valid message of type share, partial, confirm or abort with zero values (for tests of smpc.deliver)';

-- Secret sharing as plain SQL functions.
CREATE FUNCTION smpc_share(value numeric, parties integer)
RETURNS text[]
LANGUAGE C VOLATILE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'smpc_share_numeric';
COMMENT ON FUNCTION smpc_share(numeric, integer) IS
    'splits a value into additive n-of-n shares (uniformly random field elements)';

CREATE FUNCTION smpc_share(value numeric, parties integer, threshold integer)
RETURNS text[]
LANGUAGE C VOLATILE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'smpc_share_numeric';
COMMENT ON FUNCTION smpc_share(numeric, integer, integer) IS
    'splits a value into Shamir shares: any threshold of the parties shares give it back, fewer reveal nothing';

CREATE FUNCTION smpc_share(value bigint, parties integer)
RETURNS text[]
LANGUAGE C VOLATILE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'smpc_share_int8';
COMMENT ON FUNCTION smpc_share(bigint, integer) IS
    'splits a value into additive n-of-n shares (uniformly random field elements)';

CREATE FUNCTION smpc_share(value bigint, parties integer, threshold integer)
RETURNS text[]
LANGUAGE C VOLATILE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'smpc_share_int8';
COMMENT ON FUNCTION smpc_share(bigint, integer, integer) IS
    'splits a value into Shamir shares: any threshold of the parties shares give it back, fewer reveal nothing';

CREATE FUNCTION smpc_reconstruct(shares text[])
RETURNS numeric
LANGUAGE C IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'smpc_reconstruct';
COMMENT ON FUNCTION smpc_reconstruct(text[]) IS
    'recombines shares made by smpc_share: all of them (additive) or any threshold of them (Shamir)';

-- Aggregates. The local phase (transition, combine, serialize) is ordinary and
-- parallel safe; the final function runs the exchange with the partners once.
CREATE FUNCTION smpc._accum_int2(internal, smallint, text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_accum_int2';
CREATE FUNCTION smpc._accum_int4(internal, integer, text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_accum_int4';
CREATE FUNCTION smpc._accum_int8(internal, bigint, text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_accum_int8';
CREATE FUNCTION smpc._accum_numeric(internal, numeric, text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_accum_numeric';
CREATE FUNCTION smpc._accum_float8(internal, double precision, text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_accum_float8';
CREATE FUNCTION smpc._count_accum(internal, "any", text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_count_accum';
CREATE FUNCTION smpc._combine(internal, internal) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_combine';
CREATE FUNCTION smpc._serialize(internal) RETURNS bytea
LANGUAGE C STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_serialize';
CREATE FUNCTION smpc._deserialize(bytea, internal) RETURNS internal
LANGUAGE C STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_deserialize';

-- Final functions (network): PARALLEL RESTRICTED, they run in the leader.
CREATE FUNCTION smpc._sum_int_final(internal, smallint, text) RETURNS bigint
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_sum_int_final';
CREATE FUNCTION smpc._sum_int_final(internal, integer, text) RETURNS bigint
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_sum_int_final';
CREATE FUNCTION smpc._sum_numeric_final(internal, bigint, text) RETURNS numeric
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_sum_numeric_final';
CREATE FUNCTION smpc._sum_numeric_final(internal, numeric, text) RETURNS numeric
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_sum_numeric_final';
CREATE FUNCTION smpc._sum_float8_final(internal, double precision, text) RETURNS double precision
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_sum_float8_final';
CREATE FUNCTION smpc._count_final(internal, "any", text) RETURNS bigint
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_count_final';
CREATE FUNCTION smpc._avg_numeric_final(internal, smallint, text) RETURNS numeric
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_avg_numeric_final';
CREATE FUNCTION smpc._avg_numeric_final(internal, integer, text) RETURNS numeric
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_avg_numeric_final';
CREATE FUNCTION smpc._avg_numeric_final(internal, bigint, text) RETURNS numeric
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_avg_numeric_final';
CREATE FUNCTION smpc._avg_numeric_final(internal, numeric, text) RETURNS numeric
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_avg_numeric_final';
CREATE FUNCTION smpc._avg_float8_final(internal, double precision, text) RETURNS double precision
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_avg_float8_final';

-- The aggregates. Every party runs the same aggregate with the same job id.
CREATE AGGREGATE smpc_sum(smallint, text) (
    SFUNC = smpc._accum_int2, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._sum_int_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_sum(smallint, text) IS 'joint sum over all parties of the federation (job id last); each party learns only the total';
CREATE AGGREGATE smpc_sum(integer, text) (
    SFUNC = smpc._accum_int4, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._sum_int_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_sum(integer, text) IS 'joint sum over all parties of the federation (job id last); each party learns only the total';
CREATE AGGREGATE smpc_sum(bigint, text) (
    SFUNC = smpc._accum_int8, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._sum_numeric_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_sum(bigint, text) IS 'joint sum over all parties of the federation (job id last); each party learns only the total';
CREATE AGGREGATE smpc_sum(numeric, text) (
    SFUNC = smpc._accum_numeric, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._sum_numeric_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_sum(numeric, text) IS 'joint sum over all parties of the federation (job id last); each party learns only the total';
CREATE AGGREGATE smpc_sum(double precision, text) (
    SFUNC = smpc._accum_float8, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._sum_float8_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_sum(double precision, text) IS 'joint sum over all parties of the federation (job id last); each party learns only the total';
CREATE AGGREGATE smpc_avg(smallint, text) (
    SFUNC = smpc._accum_int2, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._avg_numeric_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_avg(smallint, text) IS 'joint average over all parties of the federation (job id last); reveals the joint sum and count';
CREATE AGGREGATE smpc_avg(integer, text) (
    SFUNC = smpc._accum_int4, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._avg_numeric_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_avg(integer, text) IS 'joint average over all parties of the federation (job id last); reveals the joint sum and count';
CREATE AGGREGATE smpc_avg(bigint, text) (
    SFUNC = smpc._accum_int8, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._avg_numeric_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_avg(bigint, text) IS 'joint average over all parties of the federation (job id last); reveals the joint sum and count';
CREATE AGGREGATE smpc_avg(numeric, text) (
    SFUNC = smpc._accum_numeric, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._avg_numeric_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_avg(numeric, text) IS 'joint average over all parties of the federation (job id last); reveals the joint sum and count';
CREATE AGGREGATE smpc_avg(double precision, text) (
    SFUNC = smpc._accum_float8, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._avg_float8_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_avg(double precision, text) IS 'joint average over all parties of the federation (job id last); reveals the joint sum and count';
CREATE AGGREGATE smpc_count("any", text) (
    SFUNC = smpc._count_accum, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._count_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_count("any", text) IS 'joint count of non-NULL values over all parties of the federation (job id last)';

-- Roles. They are cluster-wide, so they are created only when absent, and
-- DROP EXTENSION leaves them in place (drop them by hand if no database uses
-- smpc any more). Nothing above is granted to PUBLIC.
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'smpc_admin') THEN
        CREATE ROLE smpc_admin NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'smpc_analyst') THEN
        CREATE ROLE smpc_analyst NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'smpc_peer') THEN
        CREATE ROLE smpc_peer NOLOGIN;
    END IF;
END
$roles$;
COMMENT ON ROLE smpc_admin IS 'smpc: registers federations, declares partners, reads every job';
COMMENT ON ROLE smpc_analyst IS 'smpc: runs jobs and reads the results of its own jobs';
COMMENT ON ROLE smpc_peer IS 'smpc: group of partners'' login roles; may only call smpc.exchange, smpc.deliver and smpc.deliver_ready';

-- Admin: federations, partner servers (USAGE on the wrapper), every job.
GRANT USAGE ON SCHEMA smpc TO smpc_admin, smpc_analyst, smpc_peer;
GRANT USAGE ON FOREIGN DATA WRAPPER smpc TO smpc_admin;
GRANT EXECUTE ON FUNCTION smpc.create_federation(text, text, text[], integer, integer, text[], text[], text[]),
    smpc.drop_federation(text), smpc.federation_fingerprint(text),
    smpc.grant_results(text, name), smpc.revoke_results(text, name) TO smpc_admin;
GRANT SELECT ON smpc.federations, smpc.jobs, smpc.result_grants TO smpc_admin;

-- Analyst: the aggregates and share functions, and its own jobs' results
-- (row-level security on smpc.jobs). Running a job also needs USAGE on every
-- partner's server and a user mapping, which the admin grants.
GRANT SELECT ON smpc.jobs TO smpc_analyst;
ALTER TABLE smpc.jobs ENABLE ROW LEVEL SECURITY;
CREATE POLICY jobs_admin ON smpc.jobs FOR SELECT TO smpc_admin USING (true);
CREATE POLICY jobs_own ON smpc.jobs FOR SELECT TO smpc_analyst USING (started_by = current_user);

-- One list for both: the aggregates and share functions move from PUBLIC to smpc_analyst.
DO $analyst$
DECLARE
    f regprocedure;
BEGIN
    FOREACH f IN ARRAY ARRAY[
        'smpc_sum(smallint, text)',
        'smpc_avg(smallint, text)',
        'smpc_sum(integer, text)',
        'smpc_avg(integer, text)',
        'smpc_sum(bigint, text)',
        'smpc_avg(bigint, text)',
        'smpc_sum(numeric, text)',
        'smpc_avg(numeric, text)',
        'smpc_sum(double precision, text)',
        'smpc_avg(double precision, text)',
        'smpc_count("any", text)',
        'smpc_share(numeric, integer)',
        'smpc_share(numeric, integer, integer)',
        'smpc_share(bigint, integer)',
        'smpc_share(bigint, integer, integer)',
        'smpc_reconstruct(text[])'
    ]::regprocedure[] LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO smpc_analyst', f);
    END LOOP;
END
$analyst$;

-- Peers: the deliver endpoint, nothing else. A partner's login role joins:
--   CREATE ROLE smpc_peer_b LOGIN PASSWORD '...' IN ROLE smpc_peer;
GRANT EXECUTE ON FUNCTION smpc.deliver(bytea) TO smpc_peer;

-- Comments on the aggregates' support functions.
COMMENT ON FUNCTION smpc._accum_int2(internal, smallint, text) IS 'smpc aggregates: local transition (exact 128-bit sum and count)';
COMMENT ON FUNCTION smpc._accum_int4(internal, integer, text) IS 'smpc aggregates: local transition (exact 128-bit sum and count)';
COMMENT ON FUNCTION smpc._accum_int8(internal, bigint, text) IS 'smpc aggregates: local transition (exact 128-bit sum and count)';
COMMENT ON FUNCTION smpc._accum_numeric(internal, numeric, text) IS 'smpc aggregates: local transition (exact scaled 128-bit sum and count)';
COMMENT ON FUNCTION smpc._accum_float8(internal, double precision, text) IS 'smpc aggregates: local transition (double precision sum and count)';
COMMENT ON FUNCTION smpc._count_accum(internal, "any", text) IS 'smpc_count: local transition (count of non-NULL values)';
COMMENT ON FUNCTION smpc._combine(internal, internal) IS 'smpc aggregates: combines partial states (parallel aggregation)';
COMMENT ON FUNCTION smpc._serialize(internal) IS 'smpc aggregates: serializes a partial state for parallel workers';
COMMENT ON FUNCTION smpc._deserialize(bytea, internal) IS 'smpc aggregates: deserializes a partial state from a parallel worker';
COMMENT ON FUNCTION smpc._sum_int_final(internal, smallint, text) IS 'smpc_sum(smallint): runs the job with the partners, returns the joint sum';
COMMENT ON FUNCTION smpc._sum_int_final(internal, integer, text) IS 'smpc_sum(integer): runs the job with the partners, returns the joint sum';
COMMENT ON FUNCTION smpc._sum_numeric_final(internal, bigint, text) IS 'smpc_sum(bigint): runs the job with the partners, returns the joint sum';
COMMENT ON FUNCTION smpc._sum_numeric_final(internal, numeric, text) IS 'smpc_sum(numeric): runs the job with the partners, returns the joint sum';
COMMENT ON FUNCTION smpc._sum_float8_final(internal, double precision, text) IS 'smpc_sum(double precision): runs the job with the partners, returns the joint sum';
COMMENT ON FUNCTION smpc._count_final(internal, "any", text) IS 'smpc_count: runs the job with the partners, returns the joint count';
COMMENT ON FUNCTION smpc._avg_numeric_final(internal, smallint, text) IS 'smpc_avg(smallint): runs the job with the partners, returns the joint average';
COMMENT ON FUNCTION smpc._avg_numeric_final(internal, integer, text) IS 'smpc_avg(integer): runs the job with the partners, returns the joint average';
COMMENT ON FUNCTION smpc._avg_numeric_final(internal, bigint, text) IS 'smpc_avg(bigint): runs the job with the partners, returns the joint average';
COMMENT ON FUNCTION smpc._avg_numeric_final(internal, numeric, text) IS 'smpc_avg(numeric): runs the job with the partners, returns the joint average';
COMMENT ON FUNCTION smpc._avg_float8_final(internal, double precision, text) IS 'smpc_avg(double precision): runs the job with the partners, returns the joint average';
COMMENT ON POLICY jobs_admin ON smpc.jobs IS 'smpc_admin members read every job';
COMMENT ON POLICY jobs_own ON smpc.jobs IS 'smpc_analyst members read the jobs they ran';

-- Release policies ----------------------------------------------------------
--
-- Every party enforces its own policy on its own side. The policy a job runs
-- under (minimum parties, minimum joint row count, the bounds the input was
-- clipped to) is hashed into every message, so parties that apply different
-- policies refuse to compute together and the error names what differs.

-- Clipping bounds per column: by the name of the base column (a table's own
-- column) that an aggregate's value is, followed through aliases, subqueries,
-- views and the like; '*' for every column without its own entry. An
-- expression over a bounded column takes no bounds (release_policy.cpp).
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

CREATE FUNCTION smpc.set_overlap_pairs(federation text, allowed boolean DEFAULT true)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF set_overlap_pairs.federation IS NULL OR set_overlap_pairs.allowed IS NULL THEN
        RAISE EXCEPTION 'federation and allowed must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    UPDATE smpc.federations f SET overlap_pairs = set_overlap_pairs.allowed
    WHERE f.name = set_overlap_pairs.federation;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'federation "%" does not exist', set_overlap_pairs.federation
            USING ERRCODE = 'undefined_object';
    END IF;
END $$;
REVOKE ALL ON FUNCTION smpc.set_overlap_pairs(text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION smpc.set_overlap_pairs(text, boolean) TO smpc_admin;
COMMENT ON FUNCTION smpc.set_overlap_pairs(text, boolean) IS
    'release policy: whether smpc_overlap_matrix may release how many keys each pair of parties shares (every party must allow it; part of the matrix jobs'' policy only)';

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

-- Audit trail ---------------------------------------------------------------
--
-- One row per attempt to run a job at this party, whatever the outcome. The
-- backend that ran the job queues the record in shared memory and a
-- background worker ("smpc audit writer") inserts it in a transaction of its
-- own, so failed jobs (whose transaction aborts) and released results whose
-- caller rolls back are recorded too. Each attempt's record is also on disk
-- (smpc_audit/ in the data directory) while it runs: an attempt a server
-- stop or crash cut short is stored at restart as 'interrupted' (a backend
-- that ends mid-job queues that record itself). Append-only: nobody may update a row,
-- and only superusers may delete rows (retention). smpc_admin reads every
-- row, smpc_analyst the rows of its own jobs.

CREATE TABLE smpc.audit_log (
    event_id      uuid PRIMARY KEY,
    federation    text NOT NULL,
    job_id        text NOT NULL,
    aggregate     text NOT NULL,
    requested_by  name NOT NULL,
    login_role    name NOT NULL,
    query_sha256  text NOT NULL,
    partners      text[] NOT NULL,
    outcome       text NOT NULL
                  CHECK (outcome IN ('released', 'returned', 'contributed', 'refused', 'failed', 'charged',
                                     'refunded', 'opened', 'interrupted')),
    sqlstate      text,
    reason        text,
    result        text,
    policy        text,
    started_at    timestamptz NOT NULL,
    finished_at   timestamptz NOT NULL,
    outside_bounds bigint NOT NULL DEFAULT 0,
    covers        text[],
    dropouts      text,
    initiated_by  text,
    backend_pid   integer NOT NULL,
    verified      boolean,
    logged_at     timestamptz NOT NULL DEFAULT now(),
    epsilon       double precision,
    budget_dataset text
);
CREATE INDEX audit_log_job ON smpc.audit_log (federation, job_id);
CREATE INDEX audit_log_started ON smpc.audit_log (started_at);
-- Spent job ids: a job id is spent at this party once it has sent anything
-- that opens a value or lets partners open one (protocol/aggregation_job.hpp,
-- "Spent job ids"): an 'opened' record, committed by the audit writer before
-- that message leaves. A later run of the id is refused (job_runner.cpp), so
-- no two runs of a job id ever open over different inputs. Every job start
-- looks up its id here, whatever the federation.
CREATE INDEX audit_log_opened ON smpc.audit_log (job_id) WHERE outcome = 'opened';
REVOKE ALL ON smpc.audit_log FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('smpc.audit_log', '');
COMMENT ON TABLE smpc.audit_log IS
    'audit trail: every attempt to run a job here (who, what, with whom, when, outcome, what was released); append-only';
COMMENT ON COLUMN smpc.audit_log.event_id IS 'random id of this record';
COMMENT ON COLUMN smpc.audit_log.aggregate IS 'what the job computes, e.g. avg(integer)';
COMMENT ON COLUMN smpc.audit_log.requested_by IS 'the role that ran the job (current_user)';
COMMENT ON COLUMN smpc.audit_log.login_role IS 'the role that logged in (session_user)';
COMMENT ON COLUMN smpc.audit_log.query_sha256 IS 'SHA-256 (hex) of the text of the query that ran the job; the text itself is not kept';
COMMENT ON COLUMN smpc.audit_log.partners IS 'the other parties of the federation';
COMMENT ON COLUMN smpc.audit_log.outcome IS
    'released (computed now), returned (an earlier release given back), contributed (this party only supplied its input), refused (a policy, permission or job-id rule of this party), failed (anything else), interrupted (the job''s backend ended, or the server stopped or crashed, while the job ran; queued as the backend ended, else stored at the server''s restart); charged and refunded (privacy budget), opened (the job id was spent: this party sent a value that opens the result)';
COMMENT ON COLUMN smpc.audit_log.covers IS 'the input parties the released result includes (failed with SM009: what the partners that released without this attempt said their result includes)';
COMMENT ON COLUMN smpc.audit_log.dropouts IS 'the parties the job went on without, and why';
COMMENT ON COLUMN smpc.audit_log.initiated_by IS 'the partner that started the job here through a published dataset (smpc_run), or NULL when a session here ran it';
COMMENT ON COLUMN smpc.audit_log.sqlstate IS 'SQLSTATE of the error, for refused and failed attempts';
COMMENT ON COLUMN smpc.audit_log.reason IS 'error message, for refused and failed attempts';
COMMENT ON COLUMN smpc.audit_log.result IS 'the joint values released, e.g. "sum 45000, count 3"';
COMMENT ON COLUMN smpc.audit_log.policy IS 'the release policy the job ran under at this party';
COMMENT ON COLUMN smpc.audit_log.outside_bounds IS 'local input values outside the clipping bounds (clipped, or refusing the job under reject bounds)';
COMMENT ON COLUMN smpc.audit_log.backend_pid IS 'process id of the backend that ran the job';
COMMENT ON COLUMN smpc.audit_log.logged_at IS 'when the audit writer stored the record';
COMMENT ON COLUMN smpc.audit_log.verified IS
    'released: true when the result was checked against a compute party that changed a value (Shamir: more than t consistent values; delegated and hybrid models: MAC tags), false when it could not be (additive peer-to-peer jobs)';
COMMENT ON COLUMN smpc.audit_log.epsilon IS 'charged and refunded records: the differential privacy budget charged (negative: given back)';
COMMENT ON COLUMN smpc.audit_log.budget_dataset IS 'charged and refunded records: the privacy budget (its dataset name) charged';

-- Append-only, also against roles someone GRANTs rights to by mistake.
CREATE FUNCTION smpc._audit_log_append_only()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'smpc.audit_log is append-only: rows cannot be changed'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = current_user) THEN
        RAISE EXCEPTION 'only a superuser may delete rows of smpc.audit_log'
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Audit records are kept; a superuser may delete old ones for retention.';
    END IF;
    RETURN CASE WHEN TG_LEVEL = 'ROW' THEN OLD ELSE NULL END;
END $$;
REVOKE ALL ON FUNCTION smpc._audit_log_append_only() FROM PUBLIC;
COMMENT ON FUNCTION smpc._audit_log_append_only() IS
    'trigger: refuses UPDATE on smpc.audit_log, and DELETE or TRUNCATE by non-superusers';
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON smpc.audit_log
    FOR EACH ROW EXECUTE FUNCTION smpc._audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON smpc.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION smpc._audit_log_append_only();
COMMENT ON TRIGGER audit_log_append_only ON smpc.audit_log IS 'rows are never changed; only superusers delete';
COMMENT ON TRIGGER audit_log_no_truncate ON smpc.audit_log IS 'only superusers truncate';

GRANT SELECT ON smpc.audit_log TO smpc_admin, smpc_analyst;
ALTER TABLE smpc.audit_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_admin ON smpc.audit_log FOR SELECT TO smpc_admin USING (true);
CREATE POLICY audit_own ON smpc.audit_log FOR SELECT TO smpc_analyst
    USING (requested_by = current_user);
COMMENT ON POLICY audit_admin ON smpc.audit_log IS 'smpc_admin members read the whole audit log';
COMMENT ON POLICY audit_own ON smpc.audit_log IS 'smpc_analyst members read the records of their own jobs';

-- The audit trail outlives DROP EXTENSION -------------------------------------
--
-- DROP EXTENSION smpc would drop smpc.audit_log with every record in it.
-- While the log holds records, the drop is refused, naming how to archive
-- them; once a superuser has archived and emptied the log (TRUNCATE), the
-- extension drops. An event trigger in SQL sees the query text, not the
-- parsed statement, so it looks for smpc in the DROP EXTENSION statements
-- of the text; when it finds none (a drop run by a function), it assumes
-- smpc when the current user could drop smpc at all.
CREATE FUNCTION smpc._keep_audit_log()
RETURNS event_trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    dropped text;
    seen_drop boolean := false;
    drops_smpc boolean := false;
    records bigint;
    first_day text;
    last_day text;
BEGIN
    FOR dropped IN
        SELECT m[1] FROM regexp_matches(current_query(),
            'drop\s+extension\s+(?:if\s+exists\s+)?([^;]*)', 'gi') AS m
    LOOP
        seen_drop := true;
        drops_smpc := drops_smpc OR dropped ~* '(^|[\s,"])smpc($|[\s,"])';
    END LOOP;
    IF NOT seen_drop THEN
        drops_smpc := EXISTS (SELECT FROM pg_extension e
                              WHERE e.extname = 'smpc' AND pg_has_role(e.extowner, 'MEMBER'));
    END IF;
    IF NOT drops_smpc THEN
        RETURN;
    END IF;
    SELECT count(*), to_char(min(l.started_at), 'YYYY-MM-DD'), to_char(max(l.started_at), 'YYYY-MM-DD')
    INTO records, first_day, last_day
    FROM smpc.audit_log l;
    IF records > 0 THEN
        RAISE EXCEPTION 'cannot drop extension smpc while smpc.audit_log holds % audit records', records
            USING ERRCODE = 'dependent_objects_still_exist',
                  DETAIL = format('DROP EXTENSION would delete the audit trail of this party (records from %s to %s) and the privacy budget ledger.',
                                  first_day, last_day),
                  HINT = 'Archive the records first, e.g. CREATE TABLE audit_archive AS TABLE smpc.audit_log, or COPY smpc.audit_log TO a file; then a superuser empties the log with TRUNCATE smpc.audit_log, and the extension can be dropped.';
    END IF;
END $$;
REVOKE ALL ON FUNCTION smpc._keep_audit_log() FROM PUBLIC;
COMMENT ON FUNCTION smpc._keep_audit_log() IS
    'event trigger: refuses DROP EXTENSION smpc while smpc.audit_log holds records, naming how to archive them';
CREATE EVENT TRIGGER smpc_keep_audit_log ON ddl_command_start
    WHEN TAG IN ('DROP EXTENSION')
    EXECUTE FUNCTION smpc._keep_audit_log();
COMMENT ON EVENT TRIGGER smpc_keep_audit_log IS
    'refuses DROP EXTENSION smpc while smpc.audit_log holds records (archive them, then TRUNCATE smpc.audit_log)';

-- Deliveries that the server log would record ------------------------------
--
-- A delivered message holds a share. smpc.deliver refuses while the server
-- log (log_statement, log_min_duration_statement, sampling, pgaudit) would
-- record its parameter; senders ask smpc.deliver_ready() first on every new
-- connection, so such a refusal costs no share. It then keeps parameters out
-- of the log for the session (a session-level SET, which no reload of the
-- configuration overrides): connections stay open between jobs.
CREATE FUNCTION smpc.deliver_ready()
RETURNS void
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'smpc_deliver_ready';
REVOKE ALL ON FUNCTION smpc.deliver_ready() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION smpc.deliver_ready() TO smpc_peer;
COMMENT ON FUNCTION smpc.deliver_ready() IS
    'fails when the server log would record what this partner login delivers, else keeps statement parameters out of the log for the session; partners call it on each new connection';

-- Deliveries that carry a message back ---------------------------------------
--
-- smpc.exchange is smpc.deliver that may return this party's own message of
-- the same round for the caller, when the job here is about to send it: in
-- peer-to-peer jobs one call then does for both directions (handover.cpp).
-- Senders of this version call it. smpc.deliver stays: it hands nothing
-- back, and a job here then sends that partner its messages itself.
CREATE FUNCTION smpc.exchange(message bytea)
RETURNS bytea
LANGUAGE C STRICT VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'smpc_exchange';
REVOKE ALL ON FUNCTION smpc.exchange(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION smpc.exchange(bytea) TO smpc_peer;
COMMENT ON FUNCTION smpc.exchange(bytea) IS
    'receives a protocol message from a partner, like smpc.deliver, and may return this party''s own message of the same round for that partner';

-- Support functions of the aggregates and the wrapper's validator: nothing
-- calls them with the caller's rights (aggregates check them as the
-- aggregate's owner; the server calls the validator itself), so PUBLIC
-- needs no EXECUTE on them. With this, partners' login roles may execute
-- smpc.deliver and smpc.deliver_ready and nothing else of smpc.
DO $support$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN
        SELECT p.oid::regprocedure
        FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_proc p ON p.oid = d.objid
        WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.deptype = 'e'
          AND d.refobjid = (SELECT e.oid FROM pg_catalog.pg_extension e WHERE e.extname = 'smpc')
          AND p.prokind = 'f'
          AND (p.proname LIKE '\_%' OR p.proname = 'fdw_validator')
          AND p.pronamespace = 'smpc'::regnamespace
          AND p.proname <> '_test_message' AND p.proname <> '_audit_log_append_only'
    LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    END LOOP;
END
$support$;

-- Taking part without an input (compute-only and output-only parties).
CREATE FUNCTION smpc_join(aggregate text, value_type regtype, job_id text, column_name text DEFAULT NULL)
RETURNS numeric
LANGUAGE C CALLED ON NULL INPUT VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'smpc_join';
REVOKE ALL ON FUNCTION smpc_join(text, regtype, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION smpc_join(text, regtype, text, text) TO smpc_analyst;
COMMENT ON FUNCTION smpc_join(text, regtype, text, text) IS
    'takes part in job job_id (sum, count or avg over value_type) at a party without an input; returns the joint result, or NULL where this party learns none';

-- Scheduled reports ------------------------------------------------------------
--
-- Every party schedules the same report (for example with pg_cron) and names
-- the job with smpc.report_job_id: the same id at every party for the same
-- report and period, whatever the party's time zone (periods are UTC). A job
-- id runs once, so a retry after a failure computes it and any later run
-- returns the stored result: nothing is counted twice.
CREATE FUNCTION smpc.period_start(period text, at timestamptz DEFAULT now())
RETURNS timestamptz
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF period_start.period IS NULL OR period_start.at IS NULL THEN
        RAISE EXCEPTION 'period and time must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF period_start.period NOT IN ('hour', 'day', 'week', 'month', 'quarter', 'year') THEN
        RAISE EXCEPTION 'period must be hour, day, week, month, quarter or year, not "%"', period_start.period
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN date_trunc(period_start.period, period_start.at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
END $$;
COMMENT ON FUNCTION smpc.period_start(text, timestamptz) IS
    'start (UTC) of the hour, day, ISO week, month, quarter or year that contains the given time';

CREATE FUNCTION smpc.report_job_id(report text, period text, at timestamptz DEFAULT now())
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t timestamp := smpc.period_start(report_job_id.period, report_job_id.at) AT TIME ZONE 'UTC';
BEGIN
    IF report_job_id.report IS NULL OR report_job_id.report = '' THEN
        RAISE EXCEPTION 'report name must not be empty' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN report_job_id.report || '/' || report_job_id.period || '/' ||
        CASE report_job_id.period
            WHEN 'hour' THEN to_char(t, 'YYYY-MM-DD"T"HH24')
            WHEN 'day' THEN to_char(t, 'YYYY-MM-DD')
            WHEN 'week' THEN to_char(t, 'IYYY-"W"IW')
            WHEN 'month' THEN to_char(t, 'YYYY-MM')
            WHEN 'quarter' THEN to_char(t, 'YYYY-"Q"Q')
            ELSE to_char(t, 'YYYY')
        END;
END $$;
COMMENT ON FUNCTION smpc.report_job_id(text, text, timestamptz) IS
    'job id of a report for the period containing the given time, e.g. expenses/month/2026-11: the same at every party';
REVOKE ALL ON FUNCTION smpc.period_start(text, timestamptz), smpc.report_job_id(text, text, timestamptz)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION smpc.period_start(text, timestamptz), smpc.report_job_id(text, text, timestamptz)
    TO smpc_admin, smpc_analyst;

-- Job status --------------------------------------------------------------------
--
-- Running jobs come from shared memory (each waits here with its round and the
-- partners it waits for); finished ones from smpc.audit_log. The view runs
-- with the caller's rights, so the audit log's row security applies: an
-- analyst sees the jobs they ran, an smpc_admin member all of them.
CREATE FUNCTION smpc._running_jobs(OUT federation text, OUT job_id text, OUT aggregate text,
    OUT round text, OUT waiting_for text, OUT started_at timestamptz, OUT requested_by name,
    OUT initiated_by text, OUT backend_pid integer)
RETURNS SETOF record
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'smpc_running_jobs';
REVOKE ALL ON FUNCTION smpc._running_jobs() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION smpc._running_jobs() TO smpc_admin, smpc_analyst;
COMMENT ON FUNCTION smpc._running_jobs() IS
    'internal: the jobs running in this database that the caller may see (use smpc.job_status)';

CREATE VIEW smpc.job_status WITH (security_invoker = true) AS
SELECT r.federation, r.job_id, r.aggregate,
       CASE WHEN r.waiting_for <> '' THEN 'waiting' ELSE 'running' END AS state,
       nullif(r.round, '') AS round, pg_catalog.string_to_array(nullif(r.waiting_for, ''), ',') AS waiting_for,
       NULL::text AS sqlstate, NULL::text AS reason, NULL::text AS result,
       r.started_at, NULL::timestamptz AS finished_at,
       pg_catalog.clock_timestamp() - r.started_at AS duration,
       r.requested_by, nullif(r.initiated_by, '') AS initiated_by, r.backend_pid,
       NULL::boolean AS verified
FROM smpc._running_jobs() r
UNION ALL
SELECT l.federation, l.job_id, l.aggregate, l.outcome, NULL, NULL::text[],
       l.sqlstate, l.reason, l.result, l.started_at, l.finished_at,
       l.finished_at - l.started_at, l.requested_by, l.initiated_by, l.backend_pid,
       l.verified
FROM smpc.audit_log l
WHERE l.outcome NOT IN ('charged', 'refunded', 'opened');  -- ledger and spent-id records are not attempts
GRANT SELECT ON smpc.job_status TO smpc_admin, smpc_analyst;
COMMENT ON VIEW smpc.job_status IS
    'jobs here: running ones (waiting for which partner, in which round) and every finished attempt (released, returned, contributed, refused, failed and why)';
COMMENT ON COLUMN smpc.job_status.state IS
    'waiting (for the partners in waiting_for), running, or the outcome of a finished attempt as in smpc.audit_log';
COMMENT ON COLUMN smpc.job_status.round IS 'the protocol round a running job is in, e.g. "round 1 (share)"';
COMMENT ON COLUMN smpc.job_status.waiting_for IS 'the partners a waiting job has not heard from in this round';
COMMENT ON COLUMN smpc.job_status.duration IS 'how long the attempt took, or has been running';
COMMENT ON COLUMN smpc.job_status.requested_by IS 'the role that runs or ran the job';
COMMENT ON COLUMN smpc.job_status.initiated_by IS 'the partner that started the job through a published dataset, or NULL';
COMMENT ON COLUMN smpc.job_status.verified IS
    'for released attempts: whether the result was verified against a compute party that changed a value';

CREATE FUNCTION smpc.cancel_job(federation text, job_id text)
RETURNS boolean
LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'smpc_cancel_job';
REVOKE ALL ON FUNCTION smpc.cancel_job(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION smpc.cancel_job(text, text) TO smpc_admin, smpc_analyst;
COMMENT ON FUNCTION smpc.cancel_job(text, text) IS
    'cancels a running job here (its own role, an smpc_admin member or a superuser may); the partners are told and the attempt is recorded as failed. False when no such job runs';

CREATE FUNCTION smpc.shmem_usage(OUT area text, OUT from_role name, OUT in_use integer,
    OUT unclaimed integer, OUT capacity integer)
RETURNS SETOF record
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'smpc_shmem_usage';
REVOKE ALL ON FUNCTION smpc.shmem_usage() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION smpc.shmem_usage() TO smpc_admin;
COMMENT ON FUNCTION smpc.shmem_usage() IS
    'what smpc''s shared memory holds in this database now: job claims, inbox slots (in total and per delivering role; unclaimed: for jobs no session here runs), handover jobs and pickups. With no job running, every in_use is 0 but slots of messages for jobs that never started here';

-- Published datasets and partner-initiated jobs -------------------------------------
--
-- A party's admin publishes a named dataset to a federation: the query that
-- yields its rows, which of its columns may be aggregated with which
-- aggregates, which partners may start jobs on it, and the role the jobs run
-- as here. A partner's analyst then runs smpc_run(federation, dataset,
-- aggregate, column) at their own database; every other party computes its
-- side from its own publication of that dataset (requests.cpp), with no one
-- there typing anything. Nothing else of a party can be reached: partners
-- name a dataset, a column and an aggregate, never SQL.
CREATE TABLE smpc.datasets (
    federation     text NOT NULL REFERENCES smpc.federations (name) ON DELETE CASCADE,
    name           text NOT NULL
                   CHECK (octet_length(name) BETWEEN 1 AND 63 AND name !~ '[[:cntrl:]]'),
    query          text,
    columns        text[] NOT NULL CHECK (cardinality(columns) > 0),
    column_kinds   text[] NOT NULL
                   CHECK (cardinality(column_kinds) = cardinality(columns)
                          AND column_kinds <@ ARRAY['integer', 'numeric', 'float8', 'other']),
    aggregates     text[] NOT NULL
                   CHECK (cardinality(aggregates) > 0 AND aggregates <@ ARRAY['sum', 'count', 'avg']),
    starters       text[],
    run_as         regrole NOT NULL,
    search_path    text NOT NULL,
    require_bounds boolean NOT NULL,
    published_by   name NOT NULL,
    published_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (federation, name)
);
REVOKE ALL ON smpc.datasets FROM PUBLIC;
GRANT SELECT ON smpc.datasets TO smpc_admin, smpc_analyst;
SELECT pg_catalog.pg_extension_config_dump('smpc.datasets', '');
COMMENT ON TABLE smpc.datasets IS
    'datasets this party publishes to a federation: partners may start jobs on them (smpc_run), within these limits';
COMMENT ON COLUMN smpc.datasets.query IS
    'the query that yields the rows (NULL at a party that supplies no input: it only computes or receives)';
COMMENT ON COLUMN smpc.datasets.columns IS 'the columns of the query that may be aggregated';
COMMENT ON COLUMN smpc.datasets.column_kinds IS
    'for each column, how its values are encoded (integer, numeric, float8; other: counts only), found when published';
COMMENT ON COLUMN smpc.datasets.aggregates IS 'the aggregates allowed on them: sum, count, avg';
COMMENT ON COLUMN smpc.datasets.starters IS 'the partners that may start jobs on the dataset; NULL: every partner';
COMMENT ON COLUMN smpc.datasets.run_as IS 'the role partner-started jobs run as here (needs LOGIN, SELECT on the query''s tables and the results grant)';
COMMENT ON COLUMN smpc.datasets.search_path IS 'the search_path the query runs with (the publisher''s at publishing)';
COMMENT ON COLUMN smpc.datasets.require_bounds IS 'sums and averages need declared bounds (smpc.set_bounds) for the column';

CREATE FUNCTION smpc.publish(federation text, dataset text, query text, columns text[],
    aggregates text[] DEFAULT ARRAY['sum', 'count', 'avg'], starters text[] DEFAULT NULL,
    run_as regrole DEFAULT NULL, require_bounds boolean DEFAULT true)
RETURNS void
LANGUAGE C CALLED ON NULL INPUT VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'smpc_publish';
REVOKE ALL ON FUNCTION smpc.publish(text, text, text, text[], text[], text[], regrole, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION smpc.publish(text, text, text, text[], text[], text[], regrole, boolean) TO smpc_admin;
COMMENT ON FUNCTION smpc.publish(text, text, text, text[], text[], text[], regrole, boolean) IS
    'publishes (or re-publishes) a dataset to a federation: its query, the columns and aggregates partners may ask for, who may start jobs, the role they run as (default: the caller)';

CREATE FUNCTION smpc.unpublish(federation text, dataset text)
RETURNS boolean
LANGUAGE sql STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    WITH gone AS (
        DELETE FROM smpc.datasets d
        WHERE d.federation = unpublish.federation AND d.name = unpublish.dataset
        RETURNING 1)
    SELECT count(*) > 0 FROM gone;
END;
REVOKE ALL ON FUNCTION smpc.unpublish(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION smpc.unpublish(text, text) TO smpc_admin;
COMMENT ON FUNCTION smpc.unpublish(text, text) IS
    'stops partners starting new jobs on a dataset (jobs already running finish); true when it was published';

CREATE FUNCTION smpc_run(federation text, dataset text, aggregate text, column_name text,
    job_id text DEFAULT NULL)
RETURNS TABLE (job text, value numeric, covers text[])
LANGUAGE C CALLED ON NULL INPUT VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'smpc_run';
REVOKE ALL ON FUNCTION smpc_run(text, text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION smpc_run(text, text, text, text, text) TO smpc_analyst;
COMMENT ON FUNCTION smpc_run(text, text, text, text, text) IS
    'runs aggregate (sum, count, avg) of a column of a published dataset at every party of the federation: the partners take part by themselves; returns the job id, the joint value and the input parties it covers';

-- Spread: variance and standard deviation (moments.cpp). One job opens the
-- joint sum, sum of squares and count; the six aggregates share it.
CREATE FUNCTION smpc._accum_sq_int2(internal, smallint, text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_accum_sq_int2';
COMMENT ON FUNCTION smpc._accum_sq_int2(internal, smallint, text) IS 'smpc variances: local transition (exact sum, sum of squares and count)';
CREATE FUNCTION smpc._accum_sq_int4(internal, integer, text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_accum_sq_int4';
COMMENT ON FUNCTION smpc._accum_sq_int4(internal, integer, text) IS 'smpc variances: local transition (exact sum, sum of squares and count)';
CREATE FUNCTION smpc._accum_sq_int8(internal, bigint, text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_accum_sq_int8';
COMMENT ON FUNCTION smpc._accum_sq_int8(internal, bigint, text) IS 'smpc variances: local transition (exact sum, sum of squares and count)';
CREATE FUNCTION smpc._accum_sq_numeric(internal, numeric, text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_accum_sq_numeric';
COMMENT ON FUNCTION smpc._accum_sq_numeric(internal, numeric, text) IS 'smpc variances: local transition (exact sum, sum of squares and count)';
CREATE FUNCTION smpc._accum_sq_float8(internal, double precision, text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_accum_sq_float8';
COMMENT ON FUNCTION smpc._accum_sq_float8(internal, double precision, text) IS 'smpc variances: local transition (exact sum, sum of squares and count)';
CREATE FUNCTION smpc._moments_final(internal, smallint, text) RETURNS numeric
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_moments_numeric_final';
COMMENT ON FUNCTION smpc._moments_final(internal, smallint, text) IS 'smpc variances (smallint): runs the job with the partners, returns the statistic the aggregate names';
CREATE FUNCTION smpc._moments_final(internal, integer, text) RETURNS numeric
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_moments_numeric_final';
COMMENT ON FUNCTION smpc._moments_final(internal, integer, text) IS 'smpc variances (integer): runs the job with the partners, returns the statistic the aggregate names';
CREATE FUNCTION smpc._moments_final(internal, bigint, text) RETURNS numeric
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_moments_numeric_final';
COMMENT ON FUNCTION smpc._moments_final(internal, bigint, text) IS 'smpc variances (bigint): runs the job with the partners, returns the statistic the aggregate names';
CREATE FUNCTION smpc._moments_final(internal, numeric, text) RETURNS numeric
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_moments_numeric_final';
COMMENT ON FUNCTION smpc._moments_final(internal, numeric, text) IS 'smpc variances (numeric): runs the job with the partners, returns the statistic the aggregate names';
CREATE FUNCTION smpc._moments_final(internal, double precision, text) RETURNS double precision
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_moments_float8_final';
COMMENT ON FUNCTION smpc._moments_final(internal, double precision, text) IS 'smpc variances (double precision): runs the job with the partners, returns the statistic the aggregate names';
-- Support functions: only through the aggregates (see $support$ above).
REVOKE ALL ON FUNCTION
    smpc._accum_sq_int2(internal, smallint, text),
    smpc._accum_sq_int4(internal, integer, text),
    smpc._accum_sq_int8(internal, bigint, text),
    smpc._accum_sq_numeric(internal, numeric, text),
    smpc._accum_sq_float8(internal, double precision, text),
    smpc._moments_final(internal, smallint, text),
    smpc._moments_final(internal, integer, text),
    smpc._moments_final(internal, bigint, text),
    smpc._moments_final(internal, numeric, text),
    smpc._moments_final(internal, double precision, text)
FROM PUBLIC;
CREATE AGGREGATE smpc_variance(smallint, text) (
    SFUNC = smpc._accum_sq_int2, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._moments_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_variance(smallint, text) IS 'joint sample variance (as variance()) over all parties of the federation (job id last); reveals the joint sum, sum of squares and count';
CREATE AGGREGATE smpc_variance(integer, text) (
    SFUNC = smpc._accum_sq_int4, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._moments_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_variance(integer, text) IS 'joint sample variance (as variance()) over all parties of the federation (job id last); reveals the joint sum, sum of squares and count';
CREATE AGGREGATE smpc_variance(bigint, text) (
    SFUNC = smpc._accum_sq_int8, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._moments_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_variance(bigint, text) IS 'joint sample variance (as variance()) over all parties of the federation (job id last); reveals the joint sum, sum of squares and count';
CREATE AGGREGATE smpc_variance(numeric, text) (
    SFUNC = smpc._accum_sq_numeric, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._moments_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_variance(numeric, text) IS 'joint sample variance (as variance()) over all parties of the federation (job id last); reveals the joint sum, sum of squares and count';
CREATE AGGREGATE smpc_variance(double precision, text) (
    SFUNC = smpc._accum_sq_float8, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._moments_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_variance(double precision, text) IS 'joint sample variance (as variance()) over all parties of the federation (job id last); reveals the joint sum, sum of squares and count';
CREATE AGGREGATE smpc_var_samp(smallint, text) (
    SFUNC = smpc._accum_sq_int2, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._moments_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_var_samp(smallint, text) IS 'joint sample variance (as var_samp()) over all parties of the federation (job id last); reveals the joint sum, sum of squares and count';
CREATE AGGREGATE smpc_var_samp(integer, text) (
    SFUNC = smpc._accum_sq_int4, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._moments_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_var_samp(integer, text) IS 'joint sample variance (as var_samp()) over all parties of the federation (job id last); reveals the joint sum, sum of squares and count';
CREATE AGGREGATE smpc_var_samp(bigint, text) (
    SFUNC = smpc._accum_sq_int8, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._moments_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_var_samp(bigint, text) IS 'joint sample variance (as var_samp()) over all parties of the federation (job id last); reveals the joint sum, sum of squares and count';
CREATE AGGREGATE smpc_var_samp(numeric, text) (
    SFUNC = smpc._accum_sq_numeric, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._moments_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_var_samp(numeric, text) IS 'joint sample variance (as var_samp()) over all parties of the federation (job id last); reveals the joint sum, sum of squares and count';
CREATE AGGREGATE smpc_var_samp(double precision, text) (
    SFUNC = smpc._accum_sq_float8, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._moments_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_var_samp(double precision, text) IS 'joint sample variance (as var_samp()) over all parties of the federation (job id last); reveals the joint sum, sum of squares and count';
CREATE AGGREGATE smpc_var_pop(smallint, text) (
    SFUNC = smpc._accum_sq_int2, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._moments_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_var_pop(smallint, text) IS 'joint population variance (as var_pop()) over all parties of the federation (job id last); reveals the joint sum, sum of squares and count';
CREATE AGGREGATE smpc_var_pop(integer, text) (
    SFUNC = smpc._accum_sq_int4, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._moments_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_var_pop(integer, text) IS 'joint population variance (as var_pop()) over all parties of the federation (job id last); reveals the joint sum, sum of squares and count';
CREATE AGGREGATE smpc_var_pop(bigint, text) (
    SFUNC = smpc._accum_sq_int8, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._moments_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_var_pop(bigint, text) IS 'joint population variance (as var_pop()) over all parties of the federation (job id last); reveals the joint sum, sum of squares and count';
CREATE AGGREGATE smpc_var_pop(numeric, text) (
    SFUNC = smpc._accum_sq_numeric, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._moments_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_var_pop(numeric, text) IS 'joint population variance (as var_pop()) over all parties of the federation (job id last); reveals the joint sum, sum of squares and count';
CREATE AGGREGATE smpc_var_pop(double precision, text) (
    SFUNC = smpc._accum_sq_float8, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._moments_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_var_pop(double precision, text) IS 'joint population variance (as var_pop()) over all parties of the federation (job id last); reveals the joint sum, sum of squares and count';
CREATE AGGREGATE smpc_stddev(smallint, text) (
    SFUNC = smpc._accum_sq_int2, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._moments_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_stddev(smallint, text) IS 'joint sample standard deviation (as stddev()) over all parties of the federation (job id last); reveals the joint sum, sum of squares and count';
CREATE AGGREGATE smpc_stddev(integer, text) (
    SFUNC = smpc._accum_sq_int4, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._moments_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_stddev(integer, text) IS 'joint sample standard deviation (as stddev()) over all parties of the federation (job id last); reveals the joint sum, sum of squares and count';
CREATE AGGREGATE smpc_stddev(bigint, text) (
    SFUNC = smpc._accum_sq_int8, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._moments_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_stddev(bigint, text) IS 'joint sample standard deviation (as stddev()) over all parties of the federation (job id last); reveals the joint sum, sum of squares and count';
CREATE AGGREGATE smpc_stddev(numeric, text) (
    SFUNC = smpc._accum_sq_numeric, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._moments_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_stddev(numeric, text) IS 'joint sample standard deviation (as stddev()) over all parties of the federation (job id last); reveals the joint sum, sum of squares and count';
CREATE AGGREGATE smpc_stddev(double precision, text) (
    SFUNC = smpc._accum_sq_float8, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._moments_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_stddev(double precision, text) IS 'joint sample standard deviation (as stddev()) over all parties of the federation (job id last); reveals the joint sum, sum of squares and count';
CREATE AGGREGATE smpc_stddev_samp(smallint, text) (
    SFUNC = smpc._accum_sq_int2, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._moments_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_stddev_samp(smallint, text) IS 'joint sample standard deviation (as stddev_samp()) over all parties of the federation (job id last); reveals the joint sum, sum of squares and count';
CREATE AGGREGATE smpc_stddev_samp(integer, text) (
    SFUNC = smpc._accum_sq_int4, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._moments_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_stddev_samp(integer, text) IS 'joint sample standard deviation (as stddev_samp()) over all parties of the federation (job id last); reveals the joint sum, sum of squares and count';
CREATE AGGREGATE smpc_stddev_samp(bigint, text) (
    SFUNC = smpc._accum_sq_int8, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._moments_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_stddev_samp(bigint, text) IS 'joint sample standard deviation (as stddev_samp()) over all parties of the federation (job id last); reveals the joint sum, sum of squares and count';
CREATE AGGREGATE smpc_stddev_samp(numeric, text) (
    SFUNC = smpc._accum_sq_numeric, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._moments_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_stddev_samp(numeric, text) IS 'joint sample standard deviation (as stddev_samp()) over all parties of the federation (job id last); reveals the joint sum, sum of squares and count';
CREATE AGGREGATE smpc_stddev_samp(double precision, text) (
    SFUNC = smpc._accum_sq_float8, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._moments_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_stddev_samp(double precision, text) IS 'joint sample standard deviation (as stddev_samp()) over all parties of the federation (job id last); reveals the joint sum, sum of squares and count';
CREATE AGGREGATE smpc_stddev_pop(smallint, text) (
    SFUNC = smpc._accum_sq_int2, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._moments_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_stddev_pop(smallint, text) IS 'joint population standard deviation (as stddev_pop()) over all parties of the federation (job id last); reveals the joint sum, sum of squares and count';
CREATE AGGREGATE smpc_stddev_pop(integer, text) (
    SFUNC = smpc._accum_sq_int4, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._moments_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_stddev_pop(integer, text) IS 'joint population standard deviation (as stddev_pop()) over all parties of the federation (job id last); reveals the joint sum, sum of squares and count';
CREATE AGGREGATE smpc_stddev_pop(bigint, text) (
    SFUNC = smpc._accum_sq_int8, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._moments_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_stddev_pop(bigint, text) IS 'joint population standard deviation (as stddev_pop()) over all parties of the federation (job id last); reveals the joint sum, sum of squares and count';
CREATE AGGREGATE smpc_stddev_pop(numeric, text) (
    SFUNC = smpc._accum_sq_numeric, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._moments_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_stddev_pop(numeric, text) IS 'joint population standard deviation (as stddev_pop()) over all parties of the federation (job id last); reveals the joint sum, sum of squares and count';
CREATE AGGREGATE smpc_stddev_pop(double precision, text) (
    SFUNC = smpc._accum_sq_float8, STYPE = internal,
    COMBINEFUNC = smpc._combine, SERIALFUNC = smpc._serialize, DESERIALFUNC = smpc._deserialize,
    FINALFUNC = smpc._moments_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_stddev_pop(double precision, text) IS 'joint population standard deviation (as stddev_pop()) over all parties of the federation (job id last); reveals the joint sum, sum of squares and count';

-- Grouped results over a declared key domain (grouped.cpp) ------------------

CREATE TYPE smpc.group_value AS (key text, value numeric, suppressed boolean);
COMMENT ON TYPE smpc.group_value IS 'one row of a grouped smpc result: the key, its joint value (NULL when suppressed), and whether the release policy suppressed it';

CREATE FUNCTION smpc._group_accum_int2(internal, text, smallint, text[], text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_group_accum_int2';
COMMENT ON FUNCTION smpc._group_accum_int2(internal, text, smallint, text[], text) IS 'smpc grouped aggregates: local transition (exact sum and count per key)';
CREATE FUNCTION smpc._group_accum_int4(internal, text, integer, text[], text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_group_accum_int4';
COMMENT ON FUNCTION smpc._group_accum_int4(internal, text, integer, text[], text) IS 'smpc grouped aggregates: local transition (exact sum and count per key)';
CREATE FUNCTION smpc._group_accum_int8(internal, text, bigint, text[], text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_group_accum_int8';
COMMENT ON FUNCTION smpc._group_accum_int8(internal, text, bigint, text[], text) IS 'smpc grouped aggregates: local transition (exact sum and count per key)';
CREATE FUNCTION smpc._group_accum_numeric(internal, text, numeric, text[], text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_group_accum_numeric';
COMMENT ON FUNCTION smpc._group_accum_numeric(internal, text, numeric, text[], text) IS 'smpc grouped aggregates: local transition (exact sum and count per key)';
CREATE FUNCTION smpc._group_accum_float8(internal, text, double precision, text[], text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_group_accum_float8';
COMMENT ON FUNCTION smpc._group_accum_float8(internal, text, double precision, text[], text) IS 'smpc grouped aggregates: local transition (exact sum and count per key)';
CREATE FUNCTION smpc._group_count_accum(internal, text, text[], text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_group_count_accum';
COMMENT ON FUNCTION smpc._group_count_accum(internal, text, text[], text) IS 'smpc_count_by: local transition (rows per key)';
CREATE FUNCTION smpc._group_combine(internal, internal) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_group_combine';
COMMENT ON FUNCTION smpc._group_combine(internal, internal) IS 'smpc grouped aggregates: adds a parallel worker''s partial sums and counts per key';
CREATE FUNCTION smpc._group_serialize(internal) RETURNS bytea
LANGUAGE C STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_group_serialize';
COMMENT ON FUNCTION smpc._group_serialize(internal) IS 'smpc grouped aggregates: serializes a parallel worker''s partial sums and counts per key';
CREATE FUNCTION smpc._group_deserialize(bytea, internal) RETURNS internal
LANGUAGE C STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_group_deserialize';
COMMENT ON FUNCTION smpc._group_deserialize(bytea, internal) IS 'smpc grouped aggregates: deserializes a parallel worker''s partial sums and counts per key';
CREATE FUNCTION smpc._sum_by_final(internal, text, smallint, text[], text) RETURNS smpc.group_value[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_sum_by_final';
COMMENT ON FUNCTION smpc._sum_by_final(internal, text, smallint, text[], text) IS 'smpc_sum_by(smallint): runs the job with the partners, returns one row per key';
CREATE FUNCTION smpc._sum_by_final(internal, text, integer, text[], text) RETURNS smpc.group_value[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_sum_by_final';
COMMENT ON FUNCTION smpc._sum_by_final(internal, text, integer, text[], text) IS 'smpc_sum_by(integer): runs the job with the partners, returns one row per key';
CREATE FUNCTION smpc._sum_by_final(internal, text, bigint, text[], text) RETURNS smpc.group_value[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_sum_by_final';
COMMENT ON FUNCTION smpc._sum_by_final(internal, text, bigint, text[], text) IS 'smpc_sum_by(bigint): runs the job with the partners, returns one row per key';
CREATE FUNCTION smpc._sum_by_final(internal, text, numeric, text[], text) RETURNS smpc.group_value[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_sum_by_final';
COMMENT ON FUNCTION smpc._sum_by_final(internal, text, numeric, text[], text) IS 'smpc_sum_by(numeric): runs the job with the partners, returns one row per key';
CREATE FUNCTION smpc._sum_by_final(internal, text, double precision, text[], text) RETURNS smpc.group_value[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_sum_by_final';
COMMENT ON FUNCTION smpc._sum_by_final(internal, text, double precision, text[], text) IS 'smpc_sum_by(double precision): runs the job with the partners, returns one row per key';
CREATE FUNCTION smpc._avg_by_final(internal, text, smallint, text[], text) RETURNS smpc.group_value[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_avg_by_final';
COMMENT ON FUNCTION smpc._avg_by_final(internal, text, smallint, text[], text) IS 'smpc_avg_by(smallint): runs the job with the partners, returns one row per key';
CREATE FUNCTION smpc._avg_by_final(internal, text, integer, text[], text) RETURNS smpc.group_value[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_avg_by_final';
COMMENT ON FUNCTION smpc._avg_by_final(internal, text, integer, text[], text) IS 'smpc_avg_by(integer): runs the job with the partners, returns one row per key';
CREATE FUNCTION smpc._avg_by_final(internal, text, bigint, text[], text) RETURNS smpc.group_value[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_avg_by_final';
COMMENT ON FUNCTION smpc._avg_by_final(internal, text, bigint, text[], text) IS 'smpc_avg_by(bigint): runs the job with the partners, returns one row per key';
CREATE FUNCTION smpc._avg_by_final(internal, text, numeric, text[], text) RETURNS smpc.group_value[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_avg_by_final';
COMMENT ON FUNCTION smpc._avg_by_final(internal, text, numeric, text[], text) IS 'smpc_avg_by(numeric): runs the job with the partners, returns one row per key';
CREATE FUNCTION smpc._avg_by_final(internal, text, double precision, text[], text) RETURNS smpc.group_value[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_avg_by_final';
COMMENT ON FUNCTION smpc._avg_by_final(internal, text, double precision, text[], text) IS 'smpc_avg_by(double precision): runs the job with the partners, returns one row per key';
CREATE FUNCTION smpc._count_by_final(internal, text, text[], text) RETURNS smpc.group_value[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_count_by_final';
COMMENT ON FUNCTION smpc._count_by_final(internal, text, text[], text) IS 'smpc_count_by: runs the job with the partners, returns one row per key';
REVOKE ALL ON FUNCTION
    smpc._group_accum_int2(internal, text, smallint, text[], text),
    smpc._group_accum_int4(internal, text, integer, text[], text),
    smpc._group_accum_int8(internal, text, bigint, text[], text),
    smpc._group_accum_numeric(internal, text, numeric, text[], text),
    smpc._group_accum_float8(internal, text, double precision, text[], text),
    smpc._group_count_accum(internal, text, text[], text),
    smpc._group_combine(internal, internal),
    smpc._group_serialize(internal),
    smpc._group_deserialize(bytea, internal),
    smpc._sum_by_final(internal, text, smallint, text[], text),
    smpc._sum_by_final(internal, text, integer, text[], text),
    smpc._sum_by_final(internal, text, bigint, text[], text),
    smpc._sum_by_final(internal, text, numeric, text[], text),
    smpc._sum_by_final(internal, text, double precision, text[], text),
    smpc._avg_by_final(internal, text, smallint, text[], text),
    smpc._avg_by_final(internal, text, integer, text[], text),
    smpc._avg_by_final(internal, text, bigint, text[], text),
    smpc._avg_by_final(internal, text, numeric, text[], text),
    smpc._avg_by_final(internal, text, double precision, text[], text),
    smpc._count_by_final(internal, text, text[], text)
FROM PUBLIC;
CREATE AGGREGATE smpc_sum_by(key text, value smallint, domain text[], job_id text) (
    SFUNC = smpc._group_accum_int2, STYPE = internal,
    COMBINEFUNC = smpc._group_combine, SERIALFUNC = smpc._group_serialize, DESERIALFUNC = smpc._group_deserialize,
    FINALFUNC = smpc._sum_by_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_sum_by(text, smallint, text[], text) IS 'joint sum per key of a declared domain over all parties, in one job: an array of smpc.group_value; cells below min_rows are suppressed';
CREATE AGGREGATE smpc_sum_by(key text, value integer, domain text[], job_id text) (
    SFUNC = smpc._group_accum_int4, STYPE = internal,
    COMBINEFUNC = smpc._group_combine, SERIALFUNC = smpc._group_serialize, DESERIALFUNC = smpc._group_deserialize,
    FINALFUNC = smpc._sum_by_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_sum_by(text, integer, text[], text) IS 'joint sum per key of a declared domain over all parties, in one job: an array of smpc.group_value; cells below min_rows are suppressed';
CREATE AGGREGATE smpc_sum_by(key text, value bigint, domain text[], job_id text) (
    SFUNC = smpc._group_accum_int8, STYPE = internal,
    COMBINEFUNC = smpc._group_combine, SERIALFUNC = smpc._group_serialize, DESERIALFUNC = smpc._group_deserialize,
    FINALFUNC = smpc._sum_by_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_sum_by(text, bigint, text[], text) IS 'joint sum per key of a declared domain over all parties, in one job: an array of smpc.group_value; cells below min_rows are suppressed';
CREATE AGGREGATE smpc_sum_by(key text, value numeric, domain text[], job_id text) (
    SFUNC = smpc._group_accum_numeric, STYPE = internal,
    COMBINEFUNC = smpc._group_combine, SERIALFUNC = smpc._group_serialize, DESERIALFUNC = smpc._group_deserialize,
    FINALFUNC = smpc._sum_by_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_sum_by(text, numeric, text[], text) IS 'joint sum per key of a declared domain over all parties, in one job: an array of smpc.group_value; cells below min_rows are suppressed';
CREATE AGGREGATE smpc_sum_by(key text, value double precision, domain text[], job_id text) (
    SFUNC = smpc._group_accum_float8, STYPE = internal,
    COMBINEFUNC = smpc._group_combine, SERIALFUNC = smpc._group_serialize, DESERIALFUNC = smpc._group_deserialize,
    FINALFUNC = smpc._sum_by_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_sum_by(text, double precision, text[], text) IS 'joint sum per key of a declared domain over all parties, in one job: an array of smpc.group_value; cells below min_rows are suppressed';
CREATE AGGREGATE smpc_avg_by(key text, value smallint, domain text[], job_id text) (
    SFUNC = smpc._group_accum_int2, STYPE = internal,
    COMBINEFUNC = smpc._group_combine, SERIALFUNC = smpc._group_serialize, DESERIALFUNC = smpc._group_deserialize,
    FINALFUNC = smpc._avg_by_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_avg_by(text, smallint, text[], text) IS 'joint average per key of a declared domain over all parties, in one job: an array of smpc.group_value; cells below min_rows are suppressed';
CREATE AGGREGATE smpc_avg_by(key text, value integer, domain text[], job_id text) (
    SFUNC = smpc._group_accum_int4, STYPE = internal,
    COMBINEFUNC = smpc._group_combine, SERIALFUNC = smpc._group_serialize, DESERIALFUNC = smpc._group_deserialize,
    FINALFUNC = smpc._avg_by_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_avg_by(text, integer, text[], text) IS 'joint average per key of a declared domain over all parties, in one job: an array of smpc.group_value; cells below min_rows are suppressed';
CREATE AGGREGATE smpc_avg_by(key text, value bigint, domain text[], job_id text) (
    SFUNC = smpc._group_accum_int8, STYPE = internal,
    COMBINEFUNC = smpc._group_combine, SERIALFUNC = smpc._group_serialize, DESERIALFUNC = smpc._group_deserialize,
    FINALFUNC = smpc._avg_by_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_avg_by(text, bigint, text[], text) IS 'joint average per key of a declared domain over all parties, in one job: an array of smpc.group_value; cells below min_rows are suppressed';
CREATE AGGREGATE smpc_avg_by(key text, value numeric, domain text[], job_id text) (
    SFUNC = smpc._group_accum_numeric, STYPE = internal,
    COMBINEFUNC = smpc._group_combine, SERIALFUNC = smpc._group_serialize, DESERIALFUNC = smpc._group_deserialize,
    FINALFUNC = smpc._avg_by_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_avg_by(text, numeric, text[], text) IS 'joint average per key of a declared domain over all parties, in one job: an array of smpc.group_value; cells below min_rows are suppressed';
CREATE AGGREGATE smpc_avg_by(key text, value double precision, domain text[], job_id text) (
    SFUNC = smpc._group_accum_float8, STYPE = internal,
    COMBINEFUNC = smpc._group_combine, SERIALFUNC = smpc._group_serialize, DESERIALFUNC = smpc._group_deserialize,
    FINALFUNC = smpc._avg_by_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_avg_by(text, double precision, text[], text) IS 'joint average per key of a declared domain over all parties, in one job: an array of smpc.group_value; cells below min_rows are suppressed';
CREATE AGGREGATE smpc_count_by(key text, domain text[], job_id text) (
    SFUNC = smpc._group_count_accum, STYPE = internal,
    COMBINEFUNC = smpc._group_combine, SERIALFUNC = smpc._group_serialize, DESERIALFUNC = smpc._group_deserialize,
    FINALFUNC = smpc._count_by_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_count_by(text, text[], text) IS 'joint row count per key of a declared domain over all parties, in one job: an array of smpc.group_value; cells below min_rows are suppressed';

-- Histograms and percentiles over declared bucket edges (histogram.cpp) -----

CREATE TYPE smpc.bucket AS (lower numeric, upper numeric, count bigint, suppressed boolean);
COMMENT ON TYPE smpc.bucket IS 'one bucket of an smpc histogram: values from lower (NULL: no lower edge) up to but excluding upper (NULL: no upper edge), the joint count (NULL when suppressed), whether the release policy suppressed it';
CREATE TYPE smpc.percentile AS (fraction double precision, value numeric, lower numeric, upper numeric);
COMMENT ON TYPE smpc.percentile IS 'an approximate percentile from an smpc histogram: the estimate, and bucket edges with lower <= percentile_disc(fraction) < upper (NULL: unbounded)';

CREATE FUNCTION smpc._hist_accum_int2(internal, smallint, numeric[], text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_hist_accum_int2';
COMMENT ON FUNCTION smpc._hist_accum_int2(internal, smallint, numeric[], text) IS 'smpc_histogram: local transition (count per bucket)';
CREATE FUNCTION smpc._pct_accum_int2(internal, smallint, double precision[], numeric[], text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_hist_accum_int2';
COMMENT ON FUNCTION smpc._pct_accum_int2(internal, smallint, double precision[], numeric[], text) IS 'smpc_percentiles: local transition (count per bucket)';
CREATE FUNCTION smpc._histogram_final(internal, smallint, numeric[], text) RETURNS smpc.bucket[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_histogram_final';
COMMENT ON FUNCTION smpc._histogram_final(internal, smallint, numeric[], text) IS 'smpc_histogram(smallint): runs the job with the partners, returns the buckets';
CREATE FUNCTION smpc._percentiles_final(internal, smallint, double precision[], numeric[], text) RETURNS smpc.percentile[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_percentiles_final';
COMMENT ON FUNCTION smpc._percentiles_final(internal, smallint, double precision[], numeric[], text) IS 'smpc_percentiles(smallint): runs the histogram job with the partners, returns the percentiles';
CREATE FUNCTION smpc._hist_accum_int4(internal, integer, numeric[], text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_hist_accum_int4';
COMMENT ON FUNCTION smpc._hist_accum_int4(internal, integer, numeric[], text) IS 'smpc_histogram: local transition (count per bucket)';
CREATE FUNCTION smpc._pct_accum_int4(internal, integer, double precision[], numeric[], text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_hist_accum_int4';
COMMENT ON FUNCTION smpc._pct_accum_int4(internal, integer, double precision[], numeric[], text) IS 'smpc_percentiles: local transition (count per bucket)';
CREATE FUNCTION smpc._histogram_final(internal, integer, numeric[], text) RETURNS smpc.bucket[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_histogram_final';
COMMENT ON FUNCTION smpc._histogram_final(internal, integer, numeric[], text) IS 'smpc_histogram(integer): runs the job with the partners, returns the buckets';
CREATE FUNCTION smpc._percentiles_final(internal, integer, double precision[], numeric[], text) RETURNS smpc.percentile[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_percentiles_final';
COMMENT ON FUNCTION smpc._percentiles_final(internal, integer, double precision[], numeric[], text) IS 'smpc_percentiles(integer): runs the histogram job with the partners, returns the percentiles';
CREATE FUNCTION smpc._hist_accum_int8(internal, bigint, numeric[], text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_hist_accum_int8';
COMMENT ON FUNCTION smpc._hist_accum_int8(internal, bigint, numeric[], text) IS 'smpc_histogram: local transition (count per bucket)';
CREATE FUNCTION smpc._pct_accum_int8(internal, bigint, double precision[], numeric[], text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_hist_accum_int8';
COMMENT ON FUNCTION smpc._pct_accum_int8(internal, bigint, double precision[], numeric[], text) IS 'smpc_percentiles: local transition (count per bucket)';
CREATE FUNCTION smpc._histogram_final(internal, bigint, numeric[], text) RETURNS smpc.bucket[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_histogram_final';
COMMENT ON FUNCTION smpc._histogram_final(internal, bigint, numeric[], text) IS 'smpc_histogram(bigint): runs the job with the partners, returns the buckets';
CREATE FUNCTION smpc._percentiles_final(internal, bigint, double precision[], numeric[], text) RETURNS smpc.percentile[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_percentiles_final';
COMMENT ON FUNCTION smpc._percentiles_final(internal, bigint, double precision[], numeric[], text) IS 'smpc_percentiles(bigint): runs the histogram job with the partners, returns the percentiles';
CREATE FUNCTION smpc._hist_accum_numeric(internal, numeric, numeric[], text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_hist_accum_numeric';
COMMENT ON FUNCTION smpc._hist_accum_numeric(internal, numeric, numeric[], text) IS 'smpc_histogram: local transition (count per bucket)';
CREATE FUNCTION smpc._pct_accum_numeric(internal, numeric, double precision[], numeric[], text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_hist_accum_numeric';
COMMENT ON FUNCTION smpc._pct_accum_numeric(internal, numeric, double precision[], numeric[], text) IS 'smpc_percentiles: local transition (count per bucket)';
CREATE FUNCTION smpc._histogram_final(internal, numeric, numeric[], text) RETURNS smpc.bucket[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_histogram_final';
COMMENT ON FUNCTION smpc._histogram_final(internal, numeric, numeric[], text) IS 'smpc_histogram(numeric): runs the job with the partners, returns the buckets';
CREATE FUNCTION smpc._percentiles_final(internal, numeric, double precision[], numeric[], text) RETURNS smpc.percentile[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_percentiles_final';
COMMENT ON FUNCTION smpc._percentiles_final(internal, numeric, double precision[], numeric[], text) IS 'smpc_percentiles(numeric): runs the histogram job with the partners, returns the percentiles';
CREATE FUNCTION smpc._hist_accum_float8(internal, double precision, numeric[], text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_hist_accum_float8';
COMMENT ON FUNCTION smpc._hist_accum_float8(internal, double precision, numeric[], text) IS 'smpc_histogram: local transition (count per bucket)';
CREATE FUNCTION smpc._pct_accum_float8(internal, double precision, double precision[], numeric[], text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_hist_accum_float8';
COMMENT ON FUNCTION smpc._pct_accum_float8(internal, double precision, double precision[], numeric[], text) IS 'smpc_percentiles: local transition (count per bucket)';
CREATE FUNCTION smpc._histogram_final(internal, double precision, numeric[], text) RETURNS smpc.bucket[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_histogram_final';
COMMENT ON FUNCTION smpc._histogram_final(internal, double precision, numeric[], text) IS 'smpc_histogram(double precision): runs the job with the partners, returns the buckets';
CREATE FUNCTION smpc._percentiles_final(internal, double precision, double precision[], numeric[], text) RETURNS smpc.percentile[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_percentiles_final';
COMMENT ON FUNCTION smpc._percentiles_final(internal, double precision, double precision[], numeric[], text) IS 'smpc_percentiles(double precision): runs the histogram job with the partners, returns the percentiles';
CREATE FUNCTION smpc._hist_combine(internal, internal) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_hist_combine';
COMMENT ON FUNCTION smpc._hist_combine(internal, internal) IS 'smpc_histogram and smpc_percentiles: adds a parallel worker''s bucket counts';
CREATE FUNCTION smpc._hist_serialize(internal) RETURNS bytea
LANGUAGE C STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_hist_serialize';
COMMENT ON FUNCTION smpc._hist_serialize(internal) IS 'smpc_histogram and smpc_percentiles: serializes a parallel worker''s bucket counts';
CREATE FUNCTION smpc._hist_deserialize(bytea, internal) RETURNS internal
LANGUAGE C STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_hist_deserialize';
COMMENT ON FUNCTION smpc._hist_deserialize(bytea, internal) IS 'smpc_histogram and smpc_percentiles: deserializes a parallel worker''s bucket counts';
REVOKE ALL ON FUNCTION
    smpc._hist_combine(internal, internal),
    smpc._hist_serialize(internal),
    smpc._hist_deserialize(bytea, internal),
    smpc._hist_accum_int2(internal, smallint, numeric[], text),
    smpc._pct_accum_int2(internal, smallint, double precision[], numeric[], text),
    smpc._histogram_final(internal, smallint, numeric[], text),
    smpc._percentiles_final(internal, smallint, double precision[], numeric[], text),
    smpc._hist_accum_int4(internal, integer, numeric[], text),
    smpc._pct_accum_int4(internal, integer, double precision[], numeric[], text),
    smpc._histogram_final(internal, integer, numeric[], text),
    smpc._percentiles_final(internal, integer, double precision[], numeric[], text),
    smpc._hist_accum_int8(internal, bigint, numeric[], text),
    smpc._pct_accum_int8(internal, bigint, double precision[], numeric[], text),
    smpc._histogram_final(internal, bigint, numeric[], text),
    smpc._percentiles_final(internal, bigint, double precision[], numeric[], text),
    smpc._hist_accum_numeric(internal, numeric, numeric[], text),
    smpc._pct_accum_numeric(internal, numeric, double precision[], numeric[], text),
    smpc._histogram_final(internal, numeric, numeric[], text),
    smpc._percentiles_final(internal, numeric, double precision[], numeric[], text),
    smpc._hist_accum_float8(internal, double precision, numeric[], text),
    smpc._pct_accum_float8(internal, double precision, double precision[], numeric[], text),
    smpc._histogram_final(internal, double precision, numeric[], text),
    smpc._percentiles_final(internal, double precision, double precision[], numeric[], text)
FROM PUBLIC;
CREATE AGGREGATE smpc_histogram(value smallint, edges numeric[], job_id text) (
    SFUNC = smpc._hist_accum_int2, STYPE = internal,
    COMBINEFUNC = smpc._hist_combine, SERIALFUNC = smpc._hist_serialize, DESERIALFUNC = smpc._hist_deserialize,
    FINALFUNC = smpc._histogram_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_histogram(smallint, numeric[], text) IS 'joint histogram over all parties: counts in the buckets the edges make (as width_bucket numbers them), in one job; buckets below min_rows are suppressed';
CREATE AGGREGATE smpc_percentiles(value smallint, fractions double precision[], edges numeric[], job_id text) (
    SFUNC = smpc._pct_accum_int2, STYPE = internal,
    COMBINEFUNC = smpc._hist_combine, SERIALFUNC = smpc._hist_serialize, DESERIALFUNC = smpc._hist_deserialize,
    FINALFUNC = smpc._percentiles_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_percentiles(smallint, double precision[], numeric[], text) IS 'approximate joint percentiles (e.g. ARRAY[0.5, 0.9]) from the histogram over the edges, with bounds that contain the exact percentile_disc';
CREATE AGGREGATE smpc_histogram(value integer, edges numeric[], job_id text) (
    SFUNC = smpc._hist_accum_int4, STYPE = internal,
    COMBINEFUNC = smpc._hist_combine, SERIALFUNC = smpc._hist_serialize, DESERIALFUNC = smpc._hist_deserialize,
    FINALFUNC = smpc._histogram_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_histogram(integer, numeric[], text) IS 'joint histogram over all parties: counts in the buckets the edges make (as width_bucket numbers them), in one job; buckets below min_rows are suppressed';
CREATE AGGREGATE smpc_percentiles(value integer, fractions double precision[], edges numeric[], job_id text) (
    SFUNC = smpc._pct_accum_int4, STYPE = internal,
    COMBINEFUNC = smpc._hist_combine, SERIALFUNC = smpc._hist_serialize, DESERIALFUNC = smpc._hist_deserialize,
    FINALFUNC = smpc._percentiles_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_percentiles(integer, double precision[], numeric[], text) IS 'approximate joint percentiles (e.g. ARRAY[0.5, 0.9]) from the histogram over the edges, with bounds that contain the exact percentile_disc';
CREATE AGGREGATE smpc_histogram(value bigint, edges numeric[], job_id text) (
    SFUNC = smpc._hist_accum_int8, STYPE = internal,
    COMBINEFUNC = smpc._hist_combine, SERIALFUNC = smpc._hist_serialize, DESERIALFUNC = smpc._hist_deserialize,
    FINALFUNC = smpc._histogram_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_histogram(bigint, numeric[], text) IS 'joint histogram over all parties: counts in the buckets the edges make (as width_bucket numbers them), in one job; buckets below min_rows are suppressed';
CREATE AGGREGATE smpc_percentiles(value bigint, fractions double precision[], edges numeric[], job_id text) (
    SFUNC = smpc._pct_accum_int8, STYPE = internal,
    COMBINEFUNC = smpc._hist_combine, SERIALFUNC = smpc._hist_serialize, DESERIALFUNC = smpc._hist_deserialize,
    FINALFUNC = smpc._percentiles_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_percentiles(bigint, double precision[], numeric[], text) IS 'approximate joint percentiles (e.g. ARRAY[0.5, 0.9]) from the histogram over the edges, with bounds that contain the exact percentile_disc';
CREATE AGGREGATE smpc_histogram(value numeric, edges numeric[], job_id text) (
    SFUNC = smpc._hist_accum_numeric, STYPE = internal,
    COMBINEFUNC = smpc._hist_combine, SERIALFUNC = smpc._hist_serialize, DESERIALFUNC = smpc._hist_deserialize,
    FINALFUNC = smpc._histogram_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_histogram(numeric, numeric[], text) IS 'joint histogram over all parties: counts in the buckets the edges make (as width_bucket numbers them), in one job; buckets below min_rows are suppressed';
CREATE AGGREGATE smpc_percentiles(value numeric, fractions double precision[], edges numeric[], job_id text) (
    SFUNC = smpc._pct_accum_numeric, STYPE = internal,
    COMBINEFUNC = smpc._hist_combine, SERIALFUNC = smpc._hist_serialize, DESERIALFUNC = smpc._hist_deserialize,
    FINALFUNC = smpc._percentiles_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_percentiles(numeric, double precision[], numeric[], text) IS 'approximate joint percentiles (e.g. ARRAY[0.5, 0.9]) from the histogram over the edges, with bounds that contain the exact percentile_disc';
CREATE AGGREGATE smpc_histogram(value double precision, edges numeric[], job_id text) (
    SFUNC = smpc._hist_accum_float8, STYPE = internal,
    COMBINEFUNC = smpc._hist_combine, SERIALFUNC = smpc._hist_serialize, DESERIALFUNC = smpc._hist_deserialize,
    FINALFUNC = smpc._histogram_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_histogram(double precision, numeric[], text) IS 'joint histogram over all parties: counts in the buckets the edges make (as width_bucket numbers them), in one job; buckets below min_rows are suppressed';
CREATE AGGREGATE smpc_percentiles(value double precision, fractions double precision[], edges numeric[], job_id text) (
    SFUNC = smpc._pct_accum_float8, STYPE = internal,
    COMBINEFUNC = smpc._hist_combine, SERIALFUNC = smpc._hist_serialize, DESERIALFUNC = smpc._hist_deserialize,
    FINALFUNC = smpc._percentiles_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE smpc_percentiles(double precision, double precision[], numeric[], text) IS 'approximate joint percentiles (e.g. ARRAY[0.5, 0.9]) from the histogram over the edges, with bounds that contain the exact percentile_disc';

-- The spread, grouped and histogram aggregates move from PUBLIC to smpc_analyst, as the others.
DO $analyst_stats$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN
        SELECT p.oid::regprocedure
        FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_proc p ON p.oid = d.objid
        WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.deptype = 'e'
          AND d.refobjid = (SELECT e.oid FROM pg_catalog.pg_extension e WHERE e.extname = 'smpc')
          AND p.prokind = 'a'
          AND p.proname IN ('smpc_variance', 'smpc_var_samp', 'smpc_var_pop',
                            'smpc_stddev', 'smpc_stddev_samp', 'smpc_stddev_pop',
                            'smpc_sum_by', 'smpc_avg_by', 'smpc_count_by',
                            'smpc_histogram', 'smpc_percentiles')
    LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO smpc_analyst', f);
    END LOOP;
END
$analyst_stats$;

-- Differential privacy: budgets and the ledger (privacy.cpp) -----------------
--
-- SET smpc.epsilon = 0.5 makes the next jobs add distributed discrete Laplace
-- noise; each is charged to this party's budget for its dataset. The ledger
-- is smpc.audit_log: a job's charge is a record of its own ('charged'),
-- written and committed by the audit writer before the job sends anything,
-- so no rollback or failure undoes it; a job that fails before any message
-- left gets a 'refunded' record.


CREATE TABLE smpc.privacy_budgets (
    federation text NOT NULL REFERENCES smpc.federations (name) ON DELETE CASCADE,
    dataset    text NOT NULL,
    role       name,
    epsilon    double precision NOT NULL CHECK (epsilon > 0),
    UNIQUE NULLS NOT DISTINCT (federation, dataset, role)
);
REVOKE ALL ON smpc.privacy_budgets FROM PUBLIC;
GRANT SELECT ON smpc.privacy_budgets TO smpc_admin, smpc_analyst;
COMMENT ON TABLE smpc.privacy_budgets IS 'total differential privacy budget per dataset (a column), at this party: shared by every role (role NULL) or a role''s own; it applies to jobs of every federation, which spend from one ledger; jobs with smpc.epsilon are refused beyond it, exact jobs always';
COMMENT ON COLUMN smpc.privacy_budgets.federation IS 'the federation the budget was declared in; it applies to the jobs of every federation';
COMMENT ON COLUMN smpc.privacy_budgets.dataset IS 'a base column a job reads (by name, as smpc.bounds names it, whichever table), or ''*'' for every column without a budget of its own';
COMMENT ON COLUMN smpc.privacy_budgets.role IS 'the role whose own budget this is; NULL: one budget for all roles together';
SELECT pg_catalog.pg_extension_config_dump('smpc.privacy_budgets', '');

CREATE FUNCTION smpc.set_privacy_budget(federation text, dataset text, epsilon double precision,
    role name DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF set_privacy_budget.federation IS NULL OR set_privacy_budget.dataset IS NULL
       OR set_privacy_budget.epsilon IS NULL THEN
        RAISE EXCEPTION 'federation, dataset and epsilon of smpc.set_privacy_budget must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT (set_privacy_budget.epsilon > 0 AND set_privacy_budget.epsilon < 'infinity') THEN
        RAISE EXCEPTION 'a privacy budget must be a positive number, not %', set_privacy_budget.epsilon
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'To refuse every job with smpc.epsilon on the dataset, drop its budget with smpc.drop_privacy_budget.';
    END IF;
    IF NOT EXISTS (SELECT FROM smpc.federations f WHERE f.name = set_privacy_budget.federation) THEN
        RAISE EXCEPTION 'federation "%" does not exist', set_privacy_budget.federation
            USING ERRCODE = 'undefined_object';
    END IF;
    INSERT INTO smpc.privacy_budgets (federation, dataset, role, epsilon)
    VALUES (set_privacy_budget.federation, set_privacy_budget.dataset, set_privacy_budget.role,
            set_privacy_budget.epsilon)
    ON CONFLICT ON CONSTRAINT privacy_budgets_federation_dataset_role_key
    DO UPDATE SET epsilon = excluded.epsilon;
END
$$;
REVOKE ALL ON FUNCTION smpc.set_privacy_budget(text, text, double precision, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION smpc.set_privacy_budget(text, text, double precision, name) TO smpc_admin;
COMMENT ON FUNCTION smpc.set_privacy_budget(text, text, double precision, name) IS
    'sets the total differential privacy budget of a dataset (''*'': any without its own), shared by all roles or, with role, that role''s own';

CREATE FUNCTION smpc.drop_privacy_budget(federation text, dataset text, role name DEFAULT NULL)
RETURNS boolean
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    WITH gone AS (
        DELETE FROM smpc.privacy_budgets b
        WHERE b.federation = drop_privacy_budget.federation
          AND b.dataset = drop_privacy_budget.dataset
          AND b.role IS NOT DISTINCT FROM drop_privacy_budget.role
        RETURNING 1)
    SELECT count(*) > 0 FROM gone;
END;
REVOKE ALL ON FUNCTION smpc.drop_privacy_budget(text, text, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION smpc.drop_privacy_budget(text, text, name) TO smpc_admin;
COMMENT ON FUNCTION smpc.drop_privacy_budget(text, text, name) IS
    'removes a privacy budget (jobs on the dataset with smpc.epsilon are refused unless another applies); true when it existed';

CREATE VIEW smpc.privacy_ledger WITH (security_invoker) AS
SELECT l.federation, l.budget_dataset AS dataset, l.requested_by AS role, l.job_id,
       l.aggregate AS descriptor, l.outcome, l.epsilon, l.logged_at
FROM smpc.audit_log l
WHERE l.outcome IN ('charged', 'refunded');
REVOKE ALL ON smpc.privacy_ledger FROM PUBLIC;
GRANT SELECT ON smpc.privacy_ledger TO smpc_admin, smpc_analyst;
COMMENT ON VIEW smpc.privacy_ledger IS 'every privacy charge here (and refund of a job that failed before sending anything): the budget, the role, the job and its epsilon (analysts see their own)';

CREATE VIEW smpc.privacy_budget_left WITH (security_invoker) AS
SELECT b.federation, b.dataset, b.role, b.epsilon AS budget, s.spent,
       greatest(b.epsilon - s.spent, 0) AS remaining
FROM smpc.privacy_budgets b,
     LATERAL (SELECT coalesce(sum(l.epsilon), 0) AS spent FROM smpc.audit_log l
              WHERE l.outcome IN ('charged', 'refunded')
                AND l.budget_dataset = b.dataset
                AND (b.role IS NULL OR l.requested_by = b.role)) s;
REVOKE ALL ON smpc.privacy_budget_left FROM PUBLIC;
GRANT SELECT ON smpc.privacy_budget_left TO smpc_admin, smpc_analyst;
COMMENT ON VIEW smpc.privacy_budget_left IS 'each privacy budget, what jobs of every federation have spent of it and what remains (an analyst''s view counts only the jobs it can see)';

-- Backends cache federation definitions (catalog.cpp); any change to the
-- table makes every backend read them again.
CREATE FUNCTION smpc._federations_changed() RETURNS trigger
LANGUAGE C AS 'MODULE_PATHNAME', 'smpc_federations_changed';
REVOKE ALL ON FUNCTION smpc._federations_changed() FROM PUBLIC;
COMMENT ON FUNCTION smpc._federations_changed() IS 'makes every backend drop its cached federation definitions when smpc.federations changes';
CREATE TRIGGER federations_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON smpc.federations
    FOR EACH STATEMENT EXECUTE FUNCTION smpc._federations_changed();
COMMENT ON TRIGGER federations_changed ON smpc.federations IS 'invalidates the federation definitions cached by backends';

-- Grouped jobs at parties without input (the delegated model's compute parties).
CREATE FUNCTION smpc_join_by(aggregate text, value_type regtype, domain text[], job_id text,
    column_name text DEFAULT NULL)
RETURNS smpc.group_value[]
LANGUAGE C CALLED ON NULL INPUT VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'smpc_join_by';
REVOKE ALL ON FUNCTION smpc_join_by(text, regtype, text[], text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION smpc_join_by(text, regtype, text[], text, text) TO smpc_analyst;
COMMENT ON FUNCTION smpc_join_by(text, regtype, text[], text, text) IS
    'takes part in a sum_by, avg_by or count_by job without an input (compute-only and output-only parties); the rows where this party learns the result, else NULL';
CREATE FUNCTION smpc_join_histogram(value_type regtype, edges numeric[], job_id text)
RETURNS smpc.bucket[]
LANGUAGE C CALLED ON NULL INPUT VOLATILE PARALLEL UNSAFE
AS 'MODULE_PATHNAME', 'smpc_join_histogram';
REVOKE ALL ON FUNCTION smpc_join_histogram(regtype, numeric[], text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION smpc_join_histogram(regtype, numeric[], text) TO smpc_analyst;
COMMENT ON FUNCTION smpc_join_histogram(regtype, numeric[], text) IS
    'takes part in a histogram (or percentile) job without an input (compute-only and output-only parties); the buckets where this party learns the result, else NULL';

-- Private set operations on a join key (aggregates/sets.cpp) ---------------
--
-- Every party runs the same aggregate over its own keys; the keys are
-- blinded round the ring of parties and only the count is released, as a
-- job's value (the release policy's min_rows applies to it). Integer keys
-- of any width are bigint here; varchar keys are text.
CREATE FUNCTION smpc._set_accum(internal, text, text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_set_accum';
COMMENT ON FUNCTION smpc._set_accum(internal, text, text) IS 'set jobs: local transition (the digest of each text key; NULL keys counted)';
CREATE FUNCTION smpc._set_accum(internal, text, integer, text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_set_accum';
COMMENT ON FUNCTION smpc._set_accum(internal, text, integer, text) IS 'smpc_overlap_count: local transition (the digest of each text key; NULL keys counted)';
CREATE FUNCTION smpc._intersect_count_final(internal, text, text) RETURNS bigint
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_intersect_count_final';
COMMENT ON FUNCTION smpc._intersect_count_final(internal, text, text) IS 'smpc_intersect_count(text): runs the set job with the partners, returns the count';
CREATE FUNCTION smpc._overlap_count_final(internal, text, integer, text) RETURNS bigint
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_overlap_count_final';
COMMENT ON FUNCTION smpc._overlap_count_final(internal, text, integer, text) IS 'smpc_overlap_count(text): runs the set job with the partners, returns the count';
CREATE FUNCTION smpc._union_count_final(internal, text, text) RETURNS bigint
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_union_count_final';
COMMENT ON FUNCTION smpc._union_count_final(internal, text, text) IS 'smpc_union_count(text): runs the set job with the partners, returns the count';
CREATE AGGREGATE smpc_intersect_count(key text, job_id text) (
    SFUNC = smpc._set_accum, STYPE = internal,
    FINALFUNC = smpc._intersect_count_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_intersect_count(text, text) IS 'number of distinct keys every party of the federation holds (private set intersection count; no party sees another''s keys)';
CREATE AGGREGATE smpc_overlap_count(key text, at_least integer, job_id text) (
    SFUNC = smpc._set_accum, STYPE = internal,
    FINALFUNC = smpc._overlap_count_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_overlap_count(text, integer, text) IS 'number of distinct keys held by at least at_least parties of the federation (no party sees another''s keys)';
CREATE AGGREGATE smpc_union_count(key text, job_id text) (
    SFUNC = smpc._set_accum, STYPE = internal,
    FINALFUNC = smpc._union_count_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_union_count(text, text) IS 'number of distinct keys over all parties of the federation, each counted once (de-duplicated population; no party sees another''s keys)';
CREATE FUNCTION smpc._set_accum(internal, bytea, text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_set_accum';
COMMENT ON FUNCTION smpc._set_accum(internal, bytea, text) IS 'set jobs: local transition (the digest of each bytea key; NULL keys counted)';
CREATE FUNCTION smpc._set_accum(internal, bytea, integer, text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_set_accum';
COMMENT ON FUNCTION smpc._set_accum(internal, bytea, integer, text) IS 'smpc_overlap_count: local transition (the digest of each bytea key; NULL keys counted)';
CREATE FUNCTION smpc._intersect_count_final(internal, bytea, text) RETURNS bigint
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_intersect_count_final';
COMMENT ON FUNCTION smpc._intersect_count_final(internal, bytea, text) IS 'smpc_intersect_count(bytea): runs the set job with the partners, returns the count';
CREATE FUNCTION smpc._overlap_count_final(internal, bytea, integer, text) RETURNS bigint
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_overlap_count_final';
COMMENT ON FUNCTION smpc._overlap_count_final(internal, bytea, integer, text) IS 'smpc_overlap_count(bytea): runs the set job with the partners, returns the count';
CREATE FUNCTION smpc._union_count_final(internal, bytea, text) RETURNS bigint
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_union_count_final';
COMMENT ON FUNCTION smpc._union_count_final(internal, bytea, text) IS 'smpc_union_count(bytea): runs the set job with the partners, returns the count';
CREATE AGGREGATE smpc_intersect_count(key bytea, job_id text) (
    SFUNC = smpc._set_accum, STYPE = internal,
    FINALFUNC = smpc._intersect_count_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_intersect_count(bytea, text) IS 'number of distinct keys every party of the federation holds (private set intersection count; no party sees another''s keys)';
CREATE AGGREGATE smpc_overlap_count(key bytea, at_least integer, job_id text) (
    SFUNC = smpc._set_accum, STYPE = internal,
    FINALFUNC = smpc._overlap_count_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_overlap_count(bytea, integer, text) IS 'number of distinct keys held by at least at_least parties of the federation (no party sees another''s keys)';
CREATE AGGREGATE smpc_union_count(key bytea, job_id text) (
    SFUNC = smpc._set_accum, STYPE = internal,
    FINALFUNC = smpc._union_count_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_union_count(bytea, text) IS 'number of distinct keys over all parties of the federation, each counted once (de-duplicated population; no party sees another''s keys)';
CREATE FUNCTION smpc._set_accum(internal, bigint, text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_set_accum';
COMMENT ON FUNCTION smpc._set_accum(internal, bigint, text) IS 'set jobs: local transition (the digest of each bigint key; NULL keys counted)';
CREATE FUNCTION smpc._set_accum(internal, bigint, integer, text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_set_accum';
COMMENT ON FUNCTION smpc._set_accum(internal, bigint, integer, text) IS 'smpc_overlap_count: local transition (the digest of each bigint key; NULL keys counted)';
CREATE FUNCTION smpc._intersect_count_final(internal, bigint, text) RETURNS bigint
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_intersect_count_final';
COMMENT ON FUNCTION smpc._intersect_count_final(internal, bigint, text) IS 'smpc_intersect_count(bigint): runs the set job with the partners, returns the count';
CREATE FUNCTION smpc._overlap_count_final(internal, bigint, integer, text) RETURNS bigint
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_overlap_count_final';
COMMENT ON FUNCTION smpc._overlap_count_final(internal, bigint, integer, text) IS 'smpc_overlap_count(bigint): runs the set job with the partners, returns the count';
CREATE FUNCTION smpc._union_count_final(internal, bigint, text) RETURNS bigint
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_union_count_final';
COMMENT ON FUNCTION smpc._union_count_final(internal, bigint, text) IS 'smpc_union_count(bigint): runs the set job with the partners, returns the count';
CREATE AGGREGATE smpc_intersect_count(key bigint, job_id text) (
    SFUNC = smpc._set_accum, STYPE = internal,
    FINALFUNC = smpc._intersect_count_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_intersect_count(bigint, text) IS 'number of distinct keys every party of the federation holds (private set intersection count; no party sees another''s keys)';
CREATE AGGREGATE smpc_overlap_count(key bigint, at_least integer, job_id text) (
    SFUNC = smpc._set_accum, STYPE = internal,
    FINALFUNC = smpc._overlap_count_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_overlap_count(bigint, integer, text) IS 'number of distinct keys held by at least at_least parties of the federation (no party sees another''s keys)';
CREATE AGGREGATE smpc_union_count(key bigint, job_id text) (
    SFUNC = smpc._set_accum, STYPE = internal,
    FINALFUNC = smpc._union_count_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_union_count(bigint, text) IS 'number of distinct keys over all parties of the federation, each counted once (de-duplicated population; no party sees another''s keys)';
CREATE FUNCTION smpc._set_accum(internal, uuid, text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_set_accum';
COMMENT ON FUNCTION smpc._set_accum(internal, uuid, text) IS 'set jobs: local transition (the digest of each uuid key; NULL keys counted)';
CREATE FUNCTION smpc._set_accum(internal, uuid, integer, text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_set_accum';
COMMENT ON FUNCTION smpc._set_accum(internal, uuid, integer, text) IS 'smpc_overlap_count: local transition (the digest of each uuid key; NULL keys counted)';
CREATE FUNCTION smpc._intersect_count_final(internal, uuid, text) RETURNS bigint
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_intersect_count_final';
COMMENT ON FUNCTION smpc._intersect_count_final(internal, uuid, text) IS 'smpc_intersect_count(uuid): runs the set job with the partners, returns the count';
CREATE FUNCTION smpc._overlap_count_final(internal, uuid, integer, text) RETURNS bigint
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_overlap_count_final';
COMMENT ON FUNCTION smpc._overlap_count_final(internal, uuid, integer, text) IS 'smpc_overlap_count(uuid): runs the set job with the partners, returns the count';
CREATE FUNCTION smpc._union_count_final(internal, uuid, text) RETURNS bigint
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_union_count_final';
COMMENT ON FUNCTION smpc._union_count_final(internal, uuid, text) IS 'smpc_union_count(uuid): runs the set job with the partners, returns the count';
CREATE AGGREGATE smpc_intersect_count(key uuid, job_id text) (
    SFUNC = smpc._set_accum, STYPE = internal,
    FINALFUNC = smpc._intersect_count_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_intersect_count(uuid, text) IS 'number of distinct keys every party of the federation holds (private set intersection count; no party sees another''s keys)';
CREATE AGGREGATE smpc_overlap_count(key uuid, at_least integer, job_id text) (
    SFUNC = smpc._set_accum, STYPE = internal,
    FINALFUNC = smpc._overlap_count_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_overlap_count(uuid, integer, text) IS 'number of distinct keys held by at least at_least parties of the federation (no party sees another''s keys)';
CREATE AGGREGATE smpc_union_count(key uuid, job_id text) (
    SFUNC = smpc._set_accum, STYPE = internal,
    FINALFUNC = smpc._union_count_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_union_count(uuid, text) IS 'number of distinct keys over all parties of the federation, each counted once (de-duplicated population; no party sees another''s keys)';
-- Overlap counts per group of a public domain (aggregates/sets.cpp): each
-- party puts each key in a group; a key counts in group g when the parties
-- put it there. One job, one count per group (smpc.group_value[]); under
-- min_rows a group below it is suppressed.
CREATE FUNCTION smpc._set_by_accum(internal, text, text, text[], text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_set_by_accum';
COMMENT ON FUNCTION smpc._set_by_accum(internal, text, text, text[], text) IS 'grouped set jobs: local transition (the digest of each text key with its group)';
CREATE FUNCTION smpc._set_by_accum(internal, text, text, integer, text[], text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_set_by_accum';
COMMENT ON FUNCTION smpc._set_by_accum(internal, text, text, integer, text[], text) IS 'smpc_overlap_count_by: local transition (the digest of each text key with its group)';
CREATE FUNCTION smpc._intersect_count_by_final(internal, text, text, text[], text) RETURNS smpc.group_value[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_intersect_count_by_final';
COMMENT ON FUNCTION smpc._intersect_count_by_final(internal, text, text, text[], text) IS 'smpc_intersect_count_by(text): runs the set job with the partners, returns one row per group';
CREATE FUNCTION smpc._overlap_count_by_final(internal, text, text, integer, text[], text) RETURNS smpc.group_value[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_overlap_count_by_final';
COMMENT ON FUNCTION smpc._overlap_count_by_final(internal, text, text, integer, text[], text) IS 'smpc_overlap_count_by(text): runs the set job with the partners, returns one row per group';
CREATE FUNCTION smpc._union_count_by_final(internal, text, text, text[], text) RETURNS smpc.group_value[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_union_count_by_final';
COMMENT ON FUNCTION smpc._union_count_by_final(internal, text, text, text[], text) IS 'smpc_union_count_by(text): runs the set job with the partners, returns one row per group';
CREATE AGGREGATE smpc_intersect_count_by(key text, grp text, domain text[], job_id text) (
    SFUNC = smpc._set_by_accum, STYPE = internal,
    FINALFUNC = smpc._intersect_count_by_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_intersect_count_by(text, text, text[], text) IS 'per group of a declared domain, the number of distinct keys every party puts in that group: an array of smpc.group_value; groups below min_rows are suppressed';
CREATE AGGREGATE smpc_overlap_count_by(key text, grp text, at_least integer, domain text[], job_id text) (
    SFUNC = smpc._set_by_accum, STYPE = internal,
    FINALFUNC = smpc._overlap_count_by_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_overlap_count_by(text, text, integer, text[], text) IS 'per group of a declared domain, the number of distinct keys at least at_least parties put in that group: an array of smpc.group_value';
CREATE AGGREGATE smpc_union_count_by(key text, grp text, domain text[], job_id text) (
    SFUNC = smpc._set_by_accum, STYPE = internal,
    FINALFUNC = smpc._union_count_by_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_union_count_by(text, text, text[], text) IS 'per group of a declared domain, the number of distinct keys any party puts in that group, each counted once: an array of smpc.group_value';
CREATE FUNCTION smpc._set_by_accum(internal, bytea, text, text[], text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_set_by_accum';
COMMENT ON FUNCTION smpc._set_by_accum(internal, bytea, text, text[], text) IS 'grouped set jobs: local transition (the digest of each bytea key with its group)';
CREATE FUNCTION smpc._set_by_accum(internal, bytea, text, integer, text[], text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_set_by_accum';
COMMENT ON FUNCTION smpc._set_by_accum(internal, bytea, text, integer, text[], text) IS 'smpc_overlap_count_by: local transition (the digest of each bytea key with its group)';
CREATE FUNCTION smpc._intersect_count_by_final(internal, bytea, text, text[], text) RETURNS smpc.group_value[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_intersect_count_by_final';
COMMENT ON FUNCTION smpc._intersect_count_by_final(internal, bytea, text, text[], text) IS 'smpc_intersect_count_by(bytea): runs the set job with the partners, returns one row per group';
CREATE FUNCTION smpc._overlap_count_by_final(internal, bytea, text, integer, text[], text) RETURNS smpc.group_value[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_overlap_count_by_final';
COMMENT ON FUNCTION smpc._overlap_count_by_final(internal, bytea, text, integer, text[], text) IS 'smpc_overlap_count_by(bytea): runs the set job with the partners, returns one row per group';
CREATE FUNCTION smpc._union_count_by_final(internal, bytea, text, text[], text) RETURNS smpc.group_value[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_union_count_by_final';
COMMENT ON FUNCTION smpc._union_count_by_final(internal, bytea, text, text[], text) IS 'smpc_union_count_by(bytea): runs the set job with the partners, returns one row per group';
CREATE AGGREGATE smpc_intersect_count_by(key bytea, grp text, domain text[], job_id text) (
    SFUNC = smpc._set_by_accum, STYPE = internal,
    FINALFUNC = smpc._intersect_count_by_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_intersect_count_by(bytea, text, text[], text) IS 'per group of a declared domain, the number of distinct keys every party puts in that group: an array of smpc.group_value; groups below min_rows are suppressed';
CREATE AGGREGATE smpc_overlap_count_by(key bytea, grp text, at_least integer, domain text[], job_id text) (
    SFUNC = smpc._set_by_accum, STYPE = internal,
    FINALFUNC = smpc._overlap_count_by_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_overlap_count_by(bytea, text, integer, text[], text) IS 'per group of a declared domain, the number of distinct keys at least at_least parties put in that group: an array of smpc.group_value';
CREATE AGGREGATE smpc_union_count_by(key bytea, grp text, domain text[], job_id text) (
    SFUNC = smpc._set_by_accum, STYPE = internal,
    FINALFUNC = smpc._union_count_by_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_union_count_by(bytea, text, text[], text) IS 'per group of a declared domain, the number of distinct keys any party puts in that group, each counted once: an array of smpc.group_value';
CREATE FUNCTION smpc._set_by_accum(internal, bigint, text, text[], text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_set_by_accum';
COMMENT ON FUNCTION smpc._set_by_accum(internal, bigint, text, text[], text) IS 'grouped set jobs: local transition (the digest of each bigint key with its group)';
CREATE FUNCTION smpc._set_by_accum(internal, bigint, text, integer, text[], text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_set_by_accum';
COMMENT ON FUNCTION smpc._set_by_accum(internal, bigint, text, integer, text[], text) IS 'smpc_overlap_count_by: local transition (the digest of each bigint key with its group)';
CREATE FUNCTION smpc._intersect_count_by_final(internal, bigint, text, text[], text) RETURNS smpc.group_value[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_intersect_count_by_final';
COMMENT ON FUNCTION smpc._intersect_count_by_final(internal, bigint, text, text[], text) IS 'smpc_intersect_count_by(bigint): runs the set job with the partners, returns one row per group';
CREATE FUNCTION smpc._overlap_count_by_final(internal, bigint, text, integer, text[], text) RETURNS smpc.group_value[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_overlap_count_by_final';
COMMENT ON FUNCTION smpc._overlap_count_by_final(internal, bigint, text, integer, text[], text) IS 'smpc_overlap_count_by(bigint): runs the set job with the partners, returns one row per group';
CREATE FUNCTION smpc._union_count_by_final(internal, bigint, text, text[], text) RETURNS smpc.group_value[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_union_count_by_final';
COMMENT ON FUNCTION smpc._union_count_by_final(internal, bigint, text, text[], text) IS 'smpc_union_count_by(bigint): runs the set job with the partners, returns one row per group';
CREATE AGGREGATE smpc_intersect_count_by(key bigint, grp text, domain text[], job_id text) (
    SFUNC = smpc._set_by_accum, STYPE = internal,
    FINALFUNC = smpc._intersect_count_by_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_intersect_count_by(bigint, text, text[], text) IS 'per group of a declared domain, the number of distinct keys every party puts in that group: an array of smpc.group_value; groups below min_rows are suppressed';
CREATE AGGREGATE smpc_overlap_count_by(key bigint, grp text, at_least integer, domain text[], job_id text) (
    SFUNC = smpc._set_by_accum, STYPE = internal,
    FINALFUNC = smpc._overlap_count_by_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_overlap_count_by(bigint, text, integer, text[], text) IS 'per group of a declared domain, the number of distinct keys at least at_least parties put in that group: an array of smpc.group_value';
CREATE AGGREGATE smpc_union_count_by(key bigint, grp text, domain text[], job_id text) (
    SFUNC = smpc._set_by_accum, STYPE = internal,
    FINALFUNC = smpc._union_count_by_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_union_count_by(bigint, text, text[], text) IS 'per group of a declared domain, the number of distinct keys any party puts in that group, each counted once: an array of smpc.group_value';
CREATE FUNCTION smpc._set_by_accum(internal, uuid, text, text[], text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_set_by_accum';
COMMENT ON FUNCTION smpc._set_by_accum(internal, uuid, text, text[], text) IS 'grouped set jobs: local transition (the digest of each uuid key with its group)';
CREATE FUNCTION smpc._set_by_accum(internal, uuid, text, integer, text[], text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_set_by_accum';
COMMENT ON FUNCTION smpc._set_by_accum(internal, uuid, text, integer, text[], text) IS 'smpc_overlap_count_by: local transition (the digest of each uuid key with its group)';
CREATE FUNCTION smpc._intersect_count_by_final(internal, uuid, text, text[], text) RETURNS smpc.group_value[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_intersect_count_by_final';
COMMENT ON FUNCTION smpc._intersect_count_by_final(internal, uuid, text, text[], text) IS 'smpc_intersect_count_by(uuid): runs the set job with the partners, returns one row per group';
CREATE FUNCTION smpc._overlap_count_by_final(internal, uuid, text, integer, text[], text) RETURNS smpc.group_value[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_overlap_count_by_final';
COMMENT ON FUNCTION smpc._overlap_count_by_final(internal, uuid, text, integer, text[], text) IS 'smpc_overlap_count_by(uuid): runs the set job with the partners, returns one row per group';
CREATE FUNCTION smpc._union_count_by_final(internal, uuid, text, text[], text) RETURNS smpc.group_value[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_union_count_by_final';
COMMENT ON FUNCTION smpc._union_count_by_final(internal, uuid, text, text[], text) IS 'smpc_union_count_by(uuid): runs the set job with the partners, returns one row per group';
CREATE AGGREGATE smpc_intersect_count_by(key uuid, grp text, domain text[], job_id text) (
    SFUNC = smpc._set_by_accum, STYPE = internal,
    FINALFUNC = smpc._intersect_count_by_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_intersect_count_by(uuid, text, text[], text) IS 'per group of a declared domain, the number of distinct keys every party puts in that group: an array of smpc.group_value; groups below min_rows are suppressed';
CREATE AGGREGATE smpc_overlap_count_by(key uuid, grp text, at_least integer, domain text[], job_id text) (
    SFUNC = smpc._set_by_accum, STYPE = internal,
    FINALFUNC = smpc._overlap_count_by_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_overlap_count_by(uuid, text, integer, text[], text) IS 'per group of a declared domain, the number of distinct keys at least at_least parties put in that group: an array of smpc.group_value';
CREATE AGGREGATE smpc_union_count_by(key uuid, grp text, domain text[], job_id text) (
    SFUNC = smpc._set_by_accum, STYPE = internal,
    FINALFUNC = smpc._union_count_by_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_union_count_by(uuid, text, text[], text) IS 'per group of a declared domain, the number of distinct keys any party puts in that group, each counted once: an array of smpc.group_value';
-- Intersection sums: each party passes its keys and, if it gives values, a
-- value per row (a party that gives none passes NULL); the sum of the
-- values over the keys every party holds is released with that count.
CREATE FUNCTION smpc._set_sum_accum(internal, text, bigint, text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_set_sum_accum';
COMMENT ON FUNCTION smpc._set_sum_accum(internal, text, bigint, text) IS 'smpc_intersect_sum: local transition (the digest of each text key and the sum of its values; NULL keys counted)';
CREATE FUNCTION smpc._intersect_sum_final(internal, text, bigint, text) RETURNS numeric
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_intersect_sum_final';
COMMENT ON FUNCTION smpc._intersect_sum_final(internal, text, bigint, text) IS 'smpc_intersect_sum(text): runs the set job with sealed values, returns the sum';
CREATE AGGREGATE smpc_intersect_sum(key text, value bigint, job_id text) (
    SFUNC = smpc._set_sum_accum, STYPE = internal,
    FINALFUNC = smpc._intersect_sum_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_intersect_sum(text, bigint, text) IS 'sum of the values (0 to 2^48 - 1) the parties give over the keys every party holds (private intersection sum; no party sees another''s keys or values; a party that gives values learns its own part of the sum)';
CREATE FUNCTION smpc._set_sum_accum(internal, bytea, bigint, text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_set_sum_accum';
COMMENT ON FUNCTION smpc._set_sum_accum(internal, bytea, bigint, text) IS 'smpc_intersect_sum: local transition (the digest of each bytea key and the sum of its values; NULL keys counted)';
CREATE FUNCTION smpc._intersect_sum_final(internal, bytea, bigint, text) RETURNS numeric
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_intersect_sum_final';
COMMENT ON FUNCTION smpc._intersect_sum_final(internal, bytea, bigint, text) IS 'smpc_intersect_sum(bytea): runs the set job with sealed values, returns the sum';
CREATE AGGREGATE smpc_intersect_sum(key bytea, value bigint, job_id text) (
    SFUNC = smpc._set_sum_accum, STYPE = internal,
    FINALFUNC = smpc._intersect_sum_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_intersect_sum(bytea, bigint, text) IS 'sum of the values (0 to 2^48 - 1) the parties give over the keys every party holds (private intersection sum; no party sees another''s keys or values; a party that gives values learns its own part of the sum)';
CREATE FUNCTION smpc._set_sum_accum(internal, bigint, bigint, text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_set_sum_accum';
COMMENT ON FUNCTION smpc._set_sum_accum(internal, bigint, bigint, text) IS 'smpc_intersect_sum: local transition (the digest of each bigint key and the sum of its values; NULL keys counted)';
CREATE FUNCTION smpc._intersect_sum_final(internal, bigint, bigint, text) RETURNS numeric
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_intersect_sum_final';
COMMENT ON FUNCTION smpc._intersect_sum_final(internal, bigint, bigint, text) IS 'smpc_intersect_sum(bigint): runs the set job with sealed values, returns the sum';
CREATE AGGREGATE smpc_intersect_sum(key bigint, value bigint, job_id text) (
    SFUNC = smpc._set_sum_accum, STYPE = internal,
    FINALFUNC = smpc._intersect_sum_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_intersect_sum(bigint, bigint, text) IS 'sum of the values (0 to 2^48 - 1) the parties give over the keys every party holds (private intersection sum; no party sees another''s keys or values; a party that gives values learns its own part of the sum)';
CREATE FUNCTION smpc._set_sum_accum(internal, uuid, bigint, text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_set_sum_accum';
COMMENT ON FUNCTION smpc._set_sum_accum(internal, uuid, bigint, text) IS 'smpc_intersect_sum: local transition (the digest of each uuid key and the sum of its values; NULL keys counted)';
CREATE FUNCTION smpc._intersect_sum_final(internal, uuid, bigint, text) RETURNS numeric
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_intersect_sum_final';
COMMENT ON FUNCTION smpc._intersect_sum_final(internal, uuid, bigint, text) IS 'smpc_intersect_sum(uuid): runs the set job with sealed values, returns the sum';
CREATE AGGREGATE smpc_intersect_sum(key uuid, value bigint, job_id text) (
    SFUNC = smpc._set_sum_accum, STYPE = internal,
    FINALFUNC = smpc._intersect_sum_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_intersect_sum(uuid, bigint, text) IS 'sum of the values (0 to 2^48 - 1) the parties give over the keys every party holds (private intersection sum; no party sees another''s keys or values; a party that gives values learns its own part of the sum)';
CREATE FUNCTION smpc._intersect_avg_final(internal, text, bigint, text) RETURNS numeric
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_intersect_avg_final';
COMMENT ON FUNCTION smpc._intersect_avg_final(internal, text, bigint, text) IS 'smpc_intersect_avg(text): runs the set job with sealed values, returns the sum over the count';
CREATE AGGREGATE smpc_intersect_avg(key text, value bigint, job_id text) (
    SFUNC = smpc._set_sum_accum, STYPE = internal,
    FINALFUNC = smpc._intersect_avg_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_intersect_avg(text, bigint, text) IS 'average, over the keys every party holds, of the values (0 to 2^48 - 1) the parties give to each (their sum over the overlap divided by its count; NULL over an empty overlap)';
CREATE FUNCTION smpc._intersect_avg_final(internal, bytea, bigint, text) RETURNS numeric
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_intersect_avg_final';
COMMENT ON FUNCTION smpc._intersect_avg_final(internal, bytea, bigint, text) IS 'smpc_intersect_avg(bytea): runs the set job with sealed values, returns the sum over the count';
CREATE AGGREGATE smpc_intersect_avg(key bytea, value bigint, job_id text) (
    SFUNC = smpc._set_sum_accum, STYPE = internal,
    FINALFUNC = smpc._intersect_avg_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_intersect_avg(bytea, bigint, text) IS 'average, over the keys every party holds, of the values (0 to 2^48 - 1) the parties give to each (their sum over the overlap divided by its count; NULL over an empty overlap)';
CREATE FUNCTION smpc._intersect_avg_final(internal, bigint, bigint, text) RETURNS numeric
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_intersect_avg_final';
COMMENT ON FUNCTION smpc._intersect_avg_final(internal, bigint, bigint, text) IS 'smpc_intersect_avg(bigint): runs the set job with sealed values, returns the sum over the count';
CREATE AGGREGATE smpc_intersect_avg(key bigint, value bigint, job_id text) (
    SFUNC = smpc._set_sum_accum, STYPE = internal,
    FINALFUNC = smpc._intersect_avg_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_intersect_avg(bigint, bigint, text) IS 'average, over the keys every party holds, of the values (0 to 2^48 - 1) the parties give to each (their sum over the overlap divided by its count; NULL over an empty overlap)';
CREATE FUNCTION smpc._intersect_avg_final(internal, uuid, bigint, text) RETURNS numeric
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_intersect_avg_final';
COMMENT ON FUNCTION smpc._intersect_avg_final(internal, uuid, bigint, text) IS 'smpc_intersect_avg(uuid): runs the set job with sealed values, returns the sum over the count';
CREATE AGGREGATE smpc_intersect_avg(key uuid, value bigint, job_id text) (
    SFUNC = smpc._set_sum_accum, STYPE = internal,
    FINALFUNC = smpc._intersect_avg_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_intersect_avg(uuid, bigint, text) IS 'average, over the keys every party holds, of the values (0 to 2^48 - 1) the parties give to each (their sum over the overlap divided by its count; NULL over an empty overlap)';
-- The overlap matrix: how many keys each pair of parties shares, one job,
-- one row per pair (smpc.overlap_pair[]); only when every party's release
-- policy allows it (smpc.set_overlap_pairs(federation)); a pair
-- below min_rows is suppressed alone.
CREATE TYPE smpc.overlap_pair AS (party_a text, party_b text, shared_keys bigint, suppressed boolean);
COMMENT ON TYPE smpc.overlap_pair IS 'one pair of parties of an overlap matrix: the two party names (in the federation''s order), how many distinct keys both hold (NULL when suppressed), and whether the release policy suppressed it';
CREATE FUNCTION smpc._overlap_matrix_final(internal, text, text) RETURNS smpc.overlap_pair[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_overlap_matrix_final';
COMMENT ON FUNCTION smpc._overlap_matrix_final(internal, text, text) IS 'smpc_overlap_matrix(text): runs the set job with the partners, returns each pair''s overlap';
CREATE AGGREGATE smpc_overlap_matrix(key text, job_id text) (
    SFUNC = smpc._set_accum, STYPE = internal,
    FINALFUNC = smpc._overlap_matrix_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_overlap_matrix(text, text) IS 'number of distinct keys each pair of parties of the federation both hold, in one job: an array of smpc.overlap_pair; needs overlap_pairs in every party''s release policy; pairs below min_rows are suppressed (no party sees another''s keys)';
CREATE FUNCTION smpc._overlap_matrix_final(internal, bytea, text) RETURNS smpc.overlap_pair[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_overlap_matrix_final';
COMMENT ON FUNCTION smpc._overlap_matrix_final(internal, bytea, text) IS 'smpc_overlap_matrix(bytea): runs the set job with the partners, returns each pair''s overlap';
CREATE AGGREGATE smpc_overlap_matrix(key bytea, job_id text) (
    SFUNC = smpc._set_accum, STYPE = internal,
    FINALFUNC = smpc._overlap_matrix_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_overlap_matrix(bytea, text) IS 'number of distinct keys each pair of parties of the federation both hold, in one job: an array of smpc.overlap_pair; needs overlap_pairs in every party''s release policy; pairs below min_rows are suppressed (no party sees another''s keys)';
CREATE FUNCTION smpc._overlap_matrix_final(internal, bigint, text) RETURNS smpc.overlap_pair[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_overlap_matrix_final';
COMMENT ON FUNCTION smpc._overlap_matrix_final(internal, bigint, text) IS 'smpc_overlap_matrix(bigint): runs the set job with the partners, returns each pair''s overlap';
CREATE AGGREGATE smpc_overlap_matrix(key bigint, job_id text) (
    SFUNC = smpc._set_accum, STYPE = internal,
    FINALFUNC = smpc._overlap_matrix_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_overlap_matrix(bigint, text) IS 'number of distinct keys each pair of parties of the federation both hold, in one job: an array of smpc.overlap_pair; needs overlap_pairs in every party''s release policy; pairs below min_rows are suppressed (no party sees another''s keys)';
CREATE FUNCTION smpc._overlap_matrix_final(internal, uuid, text) RETURNS smpc.overlap_pair[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_overlap_matrix_final';
COMMENT ON FUNCTION smpc._overlap_matrix_final(internal, uuid, text) IS 'smpc_overlap_matrix(uuid): runs the set job with the partners, returns each pair''s overlap';
CREATE AGGREGATE smpc_overlap_matrix(key uuid, job_id text) (
    SFUNC = smpc._set_accum, STYPE = internal,
    FINALFUNC = smpc._overlap_matrix_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_overlap_matrix(uuid, text) IS 'number of distinct keys each pair of parties of the federation both hold, in one job: an array of smpc.overlap_pair; needs overlap_pairs in every party''s release policy; pairs below min_rows are suppressed (no party sees another''s keys)';
-- Intersection sums per group of a declared domain: each party puts each of
-- its keys in a group (and gives its value, or NULL); per group, the sum of
-- the values over the keys every party put in that group, in one job
-- (smpc.group_value[]); a group below min_rows is suppressed.
CREATE FUNCTION smpc._set_sum_by_accum(internal, text, text, bigint, text[], text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_set_sum_by_accum';
COMMENT ON FUNCTION smpc._set_sum_by_accum(internal, text, text, bigint, text[], text) IS 'smpc_intersect_sum_by: local transition (the digest of each text key in its group and the sum of its values; NULL keys counted)';
CREATE FUNCTION smpc._intersect_sum_by_final(internal, text, text, bigint, text[], text) RETURNS smpc.group_value[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_intersect_sum_by_final';
COMMENT ON FUNCTION smpc._intersect_sum_by_final(internal, text, text, bigint, text[], text) IS 'smpc_intersect_sum_by(text): runs the set job with sealed values per group, returns each group''s sum';
CREATE AGGREGATE smpc_intersect_sum_by(key text, grp text, value bigint, domain text[], job_id text) (
    SFUNC = smpc._set_sum_by_accum, STYPE = internal,
    FINALFUNC = smpc._intersect_sum_by_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_intersect_sum_by(text, text, bigint, text[], text) IS 'per group of a declared domain, the sum of the values (0 to 2^48 - 1) the parties give over the keys every party puts in that group, in one job: an array of smpc.group_value; groups below min_rows are suppressed';
CREATE FUNCTION smpc._intersect_avg_by_final(internal, text, text, bigint, text[], text) RETURNS smpc.group_value[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_intersect_avg_by_final';
COMMENT ON FUNCTION smpc._intersect_avg_by_final(internal, text, text, bigint, text[], text) IS 'smpc_intersect_avg_by(text): runs the set job with sealed values per group, returns each group''s sum over its count';
CREATE AGGREGATE smpc_intersect_avg_by(key text, grp text, value bigint, domain text[], job_id text) (
    SFUNC = smpc._set_sum_by_accum, STYPE = internal,
    FINALFUNC = smpc._intersect_avg_by_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_intersect_avg_by(text, text, bigint, text[], text) IS 'per group of a declared domain, the average of the values the parties give over the keys every party puts in that group (the group''s sum over its count; NULL for an empty group): an array of smpc.group_value; groups below min_rows are suppressed';
CREATE FUNCTION smpc._set_sum_by_accum(internal, bytea, text, bigint, text[], text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_set_sum_by_accum';
COMMENT ON FUNCTION smpc._set_sum_by_accum(internal, bytea, text, bigint, text[], text) IS 'smpc_intersect_sum_by: local transition (the digest of each bytea key in its group and the sum of its values; NULL keys counted)';
CREATE FUNCTION smpc._intersect_sum_by_final(internal, bytea, text, bigint, text[], text) RETURNS smpc.group_value[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_intersect_sum_by_final';
COMMENT ON FUNCTION smpc._intersect_sum_by_final(internal, bytea, text, bigint, text[], text) IS 'smpc_intersect_sum_by(bytea): runs the set job with sealed values per group, returns each group''s sum';
CREATE AGGREGATE smpc_intersect_sum_by(key bytea, grp text, value bigint, domain text[], job_id text) (
    SFUNC = smpc._set_sum_by_accum, STYPE = internal,
    FINALFUNC = smpc._intersect_sum_by_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_intersect_sum_by(bytea, text, bigint, text[], text) IS 'per group of a declared domain, the sum of the values (0 to 2^48 - 1) the parties give over the keys every party puts in that group, in one job: an array of smpc.group_value; groups below min_rows are suppressed';
CREATE FUNCTION smpc._intersect_avg_by_final(internal, bytea, text, bigint, text[], text) RETURNS smpc.group_value[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_intersect_avg_by_final';
COMMENT ON FUNCTION smpc._intersect_avg_by_final(internal, bytea, text, bigint, text[], text) IS 'smpc_intersect_avg_by(bytea): runs the set job with sealed values per group, returns each group''s sum over its count';
CREATE AGGREGATE smpc_intersect_avg_by(key bytea, grp text, value bigint, domain text[], job_id text) (
    SFUNC = smpc._set_sum_by_accum, STYPE = internal,
    FINALFUNC = smpc._intersect_avg_by_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_intersect_avg_by(bytea, text, bigint, text[], text) IS 'per group of a declared domain, the average of the values the parties give over the keys every party puts in that group (the group''s sum over its count; NULL for an empty group): an array of smpc.group_value; groups below min_rows are suppressed';
CREATE FUNCTION smpc._set_sum_by_accum(internal, bigint, text, bigint, text[], text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_set_sum_by_accum';
COMMENT ON FUNCTION smpc._set_sum_by_accum(internal, bigint, text, bigint, text[], text) IS 'smpc_intersect_sum_by: local transition (the digest of each bigint key in its group and the sum of its values; NULL keys counted)';
CREATE FUNCTION smpc._intersect_sum_by_final(internal, bigint, text, bigint, text[], text) RETURNS smpc.group_value[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_intersect_sum_by_final';
COMMENT ON FUNCTION smpc._intersect_sum_by_final(internal, bigint, text, bigint, text[], text) IS 'smpc_intersect_sum_by(bigint): runs the set job with sealed values per group, returns each group''s sum';
CREATE AGGREGATE smpc_intersect_sum_by(key bigint, grp text, value bigint, domain text[], job_id text) (
    SFUNC = smpc._set_sum_by_accum, STYPE = internal,
    FINALFUNC = smpc._intersect_sum_by_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_intersect_sum_by(bigint, text, bigint, text[], text) IS 'per group of a declared domain, the sum of the values (0 to 2^48 - 1) the parties give over the keys every party puts in that group, in one job: an array of smpc.group_value; groups below min_rows are suppressed';
CREATE FUNCTION smpc._intersect_avg_by_final(internal, bigint, text, bigint, text[], text) RETURNS smpc.group_value[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_intersect_avg_by_final';
COMMENT ON FUNCTION smpc._intersect_avg_by_final(internal, bigint, text, bigint, text[], text) IS 'smpc_intersect_avg_by(bigint): runs the set job with sealed values per group, returns each group''s sum over its count';
CREATE AGGREGATE smpc_intersect_avg_by(key bigint, grp text, value bigint, domain text[], job_id text) (
    SFUNC = smpc._set_sum_by_accum, STYPE = internal,
    FINALFUNC = smpc._intersect_avg_by_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_intersect_avg_by(bigint, text, bigint, text[], text) IS 'per group of a declared domain, the average of the values the parties give over the keys every party puts in that group (the group''s sum over its count; NULL for an empty group): an array of smpc.group_value; groups below min_rows are suppressed';
CREATE FUNCTION smpc._set_sum_by_accum(internal, uuid, text, bigint, text[], text) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_set_sum_by_accum';
COMMENT ON FUNCTION smpc._set_sum_by_accum(internal, uuid, text, bigint, text[], text) IS 'smpc_intersect_sum_by: local transition (the digest of each uuid key in its group and the sum of its values; NULL keys counted)';
CREATE FUNCTION smpc._intersect_sum_by_final(internal, uuid, text, bigint, text[], text) RETURNS smpc.group_value[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_intersect_sum_by_final';
COMMENT ON FUNCTION smpc._intersect_sum_by_final(internal, uuid, text, bigint, text[], text) IS 'smpc_intersect_sum_by(uuid): runs the set job with sealed values per group, returns each group''s sum';
CREATE AGGREGATE smpc_intersect_sum_by(key uuid, grp text, value bigint, domain text[], job_id text) (
    SFUNC = smpc._set_sum_by_accum, STYPE = internal,
    FINALFUNC = smpc._intersect_sum_by_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_intersect_sum_by(uuid, text, bigint, text[], text) IS 'per group of a declared domain, the sum of the values (0 to 2^48 - 1) the parties give over the keys every party puts in that group, in one job: an array of smpc.group_value; groups below min_rows are suppressed';
CREATE FUNCTION smpc._intersect_avg_by_final(internal, uuid, text, bigint, text[], text) RETURNS smpc.group_value[]
LANGUAGE C CALLED ON NULL INPUT PARALLEL RESTRICTED AS 'MODULE_PATHNAME', 'smpc_intersect_avg_by_final';
COMMENT ON FUNCTION smpc._intersect_avg_by_final(internal, uuid, text, bigint, text[], text) IS 'smpc_intersect_avg_by(uuid): runs the set job with sealed values per group, returns each group''s sum over its count';
CREATE AGGREGATE smpc_intersect_avg_by(key uuid, grp text, value bigint, domain text[], job_id text) (
    SFUNC = smpc._set_sum_by_accum, STYPE = internal,
    FINALFUNC = smpc._intersect_avg_by_final, FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE,
    PARALLEL = RESTRICTED
);
COMMENT ON AGGREGATE smpc_intersect_avg_by(uuid, text, bigint, text[], text) IS 'per group of a declared domain, the average of the values the parties give over the keys every party puts in that group (the group''s sum over its count; NULL for an empty group): an array of smpc.group_value; groups below min_rows are suppressed';
CREATE FUNCTION smpc_normalize_key(key text, options text) RETURNS text
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_normalize_key';
COMMENT ON FUNCTION smpc_normalize_key(text, text) IS 'canonical form of a join key for record linkage: options nfkc, trim, lower, then at most one of alnum, digits, soundex (a phonetic code per word), date_ymd, date_dmy, date_mdy (an ISO date read in that field order), applied in that order; NULL when soundex or a date form finds nothing to encode; a set job names the options, so parties that normalise differently fail with a mismatch';
DO $set_grants$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN
        SELECT p.oid::regprocedure
        FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_proc p ON p.oid = d.objid
        WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.deptype = 'e'
          AND d.refobjid = (SELECT e.oid FROM pg_catalog.pg_extension e WHERE e.extname = 'smpc')
          AND p.proname IN ('smpc_intersect_count', 'smpc_overlap_count', 'smpc_union_count',
                            'smpc_intersect_count_by', 'smpc_overlap_count_by',
                            'smpc_union_count_by', 'smpc_normalize_key', 'smpc_intersect_sum',
                            'smpc_intersect_avg', 'smpc_overlap_matrix',
                            'smpc_intersect_sum_by', 'smpc_intersect_avg_by')
    LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO smpc_analyst', f);
    END LOOP;
    -- Support functions: only through the aggregates.
    FOR f IN
        SELECT p.oid::regprocedure
        FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_proc p ON p.oid = d.objid
        WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.deptype = 'e'
          AND d.refobjid = (SELECT e.oid FROM pg_catalog.pg_extension e WHERE e.extname = 'smpc')
          AND p.proname IN ('_set_accum', '_intersect_count_final', '_overlap_count_final',
                            '_union_count_final', '_set_by_accum', '_intersect_count_by_final',
                            '_overlap_count_by_final', '_union_count_by_final',
                            '_set_sum_accum', '_intersect_sum_final', '_intersect_avg_final',
                            '_overlap_matrix_final', '_set_sum_by_accum',
                            '_intersect_sum_by_final', '_intersect_avg_by_final')
    LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    END LOOP;
END
$set_grants$;
