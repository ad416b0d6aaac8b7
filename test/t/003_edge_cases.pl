# Edge cases of the inputs: NULLs, a party with no rows, negative values, a
# large table.  Each is compared with the plain aggregate over the union.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use SmpcTest;

my $fed = SmpcTest->new(parties => [qw(a b c)], timeout => '30s');

# Create table $t ($type) at each party from the SQL in %$rows_sql (party =>
# SELECT producing the rows, or undef for none) and the union at party a.
sub make_table
{
	my ($t, $type, %rows_sql) = @_;
	$fed->psql('a', "CREATE TABLE union_$t(x $type)");
	for my $p ($fed->names)
	{
		$fed->psql($p, "CREATE TABLE $t(x $type)");
		next unless defined $rows_sql{$p};
		$fed->psql($p, "INSERT INTO $t $rows_sql{$p}");
		$fed->psql('a', "INSERT INTO union_$t $rows_sql{$p}");
	}
	return;
}

# Run smpc_$agg over $t at all parties; compare with $agg over the union.
sub check_joint
{
	my ($t, $agg, $label) = @_;
	my $want = $fed->psql('a', "SELECT $agg(x) FROM union_$t");
	my $res = $fed->run_all("SELECT smpc_$agg(x, 'edge-$t-$agg') FROM $t");
	$fed->expect_all_ok($res, sub { $fed->numeric_eq('a', $_[0], $want) },
		"$label: smpc_$agg = $agg = '$want'");
	return;
}

# NULLs are ignored: by sum, by count, and in avg's denominator.
make_table('with_nulls', 'bigint',
	a => 'VALUES (10), (NULL), (20)',
	b => 'VALUES (NULL), (NULL)',
	c => 'VALUES (30), (NULL), (40), (50)');
check_joint('with_nulls', $_, 'NULLs ignored') for qw(sum count avg);
make_table('with_nulls_num', 'numeric',
	a => 'VALUES (1.25), (NULL)',
	b => 'VALUES (NULL)',
	c => 'VALUES (2.5)');
check_joint('with_nulls_num', $_, 'NULLs ignored (numeric)') for qw(sum count avg);

# A party whose table is empty contributes zero.
make_table('one_empty', 'integer',
	a => 'VALUES (7), (8)',
	b => undef,
	c => 'VALUES (9)');
check_joint('one_empty', $_, 'empty table at b') for qw(sum count avg);
make_table('one_empty_f', 'double precision',
	a => 'VALUES (0.5)',
	b => undef,
	c => 'VALUES (1.5), (4)');
check_joint('one_empty_f', $_, 'empty float8 table at b') for qw(sum count avg);

# No rows anywhere: count is 0 and avg is NULL, like PostgreSQL; smpc_sum
# is 0, not NULL (documented): a sum job exchanges only the sum, so telling
# "no rows anywhere" from "sum 0" would reveal more than the sum.
make_table('all_empty', 'bigint', a => undef, b => undef, c => undef);
check_joint('all_empty', $_, 'no rows at any party') for qw(count avg);
{
	my $res = $fed->run_all("SELECT smpc_sum(x, 'edge-all_empty-sum') FROM all_empty");
	$fed->expect_all_ok($res, sub { $_[0] eq '0' }, 'no rows at any party: smpc_sum = 0');
}

# Negative values, and a negative joint sum.
make_table('negatives', 'bigint',
	a => 'VALUES (-100), (5)',
	b => 'VALUES (-1), (-2), (-3)',
	c => 'VALUES (-1000000000000)');
check_joint('negatives', $_, 'negative values') for qw(sum count avg);
make_table('negatives_num', 'numeric',
	a => 'VALUES (-0.000001)',
	b => 'VALUES (-123.45)',
	c => 'VALUES (100.5), (-0.5)');
check_joint('negatives_num', $_, 'negative numerics') for qw(sum count avg);
make_table('negatives_f', 'double precision',
	a => 'VALUES (-0.25)',
	b => 'VALUES (-8), (2)',
	c => 'VALUES (-1024.5)');
check_joint('negatives_f', $_, 'negative float8') for qw(sum count avg);

# 100,000 rows at one party: the local phase is an ordinary aggregate, so
# this stays fast.
make_table('big', 'bigint',
	a => 'SELECT g FROM generate_series(1, 100000) g',
	b => 'VALUES (1), (2)',
	c => 'VALUES (3)');
check_joint('big', $_, '100,000 rows at a') for qw(sum count avg);
my $want_big = $fed->psql('a', 'SELECT sum(x * 0.25) FROM union_big');
my $res = $fed->run_all("SELECT smpc_sum(x * 0.25, 'edge-big-numeric-sum') FROM big");
$fed->expect_all_ok($res, sub { $fed->numeric_eq('a', $_[0], $want_big) },
	"100,000 rows at a: numeric sum = $want_big");
cmp_ok($res->{$_}{secs}, '<', 20, "100,000 rows: party $_ done in under 20 s")
  for $fed->names;

$fed->stop_all;
done_testing();
