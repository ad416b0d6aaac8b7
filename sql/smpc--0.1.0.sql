-- smpc 0.1.0: secure multi-party aggregation.
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
CREATE TABLE smpc.federations (
    name        text PRIMARY KEY,
    self_name   text NOT NULL,
    parties     text[] NOT NULL,
    scale       integer NOT NULL DEFAULT 6,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (self_name = ANY (parties)),
    CHECK (scale BETWEEN 0 AND 18)
);
REVOKE ALL ON smpc.federations FROM PUBLIC;
COMMENT ON TABLE smpc.federations IS 'federations this party belongs to: name, own party name, ordered party list, fixed-point scale';
SELECT pg_catalog.pg_extension_config_dump('smpc.federations', '');

-- Jobs: one row per job id and federation. A released job is never computed
-- again: re-running it returns the stored result.
CREATE TABLE smpc.jobs (
    federation   text NOT NULL REFERENCES smpc.federations (name) ON DELETE CASCADE,
    job_id       text NOT NULL,
    descriptor   text NOT NULL,
    state        text NOT NULL CHECK (state = 'released'),
    result       text,
    started_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at  timestamptz,
    started_by   name NOT NULL DEFAULT current_user,
    PRIMARY KEY (federation, job_id)
);
REVOKE ALL ON smpc.jobs FROM PUBLIC;
COMMENT ON TABLE smpc.jobs IS 'secure computations run by this party; released results are kept and returned again for the same job id';
SELECT pg_catalog.pg_extension_config_dump('smpc.jobs', '');

CREATE FUNCTION smpc.create_federation(name text, self text, parties text[], scale integer DEFAULT 6)
RETURNS void
LANGUAGE C STRICT
AS 'MODULE_PATHNAME', 'smpc_create_federation';
REVOKE ALL ON FUNCTION smpc.create_federation(text, text, text[], integer) FROM PUBLIC;
COMMENT ON FUNCTION smpc.create_federation(text, text, text[], integer) IS
    'registers a federation: its name, this party''s name, the ordered party list and the decimal scale used for numeric and double precision';

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
COMMENT ON ROLE smpc_peer IS 'smpc: group of partners'' login roles; may only call smpc.deliver';

-- Admin: federations, partner servers (USAGE on the wrapper), every job.
GRANT USAGE ON SCHEMA smpc TO smpc_admin, smpc_analyst, smpc_peer;
GRANT USAGE ON FOREIGN DATA WRAPPER smpc TO smpc_admin;
GRANT EXECUTE ON FUNCTION smpc.create_federation(text, text, text[], integer),
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
