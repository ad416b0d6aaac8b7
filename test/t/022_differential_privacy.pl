# Distributed differential privacy with real servers: SET smpc.epsilon adds
# noise that every party releases identically, calibrated to the clipping
# bounds, charged to each party's privacy budget, and refused when a budget
# would be exceeded, when there is none, or when a sum has no bounds.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use SmpcTest;

my $fed = SmpcTest->new(parties => [qw(a b c)], timeout => '10s');
my @names = $fed->names;
sub everywhere { my ($sql) = @_; $fed->psql($_, $sql) for @names; return }

my %rows = (a => 100, b => 200, c => 300);
for my $p (@names)
{
	$fed->psql($p, "CREATE TABLE t (x integer, y integer, region text); "
		  . "INSERT INTO t SELECT i % 100, i % 7, (ARRAY['n', 's'])[1 + i % 2] FROM generate_series(1, $rows{$p}) i");
}
$fed->psql('a', "CREATE TABLE union_t AS SELECT i % 100 AS x FROM generate_series(1, 100) i "
	  . "UNION ALL SELECT i % 100 FROM generate_series(1, 200) i UNION ALL SELECT i % 100 FROM generate_series(1, 300) i");
my $exact = $fed->psql('a', 'SELECT sum(x) FROM union_t');

# Refusals before anything is sent (one party is enough to see them).
my ($rc, $out, $err) = $fed->try_psql('a', "SET smpc.epsilon = 1; SELECT smpc_sum(x, 'dp-nobounds') FROM t");
like($err, qr/SM006: a job with smpc.epsilon needs clipping bounds for the column it sums/,
	'a noisy sum without bounds is refused');
like($err, qr/smpc\.set_bounds\('ico', 'x', lo, hi\)/, 'and the hint says how to declare them');
everywhere("SELECT smpc.set_bounds('ico', 'x', 0, 99)");
($rc, $out, $err) = $fed->try_psql('a', "SET smpc.epsilon = 1; SELECT smpc_sum(x, 'dp-nobudget') FROM t");
like($err, qr/SM006: no privacy budget for dataset "x" in federation "ico"/, 'no budget: refused');
like($err, qr/smpc\.set_privacy_budget\('ico', 'x', epsilon\)/, 'and the hint says how to grant one');

# A shared budget of 2.5 on x at every party: two jobs of epsilon 1 pass.
everywhere("SELECT smpc.set_privacy_budget('ico', 'x', 2.5)");
my @values;
for my $job (qw(dp-1 dp-2))
{
	my $res = $fed->run_all("SET smpc.epsilon = 1; SELECT smpc_sum(x, '$job') FROM t");
	my $got = $fed->expect_all_ok($res, undef, "noisy sum $job");
	my %distinct = map { $_ => 1 } values %$got;
	is(scalar(keys %distinct), 1, "$job: every party releases the same noisy value");
	push @values, (values %$got)[0];
}
# Noise scale: sensitivity 99 (the bounds), epsilon 1, each of the three
# parties adding a whole discrete Laplace (additive sharing tolerates two
# colluders): standard deviation about 99 * sqrt(2 * 3) = 242.
for my $v (@values)
{
	cmp_ok(abs($v - $exact), '<', 20 * 243, "noisy sum $v is near the exact $exact");
}
isnt("@values", "$exact $exact", 'the released sums are not the exact sum');

# The ledger at each party: two jobs, 2 of 2.5 spent.
for my $p (@names)
{
	is($fed->psql($p, "SELECT count(*), sum(epsilon) FROM smpc.privacy_ledger WHERE dataset = 'x'"),
		'2|2', "party $p: the ledger has both jobs");
	is($fed->psql($p, "SELECT budget, spent, remaining FROM smpc.privacy_budget_left WHERE dataset = 'x'"),
		'2.5|2|0.5', "party $p: 0.5 remains");
}

# Running a released job id again returns its stored result and spends nothing.
my $res = $fed->run_all("SET smpc.epsilon = 1; SELECT smpc_sum(x, 'dp-1') FROM t");
$fed->expect_all_ok($res, $values[0], 'a released noisy job returns the same value again');
is($fed->psql('a', "SELECT sum(epsilon) FROM smpc.privacy_ledger"), '2', 'and costs no budget');

