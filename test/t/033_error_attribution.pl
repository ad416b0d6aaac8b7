# Errors that name the right party and the real reason, at real servers:
#   - a party whose own input cannot be aggregated (NaN, infinity, a sum out
#     of range) tells its partners at once, with the class of the error, and
#     says NaN for a NaN (not "out of range"); the partners stop within
#     seconds instead of waiting out their timeout and blaming it;
#   - a timeout says how long the job really waited, not one round's timeout;
#   - after an equivocation, no error and no audit row names an honest party
#     as the one that holds a different result;
#   - a party whose confirm could not reach a partner that crashed says
#     that partners may have released;
#   - a job that ended at a partner (its backend terminated) ends at once
#     at a party that sends to it, naming that partner.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);
use SmpcTest;

my $timeout = 40;
my $fed = SmpcTest->new(parties => [qw(a b c)], timeout => "${timeout}s");
$fed->psql($_, 'CREATE TABLE f(x double precision); INSERT INTO f VALUES (1.5), (2.5)')
  for $fed->names;
$fed->psql($_, 'CREATE TABLE n(x numeric); INSERT INTO n VALUES (1), (2)') for $fed->names;

# Waits until the job runs at party $p (it has sent its round one).
sub wait_running
{
	my ($p, $job) = @_;
	for (1 .. 100)
	{
		return 1
		  if $fed->psql($p,
			"SELECT count(*) FROM smpc.job_status WHERE job_id = '$job' AND finished_at IS NULL "
			  . "AND state IN ('running', 'waiting')") eq '1';
		sleep(0.1);
	}
	return 0;
}

# Starts $job (smpc_sum over n) at a, b and c, the parties in @pausing
# pausing before their confirms (smpc.test_fault), each psql killed after
# $secs; waits until $waiter pauses. Returns the runs and whether it did.
sub start_pausing_before_confirm
{
	my ($job, $secs, $waiter, @pausing) = @_;
	my $from = -s $fed->node($waiter)->logfile;
	my %pause = map { $_ => 1 } @pausing;
	my %run = map {
		$_ => $fed->start_psql($_,
			($pause{$_} ? "SET smpc.test_fault = 'pause_before_confirm'; " : '')
			  . "SELECT smpc_sum(x, '$job') FROM n", timeout => $secs)
	} qw(a b c);
	return (\%run, $fed->wait_paused($waiter, $from));
}

# b and c start $job first and wait; then a runs it over its bad input.
# Returns the results and the seconds from a's start to each end.
sub bad_input_at_a
{
	my ($job, $query) = @_;
	my %run;
	$run{$_} = $fed->start_psql($_, $query, timeout => 3 * $timeout) for qw(b c);
	ok(wait_running($_, $job), "$job: party $_ is running the job") for qw(b c);
	my $t0 = time;
	$run{a} = $fed->start_psql('a', $query, timeout => 3 * $timeout);
	my (%res, %secs);
	for my $p (qw(a b c))
	{
		$res{$p} = SmpcTest::finish_psql($run{$p});
		$secs{$p} = time - $t0;
		note sprintf("%s %s: rc=%s %.2fs stderr=[%s]", $job, $p, $res{$p}{rc}, $secs{$p},
			$res{$p}{stderr});
	}
	return (\%res, \%secs);
}

