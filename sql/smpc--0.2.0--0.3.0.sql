-- smpc 0.2.0 -> 0.3.0 (the section headers below say what it adds).
--
-- ALTER EXTENSION smpc UPDATE runs it on an installation of 0.2.0; it leaves
-- the objects a fresh CREATE EXTENSION smpc makes from sql/smpc.sql
-- (test/t/026_upgrade_compare.pl). Edited until 0.3.0 is released, then
-- frozen (test/upgrade/frozen.sha256).

\echo Use "ALTER EXTENSION smpc UPDATE TO '0.3.0'" to load this file. \quit

-- Stored results only for the same job -------------------------------------------
--
-- A stored result is returned only to a job with the same descriptor and the
-- same input at this party (the base columns it read, the bounds it was
-- clipped to). Rows of 0.2.0 do not say what they read: their id is refused
-- for any job (SM005), as it cannot be told whether it is the same job.
ALTER TABLE smpc.jobs ADD COLUMN input text;
COMMENT ON COLUMN smpc.jobs.input IS
    'what this party''s input read (its base columns, the bounds it was clipped to): the stored result is returned only to a job with the same descriptor and input; NULL for jobs recorded before 0.3.0';
