-- smpc 0.2.0 -> 0.3.0 (the section headers below say what it adds).
--
-- ALTER EXTENSION smpc UPDATE runs it on an installation of 0.2.0; it leaves
-- the objects a fresh CREATE EXTENSION smpc makes from sql/smpc.sql
-- (test/t/026_upgrade_compare.pl). Edited until 0.3.0 is released, then
-- frozen (test/upgrade/frozen.sha256).

\echo Use "ALTER EXTENSION smpc UPDATE TO '0.3.0'" to load this file. \quit

-- Deliveries that the server log would record ------------------------------
--
-- smpc.deliver_ready() also keeps parameters out of the log for the rest of
-- the session (partners' connections stay open between jobs, and a reload
-- could otherwise have a later share logged).
COMMENT ON FUNCTION smpc.deliver_ready() IS
    'fails when the server log would record what this partner login delivers, else keeps statement parameters out of the log for the session; partners call it on each new connection';