# A third job would exceed the budget: every party refuses it by itself.
$res = $fed->run_all("SET smpc.epsilon = 1; SELECT smpc_sum(x, 'dp-3') FROM t");
for my $p (@names)
{
	isnt($res->{$p}{rc}, 0, "over budget: party $p refuses");
	like($res->{$p}{stderr}, qr/SM006: privacy budget exhausted: this job needs epsilon 1/,
		"over budget: party $p says why");
	like($res->{$p}{stderr}, qr/The shared budget of 2\.5 on dataset "x" has 0\.5 left/,
		"over budget: party $p says what is left");
	cmp_ok($res->{$p}{secs}, '<', 5, "over budget: party $p fails at once");
}
# A smaller epsilon still fits.
$res = $fed->run_all("SET smpc.epsilon = 0.5; SELECT smpc_avg(x, 'dp-4') FROM t");
$fed->expect_all_ok($res, undef, 'epsilon 0.5 fits the rest of the budget');
is($fed->psql('a', "SELECT remaining FROM smpc.privacy_budget_left WHERE dataset = 'x'"), '0',
	'the budget is spent');

# A role's own budget counts only its jobs; the '*' entry covers other columns.
everywhere("SELECT smpc.set_privacy_budget('ico', '*', 10); "
	  . "SELECT smpc.set_privacy_budget('ico', '*', 0.3, 'postgres'); SELECT smpc.set_bounds('ico', 'y', 0, 6)");
$res = $fed->run_all("SET smpc.epsilon = 0.25; SELECT smpc_count(y, 'dp-role-1') FROM t");
$fed->expect_all_ok($res, undef, "dataset y is charged to the '*' budgets");
$res = $fed->run_all("SET smpc.epsilon = 0.25; SELECT smpc_count(y, 'dp-role-2') FROM t");
like($res->{a}{stderr}, qr/Role "postgres" has 0\.05 of its budget of 0\.3 left on dataset "\*"/,
	"the role's own budget refuses the second job");
is($fed->psql('a', "SELECT dataset FROM smpc.privacy_ledger WHERE job_id = 'dp-role-1'"), '*',
	"the ledger names the '*' budget");

# An exact job on a dataset with a budget would spend more than any budget.
($rc, $out, $err) = $fed->try_psql('a', "SELECT smpc_count(y, 'dp-exact') FROM t");
like($err, qr/SM006: dataset "y" has a privacy budget: jobs on it need smpc\.epsilon/,
	'an exact job on a budgeted dataset is refused');

# Every party must use the same epsilon: the job is refused as a mismatch.
everywhere("SELECT smpc.set_privacy_budget('ico', '*', 100, 'postgres')");
$res = $fed->run_all({ map { $_ => "SET smpc.epsilon = " . ($_ eq 'c' ? '0.2' : '0.1')
	  . "; SELECT smpc_count(y, 'dp-mismatch') FROM t" } @names });
like($res->{a}{stderr} . $res->{b}{stderr}, qr/SM005: .*with epsilon 0\.2.*with epsilon 0\.1|SM005: .*with epsilon 0\.1.*with epsilon 0\.2/,
	'different epsilons are a job mismatch');

# The descriptor names epsilon exactly (shortest round-trip form): parties
# whose epsilons differ only in the 10th digit are a mismatch too, never a
# job where each calibrates its noise to its own epsilon.
$res = $fed->run_all({ map { $_ => "SET smpc.epsilon = " . ($_ eq 'c' ? '0.1000000001' : '0.1')
	  . "; SELECT smpc_count(y, 'dp-mismatch-10th') FROM t" } @names });
for my $p (@names)
{
	isnt($res->{$p}{rc}, 0, "epsilons differing in the 10th digit: party $p does not release");
}
like($res->{a}{stderr} . $res->{b}{stderr},
	qr/SM005: .*with epsilon 0\.1000000001.*with epsilon 0\.1\b|SM005: .*with epsilon 0\.1\b.*with epsilon 0\.1000000001/,
	'epsilons differing in the 10th digit are a job mismatch');

