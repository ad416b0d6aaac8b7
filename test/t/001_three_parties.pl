# The ICO example end to end: three organisations, one expenditure each,
# compute the joint average without any of them seeing another's figure.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use SmpcTest;

my $fed = SmpcTest->new(parties => [qw(a b c)], timeout => '20s');

my %input = (a => 10000, b => 15000, c => 20000);
for my $p ($fed->names)
{
	$fed->psql($p, "CREATE TABLE expenses(expenditure bigint);"
		  . "INSERT INTO expenses VALUES ($input{$p});");
}

# Federation registered at every party.
for my $p ($fed->names)
{
	my $r = $fed->run_all({ $p => 'SELECT 1' });
	is($r->{$p}{rc}, 0, "party $p answers");
}

my $job = 'ico-avg-1';
my $res = $fed->run_all("SELECT smpc_avg(expenditure, '$job') FROM expenses");
my $out = $fed->expect_all_ok($res, sub { $fed->numeric_eq('a', $_[0], '15000') },
	'joint average');
is(scalar(keys %$out), 3, 'all three parties got a result');
my %distinct = map { $_ => 1 } values %$out;
is(scalar(keys %distinct), 1, 'all parties print the same result')
  or diag explain $out;
cmp_ok($res->{$_}{secs}, '<', 15, "party $_ finished well within smpc.timeout")
  for $fed->names;

# Sum and count over the same data, one job each.
$res = $fed->run_all("SELECT smpc_sum(expenditure, 'ico-sum-1') FROM expenses");
$fed->expect_all_ok($res, sub { $fed->numeric_eq('a', $_[0], '45000') }, 'joint sum');
$res = $fed->run_all("SELECT smpc_count(expenditure, 'ico-count-1') FROM expenses");
$fed->expect_all_ok($res, '3', 'joint count');

# The released result is recorded at every party, once.
for my $p ($fed->names)
{
	my $row = $fed->psql($p,
		"SELECT federation, state, result FROM smpc.jobs WHERE job_id = '$job'");
	my ($federation, $state, $result) = split /\|/, $row, -1;
	is($federation, 'ico', "party $p: job row names the federation");
	is($state, 'released', "party $p: job state is released");
	# The stored result is the average, or the joint (sum, count) it came from.
	my $stored_ok =
	  $result =~ /^(-?[0-9.]+),([0-9]+)$/
	  ? $fed->psql('a', "SELECT $1::numeric / $2 = 15000") eq 't'
	  : $fed->numeric_eq('a', $result, '15000');
	ok($stored_ok, "party $p: stored result is 15000 (or 45000,3)")
	  or diag("stored: [$row]");
	is($fed->psql($p, "SELECT count(*) FROM smpc.jobs WHERE job_id = '$job'"),
		'1', "party $p: exactly one job row");
}

# Party a's database holds nothing of b's (15000) or c's (20000) inputs,
# except the released average itself, which happens to equal b's figure.
# Checked twice: in a pg_dump of org_a, and by reading every row of every
# table (extension tables too, which pg_dump may leave out) as text.
my $node_a = $fed->node('a');

# Lines of $text (from $table) that mention 15000 or 20000, other than the
# released average of $job in smpc.jobs.
sub foreign_hits
{
	my ($table, $text) = @_;
	return () unless $text =~ /(?<![0-9A-Za-z])(15000|20000)(?![0-9A-Za-z])/;
	my @nums = $text =~ /(?<![0-9A-Za-z])(15000|20000)(?![0-9A-Za-z])/g;
	return ()
	  if $table eq 'smpc.jobs'
	  && $text =~ /\Q$job\E/
	  && !grep { $_ ne '15000' } @nums;
	return ("$table: $text");
}

my ($dump, $dump_err) = ('', '');
IPC::Run::run(
	[ $node_a->installed_command('pg_dump'), '--data-only', '-d', $node_a->connstr('org_a') ],
	'>', \$dump, '2>', \$dump_err)
  or die "pg_dump failed: $dump_err";
my @hits;
my $table = '';
for my $line (split /\n/, $dump)
{
	$table = $1 if $line =~ /^COPY (\S+)/;
	$table = '' if $line eq '\\.';
	push @hits, foreign_hits($table, $line);
}
ok(length($dump) > 0, 'pg_dump of org_a produced output');
is_deeply(\@hits, [], "org_a's dump holds no trace of b's or c's inputs")
  or diag join("\n", @hits);
like($dump, qr/(?<![0-9])10000(?![0-9])/, "org_a's dump does hold a's own input");

my @tables = split /\n/, $fed->psql('a', q{
	SELECT format('%I.%I', n.nspname, c.relname)
	FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	WHERE c.relkind IN ('r', 'p', 'm')
	  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
	ORDER BY 1});
ok((grep { $_ eq 'smpc.jobs' } @tables), 'smpc.jobs is among the tables read')
  or diag "tables: @tables";
@hits = ();
for my $t (@tables)
{
	my $rows = $fed->psql('a', "SELECT x::text FROM $t AS x");
	push @hits, foreign_hits($t, $_) for split /\n/, $rows;
}
is_deeply(\@hits, [], "no table in org_a holds b's or c's inputs")
  or diag join("\n", @hits);

