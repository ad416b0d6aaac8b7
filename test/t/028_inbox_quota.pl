# One partner cannot take the inbox of a party from everyone else, in any
# state of the job its messages name, and when the inbox is full after all
# the party's own job says so and names who filled it.
#
# Five parties, so that b (the party attacked) has four partners: each may
# hold a quarter of b's inbox, and only all four together can fill it.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes;
use SmpcTest;

my @names = qw(a b c d e);
my %num = (a => 0, b => 1, c => 2, d => 3, e => 4);    # party numbers are 0-based
my $fed = SmpcTest->new(parties => \@names, timeout => '8s');
$fed->psql($_, "CREATE TABLE t(x integer); INSERT INTO t VALUES ($num{$_} + 1)") for @names;
# The deliveries below type messages into SQL text (SmpcTest::quiet_statement_log).
$fed->quiet_statement_log('b', map { $fed->peer_role($_) } grep { $_ ne 'b' } @names);
my $sum = '15';    # 1 + 2 + 3 + 4 + 5

# A psql script that delivers, at b as party $from's peer role, $n test
# messages of $type from $from to b, for job $job (with "%s" in it: a job
# per message, numbered) without stopping at errors.
sub flood_script
{
	my ($from, $job, $type, $n) = @_;
	my $lit = SmpcTest::quote_literal($job);
	return "\\set ON_ERROR_STOP 0\n"
	  . $fed->psql('b',
		"SELECT string_agg(format('SELECT smpc.deliver(%L::bytea);', '\\x' || "
		  . "encode(smpc._test_message('ico', format($lit, g), $num{$from}, $num{b}, '$type'), 'hex')), "
		  . "E'\\n') FROM generate_series(1, $n) g");
}

# Delivers as flood_script says; returns (accepted, refused, stderr).
sub flood
{
	my ($from, $job, $type, $n) = @_;
	my ($rc, $out, $err) =
	  $fed->psql_connstr($fed->peer_connstr('b', $from), flood_script($from, $job, $type, $n));
	my $refused = () = $err =~ /^psql:.*ERROR:/mg;
	return ($n - $refused, $refused, $err);
}

# 1. The issue's attack. At b, an analyst's transaction keeps the released
# job held-1 claimed (as a second aggregate of the same query would, while
# its own job waits). a then delivers 300 well-formed partials for it.
my $held = $fed->start_psql('b',
	"BEGIN;\nSELECT smpc_sum(x, 'held-1') FROM t;\nSELECT pg_sleep(120);\nCOMMIT;\n");
my %others = map { $_ => $fed->start_psql($_, "SELECT smpc_sum(x, 'held-1') FROM t") }
  grep { $_ ne 'b' } @names;
for my $p (sort keys %others)
{
	my $r = SmpcTest::finish_psql($others{$p});
	is($r->{stdout}, $sum, "held-1 released at $p") or diag $r->{stderr};
}
my $sleeping = '0';
for (1 .. 300)
{
	$sleeping = $fed->psql('b',
		"SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(120)%' "
		  . "AND state = 'active'");
	last if $sleeping eq '1';
	Time::HiRes::sleep(0.1);
}
is($sleeping, '1', 'held-1: released at b, its transaction still open');

my ($accepted, $refused, $err) = flood('a', 'held-1', 'partial', 300);
cmp_ok($accepted, '<=', 2, 'a job that ended here takes no flood of messages')
  or diag "accepted $accepted of 300";
like($err, qr/held-1.*released|released.*held-1/, 'flood of an ended job: refused as released');
unlike($err, qr/inbox is full/, 'flood of an ended job: the inbox did not fill');

# Every other job still runs at b, while held-1 stays claimed.
my $res = $fed->run_all("SELECT smpc_sum(x, 'after-flood-1') FROM t");
$fed->expect_all_ok($res, $sum, 'a job after the flood of held-1');

# The analyst's transaction ends (cancelled): held-1's claim goes with it.
$fed->psql('b',
	"SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(120)%'");
my $r = SmpcTest::finish_psql($held);
like($r->{stderr}, qr/canceling statement/, 'held-1: the transaction at b ended');

# 2. Messages of one run of one job from one sender are capped at what a
# run can send, also for a job that has not started here: 40 copies of a
# share (all of one run) leave at most two filed.
($accepted, $refused, $err) = flood('a', 'early-1', 'share', 40);
cmp_ok($accepted, '<=', 2, 'one run of a job that has not started: at most two shares filed')
  or diag "accepted $accepted of 40";
like($err, qr/SM003: party "a" already delivered 2 share messages of this run of job "early-1"/,
	'copies of a share: refused with a clear error');

# 3. What a partner hands back on this party's own calls is the answer to
# the job's call, not a delivery: it never goes through the inbox, so the
# partner's quarter being full cannot fail the job here. a and b are parties
# 0 and 1, so b makes the calls between them and a's messages to b all come
# back on b's calls. Before, b filed them in its inbox under a's quota: with
# the quarter full the job failed at b, and in the last round it failed at b
# after b's own message had gone out, while the others released.
($accepted, $refused, $err) = flood('a', "fill-a-%s", 'share', 70);
cmp_ok($refused, '>', 0, "fill: a's quarter of b's inbox is full") or diag "accepted $accepted of 70";
like($err, qr/53400: too many messages from this partner wait for jobs that have not started here/,
	'fill: a is stopped at its quarter');
