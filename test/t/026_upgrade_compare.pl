# A fresh CREATE EXTENSION smpc (sql/smpc.sql) and the oldest version,
# 0.1.0, upgraded step by step through the frozen upgrade scripts must leave
# the same catalogs: every object, signature, default, grant, comment, policy,
# trigger, event trigger, configuration table, role and catalog row
# (test/upgrade/catalog_snapshot.sql); and the scripts of released versions
# must be unchanged (test/upgrade/frozen.sha256). The comparison is shown to
# fail: the test build installs upgrade scripts with one deliberate
# difference each (Makefile, UPGRADE_FIXTURES), and it must name each.
use strict;
use warnings;

use Digest::SHA qw(sha256_hex);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $srcdir = $ENV{SMPC_SRCDIR} // '.';
my $snapshot_sql = slurp_file("$srcdir/test/upgrade/catalog_snapshot.sql");

# The scripts of released versions are frozen.
for my $line (split /\n/, slurp_file("$srcdir/test/upgrade/frozen.sha256"))
{
	next if $line =~ /^(#|\s*$)/;
	my ($sum, $file) = $line =~ /^([0-9a-f]{64})  (\S+)$/
	  or die "bad line in frozen.sha256: $line";
	is(sha256_hex(slurp_file("$srcdir/$file")), $sum, "$file is frozen (unchanged since its release)");
}

my $node = PostgreSQL::Test::Cluster->new('upgrade');
$node->init;
$node->start;

# The cluster-wide roles the scripts create go with each database, so that
# every snapshot starts from the same empty cluster.
sub reset_cluster
{
	$node->safe_psql('postgres', 'DROP DATABASE IF EXISTS snap');
	$node->safe_psql('postgres',
		'DROP ROLE IF EXISTS smpc_admin, smpc_analyst, smpc_peer');
	$node->safe_psql('postgres', 'CREATE DATABASE snap TEMPLATE template0');
}

sub snapshot
{
	return $node->safe_psql('snap', $snapshot_sql);
}

# Lines only in one of two snapshots, marked - (first) and + (second).
sub difference
{
	my ($a, $b) = @_;
	my %in_a = map { $_ => 1 } split /\n/, $a;
	my %in_b = map { $_ => 1 } split /\n/, $b;
	return (
		(map {"- $_"} grep { !$in_b{$_} } split /\n/, $a),
		(map {"+ $_"} grep { !$in_a{$_} } split /\n/, $b));
}

# Installs 0.1.0 and updates it one step at a time to $target.
sub upgrade_from_oldest
{
	my ($target) = @_;
	reset_cluster();
	$node->safe_psql('snap', q{CREATE EXTENSION smpc VERSION '0.1.0'});
	my $path = $node->safe_psql('snap',
		qq{SELECT path FROM pg_extension_update_paths('smpc')
		   WHERE source = '0.1.0' AND target = '$target'});
	isnt($path, '', "there is an update path from 0.1.0 to $target");
	my @steps = split /--/, $path;
	shift @steps;
	for my $version (@steps)
	{
		$node->safe_psql('snap', qq{ALTER EXTENSION smpc UPDATE TO '$version'});
	}
	is($node->safe_psql('snap', q{SELECT extversion FROM pg_extension WHERE extname = 'smpc'}),
		$target, "0.1.0 updated step by step (@steps) is at $target");
	return snapshot();
}

# Fresh install of the current version.
reset_cluster();
$node->safe_psql('snap', 'CREATE EXTENSION smpc');
my $current = $node->safe_psql('snap',
	q{SELECT default_version FROM pg_available_extensions WHERE name = 'smpc'});
is($node->safe_psql('snap', q{SELECT extversion FROM pg_extension WHERE extname = 'smpc'}),
	$current, "a fresh install is the default version $current");
my $fresh = snapshot();
cmp_ok(scalar(split /\n/, $fresh), '>', 1000, 'the snapshot covers the catalogs (over 1000 lines)');
for my $kind (
	'extension', 'depend', 'schema', 'function', 'aggregate', 'relation', 'column',
	'constraint', 'trigger', 'event trigger', 'policy', 'type', 'fdw', 'comment', 'init privs',
	'role', 'rows')
{
	like($fresh, qr/^\Q$kind\E\|/m, "the snapshot has $kind lines");
}

my $upgraded = upgrade_from_oldest($current);
my @diff = difference($fresh, $upgraded);
is(scalar(@diff), 0, "fresh $current and 0.1.0 upgraded to $current have the same catalogs")
  or diag join("\n", 'differences (- fresh, + upgraded):', @diff);

# The fixtures: each must be flagged, and by the object it changes.
my %fixtures = (
	fixture_default => {
		what => 'a different default of smpc.federations.min_rows',
		line => qr/^[-+] column\|smpc\.federations\.min_rows\|.*default=/,
	},
	fixture_comment => {
		what => 'a different comment on smpc.drop_bounds',
		line => qr/^[-+] comment\|function smpc\.drop_bounds\(text,text\)\|/,
	},
	fixture_grant => {
		what => 'a missing GRANT SELECT ON smpc.bounds TO smpc_analyst',
		line => qr/^[-+] (relation\|smpc\.bounds\||init privs\|table smpc\.bounds\|)/,
	},);
for my $fixture (sort keys %fixtures)
{
	my $f = $fixtures{$fixture};
	is( $node->safe_psql('postgres',
			qq{SELECT count(*) FROM pg_available_extension_versions
			   WHERE name = 'smpc' AND version = '$fixture'}),
		'1',
		"fixture $fixture is installed (make SMPC_TEST_BUILD=1 install)");
	my @fdiff = difference($fresh, upgrade_from_oldest($fixture));
	isnt(scalar(@fdiff), 0, "$fixture: the comparison fails on $f->{what}");
	ok(@fdiff && !grep({ $_ !~ $f->{line} } @fdiff),
		"$fixture: every difference names the changed object")
	  or diag join("\n", @fdiff);
}
my @grant_diff = difference($fresh, upgrade_from_oldest('fixture_grant'));
ok((grep { /^- relation\|smpc\.bounds\|.*smpc_analyst:SELECT/ } @grant_diff),
	'fixture_grant: the fresh side has the SELECT grant to smpc_analyst the fixture lacks')
  or diag join("\n", @grant_diff);

$node->stop;
done_testing();
