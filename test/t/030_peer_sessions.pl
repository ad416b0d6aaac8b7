# What a partner's login can do here (SECURITY.md, "a partner's login
# role").  The deliver endpoint refuses a session that came over TCP without
# TLS, even where pg_hba.conf admits one (a "host" line where "hostssl" was
# meant).  And the limits docs/dba.md ("Partner roles and passwords",
# "What a partner's login can see") gives partners' login roles hold, while
# jobs still run: a connection limit, statement and temp-file limits, no
# temporary tables, no statistics views, no partner server options.
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

# docs/dba.md's limits, at b, for both partners' roles (as a superuser).
my $limits = '';
for my $role (qw(smpc_peer_a smpc_peer_c))
{
	$limits .= "ALTER ROLE $role CONNECTION LIMIT 4;\n"
	  . "ALTER ROLE $role SET statement_timeout = '1min';\n"
	  . "ALTER ROLE $role SET idle_in_transaction_session_timeout = '1min';\n"
	  . "ALTER ROLE $role SET idle_session_timeout = '1h';\n"
	  . "ALTER ROLE $role SET temp_file_limit = 0;\n";
}
$limits .= "REVOKE TEMPORARY ON DATABASE org_b FROM PUBLIC;\n"
  . "GRANT TEMPORARY ON DATABASE org_b TO smpc_analyst, smpc_admin;\n"
  . "REVOKE SELECT ON pg_catalog.pg_foreign_server FROM PUBLIC;\n"
  . "GRANT SELECT (oid, srvname, srvowner, srvfdw, srvtype, srvversion, srvacl) "
  . "ON pg_catalog.pg_foreign_server TO PUBLIC;\n"
  . "REVOKE SELECT ON pg_catalog.pg_stat_user_tables, pg_catalog.pg_stat_all_tables, "
  . "pg_catalog.pg_statio_user_tables, pg_catalog.pg_statio_all_tables FROM PUBLIC;\n";
$fed->psql('b', $limits);

my $peer = $fed->peer_connstr('b', 'a');
sub refused_to_peer
{
	my ($sql, $re, $label) = @_;
	my ($rc, $out, $err) = $fed->psql_connstr($peer, $sql);
	isnt($rc, 0, "a's login at b: $label is refused");
	like($err, $re, "$label: the error says why");
	return;
}
refused_to_peer('CREATE TEMP TABLE scratch(i integer)',
	qr/permission denied to create temporary tables/, 'a temporary table');
refused_to_peer(
	"SET work_mem = '64kB'; SELECT count(*) FROM (SELECT g FROM generate_series(1, 200000) g ORDER BY g DESC) s",
	qr/temporary file size exceeds temp_file_limit/, 'a temporary file');
refused_to_peer('SELECT srvoptions FROM pg_foreign_server',
	qr/permission denied/, 'partner servers\' options');
refused_to_peer('SELECT relname, n_live_tup FROM pg_stat_user_tables',
	qr/permission denied/, 'table statistics');
($rc, $out, $err) = $fed->psql_connstr($peer, 'SHOW statement_timeout');
is($out, '1min', 'a\'s login at b: statements time out');

# Five sessions of a's login role at once: the fifth is refused.
my @held = map { $fed->start_psql('b', 'SELECT pg_sleep(3)', user => 'smpc_peer_a', timeout => 30) } 1 .. 5;
my @ends = map { SmpcTest::finish_psql($_) } @held;
is(scalar(grep { $_->{rc} eq '0' } @ends), 4, 'four sessions of a\'s login role at b at once');
is(scalar(grep { $_->{stderr} =~ /too many connections for role "smpc_peer_a"/ } @ends), 1,
	'the fifth is refused');

# Jobs run under these limits.
$res = $fed->run_all("SELECT smpc_sum(x, 'sessions-2') FROM t");
$fed->expect_all_ok($res, '6', 'jobs with the partners\' logins limited');

$fed->stop_all;
done_testing();
