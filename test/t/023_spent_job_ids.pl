# A job id is spent once anything of it was opened (SECURITY.md, "Threat
# model": differencing across a failed run and its retry).
#
# The attack: party c follows the protocol until it holds the partial sums,
# learns the sum, then aborts, so that nobody releases. Late rows arrive at
# b, and the operator (or pg_cron) runs the same job id again: whoever saw
# both runs' partials would learn the difference, b's new rows. Every party
# that sent a partial recorded in its audit log, before the partial left,
# that the job id is spent, so the retry is refused everywhere, naming the
# earlier attempt, and a new job id works. A failure that opened nothing (a
# partner down in the share round) leaves the job id usable.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use SmpcTest;

my $fed = SmpcTest->new(parties => [qw(a b c)], timeout => '4s');
my %input = (a => 10000, b => 15000, c => 20000);
$fed->psql($_, "CREATE TABLE t(x integer); INSERT INTO t VALUES ($input{$_})") for $fed->names;

sub opened
{
	my ($p, $job) = @_;
	return $fed->psql($p, "SELECT count(*) FROM smpc.audit_log WHERE job_id = '$job' AND outcome = 'opened'");
}

# Run 1: c aborts as soon as it has opened the sum.
my $q = "SELECT smpc_sum(x, 'spent-1') FROM t";
my $res = $fed->run_all({ a => $q, b => $q, c => "SET smpc.test_fault = 'abort_after_open'; $q" });
$fed->expect_all_fail($res, [qr/SM00[34]/], 'run 1: c aborts after opening');
like($res->{c}{stderr}, qr/test fault: aborting after opening the result/, 'run 1: c opened, then aborted');
$fed->expect_nothing_released('spent-1', 'run 1');
for my $p ($fed->names)
{
	$fed->wait_audit($p, "job_id = 'spent-1' AND outcome = 'failed'", 1);
	is(opened($p, 'spent-1'), '1', "run 1: $p recorded that it opened job spent-1");
}

# Late rows at b, then the retry under the same job id: refused everywhere,
# before any partner is contacted.
$fed->psql('b', 'INSERT INTO t VALUES (7)');
$res = $fed->run_all($q);
$fed->expect_all_fail($res,
	[qr/SM005: job id "spent-1" of federation "ico" was spent by an earlier attempt that released nothing here\nDETAIL:  The attempt started at [^\n]+ \(smpc.audit_log event [0-9a-f-]+\) sent values that open the result before it failed\./,
	 qr/HINT:  Run the job with a new job id at every party\./],
	'the retry of a job id that opened is refused');
cmp_ok($res->{$_}{secs}, '<', 3, "retry: $_ refused at once") for $fed->names;
$fed->expect_nothing_released('spent-1', 'retry');
for my $p ($fed->names)
{
	$fed->wait_audit($p, "job_id = 'spent-1' AND outcome = 'refused'", 1);
	is($fed->psql($p, "SELECT sqlstate FROM smpc.audit_log WHERE job_id = 'spent-1' AND outcome = 'refused'"),
		'SM005', "retry: $p audits the refusal");
}

# A new job id: everyone, b's late row included.
$res = $fed->run_all("SELECT smpc_sum(x, 'spent-2') FROM t");
$fed->expect_all_ok($res, '45007', 'a new job id after the spent one');
is($fed->psql($_, "SELECT verified FROM smpc.jobs WHERE job_id = 'spent-2'"), 'f',
	"$_: an additive peer-to-peer result is recorded as not verified") for $fed->names;
is($fed->psql('a', "SELECT verified FROM smpc.audit_log WHERE job_id = 'spent-2' AND outcome = 'released'"),
	'f', 'and so is its audit row');

# A failure that opened nothing: c is down in the share round. The job id
# stays usable, and the retry with c back counts every input once.
$fed->node('c')->stop('fast');
$res = $fed->run_all("SELECT smpc_sum(x, 'spent-3') FROM t", parties => [qw(a b)]);
$fed->expect_all_fail($res, [], 'c down in the share round');
is(opened($_, 'spent-3'), '0', "c down: $_ opened nothing") for qw(a b);
$fed->node('c')->start;
$res = $fed->run_all("SELECT smpc_sum(x, 'spent-3') FROM t");
$fed->expect_all_ok($res, '45007', 'the retry after a failure that opened nothing works');
is(opened($_, 'spent-3'), '1', "retry: $_ recorded the run that released") for $fed->names;

# Re-reading the released job is still answered from the stored result.
$res = $fed->run_all("SELECT smpc_sum(x, 'spent-3') FROM t");
$fed->expect_all_ok($res, '45007', 'the released job read again');

$fed->stop_all;
done_testing();
