# Peer connections are TLS with full certificate verification unless a
# superuser explicitly allows less, and a partner whose certificate does not
# verify is not talked to.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use SmpcTest;

my $fed = SmpcTest->new(parties => [qw(a b c)], timeout => '3s');
$fed->psql($_, 'CREATE TABLE t(x integer); INSERT INTO t VALUES (1)') for $fed->names;
my $ca = $fed->certdir . '/ca.crt';

# CREATE SERVER at a with sslmode $mode, after running $prefix.
sub create_server
{
	my ($name, $mode, $prefix) = @_;
	return $fed->try_psql('a',
		($prefix // '')
		  . "CREATE SERVER $name FOREIGN DATA WRAPPER smpc OPTIONS (host '127.0.0.1', "
		  . "port '5999', dbname 'org_x', sslmode '$mode', sslrootcert '$ca', "
		  . "peer_role 'smpc_peer_b');");
}

for my $mode (qw(disable allow prefer require))
{
	my ($rc, $out, $err) = create_server("x_$mode", $mode);
	isnt($rc, 0, "CREATE SERVER with sslmode '$mode' is refused by default");
	like($err, qr/sslmode|verify-full|allow_insecure_transport/i,
		"sslmode '$mode': the error says why");
}

my ($rc, $out, $err) = create_server('x_full', 'verify-full');
is($rc, 0, "CREATE SERVER with sslmode 'verify-full' is accepted") or diag $err;

($rc, $out, $err) = $fed->try_psql('a', "ALTER SERVER x_full OPTIONS (SET sslmode 'require')");
isnt($rc, 0, "ALTER SERVER to sslmode 'require' is refused by default");

($rc, $out, $err) = $fed->try_psql('a',
	"SHOW smpc.allow_insecure_transport");
is($out, 'off', 'smpc.allow_insecure_transport is off by default');

$fed->psql('a', 'CREATE ROLE analyst LOGIN');
($rc, $out, $err) = $fed->try_psql('a',
	"SET ROLE analyst; SET smpc.allow_insecure_transport = on;");
isnt($rc, 0, 'a non-superuser cannot set smpc.allow_insecure_transport');
like($err, qr/permission denied/, 'non-superuser: permission denied');

for my $mode (qw(require disable))
{
	($rc, $out, $err) = create_server("x_insecure_$mode", $mode,
		"SET smpc.allow_insecure_transport = on;\n");
	is($rc, 0, "superuser with smpc.allow_insecure_transport = on may use sslmode '$mode'")
	  or diag $err;
}

# A job works, over TLS (pg_hba rejects anything else), as the peer roles.
my $res = $fed->run_all("SELECT smpc_sum(x, 'tls-ok-1') FROM t");
$fed->expect_all_ok($res, '3', 'job over verified TLS');
# (In this peer-to-peer job a pair's messages travel on the calls of one of
# the two, README "How it works": a calls c, b calls a, c calls b.)
ok($fed->node('c')->log_contains(
		qr/connection authorized: user=smpc_peer_a database=org_c.*SSL enabled/),
	"c's log shows a logging in as smpc_peer_a over SSL");

# a trusts another CA for c: a cannot talk to c (cached connection or not),
# and nobody releases a result.
my $other = PostgreSQL::Test::Utils::tempdir('other_ca');
SmpcTest::make_certs($other);
$fed->psql('a', "ALTER SERVER c OPTIONS (SET sslrootcert '$other/ca.crt')");
$res = $fed->run_all("SELECT smpc_sum(x, 'tls-wrong-ca-1') FROM t");
$fed->expect_all_fail($res, [], "a trusts the wrong CA for c");
like($res->{a}{stderr}, qr/certificate|SSL|TLS/i, "a's error is about c's certificate");
$fed->expect_nothing_released('tls-wrong-ca-1', 'wrong CA');

$fed->psql('a', "ALTER SERVER c OPTIONS (SET sslrootcert '$ca')");
$res = $fed->run_all("SELECT smpc_sum(x, 'tls-ok-2') FROM t");
$fed->expect_all_ok($res, '3', 'job after restoring the right CA');

$fed->stop_all;
done_testing();
