# Release policies, enforced by every party on its own side: clipping bounds
# applied before sharing (clipped values counted in the local log), bounds
# that reject, a minimum joint row count checked before anything else is
# opened, a minimum number of parties, and jobs refused when the parties'
# policies differ.  Nothing is released by a refused job.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use SmpcTest;

my $fed = SmpcTest->new(parties => [qw(a b c)], timeout => '4s');
my %rows = (
	a => '(50, 1.5, 0.5), (150, 7.25, 9), (-10, -1, -2)',
	b => '(20, 2, 0.25)',
	c => '(30, 0.5, 0.75)');
for my $p ($fed->names)
{
	$fed->psql($p, "CREATE TABLE t(x integer, n numeric, f double precision);"
		  . "INSERT INTO t VALUES $rows{$p};");
}

# Run $sql at every party after $setup (run as its own psql call first).
sub everywhere { my ($sql) = @_; $fed->psql($_, $sql) for $fed->names; return; }

# Without bounds: the plain joint sum.
my $res = $fed->run_all("SELECT smpc_sum(x, 'pol-plain') FROM t");
$fed->expect_all_ok($res, '240', 'no bounds: plain joint sum');

# Clipping to [0, 100] at every party: a's 150 and -10 become 100 and 0.
everywhere("SELECT smpc.set_bounds('ico', 'x', 0, 100)");
my $log_a = $fed->node('a')->logfile;
my $log_offset = -s $log_a;
$res = $fed->run_all("SELECT smpc_sum(x, 'pol-clip') FROM t");
$fed->expect_all_ok($res, '200', 'bounds [0, 100]: a contributes 50 + 100 + 0');
$res = $fed->run_all("SELECT smpc_avg(x, 'pol-clip-avg') FROM t");
$fed->expect_all_ok($res, sub { $fed->numeric_eq('a', $_[0], '40') }, 'bounds [0, 100]: average');
my $log = slurp_file($log_a, $log_offset);
like($log, qr/smpc: job "pol-clip" of federation "ico": 2 values of column "x" clipped to \[0, 100\]/,
	'a logs how many of its values were clipped');
unlike(slurp_file($fed->node('b')->logfile), qr/clipped to/, 'b clipped nothing and logs nothing');

# numeric and double precision are clipped in the federation's fixed point.
everywhere("SELECT smpc.set_bounds('ico', 'n', -0.5, 2.5); SELECT smpc.set_bounds('ico', 'f', 0, 1)");
$res = $fed->run_all("SELECT smpc_sum(n, 'pol-clip-n') FROM t");
$fed->expect_all_ok($res, sub { $fed->numeric_eq('a', $_[0], '6') },
	'numeric bounds [-0.5, 2.5]: 1.5 + 2.5 - 0.5 + 2 + 0.5');
$res = $fed->run_all("SELECT smpc_sum(f, 'pol-clip-f') FROM t");
$fed->expect_all_ok($res, sub { SmpcTest::float_close($_[0], 2.5) },
	'double precision bounds [0, 1]: 0.5 + 1 + 0 + 0.25 + 0.75');

# Bounds that reject: a refuses at once, before contacting anyone; b and c
# wait for a until smpc.timeout.  Nobody releases.
everywhere("SELECT smpc.set_bounds('ico', 'x', 0, 100, 'reject')");
$res = $fed->run_all("SELECT smpc_sum(x, 'pol-reject') FROM t");
isnt($res->{a}{rc}, '0', 'reject: a refuses');
like($res->{a}{stderr}, qr/SM006: column "x" holds values outside its bounds \[0, 100\]\nDETAIL:  2 values lie outside\./,
	'reject: a says how many values are outside');
cmp_ok($res->{a}{secs}, '<', 3, 'reject: a refused without waiting for partners');
# Whichever of b and c times out first tells the other, which then reports
# that partner's abort with the same reason.
like($res->{$_}{stderr},
	qr/(SM001: |SM004: party [bc] aborted the job\nDETAIL:  )timed out after 4 s waiting for round 1 \(share\) from party a/,
	"reject: $_ stops at its timeout, naming a") for qw(b c);
ok((grep { $res->{$_}{stderr} =~ /SM001/ } qw(b c)), 'reject: one of b and c timed out itself');
$fed->expect_nothing_released('pol-reject', 'reject');

# Different bounds at b: every party refuses, naming the difference.
everywhere("SELECT smpc.set_bounds('ico', 'x', 0, 100)");
$fed->psql('b', "SELECT smpc.set_bounds('ico', 'x', 0, 50)");
$res = $fed->run_all("SELECT smpc_sum(x, 'pol-mismatch') FROM t");
$fed->expect_all_fail($res, [qr/SM00[147]/], 'b clips to [0, 50], a and c to [0, 100]');
# A party that starts after the others already refused learns it from their
# aborts: it waits for a retry until smpc.timeout, and then says why.
like($res->{$_}{stderr}, qr/SM00[47]|DETAIL:  No result was released\. Party [ab] aborted the job before this party started it: the release policy of job "pol-mismatch" differs at party/,
	"mismatch: $_ names the difference, or the partner that refused before it started")
  for $fed->names;
