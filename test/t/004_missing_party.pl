# A party that never joins a job, or whose server is down: the others give
# up after smpc.timeout with an error that names the missing party and the
# round, and no party stores a result.  The federation keeps working after.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use SmpcTest;

my $fed = SmpcTest->new(parties => [qw(a b c)], timeout => '3s');
my %input = (a => 1, b => 2, c => 3);
$fed->psql($_, "CREATE TABLE t(x integer); INSERT INTO t VALUES ($input{$_})")
  for $fed->names;
my $query = sub { "SELECT smpc_sum(x, '$_[0]') FROM t" };

# c never runs the job.
my $res = $fed->run_all($query->('never-1'), parties => [qw(a b)]);
# Whoever times out first may tell the other to abort; either way each
# error names the missing party and the round.
$fed->expect_all_fail(
	$res,
	[ qr/round 1\b/, qr/party "?c"?(?![a-z0-9_])/ ],
	'c never joins');
ok((grep { $res->{$_}{stderr} =~ /\bSM001\b/ } qw(a b)),
	'c never joins: at least one party reports the timeout (SQLSTATE SM001)');
for my $p (qw(a b))
{
	cmp_ok($res->{$p}{secs}, '>=', 2.5, "party $p waited about smpc.timeout");
	cmp_ok($res->{$p}{secs}, '<', 20, "party $p gave up soon after smpc.timeout");
}
$fed->expect_nothing_released('never-1', 'c never joins');

# c comes late, after a and b have given up: it must not compute anything
# either (it may time out, or learn that the others aborted).
$res = $fed->run_all($query->('never-1'), parties => [qw(c)]);
$fed->expect_all_fail($res, [], 'c alone, too late');
$fed->expect_nothing_released('never-1', 'c alone, too late');

# c's server is down.
$fed->node('c')->stop('fast');
$res = $fed->run_all($query->('down-1'), parties => [qw(a b)]);
$fed->expect_all_fail($res, [qr/(?<![a-z0-9_])c(?![a-z0-9_])/], 'c is down');
cmp_ok($res->{$_}{secs}, '<', 20, "c is down: party $_ gave up in time") for qw(a b);
$fed->expect_nothing_released('down-1', 'c is down');
$fed->node('c')->start;

# The federation still works, over connections made after c's restart.
$res = $fed->run_all($query->('after-1'));
$fed->expect_all_ok($res, '6', 'all three after the failures');

# A job id that failed can be run again by everyone, and the result counts
# each input once (no stale shares from the failed attempts).
$res = $fed->run_all($query->('never-1'));
$fed->expect_all_ok($res, '6', 'retry of a failed job id');
is($fed->released_count($_, 'never-1'), '1', "retry: party $_ released once")
  for $fed->names;

$fed->stop_all;
done_testing();