# a begins first: a call of b that came before a's job began would make a
# send its share on a call of its own, a delivery that the quota refuses.
my $first = $fed->start_psql('a', "SELECT smpc_sum(x, 'a-quarter-full') FROM t");
my $running = '0';
for (1 .. 300)
{
	$running = $fed->psql('a', "SELECT count(*) FROM smpc.job_status WHERE job_id = 'a-quarter-full'");
	last if $running eq '1';
	Time::HiRes::sleep(0.05);
}
is($running, '1', "a's quarter full: a's job runs before the others begin");
$res = $fed->run_all("SELECT smpc_sum(x, 'a-quarter-full') FROM t", parties => [qw(b c d e)]);
$res->{a} = SmpcTest::finish_psql($first);
$fed->expect_all_ok($res, $sum, "a's quarter of b's inbox full: a job with a runs everywhere");

# 4. A share from the partner that calls b in ordered jobs (c: parties 1
# and 2), for a job that has not begun at b, waits up to 500 ms for it
# there (SMPC_HANDOVER_EARLY_LONG_WAIT_MS), holding one of b's MaxBackends
# handover entries. A role may hold at most a quarter of them in such waits;
# its further calls wait 20 ms, as every other early call does. c's role
# makes a quarter and 5 more such calls at once, for jobs that never begin.
# Each session first delivers a share of another such job (its backend has
# read the catalog then), then all call at the same moment.
$fed->psql('b',
	"CREATE FUNCTION smpc_test_handover_waits(boolean) RETURNS bigint AS 'smpc', 'smpc_test_handover_waits' LANGUAGE C STRICT;\n"
	  . "CREATE FUNCTION smpc_test_handover_long_waits() RETURNS bigint AS 'smpc', 'smpc_test_handover_long_waits' LANGUAGE C STRICT;\n"
	  . "CREATE FUNCTION smpc_test_handover_entries() RETURNS integer AS 'smpc', 'smpc_test_handover_entries' LANGUAGE C STRICT");
my $quarter = int($fed->psql('b', 'SELECT smpc_test_handover_entries()') / 4);
my $calls = $quarter + 5;
my @msgs = split /\n/,
  $fed->psql('b',
	"SELECT encode(smpc._test_message('ico', 'long-warm-' || g, $num{c}, $num{b}), 'hex') || ' ' || "
	  . "encode(smpc._test_message('ico', 'long-wait-' || g, $num{c}, $num{b}), 'hex') "
	  . "FROM generate_series(1, $calls) g ORDER BY g");
my ($early0, $long0) = split /\|/,
  $fed->psql('b', 'SELECT smpc_test_handover_waits(true), smpc_test_handover_long_waits()');
my $at = $fed->psql('b', "SELECT now() + interval '10 s'");
my @long_calls = map {
	my ($warm, $wait) = split / /;
	$fed->start_psql('b',
		"SELECT smpc.deliver('\\x$warm'::bytea);\nSELECT pg_sleep_until('$at');\n"
		  . "SELECT smpc.exchange('\\x$wait'::bytea) IS NULL",
		user => $fed->peer_role('c'), timeout => 60)
} @msgs;
my @long_res = map { SmpcTest::finish_psql($_) } @long_calls;
is(scalar(grep { $_->{rc} eq '0' && $_->{stdout} =~ /\bt$/ } @long_res), $calls,
	'long early waits: every call returns, with nothing back')
  or diag join("\n", map { $_->{stderr} } @long_res);
my ($early1, $long1) = split /\|/,
  $fed->psql('b', 'SELECT smpc_test_handover_waits(true), smpc_test_handover_long_waits()');
is($early1 - $early0, $calls, "long early waits: each of c's $calls calls waited for its job");
is($long1 - $long0, $quarter, "long early waits: $quarter of them, a quarter of b's entries, waited long");

# 5. Each partner may hold a quarter of b's inbox (smpc.max_messages 256):
# a, c, d and e each fill theirs with shares for jobs that never start, and
# the inbox is full. A job then fails at b, and b's own error and audit row
# say why, instead of blaming the partners whose shares b could not take.
for my $p (qw(a c d e))
{
	($accepted, $refused, $err) = flood($p, "fill-$p-%s", 'share', 70);
	cmp_ok($accepted, '<=', 64, "fill: $p holds at most a quarter of b's inbox");
	like($err, qr/53400: too many messages from this partner wait for jobs that have not started here/,
		"fill: $p is stopped at its quarter") if $refused;
}
$res = $fed->run_all("SELECT smpc_sum(x, 'victim-1') FROM t");
$fed->expect_all_fail($res, [], 'a job at a full inbox');
like($res->{b}{stderr}, qr/inbox full at this party/, "b's error: inbox full at this party");
like($res->{b}{stderr}, qr/role "smpc_peer_[acde]" holds \d+/, "b's error: names who filled it");
unlike($res->{b}{stderr}, qr/timed out/, "b's error: does not blame partners for a timeout");
for my $p (qw(a c d e))
{
	unlike($res->{$p}{stderr}, qr/messages of running jobs/,
		"$p: the full inbox is not blamed on running jobs");
}
$fed->wait_audit('b', "job_id = 'victim-1'", 1);
like($fed->psql('b', "SELECT reason FROM smpc.audit_log WHERE job_id = 'victim-1' AND outcome = 'failed'"),
	qr/inbox full at this party.*role "smpc_peer_[acde]" holds/, "b's audit row: inbox full, and who filled it");

$fed->stop_all;
done_testing();