# a sees b's share, or first c's abort about b's share.
like($res->{a}{stderr},
	qr/SM007: the release policy of job "pol-mismatch" differs at party b\nDETAIL:  bounds: here clip 0 100, at the partner clip 0 50|SM004: party c aborted the job\nDETAIL:  the release policy of job "pol-mismatch" differs at party b/,
	'mismatch: a names b and what differs, or c\'s abort naming b');
like($res->{b}{stderr}, qr/bounds: here clip 0 50, at the partner clip 0 100/,
	'mismatch: b says what differs');
$fed->expect_nothing_released('pol-mismatch', 'bounds mismatch');
$fed->psql('b', "SELECT smpc.set_bounds('ico', 'x', 0, 100)");

# A minimum joint row count.  5 rows: released; the count round runs first.
everywhere("SELECT smpc.set_policy('ico', min_rows => 5)");
$res = $fed->run_all("SELECT smpc_sum(x, 'pol-rows-ok') FROM t");
$fed->expect_all_ok($res, '200', 'min_rows 5 with 5 rows: released');
$res = $fed->run_all("SELECT smpc_count(x, 'pol-rows-count') FROM t");
$fed->expect_all_ok($res, '5', 'min_rows 5: a count of 5 is released');
# 6 rows needed: every party refuses after the count round, at once.
everywhere("SELECT smpc.set_policy('ico', min_rows => 6)");
$res = $fed->run_all("SELECT smpc_sum(x, 'pol-rows-few') FROM t");
$fed->expect_all_fail($res,
	[qr/SM006: the joint row count is below the release policy's minimum of 6 rows/],
	'min_rows 6 with 5 rows');
unlike($res->{$_}{stderr}, qr/\b5\b/, "min_rows: party $_ is not told the count") for $fed->names;
cmp_ok($res->{$_}{secs}, '<', 3, "min_rows: party $_ refused without waiting") for $fed->names;
$fed->expect_nothing_released('pol-rows-few', 'too few rows');
# Rows filtered away count too: 3 rows with x > 0 ... below 6.
$res = $fed->run_all("SELECT smpc_avg(x, 'pol-rows-where') FROM t WHERE x > 25");
$fed->expect_all_fail($res, [qr/SM006/], 'min_rows with a WHERE clause');

# Different minimums: refused, naming them.
$fed->psql('c', "SELECT smpc.set_policy('ico', min_rows => 4)");
$res = $fed->run_all("SELECT smpc_sum(x, 'pol-rows-mismatch') FROM t");
$fed->expect_all_fail($res, [qr/SM00[147]/], 'c requires 4 rows, a and b 6');
# Whichever party sees the difference first names it; the others may learn
# of it as that party's abort.
ok((grep { $res->{$_}{stderr} =~ /min_rows: here (6, at the partner 4|4, at the partner 6)/ } $fed->names),
	'the min_rows difference is named');
everywhere("SELECT smpc.set_policy('ico', min_rows => 0)");

# A minimum number of parties above the federation's size: refused at once.
everywhere("SELECT smpc.set_policy('ico', min_parties => 4)");
$res = $fed->run_all("SELECT smpc_sum(x, 'pol-parties') FROM t");
$fed->expect_all_fail($res,
	[qr/SM006: federation "ico" has 3 parties, but the release policy requires at least 4/],
	'min_parties 4 in a federation of 3');
cmp_ok($res->{$_}{secs}, '<', 3, "min_parties: party $_ refused at once") for $fed->names;
everywhere("SELECT smpc.set_policy('ico', min_parties => 3)");

# Bounds follow the column through renames and refuse expressions over it.
# x + 0 would carry a's 150 and -10 past the bounds [0, 100]: every party
# refuses it by itself, before contacting anyone, and nobody releases.
$res = $fed->run_all("SELECT smpc_sum(x + 0, 'pol-expr') FROM t");
$fed->expect_all_fail($res,
	[qr/SM006: the value of job "pol-expr" is an expression over column "x", which has clipping bounds/],
	'an expression over a bounded column');
cmp_ok($res->{$_}{secs}, '<', 3, "expression: party $_ refused at once") for $fed->names;
$fed->expect_nothing_released('pol-expr', 'expression');
# So is a value smpc cannot follow (a function in FROM that is not inlined).
everywhere("CREATE FUNCTION t_rows() RETURNS TABLE (v integer) LANGUAGE sql VOLATILE AS 'SELECT x FROM t'");
$res = $fed->run_all("SELECT smpc_sum(v, 'pol-opaque') FROM t_rows()");
$fed->expect_all_fail($res,
	[qr/SM006: smpc cannot tell which columns the value of job "pol-opaque" reads/],
	'a value smpc cannot follow');
$fed->expect_nothing_released('pol-opaque', 'opaque value');
# A rename through a subquery the planner keeps (LIMIT) is clipped like x.
$res = $fed->run_all("SELECT smpc_sum(y, 'pol-rename') FROM (SELECT x AS y FROM t LIMIT 100) q");
$fed->expect_all_ok($res, '200', 'a renamed column is clipped to its bounds');

# Two parties: refused by the default policy, allowed when both lower it.
$fed->register_federation($_, federation => 'duo', parties => [qw(a b)]) for qw(a b);
my $duo = "SET smpc.federation = 'duo';\nSELECT smpc_count(x, 'duo-1') FROM t";
$res = $fed->run_all($duo, parties => [qw(a b)]);
$fed->expect_all_fail($res,
	[qr/SM006: federation "duo" has 2 parties, but the release policy requires at least 3/,
	 qr/each party learns the other's input/],
	'two parties under the default policy');
$fed->psql($_, "SELECT smpc.set_policy('duo', min_parties => 2)") for qw(a b);
$res = $fed->run_all($duo, parties => [qw(a b)]);
$fed->expect_all_ok($res, '4', 'two parties that both allow it');

# The federation works as before after all the refusals.
$res = $fed->run_all("SET smpc.federation = 'ico'; SELECT smpc_sum(x, 'pol-after') FROM t");
$fed->expect_all_ok($res, '200', 'after the refused jobs');

# A partner's 'reject' bounds refuse a job on a published dataset: the
# initiator learns that the partner's bounds policy refused, never how many
# of the partner's values lie outside (that is a statement about its data).
# c holds 29 values above the bounds; 29 must not reach a or b by the error,
# the audit trail or the server log.  c itself keeps the count.
my $hidden = 29;
for my $p ($fed->names)
{
	$fed->psql($p, <<"EOS");
CREATE TABLE r(x integer);
INSERT INTO r VALUES (5);
CREATE ROLE reporting LOGIN IN ROLE smpc_analyst;
CREATE ROLE alice LOGIN IN ROLE smpc_analyst;
GRANT SELECT ON r TO reporting, alice;
SELECT smpc.grant_results('ico', 'smpc_analyst');
GRANT USAGE ON FOREIGN SERVER @{[ join ', ', grep { $_ ne $p } $fed->names ]} TO smpc_analyst;
SELECT smpc.set_bounds('ico', 'x', 0, 100, 'reject');
SELECT smpc.publish('ico', 'rdata', 'SELECT x FROM r', ARRAY['x'], run_as => 'reporting');
EOS
}
$fed->psql('c', "INSERT INTO r SELECT 1000 FROM generate_series(1, $hidden)");
my %log_at = map { ($_ => -s $fed->node($_)->logfile) } $fed->names;
my $run = SmpcTest::finish_psql($fed->start_psql('a',
	"SELECT value FROM smpc_run('ico', 'rdata', 'sum', 'x', 'a:pol-reject-hidden')", user => 'alice'));
isnt($run->{rc}, 0, 'reject at a partner: the job on a published dataset is refused');
like($run->{stderr},
	qr/SM006: party "c" could not run job "a:pol-reject-hidden": column "x" holds values outside its bounds \[0, 100\]/,
	'reject at a partner: a learns that c\'s bounds refused');
# (A verbose error's LOCATION line holds a source line number.)
(my $said = $run->{stderr}) =~ s/^LOCATION:.*$//mg;
unlike($said, qr/\b$hidden\b/, 'reject at a partner: a\'s error does not hold c\'s count');
$fed->wait_audit($_, "job_id = 'a:pol-reject-hidden'", 1) for $fed->names;
is($fed->psql('c', "SELECT outcome, outside_bounds FROM smpc.audit_log WHERE job_id = 'a:pol-reject-hidden'"),
	"refused|$hidden", 'reject at a partner: c\'s own audit trail keeps the count');
for my $p (qw(a b))
{
	my $rows = $fed->psql($p,
		"SELECT string_agg(concat_ws('|', outcome, sqlstate, reason, outside_bounds), E'\\n') "
		  . "FROM smpc.audit_log WHERE job_id = 'a:pol-reject-hidden'");
	unlike($rows, qr/\b$hidden\b/, "reject at a partner: $p\'s audit trail does not hold c's count");
	# Every log line about the job, the refusal or bounds, without its prefix.
	my @lines = grep { /pol-reject-hidden|outside|bounds|could not run/ }
	  map { s/^\S+ \S+ \S+ \[\d+\] //r }
	  split /\n/, slurp_file($fed->node($p)->logfile, $log_at{$p});
	ok(@lines || $p eq 'b', "reject at a partner: $p logged the failed job");
	unlike(join("\n", @lines), qr/\b$hidden\b/, "reject at a partner: $p\'s server log does not hold c's count");
}
like(slurp_file($fed->node('c')->logfile, $log_at{c}), qr/\b$hidden values lie outside/,
	'reject at a partner: c\'s own server log keeps the count');
$fed->expect_nothing_released('a:pol-reject-hidden', 'reject at a partner');

$fed->stop_all;
done_testing();
