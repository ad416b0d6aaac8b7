# The delegated and hybrid deployments (docs/dba.md, "Thresholds, dropouts
# and deployment models"), with real servers.
#
# Delegated: five data owners secret-share their local aggregate to three
# compute parties (Shamir 2-of-3) and receive the result, or, configured
# otherwise, only the compute parties do. Owners never exchange anything
# with one another; compute parties hold shares of every owner's input but
# learn no result unless they are outputs. 2-of-3 needs all three compute
# parties (a quorum of ceil((3 + 2) / 2) = 3: two groups cut off from each
# other never both open, and a third value checks the other two); an owner
# may be down. Results are verified.
#
# Hybrid: one compute party run by the organisation, one by an external
# provider (n-of-n between the two); the organisation's departments supply
# inputs. The provider never learns a result; without it, nothing is computed.
# A provider that shifts its partial sum is caught by the MAC tags: nothing
# is released. A job on a published dataset started at one department runs
# everywhere.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use SmpcTest;

# ---- delegated ----------------------------------------------------------

my @owners = qw(o1 o2 o3 o4 o5);
my @compute = qw(c1 c2 c3);
my $dg = SmpcTest->new(parties => [ @owners, @compute ], federation => undef, timeout => '4s');
my %input = (o1 => 100, o2 => 200, o3 => 300, o4 => 400, o5 => 500);
for my $p (@owners)
{
	$dg->psql($p, "CREATE TABLE t(x integer); INSERT INTO t VALUES ($input{$p}), ($input{$p})");
}
for my $p (@owners, @compute)
{
	# (Test builds only: calls that waited here for a job's own message.)
	$dg->psql($p, "CREATE FUNCTION smpc_test_handover_waits() RETURNS bigint AS 'smpc', 'smpc_test_handover_waits' LANGUAGE C STRICT");
	$dg->register_federation($p, federation => 'dg', threshold => 2, compute => \@compute,
		inputs => \@owners, outputs => \@owners);
	$dg->register_federation($p, federation => 'dg_out', threshold => 2, compute => \@compute,
		inputs => \@owners, outputs => \@compute);
}
is($dg->psql('o1', "SELECT smpc.federation_fingerprint('dg')"),
	$dg->psql('c3', "SELECT smpc.federation_fingerprint('dg')"),
	'delegated: every party registered the same definition, roles included');

# Owners aggregate their rows; compute parties join without an input.
my %owner_sql = map { $_ => "SET smpc.federation = 'dg';\nSELECT smpc_avg(x, 'dg-1') FROM t" } @owners;
my %compute_sql =
  map { $_ => "SET smpc.federation = 'dg';\nSELECT coalesce(smpc_join('avg', 'integer', 'dg-1', 'x')::text, 'no result')" }
  @compute;
my $offset = -s $dg->node('o1')->logfile;
my $res = $dg->run_all({ %owner_sql, %compute_sql });
$dg->expect_all_ok({ map { $_ => $res->{$_} } @owners },
	sub { $dg->numeric_eq('o1', $_[0], '300') }, 'delegated: every owner learns the average');
$dg->expect_all_ok({ map { $_ => $res->{$_} } @compute }, 'no result',
	'delegated: compute parties learn no result');
for my $p (@compute)
{
	is($dg->psql($p, "SELECT state || ' ' || array_to_string(covers, ',') FROM smpc.jobs WHERE job_id = 'dg-1'"),
		'contributed o1,o2,o3,o4,o5', "delegated: $p took part and keeps no result");
}
is($dg->psql($_, "SELECT verified FROM smpc.jobs WHERE job_id = 'dg-1'"), 't',
	"delegated: $_ records the result as verified (three values of a 2-of-3 sharing)") for @owners;
