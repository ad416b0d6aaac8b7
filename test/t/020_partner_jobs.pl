# Published datasets and partner-initiated jobs with real servers: one
# analyst's smpc_run at one party computes the joint result with every
# partner, each partner taking part by itself within what its DBA
# published; refusals reach the analyst with the partner's reason, at once;
# unpublishing stops new jobs; nothing unpublished can be asked for; the
# partners record the jobs in their audit trails, naming who started them.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);
use SmpcTest;

my $fed = SmpcTest->new(
	parties => [qw(a b c)],
	timeout => '30s',
	conf => "max_worker_processes = 24\nmax_connections = 100\n");
my %rows = (
	a => "(2026, 10000, 10), (2025, 8000, 9)",
	b => "(2026, 15000, 20), (2025, 12000, 18)",
	c => "(2026, 20000, 30), (2025, 16000, 27)");

# Publishes dataset $name at party $p (extra smpc.publish arguments in $extra).
sub publish
{
	my ($p, $name, $year, $extra) = @_;
	$fed->psql($p,
		"SELECT smpc.publish('ico', '$name', 'SELECT amount, headcount FROM expenses WHERE year = $year', "
		  . "ARRAY['amount', 'headcount'], run_as => 'reporting'" . ($extra // '') . ")");
	return;
}

for my $p ($fed->names)
{
	$fed->psql($p, <<"EOS");
CREATE TABLE expenses(year integer, amount integer, headcount integer, secret text DEFAULT 'hidden');
INSERT INTO expenses (year, amount, headcount) VALUES $rows{$p};
CREATE ROLE reporting LOGIN IN ROLE smpc_analyst;
CREATE ROLE alice LOGIN IN ROLE smpc_analyst;
GRANT SELECT ON expenses TO reporting, alice;
SELECT smpc.grant_results('ico', 'smpc_analyst');
GRANT USAGE ON FOREIGN SERVER @{[ join ', ', grep { $_ ne $p } $fed->names ]} TO smpc_analyst;
SELECT smpc.set_bounds('ico', 'amount', 0, 100000);
SELECT smpc.set_bounds('ico', 'headcount', 0, 1000);
EOS
	publish($p, 'expenditure', 2026);
	publish($p, 'expenditure_2025', 2025);
}

# smpc_run as alice at $p; returns ($rc, $stdout, $stderr, $seconds).
sub run_as_alice
{
	my ($p, $sql) = @_;
	my $t0 = time;
	my $r = SmpcTest::finish_psql($fed->start_psql($p, $sql, user => 'alice'));
	return ($r->{rc}, $r->{stdout}, $r->{stderr}, time - $t0);
}

# One call at a: every party takes part by itself.
my ($rc, $out, $err, $secs) = run_as_alice('a',
	"SELECT job, value, covers FROM smpc_run('ico', 'expenditure', 'avg', 'amount')");
is($rc, 0, 'smpc_run at a succeeds') or diag($err);
my ($job, $value, $covers) = split /\|/, $out;
like($job, qr{^a:expenditure/avg/amount/[0-9a-f]{16}$}, "a new job id, in a's namespace: $job");
ok($fed->numeric_eq('a', $value, '15000'), "the joint average is 15000 (got $value)");
is($covers, '{a,b,c}', 'it covers every party');
for my $p (qw(b c))
{
	is($fed->wait_audit($p, "job_id = '$job'", 1), 1, "$p recorded the job");
	is($fed->psql($p,
			"SELECT outcome, requested_by, initiated_by, aggregate FROM smpc.audit_log WHERE job_id = '$job' AND outcome <> 'opened'"),
		'released|reporting|a|avg(integer) on expenditure.amount',
		"$p: released, run as reporting, started by a");
	is($fed->psql($p, "SELECT state, initiated_by FROM smpc.job_status WHERE job_id = '$job'"),
		'released|a', "$p shows it in smpc.job_status");
	is($fed->psql($p, "SELECT state, started_by FROM smpc.jobs WHERE job_id = '$job'"),
		'released|reporting', "$p stored its release");
}
is($fed->psql('a', "SELECT initiated_by IS NULL, requested_by FROM smpc.audit_log WHERE job_id = '$job' AND outcome <> 'opened'"),
	't|alice', 'a recorded it as run by alice, started here');

# A chosen job id (run as a:hc-2026): a second call returns the stored
# result and asks nobody.
($rc, $out) = run_as_alice('a', "SELECT value FROM smpc_run('ico', 'expenditure', 'sum', 'headcount', 'hc-2026')");
ok($fed->numeric_eq('a', $out, '60'), "sum of headcount is 60 (got $out)");
($rc, $out) = run_as_alice('a', "SELECT value FROM smpc_run('ico', 'expenditure', 'sum', 'headcount', 'hc-2026')");
ok($fed->numeric_eq('a', $out, '60'), 'again: the stored result');
$fed->wait_audit('b', "job_id = 'a:hc-2026'", 1);
sleep 1;
is($fed->psql('b', "SELECT count(*) FROM smpc.audit_log WHERE job_id = 'a:hc-2026' AND outcome <> 'opened'"), '1',
	'b took part once');

# A job id a partner's smpc_run took is not a local aggregate's: it is in
# the partner's namespace, so it is refused, not returned.
($rc, $out, $err) = $fed->try_psql('b', "SELECT smpc_sum(headcount, 'a:hc-2026') FROM expenses");
like($err, qr/SM005: job id "a:hc-2026" is in the namespace of party "a"/,
	'a local aggregate under the job id of a dataset job is refused');

# Another party starts a job the same way.
($rc, $out, $err) = run_as_alice('c', "SELECT value FROM smpc_run('ico', 'expenditure_2025', 'avg', 'headcount')");
ok($fed->numeric_eq('c', $out, '18'), "c starts one too: average headcount 2025 is 18 (got $out)")
  or diag($err);

# Refusals reach the analyst at once, with the partner's reason; no partner runs anything.
sub expect_refused
{
	my ($p, $sql, $re, $label) = @_;
	my ($rc, $out, $err, $secs) = run_as_alice($p, $sql);
	isnt($rc, 0, "$label: refused");
	like($err, $re, "$label: the reason");
	cmp_ok($secs, '<', 10, "$label: at once (${secs}s), not after smpc.timeout");
	return $err;
}
$fed->psql('c', "SELECT smpc.unpublish('ico', 'expenditure')");
$err = expect_refused('a', "SELECT * FROM smpc_run('ico', 'expenditure', 'avg', 'amount', 'unpub-1')",
	qr/SM006: party "c" refused job "a:unpub-1": dataset "expenditure" is not published to federation "ico" at party "c"/,
	'unpublished at c');
is($fed->psql('b', "SELECT count(*) FROM smpc.audit_log WHERE job_id = 'a:unpub-1'"), '0',
	'unpublished at c: b did not start anything');
is($fed->wait_audit('c', "job_id = 'a:unpub-1' AND outcome = 'refused' AND initiated_by = 'a'", 1), 1,
	'c recorded the refused request');
is($fed->wait_audit('a', "job_id = 'a:unpub-1' AND outcome = 'refused' AND requested_by = 'alice'", 1), 1,
	'a recorded its attempt, which c refused');
publish('c', 'expenditure', 2026);

publish('b', 'expenditure', 2026, ", starters => ARRAY['c']");
expect_refused('a', "SELECT * FROM smpc_run('ico', 'expenditure', 'sum', 'amount')",
	qr/SM006: party "b" refused job .*: party "a" may not start jobs on dataset "expenditure" at party "b"/,
	'a is not among b\'s starters');
publish('b', 'expenditure', 2026, ", aggregates => ARRAY['sum']");
expect_refused('a', "SELECT * FROM smpc_run('ico', 'expenditure', 'avg', 'amount')",
	qr/party "b" refused job .*: dataset "expenditure" at party "b" does not allow avg.*DETAIL:  Allowed aggregates: sum\./s,
	'b allows only sums');
publish('b', 'expenditure', 2026);
expect_refused('a', "SELECT * FROM smpc_run('ico', 'expenditure', 'sum', 'secret')",
	qr/dataset "expenditure" at party "a" does not publish column "secret"/,
	'an unpublished column, here');
# What a partner could ask for by crafting a request instead of using smpc_run.
$fed->psql('a', "SELECT smpc.publish('ico', 'expenditure', 'SELECT amount, headcount, secret FROM expenses WHERE year = 2026', "
	  . "ARRAY['amount', 'headcount', 'secret'], aggregates => ARRAY['count'], run_as => 'reporting')");
expect_refused('a', "SELECT * FROM smpc_run('ico', 'expenditure', 'count', 'secret')",
	qr/SM006: 2 partners refused job .*DETAIL:  party b: dataset "expenditure" at party "b" does not publish column "secret"; party c: dataset "expenditure" at party "c" does not publish column "secret"\./s,
	'an unpublished column at b and c');
publish('a', 'expenditure', 2026);

# An error at the partner goes back as its SQLSTATE only: its text stays there.
$fed->psql('b', 'REVOKE SELECT ON expenses FROM reporting');
$err = expect_refused('a', "SELECT * FROM smpc_run('ico', 'expenditure', 'sum', 'amount', 'noread-1')",
	qr/SM006: party "b" could not run job "a:noread-1": an error occurred at party b \(SQLSTATE 42501\)/,
	'b\'s role may not read the table');
unlike($err, qr/permission denied/, 'the text of the partner\'s error (naming its table) does not leave it');
like(slurp_file($fed->node('b')->logfile), qr/ERROR:  permission denied for table expenses/,
	'b logged the error itself');
is($fed->wait_audit('b', "job_id = 'a:noread-1' AND outcome = 'refused' AND sqlstate = '42501'", 1), 1,
	'b recorded the attempt');
$fed->expect_no_backends_left($_, 'after the failed job') for qw(b c);
$fed->psql('b', 'GRANT SELECT ON expenses TO reporting');

# A partner that refuses while its worker computes (values outside reject
# bounds): the initiator hears of it at once.
$fed->psql('c', "INSERT INTO expenses (year, amount, headcount) VALUES (2026, 500000, 1);"
	  . "SELECT smpc.set_bounds('ico', 'amount', 0, 100000, 'reject')");
expect_refused('a', "SELECT * FROM smpc_run('ico', 'expenditure', 'sum', 'amount', 'reject-1')",
	qr/SM006: party "c" could not run job "a:reject-1": column "amount" holds values outside its bounds \[0, 100000\]/,
	'c\'s reject bounds');
$fed->psql('c', "DELETE FROM expenses WHERE amount = 500000;"
	  . "SELECT smpc.set_bounds('ico', 'amount', 0, 100000)");

# The initiator's own side fails after the partners started: they are withdrawn at once.
$fed->psql('a', "INSERT INTO expenses (year, amount, headcount) VALUES (2026, 500000, 1);"
	  . "SELECT smpc.set_bounds('ico', 'amount', 0, 100000, 'reject')");
expect_refused('a', "SELECT * FROM smpc_run('ico', 'expenditure', 'sum', 'amount', 'withdrawn-1')",
	qr/SM006: column "amount" holds values outside its bounds \[0, 100000\]\nDETAIL:  1 value lies outside\./,
	'a\'s own reject bounds');
for my $p (qw(b c))
{
	is($fed->wait_audit($p, "job_id = 'a:withdrawn-1'", 1), 1, "withdrawn: $p recorded its attempt");
	is($fed->psql($p, "SELECT outcome, sqlstate FROM smpc.audit_log WHERE job_id = 'a:withdrawn-1'"),
		'failed|57014', "withdrawn: ${p}'s worker was cancelled");
}
$fed->psql('a', "DELETE FROM expenses WHERE amount = 500000;"
	  . "SELECT smpc.set_bounds('ico', 'amount', 0, 100000)");

# Ten jobs at once, from sessions at every party: all correct, none stuck.
my @jobs = (
	[ 'a', 'expenditure', 'avg', 'amount', '15000' ],
	[ 'a', 'expenditure', 'sum', 'amount', '45000' ],
	[ 'a', 'expenditure_2025', 'sum', 'amount', '36000' ],
	[ 'a', 'expenditure', 'count', 'amount', '3' ],
	[ 'b', 'expenditure', 'avg', 'headcount', '20' ],
	[ 'b', 'expenditure_2025', 'avg', 'amount', '12000' ],
	[ 'b', 'expenditure', 'sum', 'headcount', '60' ],
	[ 'c', 'expenditure_2025', 'sum', 'headcount', '54' ],
	[ 'c', 'expenditure_2025', 'avg', 'headcount', '18' ],
	[ 'c', 'expenditure', 'sum', 'amount', '45000' ]);
my $t0 = time;
my @running = map {
	my ($p, $ds, $agg, $col) = @$_;
	$fed->start_psql($p, "SELECT value FROM smpc_run('ico', '$ds', '$agg', '$col', 'many-$_->[0]-$ds-$agg-$col')",
		user => 'alice', timeout => 90)
} @jobs;
my @done = map { SmpcTest::finish_psql($_) } @running;
my $elapsed = time - $t0;
for my $i (0 .. $#jobs)
{
	my ($p, $ds, $agg, $col, $want) = @{ $jobs[$i] };
	is($done[$i]{rc}, 0, "concurrent job $i ($agg of $col in $ds from $p) succeeded")
	  or diag($done[$i]{stderr});
	ok($fed->numeric_eq('a', $done[$i]{stdout}, $want), "concurrent job $i: $want (got $done[$i]{stdout})");
}
cmp_ok($elapsed, '<', 60, "ten concurrent jobs took ${elapsed}s");
$fed->expect_no_backends_left($_, 'after the concurrent jobs') for $fed->names;
for my $p ($fed->names)
{
	is($fed->psql($p, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'smpc partner job'"),
		'0', "$p: no partner job worker left");
}

# Publishing: who may, and what is checked.
my $bad = sub {
	my ($sql, $re, $label) = @_;
	my ($rc, $out, $err) = $fed->try_psql('a', $sql);
	isnt($rc, 0, "publish: $label fails");
	like($err, $re, "publish: $label: the error");
};
$bad->("SET ROLE alice; SELECT smpc.publish('ico', 'x', 'SELECT 1 AS v', ARRAY['v'])",
	qr/permission denied for function publish|42501/, 'an analyst');
$bad->("SELECT smpc.publish('ico', 'x', 'SELECT amount FROM expenses', ARRAY['nope'], run_as => 'reporting')",
	qr/column d\.nope does not exist|column "nope" does not exist/, 'a missing column');
$bad->("SELECT smpc.publish('ico', 'x', 'SELECT secret FROM expenses', ARRAY['secret'], run_as => 'reporting')",
	qr/column "secret" of dataset "x" is of type text, which sum does not take/, 'a text column with sums');
$bad->("CREATE ROLE nologin_role; GRANT SELECT ON expenses TO nologin_role; "
	  . "SELECT smpc.publish('ico', 'x', 'SELECT amount FROM expenses', ARRAY['amount'], run_as => 'nologin_role')",
	qr/role "nologin_role" cannot run partners' jobs: it does not have the LOGIN attribute/, 'a role without LOGIN');
$bad->("CREATE ROLE noread LOGIN IN ROLE smpc_analyst; "
	  . "SELECT smpc.publish('ico', 'x', 'SELECT amount FROM expenses', ARRAY['amount'], run_as => 'noread')",
	qr/permission denied for table expenses/, 'a role that cannot read the query');
$bad->("SELECT smpc.publish('ico', 'x', 'SELECT amount FROM expenses', ARRAY['amount'], aggregates => ARRAY['max'])",
	qr/aggregates must be sum, count or avg, not "max"/, 'an unknown aggregate');
$bad->("SELECT smpc.publish('ico', 'x', 'SELECT amount FROM expenses', ARRAY['amount'], starters => ARRAY['zz'])",
	qr/starter "zz" is not a partner in federation "ico"/, 'an unknown starter');
$bad->("SELECT smpc.publish('ico', 'x', NULL, ARRAY['amount'])",
	qr/supplies an input in federation "ico": its dataset needs a query/, 'no query at a data owner');
is($fed->psql('a', "SELECT smpc.unpublish('ico', 'nope')"), 'f', 'unpublishing what is not published: false');

$fed->stop_all;
done_testing();
