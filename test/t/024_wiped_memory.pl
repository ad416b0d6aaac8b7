# Messages are wiped from shared memory when their slots are freed: after
# jobs of every kind (peer to peer, whose messages also travel back on
# partners' calls through the handover table; Shamir; a grouped job whose
# vectors span many 32 kB inbox slots; a set job's blinded sets; an
# intersection sum's sealed values and sums; a job that
# fails midway), no free
# inbox slot and no free handover entry at any party holds a byte that is
# not zero, so no share outlives its message there.
#
# The count comes from smpc_test_shmem_residue(), which only test builds
# have; this test declares it.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use SmpcTest;

my $fed = SmpcTest->new(parties => [qw(a b c)], timeout => '4s');
for my $p ($fed->names)
{
	$fed->psql($p, <<"EOS");
CREATE FUNCTION smpc_test_shmem_residue() RETURNS bigint
	AS 'smpc', 'smpc_test_shmem_residue' LANGUAGE C STRICT;
CREATE TABLE t(x integer);
INSERT INTO t VALUES (1), (2), (3);
CREATE TABLE g(k text, x integer);
INSERT INTO g SELECT 'k' || i, i FROM generate_series(1, 5000) i;
EOS
	$fed->register_federation($p, federation => 'sh', threshold => 2);
}

sub residue_everywhere
{
	my ($label) = @_;
	for my $p ($fed->names)
	{
		is($fed->psql($p, 'SELECT smpc_test_shmem_residue()'), '0',
			"$label: nothing left in free shared memory at $p");
	}
	return;
}

residue_everywhere('before any job');

my $ico = "SET smpc.federation = 'ico';\n";
my $res = $fed->run_all("${ico}SELECT smpc_sum(x, 'wipe-p2p-1') FROM t");
$fed->expect_all_ok($res, '18', 'peer-to-peer sum');
$res = $fed->run_all("${ico}SELECT smpc_avg(x, 'wipe-p2p-2') FROM t");
$fed->expect_all_ok($res, sub { $fed->numeric_eq('a', $_[0], '2') }, 'peer-to-peer average');
$res = $fed->run_all("SET smpc.federation = 'sh'; SELECT smpc_sum(x, 'wipe-shamir-1') FROM t");
$fed->expect_all_ok($res, '18', 'Shamir 2-of-3 sum');
my $domain = "(SELECT array_agg('k' || i) FROM generate_series(1, 5000) i)";
$res = $fed->run_all(
	"${ico}SELECT sum((r).value) FROM unnest((SELECT smpc_sum_by(k, x, $domain, 'wipe-grouped-1') FROM g)) r");
$fed->expect_all_ok($res, sub { $fed->numeric_eq('a', $_[0], 3 * 5000 * 5001 / 2) },
	'grouped sum over 5000 keys (vectors of many inbox slots)');
# A set job: 5000 blinded keys per party (sets of several inbox slots) go
# round the ring, and so through every party's inbox.
$res = $fed->run_all("${ico}SELECT smpc_intersect_count(k, 'wipe-set-1') FROM g");
$fed->expect_all_ok($res, '5000', 'set job over 5000 keys');
# An intersection sum: c's sealed values travel with its blinded keys, and
# the sealed sums from the counting party pass through every inbox.
$res = $fed->run_all({ map { my $v = $_ eq 'c' ? 'x' : 'NULL::bigint';
	$_ => "${ico}SELECT smpc_intersect_sum(k, $v, 'wipe-sum-1') FROM g WHERE x <= 1000" } $fed->names });
$fed->expect_all_ok($res, '500500', 'intersection sum over 1000 keys');
# c never joins: a and b send it their shares, then time out and abort.
$res = $fed->run_all("${ico}SELECT smpc_sum(x, 'wipe-failed-1') FROM t", parties => [qw(a b)]);
$fed->expect_all_fail($res, [qr/SM00[14]/], 'a job that c never joins');
# Now c runs it: it takes what a and b left in its inbox, and fails too.
$res = $fed->run_all("${ico}SELECT smpc_sum(x, 'wipe-failed-1') FROM t", parties => [qw(c)]);
$fed->expect_all_fail($res, [], 'c runs the job alone, later');

residue_everywhere('after the jobs');

$fed->stop_all;
done_testing();
