# A deviating party is caught. With the test-build switch smpc.test_fault
# (superuser only), party b misbehaves in one round of each job:
#   share round: a second, different share to a;
#   count round (a job under a minimum row count): a wrong row-count sum to a;
#   partial round: a different partial sum to a;
#   confirm round: a wrong transcript digest to a.
# In the share, count and partial rounds every party aborts with an error
# naming the inconsistency (or the partner that aborted), and nobody releases
# anything; in the confirm round a aborts and releases nothing, and a party
# that released did so with the correct result.
# (A single wrong share, sent once, cannot be detected with additive n-of-n
# sharing: it is indistinguishable from a different input; see SECURITY.md.)
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

# Share round: b sends a two different shares.
my $res = job_with_fault('fault-share', 'equivocate_share');
$fed->expect_all_fail($res, [qr/SM00[348]/], 'b equivocates in the share round');
like($res->{a}{stderr}, qr/SM003: party b sent two different share messages/,
	'share round: a names b and the equivocation');
like($res->{$_}{stderr}, qr/SM004: party \w aborted the job|SM003/,
	"share round: party $_ stops") for qw(b c);
is($fed->released_count($_, 'fault-share'), '0', "share round: nothing released at $_")
  for $fed->names;

# Count round: under a minimum row count, b sends a a wrong count sum.
$fed->psql($_, "SELECT smpc.set_policy('ico', min_rows => 3)") for $fed->names;
$res = job_with_fault('fault-count', 'equivocate_count');
$fed->expect_all_fail($res, [qr/SM00[348]/], 'b equivocates in the count round');
ok((grep { $res->{$_}{stderr} =~ /SM003: the parties opened different results/ } qw(a b c)),
	'count round: the inconsistency itself is reported');
is($fed->released_count($_, 'fault-count'), '0', "count round: nothing released at $_")
  for $fed->names;
$fed->psql($_, "SELECT smpc.set_policy('ico', min_rows => 0)") for $fed->names;

# Partial round: b sends a a wrong partial sum.
$res = job_with_fault('fault-partial', 'equivocate_partial');
$fed->expect_all_fail($res, [qr/SM00[348]/], 'b equivocates in partial round');
# Each party says why it stopped: it saw the inconsistency, a partner told it
# that it aborted, or a partner that had already aborted refused its message.
like($res->{$_}{stderr},
	qr/opened different results|aborted the job|rejected the round \d \(\w+\) message: no run of job/,
	"partial round: party $_ names the inconsistency or the abort") for qw(a b c);
ok((grep { $res->{$_}{stderr} =~ /SM003: the parties opened different results/ } qw(a b c)),
	'partial round: the inconsistency itself is reported');
is($fed->released_count($_, 'fault-partial'), '0', "partial round: nothing released at $_")
  for $fed->names;

# Confirm round: b sends a a wrong digest.
$res = job_with_fault('fault-confirm', 'wrong_confirm');
isnt($res->{a}{rc}, '0', 'confirm round: a, which got the wrong digest, fails');
like($res->{a}{stderr},
	qr/SM003: the parties opened different results \(transcript digest mismatch between this party and party b\)/,
	'confirm round: a names the digests compared (its own and b\'s) and the mismatch');
is($fed->released_count('a', 'fault-confirm'), '0', 'confirm round: nothing released at a');
for my $p (qw(b c))
{
	next if $res->{$p}{rc} ne '0';
	is($res->{$p}{stdout}, '45000', "confirm round: party $p released only the correct result");
}

# The switch off again: the same parties compute normally.
$res = $fed->run_all("SELECT smpc_sum(x, 'fault-after') FROM t");
$fed->expect_all_ok($res, '45000', 'without faults');

$fed->stop_all;
done_testing();
