# The audit trail through pgaudit (docs/dba.md, "Audit trail"): with pgaudit's
# object audit logging on smpc.audit_log, each record reaches the server log
# as pgaudit's AUDIT line with the record's values.  And pgaudit settings
# that would log delivered shares make the deliver endpoint refuse.
use strict;
use warnings;

use PostgreSQL::Test::Utils;
use Test::More;
use SmpcTest;

plan skip_all => 'pgaudit is not installed (Debian package postgresql-15-pgaudit)'
  unless SmpcTest::library_installed('pgaudit');

my $fed = SmpcTest->new(
	parties => [qw(a b c)],
	timeout => '3s',
	conf => "shared_preload_libraries = 'smpc, pgaudit'\n"
	  . "pgaudit.role = 'smpc_auditor'\npgaudit.log_parameter = on\n");
my %input = (a => 1, b => 2, c => 3);
for my $p ($fed->names)
{
	$fed->psql($p, "CREATE TABLE t(x integer); INSERT INTO t VALUES ($input{$p});"
		  . "CREATE ROLE smpc_auditor NOLOGIN; GRANT INSERT ON smpc.audit_log TO smpc_auditor;");
}

my $offset = -s $fed->node('a')->logfile;
my $res = $fed->run_all("SELECT smpc_sum(x, 'pgaudit-1') FROM t");
$fed->expect_all_ok($res, '6', 'a job under pgaudit');
for my $p ($fed->names)
{
	$fed->wait_audit($p, "job_id = 'pgaudit-1'", 1);
}
my $log = slurp_file($fed->node('a')->logfile, $offset);
like($log, qr/AUDIT: OBJECT,\d+,\d+,WRITE,INSERT,TABLE,smpc\.audit_log,"INSERT INTO smpc\.audit_log .*","[0-9a-f-]{36},ico,pgaudit-1,sum\(integer\),postgres,postgres,[0-9a-f]{64},""b,c"",released,,,sum 6,at least 3 parties,/,
	'pgaudit logs the audit record, with its values, at a');
unlike($log, qr/534d5043/i, 'and no delivered message');

# Session logging of statements of a's login role at c, with parameters: c
# refuses a's deliveries when a first asks (smpc.deliver_ready), before any
# share is sent, and the job stops everywhere. (In this peer-to-peer job a
# pair's messages travel on one party's calls, docs/architecture.md, "The
# rounds": a calls c, c never calls a.)
$fed->psql('c', "ALTER ROLE smpc_peer_a SET pgaudit.log = 'read'");
$offset = -s $fed->node('c')->logfile;
$res = $fed->run_all("SELECT smpc_sum(x, 'pgaudit-2') FROM t");
$fed->expect_all_fail($res, [], 'pgaudit would log what a delivers to c');
like($res->{a}{stderr},
	qr/party "c" rejected the .* message: smpc refuses deliveries whose contents the server log would record/,
	'a is told why');
like($res->{a}{stderr}, qr/pgaudit\.log_parameter and pgaudit\.log covering READ or FUNCTION/,
	'and which setting it is');
unlike(slurp_file($fed->node('c')->logfile, $offset), qr/534d5043/i,
	'c logged no message of a');

# Excluding the classes that would log the call lets deliveries through.
$fed->psql('c', "ALTER ROLE smpc_peer_a SET pgaudit.log = 'all, -read, -function'");
$res = $fed->run_all("SELECT smpc_sum(x, 'pgaudit-3') FROM t");
$fed->expect_all_ok($res, '6', 'pgaudit logging without READ and FUNCTION');

$fed->stop_all;
done_testing();
