# A deviating party is caught. With the test-build switch smpc.test_fault
# (superuser only), party b misbehaves in one round:
#   round 2, equivocation (a different partial sum to a): every party aborts
#   with an error naming the inconsistency, and nobody releases anything;
#   round 3, a wrong transcript digest to a: a aborts and releases nothing;
#   a party that released did so with the correct result.
# (Round 1 has no detectable deviation with additive n-of-n sharing: a wrong
# share is indistinguishable from a different input; see SECURITY.md.)
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use SmpcTest;

my $fed = SmpcTest->new(parties => [qw(a b c)], timeout => '10s');
$fed->psql($_, 'CREATE TABLE t(x integer)') for $fed->names;
$fed->psql('a', 'INSERT INTO t VALUES (10000)');
$fed->psql('b', 'INSERT INTO t VALUES (15000)');
$fed->psql('c', 'INSERT INTO t VALUES (20000)');

my ($rc, $out, $err) = $fed->try_psql('b', 'SHOW smpc.test_fault');
is($rc, 0, 'smpc.test_fault exists (make test builds a test build)') or diag $err;

# Only a superuser can turn it on.
$fed->psql('b', 'CREATE ROLE plain_user');
($rc, $out, $err) = $fed->try_psql('b',
	"SET ROLE plain_user; SET smpc.test_fault = 'equivocate_partial'");
isnt($rc, 0, 'a non-superuser cannot set smpc.test_fault');
like($err, qr/permission denied to set parameter "smpc.test_fault"/, 'permission denied');

sub job_with_fault
{
	my ($job, $fault) = @_;
	my $q = "SELECT smpc_sum(x, '$job') FROM t";
	return $fed->run_all({
		a => $q,
		b => "SET smpc.test_fault = '$fault'; $q",
		c => $q });
}

# Round 2: b sends a a wrong partial sum.
my $res = job_with_fault('fault-partial', 'equivocate_partial');
$fed->expect_all_fail($res, [qr/SM00[34]/], 'b equivocates in round 2');
# Each party says why it stopped: it saw the inconsistency, a partner told it
# that it aborted, or a partner that had already aborted refused its message.
like($res->{$_}{stderr},
	qr/holds a different result|aborted the job|rejected the round \d \(\w+\) message: no run of job/,
	"round 2: party $_ names the inconsistency or the abort") for qw(a b c);
ok((grep { $res->{$_}{stderr} =~ /SM003: party \w+ holds a different result/ } qw(a b c)),
	'round 2: the inconsistency itself is reported');
is($fed->released_count($_, 'fault-partial'), '0', "round 2: nothing released at $_")
  for $fed->names;

# Round 3: b sends a a wrong digest.
$res = job_with_fault('fault-confirm', 'wrong_confirm');
isnt($res->{a}{rc}, '0', 'round 3: a, which got the wrong digest, fails');
like($res->{a}{stderr}, qr/SM003: party b holds a different result \(transcript digest mismatch\)/,
	'round 3: a names b and the digest mismatch');
is($fed->released_count('a', 'fault-confirm'), '0', 'round 3: nothing released at a');
for my $p (qw(b c))
{
	next if $res->{$p}{rc} ne '0';
	is($res->{$p}{stdout}, '45000', "round 3: party $p released only the correct result");
}

# The switch off again: the same parties compute normally.
$res = $fed->run_all("SELECT smpc_sum(x, 'fault-after') FROM t");
$fed->expect_all_ok($res, '45000', 'without faults');

$fed->stop_all;
done_testing();