# The largest noise scale, 2^50 units, is drawn (no draw fails at any
# allowed scale); one unit more is refused before anything is sent or
# charged, with SM006 and a hint.
everywhere("CREATE TABLE wide (w bigint); INSERT INTO wide VALUES (1), (2); "
	  . "SELECT smpc.set_bounds('ico', 'w', 0, 1125899906842624); "
	  . "SELECT smpc.set_privacy_budget('ico', 'w', 100)");
for my $job (qw(dp-2to50-1 dp-2to50-2 dp-2to50-3))
{
	$res = $fed->run_all("SET smpc.epsilon = 1; SELECT smpc_sum(w, '$job') FROM wide");
	my $got = $fed->expect_all_ok($res, undef, "noise at scale 2^50: $job");
	is(scalar(keys %{ { map { $_ => 1 } values %$got } }), 1, "$job: the same at every party");
}
everywhere("SELECT smpc.set_bounds('ico', 'w', 0, 1125899906842625)");
($rc, $out, $err) = $fed->try_psql('a', "SET smpc.epsilon = 1; SELECT smpc_sum(w, 'dp-2to50-over') FROM wide");
like($err, qr/SM006: smpc\.epsilon 1 is too small for the bounds of column "w"/,
	'a noise scale above 2^50 is refused');
like($err, qr/would exceed 2\^50 units/, 'and the detail names the limit');
like($err, qr/HINT:  Use a larger epsilon or narrower bounds/, 'and the hint says what to do');
is($fed->psql('a', "SELECT count(*) FROM smpc.privacy_ledger WHERE job_id = 'dp-2to50-over'"), '0',
	'and nothing is charged');

# Grouped sums and histograms take noise too; counts may come out negative.
$res = $fed->run_all("SET smpc.epsilon = 1; SELECT string_agg(key || '=' || value, ',') FROM "
	  . "unnest((SELECT smpc_sum_by(region, y, ARRAY['n', 's'], 'dp-grouped') FROM t))");
my $g = $fed->expect_all_ok($res, undef, 'noisy grouped sum');
is(scalar(keys %{ { map { $_ => 1 } values %$g } }), 1, 'noisy grouped sum: the same at every party');
$res = $fed->run_all("SET smpc.epsilon = 1; SELECT sum(count) FROM "
	  . "unnest((SELECT smpc_histogram(y, ARRAY[2, 4], 'dp-hist') FROM t))");
my $h = $fed->expect_all_ok($res, undef, 'noisy histogram');
cmp_ok(abs($h->{a} - 600), '<', 100, "noisy histogram total $h->{a} is near 600");

# A charge is on disk before anything is sent: rolling the job's transaction
# back does not undo it.
my $before = $fed->psql('a', "SELECT sum(epsilon) FROM smpc.privacy_ledger WHERE role = 'postgres' AND dataset = '*'");
$res = $fed->run_all("BEGIN; SET LOCAL smpc.epsilon = 0.5; SELECT smpc_count(y, 'dp-rollback') FROM t; ROLLBACK;");
$fed->expect_all_ok($res, undef, 'a noisy job in a transaction that rolls back');
for my $p (@names)
{
	is($fed->psql($p, "SELECT count(*) FROM smpc.jobs WHERE job_id = 'dp-rollback'"), '0',
		"party $p: the rollback removed the job's row");
	is($fed->psql($p, "SELECT outcome, epsilon FROM smpc.privacy_ledger WHERE job_id = 'dp-rollback'"),
		'charged|0.5', "party $p: but not its charge");
}
is($fed->psql('a', "SELECT sum(epsilon) - $before FROM smpc.privacy_ledger WHERE role = 'postgres' AND dataset = '*'"),
	'0.5', 'the budget stays spent');
is($fed->psql('a', "SELECT count(*) FROM smpc.job_status WHERE job_id = 'dp-rollback'"), '1',
	'job status shows the job once, not its charge');

# Published datasets do not take noise yet: a clear error, not a mismatch.
($rc, $out, $err) = $fed->try_psql('a', "SET smpc.epsilon = 1; SELECT * FROM smpc_run('ico', 'nothing', 'sum', 'x')");
isnt($rc, 0, 'smpc_run with smpc.epsilon fails');

