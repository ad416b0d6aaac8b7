# docs/reference.md against what the extension really has, as the regress
# test's COMMENT check does for comments: every function and aggregate,
# table, view, type, trigger and policy of the extension, every column of its
# tables and views, every setting (pg_settings, smpc.%) and every SQLSTATE
# that the code raises (class SM, and PostgreSQL's own) is named in the
# reference; and every name
# the reference gives (`smpc.x`, `smpc.x.column`, `smpc_x`, `SMnnn`) exists.
#
# How the reference names things: in backticks. Schema smpc's objects and
# the settings as `smpc.name` (a column as `smpc.table.column`), the
# functions in the extension's schema and the roles as `smpc_name`. An
# entry is a name in the first cell of a table row: each function,
# aggregate, setting, SQLSTATE, trigger and policy has one. Each table, view
# and type has a section whose heading names it (### `smpc.jobs`), with an
# entry `column` for each of its columns. A setting whose line says "test
# builds only" may be absent (a release build has no smpc.test_fault).
use strict;
use warnings;

use File::Find;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use SmpcTest;

my $reference = "$SmpcTest::SRCDIR/docs/reference.md";
my $src = "$SmpcTest::SRCDIR/src";
-f $reference or BAIL_OUT("cannot find $reference (set SMPC_SRCDIR)");
my $doc = PostgreSQL::Test::Utils::slurp_file($reference);
$doc =~ s/^```.*?^```//msg;    # code blocks are examples, not entries

