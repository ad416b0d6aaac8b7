# Job ids a partner cannot take, and stored results only for the same job.
#
# 1. A partner's analyst starts, through smpc_run on a published dataset, a
#    job under next month's smpc.report_job_id. It must not take that id at
#    any party: jobs that smpc_run starts have ids of their own, prefixed by
#    the starting party ("a:..."), which no local job may take, so next
#    month's report still runs everywhere.
# 2. A released job id re-run over another column (or other bounds) is
#    refused with SM005 naming both jobs, instead of returning the first
#    column's stored result; the same job gets its stored result back, and
#    the NOTICE names what it read.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use SmpcTest;

my $fed = SmpcTest->new(
	parties => [qw(a b c)],
	timeout => '20s',
	conf => "max_worker_processes = 24\n");
my %rows = (
	a => '(100, 1000), (150, 1500)',
	b => '(200, 2000)',
	c => '(300, 3000), (50, 500)');
for my $p ($fed->names)
{
	$fed->psql($p, <<"EOS");
CREATE TABLE cars(horsepower integer, weight integer);
INSERT INTO cars VALUES $rows{$p};
CREATE ROLE reporting LOGIN IN ROLE smpc_analyst;
CREATE ROLE alice LOGIN IN ROLE smpc_analyst;
GRANT SELECT ON cars TO reporting, alice;
SELECT smpc.grant_results('ico', 'smpc_analyst');
GRANT USAGE ON FOREIGN SERVER @{[ join ', ', grep { $_ ne $p } $fed->names ]} TO smpc_analyst;
SELECT smpc.set_bounds('ico', 'horsepower', 0, 1000);
SELECT smpc.set_bounds('ico', 'weight', 0, 10000);
SELECT smpc.publish('ico', 'fleet', 'SELECT horsepower, weight FROM cars',
                    ARRAY['horsepower', 'weight'], run_as => 'reporting');
EOS
}

# --- 1. Squatting next month's report id ---------------------------------------
my $report = $fed->psql('a', "SELECT smpc.report_job_id('fleet', 'month', now() + interval '1 month')");
my $r = SmpcTest::finish_psql($fed->start_psql('a',
		"SELECT job, value FROM smpc_run('ico', 'fleet', 'sum', 'weight', '$report')", user => 'alice'));