# Spread in the delegated model: owners run smpc_stddev_pop, compute parties
# join the same "variance" job.
%owner_sql = map { $_ => "SET smpc.federation = 'dg';\nSELECT smpc_stddev_pop(x, 'dg-var') FROM t" } @owners;
%compute_sql = map { $_ => "SET smpc.federation = 'dg';\nSELECT coalesce(smpc_join('var_pop', 'integer', 'dg-var', 'x')::text, 'no result')" } @compute;
$res = $dg->run_all({ %owner_sql, %compute_sql });
$dg->expect_all_ok({ map { $_ => $res->{$_} } @owners },
	sub { $dg->psql('o1', "SELECT round('$_[0]'::numeric, 12) = round(sqrt(20000::numeric), 12)") eq 't' },
	'delegated: every owner learns the standard deviation');
$dg->expect_all_ok({ map { $_ => $res->{$_} } @compute }, 'no result',
	'delegated: compute parties learn no spread');
# Grouped results in the delegated model: compute parties join with smpc_join_by.
for my $p (@owners)
{
	$dg->psql($p, "CREATE TABLE g(k text, x integer); INSERT INTO g VALUES ('n', $input{$p}), ('s', 1)");
}
%owner_sql = map { $_ => "SET smpc.federation = 'dg';\nSELECT string_agg(key || '=' || value, ',') FROM unnest((SELECT smpc_sum_by(k, x, ARRAY['n', 's'], 'dg-by') FROM g))" } @owners;
%compute_sql = map { $_ => "SET smpc.federation = 'dg';\nSELECT coalesce(smpc_join_by('sum_by', 'integer', ARRAY['s', 'n'], 'dg-by', 'x')::text, 'no result')" } @compute;
$res = $dg->run_all({ %owner_sql, %compute_sql });
$dg->expect_all_ok({ map { $_ => $res->{$_} } @owners }, 'n=1500,s=5',
	'delegated: every owner learns the grouped sums');
$dg->expect_all_ok({ map { $_ => $res->{$_} } @compute }, 'no result',
	'delegated: compute parties join the grouped job and learn nothing');
# Histograms and percentiles in the delegated model: smpc_join_histogram.
%owner_sql = map { $_ => "SET smpc.federation = 'dg';\nSELECT string_agg(count::text, ',') FROM unnest((SELECT smpc_histogram(x, ARRAY[150, 350], 'dg-hist') FROM t));\n"
	  . "SELECT value FROM unnest((SELECT smpc_percentiles(x, ARRAY[0.5], ARRAY[150, 250, 350], 'dg-pct') FROM t))" } @owners;
%compute_sql = map { $_ => "SET smpc.federation = 'dg';\nSELECT coalesce(smpc_join_histogram('integer', ARRAY[150, 350], 'dg-hist')::text, 'no result');\n"
	  . "SELECT coalesce(smpc_join_histogram('integer', ARRAY[150, 250, 350], 'dg-pct')::text, 'no result')" } @compute;
$res = $dg->run_all({ %owner_sql, %compute_sql });
$dg->expect_all_ok({ map { $_ => $res->{$_} } @owners }, "2,4,4\n275.00",
	'delegated: owners learn the histogram and the median (in its bucket [250, 350))');
$dg->expect_all_ok({ map { $_ => $res->{$_} } @compute }, "no result\nno result",
	'delegated: compute parties join histogram jobs and learn nothing');
# Owners talk only to compute parties: no owner's login reaches another owner.
my $log = slurp_file($dg->node('o1')->logfile, $offset);
unlike($log, qr/connection authorized: user=smpc_peer_o\d/, 'delegated: no other owner connects to o1');
like($log, qr/connection authorized: user=smpc_peer_c\d/, 'delegated: compute parties send o1 the result');
like(slurp_file($dg->node('c1')->logfile), qr/connection authorized: user=smpc_peer_o3/,
	'delegated: c1 got o3\'s share');
# Only peer-to-peer jobs hand a party's message back on its partner's call
# (handover.cpp): a delivery call in this federation returns at once. It
# used to wait 20 ms for a job that never offers one, on every call.
is($dg->psql($_, 'SELECT smpc_test_handover_waits()'), '0',
	"delegated: no delivery call to $_ waited for a message to take back") for @owners, @compute;