# Peer to peer without dropout tolerance, a pair's messages travel on one
# call, made by one of the two (handover.cpp): a and c (0 + 2 even: the
# lower, a), b and a (odd: the higher, b), c and b (c). So each party is
# called by one partner in every round (at least 3 calls a job), and the
# other calls it at most for its share (when that partner's call came
# before the job started here): at most 12 calls a job in all, against 18
# with a call each way. (The servers log every execution.)
my %offset = map { $_ => -s $fed->node($_)->logfile } $fed->names;
my $pair_jobs = 5;
for my $i (1 .. $pair_jobs)
{
	$res = $fed->run_all("SELECT smpc_sum(expenditure, 'ico-pairs-$i') FROM expenses");
	$fed->expect_all_ok($res, sub { $fed->numeric_eq('a', $_[0], '45000') }, "pairs: job $i");
}
my %calls;
my $all_calls = 0;
for my $p ($fed->names)
{
	my $log = PostgreSQL::Test::Utils::slurp_file($fed->node($p)->logfile, $offset{$p});
	$calls{$p} = () = $log =~ /execute smpc_deliver:/g;
	$all_calls += $calls{$p};
	cmp_ok($calls{$p}, '>=', 3 * $pair_jobs,
		"pairs: party $p is called in every round ($calls{$p} calls in $pair_jobs jobs)");
}
cmp_ok($all_calls, '<=', 12 * $pair_jobs,
	"pairs: one call per pair and round ($all_calls calls in $pair_jobs jobs)");

# A share that reaches a party just before its job begins there: the call
# files it and waits for the job's own share. The wait is set up before the
# share is filed, so the job, which finds the share when it begins, finds
# the call waiting too and hands its share over. (When the wait was set up
# after the filing, a job that began in between sent its share itself, over
# a connection of its own: in a warm 25-party federation about 20 new TLS
# connections in every job.) a calls c; c's calls from a pause for a second
# after filing a share (smpc.test_fault), and b and c begin 0.3 s after a.
$fed->psql('c', "ALTER ROLE " . $fed->peer_role('a') . " SET smpc.test_fault = 'pause_after_filing'");
%offset = map { $_ => -s $fed->node($_)->logfile } $fed->names;
$res = $fed->run_all({
	a => "SELECT smpc_sum(expenditure, 'ico-early') FROM expenses",
	b => "SELECT smpc_sum(expenditure, 'ico-early') FROM expenses, pg_sleep(0.3)",
	c => "SELECT smpc_sum(expenditure, 'ico-early') FROM expenses, pg_sleep(0.3)" });
$fed->expect_all_ok($res, sub { $fed->numeric_eq('a', $_[0], '45000') }, 'early share: joint sum');
$fed->psql('c', "ALTER ROLE " . $fed->peer_role('a') . " RESET smpc.test_fault");
my $c_log = PostgreSQL::Test::Utils::slurp_file($fed->node('c')->logfile, $offset{c});
like($c_log, qr/execute smpc_deliver:/, 'early share: a called c');
my $a_log = PostgreSQL::Test::Utils::slurp_file($fed->node('a')->logfile, $offset{a});
my $user_c = $fed->peer_role('c');
unlike($a_log, qr/connection authorized: user=$user_c /,
	'early share: c handed its share back on the waiting call, opening no connection to a');

# The same without the pause: c's job begins 0.25 s after a's. a is the
# only one of the pair that calls, so a's call, which reaches c first,
# waits for c's job to begin (up to SMPC_HANDOVER_EARLY_LONG_WAIT_MS) and
# takes c's share back. When that call waited only 20 ms, it returned
# empty, and c sent its share itself over a connection to a of its own: at
# 25 parties, where the last party's job begins a few hundred ms after the
# first's, a warm session opened about 300 such connections over its first
# jobs. (c counts its long waits: the test is void unless a's share
# reached c before c's job began.)
$fed->psql('c',
	"CREATE FUNCTION smpc_test_handover_long_waits() RETURNS bigint AS 'smpc', 'smpc_test_handover_long_waits' LANGUAGE C STRICT");
my $long0 = $fed->psql('c', 'SELECT smpc_test_handover_long_waits()');
%offset = map { $_ => -s $fed->node($_)->logfile } $fed->names;
$res = $fed->run_all({
	a => "SELECT smpc_sum(expenditure, 'ico-late-start') FROM expenses",
	b => "SELECT smpc_sum(expenditure, 'ico-late-start') FROM expenses, pg_sleep(0.25)",
	c => "SELECT smpc_sum(expenditure, 'ico-late-start') FROM expenses, pg_sleep(0.25)" });
$fed->expect_all_ok($res, sub { $fed->numeric_eq('a', $_[0], '45000') }, 'late start: joint sum');
is($fed->psql('c', 'SELECT smpc_test_handover_long_waits()') - $long0, 1,
	'late start: a\'s share reached c before its job began, and its call waited long');
$a_log = PostgreSQL::Test::Utils::slurp_file($fed->node('a')->logfile, $offset{a});
unlike($a_log, qr/connection authorized: user=$user_c /,
	'late start: a\'s call waited for c\'s job, which opened no connection to a');

# The servers log every statement (log_statement = all in these tests), but
# partners' login roles have log_parameter_max_length = 0, so no delivered
# message (they start with "SMPC", hex 534d5043) reaches a server log.
for my $p ($fed->names)
{
	my $log = PostgreSQL::Test::Utils::slurp_file($fed->node($p)->logfile);
	like($log, qr/SELECT smpc\.exchange/, "party $p logged the deliveries");
	unlike($log, qr/534d5043/i, "party $p: no message bytes in the server log");
}

$fed->stop_all;
done_testing();
