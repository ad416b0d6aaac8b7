-- smpc 0.2.0 -> 0.3.0 (the section headers below say what it adds).
--
-- ALTER EXTENSION smpc UPDATE runs it on an installation of 0.2.0; it leaves
-- the objects a fresh CREATE EXTENSION smpc makes from sql/smpc.sql
-- (test/t/026_upgrade_compare.pl). Edited until 0.3.0 is released, then
-- frozen (test/upgrade/frozen.sha256).

\echo Use "ALTER EXTENSION smpc UPDATE TO '0.3.0'" to load this file. \quit

-- What smpc's shared memory holds (smpc.shmem_usage) ----------------------------
CREATE FUNCTION smpc.shmem_usage(OUT area text, OUT from_role name, OUT in_use integer,
    OUT unclaimed integer, OUT capacity integer)
RETURNS SETOF record
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED
AS 'MODULE_PATHNAME', 'smpc_shmem_usage';
REVOKE ALL ON FUNCTION smpc.shmem_usage() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION smpc.shmem_usage() TO smpc_admin;
COMMENT ON FUNCTION smpc.shmem_usage() IS
    'what smpc''s shared memory holds in this database now: job claims, inbox slots (in total and per delivering role; unclaimed: for jobs no session here runs), handover jobs and pickups. With no job running, every in_use is 0 but slots of messages for jobs that never started here';
-- Deliveries that the server log would record ------------------------------
--
-- smpc.deliver_ready() also keeps parameters out of the log for the rest of
-- the session (partners' connections stay open between jobs, and a reload
-- could otherwise have a later share logged).
COMMENT ON FUNCTION smpc.deliver_ready() IS
    'fails when the server log would record what this partner login delivers, else keeps statement parameters out of the log for the session; partners call it on each new connection';
-- Stored results only for the same job -------------------------------------------
--
-- A stored result is returned only to a job with the same descriptor and the
-- same input at this party (the base columns it read, the bounds it was
-- clipped to). Rows of 0.2.0 do not say what they read: their id is refused
-- for any job (SM005), as it cannot be told whether it is the same job.
ALTER TABLE smpc.jobs ADD COLUMN input text;
COMMENT ON COLUMN smpc.jobs.input IS
    'what this party''s input read (its base columns, the bounds it was clipped to): the stored result is returned only to a job with the same descriptor and input; NULL for jobs recorded before 0.3.0';
-- Audit records of attempts a server stop cut short --------------------------
--
-- Each job attempt's record is on disk while it runs; an attempt that a
-- server stop or crash cut short is stored at restart as 'interrupted' (a
-- backend that ends mid-job queues that record itself).
-- A retry refused because partners released (SM009) records in covers
-- what they said their result includes.

ALTER TABLE smpc.audit_log DROP CONSTRAINT audit_log_outcome_check;
ALTER TABLE smpc.audit_log ADD CONSTRAINT audit_log_outcome_check
    CHECK (outcome IN ('released', 'returned', 'contributed', 'refused', 'failed', 'charged', 'refunded',
                       'opened', 'interrupted'));
COMMENT ON COLUMN smpc.audit_log.outcome IS
    'released (computed now), returned (an earlier release given back), contributed (this party only supplied its input), refused (a policy, permission or job-id rule of this party), failed (anything else), interrupted (the job''s backend ended, or the server stopped or crashed, while the job ran; queued as the backend ended, else stored at the server''s restart); charged and refunded (privacy budget), opened (the job id was spent: this party sent a value that opens the result)';
