# Partners that log in with client certificates (pg_hba cert) instead of
# passwords. A superuser sets the certificate and key on the user mappings;
# a superuser's jobs then log in with them. Non-superusers' jobs follow
# dblink's rule (a password, and the partner must ask for it) unless a
# superuser sets password_required 'false' on the mapping, which only a
# superuser may: without it they are refused before anything is sent.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use SmpcTest;

my @names = qw(a b c);
my %input = (a => 1, b => 2, c => 3);
my $fed = SmpcTest->new(parties => \@names);
my $dir = $fed->certdir;

# A client certificate per partner role (CN = the role it logs in as), from
# the test CA.
for my $p (@names)
{
	my $role = $fed->peer_role($p);
	for my $cmd (
		[ 'openssl', 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256',
		  '-out', "$dir/client_$p.key" ],
		[ 'openssl', 'req', '-new', '-key', "$dir/client_$p.key", '-subj', "/CN=$role",
		  '-out', "$dir/client_$p.csr" ],
		[ 'openssl', 'x509', '-req', '-in', "$dir/client_$p.csr", '-CA', "$dir/ca.crt",
		  '-CAkey', "$dir/ca.key", '-CAcreateserial', '-days', '2', '-out', "$dir/client_$p.crt" ])
	{
		my ($out, $err) = ('', '');
		IPC::Run::run($cmd, '>', \$out, '2>', \$err) or BAIL_OUT("@$cmd: $err");
	}
	chmod 0600, "$dir/client_$p.key";
	for my $line (split /\n/, PostgreSQL::Test::Utils::slurp_file("$dir/client_$p.key"))
	{
		SmpcTest::record_secret($line) if $line !~ /^-----/ && length($line) >= 40;
	}
}

# Every party: partner roles log in with their certificate (first pg_hba
# line), and its mappings present its own certificate, without a password.
my $roles = join(',', map { $fed->peer_role($_) } @names);
for my $p (@names)
{
	my $node = $fed->node($p);
	$node->append_conf('postgresql.conf', "ssl_ca_file = '$dir/ca.crt'");
	my $hba = "hostssl all $roles 127.0.0.1/32 cert\n"
	  . PostgreSQL::Test::Utils::slurp_file($node->data_dir . '/pg_hba.conf');
	PostgreSQL::Test::Utils::append_to_file($node->data_dir . '/pg_hba.conf.new', $hba);
	rename($node->data_dir . '/pg_hba.conf.new', $node->data_dir . '/pg_hba.conf')
	  or BAIL_OUT("rename pg_hba.conf: $!");
	$node->reload;
	my $sql = "CREATE TABLE t(x integer); INSERT INTO t VALUES ($input{$p});\n"
	  . "CREATE ROLE ann LOGIN IN ROLE smpc_analyst;\n"
	  . "SELECT smpc.grant_results('ico', 'smpc_analyst');\n"
	  . "GRANT SELECT ON t TO smpc_analyst;\n";
	for my $q (grep { $_ ne $p } @names)
	{
		$sql .= "GRANT USAGE ON FOREIGN SERVER $q TO smpc_analyst;\n"
		  . "ALTER USER MAPPING FOR PUBLIC SERVER $q OPTIONS (ADD sslcert '$dir/client_$p.crt', "
		  . "ADD sslkey '$dir/client_$p.key', DROP password);\n";
	}
	$fed->psql($p, $sql);
}

# A superuser's job: every partner connection logs in with its certificate.
my $res = $fed->run_all("SELECT smpc_sum(x, 'cert-1') FROM t");
$fed->expect_all_ok($res, '6', 'superuser, certificates');
for my $p (@names)
{
	like(PostgreSQL::Test::Utils::slurp_file($fed->node($p)->logfile),
		qr/connection authenticated: identity="CN=smpc_peer_[abc]" method=cert/,
		"superuser, certificates: a partner logged in at $p with its certificate");
}

# A non-superuser's job: refused at every party before anything is sent
# (each party calls one partner in a three-party job).
my $as_ann = "SET ROLE ann;\nSELECT smpc_sum(x, 'cert-2') FROM t";
$res = $fed->run_all($as_ann);
$fed->expect_all_fail($res, [qr/password is required to connect to party "[abc]"/],
	'non-superuser, certificates, password_required unset');
$fed->expect_nothing_released('cert-2', 'non-superuser, password_required unset');

# With a password in the mapping but a partner that logs the role in by
# certificate and never asks for it: refused once connected (dblink's rule).
# (a calls c.)
$fed->psql('a', "ALTER USER MAPPING FOR PUBLIC SERVER c OPTIONS (ADD password 'never-asked-for')");
$res = $fed->run_all("SET ROLE ann;\nSELECT smpc_sum(x, 'cert-3') FROM t", parties => ['a']);
$fed->expect_all_fail($res, [qr/did not ask for the password/],
	'non-superuser, a password the partner does not ask for');
$fed->psql('a', "ALTER USER MAPPING FOR PUBLIC SERVER c OPTIONS (DROP password)");

# Only a superuser may lift the rule: a non-superuser who owns a server
# cannot set password_required 'false' on its mappings.
$fed->psql('a', "CREATE ROLE owner LOGIN; GRANT USAGE ON FOREIGN DATA WRAPPER smpc TO owner;");
my ($rc, $out, $err) = $fed->try_psql('a',
	"SET ROLE owner;\n"
	  . "CREATE SERVER x FOREIGN DATA WRAPPER smpc OPTIONS (host '127.0.0.1', port '1', dbname 'x', "
	  . "sslmode 'verify-full', peer_role 'smpc_peer_x');\n"
	  . "CREATE USER MAPPING FOR owner SERVER x OPTIONS (user 'u', password 'p', password_required 'false');");
isnt($rc, 0, 'a non-superuser cannot set password_required false');
like($err, qr/only a superuser may set password_required 'false'/, 'non-superuser: the error says so');
# Nor on a mapping of its own, in any spelling of false.
$fed->psql('a', "GRANT USAGE ON FOREIGN SERVER c TO ann");
($rc, $out, $err) = $fed->try_psql('a',
	"SET ROLE ann;\nCREATE USER MAPPING FOR ann SERVER c OPTIONS (user 'u', password_required 'off');");
isnt($rc, 0, "an analyst cannot set password_required 'off' on its own mapping");
like($err, qr/only a superuser may set password_required 'false'/, 'analyst: the error says so');

# A superuser lifts the rule on every mapping: the non-superuser's job logs
# in with the certificates.
for my $p (@names)
{
	$fed->psql($p,
		join('', map { "ALTER USER MAPPING FOR PUBLIC SERVER $_ OPTIONS (ADD password_required 'false');\n" }
		  grep { $_ ne $p } @names));
}

# The rule holds only for a server a superuser owns: whoever owns the server
# can point it at another host. a's server c owned by a non-superuser: the
# analyst's job at a is refused again.
$fed->psql('a', "ALTER SERVER c OWNER TO owner");
$res = $fed->run_all("SET ROLE ann;\nSELECT smpc_sum(x, 'cert-4') FROM t", parties => ['a']);
$fed->expect_all_fail($res,
	[qr/password is required to connect to party "c".*\n.*\nHINT:  .*password_required 'false' on the user mapping of a server that a superuser owns/s],
	'password_required false on a server a non-superuser owns');
$fed->psql('a', "ALTER SERVER c OWNER TO CURRENT_USER");

$res = $fed->run_all($as_ann);
$fed->expect_all_ok($res, '6', 'non-superuser, certificates, password_required false');

$fed->stop_all;
done_testing();