is($r->{rc}, 0, 'smpc_run under a report id runs') or diag($r->{stderr});
my ($job, $value) = split /\|/, $r->{stdout} // '';
is($job, "a:$report", 'smpc_run puts the job under the starting party\'s prefix');
ok($fed->numeric_eq('a', $value // 0, '8000'), "the joint sum of weight is 8000 (got @{[ $value // '' ]})");
for my $p ($fed->names)
{
	$fed->wait_audit($p, "job_id = 'a:$report'", 1);
	is($fed->psql($p, "SELECT count(*) FROM smpc.jobs WHERE job_id = '$report'"), '0',
		"party $p: the report's own id is untouched");
	is($fed->psql($p, "SELECT count(*) FROM smpc.audit_log WHERE job_id = '$report'"), '0',
		"party $p: no attempt under the report's own id");
}

# Next month's report, as every party schedules it, still runs.
my $res = $fed->run_all("SELECT smpc_sum(weight, '$report') FROM cars");
$fed->expect_all_ok($res, sub { $fed->numeric_eq('a', $_[0], '8000') }, 'the scheduled report under its id');

# A local job cannot take an id of a party's smpc_run namespace (so a
# partner could never take it from under it), in this or another federation.
$res = $fed->run_all("SELECT smpc_sum(weight, 'b:q4') FROM cars", parties => ['a']);
$fed->expect_all_fail($res, [qr/SM005: job id "b:q4" is in the namespace of party "b"/],
	'a local job under a partner-started id');
is($fed->wait_audit('a', "job_id = 'b:q4'", 1), 1, 'the refusal is audited');
like($fed->psql('a', "SELECT outcome || ' ' || sqlstate || ' ' || reason FROM smpc.audit_log WHERE job_id = 'b:q4'"),
	qr/^(refused|failed) SM005 .*namespace of party "b"/, 'with its reason');

# smpc_run with an id already in its own namespace keeps it (so the id it
# returned can be passed again: the stored result comes back).
$r = SmpcTest::finish_psql($fed->start_psql('a',
		"SELECT job, value FROM smpc_run('ico', 'fleet', 'sum', 'weight', 'a:$report')", user => 'alice'));
is($r->{rc}, 0, 'smpc_run under the id it returned') or diag($r->{stderr});
($job, $value) = split /\|/, $r->{stdout} // '';
is($job, "a:$report", 'the same id');
ok($fed->numeric_eq('a', $value // 0, '8000'), 'the stored result');
# Another party's prefix is not a's to take: it gets a's prefix in front.
$r = SmpcTest::finish_psql($fed->start_psql('a',
		"SELECT job FROM smpc_run('ico', 'fleet', 'count', 'weight', 'b:cnt')", user => 'alice'));
is($r->{stdout}, 'a:b:cnt', 'a partner\'s prefix gets the starter\'s in front') or diag($r->{stderr});

# --- 2. A stored result only for the same job ----------------------------------
$res = $fed->run_all("SELECT smpc_sum(horsepower, 'col-1') FROM cars");
$fed->expect_all_ok($res, sub { $fed->numeric_eq('a', $_[0], '800') }, 'sum of horsepower');

$res = $fed->run_all("SELECT smpc_sum(weight, 'col-1') FROM cars");
$fed->expect_all_fail($res,
	[qr/SM005: job id "col-1" was already used in federation "ico" for sum\(integer\) reading horsepower/,
	 qr/This call computes sum\(integer\) reading weight/],
	'another column under the released id');
unlike($res->{a}{stdout} // '', qr/800/, 'the horsepower sum is not handed out for weight');

$res = $fed->run_all("SELECT smpc_sum(horsepower, 'col-1') FROM cars");
$fed->expect_all_ok($res, sub { $fed->numeric_eq('a', $_[0], '800') }, 'the same job again');
like($res->{a}{stderr}, qr/job "col-1" was already released; returning the stored result of sum\(integer\) reading horsepower/,
	'the NOTICE names what the stored result read');

# Other bounds: another job.
$fed->psql($_, "SELECT smpc.set_bounds('ico', 'horsepower', 0, 250)") for $fed->names;
$res = $fed->run_all("SELECT smpc_sum(horsepower, 'col-1') FROM cars");
$fed->expect_all_fail($res, [qr/SM005: job id "col-1" was already used .* clipped to \[0, 1000\]/,
	qr/This call computes .* clipped to \[0, 250\]/], 'the same column under other bounds');
$fed->psql($_, "SELECT smpc.set_bounds('ico', 'horsepower', 0, 1000)") for $fed->names;

# Within one transaction, too.
$res = $fed->run_all(
	"BEGIN; SELECT smpc_sum(horsepower, 'tx-col') FROM cars; SELECT smpc_sum(weight, 'tx-col') FROM cars; COMMIT;");
$fed->expect_all_fail($res, [qr/SM005: job id "tx-col" was already used .* reading horsepower/],
	'another column under an id released in the same transaction');

# The stored row says what the job read.
is($fed->psql('b', "SELECT input FROM smpc.jobs WHERE job_id = 'col-1'"),
	'reading horsepower clipped to [0, 1000]', 'smpc.jobs.input names the column and the bounds');

# A row of 0.2.0 does not say what it read: its id is refused for any job.
$fed->psql('a', "UPDATE smpc.jobs SET input = NULL WHERE job_id = 'col-1'");
$res = $fed->run_all("SELECT smpc_sum(horsepower, 'col-1') FROM cars", parties => ['a']);
$fed->expect_all_fail($res, [qr/SM005: job id "col-1" was already used .* \(recorded before smpc 0\.3\.0, which did not keep what it read\)/],
	'a stored result that does not say what it read');
$fed->stop_all;
done_testing();
