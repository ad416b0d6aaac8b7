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
	my ($job, $why) = @_;
	$why //= qr/server stopped/;
	# The interrupted attempt: replayed at startup from its file (no job
	# has run since), or, where the backend ended with the server up
	# (terminated; or a fast shutdown that let the writer store it first),
	# queued by the backend as it ended.
	is($fed->wait_audit('e', "job_id = '$job' AND outcome = 'interrupted'", 1), '1',
		"$job: e's audit trail holds the interrupted attempt");
	like($fed->psql('e',
			"SELECT aggregate || ' ' || array_to_string(partners, ',') || ' ' || (finished_at >= started_at) "
			  . "|| ' ' || reason FROM smpc.audit_log WHERE job_id = '$job' AND outcome = 'interrupted'"),
		qr/^sum\(integer\) a,b,c,d true .*$why/,
		"$job: the interrupted record says what ran, with whom, and why it ended ($why)");

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

# Fast restart: the backend is terminated, the audit writer shut down (the
# backend's own record, or the file at the next start, whichever is first:
# both say the server stopped).
interrupt_e('crash-fast', 'restart_after');
expect_truth_at_e('crash-fast');

# Immediate stop: no process of e's server gets to do anything more (only
# the file at the next start can record the attempt).
interrupt_e('crash-immediate', 'stop_after');
expect_truth_at_e('crash-immediate');

# A backend terminated in the middle of a job (pg_terminate_backend, as a
# DBA or a pooler's reaper does, or any FATAL error) ends without the job's
# error handling, and its server stays up: no restart will come to store
# the attempt's file. The backend queues the attempt's record as it exits.
{
	my $job = 'crash-terminated';
	my $e_log = -s $fed->node('e')->logfile;
	my $started = $fed->psql('e', 'SELECT pg_postmaster_start_time()');
	my %run = map {
		$_ => $fed->start_psql($_,
			$use
			  . ($_ eq 'e' ? "SET smpc.test_fault = 'pause_before_roster';\n" : '')
			  . "SELECT smpc_sum(x, '$job') FROM t")
	} @names;
	ok($fed->wait_paused('e', $e_log), "$job: e pauses after its shares left");
	is($fed->terminate_job_backend('e', $job), '1', "$job: e's job backend is terminated");
	my $res = { map { $_ => SmpcTest::finish_psql($run{$_}) } @names };
	$fed->expect_all_ok({ map { $_ => $res->{$_} } @others }, '31',
		"$job: the others release over every input");
	like($res->{e}{stderr}, qr/terminating connection due to administrator command/,
		"$job: e's attempt ended with its backend");
	is($fed->psql('e', 'SELECT pg_postmaster_start_time()'), $started,
		"$job: e's server did not restart");
	expect_truth_at_e($job, qr/backend ended .*terminated/);
}

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

# Files at e that a crash or the disk left behind, planted as a stopped
# server would leave them: named <event id>.<life> for a life of the server
# that has ended (the server draws a random one whenever it starts). An
# attempt's file is the magic "SMPCaud1", the record (a fixed part, then 19
# texts, each a 32-bit length and bytes; the layout of
# src/pg/audit/audit.cpp) and a CRC-32C of both. A crash cuts a file short
# only before its fsync returned, so before its attempt sent anything.
# When the writer next starts:
#   - whole: stored as 'interrupted' (this also checks the planted layout);
#   - a zeroed stretch inside a text (the lengths still fit, so the record
#     alone would decode): the CRC does not match, so it is deleted with a
#     warning;
#   - cut in the middle, without the magic (a record as it is, with no
#     frame), empty, or framed but holding no whole record: deleted with a
#     warning.
# Whatever their times, files named with the life that runs are left alone.
sub crc32c
{
	my ($data) = @_;
	my $crc = 0xFFFFFFFF;
	for my $byte (unpack('C*', $data))
	{
		$crc ^= $byte;
		$crc = ($crc >> 1) ^ (($crc & 1) ? 0x82F63B78 : 0) for 1 .. 8;
	}
	return $crc ^ 0xFFFFFFFF;
}

sub planted_record
{
	my ($event, $job) = @_;
	my @texts = ($event, 'sh', $job, 'sum(integer)', 'postgres', 'postgres', '0' x 64, 'a,b,c,d',
		'interrupted', undef, 'planted by the test: ' . ('x' x 2000), (undef) x 8);
	# started_at 2000-01-01 (an earlier life), finished_at, outside_bounds, backend_pid, padding
	my $record = pack('q<q<q<l<x4', 0, 0, 0, 4242);
	$record .= defined $_ ? pack('V', length $_) . $_ : pack('V', 0xFFFFFFFF) for @texts;
	return $record;
}

sub planted_file
{
	my ($record) = @_;
	my $framed = 'SMPCaud1' . $record;
	return $framed . pack('V', crc32c($framed));
}

my $oid = $fed->psql('e', 'SELECT oid FROM pg_database WHERE datname = current_database()');
my %event = map { $_ => sprintf('00000000-0000-4000-8000-%012d', $_ + 1) } 0 .. 7;
my ($whole, $bare, $holed, $cut, $empty, $short, $old_name, $old_tmp) = map { $event{$_} } 0 .. 7;
my %content = (
	$whole => planted_file(planted_record($whole, 'planted-whole')),
	$bare => planted_record($bare, 'planted-bare'),
	$holed => planted_file(planted_record($holed, 'planted-holed')),
	$cut => substr(planted_file(planted_record($cut, 'planted-cut')), 0, 500),
	$empty => '',
	$short => planted_file('too short for a record'),
	$old_name => planted_file(planted_record($old_name, 'planted-old-name')),
	$old_tmp => planted_file(planted_record($old_tmp, 'planted-old-tmp')));
