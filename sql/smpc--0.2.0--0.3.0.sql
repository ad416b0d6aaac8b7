-- smpc 0.2.0 -> 0.3.0 (the section headers below say what it adds).
--
-- ALTER EXTENSION smpc UPDATE runs it on an installation of 0.2.0; it leaves
-- the objects a fresh CREATE EXTENSION smpc makes from sql/smpc.sql
-- (test/t/026_upgrade_compare.pl). Edited until 0.3.0 is released, then
-- frozen (test/upgrade/frozen.sha256).

\echo Use "ALTER EXTENSION smpc UPDATE TO '0.3.0'" to load this file. \quit

-- Audit records of attempts a server stop cut short --------------------------
--
-- Each job attempt's record is on disk while it runs; an attempt that a
-- server stop or crash cut short is stored at restart as 'interrupted'.
-- A retry refused because partners released (SM009) records in covers
-- what they said their result includes.

ALTER TABLE smpc.audit_log DROP CONSTRAINT audit_log_outcome_check;
ALTER TABLE smpc.audit_log ADD CONSTRAINT audit_log_outcome_check
    CHECK (outcome IN ('released', 'returned', 'contributed', 'refused', 'failed', 'charged', 'refunded',
                       'opened', 'interrupted'));
COMMENT ON COLUMN smpc.audit_log.outcome IS
    'released (computed now), returned (an earlier release given back), contributed (this party only supplied its input), refused (a policy, permission or job-id rule of this party), failed (anything else), interrupted (the server stopped or crashed while the job ran; stored at its restart); charged and refunded (privacy budget), opened (the job id was spent: this party sent a value that opens the result)';
COMMENT ON COLUMN smpc.audit_log.covers IS 'the input parties the released result includes (failed with SM009: what the partners that released without this attempt said their result includes)';
