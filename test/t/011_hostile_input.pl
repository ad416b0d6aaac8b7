# Hostile input to the deliver endpoint, sent by a genuine partner (a's peer
# role at b): each message gets a clear error and changes nothing else, and
# jobs with awkward ids (quotes, backslashes, unicode, 10,000 characters) run.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use SmpcTest;

my $fed = SmpcTest->new(parties => [qw(a b c)], timeout => '10s');
$fed->psql($_, 'CREATE TABLE t(x integer); INSERT INTO t VALUES (5)') for $fed->names;

# A message built at b (party numbers are 0-based: a=0, b=1, c=2), as hex.
sub message_hex
{
	my ($job, $type, $sender, $receiver) = @_;
	my $lit = SmpcTest::quote_literal($job);
	return $fed->psql('b',
		"SELECT encode(smpc._test_message('ico', $lit, ${\($sender // 0)}, ${\($receiver // 1)}, '$type'), 'hex')");
}

# Deliver hex (or, given as { sql => ... }, a bytea expression) at b as a's
# peer role; returns ($rc, $stderr).
sub deliver
{
	my ($hex) = @_;
	my $arg = ref $hex ? $hex->{sql} : "'\\x$hex'::bytea";
	my ($rc, $out, $err) = $fed->psql_connstr($fed->peer_connstr('b', 'a'),
		"SELECT smpc.deliver($arg)");
	return ($rc, $err);
}

sub rejected
{
	my ($hex, $re, $label) = @_;
	my ($rc, $err) = deliver($hex);
	isnt($rc, 0, "$label: rejected");
	like($err, $re, "$label: clear error");
	return;
}

$fed->quiet_statement_log('b', 'smpc_peer_a', 'smpc_peer_c');
my $jobs_before = $fed->psql('b', 'SELECT count(*) FROM smpc.jobs');

# A peer role whose statements' parameters the server log would record may
# not deliver: a message holds a share.
$fed->psql('b', "ALTER ROLE smpc_peer_a SET log_parameter_max_length = -1; "
	  . "ALTER ROLE smpc_peer_a SET log_min_duration_statement = 0");
rejected('00', qr/42501: smpc refuses deliveries whose contents the server log would record\nDETAIL:  With log_min_duration_statement, the server log records the parameters/,
	'parameters of slow statements logged');
$fed->psql('b', "ALTER ROLE smpc_peer_a SET log_parameter_max_length = 0");
rejected('00', qr/SM003: invalid smpc message/, 'parameters not logged: the message itself is checked');
$fed->psql('b', "ALTER ROLE smpc_peer_a RESET log_min_duration_statement; "
	  . "ALTER ROLE smpc_peer_a SET log_parameter_max_length_on_error = 64");
rejected('00', qr/42501: smpc refuses deliveries.*\nDETAIL:  With log_parameter_max_length_on_error,/,
	'parameters of failing statements logged');
$fed->psql('b', "ALTER ROLE smpc_peer_a RESET log_parameter_max_length_on_error");

my $good = message_hex('hostile-1', 'share');

# One byte over the limit (161 MiB: a million-key blinded set with its
# sealed values fits).
my $over = 161 * 1024 * 1024 + 1;
rejected({ sql => "decode(repeat('00', $over), 'hex')" },
	qr/54000: smpc message of $over bytes exceeds the limit/, 'oversized payload');
rejected('', qr/SM003: invalid smpc message: message truncated/, 'empty message');
rejected(substr($good, 0, length($good) - 2), qr/SM003: invalid smpc message/, 'truncated by one byte');
rejected(substr($good, 0, 20), qr/SM003: invalid smpc message/, 'truncated header');
rejected($good . '00', qr/SM003: invalid smpc message/, 'one trailing byte');
rejected('00' . substr($good, 2), qr/SM003: invalid smpc message/, 'wrong magic');
(my $badver = $good) =~ s/^(.{8}).{2}/${1}09/;
isnt($badver, $good, 'the version byte was changed');
rejected($badver,
	qr/SM003: invalid smpc message: message is in wire format version 9, this party speaks version 4 \(every party must run an smpc release with the same wire format\)/,
	'another wire format version: the error names both versions');

