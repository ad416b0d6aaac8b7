# smpc_sum, smpc_count and smpc_avg over every supported input type give
# exactly what sum, count and avg give over the union of the parties' rows,
# with the same result types.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use SmpcTest;

my $fed = SmpcTest->new(parties => [qw(a b c)], timeout => '20s');

# Ten rows in all (3 + 4 + 3), so every average is a terminating decimal and
# can be compared exactly.  float8 values are exact in binary and have at
# most 6 decimals (the default fixed-point scale).
my %data = (
	'smallint' => {
		a => [ 1, 2, 32767 ],
		b => [ -5, 100, 200, 32767 ],
		c => [ 7, -32768, 9 ],
	},
	'integer' => {
		a => [ 2147483647, 1, -3 ],
		b => [ 10, 20, 2147483647, 40 ],
		c => [ 2147483647, 5, -2147483648 ],
	},
	'bigint' => {
		a => [ '9223372036854775807', 1, -3 ],
		b => [ '9223372036854775807', 20, 30, '-9223372036854775808' ],
		c => [ '9223372036854775807', 5, 6 ],
	},
	'numeric' => {
		a => [ '1.5', '-2.25', '123456789.123456' ],
		b => [ '0.000001', '1000000000000', '-7', '42' ],
		c => [ '3.141592', '-0.5', '99999999999.999999' ],
	},
	'double precision' => {
		a => [ '0.5', '-1.25', '1000000' ],
		b => [ '3', '0.125', '-0.0625', '123456.5' ],
		c => [ '2.75', '-1000', '0' ],
	},
);

my %tag = (
	'smallint' => 'int2',
	'integer' => 'int4',
	'bigint' => 'int8',
	'numeric' => 'numeric',
	'double precision' => 'float8');

# Per-party tables, and the union at party a for the expected values.
for my $type (sort keys %data)
{
	my $t = "vals_$tag{$type}";
	my @all;
	for my $p ($fed->names)
	{
		my @v = @{ $data{$type}{$p} };
		push @all, @v;
		$fed->psql($p, "CREATE TABLE $t(x $type);"
			  . "INSERT INTO $t VALUES " . join(',', map { "('$_')" } @v));
	}
	$fed->psql('a', "CREATE TABLE union_$tag{$type}(x $type);"
		  . "INSERT INTO union_$tag{$type} VALUES " . join(',', map { "('$_')" } @all));
}

# Result types match PostgreSQL's sum/count/avg.
for my $type (sort keys %data)
{
	for my $agg (qw(sum count avg))
	{
		my $got = $fed->psql('a', qq{
			SELECT string_agg(p.prorettype::regtype::text, ',')
			FROM pg_proc p
			WHERE p.proname = 'smpc_$agg' AND p.prokind = 'a'
			  AND p.pronargs = 2 AND p.proargtypes[0] = '$type'::regtype
			  AND p.proargtypes[1] = 'text'::regtype});
		my $want = $fed->psql('a', qq{
			SELECT p.prorettype::regtype::text
			FROM pg_proc p
			WHERE p.proname = '$agg' AND p.prokind = 'a'
			  AND p.pronamespace = 'pg_catalog'::regnamespace
			  AND p.pronargs = 1 AND p.proargtypes[0] = '$type'::regtype});
		is($got, $want, "smpc_$agg($type, text) returns $want like $agg($type)");
	}
}

# Joint results equal the plain aggregates over the union.
for my $type (sort keys %data)
{
	my $tg = $tag{$type};
	for my $agg (qw(sum count avg))
	{
		my $want = $fed->psql('a', "SELECT $agg(x) FROM union_$tg");
		my $job = "types-$tg-$agg";
		my $res = $fed->run_all("SELECT smpc_$agg(x, '$job') FROM vals_$tg");
		my $check =
		  ($type eq 'double precision' && $agg ne 'count')
		  ? sub { SmpcTest::float_close($_[0], $want, 1e-12) }
		  : sub { $fed->numeric_eq('a', $_[0], $want) };
		my $out = $fed->expect_all_ok($res, $check, "smpc_$agg($type) = $want");
		my %distinct = map { $_ => 1 } values %$out;
		ok(keys %distinct <= 1, "smpc_$agg($type): all parties print the same")
		  or diag explain $out;
	}
}

# The stored result (what a retry of the job id returns) is the exact joint
# sum, within and beyond 64 bits (the bigint sum), which are formatted apart.
for my $tg (qw(int2 int4 int8))
{
	my $want = $fed->psql('a', "SELECT sum(x) FROM union_$tg");
	for my $p ($fed->names)
	{
		my $stored =
		  $fed->psql($p, "SELECT result FROM smpc.jobs WHERE job_id = 'types-$tg-sum'");
		like($stored, qr/^\Q$want\E(,[0-9]+)?$/, "party $p: stored $tg sum is $want")
		  or diag("stored: [$stored]");
	}
}

# At the edge of 64 bits: a joint sum of exactly -2^63, and one of 2^63.
for my $case ([ 'int8-min', '-9223372036854775808', '0', '0' ],
	[ 'int8-past-max', '9223372036854775807', '1', '0' ])
{
	my ($name, @v) = @$case;
	my @names = $fed->names;
	$fed->psql($names[$_], "CREATE TABLE edge(x bigint); INSERT INTO edge VALUES ($v[$_])")
	  for 0 .. 2;
	my $want = $fed->psql('a', "SELECT $v[0]::numeric + $v[1] + $v[2]");
	my $res = $fed->run_all("SELECT smpc_sum(x, 'types-$name') FROM edge");
	$fed->expect_all_ok($res, sub { $fed->numeric_eq('a', $_[0], $want) },
		"$name: smpc_sum = $want");
	for my $p (@names)
	{
		my $stored =
		  $fed->psql($p, "SELECT result FROM smpc.jobs WHERE job_id = 'types-$name'");
		like($stored, qr/^\Q$want\E(,[0-9]+)?$/, "party $p: stored $name sum is $want")
		  or diag("stored: [$stored]");
		$fed->psql($p, 'DROP TABLE edge');
	}
}

# Several smpc aggregates (distinct job ids) in one query.
{
	my $want = $fed->psql('a', 'SELECT sum(x), count(x), avg(x) FROM union_int8');
	my $res = $fed->run_all(
		"SELECT smpc_sum(x, 'multi-sum'), smpc_count(x, 'multi-count'), "
		  . "smpc_avg(x, 'multi-avg') FROM vals_int8");
	$fed->expect_all_ok(
		$res,
		sub {
			my @g = split /\|/, $_[0], -1;
			my @w = split /\|/, $want, -1;
			return @g == 3
			  && $fed->numeric_eq('a', $g[0], $w[0])
			  && $g[1] eq $w[1]
			  && $fed->numeric_eq('a', $g[2], $w[2]);
		},
		"sum, count and avg in one query = $want");
}

# A non-terminating average is right to many digits.
{
	$fed->psql($_, 'CREATE TABLE thirds(x integer)') for $fed->names;
	$fed->psql('a', 'INSERT INTO thirds VALUES (1)');
	$fed->psql('b', 'INSERT INTO thirds VALUES (1)');
	$fed->psql('c', 'INSERT INTO thirds VALUES (2)');
	my $res = $fed->run_all("SELECT smpc_avg(x, 'thirds-avg') FROM thirds");
	$fed->expect_all_ok(
		$res,
		sub {
			$fed->psql('a', "SELECT abs('$_[0]'::numeric - 4::numeric / 3) < 1e-6") eq 't';
		},
		'avg(1, 1, 2) = 1.333...');
}

$fed->stop_all;
done_testing();
