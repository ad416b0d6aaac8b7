# Analytics beyond one sum, each checked against plain PostgreSQL over the
# union of all parties' rows: variances and standard deviations for every
# input type, grouped aggregates over a declared key domain, histograms and
# percentiles.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use SmpcTest;

my $fed = SmpcTest->new(parties => [qw(a b c)], timeout => '20s');
my @names = $fed->names;

# The rows of party number $k (1, 2, 3): every type, negatives, NULLs, and
# a region among five (the last one, 'islands', only at party c).
sub rows_of
{
	my ($k) = @_;
	my $n = 150 + 70 * $k;
	return <<"EOS";
SELECT CASE WHEN i % 11 = 0 THEN NULL ELSE ((i * 7 + $k) % 300 - 100)::smallint END,
       CASE WHEN i % 13 = 0 THEN NULL ELSE (i * 37 + $k * 11) % 10000 - 2500 END,
       (i::bigint * 1000003 + $k) % 100000007 - 5000000,
       ((i * 13 + $k) % 100000) / 100.0 - 200,
       ((i * 17 + $k) % 1000) / 8.0 - 30,
       CASE WHEN $k = 3 AND i % 9 = 0 THEN 'islands'
            ELSE (ARRAY['north', 'south', 'east', 'west'])[1 + (i * $k + i / 3) % 4] END
FROM generate_series(1, $n) i
EOS
}

my $columns = 'i2 smallint, i4 integer, i8 bigint, num numeric(14,2), f8 double precision, region text';
for my $k (1 .. 3)
{
	my $p = $names[ $k - 1 ];
	$fed->psql($p, "CREATE TABLE t ($columns); INSERT INTO t " . rows_of($k));
}
# Plain PostgreSQL's view of the same rows, kept apart at party a.
$fed->psql('a', "CREATE TABLE union_t ($columns);"
	  . join('', map { 'INSERT INTO union_t ' . rows_of($_) . ';' } 1 .. 3));

# Whether $got is within a relative 1e-9 of $want (both numeric text).
sub close_to
{
	my ($got, $want) = @_;
	return $got eq $want if $got eq '' || $want eq '';
	return $fed->psql('a',
		"SELECT abs('$got'::numeric - '$want'::numeric) <= 1e-9 * greatest(1, abs('$want'::numeric))")
	  eq 't';
}

# Runs one SELECT of several smpc aggregates at every party; each party's
# row must match, column by column, what $plain computes over union_t.
sub compare_all
{
	my ($label, $smpc, $plain) = @_;
	my $res = $fed->run_all("SELECT $smpc FROM t");
	my $want = $fed->psql('a', "SELECT $plain FROM union_t");
	my @want = split /\|/, $want, -1;
	for my $p (@names)
	{
		is($res->{$p}{rc}, 0, "$label: party $p succeeded")
		  or diag($res->{$p}{stderr});
		my @got = split /\|/, $res->{$p}{stdout} // '', -1;
		is(scalar(@got), scalar(@want), "$label: party $p has every column");
		for my $i (0 .. $#want)
		{
			ok(close_to($got[$i] // '', $want[$i]), "$label: party $p, column $i")
			  or diag("got [$got[$i]], PostgreSQL says [$want[$i]]");
		}
	}
	return;
}

# Variances and standard deviations: six aggregates, five types, one job each.
for my $agg (qw(variance var_samp var_pop stddev stddev_samp stddev_pop))
{
	my @cols = qw(i2 i4 i8 num f8);
	compare_all(
		"smpc_$agg",
		join(', ', map { "smpc_$agg($_, '$agg-$_')" } @cols),
		join(', ', map { "$agg($_)" } @cols));
}

# A job id released for one of the six answers the others from the same values.
my $res = $fed->run_all("SELECT smpc_var_pop(i4, 'variance-i4') FROM t");
my $want = $fed->psql('a', 'SELECT var_pop(i4) FROM union_t');
for my $p (@names)
{
	ok(close_to($res->{$p}{stdout}, $want), "party $p: var_pop from the stored variance job");
}

# One row: the sample variance is NULL, as in PostgreSQL; no rows: NULL too.
$res = $fed->run_all({ map { $_ => "SELECT smpc_var_samp(i4, 'one-row') IS NULL, "
	  . "smpc_var_pop(i4, 'one-row-pop') = 0 FROM t WHERE "
	  . ($_ eq 'a' ? 'i4 = (SELECT min(i4) FROM t)' : 'false') } @names });
$fed->expect_all_ok($res, 't|t', 'one row: var_samp NULL, var_pop 0');

# Squares that do not fit in 128 bits are an error, never a wrap.
$fed->psql($_, "CREATE TABLE huge (v bigint); INSERT INTO huge SELECT 9000000000000000000 FROM generate_series(1, 4)")
  for @names;
my ($rc, $out, $err) = $fed->try_psql('a', "SELECT smpc_variance(v, 'huge') FROM huge");
isnt($rc, 0, 'overflowing sum of squares fails');
like($err, qr/22003/, 'overflow is SQLSTATE 22003 (numeric value out of range)');

done_testing();