# Only the compute parties learn the result.
%owner_sql = map { $_ => "SET smpc.federation = 'dg_out';\nSELECT coalesce(smpc_sum(x, 'dg-2')::text, 'no result') FROM t" } @owners;
%compute_sql = map { $_ => "SET smpc.federation = 'dg_out';\nSELECT smpc_join('sum', 'integer', 'dg-2', 'x')" } @compute;
$res = $dg->run_all({ %owner_sql, %compute_sql });
$dg->expect_all_ok({ map { $_ => $res->{$_} } @owners }, 'no result',
	'compute-only outputs: owners contribute and learn nothing');
$dg->expect_all_ok({ map { $_ => $res->{$_} } @compute }, '3000',
	'compute-only outputs: the compute parties learn the sum');
is($dg->psql('o2', "SELECT state FROM smpc.jobs WHERE job_id = 'dg-2'"), 'contributed',
	'compute-only outputs: o2 records that it contributed');

# A compute party down: 2-of-3 needs all three, so nothing is released, and
# the job id stays usable (nothing was opened).
$dg->node('c3')->stop('fast');
%owner_sql = map { $_ => "SET smpc.federation = 'dg';\nSELECT smpc_sum(x, 'dg-3') FROM t" } @owners;
%compute_sql = map { $_ => "SET smpc.federation = 'dg';\nSELECT coalesce(smpc_join('sum', 'integer', 'dg-3', 'x')::text, 'no result')" } qw(c1 c2);
$res = $dg->run_all({ %owner_sql, %compute_sql });
$dg->expect_all_fail({ map { $_ => $res->{$_} } qw(c1 c2) }, [qr/SM001|party c3|party "c3"/],
	'delegated, c3 down: the compute parties stop');
$dg->expect_nothing_released('dg-3', 'delegated, c3 down');
$dg->node('c3')->start;
# An owner that is down is left out, and the result says so.
$dg->node('o5')->stop('fast');
delete $owner_sql{o5};
$compute_sql{c3} = $compute_sql{c1};
s/dg-3/dg-4/ for values %owner_sql, values %compute_sql;
$res = $dg->run_all({ %owner_sql, %compute_sql });
$dg->expect_all_ok({ map { $_ => $res->{$_} } qw(o1 o2 o3 o4) }, '2000',
	'delegated, o5 down: the sum over o1..o4');
like($res->{o1}{stderr}, qr/covers the inputs of o1, o2, o3, o4 only/, 'delegated: o1 is told o5 was left out');
$dg->node('o5')->start;

# A party without an input role that aggregates rows is stopped before
# anything is sent.
$dg->psql('c1', 'CREATE TABLE t(x integer); INSERT INTO t VALUES (1)');
my ($rc, $out, $err) = $dg->try_psql('c1', "SET smpc.federation = 'dg'; SELECT smpc_sum(x, 'dg-5') FROM t");
isnt($rc, 0, 'a compute party cannot supply rows');
like($err, qr/22023: party "c1" supplies no input in federation "dg", but the aggregate read 1 rows.*\nHINT:  Run SELECT smpc_join\('sum', 'integer', job_id\) here instead\./s,
	'and is told to use smpc_join');
$dg->stop_all;

# ---- hybrid -------------------------------------------------------------

my $hy = SmpcTest->new(parties => [qw(org prov dept1 dept2)], federation => undef, timeout => '4s');
my %dept = (org => 7, dept1 => 11, dept2 => 13);
for my $p (qw(org dept1 dept2))
{
	$hy->psql($p, "CREATE TABLE t(x integer); INSERT INTO t VALUES ($dept{$p})");
}
for my $p (qw(org prov dept1 dept2))
{
	$hy->register_federation($p, federation => 'hy', compute => [qw(org prov)],
		inputs => [qw(org dept1 dept2)], outputs => [qw(org dept1 dept2)]);
}
my %sql = (
	(map { $_ => "SET smpc.federation = 'hy';\nSELECT smpc_sum(x, 'hy-1') FROM t" } qw(org dept1 dept2)),
	prov => "SET smpc.federation = 'hy';\nSELECT coalesce(smpc_join('sum', 'integer', 'hy-1', 'x')::text, 'no result')");