substr($content{$holed}, 1000, 300) = "\0" x 300;    # inside the reason text
mkdir "$dir/$oid";
my $life = '00000000000000a1';    # ended: e restarts below, drawing a new one
# Development builds named them <event id>, and wrote <event id>.tmp first.
my %name = map { $_ => "$_.$life" } keys %content;
$name{$old_name} = $old_name;
$name{$old_tmp} = "$old_tmp.tmp";
for my $event (keys %content)
{
	my $path = "$dir/$oid/$name{$event}";
	open(my $fh, '>:raw', $path) or die "$path: $!";
	print $fh $content{$event};
	close $fh;
}
my $log_from = -s $fed->node('e')->logfile;
$fed->node('e')->restart;
is($fed->wait_audit('e', "job_id IN ('planted-whole', 'planted-old-name') AND outcome = 'interrupted'", 2), '2',
	'planted files: a whole file, and one named as development builds did, are stored as interrupted attempts');
my @gone = ($whole, $bare, $holed, $cut, $empty, $short, $old_name, $old_tmp);
for (1 .. 100)
{
	last unless grep { -e "$dir/$oid/$name{$_}" } @gone;
	Time::HiRes::sleep(0.1);
}
my $log = slurp_file($fed->node('e')->logfile, $log_from);
for my $case ([ $holed, 'a zeroed stretch', 'its CRC does not match' ],
	[ $cut, 'cut in the middle', 'its CRC does not match' ],
	[ $bare, 'no magic', 'it does not start as such a file does' ],
	[ $empty, 'empty', 'it does not start as such a file does' ],
	[ $short, 'framed, no whole record', 'it holds no whole record' ])
{
	my ($event, $what, $why) = @$case;
	ok(!-e "$dir/$oid/$event.$life", "planted files: $what: deleted");
	like($log, qr/smpc audit writer removed "[^"]*\Q$event.$life\E" \(\d+ bytes\): the record of an attempt that was [^\n]*\Q$why\E/,
		"planted files: $what: the server log says why");
}
is($fed->psql('e', "SELECT count(*) FROM smpc.audit_log WHERE job_id LIKE 'planted-%' AND job_id <> 'planted-whole' "
		  . "AND job_id <> 'planted-old-name' OR event_id IN ('$empty', '$short')"),
	'0', 'planted files: nothing else is stored (a temporary file neither)');
ok(!-e "$dir/$oid/$name{$_}", "planted files: $name{$_} is deleted") for ($whole, $old_name, $old_tmp);

# A file named with the life that runs is never touched, however old its
# times: a writer that starts in this life (after the one above is
# terminated, for a job's records) leaves it, and stores it only once the
# server has restarted, in another life.
my ($life_now) = slurp_file($fed->node('e')->logfile, $log_from)
  =~ /.*the files of this life of the server end in "\.([0-9a-f]{16})"/s;
ok(defined $life_now && $life_now ne $life, 'this life: the writer logged its life');
my $running = sprintf('00000000-0000-4000-8000-%012d', 99);
my $running_path = "$dir/$oid/$running.$life_now";
open(my $rfh, '>:raw', $running_path) or die "$running_path: $!";
print $rfh planted_file(planted_record($running, 'planted-this-life'));
close $rfh;
utime(time - 3600, time - 3600, $running_path) or die "$running_path: $!";
$fed->psql('e', "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'smpc audit writer'");
for (1 .. 100)
{
	last if $fed->psql('e', "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'smpc audit writer'") eq '0';
	Time::HiRes::sleep(0.1);
}
$res = $fed->run_all($use . "SELECT smpc_sum(x, 'life-1') FROM t");
$fed->expect_all_ok($res, '31', 'this life: a job');
$fed->wait_audit('e', "job_id = 'life-1' AND outcome = 'released'", 1);
ok(-e $running_path, 'this life: a new writer leaves the file of this life alone');
is($fed->psql('e', "SELECT count(*) FROM smpc.audit_log WHERE job_id = 'planted-this-life'"), '0',
	'this life: and stores nothing of it');
$fed->node('e')->restart;
is($fed->wait_audit('e', "job_id = 'planted-this-life' AND outcome = 'interrupted'", 1), '1',
	'next life: the file is stored as an interrupted attempt');

# The folder removed by hand between two jobs of one session at e (made
# durable once in this life of the server): the second job makes it again.
my $res2 = $fed->run_all({
	(map { $_ => $use . "SELECT smpc_sum(x, 'dir-1') FROM t;\nSELECT smpc_sum(x, 'dir-2') FROM t" } @others),
	e => $use . "SELECT smpc_sum(x, 'dir-1') FROM t;\n\\! rm -rf '$dir'\nSELECT smpc_sum(x, 'dir-2') FROM t" });
$fed->expect_all_ok($res2, "31\n31", 'the directory removed between two jobs: the second makes it again');

$fed->stop_all;
done_testing();