# The last 16 bytes are the one share value: make it >= p, and shorten it.
(my $big = $good) =~ s/.{32}$/'ff' x 15 . '7f'/e;
rejected($big, qr/SM003: invalid smpc message.*field element|SM003: invalid smpc message/, 'share value >= modulus');
(my $short = $good) =~ s/.{2}$//;
rejected($short, qr/SM003: invalid smpc message/, 'share value of 15 bytes');

# Wrong round / unknown job: partials and confirms only for a waiting job.
rejected(message_hex('hostile-2', 'partial'),
	qr/SM008: no run of job "hostile-2" is waiting for a partial message/, 'partial for a job not running');
rejected(message_hex('hostile-2', 'confirm'),
	qr/SM008: no run of job "hostile-2" is waiting for a confirm message/, 'confirm for a job not running');
rejected(message_hex('hostile-3', 'share', 0, 2),
	qr/SM003: message is addressed to party number 2/, 'addressed to another party');

# Delivery after the job ended, and replays of a released job's messages.
my $res = $fed->run_all("SELECT smpc_sum(x, 'hostile-done') FROM t");
$fed->expect_all_ok($res, '15', 'a job to replay against');
for my $type (qw(share partial confirm abort))
{
	rejected(message_hex('hostile-done', $type),
		qr/SM009: job "hostile-done" of federation "ico" was already released at party "b"/,
		"$type after the job was released");
}

# A share before the job starts is accepted (a partner may be quicker).
my ($rc, $err) = deliver($good);
is($rc, 0, 'a share for a job not started yet is kept') or diag $err;
($rc, $err) = deliver($good);
is($rc, 0, 'its identical replay too (the job ignores duplicates)') or diag $err;

# Job ids that are awkward in SQL, in logs and in messages.
my %ids = (
	quotes    => q{it's "quoted"},
	backslash => q{back\\slash\\n},
	unicode   => "\x{00e9}t\x{00e9} \x{2603} \x{1F600}",
	long      => 'x' x 10000,
);
for my $name (sort keys %ids)
{
	my $lit = SmpcTest::quote_literal($ids{$name});
	$res = $fed->run_all("SELECT smpc_sum(x, $lit) FROM t");
	$fed->expect_all_ok($res, '15', "job id with $name");
	is($fed->psql('a', "SELECT count(*) FROM smpc.jobs WHERE job_id = $lit"), '1',
		"job id with $name is stored as given");
}
($rc, my $out, $err) = $fed->try_psql('a', "SELECT smpc_sum(x, repeat('y', 16385)) FROM t");
like($err, qr/22023: job id must be between 1 and 16384 bytes long/, 'a job id over 16 KiB is refused');

# Nothing else changed: only the jobs run above were recorded at b, and a
# fresh job still works.
is($fed->psql('b', 'SELECT count(*) FROM smpc.jobs'), $jobs_before + 1 + scalar(keys %ids),
	'b recorded only the real jobs');
$res = $fed->run_all("SELECT smpc_sum(x, 'hostile-after') FROM t");
$fed->expect_all_ok($res, '15', 'a job after the hostile input');

# A partner that floods the inbox with shares for jobs that never start here
# is stopped at a quarter of smpc.max_messages (256 by default); the other
# partners are not affected.
my $script = $fed->psql('b',
	"SELECT string_agg(format('SELECT smpc.deliver(%L::bytea);', "
	  . "'\\x' || encode(smpc._test_message('ico', 'flood-' || g, 0, 1), 'hex')), E'\n') "
	  . "FROM generate_series(1, 70) g");
($rc, $out, $err) = $fed->psql_connstr($fed->peer_connstr('b', 'a'), $script);
isnt($rc, 0, 'flood: stopped');
like($err, qr/53400: too many messages from this partner wait for jobs that have not started here/,
	'flood: clear error');
like($err, qr/64 message slots hold messages from role "smpc_peer_a"/, 'flood: after 64 messages');
my $from_c = $fed->psql('b',
	"SELECT encode(smpc._test_message('ico', 'not-flooded', 2, 1), 'hex')");
($rc, $out, $err) = $fed->psql_connstr($fed->peer_connstr('b', 'c'),
	"SELECT smpc.deliver('\\x$from_c'::bytea)");
is($rc, 0, 'flood: another partner still delivers') or diag $err;

$fed->stop_all;
done_testing();
