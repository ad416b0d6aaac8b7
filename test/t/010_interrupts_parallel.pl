# Waiting for partners can be interrupted (statement_timeout, query cancel)
# long before smpc.timeout, the partners learn of it at once, and nothing
# stays stuck.  The local phase may run in parallel workers and still gives
# the exact joint result, for grouped results and histograms too.
use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);
use SmpcTest;

my $fed = SmpcTest->new(parties => [qw(a b c)], timeout => '30s');
$fed->psql($_, 'CREATE TABLE t(x bigint); INSERT INTO t VALUES (1)') for $fed->names;

# statement_timeout stops a lone party's wait after 1 s, not after 30 s.
my $t0 = time;
my ($rc, $out, $err) =
  $fed->try_psql('a', "SET statement_timeout = '1s'; SELECT smpc_sum(x, 'stmt-timeout-1') FROM t");
my $secs = time - $t0;
isnt($rc, 0, 'statement_timeout: the job fails');
like($err, qr/57014: canceling statement due to statement timeout/, 'statement_timeout: 57014');
cmp_ok($secs, '<', 10, "statement_timeout: stopped after ${secs}s, long before smpc.timeout");

# Query cancel while a and b wait for c: a stops at once, and b learns that
# a aborted instead of waiting for smpc.timeout.
my %run;
for my $p (qw(a b))
{
	my $r = $run{$p} = { out => '', err => '' };
	# SQL from a file: IPC::Run feeds stdin only while the harness is pumped.
	my $file = "$PostgreSQL::Test::Utils::tmp_check/cancel-$p.sql";
	PostgreSQL::Test::Utils::append_to_file($file, "SELECT smpc_sum(x, 'cancel-1') FROM t;\n");
	my $cmd = $fed->_psql_cmd($p);
	$cmd->[-1] = $file;
	$r->{h} = IPC::Run::start($cmd, '<', '/dev/null', '>', \$r->{out}, '2>', \$r->{err},
		IPC::Run::timeout(60));
}
my $active = 0;
for (1 .. 100)
{
	$active = $fed->psql('a',
		"SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%cancel-1%' "
		  . "AND pid <> pg_backend_pid() AND wait_event = 'Extension'");
	last if $active eq '1';
	sleep 0.1;
}
is($active, '1', 'the job at a is waiting (wait event Extension)');
$t0 = time;
$fed->psql('a',
	"SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE '%cancel-1%' "
	  . "AND pid <> pg_backend_pid()");
for my $p (qw(a b))
{
	eval { $run{$p}{h}->finish; };
	$run{$p}{secs} = time - $t0;
}
isnt($run{a}{h}->result, 0, 'cancel: a fails');
like($run{a}{err}, qr/57014: canceling statement due to user request/, 'cancel: 57014 at a');
isnt($run{b}{h}->result, 0, 'cancel: b fails too');
like($run{b}{err}, qr/SM004: party a aborted the job/, 'cancel: b is told that a aborted');
like($run{b}{err}, qr/cancelled at party a/, 'cancel: and why');
cmp_ok($run{b}{secs}, '<', 10, "cancel: b stopped $run{b}{secs}s after the cancel, not after smpc.timeout");
for my $p (qw(a b c))
{
	is($fed->psql($p,
		"SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'Extension' "
		  . "AND backend_type = 'client backend'"),
		'0', "no backend of party $p is still waiting");
	is($fed->psql($p, "SELECT count(*) FROM smpc.jobs WHERE job_id = 'cancel-1'"),
		'0', "cancel: no job row at $p");
}

# The same job id runs afterwards at all three.
my $res = $fed->run_all("SELECT smpc_sum(x, 'cancel-1') FROM t");
$fed->expect_all_ok($res, '3', 'cancel-1 run again after the cancel');

