# What a partner's login can do here (SECURITY.md, "a partner's login
# role").  The deliver endpoint refuses a session that came over TCP without
# TLS, even where pg_hba.conf admits one (a "host" line where "hostssl" was
# meant).
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use SmpcTest;

my $fed = SmpcTest->new(parties => [qw(a b c)], timeout => '5s');
my %input = (a => 1, b => 2, c => 3);
$fed->psql($_, "CREATE TABLE t(x integer); INSERT INTO t VALUES ($input{$_})") for $fed->names;

# b's DBA admits a's login role without TLS by mistake.
my $hba = $fed->node('b')->data_dir . '/pg_hba.conf';
my $text = slurp_file($hba);
$text =~ s/^(host all all 0\.0\.0\.0\/0 reject)$/host org_b smpc_peer_a 127.0.0.1\/32 scram-sha-256\n$1/m
  or die 'pg_hba.conf has no reject line';
open(my $fh, '>', $hba) or die $!;
print $fh $text;
close $fh;
$fed->node('b')->reload;

my $plain = $fed->peer_connstr('b', 'a');
$plain =~ s/sslmode=verify-full/sslmode=disable/;
my ($rc, $out, $err) = $fed->psql_connstr($plain, 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
is($out, 'f', 'a\'s login role reaches b without TLS (pg_hba.conf admits it)');

($rc, $out, $err) = $fed->psql_connstr($plain, 'SELECT smpc.deliver_ready()');
isnt($rc, 0, 'without TLS: smpc.deliver_ready() refuses');
like($err, qr/28000: smpc partner login "smpc_peer_a" needs a TLS connection/, 'and says why');
($rc, $out, $err) = $fed->psql_connstr($plain, "SELECT smpc.deliver('\\x00')");
like($err, qr/28000: smpc partner login "smpc_peer_a" needs a TLS connection/,
	'smpc.deliver refuses before it reads the message');
($rc, $out, $err) = $fed->psql_connstr($plain, "SELECT smpc.exchange('\\x00')");
like($err, qr/28000: smpc partner login "smpc_peer_a" needs a TLS connection/,
	'smpc.exchange too');

($rc, $out, $err) = $fed->psql_connstr($fed->peer_connstr('b', 'a'), 'SELECT smpc.deliver_ready()');
is($rc, 0, 'over TLS: smpc.deliver_ready() passes') or diag $err;

# A superuser may allow unencrypted partners, as for outgoing connections.
$fed->psql('b', 'ALTER SYSTEM SET smpc.allow_insecure_transport = on');
$fed->node('b')->reload;
($rc, $out, $err) = $fed->psql_connstr($plain, 'SELECT smpc.deliver_ready()');
is($rc, 0, 'with smpc.allow_insecure_transport: passes without TLS') or diag $err;
$fed->psql('b', 'ALTER SYSTEM RESET smpc.allow_insecure_transport');
$fed->node('b')->reload;

my $res = $fed->run_all("SELECT smpc_sum(x, 'sessions-1') FROM t");
$fed->expect_all_ok($res, '6', 'jobs over TLS');

$fed->stop_all;
done_testing();
