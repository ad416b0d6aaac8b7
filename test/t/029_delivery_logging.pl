# A delivery never reaches the partner's server log, whatever the partner
# changes between jobs (SECURITY.md, "Shares never reach a server log").
# Senders keep their connections to partners for the life of their session
# and ask smpc.deliver_ready() only when one opens; a partner's DBA may then
# turn on statement logging with parameters (a reload) while a connection is
# cached, and the next delivery's parameter is a whole share message.  Here
# each party runs two jobs in one session; between them b reloads settings
# that log every statement with its parameters (and, with pgaudit, every
# function call with its parameters).  b's log must then record the
# deliveries as statements, on the connections opened before the reload,
# and no message.  A connection opened after the reload is refused.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes ();
use SmpcTest;

my $pgaudit = SmpcTest::library_installed('pgaudit');
my $fed = SmpcTest->new(
	parties => [qw(a b c)],
	timeout => '5s',
	conf_for => sub {
		$_[0] eq 'b' && $pgaudit ? "shared_preload_libraries = 'smpc, pgaudit'\n" : '';
	});
my %input = (a => 1, b => 2, c => 3);
for my $p ($fed->names)
{
	$fed->psql($p, "CREATE TABLE t(x integer); INSERT INTO t VALUES ($input{$p}); "
		  . "CREATE TABLE go(x integer)");
}

# b keeps parameters out of the log through its configuration file, not
# through its partners' roles (which a reload would not change).
$fed->psql('b',
	"ALTER ROLE smpc_peer_a RESET log_parameter_max_length; "
	  . "ALTER ROLE smpc_peer_c RESET log_parameter_max_length");
$fed->psql('b', "ALTER SYSTEM SET log_parameter_max_length = 0");
$fed->psql('b', "SELECT pg_reload_conf()");

sub wait_setting
{
	my ($p, $name, $want) = @_;
	my $got;
	for (1 .. 100)
	{
		$got = $fed->psql($p, "SHOW $name");
		last if $got eq $want;
		Time::HiRes::sleep(0.1);
	}
	is($got, $want, "$p: $name is $want");
	return;
}
wait_setting('b', 'log_parameter_max_length', '0');

# Two jobs per session; the second waits for a row in go.
my $sql = "SELECT smpc_sum(x, 'reload-1') FROM t;\n"
  . "DO \$\$BEGIN WHILE NOT EXISTS (SELECT FROM go) LOOP PERFORM pg_sleep(0.05); END LOOP; END\$\$;\n"
  . "SELECT smpc_sum(x, 'reload-2') FROM t;\n";
my %run = map { $_ => $fed->start_psql($_, $sql) } $fed->names;
for my $p ($fed->names)
{
	my $n = 0;
	for (1 .. 200)
	{
		$n = $fed->released_count($p, 'reload-1');
		last if $n;
		Time::HiRes::sleep(0.1);
	}
	is($n, '1', "first job released at $p");
}

# b's DBA turns on everything that would log a call's parameters.
my $offset = -s $fed->node('b')->logfile;
my @settings = (
	"log_statement = 'all'", 'log_parameter_max_length = -1',
	'log_min_duration_statement = 0', 'log_parameter_max_length_on_error = -1');
push @settings, "pgaudit.log = 'all'", 'pgaudit.log_parameter = on' if $pgaudit;
$fed->psql('b', "ALTER SYSTEM SET $_") for @settings;
$fed->psql('b', "SELECT pg_reload_conf()");
wait_setting('b', 'log_parameter_max_length', '-1');
wait_setting('b', 'log_parameter_max_length_on_error', '-1');
wait_setting('b', 'pgaudit.log_parameter', 'on') if $pgaudit;

$fed->psql($_, 'INSERT INTO go VALUES (1)') for $fed->names;
my %res = map { $_ => SmpcTest::finish_psql($run{$_}) } $fed->names;
$fed->expect_all_ok(\%res, "6\n6", 'two jobs in one session, b reloaded between them');

my $log = slurp_file($fed->node('b')->logfile, $offset);
like($log, qr/execute smpc_deliver: .*PREPARE smpc_deliver\(bytea\) AS SELECT smpc\.exchange\(\$1\)/,
	'b logged the second job\'s deliveries as statements (the reload took effect)');
unlike($log, qr/connection authorized: user=smpc_peer_/,
	'they came on the connections opened before the reload');
like($log, qr/AUDIT: SESSION,.*smpc\.exchange/, 'pgaudit logged them too') if $pgaudit;
unlike($log, qr/534d5043/i, 'and b logged no message');
unlike($log, qr/parameters: \$1 = /, 'and no parameter of them');

# A connection opened now is refused before any share is sent.
$offset = -s $fed->node('b')->logfile;
my $res = $fed->run_all("SELECT smpc_sum(x, 'reload-3') FROM t");
$fed->expect_all_fail($res, [], 'new connections to b after the reload');
like(join('', map { $res->{$_}{stderr} } $fed->names),
	qr/party "b" rejected the .* message: smpc refuses deliveries whose contents the server log would record/,
	'the sender to b is told why');
unlike(slurp_file($fed->node('b')->logfile, $offset), qr/534d5043/i, 'b logged no message of it');

$fed->stop_all;
unlike(slurp_file($fed->node('b')->logfile), qr/534d5043/i, 'b\'s whole log holds no message');
done_testing();
