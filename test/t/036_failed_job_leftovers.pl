# Messages that partners send for a job after it failed here take no room
# for long: no job here can take them, and before 0.3.0 they held the
# partner's quarter of the inbox for ten minutes, so that under load every
# later job with that partner failed with "inbox full" (the soak test's
# leftovers).
#
# A job fails at a before any partner message came, so it knew no
# partner's run. Then, at a as the partners' peer roles:
#   1. b's share and then b's abort for it: the abort makes the share dead
#      and is not filed itself (the job failed here);
#   2. c's share for it alone: it waits (a retry here could take it) until
#      another job fails at a, which evicts what no job here can take.
# And an smpc_run call at a that fails at a after b and c launched their
# side: their workers, withdrawn, report that to a after a's call ended.
# Such a report is only for the call that asked (its request nonce): none
# may stay in a's inbox.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use SmpcTest;

my @names = qw(a b c);
my %num = (a => 0, b => 1, c => 2);
my $fed = SmpcTest->new(parties => \@names, timeout => '2s');
$fed->psql($_, "CREATE TABLE t(x integer); INSERT INTO t VALUES ($num{$_} + 1)") for @names;
$fed->quiet_statement_log('a', map { $fed->peer_role($_) } qw(b c));

# Delivers at a, as party $from's peer role, a test message of $type for $job.
sub deliver
{
	my ($from, $job, $type) = @_;
	my $msg = $fed->psql('a',
		"SELECT encode(smpc._test_message('ico', " . SmpcTest::quote_literal($job)
		  . ", $num{$from}, $num{a}, '$type'), 'hex')");
	my ($rc, $out, $err) =
	  $fed->psql_connstr($fed->peer_connstr('a', $from), "SELECT smpc.deliver('\\x$msg'::bytea)");
	is($rc, 0, "${from}'s $type for $job delivered at a") or diag $err;
}

# The inbox slots at a that messages of $from's peer role hold.
sub slots_of
{
	my ($from) = @_;
	return $fed->psql('a',
		"SELECT coalesce(sum(in_use), 0) FROM smpc.shmem_usage() "
		  . "WHERE area = 'inbox slots' AND from_role = " . SmpcTest::quote_literal($fed->peer_role($from)));
}

# A job only a runs: it times out, having seen nothing from its partners.
sub fail_at_a
{
	my ($job) = @_;
	my ($rc, $out, $err) = $fed->try_psql('a', "SELECT smpc_sum(x, '$job') FROM t");
	isnt($rc, 0, "$job fails at a (no partner runs it)");
	like($err, qr/timed out after/, "$job: a timeout") or diag $err;
}

fail_at_a('gone-1');
is(slots_of('b'), '0', 'a holds no message of b before the deliveries');

# 1. b's share, then b's abort, for the job that failed here.
deliver('b', 'gone-1', 'share');
is(slots_of('b'), '1', "a filed b's share for gone-1 (a retry here could take it)");
deliver('b', 'gone-1', 'abort');
is(slots_of('b'), '0', "b's abort: its dead share is evicted, and the abort is not filed");

# 2. c's share alone, then another job fails at a.
deliver('c', 'gone-1', 'share');
is(slots_of('c'), '1', "a filed c's share for gone-1");
fail_at_a('gone-2');
is(slots_of('c'), '0', "another failed job evicts c's share: gone-1 failed here, nothing takes it");

# An abort for a job that never ran here is still filed: when the job
# starts here, it learns that the partner's run died.
deliver('b', 'later-1', 'abort');
is(slots_of('b'), '1', "b's abort for a job not run here yet is kept");
my ($rc, $out, $err) = $fed->try_psql('a', "SELECT smpc_sum(x, 'later-1') FROM t");
isnt($rc, 0, 'later-1 fails at a');
like($err, qr/aborted the job before this party started it: test/,
	"later-1's error says b's run died before a started") or diag $err;

# 3. smpc_run at a; a's own query fails after b and c launched their side.
for my $p (@names)
{
	my $query = $p eq 'a' ? 'SELECT x / (x - x) AS v FROM t' : 'SELECT x AS v FROM t';
	$fed->psql($p, <<"EOS");
CREATE ROLE reporting LOGIN IN ROLE smpc_analyst;
GRANT SELECT ON t TO reporting;
SELECT smpc.grant_results('ico', 'smpc_analyst');
SELECT smpc.set_bounds('ico', 'v', 0, 100);
SELECT smpc.publish('ico', 'failing', '$query', ARRAY['v'], run_as => 'reporting');
EOS
}
my $workers = "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'smpc partner job'";
($rc, $out, $err) = $fed->try_psql('a', "SELECT value FROM smpc_run('ico', 'failing', 'sum', 'v', 'run-1')");
isnt($rc, 0, 'run-1 fails at a');
like($err, qr/division by zero/, "run-1: a's own query failed") or diag $err;
for my $p (qw(b c))
{
	my $left = '';
	for (1 .. 100)
	{
		$left = $fed->psql($p, $workers);
		last if $left eq '0';
		sleep 0.1;
	}
	is($left, '0', "run-1: ${p}'s withdrawn worker ended");
}
# The workers' reports travel after they end: give them a moment.
sleep 1;
is(slots_of($_), '0', "run-1: no report of $_ is left at a after a's call ended") for qw(b c);

done_testing();
