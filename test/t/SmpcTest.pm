# Shared setup for the smpc TAP tests: several PostgreSQL servers ("parties")
# that talk TLS to each other, wired into one federation, plus a helper that
# runs the same SQL at several parties at once and collects what each said.
#
#   my $fed = SmpcTest->new(parties => [qw(a b c)], timeout => '3s');
#   $fed->psql('a', "CREATE TABLE t(x int)");        # superuser, org_a
#   my $r = $fed->run_all("SELECT smpc_sum(x, 'j1') FROM t");
#   is($r->{b}{stdout}, '6');                        # also rc, stderr, secs
#
# Each party X is a PostgreSQL::Test::Cluster node with database org_X,
# ssl = on (certificates from scripts/make-certs.sh), listen_addresses =
# 127.0.0.1, shared_preload_libraries = 'smpc', CREATE EXTENSION smpc, a login
# role smpc_peer_Y for every partner Y (may only call smpc.deliver), a
# foreign server Y (sslmode verify-full) and a user mapping holding the
# password of the role that Y created for X.  pg_hba: the test's own
# superuser connects over the Unix socket (trust); TCP needs TLS and SCRAM.
package SmpcTest;

use strict;
use warnings;

use Carp;
use Cwd qw(abs_path);
use File::Temp ();
use File::Basename qw(dirname);
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

# Repository root: $SMPC_SRCDIR, else two levels above this file.
our $SRCDIR = $ENV{SMPC_SRCDIR} // abs_path(dirname(abs_path(__FILE__)) . '/../..');

# Every federation made, for the END block.
my @all_feds;

# A server that died (a backend crash stops it: restart_after_crash = off)
# would make PostgreSQL::Test::Cluster's own END block bail out of the whole
# prove run when it fails to stop it.  So stop every node here first, with
# fail_ok (which forgets a dead server); this END block runs before
# Cluster's, which was compiled earlier.
END
{
	my $exit_code = $?;
	for my $fed (@all_feds)
	{
		for my $node (values %{ $fed->{nodes} })
		{
			$node->stop('immediate', fail_ok => 1) if defined $node->{_pid};
		}
	}
	$? = $exit_code;
}

# Make a CA and server certificates for @names in $dir (scripts/make-certs.sh).
sub make_certs
{
	my ($dir, @names) = @_;
	my $script = "$SRCDIR/scripts/make-certs.sh";
	-f $script or BAIL_OUT("cannot find $script (set SMPC_SRCDIR)");
	PostgreSQL::Test::Utils::system_or_bail('bash', $script, $dir, @names);
	return;
}

# Role that party $from logs in as at every partner.
# Whether the server library $name (e.g. 'pg_cron') is installed.
sub library_installed
{
	my ($name) = @_;
	my $dir = `pg_config --pkglibdir 2>/dev/null`;
	chomp $dir;
	return -f "$dir/$name.so";
}

sub peer_role { return "smpc_peer_$_[1]" }

# Database of party $name.
sub db { return "org_$_[1]" }

# Quote a SQL string literal.
sub quote_literal
{
	my ($s) = @_;
	$s =~ s/'/''/g;
	return "'$s'";
}

# Files that record, for test/t/099_no_secrets_in_logs.pl, every secret the
# tests create (passwords, private key lines) and everything a client was
# told in an error; it greps every server log of the run for them.
sub secrets_file { return "$PostgreSQL::Test::Utils::tmp_check/smpc_secrets.txt" }
sub client_output_file { return "$PostgreSQL::Test::Utils::tmp_check/smpc_client_errors.txt" }

sub record_secret
{
	my ($secret) = @_;
	PostgreSQL::Test::Utils::append_to_file(secrets_file(), "$secret\n");
	return;
}

sub _record_client_output
{
	my ($text) = @_;
	return unless defined $text && $text ne '';
	PostgreSQL::Test::Utils::append_to_file(client_output_file(), "$text\n");
	return;
}

sub _random_password
{
	my @c = ('a' .. 'z', 'A' .. 'Z', '0' .. '9');
	return join '', map { $c[ int rand @c ] } 1 .. 24;
}

=pod

