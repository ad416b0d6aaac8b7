# A monthly report scheduled with pg_cron at every party (docs/analyst.md,
# "Scheduled reports"), as the recipe there says: pg_cron runs jobs in
# background workers (cron.use_background_workers = on), and the report runs
# as a role of its own that pg_hba.conf admits only with a password over TLS
# (scram-sha-256), which a libpq connection from pg_cron would not have.
# Each party's cron runs the same SQL every minute;
# smpc.report_job_id gives the same job id everywhere for the month; the
# first run fails because c has not scheduled it yet (it opened nothing, so
# the job id stays usable); the next run, with all three, computes it; later
# runs return the stored result; the results table
# holds one row for the period at every party, and nothing is counted twice.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);
use SmpcTest;

plan skip_all => 'pg_cron is not installed (Debian package postgresql-15-cron)'
  unless SmpcTest::library_installed('pg_cron');

my $fed = SmpcTest->new(
	parties => [qw(a b c)],
	timeout => '10s',
	conf => "shared_preload_libraries = 'smpc, pg_cron'\ncron.use_background_workers = on\n"
	  . "max_worker_processes = 16\n",
	conf_for => sub { "cron.database_name = 'org_$_[0]'\n" });
my %input = (a => 10000, b => 15000, c => 20000);
for my $p ($fed->names)
{
	my @partners = grep { $_ ne $p } $fed->names;
	$fed->psql($p, "CREATE EXTENSION pg_cron;"
		  . "CREATE TABLE expenses(amount integer); INSERT INTO expenses VALUES ($input{$p});"
		  . "CREATE TABLE expense_report(period timestamptz PRIMARY KEY, average numeric, stored_at timestamptz DEFAULT now());"
		  # The role the report runs as: it may run jobs, and has no password.
		  . "CREATE ROLE reporter LOGIN IN ROLE smpc_analyst;"
		  . "GRANT SELECT ON expenses TO reporter;"
		  . "GRANT SELECT, INSERT ON expense_report TO reporter;"
		  . "SELECT smpc.grant_results('ico', 'reporter');"
		  . 'GRANT USAGE ON FOREIGN SERVER ' . join(', ', @partners) . ' TO reporter;'
		  . 'GRANT USAGE ON SCHEMA cron TO reporter;');

	# pg_hba.conf: only the test's own superuser is trusted (on the Unix
	# socket); every other role needs a password, locally and over TCP.
	my $node = $fed->node($p);
	my $superuser = $fed->psql($p, 'SELECT current_user');
	my $hba = PostgreSQL::Test::Utils::slurp_file($node->data_dir . '/pg_hba.conf');
	$hba =~ s/^local all all trust$/local all $superuser trust\nlocal all all scram-sha-256/m
	  or BAIL_OUT('pg_hba.conf of SmpcTest changed');
	open(my $fh, '>', $node->data_dir . '/pg_hba.conf') or BAIL_OUT("pg_hba.conf: $!");
	print $fh $hba;
	close($fh);
	$node->reload;
	is($fed->psql($p, 'SHOW cron.use_background_workers'), 'on', "$p: pg_cron runs jobs in background workers");
}

my $report = q{
INSERT INTO expense_report (period, average)
SELECT smpc.period_start('month'), smpc_avg(amount, smpc.report_job_id('expenses', 'month'))
FROM expenses
ON CONFLICT (period) DO NOTHING
};
my $job_id = $fed->psql('a', "SELECT smpc.report_job_id('expenses', 'month')");
like($job_id, qr{^expenses/month/\d{4}-\d\d$}, "the report's job id: $job_id");
is($fed->psql('c', "SELECT smpc.report_job_id('expenses', 'month')"), $job_id,
	'c computes the same job id');

sub schedule
{
	my ($p) = @_;
	$fed->psql($p, 'SET ROLE reporter; SELECT cron.schedule(' . SmpcTest::quote_literal('expenses-monthly')
		  . ", '* * * * *', " . SmpcTest::quote_literal($report) . ')');
	is($fed->psql($p, "SELECT username FROM cron.job WHERE jobname = 'expenses-monthly'"), 'reporter',
		"$p: the report runs as reporter");
	return;
}

# Runs of the report's cron job at $p that ended, by status.
sub runs
{
	my ($p, $status) = @_;
	return $fed->psql($p, "SELECT count(*) FROM cron.job_run_details WHERE status = '$status'");
}

# Waits up to $secs for $cond->() to be true.
sub wait_for
{
	my ($cond, $secs) = @_;
	my $until = time + $secs;
	while (time < $until)
	{
		return 1 if $cond->();
		sleep 1;
	}
	return 0;
}

# a and b schedule the report; c does not yet.
schedule($_) for qw(a b);
ok(wait_for(sub { runs('a', 'failed') >= 1 && runs('b', 'failed') >= 1 }, 100),
	'the first run, without c, fails at a and b');
is($fed->psql('a', 'SELECT count(*) FROM expense_report'), '0', 'nothing was stored');
like($fed->psql('a', "SELECT return_message FROM cron.job_run_details WHERE status = 'failed' LIMIT 1"),
	qr/timed out after 10 s waiting for round 1 \(share\) from party c|party b aborted/,
	'cron records why');

# c schedules it too: the next run computes the report everywhere.
schedule('c');
ok(wait_for(sub { join(',', map { $fed->psql($_, 'SELECT count(*) FROM expense_report') } $fed->names) eq '1,1,1' }, 130),
	'with c, the next run stores the report at every party');
for my $p ($fed->names)
{
	ok($fed->numeric_eq($p, $fed->psql($p, 'SELECT average FROM expense_report'), '15000'),
		"$p stores the average 15000");
	is($fed->psql($p, "SELECT period = smpc.period_start('month') FROM expense_report"), 't',
		"$p stores it under the month");
	is($fed->psql($p, "SELECT count(*) FROM smpc.jobs WHERE job_id = '$job_id'"), '1',
		"$p computed the job once");
}

# One more run: the stored result comes back, nothing is added or counted again.
my $succeeded = runs('a', 'succeeded');
ok(wait_for(sub { runs('a', 'succeeded') > $succeeded }, 80), 'a later run succeeds too');
is($fed->psql('a', 'SELECT count(*) FROM expense_report'), '1', 'still one row for the month');
$fed->wait_audit('a', "job_id = '$job_id' AND outcome = 'returned'", 1);
is($fed->psql('a',
		"SELECT string_agg(DISTINCT outcome, ',' ORDER BY outcome) FROM smpc.audit_log WHERE job_id = '$job_id'"),
	'failed,opened,released,returned', "a's audit trail: the failed run, the release, the stored result");
# The failed run (c had not scheduled it) opened nothing, so the next run
# could retry the month's job id: one 'opened' record, the released run's.
is($fed->psql('a', "SELECT count(*) FROM smpc.audit_log WHERE job_id = '$job_id' AND outcome = 'opened'"),
	'1', "a: only the run that released spent the month's job id");
is($fed->psql('a', "SELECT count(*) FROM smpc.audit_log WHERE job_id = '$job_id' AND outcome = 'released'"),
	'1', 'released exactly once');

$fed->psql($_, "SET ROLE reporter; SELECT cron.unschedule('expenses-monthly')") for $fed->names;
$fed->stop_all;
done_testing();
