-- Registering federations.
SELECT smpc.create_federation('ico', 'a', ARRAY['a', 'b', 'c']);
SELECT name, self_name, parties, scale FROM smpc.federations;

-- The fingerprint is a deterministic hash of the definition: the same at
-- every party that registered the same federation.
SELECT smpc.federation_fingerprint('ico');
SELECT smpc.create_federation('ico2', 'b', ARRAY['a', 'b', 'c']);
SELECT smpc.federation_fingerprint('ico2') = smpc.federation_fingerprint('ico') AS same;
SELECT smpc.create_federation('ico3', 'a', ARRAY['a', 'b', 'c'], 2);
SELECT smpc.federation_fingerprint('ico3') = smpc.federation_fingerprint('ico') AS same;

-- Bad definitions.
SELECT smpc.create_federation('ico', 'a', ARRAY['a', 'b', 'c']);
SELECT smpc.create_federation('x', 'd', ARRAY['a', 'b', 'c']);
SELECT smpc.create_federation('x', 'a', ARRAY['a']);
SELECT smpc.create_federation('x', 'a', ARRAY['a', 'b', 'a']);
SELECT smpc.create_federation('x', 'a', ARRAY['a', 'b,c']);
SELECT smpc.create_federation('x', 'a', ARRAY['a', '']);
SELECT smpc.create_federation('x', 'a', ARRAY['a', NULL]);
SELECT smpc.create_federation('x', 'a', ARRAY['a', 'b'], 19);
SELECT smpc.create_federation('x', 'a', ARRAY['a', 'b'], -1);
SELECT smpc.create_federation('', 'a', ARRAY['a', 'b']);
SELECT smpc.create_federation('x', 'a', ARRAY[['a', 'b'], ['c', 'd']]);
SELECT smpc.federation_fingerprint('nope');

SELECT smpc.drop_federation('ico2');
SELECT smpc.drop_federation('ico3');
SELECT name FROM smpc.federations ORDER BY name;

-- Nothing is granted to PUBLIC.
CREATE ROLE smpc_regress_nobody;
SET ROLE smpc_regress_nobody;
SELECT * FROM smpc.federations;
SELECT smpc.create_federation('y', 'a', ARRAY['a', 'b']);
SELECT smpc.deliver('\x00');
RESET ROLE;
DROP ROLE smpc_regress_nobody;

-- Backends cache federation definitions: every change is seen at once, also
-- after the extension was dropped and created again in this session.
SELECT smpc.create_federation('cached', 'a', ARRAY['a', 'b', 'c']);
SELECT smpc.federation_fingerprint('cached') AS before \gset
SELECT smpc.drop_federation('cached');
SELECT smpc.create_federation('cached', 'a', ARRAY['a', 'b', 'c', 'd']);
SELECT smpc.federation_fingerprint('cached') <> :'before' AS sees_new_parties;
DROP EXTENSION smpc;
CREATE EXTENSION smpc;
SELECT smpc.create_federation('cached', 'a', ARRAY['a', 'b']);
SELECT smpc.federation_fingerprint('cached') AS recreated \gset
SELECT smpc.drop_federation('cached');
SELECT smpc.create_federation('cached', 'a', ARRAY['a', 'b', 'c']);
SELECT smpc.federation_fingerprint('cached') <> :'recreated' AS sees_change_after_recreate;
SELECT smpc.federation_fingerprint('cached') = :'before' AS same_definition_same_fingerprint;
SELECT smpc.drop_federation('cached');