COMMENT ON COLUMN smpc.audit_log.covers IS 'the input parties the released result includes (failed with SM009: what the partners that released without this attempt said their result includes)';
-- Job ids looked up whatever the federation -----------------------------------
--
-- Every job start looks up its id in smpc.jobs across federations (a stored
-- result, or the id used in another federation). Without an index on job_id
-- alone that read every job ever recorded.
CREATE INDEX jobs_job_id ON smpc.jobs (job_id);
-- Grouped aggregates, histograms and percentiles in parallel workers -------
--
-- Their local phase gets combine, serialize and deserialize functions, and
-- the aggregates become PARALLEL SAFE (their final functions stay
-- PARALLEL RESTRICTED: the job runs in the leader). PostgreSQL has no ALTER
-- AGGREGATE for either, and DROP AGGREGATE followed by CREATE AGGREGATE
-- would fail on any view that uses one and lose the grants a DBA gave on
-- them. So the aggregates' catalog rows are updated in place, with the
-- dependencies CREATE AGGREGATE records on its support functions: the
-- result equals a fresh install's (test/t/026_upgrade_compare.pl).
CREATE FUNCTION smpc._group_combine(internal, internal) RETURNS internal
LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_group_combine';
COMMENT ON FUNCTION smpc._group_combine(internal, internal) IS 'smpc grouped aggregates: adds a parallel worker''s partial sums and counts per key';
CREATE FUNCTION smpc._group_serialize(internal) RETURNS bytea
LANGUAGE C STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_group_serialize';
COMMENT ON FUNCTION smpc._group_serialize(internal) IS 'smpc grouped aggregates: serializes a parallel worker''s partial sums and counts per key';
CREATE FUNCTION smpc._group_deserialize(bytea, internal) RETURNS internal
LANGUAGE C STRICT PARALLEL SAFE AS 'MODULE_PATHNAME', 'smpc_group_deserialize';
COMMENT ON FUNCTION smpc._group_deserialize(bytea, internal) IS 'smpc grouped aggregates: deserializes a parallel worker''s partial sums and counts per key';
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
    smpc._group_combine(internal, internal),
    smpc._group_serialize(internal),
    smpc._group_deserialize(bytea, internal),
    smpc._hist_combine(internal, internal),
    smpc._hist_serialize(internal),
    smpc._hist_deserialize(bytea, internal)
FROM PUBLIC;
DO $parallel_grouped$
DECLARE
    agg record;
    fns oid[];  -- combine, serialize, deserialize
BEGIN
    FOR agg IN
        SELECT p.oid, CASE WHEN p.proname IN ('smpc_histogram', 'smpc_percentiles')
                           THEN '_hist' ELSE '_group' END AS prefix
        FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_proc p ON p.oid = d.objid
        WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.deptype = 'e'
          AND d.refobjid = (SELECT e.oid FROM pg_catalog.pg_extension e WHERE e.extname = 'smpc')
          AND p.prokind = 'a'
          AND p.proname IN ('smpc_sum_by', 'smpc_avg_by', 'smpc_count_by',
                            'smpc_histogram', 'smpc_percentiles')
    LOOP
        fns := ARRAY[
            pg_catalog.format('smpc.%s_combine(internal, internal)', agg.prefix)::pg_catalog.regprocedure,
            pg_catalog.format('smpc.%s_serialize(internal)', agg.prefix)::pg_catalog.regprocedure,
            pg_catalog.format('smpc.%s_deserialize(bytea, internal)', agg.prefix)::pg_catalog.regprocedure];
        UPDATE pg_catalog.pg_aggregate
        SET aggcombinefn = fns[1], aggserialfn = fns[2], aggdeserialfn = fns[3]
        WHERE aggfnoid = agg.oid;
        UPDATE pg_catalog.pg_proc SET proparallel = 's' WHERE oid = agg.oid;
        INSERT INTO pg_catalog.pg_depend (classid, objid, objsubid, refclassid, refobjid, refobjsubid, deptype)
        SELECT 'pg_catalog.pg_proc'::pg_catalog.regclass, agg.oid, 0,
               'pg_catalog.pg_proc'::pg_catalog.regclass, f, 0, 'n'
        FROM pg_catalog.unnest(fns) f;
    END LOOP;
END
$parallel_grouped$;

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
-- The overlap matrix's release policy (smpc.federations.overlap_pairs) --------
ALTER TABLE smpc.federations ADD COLUMN overlap_pairs boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN smpc.federations.overlap_pairs IS
    'release policy: set jobs may release how many keys each pair of parties shares (smpc_overlap_matrix, smpc.set_overlap_pairs); every party must allow it';
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