my @cases = (
	[ 'ea-nan', 'f', "INSERT INTO f VALUES ('NaN')", 'smpc_sum',
		qr/ERROR:  22003: cannot aggregate NaN with smpc/, 'it holds NaN' ],
	[ 'ea-inf', 'n', "INSERT INTO n VALUES ('Infinity')", 'smpc_avg',
		qr/ERROR:  22003: cannot aggregate infinity with smpc/, 'it holds infinity' ],
	[ 'ea-big', 'f', "INSERT INTO f VALUES (1e300)", 'smpc_sum',
		qr/ERROR:  22003: double precision sum is out of range for smpc/, 'its sum is out of range' ],
	[ 'ea-var', 'f', "INSERT INTO f VALUES ('-Infinity')", 'smpc_variance',
		qr/ERROR:  22003: cannot aggregate infinity with smpc/, 'it holds infinity' ],
	# Grouped aggregates and histograms too (a call with the job id as %s).
	[ 'ea-grp', 'f', "INSERT INTO f VALUES ('NaN')", "smpc_sum_by('k', x, ARRAY['k'], '%s')",
		qr/ERROR:  22003: cannot aggregate NaN with smpc/, 'it holds NaN' ],
	[ 'ea-grp-big', 'n', "INSERT INTO n VALUES (1e40)", "smpc_avg_by('k', x, ARRAY['k'], '%s')",
		qr/ERROR:  22003: /, 'its sum is out of range' ],
	[ 'ea-hist', 'n', "INSERT INTO n VALUES ('NaN')", "smpc_histogram(x, ARRAY[1.5], '%s')",
		qr/ERROR:  22003: cannot aggregate NaN with smpc/, 'it holds NaN' ],
	[ 'ea-pct', 'f', "INSERT INTO f VALUES ('NaN')", "smpc_percentiles(x, ARRAY[0.5]::float8[], ARRAY[1.5], '%s')",
		qr/ERROR:  22003: cannot aggregate NaN with smpc/, 'it holds NaN' ],
);
for my $case (@cases)
{
	my ($job, $table, $bad, $agg, $a_error, $class) = @$case;
	# Every party's table holds good rows; a's also the bad one.
	(my $t = "t_$job") =~ s/-/_/g;
	$fed->psql($_, "CREATE TABLE $t AS SELECT * FROM $table") for $fed->names;
	(my $insert = $bad) =~ s/INTO \w+/INTO $t/;
	$fed->psql('a', $insert);
	my $call = $agg =~ /\(/ ? sprintf($agg, $job) : "$agg(x, '$job')";
	my ($res, $secs) = bad_input_at_a($job, "SELECT $call FROM $t");
	isnt($res->{a}{rc}, '0', "$job: a fails");
	like($res->{a}{stderr}, $a_error, "$job: a names its input error");
	unlike($res->{a}{stderr}, qr/out of range/, "$job: a's NaN or infinity is not called out of range")
	  if $class ne 'its sum is out of range';
	for my $p (qw(b c))
	{
		isnt($res->{$p}{rc}, '0', "$job: $p fails");
		# (From a, or from the other partner, which passes a's reason on.)
		like($res->{$p}{stderr},
			qr/SM004: party [abc] aborted the job\nDETAIL:  (party a aborted the job: )?party a cannot aggregate its input: \Q$class\E/,
			"$job: $p names a and the class of its input error");
		cmp_ok($secs->{$p}, '<', $timeout / 2,
			"$job: $p stopped at once, not after its timeout of $timeout s");
	}
	is($fed->released_count($_, $job), '0', "$job: nothing released at $_") for $fed->names;
}

# Equivocation: b sends a a wrong partial sum. a's result then differs from
# c's although both are honest: nobody may name a (or c) as the party that
# holds a different result; the errors say what is known.
my $res = $fed->run_all({
	a => "SELECT smpc_sum(x, 'ea-equivocate') FROM n",
	b => "SET smpc.test_fault = 'equivocate_partial'; SELECT smpc_sum(x, 'ea-equivocate') FROM n",
	c => "SELECT smpc_sum(x, 'ea-equivocate') FROM n" });
$fed->expect_all_fail($res, [qr/SM00[348]/], 'b equivocates');
for my $p ($fed->names)
{
	unlike($res->{$p}{stderr}, qr/party [ac] holds a different result/,
		"equivocation: $p does not blame an honest party");
}
ok((grep { $res->{$_}{stderr} =~
			/SM003: the parties opened different results \(transcript digest mismatch between (this party|party \w) and party \w\)/ }
	  $fed->names),
	'equivocation: the digest mismatch is reported as what it is');
for my $p ($fed->names)
{
	for (1 .. 100)
	{
		last if $fed->psql($p, "SELECT count(*) FROM smpc.audit_log WHERE job_id = 'ea-equivocate' AND outcome <> 'opened'") ne '0';
		sleep(0.1);
	}
	my $reasons = $fed->psql($p,
		"SELECT string_agg(reason, ' | ') FROM smpc.audit_log WHERE job_id = 'ea-equivocate'");
	unlike($reasons, qr/party [ac] holds a different result/,
		"equivocation: ${p}'s audit trail does not blame an honest party");
}

# b's own endpoint refuses a's deliveries (b's log would record a's
# statements with their parameters). a fails at once and cannot tell b; c
# hears it from a and tells b. b's analyst learns the reason from the job's
# error, not only from b's server log.
$fed->psql('b', "ALTER ROLE smpc_peer_a SET log_parameter_max_length = -1; "
	  . "ALTER ROLE smpc_peer_a SET log_min_duration_statement = 0");
my %log_run;
$log_run{$_} = $fed->start_psql($_, "SELECT smpc_sum(x, 'ea-logged') FROM n", timeout => 3 * $timeout)
  for qw(b c);
ok(wait_running($_, 'ea-logged'), "logged deliveries: party $_ is running the job") for qw(b c);
# b's round-1 call to a must be over before a starts: a call that arrives
# while a's job runs carries a's share back as its result (handover), which
# b's log does not record, and a would never deliver to b. b shows that it
# waits for a only after its calls of the round returned.
my $b_called = 0;
for (1 .. 100)
{
	$b_called = $fed->psql('b',
		"SELECT count(*) FROM smpc.job_status WHERE job_id = 'ea-logged' AND finished_at IS NULL "
		  . "AND round = 'round 1 (share)' AND 'a' = ANY (waiting_for)") eq '1';
	last if $b_called;
	sleep(0.1);
}
ok($b_called, 'logged deliveries: b called a before a began, and waits for it');
$log_run{a} = $fed->start_psql('a', "SELECT smpc_sum(x, 'ea-logged') FROM n", timeout => 3 * $timeout);
$res = { map { $_ => SmpcTest::finish_psql($log_run{$_}) } qw(a b c) };
note "ea-logged $_: $res->{$_}{stderr}" for qw(a b c);
like($res->{a}{stderr}, qr/party "b" rejected the round 1 \(share\) message: smpc refuses deliveries whose contents the server log would record/,
	'logged deliveries: a names b\'s refusal');
like($res->{b}{stderr},
	qr/DETAIL:  .*party a could not deliver: party "b" rejected the round 1 \(share\) message: smpc refuses deliveries whose contents the server log would record \(SQLSTATE 42501\) With log_[^,]+, the server log records/,
	'logged deliveries: b\'s own error says that b refused a\'s deliveries, and why');
$fed->psql('b', "ALTER ROLE smpc_peer_a SET log_parameter_max_length = 0; "
	  . "ALTER ROLE smpc_peer_a RESET log_min_duration_statement");

# A timeout late in the job: c's job ends (its backend is terminated; its
# server stays up and takes deliveries) just before its confirm goes out; a
# and b wait for it until the confirm round's deadline, several timeouts
# after they started. The error says how long they waited (the job's own
# time, as its audit record has it), not one round's timeout.
my $late = 8;
$fed->psql($_, "ALTER SYSTEM SET smpc.timeout = '${late}s'; SELECT pg_reload_conf()")
  for $fed->names;
my ($late_run, $paused) = start_pausing_before_confirm('ea-late', 10 * $late, 'c', 'c');
ok($paused, 'late timeout: c pauses before its confirm');
$fed->terminate_job_backend('c', 'ea-late');
$res = { map { $_ => SmpcTest::finish_psql($late_run->{$_}) } qw(a b c) };
for my $p (qw(a b))
{
	# (Or it hears first that its partner timed out, and says that.)
	like($res->{$p}{stderr},
		qr/(SM001: |SM004: party [ab] aborted the job\nDETAIL:  )timed out after \d+ s waiting for round \d \(confirm\) from party c/,
		"late timeout: $p times out waiting for c's confirm");
	my ($said) = $res->{$p}{stderr} =~ /timed out after (\d+) s/;
	$said //= -1;
	my $took = '';
	for (1 .. 100)
	{
		$took = $fed->psql($p,
			"SELECT round(extract(epoch FROM finished_at - started_at)) FROM smpc.audit_log "
			  . "WHERE job_id = 'ea-late' AND outcome <> 'opened'");
		last if $took ne '';
		sleep(0.1);
	}
	cmp_ok($said, '>', $late, "late timeout: $p waited more than one round's timeout, and says so");
	cmp_ok(abs($said - ($took || 0)), '<=', 2,
		"late timeout: $p says it waited $said s, as long as its job took ($took s)");
}
ok((grep { $res->{$_}{stderr} =~ /SM001: timed out after \d+ s .*\nDETAIL:  .*smpc\.timeout is $late s per round/ }
	  qw(a b)),
	'late timeout: the party that timed out names the per-round timeout too');
# Its confirm had gone out (the job's values were opened): partners may
# have released, and a retry needs a new job id.
ok((grep {
			$res->{$_}{stderr} =~ /SM001: timed out after \d+ s waiting for round \d \(confirm\).*\nDETAIL:  .* This party's confirm went out: partners that received every confirm may have released the result/
			  && $res->{$_}{stderr} =~ /HINT:  Values of the job were opened, so its id is spent: run it again under a new job id\./
		} qw(a b)),
	'late timeout: the party that timed out says partners may have released, and that the id is spent');

# A split by a crash in the confirm round (SECURITY.md, "Availability"). a
# pauses just before its confirm goes out; c's confirm has reached b by
# then (c calls b; a calls c, and b calls a), and c's server stops. a's
# call to c fails: b holds every confirm and releases, a fails naming c's
# connection and says that partners may have released. a's retry is
# refused: the job's values were opened, so its id is spent.
($late_run, $paused) = start_pausing_before_confirm('ea-split', 10 * $late, 'a', 'a');
ok($paused, 'confirm-round crash: a pauses before its confirm');
sleep(1);
$fed->node('c')->stop('immediate');
$res = { map { $_ => SmpcTest::finish_psql($late_run->{$_}) } qw(a b) };
note "ea-split $_: rc=$res->{$_}{rc} stdout=[$res->{$_}{stdout}] stderr=[$res->{$_}{stderr}]" for qw(a b);
ok($res->{b}{rc} == 0 && $res->{b}{stdout} =~ /^9(\.0+)?$/,
	'confirm-round crash: b, which had every confirm, released the sum');
like($res->{a}{stderr}, qr/ERROR:  08\d\d\d: .*party "c"/,
	'confirm-round crash: a fails naming c\'s connection (SQLSTATE class 08)');
like($res->{a}{stderr},
	qr/CONTEXT:  while sending this party's confirm of job "ea-split": partners that received every confirm may have released the result/,
	'confirm-round crash: a\'s error says that partners may have released');
like(($fed->try_psql('a', "SELECT smpc_sum(x, 'ea-split') FROM n"))[2], qr/SM005/,
	'confirm-round crash: a retry at a is refused, the id is spent');
SmpcTest::finish_psql($late_run->{c});
$fed->node('c')->start;

# The job ended at a partner: a and c pause before their confirms go out;
# c's backend is terminated while it pauses (its server stays up, and its
# end sends no abort). a, resuming (its pause is 3 s), sends its confirm to
# c and is told that the job ended there: a stops within the grace for a
# reason (a second), not at its timeout, and says which partner it was and
# that nothing was released; b hears it from a. c's audit trail holds the
# attempt (its backend queued the record as it ended).
(my $gone_run, $paused) = start_pausing_before_confirm('ea-gone', 10 * $late, 'c', 'a', 'c');
ok($paused, 'ended at a partner: c pauses before its confirm');
is($fed->terminate_job_backend('c', 'ea-gone'), '1',
	'ended at a partner: c\'s job backend is terminated');
my $t_gone = time;
$res = { map { $_ => SmpcTest::finish_psql($gone_run->{$_}) } qw(a b c) };
my $gone_secs = time - $t_gone;
note "ea-gone $_: rc=$res->{$_}{rc} stdout=[$res->{$_}{stdout}] stderr=[$res->{$_}{stderr}]" for qw(a b c);
like($res->{a}{stderr},
	qr/ERROR:  SM004: the job ended at a partner while it ran here\nDETAIL:  party c .*\nHINT:  No result was released here/,
	'ended at a partner: a says the job ended at c, and that nothing was released here');
like($res->{b}{stderr},
	qr/ERROR:  SM004: party a aborted the job\nDETAIL:  the job ended at a partner while it ran here: party c /,
	'ended at a partner: b, which had sent c its confirm, learns from a why the job ended');
cmp_ok($gone_secs, '<', $late, 'ended at a partner: a and b stop before their timeout');
is($fed->wait_audit('c', "job_id = 'ea-gone' AND outcome = 'interrupted'", 1), '1',
	'ended at a partner: c\'s audit trail holds its attempt');
$fed->wait_audit('a', "job_id = 'ea-gone'", 1);
is($fed->psql('a', "SELECT outcome || ' ' || sqlstate FROM smpc.audit_log WHERE job_id = 'ea-gone' AND outcome <> 'opened'"),
	'failed SM004', 'ended at a partner: a\'s audit trail holds the failure');
$fed->stop_all;
done_testing();
