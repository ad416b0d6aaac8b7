-- A text snapshot of everything CREATE EXTENSION smpc left in a database and
-- in the cluster's shared catalogs: one line per object and property,
-- "section | object | value", sorted. test/t/026_upgrade_compare.pl takes it
-- after a fresh install and after the oldest version was upgraded step by
-- step, and requires both to be equal.
--
-- The database starts empty (template0), so every object with an OID of a
-- user object (>= 16384, FirstNormalObjectId) is the extension's; OIDs
-- themselves differ between the two paths and are never printed, only what
-- they name. Temporary schemas and TOAST tables (named by OID) are left out.
-- Nothing is created here: per-table queries run through \gexec.
\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only on
\pset footer off
SET search_path = pg_catalog;

-- pg_class entries the snapshot covers: everything but TOAST and temp.
CREATE TEMP VIEW snap_rel AS
SELECT c.oid::regclass::text AS name, c.*
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.oid >= 16384 AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%';

-- An ACL as a sorted list of grantee:privilege(grantor), order-free.
CREATE FUNCTION pg_temp.acl(a aclitem[]) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN a IS NULL THEN 'default' ELSE coalesce(string_agg(
        format('%s:%s%s(%s)',
               CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(x.grantee) END,
               x.privilege_type, CASE WHEN x.is_grantable THEN '*' ELSE '' END,
               pg_get_userbyid(x.grantor)), ' ' ORDER BY 1), 'none') END
    FROM aclexplode(a) x
$$;

