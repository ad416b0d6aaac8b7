# A job runs at most once.  Running a released job id again returns the
# stored result without contacting any partner, even when the local data
# have changed; asking for a different computation under that job id is an
# error.  Cached connections survive partners restarting.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use SmpcTest;

my $fed = SmpcTest->new(parties => [qw(a b c)], timeout => '5s');
$fed->psql($_, 'CREATE TABLE t(x bigint); INSERT INTO t VALUES (100), (1)') for $fed->names;

my $res = $fed->run_all("SELECT smpc_sum(x, 'reuse-1') FROM t");
my $out = $fed->expect_all_ok($res, sub { $fed->numeric_eq('a', $_[0], '303') }, 'first run');
my $first = $out->{a} // '303';

for my $p ($fed->names)
{
	is($fed->psql($p, "SELECT count(*), min(state) FROM smpc.jobs WHERE job_id = 'reuse-1'"),
		'1|released', "party $p: one released row for reuse-1");
}

# With b and c down, a can only answer from its own records.
$fed->node('b')->stop('fast');
$fed->node('c')->stop('fast');
$fed->psql('a', 'INSERT INTO t VALUES (5000)');

$res = $fed->run_all("SELECT smpc_sum(x, 'reuse-1') FROM t", parties => ['a']);
$fed->expect_all_ok($res, $first, 'same job id again at a, partners down, data changed');
cmp_ok($res->{a}{secs}, '<', 4, 'answered from the stored result, without waiting for partners');

$res = $fed->run_all("SELECT smpc_avg(x, 'reuse-1') FROM t", parties => ['a']);
$fed->expect_all_fail($res, [], 'a different aggregate under a released job id');
unlike($res->{a}{stderr}, qr/\bSM001\b/, 'refused at once, not after a timeout');
cmp_ok($res->{a}{secs}, '<', 4, 'refused without waiting for partners');

$res = $fed->run_all("SELECT smpc_count(x, 'reuse-1') FROM t", parties => ['a']);
$fed->expect_all_fail($res, [], 'smpc_count under the released smpc_sum job id');

is($fed->psql('a', "SELECT count(*), min(state) FROM smpc.jobs WHERE job_id = 'reuse-1'"),
	'1|released', 'a still has exactly one row for reuse-1');
ok($fed->numeric_eq('a',
		$fed->psql('a', "SELECT result FROM smpc.jobs WHERE job_id = 'reuse-1'"), $first),
	'and its stored result is unchanged');

# Partners back (their cached connections at a are now stale): a new job
# sees the new data.
$fed->node('b')->start;
$fed->node('c')->start;
$res = $fed->run_all("SELECT smpc_sum(x, 'reuse-2') FROM t");
$fed->expect_all_ok($res, sub { $fed->numeric_eq('a', $_[0], '5303') },
	'a new job id after the partners restarted');

# Re-reading at every party gives the stored results.
$res = $fed->run_all("SELECT smpc_sum(x, 'reuse-1') FROM t");
$fed->expect_all_ok($res, sub { $fed->numeric_eq('a', $_[0], $first) }, 'reuse-1 re-read everywhere');

# Twice in one transaction (and twice in one query): computed once, the
# second call answers from the job released earlier in the transaction.
$res = $fed->run_all(
	"BEGIN; SELECT smpc_sum(x, 'tx-1') FROM t; SELECT smpc_sum(x, 'tx-1'), smpc_sum(x, 'tx-1') FROM t; COMMIT;");
$fed->expect_all_ok($res, sub { $_[0] =~ /\A(\d+)\n\1\|\1\z/ }, 'same job id twice in one transaction');
is($fed->psql($_, "SELECT count(*) FROM smpc.jobs WHERE job_id = 'tx-1'"), '1',
	"party $_: one row for tx-1") for $fed->names;

# A different aggregate under that id in the same transaction is refused.
$res = $fed->run_all(
	"BEGIN; SELECT smpc_sum(x, 'tx-2') FROM t; SELECT smpc_avg(x, 'tx-2') FROM t; COMMIT;");
$fed->expect_all_fail($res, [qr/SM005: job id "tx-2" was already used/], 'another aggregate under tx-2 in the same transaction');
is($fed->psql($_, "SELECT count(*) FROM smpc.jobs WHERE job_id = 'tx-2'"), '0',
	"party $_: the failed transaction left no row") for $fed->names;

# A job is recorded in the caller's transaction: rolled back, the row is gone.
$res = $fed->run_all({
	a => "BEGIN; SELECT smpc_sum(x, 'tx-3') FROM t; ROLLBACK;",
	b => "SELECT smpc_sum(x, 'tx-3') FROM t",
	c => "SELECT smpc_sum(x, 'tx-3') FROM t" });
$fed->expect_all_ok($res, sub { 1 }, 'tx-3 with a rollback at a');
is($fed->psql('a', "SELECT count(*) FROM smpc.jobs WHERE job_id = 'tx-3'"), '0',
	'a rolled back: no row at a');
is($fed->psql('b', "SELECT count(*) FROM smpc.jobs WHERE job_id = 'tx-3'"), '1',
	'b keeps its row');

$fed->stop_all;
done_testing();
