# A party whose own server would log its partners' deliveries (here:
# log_statement = all, and its partners' login roles without
# log_parameter_max_length = 0) refuses every delivery, the partners'
# aborts included: nothing reaches it, and its analyst used to see only a
# timeout naming the partners, with the reason in the server log alone.
# Its own error must say that its own endpoint refused them, and why
# (docs/dba.md, "Keeping shares out of the server log").
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes ();
use SmpcTest;

my $fed = SmpcTest->new(parties => [qw(a b c)], timeout => '4s');
my %input = (a => 1, b => 2, c => 3);
$fed->psql($_, "CREATE TABLE t(x integer); INSERT INTO t VALUES ($input{$_})") for $fed->names;

# b misconfigured: every statement is logged, its partners' roles keep
# their parameters in the log.
$fed->psql('b',
	"ALTER ROLE smpc_peer_a RESET log_parameter_max_length; "
	  . "ALTER ROLE smpc_peer_c RESET log_parameter_max_length; "
	  . "ALTER SYSTEM SET log_statement = 'all'");
$fed->psql('b', "SELECT pg_reload_conf()");
for (1 .. 100)
{
	last if $fed->psql('b', 'SHOW log_statement') eq 'all';
	Time::HiRes::sleep(0.1);
}
is($fed->psql('b', 'SHOW log_statement'), 'all', 'b logs every statement');

my $res = $fed->run_all("SELECT smpc_sum(x, 'own-log-1') FROM t");
$fed->expect_all_fail($res, [], 'no delivery reaches b: the job fails everywhere');
like($res->{b}{stderr}, qr/This party's own endpoint refused deliveries of partner role "smpc_peer_[ac]" during the job: with log_statement = all, the server log would record them/,
	"b's own error names its endpoint's refusal and the setting");
like($res->{b}{stderr}, qr/HINT:.*Here, ALTER ROLE smpc_peer_[ac] SET log_parameter_max_length = 0/,
	"b's hint says what to run");
like($res->{$_}{stderr}, qr/smpc refuses deliveries whose contents the server log would record/,
	"$_ sees b's refusal") for qw(a c);

# Once b keeps its partners' parameters out of the log, jobs run.
$fed->psql('b',
	"ALTER ROLE smpc_peer_a SET log_parameter_max_length = 0; "
	  . "ALTER ROLE smpc_peer_c SET log_parameter_max_length = 0");
$res = $fed->run_all("SELECT smpc_sum(x, 'own-log-2') FROM t");
$fed->expect_all_ok($res, '6', 'after the fix, a job runs');
unlike($res->{b}{stderr}, qr/own endpoint refused/, 'no stale refusal in a later job');

$fed->stop_all;
done_testing();
