# Passwords, private keys and shares never reach a server log or an error
# message.  Runs last: it greps the server logs of every TAP test of this run
# (tmp_check/log), and everything clients were told in errors, for every
# password and private-key line the tests created (SmpcTest records them)
# and for protocol messages (they start with "SMPC", hex 534d5043) and
# shares in text form ("smpc1:").  It first adds a run of its own with the
# most verbose logging: log_statement = all, debug5, audit records copied to
# the log, and the failures that print the most (a wrong partner password, a
# partner that is down, a deviating partner, malformed shares).
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use SmpcTest;

my $fed = SmpcTest->new(
	parties => [qw(a b c)],
	timeout => '3s',
	conf => "log_min_messages = debug5\nlog_min_error_statement = debug5\n"
	  . "smpc.audit_server_log = on\n");
my %input = (a => 10000, b => 15000, c => 20000);
$fed->psql($_, "CREATE TABLE t(x integer); INSERT INTO t VALUES ($input{$_})") for $fed->names;

my $res = $fed->run_all("SELECT smpc_avg(x, 'secrets-ok') FROM t");
$fed->expect_all_ok($res, sub { $fed->numeric_eq('a', $_[0], '15000') }, 'a job');
$res = $fed->run_all("SELECT smpc_sum(x, 'secrets-missing') FROM t", parties => [qw(a b)]);
$fed->expect_all_fail($res, [], 'c missing');
$res = $fed->run_all({
	a => "SELECT smpc_sum(x, 'secrets-fault') FROM t",
	b => "SET smpc.test_fault = 'equivocate_share'; SELECT smpc_sum(x, 'secrets-fault') FROM t",
	c => "SELECT smpc_sum(x, 'secrets-fault') FROM t" });
$fed->expect_all_fail($res, [], 'b equivocates');

# a's mapping for c with a wrong password: c refuses a's login.
SmpcTest::record_secret('wrong-password-for-c');
$fed->psql('a', "SET log_statement = 'none'; SET log_min_error_statement = 'panic'; "
	  . "ALTER USER MAPPING FOR PUBLIC SERVER c OPTIONS (SET password 'wrong-password-for-c')");
$res = $fed->run_all("SELECT smpc_sum(x, 'secrets-badpw') FROM t");
$fed->expect_all_fail($res, [], 'a has a wrong password for c');
like($res->{a}{stderr}, qr/could not connect to party "c"/, 'wrong password: a cannot connect to c');
$fed->psql('a', "SET log_statement = 'none'; SET log_min_error_statement = 'panic'; "
	  . "ALTER USER MAPPING FOR PUBLIC SERVER c OPTIONS (SET password "
	  . SmpcTest::quote_literal($fed->password('a', 'c')) . ')');

# c is down.
$fed->node('c')->stop('fast');
$res = $fed->run_all("SELECT smpc_sum(x, 'secrets-down') FROM t", parties => [qw(a b)]);
$fed->expect_all_fail($res, [], 'c down');
$fed->node('c')->start;

# Shares made and taken apart in SQL, and malformed ones, never in the text
# of a statement.
my ($rc, $out, $err) = $fed->try_psql('a', 'SELECT smpc_reconstruct(smpc_share(123456789::bigint, 3))');
is($out, '123456789', 'shares in SQL');
($rc, $out, $err) = $fed->try_psql('a', 'SELECT smpc_reconstruct((smpc_share(123456789::bigint, 3))[1:2])');
isnt($rc, 0, 'too few shares: an error');
($rc, $out, $err) = $fed->try_psql('a',
	"SELECT smpc_reconstruct(ARRAY[(smpc_share(5::bigint, 2))[1], "
	  . "replace((smpc_share(5::bigint, 2))[2], ':a:', ':s:')])");
isnt($rc, 0, 'mixed shares: an error');

$res = $fed->run_all("SELECT smpc_avg(x, 'secrets-after') FROM t");
$fed->expect_all_ok($res, undef, 'a job at the end');
$fed->stop_all;

# Everything recorded.
my @secrets = grep { length } split /\n/,
  (-f SmpcTest::secrets_file() ? slurp_file(SmpcTest::secrets_file()) : '');
ok(@secrets >= 6, scalar(@secrets) . ' passwords and key lines recorded by the tests');
my @logs = sort glob("$PostgreSQL::Test::Utils::log_path/*_party_*.log");
ok(@logs >= 3, scalar(@logs) . ' server logs to read');
my %texts = map { $_ => slurp_file($_) } @logs;
# psql quotes the client's own statement under an error ("LINE 1: ...",
# then a caret): that is what the test typed, not what the server said.
if (-f SmpcTest::client_output_file())
{
	my @lines = split /\n/, slurp_file(SmpcTest::client_output_file());
	$texts{'client errors'} = join "\n", grep { !/^LINE \d+: / && !/^\s*\^\s*$/ } @lines;
}
ok(length($texts{"$PostgreSQL::Test::Utils::log_path/099_no_secrets_in_logs_party_a.log"} // '') > 0,
	"this test's own logs are among them");

# What of the secrets, messages and shares a text holds.
sub scan
{
	my ($name, $text) = @_;
	my @hits;
	for my $s (@secrets)
	{
		push @hits, "$name: a recorded secret ($s)" if index($text, $s) >= 0;
	}
	push @hits, "$name: protocol message bytes" if $text =~ /534d5043/i;
	push @hits, "$name: a share in text form" if $text =~ /smpc1:[as]:/;
	return @hits;
}

my @found = map { scan($_, $texts{$_}) } sort keys %texts;
is_deeply(\@found, [], 'no password, private key, message or share in any server log or client error')
  or diag join("\n", @found);

# Control: the scan finds each kind of leak in a text that has it.
my ($key_line) = grep { length($_) >= 40 } @secrets;
my @control = scan('control',
	"x " . $fed->password('a', 'c') . " \\x534D504302 smpc1:a:3:0:1:0:00 " . ($key_line // ''));
is(scalar(@control), 4, 'control: a password, a message, a share and a key line are all found')
  or diag join("\n", @control);

done_testing();