# The local phase in parallel workers: a has 300,000 rows and plans a
# Partial Aggregate under Gather; the joint result stays exact.
$fed->psql('a', 'INSERT INTO t SELECT g FROM generate_series(1, 300000) g; ANALYZE t');
$fed->psql('a',
	"ALTER DATABASE org_a SET max_parallel_workers_per_gather = 2;"
	  . "ALTER DATABASE org_a SET parallel_setup_cost = 0;"
	  . "ALTER DATABASE org_a SET parallel_tuple_cost = 0;"
	  . "ALTER DATABASE org_a SET min_parallel_table_scan_size = 0");
my $plan = $fed->psql('a', "EXPLAIN (COSTS OFF) SELECT smpc_sum(x, 'parallel-1') FROM t");
like($plan, qr/Partial Aggregate/, 'parallel: the local phase runs in workers') or diag $plan;
like($plan, qr/Finalize Aggregate/, 'parallel: the final function runs in the leader');
my $want = 1 + 1 + 1 + 300000 * 300001 / 2;
$res = $fed->run_all({
	a => "SELECT smpc_sum(x, 'parallel-1') FROM t",
	b => "SELECT smpc_sum(x, 'parallel-1') FROM t",
	c => "SELECT smpc_sum(x, 'parallel-1') FROM t" });
$fed->expect_all_ok($res, "$want", 'parallel: exact joint sum');
$res = $fed->run_all("SELECT smpc_avg(x, 'parallel-2') FROM t");
my $want_avg = $fed->psql('a', "SELECT ${want}::numeric / 300003");
$fed->expect_all_ok($res, sub { $fed->numeric_eq('a', $_[0], $want_avg) },
	'parallel: exact joint average');

# Grouped results and histograms too: a's workers count over the key domain
# (a scalar subquery, read by every worker) or the edges, and its leader
# adds their arrays before the job. Known joint results: a holds 1 and
# 1..300,000, b and c hold 1 each.
my %by_key;
$by_key{ $_ % 4 } += $_ for (1, 1, 1, 1 .. 300000);
my $want_by = join(',', map { "$_=$by_key{$_}" } 0 .. 3);
my $domain = "(SELECT array_agg(g::text) FROM generate_series(0, 3) g)";
my $sum_by = "SELECT string_agg(key || '=' || value, ',' ORDER BY key) "
  . "FROM unnest((SELECT smpc_sum_by((x % 4)::text, x, $domain, '%s') FROM t))";
$plan = $fed->psql('a', "EXPLAIN (COSTS OFF) " . sprintf($sum_by, 'parallel-3'));
like($plan, qr/Partial Aggregate/, 'parallel grouped: the local phase runs in workers')
  or diag $plan;
$res = $fed->run_all(sprintf($sum_by, 'parallel-3'));
$fed->expect_all_ok($res, $want_by, 'parallel grouped: exact joint sum per key');
my $count_by = "SELECT string_agg(key || '=' || value, ',' ORDER BY key) "
  . "FROM unnest((SELECT smpc_count_by((x % 4)::text, $domain, 'parallel-4') FROM t))";
$res = $fed->run_all($count_by);
$fed->expect_all_ok($res, '0=75000,1=75003,2=75000,3=75000',
	'parallel grouped: exact joint count per key');
my $hist = "SELECT string_agg(coalesce(lower::text, '-') || ':' || count, ',' ORDER BY lower NULLS FIRST) "
  . "FROM unnest((SELECT smpc_histogram(x, ARRAY[100, 1000, 100000], 'parallel-5') FROM t))";
$plan = $fed->psql('a', "EXPLAIN (COSTS OFF) $hist");
like($plan, qr/Partial Aggregate/, 'parallel histogram: the local phase runs in workers')
  or diag $plan;
$res = $fed->run_all($hist);
$fed->expect_all_ok($res, '-:102,100:900,1000:99000,100000:200001',
	'parallel histogram: exact joint counts per bucket');

$fed->stop_all;
done_testing();
