# Differencing across overlapping federations: a job of {a, b, c, d} and a
# job of {a, b, c} under the same job id would give a, b and c the input of
# d, which takes no part in the second and cannot refuse it.  A job id is
# used once per party across all its federations: a, b and c each refuse
# the second job by themselves, naming the federation the id was used in,
# also while the first job still runs.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use SmpcTest;

my $fed = SmpcTest->new(parties => [qw(a b c d)], federation => 'all4', timeout => '6s');
my %x = (a => 10, b => 20, c => 30, d => 4242);
for my $p ($fed->names)
{
	$fed->psql($p, "CREATE TABLE t (x integer); INSERT INTO t VALUES ($x{$p})");
}
# The smaller federation, at a, b and c only.
$fed->register_federation($_, federation => 'abc', parties => [qw(a b c)]) for qw(a b c);
my @abc = qw(a b c);

my $res = $fed->run_all("SET smpc.federation = 'all4'; SELECT smpc_sum(x, 'q-2026') FROM t");
$fed->expect_all_ok($res, '4302', 'the job of all four parties');

# The same id in the federation without d: refused at a, b and c.
$res = $fed->run_all("SET smpc.federation = 'abc'; SELECT smpc_sum(x, 'q-2026') FROM t",
	parties => \@abc);
$fed->expect_all_fail($res,
	[qr/SM005: job id "q-2026" was already used in federation "all4"/],
	'the same job id in a federation without d');
cmp_ok($res->{$_}{secs}, '<', 4, "party $_ refused at once") for @abc;
for my $p (@abc)
{
	is($fed->psql($p, "SELECT count(*) FROM smpc.jobs WHERE federation = 'abc'"), '0',
		"party $p released nothing in abc: d's input stays hidden");
	is($fed->psql($p, "SELECT outcome, sqlstate FROM smpc.audit_log WHERE federation = 'abc' AND job_id = 'q-2026'"),
		'refused|SM005', "party $p audits the refusal");
}
# A new id works.
$res = $fed->run_all("SET smpc.federation = 'abc'; SELECT smpc_sum(x, 'q-2026-abc') FROM t",
	parties => \@abc);
$fed->expect_all_ok($res, '60', 'the federation without d, under an id of its own');

# While a job runs in one federation, its id is taken in every other: a
# waits in all4 (its partners never join), and the same id in abc is
# refused at once, naming all4.
my $running = $fed->start_psql('a', "SET smpc.federation = 'all4'; SELECT smpc_sum(x, 'q-running') FROM t");
my $seen = 0;
for (1 .. 100)
{
	$seen = $fed->psql('a', "SELECT count(*) FROM smpc.job_status WHERE job_id = 'q-running' AND finished_at IS NULL");
	last if $seen;
	Time::HiRes::sleep(0.05);
}
is($seen, '1', 'the job runs at a');
my ($rc, $out, $err) = $fed->try_psql('a', "SET smpc.federation = 'abc'; SELECT smpc_sum(x, 'q-running') FROM t");
isnt($rc, 0, 'the running id is refused in another federation');
like($err, qr/SM005: job id "q-running" is running in federation "all4" at this party/,
	'and the error names the federation it runs in');
my $first = SmpcTest::finish_psql($running);
like($first->{stderr}, qr/SM001/, 'the job in all4 times out waiting for its partners');

# Scheduled reports name jobs after the report and period alone: the same
# report in two federations is refused in the second.
my $report = "smpc.report_job_id('expenses', 'month', '2026-11-15'::timestamptz)";
$res = $fed->run_all("SET smpc.federation = 'abc'; SELECT smpc_sum(x, $report) FROM t", parties => \@abc);
$fed->expect_all_ok($res, '60', 'a monthly report in abc');
$res = $fed->run_all("SET smpc.federation = 'all4'; SELECT smpc_sum(x, $report) FROM t");
like($res->{$_}{stderr}, qr{SM005: job id "expenses/month/2026-11" was already used in federation "abc"},
	"the same report in all4: party $_ refuses") for @abc;
is($fed->psql('d', "SELECT count(*) FROM smpc.jobs WHERE job_id = 'expenses/month/2026-11'"), '0',
	'd released nothing: its partners refused');

$fed->stop_all;
done_testing();
