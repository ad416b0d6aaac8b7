# smpc.job_status and smpc.cancel_job with real servers: a job that waits
# shows the partner it waits for and who started it, only to those who may
# see it; its own role (not another analyst) cancels it, the partners are
# told at once, and the attempt then shows as failed with the reason;
# released and refused attempts show with their timings.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);
use SmpcTest;

my $fed = SmpcTest->new(parties => [qw(a b c)], timeout => '30s');
$fed->psql($_, 'CREATE TABLE t(x integer); INSERT INTO t VALUES (1)') for $fed->names;
$fed->psql('a', <<'EOS');
CREATE ROLE alice LOGIN IN ROLE smpc_analyst;
CREATE ROLE bob LOGIN IN ROLE smpc_analyst;
CREATE ROLE dora LOGIN IN ROLE smpc_admin;
SELECT smpc.grant_results('ico', 'smpc_analyst');
GRANT USAGE ON FOREIGN SERVER b, c TO smpc_analyst;
GRANT SELECT ON t TO smpc_analyst;
EOS

# psql -XAt output of $sql at party $p as role $user.
sub as_user
{
	my ($p, $user, $sql) = @_;
	my $r = SmpcTest::finish_psql($fed->start_psql($p, $sql, user => $user));
	return ($r->{rc}, $r->{stdout}, $r->{stderr});
}

my $status_sql = "SELECT state, coalesce(array_to_string(waiting_for, ','), ''), "
  . "coalesce(round, ''), requested_by, coalesce(initiated_by, '') "
  . "FROM smpc.job_status WHERE job_id = 'st-wait' AND finished_at IS NULL";

# a (as alice) and b wait for c, which never joins.
my %run = (
	a => $fed->start_psql('a', "SELECT smpc_sum(x, 'st-wait') FROM t", user => 'alice'),
	b => $fed->start_psql('b', "SELECT smpc_sum(x, 'st-wait') FROM t"));
my ($row, $rc, $out, $err) = ('');
for (1 .. 100)
{
	(undef, $row) = as_user('a', 'alice', $status_sql);
	# a also waits for b until b's job has sent its first message: wait
	# until only c, which never joins, is missing.
	last if $row =~ /^waiting\|c\|/;
	sleep 0.1;
}
is($row, 'waiting|c|round 1 (share)|alice|', 'alice sees her job at a waiting for c in round 1');
is($fed->psql('b', $status_sql), 'waiting|c|round 1 (share)|postgres|',
	'the superuser at b sees b waiting for c');
($rc, $out) = as_user('a', 'bob', "SELECT count(*) FROM smpc.job_status WHERE job_id = 'st-wait'");
is($out, '0', "bob, another analyst, does not see alice's job");
($rc, $out) = as_user('a', 'dora', $status_sql);
is($out, 'waiting|c|round 1 (share)|alice|', 'dora (smpc_admin) sees it');
($rc, $out, $err) = as_user('a', 'bob', "SELECT smpc.cancel_job('ico', 'st-wait')");
isnt($rc, 0, 'bob may not cancel it');
like($err, qr/42501: permission denied to cancel job "st-wait" of federation "ico"/,
	'bob: 42501, saying which job');
($rc, $out) = as_user('a', 'alice', "SELECT smpc.cancel_job('ico', 'no-such-job')");
is($out, 'f', 'cancelling a job that does not run: false');
($rc, $out, $err) = as_user('a', 'alice', "SELECT smpc.cancel_job('nope', 'st-wait')");
like($err, qr/federation "nope" does not exist/, 'cancelling in an unknown federation: an error');

my $t0 = time;
($rc, $out) = as_user('a', 'alice', "SELECT smpc.cancel_job('ico', 'st-wait')");
is($out, 't', 'alice cancels her job');
my %res = map { $_ => SmpcTest::finish_psql($run{$_}) } qw(a b);
my $secs = time - $t0;
isnt($res{a}{rc}, 0, 'cancelled: the job fails at a');
like($res{a}{stderr}, qr/57014: canceling statement due to user request/, 'cancelled: 57014 at a');
isnt($res{b}{rc}, 0, 'cancelled: b fails too');
like($res{b}{stderr}, qr/SM004: party a aborted the job/, 'cancelled: b is told that a aborted');
cmp_ok($secs, '<', 10, "cancelled: both stopped ${secs}s after the cancel, not after smpc.timeout");

# The attempts now show as failed, with the reason.
$fed->wait_audit($_, "job_id = 'st-wait'", 1) for qw(a b);
my $done_sql = "SELECT state, sqlstate, reason, finished_at >= started_at, duration >= '0'::interval "
  . "FROM smpc.job_status WHERE job_id = 'st-wait'";
($rc, $out) = as_user('a', 'alice', $done_sql);
is($out, 'failed|57014|canceling statement due to user request|t|t',
	'alice sees her cancelled job as failed, with the reason and timings');
like($fed->psql('b', $done_sql), qr/^failed\|SM004\|party a aborted the job/,
	'b shows its attempt as failed because a aborted');

# Released and refused attempts.
my $all = $fed->run_all("SELECT smpc_sum(x, 'st-done') FROM t");
$fed->expect_all_ok($all, '3', 'a released job');
$fed->wait_audit('a', "job_id = 'st-done'", 1);
is($fed->psql('a', "SELECT state, result, requested_by FROM smpc.job_status WHERE job_id = 'st-done'"),
	'released|sum 3|postgres', 'a released job shows as released with its result');
$fed->psql($_, "SELECT smpc.set_policy('ico', min_rows => 5)") for $fed->names;
$all = $fed->run_all("SELECT smpc_sum(x, 'st-refused') FROM t", timeout => 60);
$fed->expect_all_fail($all, [], 'all refuse under min_rows 5 (one row each)');
$fed->wait_audit('a', "job_id = 'st-refused'", 1);
like($fed->psql('a', "SELECT state || '|' || sqlstate || '|' || reason FROM smpc.job_status WHERE job_id = 'st-refused'"),
	qr/^refused\|SM006\|/, 'a refused job shows as refused with its reason');
is($fed->psql('a', "SELECT count(*) FROM smpc.job_status WHERE finished_at IS NULL"), '0',
	'nothing is left running');

$fed->stop_all;
done_testing();