SmpcTest->new(%opts): start the parties and (unless federation => undef)
register the federation at each.  Options:

  parties     ordered party names (default a b c)
  federation  federation name (default 'ico'); undef: servers and roles only
  scale       passed to smpc.create_federation when given
  timeout     smpc.timeout for every party (default '20s')
  conf        extra postgresql.conf text for every party
  conf_for    code ref: party name => extra postgresql.conf text for it

=cut

sub new
{
	my ($class, %opts) = @_;
	my @names = @{ $opts{parties} // [qw(a b c)] };
	my $self = bless {
		names => \@names,
		federation => exists $opts{federation} ? $opts{federation} : 'ico',
		scale => $opts{scale},
		nodes => {},
		password => {},
	}, $class;
	push @all_feds, $self;

	$self->{certdir} = PostgreSQL::Test::Utils::tempdir('certs');
	make_certs($self->{certdir}, @names);

	for my $from (@names)
	{
		for my $to (grep { $_ ne $from } @names)
		{
			$self->{password}{$from}{$to} = _random_password();
			record_secret($self->{password}{$from}{$to});
		}
	}
	# Lines of every private key (the CA's and each server's).
	for my $key (glob("$self->{certdir}/*.key"))
	{
		for my $line (split /\n/, PostgreSQL::Test::Utils::slurp_file($key))
		{
			record_secret($line) if $line !~ /^-----/ && length($line) >= 40;
		}
	}

	for my $name (@names)
	{
		my $node = PostgreSQL::Test::Cluster->new("party_$name");
		$node->init;
		my $timeout = $opts{timeout} // '20s';
		my $cert = "$self->{certdir}/$name";
		$node->append_conf(
			'postgresql.conf', <<"EOC" . ($opts{conf} // ''));
listen_addresses = '127.0.0.1'
ssl = on
ssl_cert_file = '$cert.crt'
ssl_key_file = '$cert.key'
shared_preload_libraries = 'smpc'
smpc.timeout = '$timeout'
max_connections = 40
log_statement = 'all'
log_min_messages = 'debug1'
log_connections = on
log_disconnections = on
EOC
		$node->append_conf('postgresql.conf', $opts{conf_for}->($name)) if $opts{conf_for};
		my $dbname = $self->db($name);
		my $hba = "local all all trust\n";
		for my $peer (grep { $_ ne $name } @names)
		{
			$hba .= "hostssl $dbname " . $self->peer_role($peer)
			  . " 127.0.0.1/32 scram-sha-256\n";
		}
		$hba .= "hostssl all all 127.0.0.1/32 scram-sha-256\n";
		$hba .= "host all all 0.0.0.0/0 reject\n";
		PostgreSQL::Test::Utils::append_to_file($node->data_dir . '/pg_hba.conf.new', $hba);
		rename($node->data_dir . '/pg_hba.conf.new', $node->data_dir . '/pg_hba.conf')
		  or BAIL_OUT("rename pg_hba.conf: $!");
		$node->start;
		$self->{nodes}{$name} = $node;
	}

	for my $name (@names)
	{
		my $node = $self->{nodes}{$name};
		my $dbname = $self->db($name);
		$node->safe_psql('postgres', "CREATE DATABASE $dbname");
		# Passwords go into roles and user mappings: as a DBA should, keep
		# these statements out of the server log (docs/dba.md, "Partner roles and passwords").
		my $sql = "SET log_statement = 'none';\nSET log_min_error_statement = 'panic';\n"
		  . "CREATE EXTENSION smpc;\n";
		for my $peer (grep { $_ ne $name } @names)
		{
			my $role = $self->peer_role($peer);
			my $port = $self->{nodes}{$peer}->port;
			$sql .= sprintf(
				"CREATE ROLE %s LOGIN PASSWORD %s IN ROLE smpc_peer;\n"
				  . "ALTER ROLE %s SET log_parameter_max_length = 0;\n",
				$role, quote_literal($self->{password}{$peer}{$name}), $role);
			$sql .= sprintf(
				"CREATE SERVER %s FOREIGN DATA WRAPPER smpc OPTIONS (host '127.0.0.1', port '%d', dbname '%s', sslmode 'verify-full', sslrootcert %s, peer_role '%s');\n",
				$peer, $port, $self->db($peer),
				quote_literal("$self->{certdir}/ca.crt"), $role);
			$sql .= sprintf(
				"CREATE USER MAPPING FOR PUBLIC SERVER %s OPTIONS (user '%s', password %s);\n",
				$peer, $self->peer_role($name),
				quote_literal($self->{password}{$name}{$peer}));
		}
		$self->psql($name, $sql);
	}

	if (defined $self->{federation})
	{
		$self->register_federation($_) for @names;
	}
	return $self;
}

sub names { return @{ $_[0]{names} } }
sub node { return $_[0]{nodes}{ $_[1] } }
sub certdir { return $_[0]{certdir} }
sub federation { return $_[0]{federation} }

# Password of the role that party $from uses at party $to.
sub password { return $_[0]{password}{ $_[1] }{ $_[2] } }

=pod

$fed->register_federation($name, %override): smpc.create_federation at
party $name.  Overrides: federation, parties (array ref), scale, threshold,
compute, inputs, outputs (array refs of party names).

=cut

sub register_federation
{
	my ($self, $name, %o) = @_;
	my $fedname = $o{federation} // $self->{federation} // 'ico';
	my @parties = @{ $o{parties} // $self->{names} };
	my $scale = exists $o{scale} ? $o{scale} : $self->{scale};
	my $array = sub { 'ARRAY[' . join(',', map { quote_literal($_) } @{ $_[0] }) . ']::text[]' };
	my @extra;
	push @extra, "scale => $scale" if defined $scale;
	push @extra, "threshold => $o{threshold}" if defined $o{threshold};
	for my $role (qw(compute inputs outputs))
	{
		push @extra, "$role => " . $array->($o{$role}) if $o{$role};
	}
	my $sql = sprintf("SELECT smpc.create_federation(%s, %s, %s%s)",
		quote_literal($fedname), quote_literal($name), $array->(\@parties),
		join('', map { ", $_" } @extra));
	$self->psql($name, $sql);
	return;
}

# smpc.drop_federation at party $name.
sub drop_federation
{
	my ($self, $name, $fedname) = @_;
	$fedname //= $self->{federation} // 'ico';
	$self->psql($name, 'SELECT smpc.drop_federation(' . quote_literal($fedname) . ')');
	return;
}

# Run $sql as superuser in party $name's database; die on error; return
# stdout (psql -XAtq).
sub psql
{
	my ($self, $name, $sql, %params) = @_;
	return $self->{nodes}{$name}->safe_psql($self->db($name), $sql, %params);
}

# Like psql, but returns ($rc, $stdout, $stderr) instead of dying.
sub try_psql
{
	my ($self, $name, $sql) = @_;
	my ($out, $err);
	my $rc = $self->{nodes}{$name}->psql(
		$self->db($name), $sql,
		stdout => \$out,
		stderr => \$err,
		extra_params => [ '-v', 'VERBOSITY=verbose' ],
		on_error_stop => 1);
	_record_client_output($err);
	return ($rc, $out // '', $err // '');
}

# Superuser psql command line for party $name's database.
sub _psql_cmd
{
	my ($self, $name) = @_;
	my $node = $self->{nodes}{$name};
	return [
		$node->installed_command('psql'), '-XAtq',
		'-v', 'ON_ERROR_STOP=1', '-v', 'VERBOSITY=verbose',
		'-d', $node->connstr($self->db($name)),
		'-f', '-'
	];
}

=pod

$fed->run_all($sql, %opts): run $sql (a string, or a hash ref party => SQL)
in a separate psql at each party, all started before any is waited for.
Returns { party => { rc, stdout, stderr, secs } } where secs is the time
from the start until that psql was reaped (the psqls are reaped in order, so
for all but the first it is an upper bound).
Options: parties (array ref, default: all; with a hash ref $sql, its keys),
timeout (seconds, default 120: a psql still running then is killed and
reported with rc 'timeout'), stop_after => { party => seconds } (stop that
party's server, immediate mode, that long after the start: a crash),
restart_after => { party => seconds } (stop it, fast, and start it again).

=cut

sub run_all
{
	my ($self, $sql, %opts) = @_;
	my @parties =
	    $opts{parties} ? @{ $opts{parties} }
	  : ref $sql eq 'HASH' ? sort keys %$sql
	  : $self->names;
	my $limit = $opts{timeout} // 120;
	my %run;
	my %log_from = map { $_ => -s $self->{nodes}{$_}->logfile } @parties;
	my $t0 = time;
	for my $p (@parties)
	{
		my $in = ref $sql eq 'HASH' ? $sql->{$p} : $sql;
		croak "no SQL for party $p" unless defined $in;
		$run{$p} = $self->start_psql($p, $in, timeout => $limit);
	}
	# Server stops and restarts while the jobs run, in time order.
	my @actions;
	push @actions, map { [ $opts{stop_after}{$_}, 'stop', $_ ] } keys %{ $opts{stop_after} // {} };
	push @actions, map { [ $opts{restart_after}{$_}, 'restart', $_ ] }
	  keys %{ $opts{restart_after} // {} };
	for my $a (sort { $a->[0] <=> $b->[0] } @actions)
	{
		my ($at, $what, $p) = @$a;
		my $wait = $t0 + $at - time;
		Time::HiRes::sleep($wait) if $wait > 0;
		# A party told to pause (smpc.test_fault pause_before_*) is stopped
		# while it pauses, however long a loaded machine took to get there.
		my $in = ref $sql eq 'HASH' ? $sql->{$p} : $sql;
		$self->wait_paused($p, $log_from{$p}, 20) if $in =~ /pause_before_/;
		note "run_all: $what party $p at " . sprintf('%.2f', time - $t0) . 's';
		if ($what eq 'stop')
		{
			$self->{nodes}{$p}->stop('immediate');
		}
		else
		{
			$self->{nodes}{$p}->stop('fast');
			$self->{nodes}{$p}->start;
		}
	}
	my %res;
	for my $p (@parties)
	{
		$res{$p} = finish_psql($run{$p});
		$res{$p}{secs} = time - $t0;
	}
	for my $p (@parties)
	{
		my $r = $res{$p};
		note sprintf("run_all %s: rc=%s %.2fs stdout=[%s] stderr=[%s]",
			$p, $r->{rc}, $r->{secs}, $r->{stdout}, $r->{stderr});
	}
	return \%res;
}

=pod

$fed->start_psql($p, $sql, %opts): start $sql in a psql at party $p and
return at once; finish_psql($run) waits for it and returns { rc, stdout,
stderr } (rc 'timeout' when it was killed).  Options: user (a role to log in
as, default the superuser), timeout (seconds, default 120).

=cut

sub start_psql
{
	my ($self, $p, $sql, %opts) = @_;
	# SQL goes through a file, not stdin: IPC::Run feeds stdin only while a
	# harness is pumped, and one party must not wait for another's input.
	my ($fh, $file) = File::Temp::tempfile('psql_XXXX',
		DIR => $PostgreSQL::Test::Utils::tmp_check, UNLINK => 1);
	print $fh $sql;
	close $fh;
	# Output goes to files too: IPC::Run drains a pipe only while its
	# harness is pumped, and run_all waits for one party after another, so a
	# party whose output filled the pipe (a long result) could not send its
	# next statement while an earlier party was waited for.
	my $r = {};
	for my $stream (qw(stdout stderr))
	{
		(undef, $r->{"${stream}_file"}) = File::Temp::tempfile("psql_${stream}_XXXX",
			DIR => $PostgreSQL::Test::Utils::tmp_check, UNLINK => 1);
	}
	my @cmd = @{ $self->_psql_cmd($p) };
	$cmd[-1] = $file;    # -f FILE instead of -f -
	$cmd[-3] .= " user=$opts{user}" if $opts{user};
	$r->{h} = IPC::Run::start(\@cmd, '<', '/dev/null', '>', $r->{stdout_file},
		'2>', $r->{stderr_file}, IPC::Run::timeout($opts{timeout} // 120));
	return $r;
}

sub finish_psql
{
	my ($r) = @_;
	my $killed = '';
	eval {
		$r->{h}->finish;
		$r->{rc} = $r->{h}->result(0);
		1;
	} or do {
		my $e = $@;
		$r->{h}->kill_kill;
		$r->{rc} = 'timeout';
		$killed = "\n[SmpcTest: $e]";
	};
	$r->{stdout} = PostgreSQL::Test::Utils::slurp_file($r->{stdout_file});
	$r->{stderr} = PostgreSQL::Test::Utils::slurp_file($r->{stderr_file}) . $killed;
	chomp(my $out = $r->{stdout});
	_record_client_output($r->{stderr});
	return { rc => $r->{rc}, stdout => $out, stderr => $r->{stderr} };
}

=pod

$fed->expect_all_ok($res, $want, $label): every party in $res succeeded and
printed $want (a string, or a code ref called with the output that returns
true when it is right).  Returns the outputs as a hash ref.

=cut

sub expect_all_ok
{
	my ($self, $res, $want, $label) = @_;
	my %out;
	for my $p (sort keys %$res)
	{
		my $r = $res->{$p};
		my $ok = ($r->{rc} // '') eq '0';
		ok($ok, "$label: party $p succeeded")
		  or diag("party $p: rc=$r->{rc} stderr: $r->{stderr}");
		next unless $ok;
		if (ref $want eq 'CODE')
		{
			ok($want->($r->{stdout}), "$label: party $p result is right")
			  or diag("party $p printed: [$r->{stdout}]");
		}
		elsif (defined $want)
		{
			is($r->{stdout}, $want, "$label: party $p result");
		}
		$out{$p} = $r->{stdout};
	}
	return \%out;
}

# Every party in $res failed and its stderr matches every regex in @$like.
sub expect_all_fail
{
	my ($self, $res, $like, $label) = @_;
	for my $p (sort keys %$res)
	{
		my $r = $res->{$p};
		isnt($r->{rc} // '', '0', "$label: party $p failed")
		  or diag("party $p unexpectedly printed: [$r->{stdout}]");
		isnt($r->{rc} // '', 'timeout', "$label: party $p ended by itself");
		for my $re (@{ $like // [] })
		{
			like($r->{stderr}, $re, "$label: party $p error matches $re");
		}
	}
	return;
}

# Number of released rows for $job_id in smpc.jobs at party $name.
sub released_count
{
	my ($self, $name, $job_id) = @_;
	return $self->psql($name,
		"SELECT count(*) FROM smpc.jobs WHERE job_id = "
		  . quote_literal($job_id)
		  . " AND state = 'released'");
}

# Check that no party stored a released result for $job_id.
sub expect_nothing_released
{
	my ($self, $job_id, $label) = @_;
	for my $p ($self->names)
	{
		my $node = $self->{nodes}{$p};
		next unless defined $node->{_pid};    # stopped on purpose
		is($self->released_count($p, $job_id), '0',
			"$label: no released result for $job_id at party $p");
	}
	return;
}

# libpq connection string for logging in at party $at as the peer role that
# party $as uses there (TLS, verify-full), optionally with another password.
sub peer_connstr
{
	my ($self, $at, $as, $password) = @_;
	$password //= $self->password($as, $at);
	return sprintf(
		"host=127.0.0.1 port=%d dbname=%s user=%s password=%s sslmode=verify-full sslrootcert=%s",
		$self->{nodes}{$at}->port, $self->db($at), $self->peer_role($as),
		$password, "$self->{certdir}/ca.crt");
}

# Run $sql with an arbitrary libpq connection string; returns ($rc, $stdout,
# $stderr).
sub psql_connstr
{
	my ($self, $connstr, $sql) = @_;
	my ($out, $err) = ('', '');
	my $node = $self->{nodes}{ $self->{names}[0] };
	IPC::Run::run(
		[
			$node->installed_command('psql'), '-XAtq',
			'-v', 'ON_ERROR_STOP=1', '-v', 'VERBOSITY=verbose',
			'-d', $connstr, '-f', '-'
		],
		'<', \$sql, '>', \$out, '2>', \$err,
		IPC::Run::timeout(60));
	chomp $out;
	_record_client_output($err);
	return ($? >> 8, $out, $err);
}

# Tests that type protocol messages into SQL text (psql cannot bind
# parameters) would have them logged as any statement text; real partners
# bind them as parameters, which the log never records (001 and 099 check).
# So for those tests, the statements of @roles at party $at are kept out of
# the server log; their errors are still logged, without the statement.
sub quiet_statement_log
{
	my ($self, $at, @roles) = @_;
	$self->psql($at, join('', map {
		"ALTER ROLE $_ SET log_statement = 'none'; ALTER ROLE $_ SET log_min_error_statement = 'panic';"
	} @roles));
	return;
}

# Checks that party $p's server has no client backend left (other than the
# one asking) within 10 s: every job's partner connections were closed.
sub expect_no_backends_left
{
	my ($self, $p, $label) = @_;
	my $n;
	for (1 .. 100)
	{
		$n = $self->psql($p,
			"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
			  . "AND pid <> pg_backend_pid()");
		last if $n eq '0';
		Time::HiRes::sleep(0.1);
	}
	is($n, '0', "$label: no backend left at $p (no job stuck, no connection leaked)");
	return;
}

# Waits (up to $secs seconds, default 60) until party $p's server log, from
# byte $from on, says that a test fault (smpc.test_fault pause_before_*)
# pauses its job; true if it does.
sub wait_paused
{
	my ($self, $p, $from, $secs) = @_;
	for (1 .. 10 * ($secs // 60))
	{
		return 1
		  if slurp_file($self->{nodes}{$p}->logfile, $from) =~ /smpc: test fault: pausing/;
		Time::HiRes::sleep(0.1);
	}
	return 0;
}

# Terminates party $p's backends whose query names job $job (the job's
# backend, as pg_terminate_backend would end it); returns how many.
sub terminate_job_backend
{
	my ($self, $p, $job) = @_;
	return $self->psql($p,
		"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
		  . "WHERE query LIKE '%$job%' AND pid <> pg_backend_pid()");
}

# Waits (up to 30 s) until party $name's audit writer has stored at least $n
# rows of smpc.audit_log matching the SQL condition $where; returns the
# count.
sub wait_audit
{
	my ($self, $name, $where, $n) = @_;
	my $count = 0;
	# Attempts, unless the condition names outcomes: an 'opened' record
	# (the job id spent) is written before its attempt's own record.
	$where .= " AND outcome <> 'opened'" unless $where =~ /\boutcome\b/;
	for (1 .. 300)
	{
		$count = $self->psql($name, "SELECT count(*) FROM smpc.audit_log WHERE $where");
		last if $count >= $n;
		Time::HiRes::sleep(0.1);
	}
	return $count;
}

# Compare two numbers given as text exactly, by asking party $name's server
# (numeric comparison: '45000' equals '45000.000000').
sub numeric_eq
{
	my ($self, $name, $got, $want) = @_;
	return 0 unless defined $got && defined $want;
	return 1 if $got eq '' && $want eq '';
	return 0 if $got eq '' || $want eq '';
	return $self->psql($name,
		'SELECT ' . quote_literal($got) . '::numeric = ' . quote_literal($want) . '::numeric') eq 't';
}

# Compare two float8 values given as text within a relative tolerance.
sub float_close
{
	my ($got, $want, $rel) = @_;
	$rel //= 1e-9;
	return 0 unless defined $got && defined $want;
	return $got eq $want if $got eq '' || $want eq '';
	my $scale = abs($want) > 1 ? abs($want) : 1;
	return abs($got - $want) <= $rel * $scale;
}

# Stop every party, checking that each server was still up (a backend crash
# takes the whole server down, as the nodes run with restart_after_crash =
# off): a crash fails a test instead of bailing out of the whole run.
sub stop_all
{
	my ($self) = @_;
	for my $p ($self->names)
	{
		my $node = $self->{nodes}{$p};
		next unless defined $node->{_pid};
		ok($node->stop('fast', fail_ok => 1),
			"party $p: server still up at the end (no crash)")
		  or diag('server log: ' . $node->logfile);
	}
	return;
}

1;