-- Internal foreign-key triggers are named by OID: the name loses its number.
SELECT line FROM (
SELECT regexp_replace(replace(line, E'\n', '\n'), 'RI_ConstraintTrigger_([ac])_[0-9]+',
                      'RI_ConstraintTrigger_\1_<oid>', 'g') AS line FROM (
    -- The extension: schema, relocatable, configuration tables and their filters.
    SELECT format('extension|smpc|schema=%s relocatable=%s', e.extnamespace::regnamespace, e.extrelocatable) AS line
    FROM pg_extension e WHERE e.extname = 'smpc'
    UNION ALL
    SELECT format('extension|smpc|config table %s where %L', c.cfg::regclass,
                  coalesce(e.extcondition[c.i], '<none>'))
    FROM pg_extension e, unnest(e.extconfig) WITH ORDINALITY c(cfg, i) WHERE e.extname = 'smpc'
    -- Membership: what belongs to the extension, and every other dependency
    -- among user objects (by what they name, not by OID).
    UNION ALL
    SELECT format('depend|%s|on %s (%s)', pg_describe_object(d.classid, d.objid, d.objsubid),
                  pg_describe_object(d.refclassid, d.refobjid, d.refobjsubid), d.deptype)
    FROM pg_depend d
    WHERE (d.objid >= 16384 OR d.refobjid >= 16384)
      AND pg_describe_object(d.classid, d.objid, d.objsubid) !~ '(pg_toast|pg_temp)'
      AND pg_describe_object(d.refclassid, d.refobjid, d.refobjsubid) !~ '(pg_toast|pg_temp)'
    -- Schemas.
    UNION ALL
    SELECT format('schema|%s|owner=%s acl=%s', n.nspname, pg_get_userbyid(n.nspowner), pg_temp.acl(n.nspacl))
    FROM pg_namespace n WHERE n.oid >= 16384 AND n.nspname NOT LIKE 'pg\_t%'
    -- Functions, procedures and aggregates: the whole definition as the
    -- server prints it (signature, defaults, language, volatility,
    -- parallel safety, SECURITY DEFINER, SET options, body), and the ACL.
    UNION ALL
    SELECT format('function|%s|%s', p.oid::regprocedure,
                  CASE WHEN p.prokind = 'a' THEN format('aggregate args=(%s) returns=%s parallel=%s',
                           pg_get_function_arguments(p.oid), pg_get_function_result(p.oid), p.proparallel)
                       ELSE pg_get_functiondef(p.oid) END)
    FROM pg_proc p WHERE p.oid >= 16384 AND p.pronamespace::regnamespace::text NOT LIKE 'pg\_temp%'
    UNION ALL
    SELECT format('function|%s|owner=%s acl=%s volatile=%s strict=%s secdef=%s leakproof=%s config=%s src=%s bin=%s cost=%s rows=%s',
                  p.oid::regprocedure, pg_get_userbyid(p.proowner), pg_temp.acl(p.proacl),
                  p.provolatile, p.proisstrict, p.prosecdef, p.proleakproof, p.proconfig,
                  p.prosrc, p.probin, p.procost, p.prorows)
    FROM pg_proc p WHERE p.oid >= 16384 AND p.pronamespace::regnamespace::text NOT LIKE 'pg\_temp%'
    UNION ALL
    SELECT format('aggregate|%s|kind=%s direct=%s sfunc=%s stype=%s final=%s extra=%s modify=%s combine=%s serial=%s deserial=%s init=%s msfunc=%s',
                  a.aggfnoid::regprocedure, a.aggkind, a.aggnumdirectargs,
                  a.aggtransfn::regprocedure, a.aggtranstype::regtype, a.aggfinalfn::regprocedure,
                  a.aggfinalextra, a.aggfinalmodify, a.aggcombinefn::regprocedure,
                  a.aggserialfn::regprocedure, a.aggdeserialfn::regprocedure, a.agginitval,
                  a.aggmtransfn::regprocedure)
    FROM pg_aggregate a WHERE a.aggfnoid >= 16384
    -- Relations: kind, persistence, row security, options, owner, ACL;
    -- views by their definition, indexes by theirs.
    UNION ALL
    SELECT format('relation|%s|kind=%s persistence=%s rls=%s force_rls=%s options=%s owner=%s acl=%s',
                  r.name, r.relkind, r.relpersistence, r.relrowsecurity, r.relforcerowsecurity,
                  r.reloptions, pg_get_userbyid(r.relowner), pg_temp.acl(r.relacl))
    FROM snap_rel r
    UNION ALL
    SELECT format('relation|%s|view %s', r.name, pg_get_viewdef(r.oid)) FROM snap_rel r WHERE r.relkind = 'v'
    UNION ALL
    SELECT format('relation|%s|index %s', r.name, pg_get_indexdef(r.oid)) FROM snap_rel r WHERE r.relkind = 'i'
    -- Columns in the order a SELECT * shows them, with type, NOT NULL,
    -- default, compression, identity, generation and column ACLs.
    UNION ALL
    SELECT format('column|%s.%s|position=%s type=%s not_null=%s default=%s compression=%s identity=%s generated=%s collation=%s acl=%s',
                  r.name, a.attname,
                  row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum),
                  format_type(a.atttypid, a.atttypmod), a.attnotnull,
                  coalesce(pg_get_expr(ad.adbin, ad.adrelid), '<none>'),
                  nullif(a.attcompression, ''), nullif(a.attidentity, ''), nullif(a.attgenerated, ''),
                  a.attcollation::regcollation, pg_temp.acl(a.attacl))
    FROM snap_rel r JOIN pg_attribute a ON a.attrelid = r.oid
    LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
    WHERE a.attnum > 0 AND NOT a.attisdropped
    -- Constraints (on tables and on domains).
    UNION ALL
    SELECT format('constraint|%s on %s|%s deferrable=%s validated=%s',
                  c.conname, coalesce(nullif(c.conrelid, 0)::regclass::text, c.contypid::regtype::text),
                  pg_get_constraintdef(c.oid), c.condeferrable, c.convalidated)
    FROM pg_constraint c WHERE c.oid >= 16384
    -- Triggers and event triggers.
    UNION ALL
    SELECT format('trigger|%s on %s|%s enabled=%s', t.tgname, t.tgrelid::regclass,
                  pg_get_triggerdef(t.oid), t.tgenabled)
    FROM pg_trigger t WHERE t.oid >= 16384 AND NOT t.tgisinternal
    UNION ALL
    SELECT format('event trigger|%s|event=%s function=%s enabled=%s tags=%s owner=%s',
                  t.evtname, t.evtevent, t.evtfoid::regprocedure, t.evtenabled, t.evttags,
                  pg_get_userbyid(t.evtowner))
    FROM pg_event_trigger t
    -- Row-level security policies.
    UNION ALL
    SELECT format('policy|%s on %s.%s|permissive=%s roles=%s cmd=%s using=%s check=%s',
                  p.policyname, p.schemaname, p.tablename, p.permissive, p.roles, p.cmd, p.qual, p.with_check)
    FROM pg_policies p
    -- Types (composite, domain, enum, range, base) and their ACLs.
    UNION ALL
    SELECT format('type|%s|type=%s category=%s owner=%s acl=%s', t.oid::regtype, t.typtype, t.typcategory,
                  pg_get_userbyid(t.typowner), pg_temp.acl(t.typacl))
    FROM pg_type t WHERE t.oid >= 16384 AND t.typnamespace::regnamespace::text !~ '^pg_(toast|temp)'
    -- Foreign-data wrappers, servers, languages, casts, operators.
    UNION ALL
    SELECT format('fdw|%s|handler=%s validator=%s options=%s owner=%s acl=%s', w.fdwname,
                  w.fdwhandler::regproc, w.fdwvalidator::regprocedure, w.fdwoptions,
                  pg_get_userbyid(w.fdwowner), pg_temp.acl(w.fdwacl))
    FROM pg_foreign_data_wrapper w
    UNION ALL
    SELECT format('server|%s|fdw=%s options=%s acl=%s', s.srvname, s.srvfdw, s.srvoptions, pg_temp.acl(s.srvacl))
    FROM pg_foreign_server s
    UNION ALL
    SELECT format('object|%s|', pg_describe_object(o.classid, o.oid, 0))
    FROM (SELECT 'pg_cast'::regclass AS classid, oid FROM pg_cast WHERE oid >= 16384
          UNION ALL SELECT 'pg_operator'::regclass, oid FROM pg_operator WHERE oid >= 16384
          UNION ALL SELECT 'pg_opclass'::regclass, oid FROM pg_opclass WHERE oid >= 16384
          UNION ALL SELECT 'pg_language'::regclass, oid FROM pg_language WHERE oid >= 16384
          UNION ALL SELECT 'pg_ts_config'::regclass, oid FROM pg_ts_config WHERE oid >= 16384) o
    -- Comments (COMMENT ON) of every object and column, and of the
    -- cluster's roles.
    UNION ALL
    SELECT format('comment|%s|%s', pg_describe_object(d.classoid, d.objoid, d.objsubid), d.description)
    FROM pg_description d
    WHERE d.objoid >= 16384
      AND pg_describe_object(d.classoid, d.objoid, d.objsubid) !~ '(pg_toast|pg_temp)'
    UNION ALL
    SELECT format('comment|%s|%s', pg_describe_object(d.classoid, d.objoid, 0), d.description)
    FROM pg_shdescription d WHERE d.objoid >= 16384
    -- Privileges the extension's scripts set (pg_dump restores from these).
    UNION ALL
    SELECT format('init privs|%s|%s %s', pg_describe_object(i.classoid, i.objoid, i.objsubid), i.privtype,
                  pg_temp.acl(i.initprivs))
    FROM pg_init_privs i WHERE i.objoid >= 16384
    UNION ALL
    SELECT format('default acl|%s in %s|%s', pg_get_userbyid(d.defaclrole), d.defaclnamespace::regnamespace,
                  d.defaclobjtype::text || ' ' || pg_temp.acl(d.defaclacl))
    FROM pg_default_acl d
    -- Roles the scripts create (cluster-wide) and their memberships.
    UNION ALL
    SELECT format('role|%s|login=%s super=%s inherit=%s createrole=%s createdb=%s replication=%s bypassrls=%s connlimit=%s config=%s',
                  r.rolname, r.rolcanlogin, r.rolsuper, r.rolinherit, r.rolcreaterole, r.rolcreatedb,
                  r.rolreplication, r.rolbypassrls, r.rolconnlimit, r.rolconfig)
    FROM pg_roles r WHERE r.oid >= 16384
    UNION ALL
    SELECT format('role|%s|member of %s admin=%s', m.member::regrole, m.roleid::regrole, m.admin_option)
    FROM pg_auth_members m WHERE m.member >= 16384 OR m.roleid >= 16384
) s
) t
ORDER BY line COLLATE "C";

-- Rows of the extension's own tables (a fresh install and an upgraded
-- empty one hold the same: usually none), as sorted text.
SELECT format('SELECT %L || count(*) || '' '' || coalesce(md5(string_agg(t::text, E''\n'' ORDER BY t::text COLLATE "C")), ''-'') FROM %s t',
              'rows|' || c.oid::regclass::text || '|', c.oid::regclass)
FROM pg_class c
WHERE c.relnamespace = 'smpc'::regnamespace AND c.relkind IN ('r', 'p')
ORDER BY c.oid::regclass::text COLLATE "C"
\gexec
