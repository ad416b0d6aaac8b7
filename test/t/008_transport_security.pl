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
# the two, docs/architecture.md, "The rounds": a calls c, b calls a, c calls b.)
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

# sslmode verify-ca checks the certificate's chain but not its host name:
# when one CA signs every partner's certificate, b's passes as c's.  It is
# refused unless a superuser opts in for that server (allow_verify_ca), and
# then it is warned about at CREATE/ALTER SERVER and logged at every
# connection.
($rc, $out, $err) = create_server('x_ca', 'verify-ca');
isnt($rc, 0, "CREATE SERVER with sslmode 'verify-ca' is refused without allow_verify_ca");
like($err, qr/sslmode "verify-ca" does not check that the certificate is this partner's/,
	'verify-ca: the error says why');
like($err, qr/allow_verify_ca/, 'verify-ca: the error names the opt-in');
($rc, $out, $err) = $fed->try_psql('a', "ALTER SERVER c OPTIONS (SET sslmode 'verify-ca')");
isnt($rc, 0, "ALTER SERVER to sslmode 'verify-ca' is refused without allow_verify_ca");
$fed->psql('a', 'GRANT USAGE ON FOREIGN DATA WRAPPER smpc TO analyst');
($rc, $out, $err) = $fed->try_psql('a', "SET ROLE analyst;\n"
	  . "CREATE SERVER x_ca FOREIGN DATA WRAPPER smpc OPTIONS (host '127.0.0.1', port '5999', "
	  . "dbname 'org_x', sslmode 'verify-ca', allow_verify_ca 'true', peer_role 'smpc_peer_b');");
isnt($rc, 0, 'a non-superuser cannot opt in to verify-ca');
like($err, qr/only a superuser may set allow_verify_ca/, 'non-superuser: the error says so');

# A server whose sslmode became verify-ca without the validator (here: the
# catalog edited directly, as for a server made by an older version) is
# refused when a job connects.
my $set_c_sslmode = sub {
	my ($from, $to) = @_;
	$fed->psql('a', "UPDATE pg_foreign_server SET srvoptions = "
		  . "array_replace(srvoptions, 'sslmode=$from', 'sslmode=$to') WHERE srvname = 'c'");
};
$set_c_sslmode->('verify-full', 'verify-ca');
$res = $fed->run_all("SELECT smpc_sum(x, 'tls-ca-refused-1') FROM t");
$fed->expect_all_fail($res, [], 'verify-ca without the opt-in, at connection time');
like($res->{a}{stderr}, qr/connection to party "c" would not check that the certificate is c's/,
	"a refuses to connect to c with verify-ca");
$fed->expect_nothing_released('tls-ca-refused-1', 'verify-ca without the opt-in');
$set_c_sslmode->('verify-ca', 'verify-full');

# With the opt-in: a warning now, a log line at every connection, and jobs work.
($rc, $out, $err) = $fed->try_psql('a',
	"ALTER SERVER c OPTIONS (SET sslmode 'verify-ca', ADD allow_verify_ca 'true')");
is($rc, 0, 'a superuser may opt in to verify-ca for c') or diag $err;
like($err, qr/WARNING:  .*sslmode "verify-ca" accepts any certificate that the CA in sslrootcert signed/,
	'the opt-in warns that another partner\'s certificate passes as this one\'s');
my $log_offset = -s $fed->node('a')->logfile;
$res = $fed->run_all("SELECT smpc_sum(x, 'tls-ca-ok-1') FROM t");
$fed->expect_all_ok($res, '3', 'job with verify-ca for c, opted in');
like(slurp_file($fed->node('a')->logfile, $log_offset),
	qr/LOG:  smpc: connecting to party "c" with sslmode verify-ca: any certificate its CA signed passes as c's/,
	'a logs the verify-ca connection to c');
$fed->psql('a', "ALTER SERVER c OPTIONS (SET sslmode 'verify-full', DROP allow_verify_ca)");

# libpq negotiates GSSAPI encryption in preference to TLS, whatever sslmode
# says, whenever Kerberos credentials are at hand (its default gssencmode
# is "prefer"): the partner's certificate would then go unchecked. smpc
# turns GSSAPI encryption off on its partner connections. The test has no
# Kerberos realm; it starts a with PGGSSENCMODE=require in its environment,
# which libpq reads for any option the connection does not set: unless
# smpc sets gssencmode itself, a's connections then demand GSSAPI
# encryption and fail.
{
	local $ENV{PGGSSENCMODE} = 'require';
	$fed->node('a')->restart;
}
$res = $fed->run_all("SELECT smpc_sum(x, 'tls-no-gss-1') FROM t");
$fed->expect_all_ok($res, '3', "a's partner connections use TLS whatever libpq's environment says");
unlike($res->{a}{stderr} // '', qr/GSSAPI/, 'no GSSAPI error at a');
$fed->node('a')->restart;

$fed->stop_all;
done_testing();