# A job that fails before any of its messages left is refunded: party c is
# down, so a's shares never leave.
$fed->node('c')->stop('fast');
($rc, $out, $err) = $fed->try_psql('a', "SET smpc.epsilon = 0.5; SELECT smpc_count(y, 'dp-refund') FROM t");
isnt($rc, 0, 'with party c down the noisy job fails');
$fed->wait_audit('a', "job_id = 'dp-refund' AND outcome = 'refunded'", 1);
is($fed->psql('a', "SELECT string_agg(outcome || ' ' || epsilon, ', ' ORDER BY logged_at) FROM smpc.privacy_ledger WHERE job_id = 'dp-refund'"),
	'charged 0.5, refunded -0.5', 'its charge is given back');
$fed->node('c')->start;


# One ledger per column, whatever the federation: what federation ico spent
# on z, federation ico2 (the same parties) cannot spend again.
$fed->register_federation($_, federation => 'ico2') for @names;
everywhere("ALTER TABLE t ADD COLUMN z integer; UPDATE t SET z = y; "
	  . "SELECT smpc.set_bounds('ico', 'z', 0, 6); SELECT smpc.set_bounds('ico2', 'z', 0, 6); "
	  . "SELECT smpc.set_privacy_budget('ico', 'z', 1); SELECT smpc.set_privacy_budget('ico2', 'z', 1)");
$res = $fed->run_all("SET smpc.federation = 'ico'; SET smpc.epsilon = 0.75; SELECT smpc_sum(z, 'dp-fed-1') FROM t");
$fed->expect_all_ok($res, undef, 'federation ico spends 0.75 on z');
$res = $fed->run_all("SET smpc.federation = 'ico2'; SET smpc.epsilon = 0.5; SELECT smpc_sum(z, 'dp-fed-2') FROM t");
for my $p (@names)
{
	like($res->{$p}{stderr}, qr/SM006: privacy budget exhausted: this job needs epsilon 0\.5/,
		"federation ico2: party $p refuses what ico already spent");
	like($res->{$p}{stderr}, qr/The shared budget of 1 on dataset "z" has 0\.25 left/,
		"federation ico2: party $p counts the spending of ico");
}
$fed->expect_nothing_released('dp-fed-2', 'over the budget through another federation');
$res = $fed->run_all("SET smpc.federation = 'ico2'; SET smpc.epsilon = 0.25; SELECT smpc_sum(z, 'dp-fed-3') FROM t");
$fed->expect_all_ok($res, undef, 'the rest of the budget, spent through ico2');
for my $p (@names)
{
	is($fed->psql($p, "SELECT string_agg(federation || ' ' || epsilon, ', ' ORDER BY logged_at) "
		  . "FROM smpc.privacy_ledger WHERE dataset = 'z' AND outcome = 'charged'"),
		'ico 0.75, ico2 0.25', "party $p: one ledger for z across both federations");
	is($fed->psql($p, "SELECT string_agg(federation || ' ' || remaining, ', ' ORDER BY federation) "
		  . "FROM smpc.privacy_budget_left WHERE dataset = 'z'"),
		'ico 0, ico2 0', "party $p: both budgets on z are spent");
}
# An expression over z is charged to z too: nothing is left.
$res = $fed->run_all("SET smpc.federation = 'ico'; SET smpc.epsilon = 0.25; SELECT smpc_count(z + 0, 'dp-fed-4') FROM t");
like($res->{$_}{stderr}, qr/SM006: privacy budget exhausted/, "an expression over z: party $_ charges z")
  for @names;
# And an exact job over an expression of z is refused like one over z.
$res = $fed->run_all("SET smpc.federation = 'ico2'; SELECT smpc_count(CASE WHEN z > 3 THEN 1 END, 'dp-fed-5') FROM t");
like($res->{$_}{stderr}, qr/SM006: dataset "z" has a privacy budget: jobs on it need smpc\.epsilon/,
	"an exact job on an expression of z: party $_ refuses") for @names;
$fed->expect_nothing_released($_, 'refused') for qw(dp-fed-4 dp-fed-5);

done_testing();
