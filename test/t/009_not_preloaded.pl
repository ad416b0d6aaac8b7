# Without shared_preload_libraries the extension still installs and its
# local functions work; a job fails with a clear error (SQLSTATE 55000)
# instead of killing the session.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('plain');
$node->init;
$node->start;

my ($rc, $out, $err) = $node->psql('postgres', 'CREATE EXTENSION smpc');
is($rc, 0, 'CREATE EXTENSION without preloading') or diag $err;
is($node->safe_psql('postgres', 'SELECT smpc_reconstruct(smpc_share(42::bigint, 3))'),
	'42', 'share and reconstruct work without preloading');

($rc, $out, $err) = $node->psql(
	'postgres', q{
	SELECT smpc.create_federation('f', 'a', ARRAY['a', 'b', 'c']);
	SELECT smpc_sum(x, 'j1') FROM (VALUES (1::bigint)) v(x);
}, extra_params => [ '-v', 'VERBOSITY=verbose' ]);
isnt($rc, 0, 'a job fails without preloading');
like($err, qr/55000: smpc must be loaded via shared_preload_libraries/,
	'the error names the missing setting with SQLSTATE 55000');
like($err, qr/HINT:\s+Add smpc to shared_preload_libraries/, 'and says what to do');
is($node->safe_psql('postgres', 'SELECT 1'), '1', 'the server is still fine');

$node->stop;
done_testing();
