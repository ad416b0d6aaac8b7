-- smpc 0.2.0 -> 0.3.0 (the section headers below say what it adds).
--
-- ALTER EXTENSION smpc UPDATE runs it on an installation of 0.2.0; it leaves
-- the objects a fresh CREATE EXTENSION smpc makes from sql/smpc.sql
-- (test/t/026_upgrade_compare.pl). Edited until 0.3.0 is released, then
-- frozen (test/upgrade/frozen.sha256).

\echo Use "ALTER EXTENSION smpc UPDATE TO '0.3.0'" to load this file. \quit
