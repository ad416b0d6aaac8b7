# The deliver endpoint binds a message's claimed sender to the role that
# logged in: a partner cannot speak for another partner, and a role that is
# not a partner cannot deliver at all.  A rejected message does not disturb
# the job it named.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use SmpcTest;

my $fed = SmpcTest->new(parties => [qw(a b c)], timeout => '10s');
$fed->psql($_, 'CREATE TABLE t(x integer); INSERT INTO t VALUES (5)') for $fed->names;

# A syntactically valid share message, as hex, made by the test helper at b.
sub message_hex
{
	my ($job, $sender, $receiver) = @_;
	return $fed->psql('b',
		"SELECT encode(smpc._test_message('ico', '$job', $sender, $receiver), 'hex')");
}

# Deliver $hex at b, logged in as the peer role of party $as.
sub deliver_at_b_as
{
	my ($as, $hex) = @_;
	return $fed->psql_connstr($fed->peer_connstr('b', $as),
		"SELECT smpc.deliver('\\x$hex'::bytea)");
}

$fed->quiet_statement_log('b', 'smpc_peer_a', 'smpc_peer_c');
my $has_helper = $fed->psql('b',
	"SELECT count(*) FROM pg_proc WHERE proname = '_test_message' "
	  . "AND pronamespace = 'smpc'::regnamespace");
is($has_helper, '1', 'smpc._test_message(federation, job_id, sender, receiver) exists');

# The peer role of a can log in at b over TLS (sanity of the setup).
my ($rc, $out, $err) =
  $fed->psql_connstr($fed->peer_connstr('b', 'a'), 'SELECT current_user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
is($rc, 0, 'peer role of a logs in at b') or diag $err;
is($out, 'smpc_peer_a|t', 'as smpc_peer_a, over TLS');

# Positive control: a message from a to b, delivered by a's peer role, is
# accepted.  This also tells whether party numbers start at 0 or 1.
my $base;
for my $try (1, 0)
{
	my $hex = eval { message_hex('control-1', $try, $try + 1) };
	next unless defined $hex;
	my ($crc, $cout, $cerr) = deliver_at_b_as('a', $hex);
	if ($crc == 0)
	{
		$base = $try;
		last;
	}
	note "sender $try -> receiver " . ($try + 1) . " rejected: $cerr";
}
ok(defined $base, 'a genuine message from a to b is accepted')
  or diag 'neither 1-based nor 0-based party numbers were accepted';
$base //= 1;
my %num = (a => $base, b => $base + 1, c => $base + 2);

# A message claiming to come from c, delivered by a's peer role.
my $spoof = message_hex('spoof-1', $num{c}, $num{b});
($rc, $out, $err) = deliver_at_b_as('a', $spoof);
isnt($rc, 0, "a's peer role cannot deliver a message claiming to be from c");
like($err, qr/ERROR/, 'spoofed sender: an error is raised');
unlike($err, qr/permission denied for (function|schema)/,
	'spoofed sender: rejected by the sender check, not by missing grants');
note "spoof error: $err";

# The same kind of message, delivered by c's own peer role, is accepted (so
# the rejection above was about the sender).  Another job id, so that job
# spoof-1 below gets no share from c other than c's real one.
($rc, $out, $err) = deliver_at_b_as('c', message_hex('control-2', $num{c}, $num{b}));
is($rc, 0, "c's peer role can deliver a message from c") or diag $err;

# A role that is not a partner cannot call deliver at all.
$fed->psql('b', "SET log_statement = 'none'; SET log_min_error_statement = 'panic'; CREATE ROLE mallory LOGIN PASSWORD 'mallory-pw'");
$fed->quiet_statement_log('b', 'mallory');
my $mallory = $fed->peer_connstr('b', 'a');
$mallory =~ s/user=\S+/user=mallory/;
$mallory =~ s/password=\S+/password=mallory-pw/;
($rc, $out, $err) = $fed->psql_connstr($mallory,
	"SELECT smpc.deliver('\\x" . message_hex('spoof-2', $num{a}, $num{b}) . "'::bytea)");
isnt($rc, 0, 'a role that is not a partner cannot call smpc.deliver');
like($err, qr/permission denied/, 'non-partner: permission denied');

# Wrong password for a's peer role: no login.
($rc, $out, $err) =
  $fed->psql_connstr($fed->peer_connstr('b', 'a', 'not-the-password'), 'SELECT 1');
isnt($rc, 0, 'peer role with a wrong password cannot log in');

# Peer roles cannot read the job table.
($rc, $out, $err) =
  $fed->psql_connstr($fed->peer_connstr('b', 'a'), 'SELECT count(*) FROM smpc.jobs');
isnt($rc, 0, "a's peer role cannot read smpc.jobs at b");

# A partner's login role may deliver messages, never start a job in our name
# (it would send our shares to the others and learn their inputs).
($rc, $out, $err) = $fed->psql_connstr($fed->peer_connstr('b', 'a'),
	"SELECT smpc_sum(0::bigint, 'peer-started-1')");
isnt($rc, 0, "a's peer role cannot run a job at b");
like($err, qr/permission denied for aggregate smpc_sum/, 'peer role: no EXECUTE on the aggregates');
# Even if a DBA makes it an analyst by mistake, the job is refused by name.
$fed->psql('b', 'GRANT smpc_analyst TO smpc_peer_a');
($rc, $out, $err) = $fed->psql_connstr($fed->peer_connstr('b', 'a'),
	"SELECT smpc_sum(0::bigint, 'peer-started-1')");
isnt($rc, 0, "a's peer role, made an analyst, still cannot run a job at b");
like($err, qr/login role of party "a" and may not run jobs/, 'peer role: refused by name');
$fed->psql('b', 'REVOKE smpc_analyst FROM smpc_peer_a');
is($fed->psql('b', "SELECT count(*) FROM smpc.jobs WHERE job_id = 'peer-started-1'"),
	'0', 'peer role: no job row at b');

# The job named in the spoofed messages still computes the right result.
my $res = $fed->run_all("SELECT smpc_sum(x, 'spoof-1') FROM t");
$fed->expect_all_ok($res, '15', 'job spoof-1 after the spoofing attempts');

$fed->stop_all;
done_testing();