my %hy1 = %sql;
$res = $hy->run_all(\%sql);
$hy->expect_all_ok({ map { $_ => $res->{$_} } qw(org dept1 dept2) }, '31',
	'hybrid: the organisation and its departments get the sum');
is($res->{prov}{stdout}, 'no result', 'hybrid: the provider computes and learns nothing');
is($hy->psql('prov', "SELECT state FROM smpc.jobs WHERE job_id = 'hy-1'"), 'contributed',
	'hybrid: the provider records that it took part');
is($hy->psql($_, "SELECT verified FROM smpc.jobs WHERE job_id = 'hy-1'"), 't',
	"hybrid: $_ records the result as verified (MAC tags)") for qw(org dept1 dept2);

# The provider shifts the result: it sends every output the same wrong
# partial sum. The MAC tags do not match; nothing is released.
%sql = (
	(map { $_ => "SET smpc.federation = 'hy';\nSELECT smpc_sum(x, 'hy-shift') FROM t" } qw(org dept1 dept2)),
	prov => "SET smpc.federation = 'hy';\nSET smpc.test_fault = 'wrong_partial';\n"
	  . "SELECT coalesce(smpc_join('sum', 'integer', 'hy-shift', 'x')::text, 'no result')");
$res = $hy->run_all(\%sql);
$hy->expect_all_fail({ map { $_ => $res->{$_} } qw(org dept1 dept2) }, [qr/SM00[34]/],
	'hybrid: a provider that shifts its partial sum');
ok((grep { $res->{$_}{stderr} =~ /SM003: the result of job "hy-shift" failed its integrity check/ } qw(org dept1 dept2)),
	'hybrid, shifted: the outputs name the failed integrity check');
$hy->expect_nothing_released('hy-shift', 'hybrid, shifted');

# The provider is down: nothing can be computed (n-of-n between the two).
%sql = %hy1;
$hy->node('prov')->stop('fast');
delete $sql{prov};
s/hy-1/hy-2/ for values %sql;
$res = $hy->run_all(\%sql);
$hy->expect_all_fail($res, [], 'hybrid, provider down');
like($res->{$_}{stderr}, qr/party prov|party "prov"/, "hybrid, provider down: $_ names it") for qw(org dept1 dept2);
$hy->expect_nothing_released('hy-2', 'hybrid, provider down');
$hy->node('prov')->start;
$sql{prov} = "SET smpc.federation = 'hy';\nSELECT coalesce(smpc_join('sum', 'integer', 'hy-2', 'x')::text, 'no result')";
$res = $hy->run_all(\%sql);
$hy->expect_all_ok({ map { $_ => $res->{$_} } qw(org dept1 dept2) }, '31', 'hybrid: retried with the provider back');

# One call at a department: the others and the provider take part by
# themselves, the provider (no input) through a publication without a query.
for my $p (qw(org dept1 dept2))
{
	$hy->psql($p, "SELECT smpc.publish('hy', 'depts', 'SELECT x FROM t', ARRAY['x'], require_bounds => false)");
}
$hy->psql('prov', "SELECT smpc.publish('hy', 'depts', NULL, ARRAY['x'], require_bounds => false)");
my $run = $hy->psql('dept1', "SELECT value, covers FROM smpc_run('hy', 'depts', 'sum', 'x', 'dept1:hy-run')");
is($run, '31|{org,dept1,dept2}', 'hybrid: smpc_run at a department gets the sum from one call');
is($hy->wait_audit('prov', "job_id = 'dept1:hy-run' AND initiated_by = 'dept1'", 1), 1,
	'hybrid: the provider took part by itself, started by dept1');
is($hy->psql('prov', "SELECT state FROM smpc.jobs WHERE job_id = 'dept1:hy-run'"), 'contributed',
	'hybrid: and learned nothing');
is($hy->psql('org', "SELECT initiated_by FROM smpc.audit_log WHERE job_id = 'dept1:hy-run' AND outcome = 'released'"),
	'dept1', 'hybrid: the organisation took part by itself');

$hy->stop_all;
done_testing();