# The names in backticked spans of $text: smpc.x, smpc.x.y, smpc_x, and
# each whole span.
sub names_in
{
	my ($text) = @_;
	my @names;
	while ($text =~ /`([^`]+)`/g)
	{
		my $span = $1;
		push @names, $1 while $span =~ /(?<![\w.])(smpc(?:\.\w+){1,2}|smpc_\w+)/g;
		push @names, $span;
	}
	return @names;
}

# Every name the reference gives (%named, with the line it is on), and its
# entries (%entry): the names in the first cell of a table row.
my (%named, %line_of, %entry);
for my $line (split /\n/, $doc)
{
	for my $name (names_in($line))
	{
		$named{$name} = 1;
		$line_of{$name} //= $line;
	}
	(my $row = $line) =~ s/\\\|/ /g;    # an escaped | inside a cell
	$entry{$_} = 1 for $row =~ /^\|([^|]*)\|/ ? names_in($1) : ();
}

# Sections: "### `smpc.x`" up to the next heading.
my %section;
{
	my $current;
	for my $line (split /\n/, $doc)
	{
		if ($line =~ /^#+\s/)
		{
			$current = $line =~ /^###\s+`(smpc\.\w+)`/ ? $1 : undef;
			next;
		}
		$section{$current} .= "$line\n" if defined $current;
	}
}

my $node = PostgreSQL::Test::Cluster->new('reference');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'smpc'\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION smpc');

sub rows
{
	my ($sql) = @_;
	my $out = $node->safe_psql('postgres', $sql);
	return grep { $_ ne '' } split /\n/, $out;
}

my $members = q{
	SELECT classid, objid FROM pg_depend
	WHERE refclassid = 'pg_extension'::regclass
	  AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'smpc')
	  AND deptype = 'e'};

# Functions and aggregates: smpc.name in schema smpc, name elsewhere.
my %functions = map { $_ => 1 } rows(qq{
	SELECT DISTINCT CASE WHEN n.nspname = 'smpc' THEN 'smpc.' ELSE '' END || p.proname
	FROM ($members) m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
	JOIN pg_namespace n ON n.oid = p.pronamespace ORDER BY 1});
# Tables, views and composite types of schema smpc.
my %relations = map { $_ => 1 } rows(qq{
	SELECT 'smpc.' || c.relname FROM ($members) m
	JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid ORDER BY 1});
my %types = map { $_ => 1 } rows(qq{
	SELECT 'smpc.' || t.typname FROM ($members) m
	JOIN pg_type t ON m.classid = 'pg_type'::regclass AND t.oid = m.objid ORDER BY 1});
# Columns of each table, view and type, as "smpc.rel.column".
my %columns = map { $_ => 1 } rows(qq{
	SELECT 'smpc.' || c.relname || '.' || a.attname FROM pg_attribute a
	JOIN pg_class c ON c.oid = a.attrelid
	WHERE c.relnamespace = 'smpc'::regnamespace AND c.relkind IN ('r', 'v', 'c')
	  AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1});
# Triggers and row-level security policies on the extension's tables, and
# the extension's event triggers.
my @triggers = rows(q{
	SELECT tgname FROM pg_trigger
	WHERE tgrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'smpc'::regnamespace)
	  AND NOT tgisinternal
	UNION
	SELECT evtname FROM pg_event_trigger e
	JOIN pg_depend d ON d.classid = 'pg_event_trigger'::regclass AND d.objid = e.oid
	  AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
	JOIN pg_extension x ON x.oid = d.refobjid AND x.extname = 'smpc'
	ORDER BY 1});
my @policies = rows(q{
	SELECT polname FROM pg_policy
	WHERE polrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'smpc'::regnamespace)
	ORDER BY 1});
my %settings = map { $_ => 1 } rows(q{SELECT name FROM pg_settings WHERE name LIKE 'smpc.%' ORDER BY 1});
my %roles = map { $_ => 1 } rows(q{SELECT rolname FROM pg_roles WHERE rolname LIKE 'smpc%' ORDER BY 1});

ok(keys %functions > 50 && keys %relations >= 10 && keys %settings >= 9,
	'the catalog lists the extension\'s objects');

# SQLSTATEs of class SM: defined as ERRCODE_X MAKE_SQLSTATE('S', 'M', ...),
# raised where ERRCODE_X is used elsewhere in src.
my (%code_of, $all_src);
find(
	sub {
		return unless -f $_ && /\.(?:c|cpp|h|hpp)$/;
		my $text = PostgreSQL::Test::Utils::slurp_file($_);
		$all_src .= $text;
		while ($text =~
			/#define\s+(ERRCODE_\w+)\s+MAKE_SQLSTATE\('S',\s*'M',\s*'(\d)',\s*'(\d)',\s*'(\d)'\)/g)
		{
			$code_of{$1} = "SM$2$3$4";
		}
	},
	$src);
my %raised;
for my $macro (keys %code_of)
{
	my $uses = () = $all_src =~ /\b\Q$macro\E\b/g;
	$raised{ $code_of{$macro} } = 1 if $uses > 1;
}
ok(keys %raised >= 5, 'the sources raise SQLSTATEs of class SM: ' . join(', ', sort keys %raised));

# PostgreSQL's own SQLSTATEs that the sources use (ERRCODE_X named outside a
# #define), by the server's errcodes.h: each needs a row of the error table.
my $errcodes = PostgreSQL::Test::Utils::slurp_file(
	$node->config_data('--includedir-server') . '/utils/errcodes.h');
my %pg_code;
$pg_code{$1} = "$2$3$4$5$6"
  while $errcodes =~
  /#define\s+(ERRCODE_\w+)\s+MAKE_SQLSTATE\('(\w)',\s*'(\w)',\s*'(\w)',\s*'(\w)',\s*'(\w)'\)/g;
(my $uses_src = $all_src) =~ s/^\s*#define\s+ERRCODE_\w+.*$//mg;
my %pg_raised;
for my $macro ($uses_src =~ /\b(ERRCODE_\w+)\b/g)
{
	$pg_raised{ $pg_code{$macro} } = 1 if defined $pg_code{$macro};
}
ok(keys %pg_raised >= 10,
	'the sources raise PostgreSQL SQLSTATEs: ' . join(', ', sort keys %pg_raised));

# Everything that exists has an entry in the reference (tables, views and
# types: a section).
my @missing;
push @missing, "function $_" for grep { !$entry{$_} } sort keys %functions;
push @missing, "setting $_" for grep { !$entry{$_} } sort keys %settings;
push @missing, "SQLSTATE $_" for grep { !$entry{$_} } sort keys %raised;
push @missing, "SQLSTATE $_" for grep { !$entry{$_} } sort keys %pg_raised;
push @missing, "trigger $_" for grep { !$entry{$_} } @triggers;
push @missing, "policy $_" for grep { !$entry{$_} } @policies;
for my $rel (sort(keys %relations), sort(keys %types))
{
	my $text = $section{$rel};
	if (!defined $text)
	{
		push @missing, "a section ### `$rel`";
		next;
	}
	for my $col (grep { /^\Q$rel\E\.\w+$/ } sort keys %columns)
	{
		(my $name = $col) =~ s/^.*\.//;
		push @missing, "column $col" unless $text =~ /^\|[^|]*`\Q$name\E`[^|]*\|/m;
	}
}
is(join("\n", @missing), '', 'docs/reference.md names every object, column, setting and SQLSTATE raised');

# Everything the reference names exists.
my @unknown;
for my $name (sort keys %named)
{
	if ($name =~ /^smpc\.\w+$/)
	{
		next if $functions{$name} || $relations{$name} || $types{$name} || $settings{$name};
		next if $line_of{$name} =~ /test builds only/;
		push @unknown, $name;
	}
	elsif ($name =~ /^smpc\.\w+\.\w+$/)
	{
		push @unknown, $name unless $columns{$name};
	}
	elsif ($name =~ /^smpc_\w+$/)
	{
		push @unknown, $name unless $functions{$name} || $roles{$name} || grep { $_ eq $name } @triggers;
	}
	elsif ($name =~ /^SM\d{3}$/)
	{
		push @unknown, $name unless $raised{$name};
	}
}
is(join("\n", @unknown), '', 'every object, setting and SQLSTATE docs/reference.md names exists');

$node->stop;
done_testing();
