-- Job ids for scheduled reports: the same at every party for the same report
-- and period, whatever the session's time zone.
SET TimeZone = 'UTC';
SELECT p, smpc.report_job_id('expenses', p, '2026-11-30 23:30:00+00') AS job_id,
       smpc.period_start(p, '2026-11-30 23:30:00+00') AS starts
FROM unnest(ARRAY['hour', 'day', 'week', 'month', 'quarter', 'year']) p;
-- A party nine hours ahead of UTC, where it is already December: same ids.
SET TimeZone = 'Asia/Tokyo';
SELECT smpc.report_job_id('expenses', 'month', '2026-12-01 08:30:00+09') AS tokyo,
       smpc.report_job_id('expenses', 'day', '2026-12-01 08:30:00+09') AS tokyo_day;
SET TimeZone = 'America/Los_Angeles';
SELECT smpc.report_job_id('expenses', 'month', '2026-11-30 15:30:00-08') AS los_angeles;
RESET TimeZone;
-- Bad arguments.
SELECT smpc.report_job_id('expenses', 'fortnight', now());
SELECT smpc.report_job_id('', 'month', now());
SELECT smpc.report_job_id('expenses', NULL, now());
SELECT smpc.period_start('month', NULL);
