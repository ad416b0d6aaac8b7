# An intersection sum over more keys with values than one message of the
# old wire limit held: b gives values for 230,000 keys, so its blinded set
# with their sealed values (160 bytes a key, 36.8 MB) crosses the 34 MiB a
# message could once be, and the 131,072 keys with values the SQL functions
# once took. a and c hold small sets (skewed sizes); the sum and the count
# of the planted overlap come out exact at all three, over TLS.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes;
use SmpcTest;

# b's set waits in a's and c's inboxes whole; b judges its own need by its
# own set: 4 partners' quarters × 3 sets of 1,124 slots (jobs/job_runner.cpp).
my $fed = SmpcTest->new(parties => [qw(a b c)], timeout => '600s',
	conf => "smpc.max_messages = 14000\n");

my $big = 230_000;
# Overlap: keys 0..49 at all three; 50..99 at a and b only; 150..199 at b
# and c only; a and c add keys of their own.
$fed->psql('a', "CREATE TABLE t(n bigint);
	INSERT INTO t SELECT g FROM generate_series(0, 99) g;
	INSERT INTO t SELECT 1000000 + g FROM generate_series(1, 900) g;");
$fed->psql('b', "CREATE TABLE t(n bigint, v bigint);
	INSERT INTO t SELECT g, g % 1000 + 1 FROM generate_series(0, $big - 1) g;");
$fed->psql('c', "CREATE TABLE t(n bigint);
	INSERT INTO t SELECT g FROM generate_series(0, 49) g;
	INSERT INTO t SELECT g FROM generate_series(150, 199) g;
	INSERT INTO t SELECT 2000000 + g FROM generate_series(1, 300) g;");

my $want = $fed->psql('b', "SELECT sum(v) FROM t WHERE n < 50");
is($want, '1275', 'the planted overlap adds up to 1275 at b');

my $t0 = [Time::HiRes::gettimeofday];
my $res = $fed->run_all({
	a => "SELECT smpc_intersect_sum(n, NULL::bigint, 'big-sum') FROM t",
	b => "SELECT smpc_intersect_sum(n, v, 'big-sum') FROM t",
	c => "SELECT smpc_intersect_sum(n, NULL::bigint, 'big-sum') FROM t" },
	timeout => 600);    # as smpc.timeout: about two minutes on a 2-core test VM, near run_all's default 120 s
$fed->expect_all_ok($res, $want, "an intersection sum of $big keys with values at b");
note(sprintf('the job took %.1f s', Time::HiRes::tv_interval($t0)));

# The audit row at b: the sum, the overlap's count and its own keys.
$fed->wait_audit('b', "job_id = 'big-sum' AND outcome = 'released'", 1);
is($fed->psql('b', "SELECT result FROM smpc.audit_log WHERE job_id = 'big-sum' AND outcome = 'released'"),
	"sum $want over 50 keys; keys here: $big distinct, 0 repeated, 0 NULL, with values",
	'the audit row at b names the sum, the overlap and its keys');

$fed->stop_all;

done_testing();
