# Parties whose federation definitions differ refuse to compute together,
# and say what differs; so do parties that run different computations under
# one job id.  Nothing is released in either case.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use SmpcTest;

my $fed = SmpcTest->new(parties => [qw(a b c)], timeout => '5s');
$fed->psql($_, 'CREATE TABLE t(x integer); INSERT INTO t VALUES (1), (2)')
  for $fed->names;
my $query = sub { "SELECT smpc_sum(x, '$_[0]') FROM t" };

# Register federation $name at every party, with %override at party c;
# return the SQL prefix that selects it.
sub federation_with_c
{
	my ($name, %override) = @_;
	$fed->register_federation($_, federation => $name) for qw(a b);
	$fed->register_federation('c', federation => $name, %override);
	return "SET smpc.federation = '$name';\n";
}

# Sanity: the definitions agree to begin with.
my $res = $fed->run_all($query->('mm-ok-0'));
$fed->expect_all_ok($res, '9', 'matching federations');

# c uses another fixed-point scale.
my $set = federation_with_c('mm_scale', scale => 4);
$res = $fed->run_all($set . $query->('mm-scale-1'));
$fed->expect_all_fail($res, [qr/scale/i], 'c registered scale 4, others the default');
$fed->expect_nothing_released('mm-scale-1', 'scale mismatch');

# c lists the same parties in another order.
$set = federation_with_c('mm_order', parties => [qw(a c b)]);
$res = $fed->run_all($set . $query->('mm-parties-1'));
$fed->expect_all_fail($res, [qr/parties|party list|order/i],
	'c registered parties (a, c, b), others (a, b, c)');
$fed->expect_nothing_released('mm-parties-1', 'party list mismatch');

# With several federations registered, smpc.federation picks one.
$res = $fed->run_all("SET smpc.federation = 'ico';\n" . $query->('mm-ok-1'));
$fed->expect_all_ok($res, '9', 'smpc.federation = ico');

# Same job id, different computations.
my $use_ico = "SET smpc.federation = 'ico';\n";
$res = $fed->run_all({
	a => $use_ico . "SELECT smpc_sum(x, 'mm-agg-1') FROM t",
	b => $use_ico . "SELECT smpc_avg(x, 'mm-agg-1') FROM t",
	c => $use_ico . "SELECT smpc_avg(x, 'mm-agg-1') FROM t",
});
$fed->expect_all_fail($res, [], 'a runs smpc_sum, b and c smpc_avg under one job id');
$fed->expect_nothing_released('mm-agg-1', 'computation mismatch');

# Agreement again: works.
$res = $fed->run_all($use_ico . $query->('mm-ok-2'));
$fed->expect_all_ok($res, '9', 'after the failed jobs');

$fed->stop_all;
done_testing();
