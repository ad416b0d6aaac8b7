# A party whose server stops in the middle of a job keeps the record of
# that attempt, and learns from its partners what their release covered.
#
# Shamir 3-of-5 among a to e; e's shares go out, then (smpc.test_fault
# pause_before_roster) its server is restarted (fast) or stopped at once
# (immediate) while it pauses. The others go on and release a sum that
# covers e's input. Then, at e:
#   - smpc.audit_log holds the interrupted attempt (outcome 'interrupted'):
#     its record was on disk before its first share left, and the restarted
#     server replayed it;
#   - e's retry is refused, and the refusal says the truth: its input IS in
#     the partners' result (they said whose inputs it covers), not "its
#     input is not in their result";
#   - the retry's audit record names what the partners' release covers.
# A party that really was left out (too late) is still told so.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use SmpcTest;

my @names = qw(a b c d e);
my @others = qw(a b c d);
my $fed = SmpcTest->new(parties => \@names, timeout => '4s');
# Powers of two: a sum tells exactly whose inputs it covers.
my %input = (a => 1, b => 2, c => 4, d => 8, e => 16);
for my $p (@names)
{
	$fed->psql($p, "CREATE TABLE t(x integer); INSERT INTO t VALUES ($input{$p})");
	$fed->register_federation($p, federation => 'sh', threshold => 3);
}
my $use = "SET smpc.federation = 'sh';\n";

sub covers
{
	my ($p, $job) = @_;
	return $fed->psql($p,
		"SELECT array_to_string(covers, ',') FROM smpc.jobs WHERE federation = 'sh' AND job_id = '$job'");
}

# e's server goes down (how: 'restart_after' or 'stop_after') after its
# shares left; the others release over all five inputs.
sub interrupt_e
{
	my ($job, $how) = @_;
	my $res = $fed->run_all({
		(map { $_ => $use . "SELECT smpc_sum(x, '$job') FROM t" } @others),
		e => $use . "SET smpc.test_fault = 'pause_before_roster';\nSELECT smpc_sum(x, '$job') FROM t"
	}, $how => { e => 1.5 });
	$fed->expect_all_ok({ map { $_ => $res->{$_} } @others }, '31',
		"$job: the others release over every input");
	isnt($res->{e}{rc}, '0', "$job: e's attempt did not finish");
	for my $p (@others)
	{
		is(covers($p, $job), 'a,b,c,d,e', "$job: ${p}'s release covers e's input");
	}
	$fed->node('e')->start if $how eq 'stop_after';
	return;
}

# What e's audit trail and its retry say afterwards.
sub expect_truth_at_e
{
	my ($job) = @_;
	# The interrupted attempt, replayed at startup (no job has run since).
	is($fed->wait_audit('e', "job_id = '$job' AND outcome = 'interrupted'", 1), '1',
		"$job: e's audit trail holds the interrupted attempt");
	like($fed->psql('e',
			"SELECT aggregate || ' ' || array_to_string(partners, ',') || ' ' || (finished_at >= started_at) "
			  . "|| ' ' || reason FROM smpc.audit_log WHERE job_id = '$job' AND outcome = 'interrupted'"),
		qr/^sum\(integer\) a,b,c,d true .*server stopped/,
		"$job: the interrupted record says what ran, with whom, and that the server stopped");

	my $res = $fed->run_all($use . "SELECT smpc_sum(x, '$job') FROM t", parties => ['e']);
	isnt($res->{e}{rc}, '0', "$job: e's retry is refused");
	like($res->{e}{stderr}, qr/SM009: job was already released at party "[a-d]" with this party's input/,
		"$job: e is told its input is in the partners' result");
	like($res->{e}{stderr}, qr/covers the inputs of a, b, c, d, e/,
		"$job: e is told whose inputs the release covers");
	unlike($res->{e}{stderr}, qr/not in\s+their result|without this party/,
		"$job: e is not told its input is missing");
	is($fed->wait_audit('e', "job_id = '$job' AND outcome = 'failed'", 1), '1',
		"$job: e's retry is in its audit trail");
	is($fed->psql('e',
			"SELECT sqlstate || ' ' || array_to_string(covers, ',') FROM smpc.audit_log "
			  . "WHERE job_id = '$job' AND outcome = 'failed'"),
		'SM009 a,b,c,d,e', "$job: the retry's record says what the partners' release covers");
	like($fed->psql('e', "SELECT reason FROM smpc.audit_log WHERE job_id = '$job' AND outcome = 'failed'"),
		qr/with this party's input/, "$job: the retry's record says e's input is in it");
	is($fed->psql('e', "SELECT count(*) FROM smpc.audit_log WHERE job_id = '$job' AND outcome <> 'opened'"),
		'2', "$job: e's audit trail holds both attempts, no more");
	is($fed->released_count('e', $job), '0', "$job: e stores no result");
	return;
}

# Fast restart: the backend is terminated, the audit writer shut down.
interrupt_e('crash-fast', 'restart_after');
expect_truth_at_e('crash-fast');

# Immediate stop: no process of e's server gets to do anything more.
interrupt_e('crash-immediate', 'stop_after');
expect_truth_at_e('crash-immediate');

# A job that went on without e (e later than the timeout): e is told that
# its input is not in the result, and which inputs are.
my $res = $fed->run_all({
	(map { $_ => $use . "SELECT smpc_sum(x, 'crash-late') FROM t" } @others),
	e => $use . "SELECT pg_sleep(9);\nSELECT smpc_sum(x, 'crash-late') FROM t" });
$fed->expect_all_ok({ map { $_ => $res->{$_} } @others }, '15', 'too late: the others release without e');
isnt($res->{e}{rc}, '0', 'too late: e fails');
like($res->{e}{stderr}, qr/SM009: job was already released at party "[a-d]" without this party/,
	'too late: e is told the job was released without it');
like($res->{e}{stderr}, qr/its input is not in their result \(it covers the inputs of a, b, c, d\)/,
	'too late: e is told whose inputs the release covers');
$fed->wait_audit('e', "job_id = 'crash-late'", 1);
is($fed->psql('e', "SELECT outcome || ' ' || array_to_string(covers, ',') FROM smpc.audit_log "
		  . "WHERE job_id = 'crash-late' AND outcome <> 'opened'"),
	'failed a,b,c,d', "too late: e's record says what the release covers");

# Nothing was left behind: no record waits on disk at e once replayed.
my $dir = $fed->node('e')->data_dir . '/smpc_audit';
my @left;
for (1 .. 50)
{
	@left = grep { -f $_ } glob("$dir/*/*");
	last unless @left;
	Time::HiRes::sleep(0.1);
}
is(scalar(@left), 0, 'no durable audit record is left at e') or diag join(', ', @left);

$fed->stop_all;
done_testing();
